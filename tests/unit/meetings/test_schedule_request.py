"""What /kaltura-schedule (and POST /v1/meetings with scheduled_start) understands as a start and a duration."""

from __future__ import annotations

import pytest

from kaltura_discord.meetings.model import InvalidMeetingOptions
from kaltura_discord.meetings.schedule import ScheduleRequest, parse_duration, parse_start

NOW = 1_796_000_000.0  # 2026-11-30T...Z


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("in 30m", 1800),
        ("in 2h", 7200),
        ("in 1h30m", 5400),
        ("IN 1 hour 15 minutes", 4500),
        ("in 2d", 172800),
        ("45 min", 2700),
        ("in 2m", 120),
    ],
)
def test_relative_times(text: str, seconds: int) -> None:
    assert parse_start(text, NOW) == int(NOW) + seconds


@pytest.mark.parametrize(
    ("text", "epoch"),
    [
        ("2026-12-24T18:00+01:00", 1798131600),
        ("2026-12-24T17:00Z", 1798131600),
        ("2026-12-24 17:00:00+00:00", 1798131600),
        ("2026-12-24T12:00-05:00", 1798131600),
    ],
)
def test_absolute_times_with_an_offset(text: str, epoch: int) -> None:
    assert parse_start(text, NOW) == epoch


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("2026-12-24T18:00", "offset"),  # no offset: the bot cannot guess the zone
        ("2026-12-24", "offset"),  # a bare date: its "-24" is not an offset
        ("2026-12-24 18:00", "offset"),
        ("tomorrow at noon", "couldn't read"),
        ("", "Say when"),
        ("2020-01-01T00:00Z", "in the past"),
        ("in 30s", "couldn't read"),
        ("in 0m", "at least a minute"),
        ("in 400d", "more than a year"),
        ("2026-13-01T00:00Z", "couldn't read"),
    ],
)
def test_refusals_say_why(text: str, message: str) -> None:
    with pytest.raises(InvalidMeetingOptions, match=message):
        parse_start(text, NOW)


def test_refusals_never_echo_backticks_that_could_break_the_message() -> None:
    with pytest.raises(InvalidMeetingOptions) as caught:
        parse_start("`@everyone` soon", NOW)
    assert "``" not in str(caught.value).replace("`in 30m`", "")


@pytest.mark.parametrize(("value", "minutes"), [(None, 60), (5, 5), (1440, 1440), ("90", 90)])
def test_durations(value: object, minutes: int) -> None:
    assert parse_duration(value) == minutes


@pytest.mark.parametrize("value", [4, 1441, 0, -5, True, "1.5", 2.5])
def test_durations_outside_five_minutes_to_a_day_are_refused(value: object) -> None:
    with pytest.raises(InvalidMeetingOptions, match="minutes"):
        parse_duration(value)


def test_request_round_trips_through_the_job_payload() -> None:
    request = ScheduleRequest.parse("webinar", "  Town   hall ", "in 2h", 45, "Q&A", now=NOW)
    assert (request.meeting.title, request.start, request.duration_minutes) == ("Town hall", int(NOW) + 7200, 45)
    assert ScheduleRequest.from_payload(request.to_payload()) == request
