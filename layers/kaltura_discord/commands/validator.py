"""Discord's limits on slash commands, checked before anything is sent.

The limits come from Discord's application-commands documentation: names match
``^[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]{1,32}$`` and are lowercase where a lowercase form exists; descriptions
are 1-100 characters; at most 25 options per level and 25 choices per option; choice names 1-100 characters and
string values at most 100; required options before optional ones; ``choices`` and ``autocomplete`` never together;
8000 characters per command for all names, descriptions and values together, where only the longest localization
of each field (the English default included) counts; at most 100 chat-input commands per scope; names unique.

Localizations (from the message catalogs, :func:`kaltura_discord.i18n.localizations`) follow the rules of the field
they translate, and a localized option name must differ from every other default option name of the command and
from every other option name in that locale.

Python's ``re`` has no ``\\p{...}`` classes, so the name rule is implemented per character: ``-``, ``_`` and ``'``;
any letter (Unicode category ``L*``) or number (``N*``) known to this interpreter's ``unicodedata``; and the code
points whose Script property is Devanagari or Thai, as ranges copied from Unicode's ``Scripts.txt`` (these add
the combining vowel signs and marks, which are not letters). Characters assigned after this interpreter's
Unicode version are rejected even if Discord would accept them.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from kaltura_discord import i18n
from kaltura_discord.commands.definitions import (
    INTEGER,
    NUMBER,
    OPTION_TYPE_NAMES,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    CommandDefinition,
    Option,
)

MAX_NAME = 32
MAX_DESCRIPTION = 100
MAX_OPTIONS = 25
MAX_CHOICES = 25
MAX_CHOICE_NAME = 100
MAX_CHOICE_STRING_VALUE = 100
MAX_COMMAND_CHARACTERS = 8000
MAX_COMMANDS_PER_SCOPE = 100
MAX_STRING_LENGTH = 6000
MAX_SAFE_INTEGER = 2**53 - 1

# Script=Devanagari and Script=Thai from Unicode's Scripts.txt (15.1). Danda (U+0964/5) and the Vedic tone
# marks U+0951-0954 are Common/Inherited, not Devanagari, so they are not here.
_SCRIPT_RANGES: tuple[tuple[int, int], ...] = (
    (0x0900, 0x0950),
    (0x0955, 0x0963),
    (0x0966, 0x097F),
    (0xA8E0, 0xA8FF),
    (0x11B00, 0x11B09),
    (0x0E01, 0x0E3A),
    (0x0E40, 0x0E5B),
)
_PUNCTUATION = frozenset("-_'")
_SEMVER = re.compile(r"^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)$")
_PERMISSIONS = re.compile(r"^(0|[1-9]\d*)$")
_STRING_CHOICE_TYPES = frozenset({STRING})
_NUMERIC_CHOICE_TYPES = frozenset({INTEGER, NUMBER})
_SUBCOMMAND_TYPES = frozenset({SUB_COMMAND, SUB_COMMAND_GROUP})


@dataclass(frozen=True)
class Problem:
    command: str
    rule: str
    detail: str
    where: str = ""
    """The option path inside the command (``set > value``), empty for the command itself."""

    def __str__(self) -> str:
        place = f"/{self.command}" + (f" option {self.where!r}" if self.where else "")
        return f"{place}: {self.detail} [{self.rule}]"


_ProblemFactory = Callable[[str, str], Problem]


class CommandValidationError(ValueError):
    """One or more definitions break Discord's limits; ``problems`` lists them all."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"{len(problems)} command definition problem(s):\n{lines}")


def name_character_allowed(char: str) -> bool:
    """True when ``char`` matches ``[-_'\\p{L}\\p{N}\\p{sc=Deva}\\p{sc=Thai}]``."""
    if char in _PUNCTUATION:
        return True
    if unicodedata.category(char)[0] in "LN":
        return True
    point = ord(char)
    return any(low <= point <= high for low, high in _SCRIPT_RANGES)


def name_problem(name: str) -> str | None:
    """Why ``name`` is not a valid command or option name, or None when it is."""
    if not 1 <= len(name) <= MAX_NAME:
        return f"name must be 1-{MAX_NAME} characters, got {len(name)}"
    bad = [char for char in name if not name_character_allowed(char)]
    if bad:
        shown = ", ".join(repr(char) for char in dict.fromkeys(bad))
        return f"name {name!r} has characters outside [-_'\\p{{L}}\\p{{N}}\\p{{sc=Deva}}\\p{{sc=Thai}}]: {shown}"
    upper = [char for char in name if char.lower() != char]
    if upper:
        return f"name {name!r} must be lowercase (has {''.join(dict.fromkeys(upper))!r})"
    return None


