"""A REST API request fits its function's time whatever hangs behind it: the Lambda handler in-process with a
Lambda-like context, Kaltura (the sandbox holding the request) or DynamoDB (an endpoint that never answers) hung.

Before the request deadline a held ``room_room.add`` waited out the Kaltura client's 10 s read timeout and a hung
DynamoDB botocore's retries, past the function's 10 s: Lambda killed it and API Gateway answered a bare 503. Each
request must now answer with the error envelope and ``Retry-After`` before Lambda's remaining time runs out. The
context here gives 3 s instead of the template's 10, so the test proves the bound follows the remaining time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator

import pytest

from kaltura_discord.api.backends import set_backends
from kaltura_discord.bot import meetings as bot_meetings
from kaltura_discord.bot.worker import Worker
from kaltura_discord.local.discord_standin import DiscordStandIn
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from kaltura_discord.scheduler import LocalScheduler, install_scheduler
from kaltura_discord.storage import dynamodb
from tests.support.black_hole import BlackHole
from tests.support.lambda_context import LambdaContext
from tests.unit.api.client import LambdaClient, Reply
from tests.unit.auth.support import GUILD

pytestmark = pytest.mark.integration

FUNCTION_SECONDS = 3.0
NOTIFY_CHANNEL = "1000000000000000888"


def within_the_function(client: LambdaClient, method: str, url: str, **kwargs: object) -> tuple[Reply, float]:
    started = time.monotonic()
    reply = client.request(method, url, context=LambdaContext(started, FUNCTION_SECONDS), **kwargs)  # type: ignore[arg-type]
    return reply, time.monotonic() - started


@pytest.fixture
def scheduler() -> Iterator[LocalScheduler]:
    """Fires only when told, through a Worker, as EventBridge Scheduler's target invoke would."""
    local = LocalScheduler(lambda event: Worker(sleep=lambda _: None).run(event), clock=lambda: 0.0)
    install_scheduler(local)
    bot_meetings.set_service(None)  # the worker's, built on first use against this test's sandbox
    yield local
    install_scheduler(None)
    bot_meetings.set_service(None)


def room_made(sandbox: KalturaSandbox) -> bool:
    """The held ``room_room.add``, released, is carried out on the sandbox's own thread."""
    pause = threading.Event()
    for _ in range(100):
        if sandbox.rooms:
            return True
        pause.wait(0.05)
    return False


def test_a_hung_kaltura_is_a_503_in_time_and_the_room_it_makes_late_is_removed(
    client: LambdaClient, mint: Callable[..., str], sandbox: KalturaSandbox, scheduler: LocalScheduler
) -> None:
    token = mint()
    sandbox.hang_next(5, seconds=30.0, service="room_room")  # the add and any room list after it
    reply, took = within_the_function(
        client, "POST", "/v1/meetings", json_body={"type": "meeting", "title": "Sync"}, token=token
    )
    assert took < FUNCTION_SECONDS, took
    assert (reply.status, reply.error_code) == (503, "backend_unavailable"), reply.text
    assert reply.headers["retry-after"]
    [removal] = scheduler.pending()
    assert removal["kind"] == "meeting_late_room"

    sandbox.clear_faults()  # Kaltura carries out the add it was holding: a room nobody was told about
    assert room_made(sandbox)
    assert client.get("/v1/meetings", token=token).json()["data"]["items"] == []  # never listed as live
    assert scheduler.run_due(removal["at"]) == 1
    assert sandbox.rooms == []


def test_a_room_adopted_by_a_repeated_request_is_kept(
    client: LambdaClient, mint: Callable[..., str], sandbox: KalturaSandbox, scheduler: LocalScheduler
) -> None:
    token, key = mint(), {"Idempotency-Key": "start-1"}
    body = {"type": "meeting", "title": "Sync"}
    sandbox.hang_next(5, seconds=30.0, service="room_room")
    reply, _ = within_the_function(client, "POST", "/v1/meetings", json_body=body, token=token, headers=key)
    assert reply.status == 503
    sandbox.clear_faults()
    assert room_made(sandbox)
    again = client.post("/v1/meetings", json_body=body, token=token, headers=key)
    assert again.status == 201 and sandbox.calls.get("room_room.add") == 1  # the late room, adopted
    [removal] = scheduler.pending()
    assert scheduler.run_due(removal["at"]) == 1
    [room] = sandbox.rooms
    assert room["referenceId"] == again.json()["data"]["id"]  # the live meeting keeps its room


