"""The message catalogs and kaltura_discord.i18n: complete, consistent with the English texts, within Discord's
limits, compiled from what is committed, loaded lazily, and the locale chosen as documented."""

from __future__ import annotations

import copy
import json
import pickle
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from babel.numbers import format_decimal

from kaltura_discord import i18n
from kaltura_discord.commands.validator import MAX_CHOICE_NAME, MAX_DESCRIPTION, name_problem
from kaltura_discord.discord.responses import MAX_CONTENT_LENGTH
from kaltura_discord.i18n import Message, Translator, lazy_gettext, lazy_name, lazy_ngettext
from tests.unit.commands.loader import load_script

pytestmark = pytest.mark.unit

tool = load_script("i18n")
REPO = Path(__file__).resolve().parents[2]
SHIPPED = list(i18n.SHIPPED)


def entries(locale: str) -> list[Any]:
    """The messages of one language's .po (header left out)."""
    return [message for message in tool._read(tool.po_path(locale), locale) if message.id]


def forms(message: Any) -> list[str]:
    return list(message.string) if isinstance(message.id, tuple) else [message.string]


def sources(message: Any) -> list[str]:
    return list(message.id) if isinstance(message.id, tuple) else [message.id]


# -- the catalogs -----------------------------------------------------------------------------------------------------


def test_the_catalogs_are_in_step_with_the_code_and_each_other() -> None:
    """Template = what the code and the definitions say now; every .po has its messages; every .mo is compiled
    from its .po (the committed .mo files are what the layer ships)."""
    assert tool.check() == []


@pytest.mark.parametrize("locale", SHIPPED)
def test_every_message_has_a_translation(locale: str) -> None:
    template = {tool._key(m) for m in tool._read(tool.TEMPLATE) if m.id}
    present = {tool._key(m): m for m in entries(locale)}
    assert template == set(present), "run scripts/i18n.py update, then translate"
    untranslated = [m.id for m in present.values() if not all(forms(m)) or m.fuzzy]
    assert untranslated == []
    plural_forms = tool._read(tool.po_path(locale), locale).num_plurals
    assert all(len(forms(m)) == plural_forms for m in present.values() if isinstance(m.id, tuple))


@pytest.mark.parametrize("locale", SHIPPED)
def test_placeholders_match_the_english(locale: str) -> None:
    wrong = []
    for message in entries(locale):
        english = set().union(*(tool.placeholders(text) for text in sources(message)))
        for form in forms(message):
            found = tool.placeholders(form)
            if isinstance(message.id, tuple) and len(forms(message)) > 1 and found <= english:
                continue  # a singular form may leave out {n} ("the one token")
            if found != english:
                wrong.append((message.id, sorted(found), sorted(english)))
    assert wrong == []


_MARKUP = re.compile(r"`/kaltura-[a-z-]+(?: [a-z]+)?`|<t:\{[a-z]+\}:[a-zA-Z]>|<@\{[a-z]+\}>|\*\*|```|\n")


@pytest.mark.parametrize("locale", SHIPPED)
def test_markdown_timestamps_mentions_and_slash_commands_are_kept(locale: str) -> None:
    """Bold, code, new lines, Discord timestamps and mentions survive, and ``/kaltura-…`` stays English."""
    wrong = []
    for message in entries(locale):
        english = sorted(_MARKUP.findall(sources(message)[-1]))
        for form in forms(message):
            if sorted(_MARKUP.findall(form)) != english or form.count("`") != sources(message)[-1].count("`"):
                wrong.append((message.id, form))
    assert wrong == []


@pytest.mark.parametrize("locale", SHIPPED)
def test_no_translation_breaks_discords_limits(locale: str) -> None:
    problems = []
    for message in entries(locale):
        for form in forms(message):
            if message.context == i18n.NAME and (reason := name_problem(form)) is not None:
                problems.append(reason)
            elif message.context == i18n.DESCRIPTION and not 1 <= len(form) <= MAX_DESCRIPTION:
                problems.append(f"description {form!r} is {len(form)} characters")
            elif message.context == i18n.CHOICE and not 1 <= len(form) <= MAX_CHOICE_NAME:
                problems.append(f"choice {form!r} is {len(form)} characters")
            elif message.context is None and not 1 <= len(form) <= MAX_CONTENT_LENGTH:
                problems.append(f"reply {form[:40]!r} is {len(form)} characters")
    assert problems == []