def longest(text: str, context: str) -> int:
    """The length of the longest of ``text`` and its localizations: what Discord counts toward 8000."""
    return max([len(text), *map(len, i18n.localizations(text, context).values())])


def command_characters(definition: CommandDefinition) -> int:
    """What counts toward the 8000-character limit: every name, description and choice name and value, each name
    and description by its longest localization."""

    def named(name: str, description: str) -> int:
        return longest(name, i18n.NAME) + longest(description, i18n.DESCRIPTION)

    def option_characters(option: Option) -> int:
        total = named(option.name, option.description)
        total += sum(longest(choice.name, i18n.CHOICE) + len(str(choice.value)) for choice in option.choices)
        return total + sum(option_characters(child) for child in option.options)

    return named(definition.name, definition.description) + sum(map(option_characters, definition.options))


def localization_problems(text: str, context: str) -> Iterator[tuple[str, str]]:
    """(rule, detail) for each localization of ``text`` that breaks the rules of its field."""
    for locale, value in i18n.localizations(text, context).items():
        if locale not in i18n.DISCORD_LOCALES:
            yield "localization-locale", f"{locale!r} is not a Discord locale"
        if context == i18n.NAME:
            reason = name_problem(value)
            if reason is not None:
                yield "name-localization", f"{locale}: {reason}"
        elif context == i18n.DESCRIPTION:
            if (reason := _description_problem(value)) is not None:
                yield "description-localization", f"{locale}: {reason}"
        elif not 1 <= len(value) <= MAX_CHOICE_NAME:
            yield "choice-name-localization", f"{locale}: choice name must be 1-{MAX_CHOICE_NAME} characters"


def _localized_option_names(command: str, options: tuple[Option, ...]) -> Iterator[Problem]:
    """A localized option name may be neither another option's default name nor another option's localized name
    in the same locale (application-commands.mdx, "Localization")."""
    names: dict[str, str] = {}
    stack = list(options)
    while stack:
        option = stack.pop()
        names.setdefault(option.name, option.name)
        stack.extend(option.options)
    by_locale: dict[tuple[str, str], set[str]] = {}
    for default in sorted(names):
        for locale, localized in i18n.localizations(default, i18n.NAME).items():
            if localized in names:
                yield Problem(
                    command, "option-name-localization", f"{locale} name {localized!r} of {default!r} is another option"
                )
            by_locale.setdefault((locale, localized), set()).add(default)
    for (locale, localized), defaults in sorted(by_locale.items()):
        if len(defaults) > 1:
            yield Problem(
                command,
                "option-name-localization",
                f"{locale} name {localized!r} is used by more than one option: {', '.join(sorted(defaults))}",
            )


def _description_problem(description: str) -> str | None:
    if not 1 <= len(description) <= MAX_DESCRIPTION:
        return f"description must be 1-{MAX_DESCRIPTION} characters, got {len(description)}"
    return None


def _check_options(command: str, options: tuple[Option, ...], parent: Option | None, path: str) -> Iterator[Problem]:
    where = path

    def problem(rule: str, detail: str, at: str = where) -> Problem:
        return Problem(command, rule, detail, at)

    if len(options) > MAX_OPTIONS:
        yield problem("max-options", f"at most {MAX_OPTIONS} options, got {len(options)}")
    names = [option.name for option in options]
    for duplicate in sorted({name for name in names if names.count(name) > 1}):
        yield problem("unique-option-names", f"option name {duplicate!r} is used more than once")
    kinds = {option.type in _SUBCOMMAND_TYPES for option in options}
    if len(kinds) > 1:
        yield problem("subcommand-mix", "subcommands and plain options cannot be mixed at the same level")
    seen_optional = False
    for option in options:
        at = f"{path} > {option.name}" if path else option.name
        yield from _check_option(command, option, parent, at)
        if option.type in _SUBCOMMAND_TYPES:
            continue
        if option.required and seen_optional:
            yield problem("required-first", "required options must come before optional ones", at)
        seen_optional = seen_optional or not option.required


