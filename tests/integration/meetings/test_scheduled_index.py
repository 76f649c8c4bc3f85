"""Scheduled meetings in DynamoDB (moto's server over loopback): the scheduled index and its counter move in the
same transactions as the meeting, so limits hold under concurrency and a start and a cancel cannot both win."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator

import pytest

from kaltura_discord.kaltura import KalturaRooms, client_from_settings
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from kaltura_discord.meetings.kaltura_rooms import KalturaRoomGateway
from kaltura_discord.meetings.model import MeetingLimitReached, MeetingNotFound, MeetingNotStarted
from kaltura_discord.meetings.repository import MeetingRepository
from kaltura_discord.meetings.schedule import ScheduleRequest
from kaltura_discord.meetings.service import Limits, MeetingService, Member

pytestmark = pytest.mark.integration

GUILD = "1000000000000000100"
HOST = Member("1000000000000000300", "Host", "viewer")


@pytest.fixture
def service(table_name: str, sandbox: KalturaSandbox) -> Iterator[MeetingService]:
    client = client_from_settings(read_timeout=0.5, sleep=lambda _: None)
    yield MeetingService(MeetingRepository(), KalturaRoomGateway(KalturaRooms(client)), sleep=lambda _: None)
    client.close()


def request(title: str, hours: float = 2) -> ScheduleRequest:
    return ScheduleRequest.parse("meeting", title, f"in {int(hours * 60)}m", 30, now=time.time())


def test_upcoming_is_soonest_first_and_the_counter_follows(service: MeetingService) -> None:
    late = service.schedule(GUILD, "r1", request("Late", 5), HOST, channel_id=None)
    soon = service.schedule(GUILD, "r2", request("Soon", 1), HOST, channel_id=None)
    assert [m.meeting_id for m in service.upcoming(GUILD)] == [soon.meeting_id, late.meeting_id]
    assert service.repository.count_scheduled(GUILD) == 2
    assert service.schedule(GUILD, "r2", request("Soon", 1), HOST, channel_id=None).meeting_id == soon.meeting_id
    assert service.repository.count_scheduled(GUILD) == 2  # a repeat is not a second one
    service.end(GUILD, late.meeting_id, HOST)
    assert [m.meeting_id for m in service.upcoming(GUILD)] == [soon.meeting_id]
    assert service.repository.count_scheduled(GUILD) == 1
    assert service.list_active(GUILD) == []  # scheduled meetings are not live


def test_max_scheduled_holds_under_concurrency_and_gives_the_start_back(service: MeetingService) -> None:
    limits = Limits(max_scheduled=3, max_starts_per_member_per_hour=60)
    outcomes: list[str] = []

    def attempt(number: int) -> None:
        try:
            service.schedule(GUILD, f"c{number}", request(f"Meeting {number}"), HOST, channel_id=None, limits=limits)
            outcomes.append("scheduled")
        except MeetingLimitReached:
            outcomes.append("refused")

    threads = [threading.Thread(target=attempt, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("scheduled") == 3 and outcomes.count("refused") == 5
    assert service.repository.count_scheduled(GUILD) == 3 and len(service.upcoming(GUILD)) == 3
    hour = int(time.time()) // 3600 * 3600
    item = service.repository.client.get_item(
        TableName=service.repository.table,
        Key={"pk": {"S": f"GUILD#{GUILD}"}, "sk": {"S": f"STARTS#{HOST.user_id}#{hour}"}},
        ConsistentRead=True,
    )["Item"]
    assert item["count"]["N"] == "3"  # the five refused schedules gave their starts back


def test_a_scheduled_meeting_counts_against_the_hosts_hourly_starts(service: MeetingService) -> None:
    limits = Limits(max_starts_per_member_per_hour=1)
    service.schedule(GUILD, "h1", request("First"), HOST, channel_id=None, limits=limits)
    with pytest.raises(MeetingLimitReached, match="this hour"):
        service.schedule(GUILD, "h2", request("Second"), HOST, channel_id=None, limits=limits)


def test_a_start_and_a_cancel_cannot_both_win(service: MeetingService, sandbox: KalturaSandbox) -> None:
    meeting = service.schedule(GUILD, "race", request("Race"), HOST, channel_id=None)
    begun = service.begin_scheduled(meeting)
    assert begun.status == "creating"
    with pytest.raises(MeetingNotFound):  # starting: neither cancellable nor joinable for that moment
        service.end(GUILD, meeting.meeting_id, HOST)
    assert service.begin_scheduled(meeting).status == "creating"  # a second begin changes nothing
    assert service.repository.count_scheduled(GUILD) == 0

    other = service.schedule(GUILD, "race-2", request("Race 2"), HOST, channel_id=None)
    cancelled = service.end(GUILD, other.meeting_id, HOST)
    assert cancelled.status == "cancelled"
    assert service.begin_scheduled(other).status == "cancelled"  # the start that comes after finds it cancelled
    assert sandbox.rooms == []


def test_joining_before_the_start_says_when_and_a_short_id_finds_the_meeting(service: MeetingService) -> None:
    meeting = service.schedule(GUILD, "join", request("Join me"), HOST, channel_id=None)
    with pytest.raises(MeetingNotStarted, match=f"<t:{meeting.scheduled_start}:R>"):
        service.live(GUILD, meeting.short_id)
    assert service.get(GUILD, meeting.short_id).meeting_id == meeting.meeting_id
    with pytest.raises(MeetingNotFound):
        service.get(GUILD, "zzzzzz")


def test_a_cancel_that_loses_to_the_start_says_it_is_starting(
    service: MeetingService, monkeypatch: pytest.MonkeyPatch
) -> None:
    meeting = service.schedule(GUILD, "lost-race", request("Lost race"), HOST, channel_id=None)
    cancel = service.repository.cancel_scheduled

    def start_first(target: object, by: str) -> object:
        service.begin_scheduled(meeting)  # the start timer wins between the read and the cancel
        return cancel(meeting, by)

    monkeypatch.setattr(service.repository, "cancel_scheduled", start_first)
    with pytest.raises(MeetingNotFound, match="starting right now"):
        service.end(GUILD, meeting.meeting_id, HOST)
    assert service.repository.get(GUILD, meeting.meeting_id).status == "creating"


def test_a_missed_start_frees_its_slot_and_leaves_the_list(table_name: str, sandbox: KalturaSandbox) -> None:
    """A start whose fire was lost leaves the meeting scheduled; an hour after its start it is no longer listed,
    and when the server's limit refuses a new schedule, such meetings are cancelled to free their slots."""
    now = [time.time()]
    repository = MeetingRepository(clock=lambda: now[0])
    service = MeetingService(repository, KalturaRoomGateway(KalturaRooms(client_from_settings())), clock=lambda: now[0])
    limits = Limits(max_scheduled=1, max_starts_per_member_per_hour=60)
    missed = service.schedule(GUILD, "m1", request("Missed"), HOST, channel_id=None, limits=limits)
    assert [m.meeting_id for m in service.upcoming(GUILD)] == [missed.meeting_id]
    now[0] += 4 * 3600  # two hours past its start, and it never started
    assert service.upcoming(GUILD) == []
    fresh = ScheduleRequest.parse("meeting", "Fresh", "in 1h", 30, now=now[0])
    made = service.schedule(GUILD, "m2", fresh, HOST, channel_id=None, limits=limits)
    assert [m.meeting_id for m in service.upcoming(GUILD)] == [made.meeting_id]
    assert repository.get(GUILD, missed.meeting_id).status == "cancelled"
    assert repository.count_scheduled(GUILD) == 1
    record = repository.client.get_item(
        TableName=repository.table, Key={"pk": {"S": f"GUILD#{GUILD}"}, "sk": {"S": f"MEETING#{made.meeting_id}"}}
    )["Item"]
    assert int(record["expires_at"]["N"]) > int(made.scheduled_end or 0)  # a lost start still goes in the end
