"""Starting meetings when Kaltura is slow, down or refusing: a clear message and nothing half-written."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from kaltura_discord.bot import meetings as bot_meetings
from kaltura_discord.bot.jobs import Job
from kaltura_discord.bot.worker import Worker
from kaltura_discord.config import set_config_service
from kaltura_discord.discord.interaction import Interaction
from kaltura_discord.kaltura import KalturaRooms, client_from_settings
from kaltura_discord.local.discord_standin import DiscordStandIn
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from kaltura_discord.meetings.kaltura_rooms import KalturaRoomGateway
from kaltura_discord.meetings.model import meeting_id_for
from kaltura_discord.meetings.repository import MeetingRepository
from kaltura_discord.meetings.service import MeetingService
from tests.support.interactions import GUILD_ID, command

pytestmark = pytest.mark.integration


@pytest.fixture
def service(table_name: str, sandbox: KalturaSandbox) -> Iterator[MeetingService]:
    client = client_from_settings(read_timeout=0.3, sleep=lambda _: None)
    built = MeetingService(MeetingRepository(), KalturaRoomGateway(KalturaRooms(client)))
    bot_meetings.set_service(built)
    set_config_service(None)
    yield built
    bot_meetings.set_service(None)
    client.close()


def start_job(title: str = "Quarterly review") -> Job:
    options = [{"name": "type", "type": 3, "value": "webinar"}, {"name": "title", "type": 3, "value": title}]
    payload = {"type": "webinar", "title": title, "description": ""}
    return Job.for_interaction("meeting_start", Interaction(command("kaltura-start", options)), payload)


def calls_for(discord: DiscordStandIn, job: Job) -> list[Any]:
    return discord.calls(path_pattern=job.token)


def test_start_creates_one_room_with_one_kaltura_round_trip(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn
) -> None:
    job = start_job()
    assert Worker().run(job.to_dict())["status"] == "succeeded"
    assert sandbox.calls == {"room_room.add": 1}
    [room] = sandbox.rooms
    meeting = service.repository.get(GUILD_ID, meeting_id_for(job.interaction_id))
    assert (meeting.status, meeting.room_id) == ("active", room["id"])
    assert room["referenceId"] == meeting.meeting_id
    assert f"discord-guild-{GUILD_ID}" in room["tags"]
    [edit] = calls_for(discord, job)
    assert edit.body["embeds"][0]["title"] == "Quarterly review"
    assert meeting.message_id is not None


def test_duplicated_start_job_creates_one_room(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn
) -> None:
    job = start_job()
    Worker().run(job.to_dict())
    assert Worker().run(job.to_dict()) == {"status": "duplicate"}
    assert len(sandbox.rooms) == 1


def test_repeated_start_after_a_lost_ledger_reuses_the_meeting(
    service: MeetingService, sandbox: KalturaSandbox
) -> None:
    """Even past the job ledger, the meeting id comes from the interaction id: the room is not added twice."""
    from kaltura_discord.meetings.model import MeetingRequest
    from kaltura_discord.meetings.service import Member

    request = MeetingRequest.parse("meeting", "Stand-up")
    host = Member("1000000000000000300", "Host", "viewer")
    first = service.start(GUILD_ID, "42", request, host, template_room_id=None)
    second = service.start(GUILD_ID, "42", request, host, template_room_id=None)
    assert first.meeting_id == second.meeting_id and first.room_id == second.room_id
    assert sandbox.call_count("room_room", "add") == 1


def test_kaltura_timeout_leaves_no_active_record_and_tells_the_person(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn
) -> None:
    job = start_job()
    sandbox.hang_next(seconds=1.0, service="room_room", action="add")
    Worker().run(job.to_dict())
    meeting = service.repository.get(GUILD_ID, meeting_id_for(job.interaction_id))
    assert meeting.status == "failed" and meeting.room_id is None
    assert service.list_active(GUILD_ID) == []
    calls = calls_for(discord, job)
    assert [c.method for c in calls] == ["DELETE", "POST"]
    assert calls[1].body["flags"] == 64
    assert "did not answer in time" in calls[1].body["content"]


def test_kaltura_refusal_removes_the_record(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kaltura_discord.config import ConfigService, ConfigStore
    from tests.support.fakes import MemoryConfigTable

    table = MemoryConfigTable()
    table.put(GUILD_ID, {"kaltura": {"template_room_ids": {"webinar": "0_missing1"}}}, 1)
    set_config_service(ConfigService(ConfigStore(table)))
    job = start_job()
    Worker().run(job.to_dict())
    assert service.repository.find(GUILD_ID, meeting_id_for(job.interaction_id)) is None
    assert sandbox.rooms == []
    followup = calls_for(discord, job)[-1]
    assert "Kaltura refused" in followup.body["content"] and followup.body["flags"] == 64


def test_a_join_link_needs_no_kaltura_call(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The link points at this deployment's redirect; Kaltura is asked for nothing until it is opened."""
    from kaltura_discord.auth.keys import clear_keyring
    from kaltura_discord.auth.tokens import verify_join_token
    from kaltura_discord.bot.dispatch import handle_interaction
    from tests.unit.auth.support import KEYS_JSON

    monkeypatch.setenv("JWT_SIGNING_KEYS", KEYS_JSON)
    clear_keyring()
    job = start_job()
    Worker().run(job.to_dict())
    meeting_id = meeting_id_for(job.interaction_id)
    sandbox.reset_calls()
    sandbox.fail_next(10, status=503)
    payload = command("kaltura-join", [{"name": "meeting", "type": 3, "value": meeting_id}])
    answer = handle_interaction(Interaction(payload, "https://bot.example")).to_dict()
    assert answer["type"] == 4 and answer["data"]["flags"] == 64
    url = answer["data"]["components"][0]["components"][0]["url"]
    assert url.startswith("https://bot.example/v1/join/")
    claims = verify_join_token(url.rsplit("/", 1)[1])
    assert (claims.meeting_id, claims.guild_id, claims.role) == (meeting_id, GUILD_ID, "viewer")
    assert sandbox.calls == {}
    clear_keyring()