def _check_option(command: str, option: Option, parent: Option | None, at: str) -> Iterator[Problem]:
    def problem(rule: str, detail: str) -> Problem:
        return Problem(command, rule, detail, at)

    if (reason := name_problem(option.name)) is not None:
        yield problem("name", reason)
    if (reason := _description_problem(option.description)) is not None:
        yield problem("description-length", reason)
    for text, context in ((option.name, i18n.NAME), (option.description, i18n.DESCRIPTION)):
        for rule, detail in localization_problems(text, context):
            yield problem(rule, detail)
    if option.type not in OPTION_TYPE_NAMES:
        yield problem("option-type", f"unknown option type {option.type}")
        return
    kind = OPTION_TYPE_NAMES[option.type]
    if option.type in _SUBCOMMAND_TYPES:
        if option.type == SUB_COMMAND_GROUP and parent is not None:
            yield problem("nesting", "a subcommand group can only sit at the top level")
        if option.type == SUB_COMMAND and parent is not None and parent.type != SUB_COMMAND_GROUP:
            yield problem("nesting", "a subcommand can only sit at the top level or in a subcommand group")
        if option.required:
            yield problem("subcommand-required", f"a {kind} cannot be required")
        if option.choices or option.autocomplete:
            yield problem("option-fields", f"a {kind} takes no choices or autocomplete")
        yield from _check_options(command, option.options, option, at)
        return
    if parent is not None and parent.type == SUB_COMMAND_GROUP:
        yield problem("nesting", "a subcommand group may only contain subcommands")
    if option.options:
        yield problem("option-fields", f"a {kind} option cannot have nested options")
    if option.choices and option.autocomplete:
        yield problem("choices-with-autocomplete", "autocomplete cannot be set together with choices")
    choice_types = _STRING_CHOICE_TYPES | _NUMERIC_CHOICE_TYPES
    if (option.choices or option.autocomplete) and option.type not in choice_types:
        yield problem("option-fields", f"a {kind} option takes no choices or autocomplete")
    if len(option.choices) > MAX_CHOICES:
        yield problem("max-choices", f"at most {MAX_CHOICES} choices, got {len(option.choices)}")
    yield from _check_choices(option, problem)
    yield from _check_ranges(option, kind, problem)


def _check_choices(option: Option, problem: _ProblemFactory) -> Iterator[Problem]:
    values = [choice.value for choice in option.choices]
    for duplicate in sorted({str(value) for value in values if values.count(value) > 1}):
        yield problem("unique-choices", f"choice value {duplicate!r} is used more than once")
    for choice in option.choices:
        for rule, detail in localization_problems(choice.name, i18n.CHOICE):
            yield problem(rule, f"choice {choice.name!r}: {detail}")
        if not 1 <= len(choice.name) <= MAX_CHOICE_NAME:
            yield problem(
                "choice-name-length", f"choice name must be 1-{MAX_CHOICE_NAME} characters, got {choice.name!r}"
            )
        if option.type == STRING:
            if not isinstance(choice.value, str):
                yield problem("choice-value-type", f"choice {choice.name!r} needs a string value")
            elif len(choice.value) > MAX_CHOICE_STRING_VALUE:
                yield problem(
                    "choice-value-length", f"choice {choice.name!r} value is over {MAX_CHOICE_STRING_VALUE} characters"
                )
        elif option.type == INTEGER and (isinstance(choice.value, bool) or not isinstance(choice.value, int)):
            yield problem("choice-value-type", f"choice {choice.name!r} needs an integer value")
        elif option.type == NUMBER and (isinstance(choice.value, bool) or not isinstance(choice.value, int | float)):
            yield problem("choice-value-type", f"choice {choice.name!r} needs a number value")


def _check_ranges(option: Option, kind: str, problem: _ProblemFactory) -> Iterator[Problem]:
    if option.type != STRING and (option.min_length is not None or option.max_length is not None):
        yield problem("option-fields", f"min_length/max_length apply to string options, not {kind}")
    if option.type not in _NUMERIC_CHOICE_TYPES and (option.min_value is not None or option.max_value is not None):
        yield problem("option-fields", f"min_value/max_value apply to integer and number options, not {kind}")
    if option.min_length is not None and not 0 <= option.min_length <= MAX_STRING_LENGTH:
        yield problem("length-range", f"min_length must be 0-{MAX_STRING_LENGTH}, got {option.min_length}")
    if option.max_length is not None and not 1 <= option.max_length <= MAX_STRING_LENGTH:
        yield problem("length-range", f"max_length must be 1-{MAX_STRING_LENGTH}, got {option.max_length}")
    if option.min_length is not None and option.max_length is not None and option.min_length > option.max_length:
        yield problem("length-range", f"min_length {option.min_length} is above max_length {option.max_length}")
    for key in ("min_value", "max_value"):
        value = getattr(option, key)
        if value is None:
            continue
        if option.type == INTEGER and (isinstance(value, bool) or not isinstance(value, int)):
            yield problem("value-range", f"{key} of an integer option must be an integer, got {value!r}")
        elif abs(value) > MAX_SAFE_INTEGER:
            yield problem("value-range", f"{key} must be within ±(2^53-1), got {value!r}")
    if option.min_value is not None and option.max_value is not None and option.min_value > option.max_value:
        yield problem("value-range", f"min_value {option.min_value} is above max_value {option.max_value}")


