"""Scheduling over HTTP: POST /v1/meetings with scheduled_start makes the same scheduled meeting as
/kaltura-schedule (its Discord event and timers, once per Idempotency-Key), lists it, and DELETE cancels it."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from kaltura_discord.local.discord_standin import DiscordStandIn
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from kaltura_discord.scheduler import LocalScheduler, install_scheduler
from tests.support import openapi
from tests.unit.api.client import LambdaClient
from tests.unit.auth.support import GUILD

pytestmark = pytest.mark.integration

Mint = Callable[..., str]


@pytest.fixture
def scheduler() -> Iterator[LocalScheduler]:
    local = LocalScheduler(lambda event: None, clock=lambda: 0.0)
    install_scheduler(local)
    yield local
    install_scheduler(None)


def body(**changes: Any) -> dict[str, Any]:
    start = dt.datetime.fromtimestamp(time.time() + 7200, tz=dt.timezone(dt.timedelta(hours=2)))
    return {"type": "webinar", "title": "Board meeting", "scheduled_start": start.isoformat(), **changes}


def test_a_scheduled_meeting_over_http(
    client: LambdaClient,
    mint: Mint,
    discord: DiscordStandIn,
    sandbox: KalturaSandbox,
    scheduler: LocalScheduler,
    shared: Path,
) -> None:
    token = mint()
    request = body(duration_minutes=45)
    first = client.post("/v1/meetings", json_body=request, token=token, headers={"Idempotency-Key": "s1"})
    again = client.post("/v1/meetings", json_body=request, token=token, headers={"Idempotency-Key": "s1"})
    assert (first.status, again.status) == (201, 201) and again.json() == first.json()
    meeting = first.json()["data"]
    assert meeting["status"] == "scheduled"
    start = dt.datetime.fromisoformat(meeting["scheduled_start"].replace("Z", "+00:00"))
    end = dt.datetime.fromisoformat(meeting["scheduled_end"].replace("Z", "+00:00"))
    assert end - start == dt.timedelta(minutes=45)
    [event] = discord.scheduled_events(GUILD)
    assert meeting["event_url"] == f"https://discord.com/events/{GUILD}/{event['id']}"
    [create] = discord.calls("POST", r"/scheduled-events$")
    assert openapi.errors(shared, "ExternalScheduledEventCreateRequest", create.body) == []
    # Notifications are off in this server, so no reminder: only the start is waiting.
    assert [p["kind"] for p in scheduler.pending()] == ["meeting_scheduled_start"]
    assert sandbox.rooms == []

    listed = client.get("/v1/meetings", params={"status": "scheduled"}, token=token).json()["data"]
    assert [m["id"] for m in listed["items"]] == [meeting["id"]]
    assert client.get("/v1/meetings", token=token).json()["data"]["items"] == []  # not live

    cancelled = client.delete(f"/v1/meetings/{meeting['id']}", token=token)
    assert cancelled.status == 200 and cancelled.json()["data"]["status"] == "cancelled"
    assert discord.scheduled_events(GUILD)[0]["status"] == 4
    assert scheduler.pending() == []
    assert sandbox.calls == {}


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"scheduled_start": "2030-01-01T10:00:00"}, "offset"),
        ({"scheduled_start": "2020-01-01T10:00:00Z"}, "in the past"),
        ({"scheduled_start": None, "duration_minutes": 30}, "goes with scheduled_start"),
    ],
)
def test_bad_schedules_are_422_and_make_nothing(
    client: LambdaClient, mint: Mint, discord: DiscordStandIn, scheduler: LocalScheduler, changes: dict, words: str
) -> None:
    answer = client.post("/v1/meetings", json_body=body(**changes), token=mint())
    assert (answer.status, answer.error_code) == (422, "invalid_meeting")
    assert words in answer.json()["error"]["message"]
    assert discord.scheduled_events(GUILD) == [] and scheduler.pending() == []
