"""The worker when its dependencies fail: told once, acted once, nothing half-written.

Real parts over loopback: moto's DynamoDB, the Kaltura sandbox (with its faults) and the Discord stand-in (which
can carry out a request and then lose its answer). Only the storage failures of the job ledger are injected in
process, at the adapter, because they must hit one exact call.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest
from botocore.exceptions import EndpointConnectionError, ReadTimeoutError

from kaltura_discord.bot import meetings as bot_meetings
from kaltura_discord.bot.jobs import Job
from kaltura_discord.bot.worker import STORAGE_BACKOFF_SECONDS, Worker
from kaltura_discord.config import ConfigService, ConfigStore, set_config_service
from kaltura_discord.discord.interaction import Interaction
from kaltura_discord.kaltura import KalturaRooms, client_from_settings
from kaltura_discord.local.discord_standin import DiscordStandIn
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from kaltura_discord.meetings.kaltura_rooms import KalturaRoomGateway
from kaltura_discord.meetings.model import meeting_id_for
from kaltura_discord.meetings.repository import MeetingRepository
from kaltura_discord.meetings.service import MeetingService
from kaltura_discord.storage.jobs import JobLedger
from tests.support.fakes import MemoryConfigTable
from tests.support.interactions import CHANNEL_ID, GUILD_ID, MANAGE_GUILD, command

pytestmark = pytest.mark.integration

NOTIFY_CHANNEL = "1000000000000000555"


@pytest.fixture
def settings_table() -> Iterator[MemoryConfigTable]:
    table = MemoryConfigTable()
    set_config_service(ConfigService(ConfigStore(table), ttl_seconds=0))
    yield table
    set_config_service(None)


@pytest.fixture
def waits() -> list[float]:
    return []


@pytest.fixture
def service(
    table_name: str, sandbox: KalturaSandbox, settings_table: MemoryConfigTable, waits: list[float]
) -> Iterator[MeetingService]:
    def wait(seconds: float) -> None:
        """The service's back-off: recorded, and long enough for a late room to appear (bounded)."""
        waits.append(seconds)
        if seconds:
            threading.Event().wait(0.2)

    client = client_from_settings(read_timeout=0.3, sleep=lambda _: None)
    built = MeetingService(MeetingRepository(), KalturaRoomGateway(KalturaRooms(client)), sleep=wait)
    bot_meetings.set_service(built)
    yield built
    bot_meetings.set_service(None)
    client.close()


def start_job(title: str = "Quarterly review") -> Job:
    options = [{"name": "type", "type": 3, "value": "meeting"}, {"name": "title", "type": 3, "value": title}]
    payload = {"type": "meeting", "title": title, "description": ""}
    return Job.for_interaction("meeting_start", Interaction(command("kaltura-start", options)), payload)


def end_job(meeting_id: str) -> Job:
    options = [{"name": "meeting", "type": 3, "value": meeting_id}]
    interaction = Interaction(command("kaltura-end", options, permissions=MANAGE_GUILD))
    return Job.for_interaction("meeting_end", interaction, {"meeting_id": meeting_id, "via": "command"})


def on_token(discord: DiscordStandIn, job: Job, method: str | None = None) -> list[Any]:
    return discord.calls(method, path_pattern=job.token)


# --- the job ledger ---------------------------------------------------------------------------------------


class FlakyLedger(JobLedger):
    def __init__(self, failures: int, *, lose_answer: bool = False) -> None:
        super().__init__()
        self.failures = failures
        self.lose_answer = lose_answer
        self.puts = 0

    def put_if_absent(self, item: dict[str, Any]) -> bool:
        self.puts += 1
        if self.failures <= 0:
            return super().put_if_absent(item)
        self.failures -= 1
        if self.lose_answer:
            super().put_if_absent(item)  # written; the answer never came
            raise ReadTimeoutError(endpoint_url="dynamodb")
        raise EndpointConnectionError(endpoint_url="dynamodb")


def status_job() -> Job:
    return Job.for_interaction("status", Interaction(command("kaltura-status", permissions=MANAGE_GUILD)), {})


def test_a_claim_that_fails_is_retried_with_back_off(table_name: str, discord: DiscordStandIn) -> None:
    sleeps: list[float] = []
    job = status_job()
    assert Worker(FlakyLedger(2), sleep=sleeps.append).run(job.to_dict()) == {"status": "succeeded"}
    assert sleeps == list(STORAGE_BACKOFF_SECONDS[:2])
    assert len(on_token(discord, job, "PATCH")) == 1


def test_a_claim_whose_answer_was_lost_recognises_itself(table_name: str, discord: DiscordStandIn) -> None:
    ledger = FlakyLedger(1, lose_answer=True)
    job = status_job()
    assert Worker(ledger, sleep=lambda _: None).run(job.to_dict()) == {"status": "succeeded"}
    assert ledger.puts == 2 and len(on_token(discord, job, "PATCH")) == 1
    assert Worker(sleep=lambda _: None).run(job.to_dict()) == {"status": "duplicate"}  # someone else: dropped


def test_when_the_ledger_never_answers_the_person_is_told(table_name: str, discord: DiscordStandIn) -> None:
    job = status_job()
    result = Worker(FlakyLedger(100), sleep=lambda _: None).run(job.to_dict())
    assert result == {"status": "failed_claim"}
    [edit] = on_token(discord, job, "PATCH")
    assert "storage did not answer" in edit.body["content"] and job.interaction_id in edit.body["content"]


# --- Discord answers lost ---------------------------------------------------------------------------------


