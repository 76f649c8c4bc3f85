"""The recording's message, the ended card's Attendance button and the attendance list, without any backend."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaltura_discord.bot import attendance, recordings
from kaltura_discord.bot.meetings import meeting_message
from kaltura_discord.config import effective_config, get_defaults
from kaltura_discord.meetings.attendance import Attendee, people
from kaltura_discord.meetings.model import Meeting
from kaltura_discord.meetings.recordings import POLL_MINUTES, Recording, owner_from_room
from tests.support.openapi import errors

pytestmark = pytest.mark.unit

CHANNEL, MESSAGE = "1000000000000000200", "1000000000000000777"


def ended(**changes: object) -> Meeting:
    base = Meeting(
        guild_id="1000000000000000100",
        meeting_id="ptc4k6dgjm",
        title="Weekly_sync @everyone",
        type="webinar",
        host_id="1000000000000000300",
        host_name="Ada",
        created_at=1_700_000_000,
        status="ended",
        room_id="0_room1234",
        channel_id=CHANNEL,
        message_id=MESSAGE,
        ended_at=1_700_003_600,
    )
    return base.with_changes(**changes)


RECORDING = Recording("0_rec12345", "0_room1234", "Weekly (recording)", 3725, True)


@pytest.fixture(autouse=True)
def _partner(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KALTURA_PARTNER_ID", "1234567")


@pytest.mark.parametrize(
    ("seconds", "text"),
    [(None, "unknown"), (-1, "unknown"), (0, "0 s"), (45, "45 s"), (60, "1 min"), (3725, "1 h 2 min"), (7200, "2 h")],
)
def test_durations_read_like_people_say_them(seconds: int | None, text: str) -> None:
    assert recordings.format_duration(seconds) == text


def test_the_link_is_the_entry_page_on_the_servers_kaf_host() -> None:
    defaults = get_defaults().config
    assert recordings.recording_url(defaults, "0_rec12345") == "https://1234567.kaf.kaltura.com/media/t/0_rec12345"
    custom = effective_config(
        {
            "kaltura": {
                "kaf_base_url": "school.kaf.kaltura.com",
                "recording_url_template": "https://{kaf_host}/id/{entry_id}",
            }
        }
    )
    assert recordings.recording_url(custom, "0_rec12345") == "https://school.kaf.kaltura.com/id/0_rec12345"
    with pytest.raises(ValueError, match="entry id"):
        recordings.recording_url(defaults, "0_rec/../x")


def test_the_message_replies_to_the_card_and_is_a_valid_create_message_body(shared: Path) -> None:
    config = get_defaults().config
    body = recordings.recording_message(config, ended(), RECORDING, CHANNEL)
    assert body["message_reference"] == {"message_id": MESSAGE, "fail_if_not_exists": False}
    assert "https://1234567.kaf.kaltura.com/media/t/0_rec12345" in body["content"]  # the link is left as it is
    assert "1 h 2 min" in body["content"] and "Weekly\\_sync" in body["content"]  # the title is escaped
    assert "@everyone" not in body["content"] and body["allowed_mentions"] == {"parse": []}
    assert errors(shared, "MessageCreateRequest", {**body, "nonce": "x" * 25, "enforce_nonce": True}) == []
    elsewhere = recordings.recording_message(config, ended(), RECORDING, "1000000000000000999")
    assert "message_reference" not in elsewhere  # a reply only in the card's own channel


def test_the_poll_backs_off_for_a_few_hours_and_each_attempt_is_its_own_job() -> None:
    assert POLL_MINUTES == (5, 15, 30, 60, 120, 240)
    first_name, first_at, first = recordings.poll_job(ended(), 0)
    last_name, last_at, last = recordings.poll_job(ended(), len(POLL_MINUTES) - 1)
    assert (first_at, last_at) == (1_700_003_600 + 300, 1_700_003_600 + 240 * 60)
    assert first_name != last_name and first.interaction_id != last.interaction_id
    assert (
        first.kind == "recording_poll"
        and first.token == ""
        and first.payload == {"meeting_id": "ptc4k6dgjm", "attempt": 0}
    )
    assert not recordings.schedule_poll(ended(), len(POLL_MINUTES))  # past the last attempt: nothing


def test_a_room_names_its_meeting_by_reference_id_and_guild_tag() -> None:
    owner = owner_from_room("ptc4k6dgjm", ("kaltura-discord", "discord-guild-1000000000000000100", "meeting-type-x"))
    assert owner is not None and (owner.guild_id, owner.meeting_id) == ("1000000000000000100", "ptc4k6dgjm")
    assert owner_from_room(None, ("discord-guild-1",)) is None
    assert owner_from_room("ptc4k6dgjm", ("discord-guild-1", "discord-guild-2")) is None
    assert owner_from_room("ptc4k6dgjm", ("discord-guild-not-a-number",)) is None


def test_the_ended_card_offers_the_attendance_list(shared: Path) -> None:
    body = meeting_message(ended())
    [row] = body["components"]
    assert [b["custom_id"] for b in row["components"]] == ["meeting-attendance:ptc4k6dgjm"]
    assert errors(shared, "MessageCreateRequest", body) == []


def test_the_attendance_list_marks_hosts_and_moderators() -> None:
    joined = [
        Attendee("1000000000000000300", "Ada", "moderator", True, 1_700_000_060, 1_700_000_900, 2),
        Attendee("1000000000000000301", "Grace", "moderator", False, 1_700_000_100, 1_700_000_100, 1),
        Attendee("1000000000000000302", "Lin", "viewer", False, 1_700_000_200, 1_700_000_200, 1),
    ]
    embed = attendance.attendance_embed(ended(), joined)
    lines = str(embed["description"]).split("\n")
    assert lines[0].startswith("<@1000000000000000300> (host)") and "opened 2 times" in lines[0]
    assert "(moderator)" in lines[1] and "opened once" in lines[2] and "(" not in lines[2].split("\u00b7")[0]
    assert people(1) == "1 person" and people(3) == "3 people"
    many = str(attendance.attendance_embed(ended(), joined * 20)["description"])
    listed = many.count("<@")
    assert (
        len(many) <= 4096
        and 0 < listed < 60
        and many.endswith(f"and {60 - listed} more (the REST API lists everyone).")
    )
