"""The worker against moto's DynamoDB server and the Discord stand-in over loopback."""

from __future__ import annotations

import time
from typing import Any

import pytest

from kaltura_discord.bot import jobs
from kaltura_discord.bot.jobs import Job
from kaltura_discord.bot.worker import Worker
from kaltura_discord.discord.interaction import Interaction
from kaltura_discord.local.discord_standin import DiscordStandIn
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from kaltura_discord.storage.jobs import JobLedger
from tests.support.interactions import MANAGE_GUILD, command

pytestmark = pytest.mark.integration


def status_job(**changes: Any) -> Job:
    job = Job.for_interaction("status", Interaction(command("kaltura-status", permissions=MANAGE_GUILD)), {})
    return Job(**{**job.to_dict(), **changes})


def edits(discord: DiscordStandIn, job: Job) -> list[Any]:
    return discord.calls("PATCH", rf"/webhooks/\d+/{job.token}/messages/@original$")


def test_job_edits_the_original_response_once(table_name: str, discord: DiscordStandIn) -> None:
    job = status_job()
    assert Worker().run(job.to_dict()) == {"status": "succeeded"}
    [edit] = edits(discord, job)
    assert "Storage (DynamoDB): ok" in edit.body["content"]
    assert edit.body["allowed_mentions"] == {"parse": []}
    assert JobLedger().get(job.interaction_id)["status"] == "succeeded"  # type: ignore[index]


def test_duplicated_job_does_not_act_twice(table_name: str, discord: DiscordStandIn) -> None:
    job = status_job()
    first, second = Worker(), Worker()
    assert first.run(job.to_dict())["status"] == "succeeded"
    assert second.run(job.to_dict()) == {"status": "duplicate"}
    assert len(edits(discord, job)) == 1


def test_job_past_the_token_lifetime_gives_up_without_calling_discord(table_name: str, discord: DiscordStandIn) -> None:
    job = status_job(created_at=time.time() - 15 * 60)
    assert Worker().run(job.to_dict()) == {"status": "expired"}
    assert discord.calls() == []


def test_rate_limited_edit_is_retried_after_retry_after(table_name: str, discord: DiscordStandIn) -> None:
    job = status_job()
    discord.rate_limit_next(r"PATCH /webhooks/", retry_after=0.05)
    assert Worker().run(job.to_dict())["status"] == "succeeded"
    assert [c.status for c in edits(discord, job)] == [429, 200]


def test_unknown_webhook_is_not_retried(table_name: str, discord: DiscordStandIn) -> None:
    job = status_job()
    discord.expire_token(job.token)
    assert Worker().run(job.to_dict())["status"] == "succeeded_unreported"
    assert [c.status for c in edits(discord, job)] == [404]


def test_failing_job_reports_a_clear_message(
    table_name: str, discord: DiscordStandIn, monkeypatch: pytest.MonkeyPatch
) -> None:
    def broken(_: Job) -> dict[str, Any]:
        raise RuntimeError("internal detail")

    worker = Worker()
    monkeypatch.setitem(worker._functions, "status", broken)
    job = status_job()
    assert worker.run(job.to_dict())["status"] == "failed"
    [edit] = edits(discord, job)
    assert "internal detail" not in edit.body["content"]
    assert job.interaction_id in edit.body["content"]


@pytest.mark.parametrize("event", [{}, {"kind": "status"}, {**status_job().to_dict(), "kind": "nope"}])
def test_malformed_or_unknown_jobs_are_rejected(table_name: str, discord: DiscordStandIn, event: dict) -> None:
    assert Worker().run(event) == {"status": "rejected"}
    assert discord.calls() == []


def test_defer_hands_the_job_to_the_dispatcher() -> None:
    submitted: list[Job] = []

    class Recorder:
        def submit(self, job: Job) -> None:
            submitted.append(job)

    jobs.install_dispatcher(Recorder())
    try:
        interaction = Interaction(command("kaltura-status", permissions=MANAGE_GUILD))
        response = jobs.defer(interaction, "status", {"x": 1})
    finally:
        jobs.install_dispatcher(None)
    assert response.to_dict() == {"type": 5, "data": {"flags": 64}}
    assert submitted[0].interaction_id == interaction.id and submitted[0].payload == {"x": 1}
    assert abs(submitted[0].created_at - time.time()) < 5


def test_status_reports_kaltura_reachability(table_name: str, discord: DiscordStandIn, sandbox: KalturaSandbox) -> None:
    healthy = status_job()
    Worker().run(healthy.to_dict())
    assert "Kaltura: ok" in edits(discord, healthy)[0].body["content"]
    assert sandbox.call_count("room_room", "list") == 1

    sandbox.fail_next(10, status=503)
    down = status_job()
    Worker().run(down.to_dict())
    content = edits(discord, down)[0].body["content"]
    assert "Kaltura: unreachable" in content and "Storage (DynamoDB): ok" in content
