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

from kaltura_discord.api.app import create_app
from kaltura_discord.api.backends import set_backends
from kaltura_discord.api.lambda_adapter import LambdaHandler, make_lambda_handler
from kaltura_discord.bot.worker import Worker
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from kaltura_discord.scheduler import LocalScheduler, install_scheduler
from kaltura_discord.storage import dynamodb
from tests.support.black_hole import BlackHole
from tests.support.lambda_context import LambdaContext
from tests.unit.api.client import LambdaClient, Reply

pytestmark = pytest.mark.integration

FUNCTION_SECONDS = 3.0


@pytest.fixture(scope="module")
def handler() -> LambdaHandler:
    return make_lambda_handler(create_app())


@pytest.fixture
def client(handler: LambdaHandler, api_backends: str) -> LambdaClient:
    return LambdaClient(handler)


def within_the_function(client: LambdaClient, method: str, url: str, **kwargs: object) -> tuple[Reply, float]:
    started = time.monotonic()
    reply = client.request(method, url, context=LambdaContext(started, FUNCTION_SECONDS), **kwargs)  # type: ignore[arg-type]
    return reply, time.monotonic() - started


@pytest.fixture
def scheduler() -> Iterator[LocalScheduler]:
    """Fires only when told, through a Worker, as EventBridge Scheduler's target invoke would."""
    local = LocalScheduler(lambda event: Worker(sleep=lambda _: None).run(event), clock=lambda: 0.0)
    install_scheduler(local)
    yield local
    install_scheduler(None)


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


def test_a_room_adopted_by_a_repeated_request_is_not_removed(
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
    scheduler.run_due(removal["at"])
    [room] = sandbox.rooms
    assert room["referenceId"] == again.json()["data"]["id"]  # the live meeting keeps its room


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
