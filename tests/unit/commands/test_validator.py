from __future__ import annotations

import dataclasses
import sys
import unicodedata
from collections.abc import Callable
from pathlib import Path

import pytest

from kaltura_discord.commands import COMMANDS, Choice, CommandDefinition, Deprecation, Option
from kaltura_discord.commands.definitions import BOOLEAN, INTEGER, NUMBER, STRING, SUB_COMMAND, SUB_COMMAND_GROUP
from kaltura_discord.commands.validator import (
    CommandValidationError,
    command_characters,
    ensure_valid,
    name_character_allowed,
    name_problem,
    validate,
    validate_command,
)
from tests.unit.commands.spec import GUILD_COMMANDS, bulk_overwrite_validator, errors

pytestmark = pytest.mark.unit

BASE = CommandDefinition(
    name="base",
    description="A valid command",
    version="1.0.0",
    options=(
        Option("first", "Required", STRING, required=True, choices=(Choice("A", "a"), Choice("B", "b"))),
        Option("second", "Optional", INTEGER, min_value=1, max_value=5),
    ),
)


def _with_option(option: Option) -> CommandDefinition:
    return dataclasses.replace(BASE, options=(option,))


def _string(**kwargs: object) -> Option:
    return Option("opt", "An option", STRING, **kwargs)  # type: ignore[arg-type]


BROKEN: dict[str, tuple[Callable[[], CommandDefinition], str]] = {
    "uppercase name": (lambda: dataclasses.replace(BASE, name="Base"), "name"),
    "space in name": (lambda: dataclasses.replace(BASE, name="two words"), "name"),
    "33-character name": (lambda: dataclasses.replace(BASE, name="x" * 33), "name"),
    "empty name": (lambda: dataclasses.replace(BASE, name=""), "name"),
    "uppercase option name": (lambda: _with_option(Option("Opt", "d", STRING)), "name"),
    "empty description": (lambda: dataclasses.replace(BASE, description=""), "description-length"),
    "101-character description": (lambda: dataclasses.replace(BASE, description="d" * 101), "description-length"),
    "101-character option description": (lambda: _with_option(Option("opt", "d" * 101, STRING)), "description-length"),
    "26 options": (
        lambda: dataclasses.replace(BASE, options=tuple(Option(f"o{i}", "d", STRING) for i in range(26))),
        "max-options",
    ),
    "26 choices": (
        lambda: _with_option(_string(choices=tuple(Choice(f"c{i}", f"v{i}") for i in range(26)))),
        "max-choices",
    ),
    "empty choice name": (lambda: _with_option(_string(choices=(Choice("", "v"),))), "choice-name-length"),
    "101-character choice name": (
        lambda: _with_option(_string(choices=(Choice("n" * 101, "v"),))),
        "choice-name-length",
    ),
    "101-character choice value": (
        lambda: _with_option(_string(choices=(Choice("n", "v" * 101),))),
        "choice-value-length",
    ),
    "integer choice on a string option": (
        lambda: _with_option(_string(choices=(Choice("n", 1),))),
        "choice-value-type",
    ),
    "string choice on an integer option": (
        lambda: _with_option(Option("opt", "d", INTEGER, choices=(Choice("n", "1"),))),
        "choice-value-type",
    ),
    "repeated choice value": (
        lambda: _with_option(_string(choices=(Choice("a", "v"), Choice("b", "v")))),
        "unique-choices",
    ),
    "required after optional": (
        lambda: dataclasses.replace(BASE, options=(Option("a", "d", STRING), Option("b", "d", STRING, required=True))),
        "required-first",
    ),
    "choices with autocomplete": (
        lambda: _with_option(_string(choices=(Choice("a", "a"),), autocomplete=True)),
        "choices-with-autocomplete",
    ),
    "over 8000 characters": (
        lambda: dataclasses.replace(
            BASE,
            options=tuple(
                Option(
                    f"o{i}",
                    "d" * 100,
                    STRING,
                    choices=tuple(Choice("n" * 100, f"{j:03d}" + "v" * 97) for j in range(25)),
                )
                for i in range(2)
            ),
        ),
        "max-characters",
    ),
    "repeated option name": (
        lambda: dataclasses.replace(BASE, options=(Option("a", "d", STRING), Option("a", "e", STRING))),
        "unique-option-names",
    ),
    "bad version": (lambda: dataclasses.replace(BASE, version="1.0"), "version"),
    "bad permissions": (lambda: dataclasses.replace(BASE, default_member_permissions="MANAGE_GUILD"), "permissions"),
    "unknown context": (lambda: dataclasses.replace(BASE, contexts=(0, 3)), "contexts"),
    "no integration types": (lambda: dataclasses.replace(BASE, integration_types=()), "integration-types"),
    "unknown option type": (lambda: _with_option(Option("opt", "d", 12)), "option-type"),
    "min_length on an integer": (lambda: _with_option(Option("opt", "d", INTEGER, min_length=1)), "option-fields"),
    "choices on a boolean": (
        lambda: _with_option(Option("opt", "d", BOOLEAN, choices=(Choice("a", "a"),))),
        "option-fields",
    ),
    "max_length 0": (lambda: _with_option(_string(max_length=0)), "length-range"),
    "min_length above max_length": (lambda: _with_option(_string(min_length=10, max_length=5)), "length-range"),
    "min_value above max_value": (
        lambda: _with_option(Option("opt", "d", NUMBER, min_value=5, max_value=1)),
        "value-range",
    ),
    "mixed subcommands and options": (
        lambda: dataclasses.replace(BASE, options=(Option("sub", "d", SUB_COMMAND), Option("plain", "d", STRING))),
        "subcommand-mix",
    ),
    "subcommand inside a subcommand": (
        lambda: _with_option(Option("sub", "d", SUB_COMMAND, options=(Option("inner", "d", SUB_COMMAND),))),
        "nesting",
    ),
    "required subcommand": (
        lambda: _with_option(Option("sub", "d", SUB_COMMAND, required=True)),
        "subcommand-required",
    ),
    "nested options on a string": (
        lambda: _with_option(_string(options=(Option("x", "d", STRING),))),
        "option-fields",
    ),
    "deprecation without a message": (
        lambda: dataclasses.replace(BASE, deprecated=Deprecation(message=" ", replacement=None)),
        "deprecation",
    ),
}


