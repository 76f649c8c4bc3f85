"""What a meeting is, and the rules its options follow."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass, field, replace
from typing import Any, Final, Literal

from kaltura_discord.i18n import lazy_gettext

MeetingType = Literal["meeting", "webinar", "classroom"]
MeetingStatus = Literal["scheduled", "creating", "active", "ended", "failed", "cancelled"]
MEETING_TYPES: Final[tuple[MeetingType, ...]] = ("meeting", "webinar", "classroom")
TITLE_MIN, TITLE_MAX, DESCRIPTION_MAX = 3, 100, 500


class MeetingError(Exception):
    """The one error type of the meetings domain; its message is written for the person who asked.

    The message is usually a lazy :class:`~kaltura_discord.i18n.Message`: as a ``str`` (``str(exc)``, what the
    REST API shows) it is English; the bot shows :attr:`text` in the member's language
    (``i18n.for_reply(interaction).render(exc.text)``)."""

    @property
    def text(self) -> str:
        """The message as raised (a lazy :class:`~kaltura_discord.i18n.Message` stays one)."""
        first = self.args[0] if self.args else ""
        return first if isinstance(first, str) else str(self)


class MeetingNotFound(MeetingError):
    pass


class MeetingAlreadyEnded(MeetingError):
    pass


class MeetingNotStarted(MeetingError):
    """A scheduled meeting, asked for before its start."""


class MeetingPermissionDenied(MeetingError):
    pass


class InvalidMeetingOptions(MeetingError):
    pass


class MeetingLimitReached(MeetingError):
    """A server or member limit (``meetings.*`` in the guild's config) refuses this; ``retry_at`` is when it frees,
    when that is known (epoch seconds)."""

    def __init__(self, message: str, retry_at: int | None = None) -> None:
        super().__init__(message)
        self.retry_at = retry_at


class MeetingBackendUnavailable(MeetingError):
    """Kaltura or storage did not answer; nothing was left half-written."""


def meeting_id_for(request_id: str) -> str:
    """A short, stable id derived from the request (the interaction id), so a repeated job reuses it."""
    digest = hashlib.sha256(f"meeting:{request_id}".encode()).digest()
    return base64.b32encode(digest).decode().lower()[:10]


@dataclass(frozen=True)
class MeetingRequest:
    """A validated request to start a meeting."""

    type: MeetingType
    title: str
    description: str

    @classmethod
    def parse(cls, type_: Any, title: Any, description: Any = None) -> MeetingRequest:
        if type_ not in MEETING_TYPES:
            raise InvalidMeetingOptions(
                lazy_gettext("The meeting type must be one of {types}.", types=", ".join(MEETING_TYPES))
            )
        clean_title = " ".join(str(title or "").split())
        if not TITLE_MIN <= len(clean_title) <= TITLE_MAX:
            raise InvalidMeetingOptions(
                lazy_gettext(
                    "The title must be {min} to {max} characters long (it has {length}).",
                    min=TITLE_MIN,
                    max=TITLE_MAX,
                    length=len(clean_title),
                )
            )
        clean_description = str(description or "").strip()
        if len(clean_description) > DESCRIPTION_MAX:
            raise InvalidMeetingOptions(
                lazy_gettext(
                    "The description can be at most {max} characters (it has {length}).",
                    max=DESCRIPTION_MAX,
                    length=len(clean_description),
                )
            )
        return cls(type_, clean_title, clean_description)


@dataclass(frozen=True)
class Meeting:
    guild_id: str
    meeting_id: str
    title: str
    type: MeetingType
    host_id: str
    host_name: str
    created_at: float
    status: MeetingStatus = "creating"
    description: str = ""
    room_id: str | None = None
    channel_id: str | None = None
    message_id: str | None = None
    ended_at: int | None = None
    ended_by: str | None = None
    cleanup_pending: str | None = None
    """The end action (update/delete) Kaltura failed when the meeting ended, still to be applied."""
    scheduled_start: int | None = None
    """For a scheduled meeting: when it starts (epoch seconds); None for one started at once."""
    scheduled_end: int | None = None
    event_id: str | None = None
    """The Discord Guild Scheduled Event that announces a scheduled meeting."""
    guild_locale: str | None = None
    """The server's language (Discord's ``guild_locale``) when the meeting was started or scheduled: what its card
    and channel messages are written in when no interaction is there to say (a scheduled start, a reminder, a
    recording). None for a meeting started over the REST API, or recorded before it was kept."""
    extra: dict[str, Any] = field(default_factory=dict, compare=False)

    @property
    def short_id(self) -> str:
        return self.meeting_id[:6]

    @property
    def is_active(self) -> bool:
        return self.status == "active"

    @property
    def is_scheduled(self) -> bool:
        """Planned and not started yet."""
        return self.status == "scheduled"

    def with_changes(self, **changes: Any) -> Meeting:
        return replace(self, **changes)
