"""Scheduled meetings through the worker: moto's DynamoDB server, the Kaltura sandbox and the Discord stand-in over
loopback, and the local scheduler driven by a fake clock (its jobs go through a real Worker and job ledger)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from kaltura_discord.bot import jobs
from kaltura_discord.bot import meetings as bot_meetings
from kaltura_discord.bot import schedule as bot_schedule
from kaltura_discord.bot.jobs import Job
from kaltura_discord.bot.worker import Worker
from kaltura_discord.config import ConfigService, ConfigStore, set_config_service
from kaltura_discord.discord.interaction import Interaction
from kaltura_discord.kaltura import KalturaRooms, client_from_settings
from kaltura_discord.local.discord_standin import DiscordStandIn
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from kaltura_discord.meetings.kaltura_rooms import KalturaRoomGateway
from kaltura_discord.meetings.model import Meeting, meeting_id_for
from kaltura_discord.meetings.repository import MeetingRepository
from kaltura_discord.meetings.service import MeetingService
from kaltura_discord.scheduler import LocalScheduler, SchedulerError, install_scheduler
from tests.support import openapi
from tests.support.fakes import MemoryConfigTable
from tests.support.interactions import CHANNEL_ID, GUILD_ID, command

pytestmark = pytest.mark.integration

NOTIFY_CHANNEL = "1000000000000000777"
EVENTS = rf"/guilds/{GUILD_ID}/scheduled-events"


@pytest.fixture
def settings_table() -> Iterator[MemoryConfigTable]:
    table = MemoryConfigTable()
    set_config_service(ConfigService(ConfigStore(table), ttl_seconds=0))
    table.put(GUILD_ID, {"notifications": {"enabled": True, "channel_id": NOTIFY_CHANNEL}}, 1)
    yield table
    set_config_service(None)


@pytest.fixture
def service(
    table_name: str, sandbox: KalturaSandbox, discord: DiscordStandIn, settings_table: MemoryConfigTable
) -> Iterator[MeetingService]:
    client = client_from_settings(read_timeout=0.3, sleep=lambda _: None)
    built = MeetingService(MeetingRepository(), KalturaRoomGateway(KalturaRooms(client)), sleep=lambda _: None)
    bot_meetings.set_service(built)
    discord.add_channel(NOTIFY_CHANNEL, GUILD_ID)
    discord.add_channel(CHANNEL_ID, GUILD_ID)
    yield built
    bot_meetings.set_service(None)
    client.close()


@pytest.fixture
def scheduler() -> Iterator[LocalScheduler]:
    """Fires through a fresh Worker per job, as each EventBridge target invoke would; never on its own."""
    local = LocalScheduler(lambda event: Worker(sleep=lambda _: None).run(event), clock=lambda: 0.0)
    install_scheduler(local)
    yield local
    install_scheduler(None)


def schedule_job(title: str = "Planning", start: str = "in 30m", duration: int | None = None, **locales: str) -> Job:
    options = [
        {"name": "type", "type": 3, "value": "webinar"},
        {"name": "title", "type": 3, "value": title},
        {"name": "start", "type": 3, "value": start},
    ]
    if duration is not None:
        options.append({"name": "duration", "type": 4, "value": duration})
    interaction = Interaction({**command("kaltura-schedule", options), **locales})
    handed: list[Job] = []

    class Recorder:
        def submit(self, job: Job) -> None:
            handed.append(job)

    jobs.install_dispatcher(Recorder())
    try:
        response = bot_schedule.kaltura_schedule(interaction).to_dict()
    finally:
        jobs.install_dispatcher(None)
    assert response == {"type": 5}  # public: the card is for the channel
    [job] = handed
    return job


def end_job(meeting_id: str, via: str = "command") -> Job:
    interaction = Interaction(command("kaltura-end", [{"name": "meeting", "type": 3, "value": meeting_id}]))
    return Job.for_interaction("meeting_end", interaction, {"meeting_id": meeting_id, "via": via})


def scheduled(service: MeetingService, job: Job) -> Meeting:
    return service.repository.get(GUILD_ID, meeting_id_for(job.interaction_id))


def posts(discord: DiscordStandIn, channel: str) -> list[dict[str, Any]]:
    return discord.channel_messages(channel)


def test_scheduling_creates_a_schema_valid_event_a_card_and_two_timers(
    service: MeetingService, discord: DiscordStandIn, scheduler: LocalScheduler, shared: Path
) -> None:
    job = schedule_job(duration=90)
    assert Worker().run(job.to_dict())["status"] == "succeeded"
    meeting = scheduled(service, job)
    assert meeting.status == "scheduled" and meeting.event_id is not None
    [create] = discord.calls("POST", EVENTS + "$")
    assert openapi.errors(shared, "ExternalScheduledEventCreateRequest", create.body) == []
    assert create.body["entity_type"] == 3 and create.body["privacy_level"] == 2
    location = create.body["entity_metadata"]["location"]
    assert f"/kaltura-join {meeting.short_id}" in location and len(location) <= 100
    assert "ks=" not in str(create.body).lower()
    assert meeting.scheduled_end - meeting.scheduled_start == 90 * 60  # type: ignore[operator]
    [event] = discord.scheduled_events(GUILD_ID)
    assert event["id"] == meeting.event_id and event["status"] == 1
    [card] = discord.calls("PATCH", rf"/webhooks/\d+/{job.token}/messages/@original")
    fields = {f["name"]: f["value"] for f in card.body["embeds"][0]["fields"]}
    assert fields["Starts"].startswith(f"<t:{meeting.scheduled_start}:F>") and fields["Duration"] == "90 min"
    urls = [c.get("url") for row in card.body["components"] for c in row["components"]]
    assert f"https://discord.com/events/{GUILD_ID}/{meeting.event_id}" in urls
    assert card.body["allowed_mentions"] == {"parse": []}
    assert sorted(p["kind"] for p in scheduler.pending()) == ["meeting_reminder", "meeting_scheduled_start"]
    [reminder] = [p for p in scheduler.pending() if p["kind"] == "meeting_reminder"]
    assert reminder["at"] == meeting.scheduled_start - 10 * 60  # type: ignore[operator]
    assert meeting.message_id is not None


def test_reminder_then_start_makes_one_room_activates_the_event_and_notifies(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn, scheduler: LocalScheduler, shared: Path
) -> None:
    job = schedule_job()
    Worker().run(job.to_dict())
    meeting = scheduled(service, job)
    assert scheduler.run_due(meeting.scheduled_start - 600) == 1  # type: ignore[operator]
    [reminder] = posts(discord, NOTIFY_CHANNEL)
    assert f"<t:{meeting.scheduled_start}:R>" in reminder["content"]
    assert f"https://discord.com/events/{GUILD_ID}/{meeting.event_id}" in reminder["content"]
    assert sandbox.rooms == []  # nothing on Kaltura before the start

    assert scheduler.run_due(float(meeting.scheduled_start)) == 1  # type: ignore[arg-type]
    live = scheduled(service, job)
    assert live.status == "active" and live.room_id is not None
    assert sandbox.call_count("room_room", "add") == 1
    [event] = discord.scheduled_events(GUILD_ID)
    assert event["status"] == 2
    [patch] = discord.calls("PATCH", EVENTS + r"/\d+$")
    assert openapi.errors(shared, "ExternalScheduledEventPatchRequestPartial", patch.body) == []
    [card_edit] = discord.calls("PATCH", rf"/channels/\d+/messages/{meeting.message_id}$")
    assert [c["label"] for c in card_edit.body["components"][0]["components"]] == ["Join", "Share", "End"]
    started = posts(discord, NOTIFY_CHANNEL)[1]
    assert "has started" in started["content"]

    # A second fire of the same schedule (EventBridge delivers at least once) changes nothing.
    start_event = Job.scheduled(
        "meeting_scheduled_start",
        live.meeting_id,
        float(live.scheduled_start or 0),
        guild_id=GUILD_ID,
        payload={"meeting_id": live.meeting_id},
    )
    assert Worker().run(start_event.to_dict()) == {"status": "duplicate"}
    assert sandbox.call_count("room_room", "add") == 1

    assert Worker().run(end_job(live.meeting_id).to_dict())["status"] == "succeeded"
    [event] = discord.scheduled_events(GUILD_ID)
    assert event["status"] == 3
    assert scheduled(service, job).status == "ended"


def test_a_french_servers_meeting_speaks_french_at_its_start_with_no_interaction_to_ask(
    service: MeetingService, discord: DiscordStandIn, scheduler: LocalScheduler, shared: Path
) -> None:
    """The server's language is stored with the meeting: the event (seen by the whole server) and the card the
    timer makes live are French, although the member who scheduled it reads German."""
    job = schedule_job(title="Planification", locale="de", guild_locale="fr")
    Worker().run(job.to_dict())
    meeting = scheduled(service, job)
    assert meeting.guild_locale == "fr"
    [create] = discord.calls("POST", EVENTS + "$")
    assert openapi.errors(shared, "ExternalScheduledEventCreateRequest", create.body) == []
    location = create.body["entity_metadata"]["location"]
    assert location == f"Webinaire Kaltura \u00b7 /kaltura-join {meeting.short_id} sur Discord dès le début"
    assert create.body["description"].startswith("Webinaire \u00b7 hôte\u00a0: Test User.")
    [card] = discord.calls("PATCH", rf"/webhooks/\d+/{job.token}/messages/@original")
    names = [f["name"] for f in card.body["embeds"][0]["fields"]]
    assert names == ["Type", "Hôte", "État", "Début", "Durée"]
    assert scheduler.run_due(float(meeting.scheduled_start)) == 2  # type: ignore[arg-type]
    [card_edit] = discord.calls("PATCH", rf"/channels/\d+/messages/{meeting.message_id}$")
    assert [c["label"] for c in card_edit.body["components"][0]["components"]] == ["Rejoindre", "Partager", "Terminer"]
    # the shipped templates, which this server never changed, are French too: the reminder, then the start
    reminder, started = (m["content"] for m in posts(discord, NOTIFY_CHANNEL))
    assert reminder.startswith("**Planification** (Webinaire), animé par Test User, commence <t:")
    assert started.startswith("**Planification** (Webinaire) a commencé, animé par Test User.")


def test_cancelling_before_the_start_cancels_the_event_and_touches_no_kaltura(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn, scheduler: LocalScheduler
) -> None:
    job = schedule_job()
    Worker().run(job.to_dict())
    meeting = scheduled(service, job)
    end = end_job(meeting.meeting_id)
    assert Worker().run(end.to_dict())["status"] == "succeeded"
    [reply] = discord.calls("PATCH", rf"/webhooks/\d+/{end.token}/messages/@original")
    assert reply.body["content"].startswith("Cancelled **Planning**")
    assert scheduled(service, job).status == "cancelled"
    [event] = discord.scheduled_events(GUILD_ID)
    assert event["status"] == 4
    assert scheduler.pending() == []
    assert service.repository.count_scheduled(GUILD_ID) == 0 and service.upcoming(GUILD_ID) == []
    assert sandbox.calls == {}
    again = end_job(meeting.meeting_id)
    Worker().run(again.to_dict())
    [refused] = discord.calls("PATCH", rf"/webhooks/\d+/{again.token}/messages/@original")
    assert "already cancelled" in refused.body["content"]


def test_an_event_deleted_by_hand_cancels_the_meeting_at_its_start(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn, scheduler: LocalScheduler
) -> None:
    job = schedule_job()
    Worker().run(job.to_dict())
    meeting = scheduled(service, job)
    import httpx

    url = f"{discord.api_base_url}/guilds/{GUILD_ID}/scheduled-events/{meeting.event_id}"
    assert httpx.delete(url, headers={"Authorization": "Bot integration-bot-token"}).status_code == 204
    scheduler.run_due(float(meeting.scheduled_start or 0))
    assert scheduled(service, job).status == "cancelled"
    assert sandbox.calls == {}
    [note] = [m for m in posts(discord, CHANNEL_ID) if "cancelled at its start time" in m["content"]]
    assert "Discord event had been deleted" in note["content"]


def test_a_lost_answer_to_the_event_creation_makes_one_event(
    service: MeetingService, discord: DiscordStandIn, scheduler: LocalScheduler
) -> None:
    discord.lose_answer_next(rf"POST {EVENTS}$")
    job = schedule_job()
    assert Worker().run(job.to_dict())["status"] == "succeeded"
    [event] = discord.scheduled_events(GUILD_ID)
    assert scheduled(service, job).event_id == event["id"]


def test_without_create_events_nothing_is_scheduled_and_the_person_is_told(
    service: MeetingService, discord: DiscordStandIn, scheduler: LocalScheduler
) -> None:
    discord.set_bot_permissions(GUILD_ID, 1 << 11)  # can send messages, cannot create events
    job = schedule_job()
    Worker().run(job.to_dict())
    [follow_up] = discord.calls("POST", rf"/webhooks/\d+/{job.token}$")
    assert "Create Events" in follow_up.body["content"] and follow_up.body["flags"] == 64
    assert service.repository.find(GUILD_ID, meeting_id_for(job.interaction_id)) is None
    assert service.repository.count_scheduled(GUILD_ID) == 0 and scheduler.pending() == []


def test_when_the_timers_cannot_be_set_the_event_and_record_go_again(
    service: MeetingService, discord: DiscordStandIn, scheduler: LocalScheduler, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(name: str, at: float, job: dict[str, Any]) -> None:
        raise SchedulerError("ServiceQuotaExceededException")

    monkeypatch.setattr(scheduler, "schedule", refuse)
    job = schedule_job()
    Worker().run(job.to_dict())
    assert discord.scheduled_events(GUILD_ID) == []
    assert service.repository.find(GUILD_ID, meeting_id_for(job.interaction_id)) is None
    [follow_up] = discord.calls("POST", rf"/webhooks/\d+/{job.token}$")
    assert "start timer" in follow_up.body["content"]


def test_when_storage_fails_after_the_event_was_made_the_event_and_record_go_again(
    service: MeetingService, discord: DiscordStandIn, scheduler: LocalScheduler, monkeypatch: pytest.MonkeyPatch
) -> None:
    def storage_down(meeting: Meeting, event_id: str) -> None:
        raise ConnectionError("DynamoDB went away")

    monkeypatch.setattr(service.repository, "set_event", storage_down)
    job = schedule_job()
    Worker().run(job.to_dict())
    assert discord.calls("POST", rf"{EVENTS}$")  # the event was made, then undone
    assert discord.scheduled_events(GUILD_ID) == []
    assert service.repository.find(GUILD_ID, meeting_id_for(job.interaction_id)) is None
    assert service.repository.count_scheduled(GUILD_ID) == 0 and scheduler.pending() == []
    [follow_up] = discord.calls("POST", rf"/webhooks/\d+/{job.token}$")
    assert "storage failed" in follow_up.body["content"] and follow_up.body["flags"] == 64


def test_a_kaltura_refusal_at_the_start_is_told_in_the_channel_and_closes_the_event(
    service: MeetingService, sandbox: KalturaSandbox, discord: DiscordStandIn, scheduler: LocalScheduler
) -> None:
    job = schedule_job()
    Worker().run(job.to_dict())
    meeting = scheduled(service, job)
    sandbox.inject("error", service="room_room", action="add", code="SERVICE_FORBIDDEN")
    scheduler.run_due(float(meeting.scheduled_start or 0))
    [note] = [m for m in posts(discord, CHANNEL_ID) if "could not start at its scheduled time" in m["content"]]
    assert "/kaltura-start" in note["content"]
    assert discord.scheduled_events(GUILD_ID) == []  # deleted: an active event could only show as completed
    assert sandbox.rooms == []


def test_scheduled_meetings_are_listed_with_their_time_and_refuse_joins(
    service: MeetingService, discord: DiscordStandIn, scheduler: LocalScheduler
) -> None:
    from kaltura_discord.discord.router import UserFacingError

    job = schedule_job()
    Worker().run(job.to_dict())
    meeting = scheduled(service, job)
    listing = bot_meetings.kaltura_list(Interaction(command("kaltura-list"))).to_dict()["data"]
    [upcoming] = listing["embeds"][0]["fields"]
    assert f"<t:{meeting.scheduled_start}:F>" in upcoming["value"] and meeting.short_id in upcoming["value"]
    typed = [{"name": "meeting", "type": 3, "value": "plan", "focused": True}]
    choices = bot_meetings.meeting_autocomplete(Interaction(command("kaltura-join", typed))).to_dict()
    assert [c["value"] for c in choices["data"]["choices"]] == [meeting.meeting_id]
    with pytest.raises(UserFacingError, match="starts <t:"):
        bot_meetings.kaltura_join(
            Interaction(command("kaltura-join", [{"name": "meeting", "type": 3, "value": meeting.short_id}]))
        )


def test_a_late_fire_still_acts_and_a_very_late_one_is_dropped(
    service: MeetingService, discord: DiscordStandIn, scheduler: LocalScheduler
) -> None:
    """EventBridge Scheduler fires within a minute and retries for 10 minutes, and Lambda's queue holds an event up
    to 5: a start 20 minutes late is still carried out (a token's 15 minutes do not apply); one 2 hours late is not."""
    job = schedule_job()
    Worker().run(job.to_dict())
    meeting = scheduled(service, job)

    def fire(late_by: float) -> dict[str, Any]:
        event = Job.scheduled(
            "meeting_reminder",
            meeting.meeting_id,
            time.time() - late_by,
            guild_id=GUILD_ID,
            payload={"meeting_id": meeting.meeting_id},
        )
        return Worker().run(event.to_dict())

    assert fire(2 * 3600) == {"status": "expired"}
    assert fire(20 * 60) == {"status": "succeeded"}
    assert len(posts(discord, NOTIFY_CHANNEL)) == 1
