"""When a scheduled meeting starts and how long it lasts, as people type it: the rules, independent of Discord.

``start`` is an ISO 8601 time with an offset (``2026-12-24T18:00+01:00``, ``...Z``) or a relative time
(``in 30m``, ``in 2h``, ``in 1h30m``, ``in 2d``). A time without an offset is refused rather than guessed: the bot
cannot know the person's time zone. What was understood is echoed back as a Discord timestamp, which each reader
sees in their own time zone.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, Final

from kaltura_discord.i18n import lazy_gettext
from kaltura_discord.meetings.model import InvalidMeetingOptions, MeetingRequest

MIN_LEAD_SECONDS: Final = 60
"""The earliest start: a minute ahead (Discord refuses an event in the past, and the schedule needs time to exist)."""
MAX_LEAD_SECONDS: Final = 366 * 24 * 3600
DURATION_MIN, DURATION_MAX, DURATION_DEFAULT = 5, 24 * 60, 60
_RELATIVE = re.compile(r"^(?:in\s+)?((?:\d+\s*(?:d|h|m|min|mins|minutes?|hours?|days?)\s*)+)$", re.IGNORECASE)
_PART = re.compile(r"(\d+)\s*([a-z]+)", re.IGNORECASE)
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60}
_OFFSET = re.compile(r"(?:[zZ]|[+-]\d{2}(?::?\d{2})?)$")


def parse_start(text: Any, now: float) -> int:
    """The start (epoch seconds) that ``text`` names; InvalidMeetingOptions saying why when it names none, or a
    time in the past, less than a minute ahead, or more than a year ahead."""
    value = " ".join(str(text or "").split())
    if not value:
        raise InvalidMeetingOptions(
            lazy_gettext("Say when the meeting starts: `in 30m`, `in 2h`, or `2026-12-24T18:00+01:00`.")
        )
    relative = _RELATIVE.match(value)
    if relative:
        seconds = 0
        for amount, unit in _PART.findall(relative.group(1)):
            seconds += int(amount) * _UNIT_SECONDS[unit[0].lower()]
        start = int(now) + seconds
    else:
        start = _absolute(value)
    if start < now:
        raise InvalidMeetingOptions(
            lazy_gettext("<t:{start}:F> is in the past. Pick a time ahead, such as `in 30m`.", start=str(start))
        )
    if start < now + MIN_LEAD_SECONDS:
        raise InvalidMeetingOptions(
            lazy_gettext("A scheduled meeting starts at least a minute from now; use `/kaltura-start`.")
        )
    if start > now + MAX_LEAD_SECONDS:
        raise InvalidMeetingOptions(
            lazy_gettext("<t:{start}:F> is more than a year ahead. Pick a time within a year.", start=str(start))
        )
    return start


def _absolute(value: str) -> int:
    candidate = value.replace(" ", "T", 1) if "T" not in value and " " in value else value
    try:
        moment: dt.datetime | None = dt.datetime.fromisoformat(candidate.replace("z", "Z"))
    except ValueError:
        moment = None
    # A time without an offset (``2026-12-24T18:00``, or a bare date whose ``-24`` looks like one) is not guessed.
    if not _OFFSET.search(candidate) or (moment is not None and moment.tzinfo is None):
        raise InvalidMeetingOptions(
            lazy_gettext(
                "I couldn't read `{value}` as a start time. Use `in 30m` / `in 2h`, or an ISO 8601 time with its "
                "offset, such as `2026-12-24T18:00+01:00` or `2026-12-24T17:00Z` (the bot can't know your time zone).",
                value=_quote(value),
            )
        )
    if moment is None:
        raise InvalidMeetingOptions(
            lazy_gettext(
                "I couldn't read `{value}` as a start time. Use `in 30m` / `in 2h`, or an ISO 8601 time with its "
                "offset, such as `2026-12-24T18:00+01:00`.",
                value=_quote(value),
            )
        )
    return int(moment.timestamp())


def _quote(value: str) -> str:
    return value.replace("`", "'")[:60]


def parse_duration(value: Any) -> int:
    """Minutes, 5 to 1440 (24 h); 60 when not given."""
    if value is None or value == "":
        return DURATION_DEFAULT
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).strip().isdigit():
        raise InvalidMeetingOptions(
            lazy_gettext("The duration is in minutes, {min} to {max}.", min=DURATION_MIN, max=str(DURATION_MAX))
        )
    minutes = int(value)
    if not DURATION_MIN <= minutes <= DURATION_MAX:
        raise InvalidMeetingOptions(
            lazy_gettext(
                "The duration must be {min} minutes to 24 hours ({max} minutes); it was {minutes}.",
                min=DURATION_MIN,
                max=str(DURATION_MAX),  # as the command's own limits write it (1440, not 1,440)
                minutes=str(minutes),
            )
        )
    return minutes


@dataclass(frozen=True)
class ScheduleRequest:
    """A validated request to schedule a meeting: what it is, when it starts and ends (epoch seconds)."""

    meeting: MeetingRequest
    start: int
    end: int

    @property
    def duration_minutes(self) -> int:
        return (self.end - self.start) // 60

    @classmethod
    def parse(
        cls, type_: Any, title: Any, start: Any, duration: Any = None, description: Any = None, *, now: float
    ) -> ScheduleRequest:
        request = MeetingRequest.parse(type_, title, description)
        begins = parse_start(start, now)
        return cls(request, begins, begins + parse_duration(duration) * 60)

    @classmethod
    def from_payload(cls, payload: dict[str, Any]) -> ScheduleRequest:
        """As the interactions function handed it to the worker (already validated there)."""
        request = MeetingRequest.parse(payload.get("type"), payload.get("title"), payload.get("description"))
        return cls(request, int(payload["start"]), int(payload["end"]))

    def to_payload(self) -> dict[str, Any]:
        return {
            "type": self.meeting.type,
            "title": self.meeting.title,
            "description": self.meeting.description,
            "start": self.start,
            "end": self.end,
        }