def _wait_for_room(sandbox: KalturaSandbox, reference: str) -> None:
    """The hung add is served after its hang; poll (bounded) until the room exists."""
    import threading

    pause = threading.Event()
    for _ in range(100):
        if any(room.get("referenceId") == reference for room in sandbox.rooms):
            return
        pause.wait(0.05)
    raise AssertionError("the delayed room never appeared")


def test_retry_after_a_lost_answer_adopts_the_late_room_instead_of_adding_another(
    service: MeetingService, sandbox: KalturaSandbox
) -> None:
    from kaltura_discord.meetings.model import MeetingBackendUnavailable, MeetingRequest
    from kaltura_discord.meetings.service import Member

    request, host = MeetingRequest.parse("meeting", "Late room"), Member("1000000000000000300", "Host", "viewer")
    sandbox.hang_next(seconds=0.5, service="room_room", action="add")
    with pytest.raises(MeetingBackendUnavailable):
        service.start(GUILD_ID, "77", request, host, template_room_id=None)
    meeting_id = meeting_id_for("77")
    assert service.repository.get(GUILD_ID, meeting_id).status == "failed"
    _wait_for_room(sandbox, meeting_id)

    retried = service.start(GUILD_ID, "77", request, host, template_room_id=None)
    assert retried.status == "active"
    assert retried.room_id == next(r["id"] for r in sandbox.rooms if r["referenceId"] == meeting_id)
    assert sandbox.call_count("room_room", "add") == 1
    assert service.list_active(GUILD_ID)[0].meeting_id == meeting_id