def validate_command(definition: CommandDefinition) -> list[Problem]:
    """Every problem with one definition (empty when it is valid)."""
    name = definition.name

    def problem(rule: str, detail: str) -> Problem:
        return Problem(name, rule, detail)

    found: list[Problem] = []
    if (reason := name_problem(name)) is not None:
        found.append(problem("name", reason))
    if (reason := _description_problem(definition.description)) is not None:
        found.append(problem("description-length", reason))
    for text, context in ((name, i18n.NAME), (definition.description, i18n.DESCRIPTION)):
        found.extend(problem(rule, detail) for rule, detail in localization_problems(text, context))
    if not _SEMVER.match(definition.version):
        found.append(problem("version", f"version must be major.minor.patch, got {definition.version!r}"))
    permissions = definition.default_member_permissions
    if permissions is not None and not _PERMISSIONS.match(permissions):
        found.append(
            problem("permissions", f"default_member_permissions must be a decimal bit set, got {permissions!r}")
        )
    if not definition.contexts or len(set(definition.contexts)) != len(definition.contexts):
        found.append(problem("contexts", "contexts must be a non-empty list without repeats"))
    elif not set(definition.contexts) <= {0, 1, 2}:
        found.append(problem("contexts", f"contexts must be 0, 1 or 2, got {list(definition.contexts)}"))
    if not definition.integration_types or len(set(definition.integration_types)) != len(definition.integration_types):
        found.append(problem("integration-types", "integration_types must be a non-empty list without repeats"))
    elif not set(definition.integration_types) <= {0, 1}:
        found.append(
            problem("integration-types", f"integration_types must be 0 or 1, got {list(definition.integration_types)}")
        )
    found.extend(_check_options(name, definition.options, None, ""))
    found.extend(_localized_option_names(name, definition.options))
    total = command_characters(definition)
    if total > MAX_COMMAND_CHARACTERS:
        found.append(
            problem(
                "max-characters",
                f"names, descriptions and values total {total} characters (longest localizations), over "
                f"{MAX_COMMAND_CHARACTERS}",
            )
        )
    if definition.deprecated is not None and not definition.deprecated.message.strip():
        found.append(problem("deprecation", "a deprecation needs a message saying what to do instead"))
    return found


def validate(commands: Iterable[CommandDefinition]) -> list[Problem]:
    """Every problem with a set of commands registered together in one scope (global or one guild)."""
    commands = list(commands)
    found = [problem for definition in commands for problem in validate_command(definition)]
    if len(commands) > MAX_COMMANDS_PER_SCOPE:
        found.append(Problem("*", "max-commands", f"at most {MAX_COMMANDS_PER_SCOPE} commands, got {len(commands)}"))
    names = [definition.name for definition in commands]
    for duplicate in sorted({name for name in names if names.count(name) > 1}):
        found.append(Problem(duplicate, "unique-names", "more than one command has this name"))
    known = set(names)
    seen: dict[tuple[str, str], str] = {}
    for definition in commands:
        for locale, localized in i18n.localizations(definition.name, i18n.NAME).items():
            other = seen.setdefault((locale, localized), definition.name)
            clash = other if other != definition.name else localized if localized in known else None
            if clash is not None:
                detail = f"{locale} name {localized!r} is already taken by /{clash}"
                found.append(Problem(definition.name, "name-localization", detail))
    for definition in commands:
        replacement = definition.deprecated.replacement if definition.deprecated else None
        if replacement is not None and (replacement.split() or [""])[0] not in known - {definition.name}:
            found.append(
                Problem(definition.name, "deprecation", f"replacement /{replacement} is not another defined command")
            )
    return found


def ensure_valid(commands: Iterable[CommandDefinition]) -> None:
    """Raise :class:`CommandValidationError` listing every problem, if there is any."""
    problems = validate(commands)
    if problems:
        raise CommandValidationError(problems)
