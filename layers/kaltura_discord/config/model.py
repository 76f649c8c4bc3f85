"""The guild configuration model: the one definition the schema, the docs and the key list come from.

Fields have no defaults on purpose: ``config/default_config.json`` holds them (deployers may edit it), and
the model only says what is valid. Models are strict (no "true" -> True coercion), reject unknown keys and
are frozen, because one effective config object is shared by every request of a container.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Any, Final, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, StringConstraints, model_validator
from pydantic.json_schema import JsonSchemaValue

from kaltura_discord import settings
from kaltura_discord.config.templates import TemplateKind, placeholders_for, validate_template

KalturaRole = Literal["viewer", "moderator", "admin"]
MeetingType = Literal["meeting", "webinar", "classroom"]
EndAction = Literal["none", "update", "delete"]
UnconfirmedStart = Literal["announce", "end"]
NotificationLocale = Literal["server", "en-us", "en-gb", "de", "fr", "es-es", "pt-br", "ja"]
"""``server`` (Discord's ``guild_locale``) or a language the bot ships (kaltura_discord.i18n, lowercase)."""
NotificationKind = Literal["meeting_started", "meeting_ended", "meeting_shared", "meeting_reminder", "recording_ready"]
CommandName = Literal[
    "kaltura-start",
    "kaltura-schedule",
    "kaltura-join",
    "kaltura-list",
    "kaltura-end",
    "kaltura-help",
    "kaltura-status",
    "kaltura-token",
]

KALTURA_ROLES: Final[tuple[KalturaRole, ...]] = ("viewer", "moderator", "admin")
ROLE_RANK: Final[dict[str, int]] = {role: rank for rank, role in enumerate(KALTURA_ROLES)}
NOTIFICATION_KINDS: Final[tuple[NotificationKind, ...]] = (
    "meeting_started",
    "meeting_ended",
    "meeting_shared",
    "meeting_reminder",
    "recording_ready",
)
CHANNEL_NOTIFICATIONS: Final[tuple[NotificationKind, ...]] = NOTIFICATION_KINDS[:4]
"""Posted in the notifications channel; ``recording_ready`` goes to the meeting's own channel."""
CONFIGURABLE_COMMANDS: Final[tuple[CommandName, ...]] = (
    "kaltura-start",
    "kaltura-schedule",
    "kaltura-join",
    "kaltura-list",
    "kaltura-end",
    "kaltura-help",
    "kaltura-status",
    "kaltura-token",
)
ALWAYS_ON_COMMANDS: Final = frozenset({"kaltura-config"})

SNOWFLAKE_PATTERN: Final = r"^[0-9]{17,20}$"
ENTRY_ID_PATTERN: Final = r"^(?:[0-9]{1,10}_[0-9a-zA-Z]{4,16})?$"
HOST_PATTERN: Final = r"^(?:(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63})?$"
MAX_ROLE_IDS: Final = 100
MAX_ROLE_MAPPINGS: Final = 250
DEFAULT_KAF_HOST_SUFFIXES: Final = ("kaltura.com",)


@dataclass(frozen=True, slots=True)
class _Kind:
    """Tags a field's JSON schema with ``x-kind`` so the key list knows how to parse and describe it."""

    name: str
    extra: tuple[tuple[str, Any], ...] = ()

    def __get_pydantic_json_schema__(self, core_schema: Any, handler: Any) -> JsonSchemaValue:
        schema: JsonSchemaValue = handler(core_schema)
        schema["x-kind"] = self.name
        schema.update(dict(self.extra))
        return schema


def kaf_host_suffixes() -> tuple[str, ...]:
    """Domains a KAF host may be under (env KAF_ALLOWED_HOST_SUFFIXES, comma-separated; kaltura.com)."""
    raw = settings.optional("KAF_ALLOWED_HOST_SUFFIXES")
    if raw is None:
        return DEFAULT_KAF_HOST_SUFFIXES
    return tuple(part.strip().lower().lstrip(".") for part in raw.split(",") if part.strip())


def check_kaf_host(host: str) -> str:
    """Join links carry a person's Kaltura session, so they may only point at an allowed domain."""
    if host == "":
        return host
    suffixes = kaf_host_suffixes()
    if not any(host == suffix or host.endswith("." + suffix) for suffix in suffixes):
        raise ValueError(f"must be a host under {', '.join(suffixes)} (join links carry Kaltura sessions)")
    return host


def check_url_template(value: str) -> str:
    """Only ``{entry_id}`` and ``{kaf_host}`` may be filled in, and ``{entry_id}`` must be there."""
    names = set(re.findall(r"\{([^{}]*)\}", value))
    if value and (not names <= {"entry_id", "kaf_host"} or "entry_id" not in names):
        raise ValueError("the recording URL template needs {entry_id} and may use {kaf_host}, nothing else")
    return value


def _template_check(kind: TemplateKind) -> AfterValidator:
    def check(value: str) -> str:
        return validate_template(value, kind)

    return AfterValidator(check)


def _template_kind(kind: TemplateKind) -> _Kind:
    return _Kind("template", (("x-template-kind", kind), ("x-placeholders", list(placeholders_for(kind)))))


_TEMPLATE_LENGTH = StringConstraints(min_length=1, max_length=2000)
MeetingStartedTemplate = Annotated[
    str, _TEMPLATE_LENGTH, _template_check("meeting_started"), _template_kind("meeting_started")
]
MeetingEndedTemplate = Annotated[
    str, _TEMPLATE_LENGTH, _template_check("meeting_ended"), _template_kind("meeting_ended")
]
MeetingSharedTemplate = Annotated[
    str, _TEMPLATE_LENGTH, _template_check("meeting_shared"), _template_kind("meeting_shared")
]
MeetingReminderTemplate = Annotated[
    str, _TEMPLATE_LENGTH, _template_check("meeting_reminder"), _template_kind("meeting_reminder")
]
RecordingReadyTemplate = Annotated[
    str, _TEMPLATE_LENGTH, _template_check("recording_ready"), _template_kind("recording_ready")
]
ShareTemplate = Annotated[str, _TEMPLATE_LENGTH, _template_check("share"), _template_kind("share")]

Snowflake = Annotated[str, StringConstraints(pattern=SNOWFLAKE_PATTERN), _Kind("snowflake")]
RECORDING_URL_PATTERN: Final = r"^(?:https://[A-Za-z0-9.{}_-]+(?:/[A-Za-z0-9._~{}%/-]*)?)?$"
RecordingUrlTemplate = Annotated[
    str,
    StringConstraints(pattern=RECORDING_URL_PATTERN, max_length=300),
    AfterValidator(check_url_template),
    _Kind("url_template"),
]
EntryId = Annotated[str, StringConstraints(pattern=ENTRY_ID_PATTERN, max_length=32), _Kind("entry_id")]
KafHost = Annotated[
    str, StringConstraints(pattern=HOST_PATTERN, max_length=253), AfterValidator(check_kaf_host), _Kind("host")
]
RoleIds = Annotated[tuple[Snowflake, ...], Field(max_length=MAX_ROLE_IDS)]


class _Section(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        strict=True,
        frozen=True,
        validate_by_alias=True,
        validate_by_name=False,
        serialize_by_alias=True,
    )


class AllowedMentions(_Section):
    """Who templates may ping; nobody by default."""

    everyone: bool = Field(
        description="Let templates ping @everyone and @here. Only text written in the template itself can ping, "
        "never a meeting title or a name."
    )
    roles: RoleIds = Field(
        description="Role ids that templates may ping by writing <@&role_id> in the template itself."
    )


class NotificationChannels(_Section):
    """Per-type channels; none means notifications.channel_id."""

    meeting_started: Snowflake | None = Field(description="Channel for 'meeting started' (none: channel_id).")
    meeting_ended: Snowflake | None = Field(description="Channel for 'meeting ended' (none: channel_id).")
    meeting_shared: Snowflake | None = Field(description="Channel for 'meeting shared' (none: channel_id).")
    meeting_reminder: Snowflake | None = Field(
        description="Channel for reminders of scheduled meetings (none: channel_id)."
    )


class NotificationTemplates(_Section):
    """Message templates per notification type (see Templates below)."""

    meeting_started: MeetingStartedTemplate = Field(description="Message posted when a meeting starts.")
    meeting_ended: MeetingEndedTemplate = Field(description="Message posted when a meeting ends.")
    meeting_shared: MeetingSharedTemplate = Field(description="Message posted when a meeting is shared.")
    meeting_reminder: MeetingReminderTemplate = Field(description="Message posted before a scheduled meeting.")
    recording_ready: RecordingReadyTemplate = Field(
        description="Message posted in the meeting's channel when its recording is ready."
    )


class Notifications(_Section):
    """Messages the bot posts when meetings start, end or are shared."""

    enabled: bool = Field(description="Post meeting notifications at all.")
    channel_id: Snowflake | None = Field(description="Default channel for every notification type.")
    meeting_started: bool = Field(description="Post when a meeting starts.")
    meeting_ended: bool = Field(description="Post when a meeting ends.")
    meeting_shared: bool = Field(description="Post when a meeting is shared.")
    meeting_reminder: bool = Field(description="Post a reminder before a scheduled meeting starts.")
    reminder_minutes: int = Field(ge=0, le=1440, description="Minutes before a scheduled start to remind (0: none).")
    recording_ready: bool = Field(
        description="Post the recording's link in the meeting's channel when it is ready (independent of enabled)."
    )
    locale: NotificationLocale = Field(
        description="Language of the bot's own words in notifications and meeting cards: server (the server's "
        "language, as Discord reports it) or a language code. Shipped templates the server kept follow it; templates "
        "an admin wrote stay as written."
    )
    channels: NotificationChannels
    templates: NotificationTemplates
    allowed_mentions: AllowedMentions

    @model_validator(mode="after")
    def _every_enabled_kind_has_a_channel(self) -> Notifications:
        if self.enabled:
            missing = [kind for kind in CHANNEL_NOTIFICATIONS if getattr(self, kind) and self._channel(kind) is None]
            if missing:
                verb = "has" if len(missing) == 1 else "have"
                raise ValueError(
                    f"notifications are enabled but {', '.join(missing)} {verb} no channel: set "
                    "notifications.channel_id (or notifications.channels.<type>), or turn that type off"
                )
        return self

    def _channel(self, kind: NotificationKind) -> str | None:
        specific: str | None = getattr(self.channels, kind, None)
        return specific or self.channel_id

    def channel_for(self, kind: NotificationKind) -> str | None:
        """Where to post ``kind``, or None when that notification is switched off."""
        if not self.enabled or not getattr(self, kind):
            return None
        return self._channel(kind)

    def template_for(self, kind: NotificationKind) -> str:
        template: str = getattr(self.templates, kind)
        return template


class CommandPolicy(_Section):
    """Whether a command is enabled and who may use it."""

    enabled: bool = Field(description="Whether the command can be used in this server.")
    allowed_role_ids: RoleIds = Field(description="If not empty, only members with one of these roles may use it.")

    def allows(self, member_role_ids: Iterable[str]) -> bool:
        """Enabled, and either open to everyone or the member has one of the allowed roles."""
        if not self.enabled:
            return False
        if not self.allowed_role_ids:
            return True
        allowed = self.allowed_role_ids
        return any(role in allowed for role in member_role_ids)


ALWAYS_ALLOWED: Final = CommandPolicy.model_validate_json('{"enabled": true, "allowed_role_ids": []}')


class TokenCommandPolicy(CommandPolicy):
    """/kaltura-token's switch and role limit (which also govern the REST API tokens it minted), and how long a
    token that can change the settings may live."""

    config_write_max_hours: int = Field(
        ge=1,
        le=24,
        description="Longest lifetime, in hours, of a new token with the config:write scope (at most 24; other "
        "scopes go up to 720).",
    )


class Commands(_Section):
    """Per command: enabled, and which roles may use it (empty list: everyone)."""

    kaltura_start: CommandPolicy = Field(alias="kaltura-start")
    kaltura_schedule: CommandPolicy = Field(alias="kaltura-schedule")
    kaltura_join: CommandPolicy = Field(alias="kaltura-join")
    kaltura_list: CommandPolicy = Field(alias="kaltura-list")
    kaltura_end: CommandPolicy = Field(alias="kaltura-end")
    kaltura_help: CommandPolicy = Field(alias="kaltura-help")
    kaltura_status: CommandPolicy = Field(alias="kaltura-status")
    kaltura_token: TokenCommandPolicy = Field(alias="kaltura-token")

    def policy(self, name: str) -> CommandPolicy:
        """The policy for a command name; ``kaltura-config`` is always allowed (Discord permissions gate it)."""
        if name in ALWAYS_ON_COMMANDS:
            return ALWAYS_ALLOWED
        if name not in CONFIGURABLE_COMMANDS:
            raise KeyError(name)
        policy: CommandPolicy = getattr(self, name.replace("-", "_"))
        return policy


class Roles(_Section):
    """How Discord roles map to Kaltura roles (viewer, moderator, admin) when people join meetings."""

    mapping: dict[Snowflake, KalturaRole] = Field(
        max_length=MAX_ROLE_MAPPINGS,
        json_schema_extra={"additionalProperties": False},
        description="Discord role id -> Kaltura role. A member gets the highest role among their mapped roles.",
    )
    default: KalturaRole = Field(description="Kaltura role of members with none of the mapped roles.")


class TemplateRooms(_Section):
    """Kaltura rooms whose settings new rooms copy, per meeting type."""

    meeting: EntryId = Field(description="Room whose settings new 'meeting' rooms copy (empty: plain room).")
    webinar: EntryId = Field(description="Room whose settings new 'webinar' rooms copy (empty: plain room).")
    classroom: EntryId = Field(description="Room whose settings new 'classroom' rooms copy (empty: plain room).")


class KalturaSettings(_Section):
    """How meetings are created, joined and ended on Kaltura."""

    template_room_ids: TemplateRooms
    kaf_base_url: KafHost = Field(
        description="KAF host for join links, like 1234567.kaf.kaltura.com (empty: {partner id}.kaf.kaltura.com)."
    )
    recording_url_template: RecordingUrlTemplate = Field(
        description="Link to a recording's page, with {entry_id} and {kaf_host}; empty: "
        "https://{kaf_host}/media/t/{entry_id}. Never a session: people open it signed in their usual way."
    )
    join_link_ttl_seconds: int = Field(ge=60, le=86400, description="How long a join link (its session) lasts.")
    end_action: EndAction = Field(
        description="What ending a meeting does to its Kaltura room: none, update (mark it ended) or delete."
    )
    unconfirmed_start: UnconfirmedStart = Field(
        description="When the meeting card cannot reach the person who started it: announce (post it in the "
        "channel with the bot) or end (end the meeting and remove its room)."
    )

    def kaf_host(self, partner_id: str) -> str:
        return self.kaf_base_url or f"{partner_id}.kaf.kaltura.com"


class MeetingLimits(_Section):
    """How much of the Kaltura account one server, and one member, may use (every server shares the account)."""

    max_active: int = Field(ge=1, le=200, description="Live meetings this server may have at once.")
    max_starts_per_member_per_hour: int = Field(
        ge=1, le=60, description="Meetings one member may start in a clock hour (commands and the REST API alike)."
    )
    max_scheduled: int = Field(
        ge=0,
        le=100,
        description="Scheduled meetings not started yet this server may have (0: /kaltura-schedule is off; Discord "
        "allows 100 upcoming events per server).",
    )
    share_cooldown_seconds: int = Field(
        ge=0, le=3600, description="How long a member waits before sharing the same meeting again (0: no wait)."
    )
    exempt_moderators: bool = Field(
        description="Exempt Kaltura moderators and admins (by role mapping) and Manage Server members from the "
        "per-member limits (starts per hour, share wait). The server-wide max_active always applies."
    )


class Share(_Section):
    """The public message the Share button posts."""

    template: ShareTemplate = Field(description="The public message posted by the Share button.")


class GuildConfig(_Section):
    """The effective configuration of one guild (defaults merged with its overrides)."""

    notifications: Notifications
    commands: Commands
    roles: Roles
    kaltura: KalturaSettings
    meetings: MeetingLimits
    share: Share

    def kaltura_role_for(self, member_role_ids: Iterable[str]) -> KalturaRole:
        """Highest Kaltura role among the member's mapped roles; ``roles.default`` when none is mapped."""
        mapping = self.roles.mapping
        best: KalturaRole | None = None
        for role_id in member_role_ids:
            role = mapping.get(role_id)
            if role is not None and (best is None or ROLE_RANK[role] > ROLE_RANK[best]):
                best = role
        return self.roles.default if best is None else best


def is_snowflake(text: str) -> bool:
    return re.fullmatch(SNOWFLAKE_PATTERN, text) is not None