@pytest.mark.parametrize("case", list(BROKEN), ids=list(BROKEN))
def test_each_rule_broken_once(case: str) -> None:
    build, rule = BROKEN[case]
    definition = build()
    problems = validate([definition])
    assert [problem.rule for problem in problems] == [rule], [str(p) for p in problems]
    text = str(problems[0])
    assert text.startswith(f"/{definition.name}") and f"[{rule}]" in text


def test_the_base_command_is_valid() -> None:
    assert validate([BASE]) == []


def test_real_commands_pass() -> None:
    assert validate(COMMANDS) == []
    ensure_valid(COMMANDS)


def test_problem_names_the_option_path() -> None:
    definition = _with_option(
        Option("set", "d", SUB_COMMAND, options=(Option("a", "d", STRING), Option("b", "d", STRING, required=True)))
    )
    (problem,) = validate_command(definition)
    assert str(problem) == "/base option 'set > b': required options must come before optional ones [required-first]"


def test_subcommand_groups_nest_one_level() -> None:
    group = Option(
        "grp", "d", SUB_COMMAND_GROUP, options=(Option("sub", "d", SUB_COMMAND, options=(_string(required=True),)),)
    )
    assert validate([_with_option(group)]) == []
    bad = Option("grp", "d", SUB_COMMAND_GROUP, options=(_string(),))
    assert [p.rule for p in validate([_with_option(bad)])] == ["nesting"]


def test_set_rules_unique_names_and_count() -> None:
    duplicate = validate([BASE, dataclasses.replace(BASE, description="again")])
    assert [(p.command, p.rule) for p in duplicate] == [("base", "unique-names")]
    many = [dataclasses.replace(BASE, name=f"c{i}") for i in range(101)]
    assert [p.rule for p in validate(many)] == ["max-commands"]
    assert validate(many[:100]) == []


