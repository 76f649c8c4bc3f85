"""Every slash command, defined once: the router, ``/kaltura-help``, registration, the manifest and the docs
all read these definitions.

Stdlib only, so importing it costs nothing on the interaction path.

Versions follow semantic versioning per command (see ``docs/versioning.md``): removing or renaming a command or
an option, making an option required, removing a choice or changing an option's type needs a major bump; adding
an optional option or a choice is a minor bump; a description change is a patch, and so is a change of wording in
a translation (the names and descriptions Discord shows in other languages).

Names, descriptions and choice names are written here in English; their translations are in the message catalogs
(:mod:`kaltura_discord.i18n`, message contexts ``name``, ``description`` and ``choice``) and go to Discord as
``name_localizations`` and ``description_localizations``. A name whose translation is the English name itself
stays English in that language.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from kaltura_discord import i18n
from kaltura_discord.i18n import lazy_gettext

if TYPE_CHECKING:
    from kaltura_discord.i18n import Translator

# Application command option types (docs/application-commands.mdx, "Application Command Option Type").
SUB_COMMAND: Final = 1
SUB_COMMAND_GROUP: Final = 2
STRING: Final = 3
INTEGER: Final = 4
BOOLEAN: Final = 5
USER: Final = 6
CHANNEL: Final = 7
ROLE: Final = 8
MENTIONABLE: Final = 9
NUMBER: Final = 10
ATTACHMENT: Final = 11

OPTION_TYPE_NAMES: Final[dict[int, str]] = {
    SUB_COMMAND: "subcommand",
    SUB_COMMAND_GROUP: "subcommand group",
    STRING: "string",
    INTEGER: "integer",
    BOOLEAN: "boolean",
    USER: "user",
    CHANNEL: "channel",
    ROLE: "role",
    MENTIONABLE: "mentionable",
    NUMBER: "number",
    ATTACHMENT: "attachment",
}

CHAT_INPUT: Final = 1
"""Application command type 1: a slash command."""

GUILD: Final = 0
"""Interaction context type 0 (a server) and, for ``integration_types``, installation type 0 (GUILD_INSTALL)."""

MANAGE_GUILD: Final = "32"
"""Permission bit 1 << 5, shown as "Manage Server" in Discord."""


@dataclass(frozen=True)
class Choice:
    name: str
    value: str | int

    def to_discord(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"name": self.name, "value": self.value}
        return _localized(payload, name=(self.name, i18n.CHOICE))


@dataclass(frozen=True)
class Option:
    name: str
    description: str
    type: int
    required: bool = False
    choices: tuple[Choice, ...] = ()
    autocomplete: bool = False
    min_length: int | None = None
    max_length: int | None = None
    min_value: int | float | None = None
    max_value: int | float | None = None
    options: tuple[Option, ...] = ()
    """Nested options, for subcommands and subcommand groups only."""

    def to_discord(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"type": self.type, "name": self.name, "description": self.description}
        _localized(payload, name=(self.name, i18n.NAME), description=self.description)
        if self.required:
            payload["required"] = True
        if self.choices:
            payload["choices"] = [choice.to_discord() for choice in self.choices]
        if self.autocomplete:
            payload["autocomplete"] = True
        for key in ("min_length", "max_length", "min_value", "max_value"):
            value = getattr(self, key)
            if value is not None:
                payload[key] = value
        if self.options:
            payload["options"] = [option.to_discord() for option in self.options]
        return payload


@dataclass(frozen=True)
class Deprecation:
    message: str
    replacement: str | None
    """The command (and subcommand) to use instead, without the slash: ``"kaltura-list"``."""


@dataclass(frozen=True)
class CommandDefinition:
    name: str
    description: str
    version: str
    """``major.minor.patch``, bumped by the rules in docs/versioning.md."""
    options: tuple[Option, ...] = ()
    default_member_permissions: str | None = None
    """Permission bits a member needs (a decimal string, as Discord returns it); None: everyone."""
    contexts: tuple[int, ...] = (GUILD,)
    integration_types: tuple[int, ...] = (GUILD,)
    deprecated: Deprecation | None = None
    migration: str | None = None
    """For a major version: what changed and what to type now. docs/commands.md shows it, and a member who still
    uses the old shape (a Discord client that has not refreshed its commands) is told it with the answer."""

    def to_discord(self) -> dict[str, Any]:
        """One item of the bulk-overwrite body (``ApplicationCommandUpdateRequest``).

        ``default_member_permissions`` goes out as an integer: Discord accepts the string or the number, and
        its OpenAPI description types the request field as an integer (responses carry a string).
        """
        permissions = self.default_member_permissions
        payload: dict[str, Any] = {
            "type": CHAT_INPUT,
            "name": self.name,
            "description": self.description,
        }
        _localized(payload, name=(self.name, i18n.NAME), description=self.description)
        payload |= {
            "options": [option.to_discord() for option in self.options],
            "default_member_permissions": None if permissions is None else int(permissions),
            "contexts": list(self.contexts),
            "integration_types": list(self.integration_types),
        }
        return payload


def _localized(payload: dict[str, Any], *, name: tuple[str, str], description: str | None = None) -> dict[str, Any]:
    """Add ``name_localizations`` (and ``description_localizations``) from the catalogs, where there are any."""
    names = i18n.localizations(*name)
    if names:
        payload["name_localizations"] = names
    descriptions = i18n.localizations(description, i18n.DESCRIPTION) if description is not None else {}
    if descriptions:
        payload["description_localizations"] = descriptions
    return payload


def _string(name: str, description: str, **kwargs: Any) -> Option:
    return Option(name=name, description=description, type=STRING, **kwargs)


_MEETING_TYPES = (Choice("Meeting", "meeting"), Choice("Webinar", "webinar"), Choice("Classroom", "classroom"))
_CONFIG_SECTIONS = tuple(Choice(section.capitalize(), section) for section in ("notifications", "commands", "roles"))
_KALTURA_SECTION = Choice("Kaltura", "kaltura")
_MEETINGS_SECTION = Choice("Meetings", "meetings")
_SHARE_SECTION = Choice("Share", "share")

COMMANDS: tuple[CommandDefinition, ...] = (
    CommandDefinition(
        name="kaltura-help",
        description="What this bot can do",
        version="1.0.1",
    ),
    CommandDefinition(
        name="kaltura-status",
        description="Check the bot's health: Kaltura and storage reachability",
        version="1.0.1",
        default_member_permissions=MANAGE_GUILD,
    ),
    CommandDefinition(
        name="kaltura-start",
        description="Start a Kaltura meeting, webinar or classroom",
        version="1.0.1",
        options=(
            _string("type", "What kind of session to start", required=True, choices=_MEETING_TYPES),
            _string("title", "The session's title", required=True, min_length=3, max_length=100),
            _string("description", "What the session is about", max_length=500),
        ),
    ),
    CommandDefinition(
        name="kaltura-schedule",
        description="Schedule a Kaltura meeting as a Discord event, with a reminder before it starts",
        version="1.0.0",
        options=(
            _string("type", "What kind of session to schedule", required=True, choices=_MEETING_TYPES),
            _string("title", "The session's title", required=True, min_length=3, max_length=100),
            _string(
                "start",
                "When: in 30m, in 2h, or a time with its offset such as 2026-12-24T18:00+01:00",
                required=True,
                max_length=60,
            ),
            Option(
                name="duration",
                description="How long it lasts, in minutes (5-1440; default 60)",
                type=INTEGER,
                min_value=5,
                max_value=1440,
            ),
            _string("description", "What the session is about", max_length=500),
        ),
    ),
    CommandDefinition(
        name="kaltura-join",
        description="Get your personal link to join a meeting",
        version="1.0.1",
        options=(_string("meeting", "The meeting to join", required=True, autocomplete=True),),
    ),
    CommandDefinition(
        name="kaltura-list",
        description="List this server's active meetings",
        version="1.0.1",
    ),
    CommandDefinition(
        name="kaltura-end",
        description="End a meeting you started",
        version="1.0.1",
        options=(_string("meeting", "The meeting to end", required=True, autocomplete=True),),
    ),
    CommandDefinition(
        name="kaltura-config",
        description="View or change this server's bot settings",
        version="1.1.0",
        default_member_permissions=MANAGE_GUILD,
        options=(
            Option(
                name="view",
                description="Show the current settings",
                type=SUB_COMMAND,
                options=(
                    _string(
                        "section",
                        "Only this section",
                        choices=(*_CONFIG_SECTIONS, _KALTURA_SECTION, _MEETINGS_SECTION, _SHARE_SECTION),
                    ),
                ),
            ),
            Option(
                name="set",
                description="Change one setting",
                type=SUB_COMMAND,
                options=(
                    _string("key", "The setting to change", required=True, autocomplete=True),
                    _string("value", "Its new value", required=True, autocomplete=True, max_length=2000),
                ),
            ),
            Option(
                name="reset",
                description="Put a section back to its defaults",
                type=SUB_COMMAND,
                options=(
                    _string(
                        "section",
                        "The section to reset",
                        required=True,
                        choices=(
                            *_CONFIG_SECTIONS,
                            _KALTURA_SECTION,
                            _MEETINGS_SECTION,
                            _SHARE_SECTION,
                            Choice("All", "all"),
                        ),
                    ),
                ),
            ),
        ),
    ),
    CommandDefinition(
        name="kaltura-token",
        description="Create, list and revoke this server's REST API tokens",
        version="2.0.0",
        default_member_permissions=MANAGE_GUILD,
        options=(
            Option(
                name="create",
                description="Mint a REST API token that acts as you in this server",
                type=SUB_COMMAND,
                options=(
                    _string(
                        "scopes",
                        "What the token may do (default: read meetings)",
                        choices=(
                            Choice("Read meetings", "meetings:read"),
                            Choice("Read and manage meetings", "meetings:read meetings:write"),
                            Choice(
                                "Read and manage meetings, change settings",
                                "meetings:read meetings:write config:write",
                            ),
                        ),
                    ),
                    Option(
                        name="lifetime_hours",
                        description="Hours until the token expires (1-720; at most 24 when it can change settings)",
                        type=INTEGER,
                        min_value=1,
                        max_value=720,
                    ),
                ),
            ),
            Option(
                name="list",
                description="This server's live tokens: id, scopes, who minted them, expiry (never the tokens)",
                type=SUB_COMMAND,
            ),
            Option(
                name="revoke",
                description="Revoke a token by its short id, or all of this server's tokens",
                type=SUB_COMMAND,
                options=(
                    _string(
                        "token",
                        "The short id from /kaltura-token list, or all",
                        required=True,
                        autocomplete=True,
                        max_length=64,
                    ),
                ),
            ),
        ),
        migration=lazy_gettext(
            "`/kaltura-token` now has subcommands: what it did is `/kaltura-token create` (the same `scopes` "
            "and `lifetime_hours`); `/kaltura-token list` shows the server's live tokens and `/kaltura-token revoke` "
            "takes one (or all) back. Tokens that can change settings live at most 24 hours, and tokens minted before "
            "2.0.0 are not on record, so they no longer work: mint new ones."
        ),
    ),
)

_BY_NAME: dict[str, CommandDefinition] = {command.name: command for command in COMMANDS}


def get(name: str) -> CommandDefinition | None:
    """The definition of the command called ``name`` (without the slash), or None."""
    return _BY_NAME.get(name)


def has_subcommands(definition: CommandDefinition) -> bool:
    return any(option.type in (SUB_COMMAND, SUB_COMMAND_GROUP) for option in definition.options)


def old_shape_notice(
    definition: CommandDefinition, subcommand: tuple[str, ...], t: Translator | None = None
) -> str | None:
    """The line to append to the answer when a command with subcommands is called without one: the shape of an
    older major version, sent by a Discord client that has not refreshed its commands yet. In English unless a
    translator is given."""
    if definition.migration is None or subcommand or not has_subcommands(definition):
        return None
    t = t or i18n.translator(None)
    return t.gettext(
        "You used the old form of `/{command}` (before {version}). {migration}",
        command=definition.name,
        version=definition.version,
        migration=t.render(definition.migration),
    )


def deprecation_notice(definition: CommandDefinition, t: Translator | None = None) -> str | None:
    """The line to append, ephemerally, to a deprecated command's reply; None when it is not deprecated. In English
    unless a translator is given (the deprecation's own message is translated when it is a lazy text)."""
    deprecation = definition.deprecated
    if deprecation is None:
        return None
    t = t or i18n.translator(None)
    notice = t.gettext("`/{command}` is deprecated and will be removed in a future version.", command=definition.name)
    if deprecation.message:
        notice += f" {t.render(deprecation.message).strip()}"
    if deprecation.replacement:
        notice += " " + t.gettext("Use `/{command}` instead.", command=deprecation.replacement)
    return notice
