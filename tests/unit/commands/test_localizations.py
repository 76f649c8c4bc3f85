"""Command localizations: on every command, option and choice, valid by Discord's rules, counted as Discord counts
them, compared when registering, and documented."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaltura_discord import i18n
from kaltura_discord.commands import COMMANDS, Choice, CommandDefinition, Option
from kaltura_discord.commands.definitions import STRING
from kaltura_discord.commands.docs import render
from kaltura_discord.commands.manifest import diff
from kaltura_discord.commands.validator import command_characters, validate
from tests.unit.commands.spec import bulk_overwrite_validator, errors, schema_validator

pytestmark = pytest.mark.unit


def walk(payload: dict[str, Any], path: str = "") -> Iterator[tuple[str, dict[str, Any], str]]:
    """(where, item, kind) for the command, each option and each choice of a payload."""
    yield path or payload["name"], payload, "command" if not path else "option"
    for option in payload.get("options") or []:
        where = f"{path or payload['name']} > {option['name']}"
        yield from walk(option, where)
    for choice in payload.get("choices") or []:
        yield f"{path} = {choice['value']}", choice, "choice"


def test_every_description_and_choice_is_translated_into_every_shipped_language() -> None:
    missing = []
    for definition in COMMANDS:
        for where, item, kind in walk(definition.to_discord()):
            context = i18n.CHOICE if kind == "choice" else i18n.DESCRIPTION
            text = item["name"] if kind == "choice" else item["description"]
            field = "name_localizations" if kind == "choice" else "description_localizations"
            translated = item.get(field) or {}
            for locale in i18n.SHIPPED:
                kept = i18n.translator(locale).lookup(text, context) == text  # "Kaltura" is Kaltura everywhere
                if locale not in translated and not kept:
                    missing.append(f"{where} ({locale})")
    assert missing == []


def test_names_are_translated_only_where_it_is_natural() -> None:
    help_payload = COMMANDS[0].to_discord()
    assert help_payload["name_localizations"] == {
        "de": "kaltura-hilfe",
        "fr": "kaltura-aide",
        "es-ES": "kaltura-ayuda",
        "pt-BR": "kaltura-ajuda",
    }
    everything = [item for definition in COMMANDS for _, item, _ in walk(definition.to_discord())]
    assert not any("ja" in (item.get("name_localizations") or {}) for item in everything if "type" in item)
    status = next(d for d in COMMANDS if d.name == "kaltura-status").to_discord()
    assert "de" not in status["name_localizations"]  # "status" is German too: no localization at all


def test_the_real_localizations_pass_the_validator() -> None:
    assert validate(COMMANDS) == []


@pytest.fixture
def translations(monkeypatch: pytest.MonkeyPatch) -> dict[tuple[str, str], dict[str, str]]:
    """Replace the catalogs with a table: (context, English) -> {locale: text}."""
    table: dict[tuple[str, str], dict[str, str]] = {}
    monkeypatch.setattr(i18n, "localizations", lambda text, context: dict(table.get((context, text), {})))
    return table


DEMO = CommandDefinition(
    name="demo",
    description="Demo",
    version="1.0.0",
    options=(
        Option("title", "Title", STRING, choices=(Choice("Alpha", "a"),)),
        Option("type", "Type", STRING),
    ),
)


@pytest.mark.parametrize(
    ("context", "text", "localized", "rule"),
    [
        (i18n.NAME, "demo", "Démo", "name-localization"),  # uppercase
        (i18n.NAME, "title", "two words", "name-localization"),
        (i18n.NAME, "title", "x" * 33, "name-localization"),
        (i18n.DESCRIPTION, "Demo", "x" * 101, "description-localization"),
        (i18n.DESCRIPTION, "Title", "x" * 101, "description-localization"),
        (i18n.CHOICE, "Alpha", "x" * 101, "choice-name-localization"),
        (i18n.NAME, "title", "type", "option-name-localization"),  # another option's English name
    ],
)
def test_bad_localizations_are_refused(
    translations: dict[tuple[str, str], dict[str, str]], context: str, text: str, localized: str, rule: str
) -> None:
    translations[(context, text)] = {"de": localized}
    assert [problem.rule for problem in validate([DEMO])] == [rule]


def test_two_options_may_not_share_a_localized_name(translations: dict[tuple[str, str], dict[str, str]]) -> None:
    translations[(i18n.NAME, "title")] = {"de": "feld"}
    translations[(i18n.NAME, "type")] = {"de": "feld"}
    (problem,) = validate([DEMO])
    assert problem.rule == "option-name-localization" and "title, type" in problem.detail


def test_a_localized_command_name_may_not_be_another_commands(
    translations: dict[tuple[str, str], dict[str, str]],
) -> None:
    other = CommandDefinition(name="other", description="Other", version="1.0.0")
    translations[(i18n.NAME, "demo")] = {"fr": "other"}
    assert [p.rule for p in validate([DEMO, other])] == ["name-localization"]


def test_the_8000_characters_count_the_longest_localization(
    translations: dict[tuple[str, str], dict[str, str]],
) -> None:
    plain = command_characters(DEMO)
    translations[(i18n.DESCRIPTION, "Demo")] = {"de": "x" * 90, "fr": "y" * 40}
    translations[(i18n.CHOICE, "Alpha")] = {"ja": "z" * 10}
    assert command_characters(DEMO) == plain - len("Demo") + 90 - len("Alpha") + 10


def test_registration_compares_localizations() -> None:
    desired = [definition.to_discord() for definition in COMMANDS]
    assert diff(desired, copy.deepcopy(desired)).empty
    english_only = copy.deepcopy(desired)
    for payload in english_only:
        for _, item, _ in walk(payload):
            item.pop("name_localizations", None)
            item.pop("description_localizations", None)
    changes = dict(diff(desired, english_only).changed)
    assert "description_localizations" in changes["kaltura-help"]
    assert "name_localizations" in changes["kaltura-help"]
    assert any("description_localizations" in field for field in changes["kaltura-start"])
    reworded = copy.deepcopy(desired)
    reworded[0]["description_localizations"]["de"] = "Was der Bot alles kann"
    assert dict(diff(desired, reworded).changed) == {"kaltura-help": ("description_localizations",)}


def test_the_page_says_which_names_are_translated() -> None:
    page = render(COMMANDS)
    assert "- In other languages: `/kaltura-hilfe` (de), `/kaltura-aide` (fr)" in page
    assert "Option names in other languages: `type`: `art` (de), `tipo` (es-ES, pt-BR)" in page
    assert "[Localization](localization.md)" in page


@pytest.mark.contract
def test_the_put_body_with_its_localizations_is_what_discord_accepts(shared: Path) -> None:
    body = [definition.to_discord() for definition in COMMANDS]
    locales = {
        locale for payload in body for _, item, _ in walk(payload) for locale in item.get("name_localizations") or {}
    }
    assert locales == set(i18n.SHIPPED)  # Japanese: the choices (names stay English)
    assert errors(bulk_overwrite_validator(shared), body) == []
    one = schema_validator(shared, "ApplicationCommandUpdateRequest")
    assert all(errors(one, payload) == [] for payload in body)
    broken = copy.deepcopy(body)
    broken[0]["description_localizations"]["de"] = "x" * 101
    broken[0]["name_localizations"]["fr"] = "x" * 33
    found = errors(bulk_overwrite_validator(shared), broken)
    assert any("0/description_localizations/de" in error for error in found)
    assert any("0/name_localizations/fr" in error for error in found)