def test_a_broken_catalog_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Guards the guards: a missing entry, a fuzzy one and a lost placeholder are each named."""
    catalog = tool._read(tool.po_path("de"), "de")
    catalog.delete("Reset")
    catalog.get("Cancel").flags.add("fuzzy")
    catalog.get("Changed on this server: {keys}").string = "Auf diesem Server geändert"
    broken = tmp_path / "messages.po"
    tool._write(broken, catalog)
    monkeypatch.setattr(tool, "po_path", lambda _locale: broken)
    monkeypatch.setattr(tool, "ROOT", tmp_path)
    found = "\n".join(tool.translation_problems("de"))
    assert "no entry for 'Reset'" in found
    assert "'Cancel' is fuzzy" in found
    assert "placeholders [] differ from the English ['keys']" in found


def test_shipped_locales_have_their_catalogs_and_nothing_else_does() -> None:
    assert set(i18n.SHIPPED) <= set(i18n.DISCORD_LOCALES)
    for locale in i18n.SHIPPED:
        assert tool.po_path(locale).is_file() and Path(i18n.catalog_path(locale)).is_file()
    folders = {path.name for path in Path(i18n.TRANSLATIONS_DIR).iterdir() if path.is_dir()}
    assert folders == {locale.replace("-", "_") for locale in i18n.SHIPPED}


@pytest.mark.contract
def test_discord_locales_are_the_documented_list(shared: Path) -> None:
    table = (shared / "discord" / "docs" / "locales.mdx").read_text(encoding="utf-8")
    documented = re.findall(r"^\| ([a-zA-Z]{2}(?:-[0-9A-Za-z]+)?) +\|", table, flags=re.MULTILINE)
    assert tuple(documented) == i18n.DISCORD_LOCALES


@pytest.mark.parametrize("locale", SHIPPED)
def test_plural_rules_are_cldrs(locale: str) -> None:
    """The Plural-Forms the compiled catalogs carry are Babel's (CLDR's) for the language."""
    assert (
        tool._read(tool.po_path(locale), locale).plural_forms
        == tool.Catalog(locale=tool.babel_locale(locale)).plural_forms
    )
    t = i18n.translator(locale)
    one, many = "{n} room on the account", "{n} rooms on the account"
    assert t.ngettext(one, many, 1) != t.ngettext(one, many, 2) or locale == "ja"
    assert "2" in t.ngettext(one, many, 2)


def test_plural_forms_follow_the_language() -> None:
    singular, plural = "{n} room on the account", "{n} rooms on the account"
    assert i18n.translator("fr").ngettext(singular, plural, 0) == "0 salle sur le compte"  # French: 0 is singular
    assert i18n.translator("de").ngettext(singular, plural, 0) == "0 Räume im Konto"
    assert i18n.translator("en-US").ngettext(singular, plural, 1) == "1 room on the account"


@pytest.mark.parametrize("locale", [i18n.SOURCE_LOCALE, *SHIPPED])
@pytest.mark.parametrize("value", [0, 7, 999, 1000, 1234, 12345, 999999, 1234567, -4321, 1.5, 1234.5, 0.25, 2.0, 3.125])
def test_numbers_are_written_as_cldr_writes_them(locale: str, value: float) -> None:
    assert i18n.translator(locale).number(value) == format_decimal(value, locale=tool.babel_locale(locale))


def test_number_symbols_cover_every_locale_served() -> None:
    assert set(i18n._NUMBER_SYMBOLS) == {i18n.SOURCE_LOCALE, *i18n.SHIPPED}


def test_no_text_is_built_before_it_is_translated() -> None:
    """A msgid must be a literal: ``gettext(f"...")`` would never match the catalog."""
    package = REPO / "layers" / "kaltura_discord"
    pattern = re.compile(r"\b(?:lazy_)?n?p?gettext\(\s*f[\"']")
    offenders = [str(path.relative_to(REPO)) for path in package.rglob("*.py") if pattern.search(path.read_text())]
    assert offenders == []


# -- choosing the language --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "served"),
    [
        ("de", "de"),
        ("DE", "de"),
        ("pt_br", "pt-BR"),
        ("es-ES", "es-ES"),
        ("es-419", "es-ES"),  # Discord's own fallback
        ("en-GB", "en-US"),  # likewise
        ("en-US", "en-US"),
        ("it", None),
        ("zh-CN", None),
        ("xx", None),
        ("", None),
        (None, None),
    ],
)
def test_resolve(asked: str | None, served: str | None) -> None:
    assert i18n.resolve(asked) == served


class Asked:
    def __init__(self, locale: str | None, guild_locale: str | None) -> None:
        self.locale, self.guild_locale = locale, guild_locale


@pytest.mark.parametrize(
    ("locale", "guild_locale", "served"),
    [
        ("de", "fr", "de"),
        ("it", "fr", "fr"),  # not shipped: the server's language
        ("it", "it", "en-US"),  # neither: English
        ("en-GB", "de", "en-US"),  # British English is English, as Discord falls back
        (None, "ja", "ja"),
        (None, None, "en-US"),
    ],
)
def test_replies_use_the_members_language_then_the_servers(
    locale: str | None, guild_locale: str | None, served: str
) -> None:
    assert i18n.for_reply(Asked(locale, guild_locale)).locale == served


@pytest.mark.parametrize(
    ("guild_locale", "setting", "served"),
    [
        ("de", "server", "de"),
        ("de", None, "de"),
        ("de", "pt-br", "pt-BR"),
        (None, "server", "en-US"),
        ("it", "ja", "ja"),
    ],
)
def test_channel_messages_use_the_setting_then_the_server(
    guild_locale: str | None, setting: str | None, served: str
) -> None:
    assert i18n.for_channel(guild_locale, setting).locale == served


# -- texts ------------------------------------------------------------------------------------------------------------


def test_a_lazy_text_reads_in_english_until_it_is_rendered() -> None:
    text = lazy_gettext("Changed on this server: {keys}", keys="`a`")
    assert isinstance(text, str) and text == "Changed on this server: `a`"
    assert i18n.translator("de").render(text) == "Auf diesem Server geändert: `a`"
    assert i18n.translator("de").render("an admin's own words") == "an admin's own words"
    assert json.dumps({"content": text}) == '{"content": "Changed on this server: `a`"}'


def test_lazy_texts_nest_and_numbers_follow_the_language() -> None:
    inner = lazy_name("lifetime_hours")
    text = lazy_gettext("`{option}` must be a whole number from 1 to {max}.", option=inner, max=1000)
    assert text == "`lifetime_hours` must be a whole number from 1 to 1,000."
    assert i18n.translator("de").render(text) == "`gültigkeit_stunden` muss eine ganze Zahl von 1 bis 1.000 sein."
    many = lazy_ngettext("… and {n} more.", "… and {n} more.", 3)
    assert i18n.translator("fr").render(many) == "… et 3 autres."


def test_a_lazy_text_survives_copying() -> None:
    text = lazy_gettext("Changed on this server: {keys}", keys="x")
    for copied in (copy.copy(text), copy.deepcopy(text), pickle.loads(pickle.dumps(text))):
        assert copied == text
        assert i18n.translator("de").render(copied).startswith("Auf diesem Server")


def test_a_broken_translation_falls_back_to_english() -> None:
    class Broken:
        def gettext(self, _msgid: str) -> str:
            return "Geändert: {schluessel}"

    t = Translator("de", Broken())  # type: ignore[arg-type]
    assert t.gettext("Changed on this server: {keys}", keys="x") == "Changed on this server: x"
    with pytest.raises(KeyError):
        i18n.translator(None).gettext("Changed on this server: {keys}")  # the English text itself: a bug


def test_english_needs_no_catalog() -> None:
    assert i18n.translator("en-US")._catalog is None
    assert isinstance(lazy_gettext("Reset"), Message)


def test_command_localizations_leave_out_what_stays_english() -> None:
    assert i18n.localizations("kaltura-help", i18n.NAME) == {
        "de": "kaltura-hilfe",
        "fr": "kaltura-aide",
        "es-ES": "kaltura-ayuda",
        "pt-BR": "kaltura-ajuda",
    }
    assert i18n.localizations("Kaltura", i18n.CHOICE) == {}
    assert set(i18n.localizations("What this bot can do", i18n.DESCRIPTION)) == set(i18n.SHIPPED)


# -- lazy loading -----------------------------------------------------------------------------------------------------

_PROBE = """
import importlib.util, json, sys
spec = importlib.util.spec_from_file_location("interactions_app", "functions/interactions/app.py")
app = importlib.util.module_from_spec(spec)
spec.loader.exec_module(app)
from tests.support.interactions import command, signed_event
ping = signed_event({"type": 1, "id": "1", "application_id": "1", "token": "t"})
assert app.handler(ping, None)["body"] == '{"type":1}'
after_ping = sorted(m for m in ("kaltura_discord.i18n", "gettext") if m in sys.modules)
from kaltura_discord import i18n
from kaltura_discord.config import ConfigService, ConfigStore, set_config_service
from tests.support.fakes import MemoryConfigTable
set_config_service(ConfigService(ConfigStore(MemoryConfigTable()), ttl_seconds=60))
english = command("kaltura-help")
app.handler(signed_event(english), None)
after_english = i18n.loaded_locales()
german = command("kaltura-help")
german["locale"] = "de"
body = json.loads(app.handler(signed_event(german), None)["body"])
print(json.dumps({"after_ping": after_ping, "after_english": after_english, "after_german": i18n.loaded_locales(),
                  "title": body["data"]["embeds"][0]["title"]}))
"""


def test_ping_loads_no_catalog_and_a_reply_loads_only_its_own() -> None:
    from tests.support.interactions import PUBLIC_KEY_HEX

    env = {"PATH": "/usr/bin:/bin", "DISCORD_PUBLIC_KEY": PUBLIC_KEY_HEX, "PYTHONPATH": f"{REPO}:{REPO / 'layers'}"}
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], cwd=REPO, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    seen = json.loads(result.stdout.strip().splitlines()[-1])
    assert seen["after_ping"] == [], "PING must not import the catalogs' code"
    assert seen["after_english"] == [], "English is the message ids: no catalog to read"
    assert seen["after_german"] == ["de"]
    assert seen["title"] == "Kaltura-Meetings in Discord"
