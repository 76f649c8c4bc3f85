from __future__ import annotations

from pathlib import Path

import pytest

from kaltura_discord.bot.meetings import PAGE_SIZE, list_page, meeting_message
from kaltura_discord.meetings.model import InvalidMeetingOptions, Meeting, MeetingRequest, meeting_id_for
from kaltura_discord.meetings.repository import LivePage
from kaltura_discord.meetings.service import split_name
from tests.support.openapi import errors

pytestmark = pytest.mark.unit


def meeting(n: int = 0, **changes: object) -> Meeting:
    base = Meeting(
        guild_id="1",
        meeting_id=meeting_id_for(str(n)),
        title=f"Meeting {n}",
        type="meeting",
        host_id="1000000000000000300",
        host_name="Host",
        created_at=1_700_000_000 + n,
        status="active",
        room_id="0_abcd1234",
    )
    return base.with_changes(**changes)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("party", "Valid title"), "type must be one of"),
        (("meeting", "ab"), "3 to 100"),
        (("meeting", "   \t  "), "3 to 100"),
        (("meeting", "x" * 101), "3 to 100"),
        (("meeting", None), "3 to 100"),
        (("meeting", "Fine", "d" * 501), "at most 500"),
    ],
)
def test_invalid_options_are_refused_with_a_reason(args: tuple, message: str) -> None:
    with pytest.raises(InvalidMeetingOptions, match=message):
        MeetingRequest.parse(*args)


def test_title_whitespace_is_normalised() -> None:
    assert MeetingRequest.parse("webinar", "  Big \n  launch  ").title == "Big launch"


def test_meeting_ids_are_stable_short_and_distinct() -> None:
    assert meeting_id_for("123") == meeting_id_for("123")
    assert meeting_id_for("123") != meeting_id_for("124")
    assert len(meeting_id_for("123")) == 10 and meeting_id_for("123").isalnum()


def test_active_message_has_join_share_end_and_escapes_description() -> None:
    body = meeting_message(meeting(description="**bold** @everyone"))
    assert [b["label"] for b in body["components"][0]["components"]] == ["Join", "Share", "End"]
    assert "**bold**" not in body["embeds"][0]["description"]
    assert "@everyone" not in body["embeds"][0]["description"]
    assert body["allowed_mentions"] == {"parse": []}


def test_ended_message_has_only_the_attendance_button() -> None:
    body = meeting_message(meeting(status="ended", ended_at=1_700_000_100))
    [row] = body["components"]
    assert [(b["label"], b["custom_id"]) for b in row["components"]] == [
        ("Attendance", f"meeting-attendance:{meeting_id_for('0')}")
    ]
    assert body["embeds"][0]["fields"][2]["value"] == "Ended"


def page_of(count: int, *, newer: str | None = None, older: str | None = None, total: int | None = None) -> LivePage:
    return LivePage([meeting(n) for n in range(count)], count if total is None else total, newer, older)


def test_list_pages_carry_cursors_into_the_live_index() -> None:
    first = list_page(page_of(PAGE_SIZE, older="CUR1", total=PAGE_SIZE * 2 + 1), 1)
    assert len(first["components"][0]["components"]) == PAGE_SIZE
    previous, following = first["components"][2]["components"]
    assert (previous["disabled"], following["disabled"]) == (True, False)
    assert following["custom_id"] == "meetings-page:2:older:CUR1"
    assert first["embeds"][0]["title"] == f"Live meetings ({PAGE_SIZE * 2 + 1})"
    last = list_page(page_of(1, newer="CUR9", total=PAGE_SIZE * 2 + 1), 3)
    assert last["embeds"][0]["footer"]["text"] == "Page 3 of 3"
    previous, following = last["components"][2]["components"]
    assert previous["custom_id"] == "meetings-page:2:newer:CUR9" and following["disabled"] is True
    assert previous["custom_id"] != following["custom_id"]  # Discord needs custom ids unique in a message
    assert len(last["components"][0]["components"]) == 1


def test_list_pages_offer_each_meetings_attendance() -> None:
    joins, attendance = list_page(page_of(3), 1)["components"]
    assert [b["custom_id"] for b in attendance["components"]] == [
        b["custom_id"].replace("meeting-join:", "meeting-attendance:") for b in joins["components"]
    ]


def test_single_page_has_no_navigation_and_empty_list_says_how_to_start() -> None:
    assert len(list_page(page_of(1), 1)["components"]) == 2  # joins and attendance, no page buttons
    assert "/kaltura-start" in list_page(page_of(0), 1)["content"]


def test_messages_validate_against_the_spec(shared: Path) -> None:
    bodies = (
        meeting_message(meeting()),
        list_page(page_of(5, older="x", newer="y", total=12), 2),
        list_page(page_of(0), 1),
    )
    for body in bodies:
        assert errors(shared, "IncomingWebhookUpdateRequestPartial", body) == []


@pytest.mark.parametrize(
    ("name", "expected"), [("Ada Lovelace", ("Ada", "Lovelace")), ("Cher", ("Cher", "")), ("", ("Member", ""))]
)
def test_display_names_split_into_first_and_last(name: str, expected: tuple[str, str]) -> None:
    assert split_name(name) == expected
