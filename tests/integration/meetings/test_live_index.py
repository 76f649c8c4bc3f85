"""The live-meeting index and the limits, against moto's DynamoDB over loopback and the Kaltura sandbox.

What the issue measured: listing read every meeting of the last 90 days, and nothing limited starts. Here a list
page reads its page (plus one item), whatever the history, and limits hold under concurrency.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest

from kaltura_discord.kaltura import KalturaRooms, client_from_settings
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from kaltura_discord.meetings.kaltura_rooms import KalturaRoomGateway
from kaltura_discord.meetings.model import Meeting, MeetingLimitReached, MeetingRequest, meeting_id_for
from kaltura_discord.meetings.repository import MeetingRepository, decode_cursor
from kaltura_discord.meetings.service import Limits, MeetingService, Member
from kaltura_discord.storage import dynamodb

pytestmark = pytest.mark.integration

GUILD = "1000000000000000100"
HOST = Member("1000000000000000300", "Host", "viewer")
PLENTY = Limits(max_active=200, max_starts_per_member_per_hour=60)


class CountingClient:
    """Counts items read by queries (what a list page costs) through the real client."""

    def __init__(self, inner: Any) -> None:
        self._inner = inner
        self.items_read: Counter[str] = Counter()

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._inner, name)
        if name != "query":
            return attribute

        def query(**kwargs: Any) -> Any:
            result = attribute(**kwargs)
            self.items_read["query"] += int(result.get("ScannedCount", len(result.get("Items", []))))
            return result

        return query


@pytest.fixture
def counting(table_name: str) -> CountingClient:
    return CountingClient(dynamodb.get_client())


@pytest.fixture
def service(table_name: str, sandbox: KalturaSandbox, counting: CountingClient) -> Iterator[MeetingService]:
    client = client_from_settings(read_timeout=2.0, sleep=lambda _: None)
    yield MeetingService(MeetingRepository(client=counting), KalturaRoomGateway(KalturaRooms(client)))  # type: ignore[arg-type]
    client.close()


def start(service: MeetingService, n: int, host: Member = HOST, limits: Limits | None = None) -> Meeting:
    request = MeetingRequest.parse("meeting", f"Meeting {n}")
    request_id = f"request-{n}-{host.user_id}"
    return service.start(GUILD, request_id, request, host, template_room_id=None, limits=limits or PLENTY)


def test_pages_walk_the_live_meetings_newest_first_and_back(service: MeetingService) -> None:
    started = [start(service, n) for n in range(7)]
    first = service.live_page(GUILD, 3)
    assert [m.meeting_id for m in first.meetings] == [m.meeting_id for m in started[::-1][:3]]
    assert (first.total, first.newer) == (7, None) and first.older is not None
    second = service.live_page(GUILD, 3, first.older)
    third = service.live_page(GUILD, 3, second.older)
    assert [m.title for m in second.meetings] == ["Meeting 3", "Meeting 2", "Meeting 1"]
    assert [m.title for m in third.meetings] == ["Meeting 0"] and third.older is None
    back = service.live_page(GUILD, 3, second.newer, "newer")
    assert [m.meeting_id for m in back.meetings] == [m.meeting_id for m in first.meetings] and back.newer is None
    assert decode_cursor("not-a-cursor") is None


def test_ended_meetings_leave_the_index_and_cost_nothing_to_list(
    service: MeetingService, counting: CountingClient
) -> None:
    live = [start(service, n) for n in range(3)]
    for n in range(40):
        ended = start(service, 100 + n)
        service.end(GUILD, ended.meeting_id, HOST)
    counting.items_read.clear()
    page = service.live_page(GUILD, 5)
    assert {m.meeting_id for m in page.meetings} == {m.meeting_id for m in live} and page.total == 3
    assert counting.items_read["query"] <= 6  # the page (+1 to know whether another follows), not 43
    assert service.repository.count_live(GUILD) == 3
    assert [m.title for m in service.search_active(GUILD, "meeting 1")] == ["Meeting 1"]


def test_the_last_slot_goes_to_one_of_two_concurrent_starts(service: MeetingService, sandbox: KalturaSandbox) -> None:
    limits = Limits(max_active=3, max_starts_per_member_per_hour=60)
    start(service, 0, limits=limits)
    start(service, 1, limits=limits)
    barrier, outcomes = threading.Barrier(4), []

    def race(n: int) -> None:
        barrier.wait()
        try:
            start(service, 10 + n, limits=limits)
            outcomes.append("started")
        except MeetingLimitReached as exc:
            outcomes.append(str(exc))

    threads = [threading.Thread(target=race, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("started") == 1
    assert all("already has 3 live meetings" in o for o in outcomes if o != "started")
    assert service.repository.count_live(GUILD) == 3 and len(service.list_active(GUILD)) == 3
    assert len(sandbox.rooms) == 3  # a loser's room, if it got one, was removed again


def test_a_members_sixth_start_in_an_hour_is_refused_and_says_when(service: MeetingService) -> None:
    limits = Limits(max_starts_per_member_per_hour=5)
    for n in range(5):
        start(service, n, limits=limits)
    with pytest.raises(MeetingLimitReached) as refused:
        start(service, 5, limits=limits)
    assert "5 meetings this hour" in str(refused.value) and refused.value.retry_at is not None
    assert "<t:" in str(refused.value)
    assert service.repository.find(GUILD, meeting_id_for(f"request-5-{HOST.user_id}")) is None  # nothing kept
    other = Member("1000000000000000301", "Other", "viewer")
    start(service, 6, other, limits)  # per member
    moderator = Member("1000000000000000302", "Mod", "moderator")
    exempt = Limits(max_starts_per_member_per_hour=1, exempt_moderators=True)
    start(service, 7, moderator, exempt)
    start(service, 8, moderator, exempt)  # exempt only because the server says so
    counted = Limits(max_starts_per_member_per_hour=1)
    start(service, 9, moderator, counted)
    with pytest.raises(MeetingLimitReached):
        start(service, 10, moderator, counted)


def test_a_refused_start_gives_its_count_back(service: MeetingService, sandbox: KalturaSandbox) -> None:
    limits = Limits(max_starts_per_member_per_hour=1)
    sandbox.inject("error", service="room_room", action="add", code="SERVICE_FORBIDDEN")
    with pytest.raises(Exception, match="Kaltura refused"):
        start(service, 0, limits=limits)
    start(service, 1, limits=limits)  # the refused one did not count


def test_share_waits_per_member_per_meeting(service: MeetingService) -> None:
    meeting = start(service, 0)
    limits = Limits(share_cooldown_seconds=60)
    service.claim_share(meeting, HOST, limits)
    with pytest.raises(MeetingLimitReached) as again:
        service.claim_share(meeting, HOST, limits)
    assert "share it again" in str(again.value)
    service.claim_share(meeting, Member("1000000000000000301", "Other", "viewer"), limits)
    service.claim_share(meeting, HOST, Limits(share_cooldown_seconds=0))


def test_an_old_table_gets_its_live_index_built(service: MeetingService, table_name: str) -> None:
    """Meetings made live before the index (a MEETING# item only) are indexed and counted; running it twice is
    harmless."""
    from kaltura_discord.meetings.migrations import backfill_live_index
    from kaltura_discord.meetings.repository import COUNT_KEY, _to_item

    client = dynamodb.get_client()
    old = [
        Meeting(GUILD, f"old{n:07d}", f"Old {n}", "meeting", HOST.user_id, "Host", 1_700_000_000.0 + n)
        for n in range(3)
    ]
    for meeting in old:
        client.put_item(
            TableName=table_name, Item=_to_item(meeting.with_changes(status="active", room_id="0_abcdef12"))
        )
    assert service.live_page(GUILD, 5).meetings == []
    assert backfill_live_index(service.repository) == {GUILD: 3}
    assert backfill_live_index(service.repository) == {GUILD: 3}
    page = service.live_page(GUILD, 5)
    assert [m.title for m in page.meetings] == ["Old 2", "Old 1", "Old 0"] and page.total == 3
    service.end(GUILD, old[0].meeting_id, Member(HOST.user_id, "Host", "viewer"))
    assert service.repository.count_live(GUILD) == 2 and len(service.live_page(GUILD, 5).meetings) == 2
    assert client.get_item(TableName=table_name, Key={"pk": {"S": f"GUILD#{GUILD}"}, "sk": {"S": COUNT_KEY}})["Item"]