def test_a_repeat_that_came_before_the_late_room_keeps_its_own_and_the_late_one_goes(
    client: LambdaClient, mint: Callable[..., str], sandbox: KalturaSandbox, scheduler: LocalScheduler
) -> None:
    token, key = mint(), {"Idempotency-Key": "start-2"}
    body = {"type": "meeting", "title": "Sync"}
    sandbox.hang_next(1, seconds=30.0, service="room_room", action="add")  # only the first add is held
    reply, _ = within_the_function(client, "POST", "/v1/meetings", json_body=body, token=token, headers=key)
    assert reply.status == 503
    again = client.post("/v1/meetings", json_body=body, token=token, headers=key)  # finds no room yet: adds one
    assert again.status == 201
    [own] = sandbox.rooms
    sandbox.clear_faults()  # now the first add is carried out: a second room with the same referenceId
    pause = threading.Event()
    for _ in range(100):
        if len(sandbox.rooms) == 2:
            break
        pause.wait(0.05)
    assert len(sandbox.rooms) == 2
    [removal] = scheduler.pending()
    assert scheduler.run_due(removal["at"]) == 1
    assert [room["id"] for room in sandbox.rooms] == [own["id"]]
    live = client.get("/v1/meetings", token=token).json()["data"]["items"]
    assert [m["id"] for m in live] == [again.json()["data"]["id"]]


def test_a_hung_discord_announcement_leaves_the_started_meeting_a_201_that_repeats(
    client: LambdaClient, mint: Callable[..., str], discord: DiscordStandIn
) -> None:
    """The announcement keeps a second back: the idempotency record is written after it, so the start is a 201,
    not a 503 for a meeting that is live (a retry with the key would then wait on a lock, one without would add
    a second meeting)."""
    token, key = mint(), {"Idempotency-Key": "start-3"}
    discord.add_channel(NOTIFY_CHANNEL, GUILD)
    settings = {"notifications": {"enabled": True, "channel_id": NOTIFY_CHANNEL}}
    assert client.patch("/v1/config", json_body=settings, headers={"If-Match": '"0"'}, token=token).status == 200
    discord.hang_next(rf"GET /channels/{NOTIFY_CHANNEL}$")
    body = {"type": "meeting", "title": "Sync"}
    reply, took = within_the_function(client, "POST", "/v1/meetings", json_body=body, token=token, headers=key)
    assert took < FUNCTION_SECONDS, took
    assert reply.status == 201, reply.text
    discord.release()
    again = client.post("/v1/meetings", json_body=body, token=token, headers=key)
    assert again.status == 201 and again.headers.get("idempotent-replayed") == "true"
    assert again.json() == reply.json()


@pytest.fixture
def hung_storage(api_backends: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[BlackHole]:
    hole = BlackHole()
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", hole.url)
    dynamodb.reset()
    set_backends(None)
    yield hole
    dynamodb.reset()
    set_backends(None)
    hole.close()


def test_a_hung_dynamodb_is_a_503_before_the_function_times_out(
    client: LambdaClient, mint: Callable[..., str], request: pytest.FixtureRequest
) -> None:
    token = mint()  # recorded while the storage still answers
    request.getfixturevalue("hung_storage")
    reply, took = within_the_function(client, "GET", "/v1/meetings", token=token)
    assert took < FUNCTION_SECONDS, took
    assert reply.status == 503 and reply.error_code in {"service_unavailable", "backend_unavailable"}, reply.text
    assert reply.headers["retry-after"]