def test_a_notification_whose_answer_was_lost_is_posted_once(
    service: MeetingService, discord: DiscordStandIn, settings_table: MemoryConfigTable
) -> None:
    settings_table.put(GUILD_ID, {"notifications": {"enabled": True, "channel_id": NOTIFY_CHANNEL}}, 1)
    discord.add_channel(NOTIFY_CHANNEL, GUILD_ID)
    discord.lose_answer_next(rf"POST /channels/{NOTIFY_CHANNEL}/messages")
    job = start_job()
    assert Worker().run(job.to_dict())["status"] == "succeeded"
    posts = discord.calls("POST", rf"/channels/{NOTIFY_CHANNEL}/messages")
    assert len(posts) == 2 and posts[0].body["nonce"] == posts[1].body["nonce"]
    assert posts[0].body["enforce_nonce"] is True
    assert len(discord.channel_messages(NOTIFY_CHANNEL)) == 1  # the repeat came back as the first message


def test_a_follow_up_whose_answer_was_lost_is_not_sent_again(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn
) -> None:
    sandbox.inject("error", service="room_room", action="add", code="SERVICE_FORBIDDEN")
    job = start_job()
    discord.lose_answer_next(rf"POST /webhooks/\d+/{job.token}$")
    assert Worker().run(job.to_dict())["status"] == "failed_unreported"
    assert [c.method for c in on_token(discord, job)] == ["DELETE", "POST"]  # no repeat, no generic edit
    assert service.repository.find(GUILD_ID, meeting_id_for(job.interaction_id)) is None
    assert sandbox.rooms == []


def test_a_card_edit_whose_answer_was_lost_is_repeated_not_overwritten(
    service: MeetingService, discord: DiscordStandIn
) -> None:
    job = start_job()
    discord.lose_answer_next(rf"PATCH /webhooks/\d+/{job.token}/messages/@original")
    assert Worker().run(job.to_dict())["status"] == "succeeded"
    edits = on_token(discord, job, "PATCH")
    assert len(edits) == 2 and all(e.body["embeds"][0]["title"] == "Quarterly review" for e in edits)


# --- a live meeting nobody saw ------------------------------------------------------------------------------


def test_an_unconfirmed_start_is_posted_in_the_channel(service: MeetingService, discord: DiscordStandIn) -> None:
    job = start_job()
    discord.expire_token(job.token)
    assert Worker().run(job.to_dict())["status"] == "succeeded"
    [card] = discord.channel_messages(CHANNEL_ID)
    assert card["embeds"][0]["title"] == "Quarterly review"
    meeting = service.repository.get(GUILD_ID, meeting_id_for(job.interaction_id))
    assert meeting.status == "active" and (meeting.channel_id, meeting.message_id) == (CHANNEL_ID, card["id"])


def test_an_unconfirmed_start_is_rolled_back_when_the_server_says_end(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn, settings_table: MemoryConfigTable
) -> None:
    settings_table.put(GUILD_ID, {"kaltura": {"unconfirmed_start": "end"}}, 1)
    job = start_job()
    discord.expire_token(job.token)
    assert Worker().run(job.to_dict())["status"] == "failed_unreported"
    meeting = service.repository.get(GUILD_ID, meeting_id_for(job.interaction_id))
    assert meeting.status == "ended" and sandbox.rooms == []
    assert discord.channel_messages(CHANNEL_ID) == [] and service.list_active(GUILD_ID) == []


# --- Kaltura ----------------------------------------------------------------------------------------------


def test_a_room_made_after_a_lost_answer_is_removed(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn, waits: list[float]
) -> None:
    sandbox.inject("slow", service="room_room", action="add", seconds=0.5)  # longer than the client's 0.3 s
    job = start_job()
    assert Worker().run(job.to_dict())["status"] == "succeeded"
    followup = on_token(discord, job, "POST")[-1]
    assert "did not answer in time" in followup.body["content"] and followup.body["flags"] == 64
    assert sandbox.call_count("room_room", "add") == 1 and sandbox.call_count("room_room", "delete") == 1
    assert sandbox.rooms == [] and waits
    assert service.repository.get(GUILD_ID, meeting_id_for(job.interaction_id)).status == "failed"


def test_kaltura_503_and_a_timeout_read_differently(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn
) -> None:
    sandbox.inject("status", status=503, service="room_room")
    job = start_job()
    Worker().run(job.to_dict())
    text = on_token(discord, job, "POST")[-1].body["content"]
    assert "HTTP 503" in text and "did not answer in time" not in text


def test_a_failed_delete_on_end_is_retried_and_reported(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn, settings_table: MemoryConfigTable
) -> None:
    settings_table.put(GUILD_ID, {"kaltura": {"end_action": "delete"}}, 1)
    started = start_job()
    Worker().run(started.to_dict())
    meeting_id = meeting_id_for(started.interaction_id)
    sandbox.inject("status", 3, status=503, service="room_room", action="delete")
    job = end_job(meeting_id)
    assert Worker().run(job.to_dict())["status"] == "succeeded"
    first, final = on_token(discord, job, "PATCH")
    assert "not deleted yet" in first.body["content"] and "now deleted" in final.body["content"]
    assert sandbox.rooms == [] and service.repository.get(GUILD_ID, meeting_id).cleanup_pending is None


def test_storage_failing_after_the_room_was_made_removes_the_room(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(*_args: object) -> None:
        raise EndpointConnectionError(endpoint_url="dynamodb")

    monkeypatch.setattr(service.repository, "activate", broken)
    job = start_job()
    Worker().run(job.to_dict())
    assert sandbox.call_count("room_room", "add") == 1 and sandbox.rooms == []
    followup = on_token(discord, job, "POST")[-1]
    assert "storage failed" in followup.body["content"] and "was not started" in followup.body["content"]
