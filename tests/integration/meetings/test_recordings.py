"""Recordings posted back and attendance, on moto's DynamoDB, the Kaltura sandbox and the Discord stand-in: each
recording is posted once whichever way the bot hears of it; the poll backs off and stops; attendance is counted."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kaltura_discord.bot import attendance, recordings
from kaltura_discord.bot.ended import after_end
from kaltura_discord.bot.jobs import Job
from kaltura_discord.config import config_service, get_config, set_config_service
from kaltura_discord.discord.rest import DiscordError, DiscordRest, get_rest
from kaltura_discord.kaltura import KalturaRooms, client_from_settings
from kaltura_discord.local.discord_standin import DiscordStandIn
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from kaltura_discord.meetings.attendance import AttendanceStore
from kaltura_discord.meetings.kaltura_recordings import KalturaRecordingSource, RecordingLookupFailed
from kaltura_discord.meetings.kaltura_rooms import KalturaRoomGateway
from kaltura_discord.meetings.model import Meeting, MeetingRequest
from kaltura_discord.meetings.recordings import POLL_MINUTES, RecordingStore
from kaltura_discord.meetings.repository import ENDED_RETENTION_SECONDS, MeetingRepository
from kaltura_discord.meetings.service import MeetingService, Member
from kaltura_discord.scheduler import install_scheduler
from tests.integration.conftest import BOT_TOKEN
from tests.support.interactions import CHANNEL_ID, GUILD_ID

pytestmark = pytest.mark.integration

HOST = Member("1000000000000000301", "Ada Lovelace", "viewer")
GUEST = Member("1000000000000000302", "Grace", "viewer")
MODERATOR = Member("1000000000000000303", "Lin", "moderator")


class RecordedScheduler:
    def __init__(self) -> None:
        self.scheduled: list[tuple[str, float, dict[str, Any]]] = []

    def schedule(self, name: str, at: float, job: dict[str, Any]) -> None:
        self.scheduled.append((name, at, job))

    def cancel(self, name: str) -> None:
        self.scheduled = [s for s in self.scheduled if s[0] != name]


@pytest.fixture
def scheduler() -> Iterator[RecordedScheduler]:
    recorded = RecordedScheduler()
    install_scheduler(recorded)
    yield recorded
    install_scheduler(None)


@pytest.fixture
def service(table_name: str, sandbox: KalturaSandbox, discord: DiscordStandIn) -> Iterator[MeetingService]:
    client = client_from_settings(read_timeout=2.0, sleep=lambda _: None)
    built = MeetingService(MeetingRepository(), KalturaRoomGateway(KalturaRooms(client)))
    set_config_service(None)
    recordings.install()
    attendance.install(None)
    yield built
    recordings.install()
    attendance.install(None)
    set_config_service(None)
    client.close()


def ended_meeting(service: MeetingService, title: str = "Quarterly review") -> Meeting:
    started = service.start(
        GUILD_ID,
        f"req-{title}",
        MeetingRequest.parse("meeting", title),
        HOST,
        template_room_id=None,
        channel_id=CHANNEL_ID,
    )
    service.repository.set_message(started, CHANNEL_ID, "1000000000000000777")
    return service.end(GUILD_ID, started.meeting_id, HOST)


def channel_posts(discord: DiscordStandIn) -> list[Any]:
    return discord.calls("POST", f"/channels/{CHANNEL_ID}/messages")


def test_a_notified_recording_is_posted_once_as_a_reply(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn
) -> None:
    meeting = ended_meeting(service)
    assert meeting.room_id is not None
    entry = sandbox.add_recording(meeting.room_id, duration=125, notify=False)["entry"]

    assert recordings.handle_notified_entry(entry["id"], get_rest()) == "posted"
    assert recordings.handle_notified_entry(entry["id"], get_rest()) == "duplicate"
    [post] = channel_posts(discord)
    assert post.body["message_reference"]["message_id"] == "1000000000000000777"
    assert f"https://{sandbox.partner_id}.kaf.kaltura.com/media/t/{entry['id']}" in post.body["content"]
    assert "2 min" in post.body["content"] and post.body["enforce_nonce"] is True
    # the room was found from the room itself (referenceId + guild tag): the meeting ended outside after_end
    assert sandbox.call_count("room_room", "get") == 2


def test_entries_that_are_not_ready_recordings_of_our_rooms_are_ignored(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn
) -> None:
    meeting = ended_meeting(service)
    assert meeting.room_id is not None
    converting = sandbox.add_recording(meeting.room_id, duration=60, ready=False)["entry"]
    foreign_room = sandbox.seed_room("Someone else's room")
    foreign = sandbox.add_recording(foreign_room, duration=60, notify=False)["entry"]
    assert recordings.handle_notified_entry(converting["id"], get_rest()) == "ignored"
    assert recordings.handle_notified_entry(foreign["id"], get_rest()) == "ignored"
    assert recordings.handle_notified_entry(meeting.room_id, get_rest()) == "ignored"  # the room itself
    assert recordings.handle_notified_entry("0_missing1", get_rest()) == "ignored"
    assert channel_posts(discord) == []
    sandbox.set_recording_status(converting["id"], 2, notify=False)
    assert recordings.handle_notified_entry(converting["id"], get_rest()) == "posted"


def test_a_server_that_turned_recordings_off_gets_nothing(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn, scheduler: RecordedScheduler
) -> None:
    meeting = ended_meeting(service)
    assert meeting.room_id is not None
    config_service().update(
        GUILD_ID, {"notifications": {"recording_ready": False}}, actor_id=HOST.user_id, summary="test"
    )
    after_end(get_config(GUILD_ID), meeting)
    assert scheduler.scheduled == []  # no poll either
    entry = sandbox.add_recording(meeting.room_id, duration=60, notify=False)["entry"]
    assert recordings.handle_notified_entry(entry["id"], get_rest()) == "off"
    assert channel_posts(discord) == []


def test_a_failed_post_is_given_back_and_the_next_try_posts(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn
) -> None:
    meeting = ended_meeting(service)
    assert meeting.room_id is not None
    entry = sandbox.add_recording(meeting.room_id, duration=60, notify=False)["entry"]
    discord.fail_next(r"/channels/\d+/messages$", status=403, times=1)
    with pytest.raises(DiscordError):
        recordings.handle_notified_entry(entry["id"], get_rest())
    assert recordings.handle_notified_entry(entry["id"], get_rest()) == "posted"
    assert len([c for c in channel_posts(discord) if c.status == 200]) == 1


def test_a_post_whose_answers_were_lost_keeps_its_claim_and_is_not_posted_twice(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn
) -> None:
    meeting = ended_meeting(service)
    assert meeting.room_id is not None
    entry = sandbox.add_recording(meeting.room_id, duration=60, notify=False)["entry"]
    discord.lose_answer_next(r"POST /channels/\d+/messages$", times=10)  # every retry's answer lost too
    impatient = DiscordRest(
        discord.api_base_url, "1000000000000000001", bot_token=lambda: BOT_TOKEN, sleep=lambda _: None
    )
    with pytest.raises(DiscordError) as failed:
        recordings.handle_notified_entry(entry["id"], impatient)
    assert failed.value.maybe_acted
    # the stand-in carried the post out: a second try must not post it again once the nonce has expired
    assert recordings.handle_notified_entry(entry["id"], get_rest()) == "duplicate"
    assert len(discord.channel_messages(CHANNEL_ID)) == 1


def test_kaltura_down_is_a_failed_lookup_not_a_silent_skip(service: MeetingService, sandbox: KalturaSandbox) -> None:
    meeting = ended_meeting(service)
    assert meeting.room_id is not None
    entry = sandbox.add_recording(meeting.room_id, duration=60, notify=False)["entry"]
    sandbox.fail_next(3, service="baseentry", action="get")
    source = KalturaRecordingSource()
    with pytest.raises(RecordingLookupFailed):
        source.recording(entry["id"])


def test_the_poll_posts_once_stops_and_backs_off_when_nothing_is_there(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn, scheduler: RecordedScheduler
) -> None:
    meeting = ended_meeting(service)
    assert meeting.room_id is not None and meeting.ended_at is not None
    after_end(get_config(GUILD_ID), meeting)
    [(_name, at, event)] = scheduler.scheduled
    assert at == meeting.ended_at + POLL_MINUTES[0] * 60 and event["kind"] == "recording_poll"
    scheduler.scheduled.clear()

    recordings.run_poll(Job.from_dict(event), get_rest())  # nothing recorded yet: the next attempt is scheduled
    [(_, next_at, next_event)] = scheduler.scheduled
    assert next_at == meeting.ended_at + POLL_MINUTES[1] * 60 and next_event["payload"]["attempt"] == 1
    assert channel_posts(discord) == []
    scheduler.scheduled.clear()

    first = sandbox.add_recording(meeting.room_id, duration=600, notify=False)["entry"]
    second = sandbox.add_recording(meeting.room_id, duration=30, notify=False)["entry"]
    recordings.run_poll(Job.from_dict(next_event), get_rest())
    posts = channel_posts(discord)
    assert [first["id"] in p.body["content"] for p in posts] == [True, False]
    assert second["id"] in posts[1].body["content"]
    assert scheduler.scheduled == []  # it found them: it stops
    recordings.run_poll(Job.from_dict(next_event), get_rest())
    assert len(channel_posts(discord)) == 2  # and a repeated attempt posts nothing again
    assert sandbox.call_count("baseentry", "list") == 3


def test_the_last_poll_attempt_schedules_nothing_more(
    service: MeetingService, scheduler: RecordedScheduler, discord: DiscordStandIn
) -> None:
    meeting = ended_meeting(service)
    _, _, last = recordings.poll_job(meeting, len(POLL_MINUTES) - 1)
    recordings.run_poll(last, get_rest())
    assert scheduler.scheduled == []


def test_a_notification_after_the_room_was_deleted_still_finds_the_meeting(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn, scheduler: RecordedScheduler
) -> None:
    meeting = ended_meeting(service)
    assert meeting.room_id is not None
    after_end(get_config(GUILD_ID), meeting)  # remembers the room
    entry = sandbox.add_recording(meeting.room_id, duration=60, notify=False)["entry"]
    service.rooms.delete_room(meeting.room_id)
    assert recordings.handle_notified_entry(entry["id"], get_rest()) == "posted"


def test_attendance_counts_distinct_members_and_keeps_them_with_the_meeting(
    service: MeetingService, sandbox: KalturaSandbox
) -> None:
    started = service.start(
        GUILD_ID, "req-att", MeetingRequest.parse("meeting", "Standup"), HOST, template_room_id=None
    )
    store = AttendanceStore()
    for member in (GUEST, HOST, GUEST, MODERATOR):
        attendance.record_open(started, member.user_id, member.display_name, member.role)
    assert store.count(started) == 3 and attendance.ended_sentence(started) == " 3 people joined."
    listed = {a.user_id: a for a in store.attendees(started)}
    assert listed[GUEST.user_id].opens == 2 and listed[GUEST.user_id].first_open <= listed[GUEST.user_id].last_open
    assert listed[HOST.user_id].host and listed[HOST.user_id].moderates and listed[MODERATOR.user_id].moderates
    assert not listed[GUEST.user_id].moderates

    ended = service.end(GUILD_ID, started.meeting_id, HOST)
    assert ended.ended_at is not None
    assert store.retain_with(ended) == 3
    item = store.client.get_item(
        TableName=store.table,
        Key={"pk": {"S": f"GUILD#{GUILD_ID}"}, "sk": {"S": f"ATTEND#{ended.meeting_id}#{GUEST.user_id}"}},
    )["Item"]
    record = service.repository.client.get_item(
        TableName=store.table, Key={"pk": {"S": f"GUILD#{GUILD_ID}"}, "sk": {"S": f"MEETING#{ended.meeting_id}"}}
    )["Item"]
    assert item["expires_at"] == record["expires_at"] == {"N": str(ended.ended_at + ENDED_RETENTION_SECONDS)}
    nobody = service.start(GUILD_ID, "req-none", MeetingRequest.parse("meeting", "Empty"), HOST, template_room_id=None)
    assert attendance.ended_sentence(nobody) == " Nobody opened a join link."


def test_a_recording_claim_left_by_a_crash_is_taken_over_later(table_name: str) -> None:
    clock = [1_700_000_000.0]
    store = RecordingStore(clock=lambda: clock[0])
    meeting = Meeting(
        "1", "ptc4k6dgjm", "T", "meeting", "2", "H", 1_700_000_000, status="ended", ended_at=1_700_000_000
    )
    assert store.claim(meeting, "0_rec1")
    assert not store.claim(meeting, "0_rec1")  # a post under way
    clock[0] += 121
    assert store.claim(meeting, "0_rec1")  # its poster died: taken over
    store.mark_posted(meeting, "0_rec1", "10", "11")
    clock[0] += 1000
    assert not store.claim(meeting, "0_rec1") and store.posted(meeting, "0_rec1")
