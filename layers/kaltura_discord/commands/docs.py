"""docs/commands.md, rendered from the definitions (regenerate with scripts/generate_command_docs.py --write)."""

from __future__ import annotations

from collections.abc import Iterable

from kaltura_discord import i18n
from kaltura_discord.commands.definitions import (
    OPTION_TYPE_NAMES,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    CommandDefinition,
    Option,
    deprecation_notice,
)

# The permission bits a command here might need, named as Discord's client shows them.
PERMISSION_NAMES: dict[int, str] = {
    1 << 3: "Administrator",
    1 << 4: "Manage Channels",
    1 << 5: "Manage Server",
    1 << 13: "Manage Messages",
    1 << 28: "Manage Roles",
    1 << 33: "Manage Events",
}
_CONTEXT_NAMES = {0: "servers", 1: "the bot's DMs", 2: "private channels"}
_INTEGRATION_NAMES = {0: "server install", 1: "user install"}


def permission_text(permissions: str | None) -> str:
    if permissions is None:
        return "everyone"
    bits = int(permissions)
    if bits == 0:
        return "administrators only"
    names = [name for bit, name in sorted(PERMISSION_NAMES.items()) if bits & bit]
    names += [
        f"permission bit {bit}"
        for bit in range(bits.bit_length())
        if bits & (1 << bit) and 1 << bit not in PERMISSION_NAMES
    ]
    return " + ".join(names)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _constraints(option: Option) -> str:
    parts: list[str] = []
    if option.choices:
        parts.append("one of " + ", ".join(f"{_cell(c.name)} (`{_cell(str(c.value))}`)" for c in option.choices))
    if option.autocomplete:
        parts.append("suggestions as you type")
    if option.min_length is not None or option.max_length is not None:
        low, high = option.min_length, option.max_length
        if low is not None and high is not None:
            parts.append(f"{low}-{high} characters")
        elif high is not None:
            parts.append(f"at most {high} characters")
        else:
            parts.append(f"at least {low} characters")
    if option.min_value is not None or option.max_value is not None:
        low_value, high_value = option.min_value, option.max_value
        if low_value is not None and high_value is not None:
            parts.append(f"{low_value} to {high_value}")
        elif high_value is not None:
            parts.append(f"at most {high_value}")
        else:
            parts.append(f"at least {low_value}")
    return "; ".join(parts) or "-"


def names_elsewhere(name: str, prefix: str = "") -> str:
    """The translated names of a command, subcommand or option, grouped by name: ``titel`` (de), ``título``
    (es-ES, pt-BR); empty when every language keeps the English name."""
    by_name: dict[str, list[str]] = {}
    for locale, localized in i18n.localizations(name, i18n.NAME).items():
        by_name.setdefault(localized, []).append(locale)
    return ", ".join(f"`{prefix}{localized}` ({', '.join(locales)})" for localized, locales in by_name.items())


def _option_names_elsewhere(options: Iterable[Option]) -> list[str]:
    found = [(option.name, names_elsewhere(option.name)) for option in options]
    shown = "; ".join(f"`{name}`: {names}" for name, names in found if names)
    return [f"Option names in other languages: {shown}.", ""] if shown else []


def _usage(prefix: str, options: Iterable[Option]) -> str:
    words = [prefix]
    for option in options:
        words.append(f"{option.name}:…" if option.required else f"[{option.name}:…]")
    return "`" + " ".join(words) + "`"


def _options_table(options: tuple[Option, ...]) -> list[str]:
    lines = ["| Option | Type | Required | Description | Accepts |", "|---|---|---|---|---|"]
    for option in options:
        lines.append(
            f"| `{option.name}` | {OPTION_TYPE_NAMES.get(option.type, str(option.type))} |"
            f" {'yes' if option.required else 'no'} | {_cell(option.description)} | {_constraints(option)} |"
        )
    return lines


def _subcommand_section(prefix: str, option: Option, level: int) -> list[str]:
    anchor = f"{prefix} {option.name}".lstrip("/").replace(" ", "-")
    lines = [f"{'#' * level} `{prefix} {option.name}` {{#{anchor}}}", "", option.description, ""]
    elsewhere = names_elsewhere(option.name)
    if elsewhere:
        lines += [f"In other languages: {elsewhere}.", ""]
    if option.type == SUB_COMMAND_GROUP:
        for child in option.options:
            lines += _subcommand_section(f"{prefix} {option.name}", child, level + 1)
        return lines
    lines += [f"Usage: {_usage(f'{prefix} {option.name}', option.options)}", ""]
    if option.options:
        lines += [*_options_table(option.options), "", *_option_names_elsewhere(option.options)]
    return lines


def _command_section(definition: CommandDefinition) -> list[str]:
    name = f"/{definition.name}"
    lines = [f"## `{name}` {{#{definition.name}}}", "", definition.description, ""]
    notice = deprecation_notice(definition)
    if notice is not None:
        lines += ['!!! warning "Deprecated"', "", f"    {notice}", ""]
    if definition.migration:
        major = definition.version.split(".", 1)[0]
        lines += [f'!!! note "Changed in {major}.0.0"', "", f"    {definition.migration}", ""]
    lines += [
        f"- Version: **{definition.version}**",
        f"- Who can use it: {permission_text(definition.default_member_permissions)}"
        + (
            " (server admins can change this under Server Settings > Integrations)"
            if definition.default_member_permissions
            else ""
        ),
        f"- Where: {', '.join(_CONTEXT_NAMES.get(c, str(c)) for c in definition.contexts)}"
        f" ({', '.join(_INTEGRATION_NAMES.get(i, str(i)) for i in definition.integration_types)})",
    ]
    elsewhere = names_elsewhere(definition.name, "/")
    lines += [f"- In other languages: {elsewhere or 'the English name everywhere'}", ""]
    subcommands = [option for option in definition.options if option.type in (SUB_COMMAND, SUB_COMMAND_GROUP)]
    if subcommands:
        for option in subcommands:
            lines += _subcommand_section(name, option, 3)
    else:
        lines += [f"Usage: {_usage(name, definition.options)}", ""]
        if definition.options:
            lines += [*_options_table(definition.options), "", *_option_names_elsewhere(definition.options)]
    return lines


def render(commands: Iterable[CommandDefinition]) -> str:
    """The whole of docs/commands.md."""
    commands = list(commands)
    lines = [
        "<!-- Generated from layers/kaltura_discord/commands/definitions.py by"
        " scripts/generate_command_docs.py --write. Do not edit by hand. -->",
        "",
        "# Commands",
        "",
        "Every slash command the bot registers. Commands work in servers only. Each command has its own version;",
        "[Versioning and compatibility](versioning.md) explains what a version bump means.",
        "",
        "Discord shows each command's names and descriptions in the member's language where the bot has a",
        f"translation ({', '.join(i18n.SHIPPED)}; `en-GB` sees English): see [Localization](localization.md).",
        "Names are translated only where a natural word exists (Japanese keeps every English name). This page and",
        "the bot's replies use the English names, the ones every interaction carries; `/kaltura-help` shows both.",
        "",
        "| Command | What it does | Who can use it | Version |",
        "|---|---|---|---|",
    ]
    for definition in commands:
        status = " (deprecated)" if definition.deprecated else ""
        lines.append(
            f"| [`/{definition.name}`](#{definition.name}){status} | {_cell(definition.description)} |"
            f" {permission_text(definition.default_member_permissions)} | {definition.version} |"
        )
    lines.append("")
    for definition in commands:
        lines += _command_section(definition)
    return "\n".join(lines).rstrip("\n") + "\n"