def test_stray_rooms_go_with_the_failed_record_but_a_room_adopted_during_the_sweep_stays(
    service: MeetingService, sandbox: KalturaSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kaltura_discord.meetings.model import MeetingBackendUnavailable, MeetingRequest
    from kaltura_discord.meetings.service import Member

    request, host = MeetingRequest.parse("meeting", "Late room"), Member("1000000000000000300", "Host", "viewer")
    for request_id in ("81", "82"):
        sandbox.hang_next(seconds=0.5, service="room_room", action="add")
        with pytest.raises(MeetingBackendUnavailable):
            service.start(GUILD_ID, request_id, request, host, template_room_id=None)
        _wait_for_room(sandbox, meeting_id_for(request_id))

    # "81": nobody came back for it: its late room and its failed record go
    [late] = [r["id"] for r in sandbox.rooms if r["referenceId"] == meeting_id_for("81")]
    assert service.remove_stray_rooms(GUILD_ID, meeting_id_for("81")) == [late]
    assert service.repository.find(GUILD_ID, meeting_id_for("81")) is None

    # "82": a repeat of the request adopts the room between the sweep's listing and its claim on the record
    real_remove_failed = service.repository.remove_failed

    def adopted_first(meeting: Any) -> bool:
        service.start(GUILD_ID, "82", request, host, template_room_id=None)
        return real_remove_failed(meeting)

    monkeypatch.setattr(service.repository, "remove_failed", adopted_first)
    assert service.remove_stray_rooms(GUILD_ID, meeting_id_for("82")) == []
    live = service.repository.get(GUILD_ID, meeting_id_for("82"))
    assert live.status == "active" and [r["id"] for r in sandbox.rooms] == [live.room_id]


def test_a_repeat_whose_record_the_sweep_took_while_its_room_was_made_removes_that_room_and_says_try_again(
    service: MeetingService, sandbox: KalturaSandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    from kaltura_discord.meetings.model import MeetingBackendUnavailable, MeetingRequest
    from kaltura_discord.meetings.service import Member

    request, host = MeetingRequest.parse("meeting", "Late room"), Member("1000000000000000300", "Host", "viewer")
    meeting_id = meeting_id_for("91")
    sandbox.fail_next(service="room_room", action="add")  # a 503: nothing made, the record stays failed
    with pytest.raises(MeetingBackendUnavailable):
        service.start(GUILD_ID, "91", request, host, template_room_id=None)
    assert service.repository.get(GUILD_ID, meeting_id).status == "failed"
    real_create = service.rooms.create_room

    def swept_meanwhile(*args: Any, **kwargs: Any) -> str:
        assert service.remove_stray_rooms(GUILD_ID, meeting_id) == []  # no room yet; the record goes
        return real_create(*args, **kwargs)

    monkeypatch.setattr(service.rooms, "create_room", swept_meanwhile)
    with pytest.raises(MeetingBackendUnavailable, match="try again"):
        service.start(GUILD_ID, "91", request, host, template_room_id=None)
    assert sandbox.rooms == [] and service.repository.find(GUILD_ID, meeting_id) is None
    monkeypatch.setattr(service.rooms, "create_room", real_create)
    again = service.start(GUILD_ID, "91", request, host, template_room_id=None)  # starts from nothing
    assert again.status == "active" and [r["id"] for r in sandbox.rooms] == [again.room_id]


def test_retry_of_a_failed_start_whose_room_never_appeared_creates_it(
    service: MeetingService, sandbox: KalturaSandbox
) -> None:
    from kaltura_discord.meetings.model import Meeting, MeetingRequest
    from kaltura_discord.meetings.service import Member

    meeting_id = meeting_id_for("78")
    crashed = Meeting(GUILD_ID, meeting_id, "Crashed", "meeting", "1000000000000000300", "Host", 1.0)
    assert service.repository.create(crashed)
    retried = service.start(
        GUILD_ID,
        "78",
        MeetingRequest.parse("meeting", "Crashed"),
        Member(crashed.host_id, "Host", "viewer"),
        template_room_id=None,
    )
    assert retried.status == "active" and retried.room_id is not None
    assert sandbox.call_count("room_room", "add") == 1