def test_deprecation_replacement_must_exist() -> None:
    old = dataclasses.replace(BASE, name="old", deprecated=Deprecation("Renamed.", "base"))
    assert validate([BASE, old]) == []
    orphan = dataclasses.replace(old, deprecated=Deprecation("Renamed.", "missing"))
    assert [(p.command, p.rule) for p in validate([BASE, orphan])] == [("old", "deprecation")]
    with_subcommand = dataclasses.replace(old, deprecated=Deprecation("Moved.", "base view"))
    assert validate([BASE, with_subcommand]) == []


def test_ensure_valid_lists_every_problem() -> None:
    with pytest.raises(CommandValidationError) as raised:
        ensure_valid([dataclasses.replace(BASE, name="Bad", description="")])
    assert [p.rule for p in raised.value.problems] == ["name", "description-length"]
    assert "/Bad: name 'Bad' must be lowercase" in str(raised.value)


def test_8000_characters_counts_names_descriptions_and_values() -> None:
    option = Option("ab", "cde", STRING, choices=(Choice("fg", "hij"), Choice("k", "l")))
    definition = CommandDefinition(name="mn", description="opq", version="1.0.0", options=(option,))
    assert command_characters(definition) == 2 + 3 + 2 + 3 + 2 + 3 + 1 + 1

    def sized(option_description: int) -> CommandDefinition:
        return CommandDefinition(
            name="c",
            description="d" * 100,
            version="1.0.0",
            options=tuple(
                Option(f"o{i}", "x" * (option_description if i == 0 else 81), STRING, choices=choices) for i in range(3)
            ),
        )

    choices = tuple(Choice("n" * 100, f"{j:02d}") for j in range(25))
    assert command_characters(sized(81)) == 8000
    assert validate([sized(81)]) == []
    over = validate([sized(82)])
    assert [p.rule for p in over] == ["max-characters"]
    assert "8001 characters" in str(over[0])


@pytest.mark.parametrize(
    ("name", "ok"),
    [
        ("kaltura-help", True),
        ("it's_ok", True),
        ("日本語", True),
        ("число", True),
        ("١٢٣", True),
        ("नमस्ते", True),  # Devanagari with vowel signs and virama (marks, not letters)
        ("สวัสดี", True),  # Thai with combining vowels and tone marks
        ("x" * 32, True),
        ("émoji🙂", False),
        ("a.b", False),
        ("a b", False),
        ("Éclair", False),
        ("ǅ", False),  # titlecase with a lowercase form
        ("।", False),  # Devanagari danda is Common script, not Deva
        ("฿", False),  # Thai baht sign is Common script
        ("x" * 33, False),
    ],
)
def test_name_rule(name: str, ok: bool) -> None:
    assert (name_problem(name) is None) is ok


def test_name_characters_match_the_unicode_regex() -> None:
    """Every assigned code point agrees with ``regex``'s \\p{..} classes, the rule as Discord writes it."""
    regex = pytest.importorskip("regex")
    pattern = regex.compile(r"[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]")
    disagree = [
        hex(point)
        for point in range(sys.maxunicode + 1)
        if not 0xD800 <= point <= 0xDFFF
        and unicodedata.category(chr(point)) != "Cn"
        and name_character_allowed(chr(point)) != bool(pattern.fullmatch(chr(point)))
    ]
    assert disagree == []


@pytest.mark.contract
@pytest.mark.parametrize("route", ["global", "guild"])
def test_registration_payload_matches_openapi(shared: Path, route: str) -> None:
    validator = (
        bulk_overwrite_validator(shared) if route == "global" else bulk_overwrite_validator(shared, GUILD_COMMANDS)
    )
    assert errors(validator, [definition.to_discord() for definition in COMMANDS]) == []


@pytest.mark.contract
def test_openapi_validator_catches_a_bad_payload(shared: Path) -> None:
    """Guards the guard: the schema check above must be able to fail."""
    payload = [definition.to_discord() for definition in COMMANDS]
    payload[2]["options"][0]["type"] = 99
    payload[0]["default_member_permissions"] = "32"
    found = errors(bulk_overwrite_validator(shared), payload)
    assert any(error.startswith("0/default_member_permissions") for error in found)
    assert any(error.startswith("2/options/0") for error in found)
