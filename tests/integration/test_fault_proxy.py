"""The local stack's fault proxy over loopback: in front of moto's DynamoDB server (seen through boto3) and the
Discord stand-in (seen through httpx), the worker hand-off's faults, and the control route."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Iterator
from typing import Any

import boto3
import httpx
import pytest
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from kaltura_discord import deadline
from kaltura_discord.bot.jobs import DispatchError, Job
from kaltura_discord.discord.interaction import Interaction
from kaltura_discord.local.discord_standin import DiscordStandIn
from kaltura_discord.local.fault_proxy import Fault, FaultControl, FaultProxy, FaultSet
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from kaltura_discord.local.server import AfterResponseDispatcher
from tests.support.interactions import command

pytestmark = pytest.mark.integration


@pytest.fixture
def faults() -> Iterator[FaultSet]:
    found = FaultSet()
    yield found
    found.close()


@pytest.fixture
def dynamodb_proxy(dynamodb_endpoint: str, faults: FaultSet) -> Iterator[FaultProxy]:
    proxy = FaultProxy("dynamodb", dynamodb_endpoint, faults).start()
    yield proxy
    proxy.stop()


@pytest.fixture
def discord_proxy(faults: FaultSet) -> Iterator[tuple[FaultProxy, DiscordStandIn]]:
    standin = DiscordStandIn().start()
    proxy = FaultProxy("discord", standin.url, faults, passthrough=("/_standin/",)).start()
    yield proxy, standin
    proxy.stop()
    standin.stop()


def client(endpoint: str, read_timeout: float = 5.0) -> Any:
    """One attempt per call, so each call is one request at the proxy."""
    config = Config(connect_timeout=1, read_timeout=read_timeout, retries={"total_max_attempts": 1})
    return boto3.client("dynamodb", endpoint_url=endpoint, config=config)


def key(n: int) -> dict[str, Any]:
    return {"pk": {"S": f"FAULT#{n}"}, "sk": {"S": "ITEM"}}


def error_code(exc: ClientError) -> tuple[int, str]:
    return exc.response["ResponseMetadata"]["HTTPStatusCode"], exc.response["Error"]["Code"]


# ---- DynamoDB ----------------------------------------------------------------------------------------------


def test_requests_pass_through_and_are_counted_per_operation(
    table_name: str, dynamodb_proxy: FaultProxy, faults: FaultSet
) -> None:
    dynamo = client(dynamodb_proxy.url)
    dynamo.put_item(TableName=table_name, Item={**key(1), "v": {"S": "one"}})
    assert dynamo.get_item(TableName=table_name, Key=key(1))["Item"]["v"] == {"S": "one"}
    assert faults.counts()["dynamodb"] == 2
    assert faults.operations()["dynamodb"] == {"DynamoDB_20120810.PutItem": 1, "DynamoDB_20120810.GetItem": 1}


def test_status_answers_dynamodbs_internal_failure(
    table_name: str, dynamodb_proxy: FaultProxy, faults: FaultSet
) -> None:
    faults.add(Fault.from_json({"target": "dynamodb", "kind": "status", "count": 1}))
    dynamo = client(dynamodb_proxy.url)
    with pytest.raises(ClientError) as failed:
        dynamo.get_item(TableName=table_name, Key=key(2))
    assert error_code(failed.value) == (500, "InternalFailure")
    assert "Item" not in dynamo.get_item(TableName=table_name, Key=key(2))  # count 1: the next one passes


@pytest.mark.parametrize(
    ("variant", "code"),
    [(None, "ThrottlingException"), ("provisioned", "ProvisionedThroughputExceededException")],
)
def test_throttle_answers_as_dynamodb_throttles(
    table_name: str, dynamodb_proxy: FaultProxy, faults: FaultSet, variant: str | None, code: str
) -> None:
    faults.add(Fault.from_json({"target": "dynamodb", "kind": "throttle", "variant": variant}))
    with pytest.raises(ClientError) as failed:
        client(dynamodb_proxy.url).get_item(TableName=table_name, Key=key(3))
    assert error_code(failed.value) == (400, code)


def test_operation_limits_the_fault_to_that_call(table_name: str, dynamodb_proxy: FaultProxy, faults: FaultSet) -> None:
    faults.add(Fault.from_json({"target": "dynamodb", "kind": "status", "operation": "PutItem"}))
    dynamo = client(dynamodb_proxy.url)
    assert "Item" not in dynamo.get_item(TableName=table_name, Key=key(4))
    with pytest.raises(ClientError):
        dynamo.put_item(TableName=table_name, Item=key(4))
    faults.clear()
    faults.add(Fault.from_json({"target": "dynamodb", "kind": "status", "operation": "DynamoDB_20120810.GetItem"}))
    dynamo.put_item(TableName=table_name, Item=key(4))
    with pytest.raises(ClientError):
        dynamo.get_item(TableName=table_name, Key=key(4))


def test_reset_fails_the_call_and_nothing_is_written(
    table_name: str, dynamodb_proxy: FaultProxy, faults: FaultSet
) -> None:
    faults.add(Fault.from_json({"target": "dynamodb", "kind": "reset", "count": 1}))
    dynamo = client(dynamodb_proxy.url)
    with pytest.raises(BotoCoreError):
        dynamo.put_item(TableName=table_name, Item=key(5))
    assert "Item" not in dynamo.get_item(TableName=table_name, Key=key(5))


def test_lost_answer_writes_but_the_caller_never_hears(
    table_name: str, dynamodb_proxy: FaultProxy, faults: FaultSet
) -> None:
    faults.add(Fault.from_json({"target": "dynamodb", "kind": "lost_answer", "count": 1}))
    dynamo = client(dynamodb_proxy.url)
    with pytest.raises(BotoCoreError):
        dynamo.put_item(TableName=table_name, Item=key(6))
    assert "Item" in dynamo.get_item(TableName=table_name, Key=key(6))


def test_hang_holds_the_call_until_cleared(table_name: str, dynamodb_proxy: FaultProxy, faults: FaultSet) -> None:
    faults.add(Fault.from_json({"target": "dynamodb", "kind": "hang"}))
    with pytest.raises(BotoCoreError):  # a read timeout: the proxy answers nothing
        client(dynamodb_proxy.url, read_timeout=0.3).get_item(TableName=table_name, Key=key(7))

    outcome: list[Any] = []
    waiting = threading.Thread(
        target=lambda: outcome.append(
            _try(lambda: client(dynamodb_proxy.url).get_item(TableName=table_name, Key=key(7)))
        )
    )
    waiting.start()
    assert _poll(lambda: faults.counts()["dynamodb"] == 2)  # the second call reached the proxy and is held
    faults.clear()
    waiting.join(timeout=10)
    assert not waiting.is_alive()
    [result] = outcome
    assert isinstance(result, BotoCoreError)  # released by closing the connection, never answered


def test_delay_answers_late(table_name: str, dynamodb_proxy: FaultProxy, faults: FaultSet) -> None:
    faults.add(Fault.from_json({"target": "dynamodb", "kind": "delay", "ms": 400, "count": 1}))
    started = time.perf_counter()
    client(dynamodb_proxy.url).get_item(TableName=table_name, Key=key(8))
    assert time.perf_counter() - started >= 0.4


def test_stopping_the_proxy_releases_a_hang(dynamodb_endpoint: str, faults: FaultSet) -> None:
    proxy = FaultProxy("dynamodb", dynamodb_endpoint, faults).start()
    faults.add(Fault.from_json({"target": "dynamodb", "kind": "hang"}))
    held = socket.create_connection(proxy.server_address, timeout=10)
    held.sendall(b"POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
    assert _poll(lambda: faults.counts()["dynamodb"] == 1)
    started = time.perf_counter()
    proxy.stop()
    assert time.perf_counter() - started < 2.0
    assert held.recv(100) == b""  # closed, unanswered
    held.close()


# ---- Discord -----------------------------------------------------------------------------------------------


def test_discord_throttle_is_a_429_with_retry_after(
    discord_proxy: tuple[FaultProxy, DiscordStandIn], faults: FaultSet
) -> None:
    proxy, standin = discord_proxy
    faults.add(Fault.from_json({"target": "discord", "kind": "throttle", "ms": 2500, "path": "/webhooks"}))
    answer = httpx.post(f"{proxy.url}/api/v10/webhooks/1/tok", json={"content": "hi"})
    assert answer.status_code == 429
    assert answer.json() == {"message": "You are being rate limited.", "retry_after": 2.5, "global": False}
    assert answer.headers["retry-after"] == "2"
    assert httpx.get(f"{proxy.url}/api/v10/channels/1").status_code == 404  # other paths pass
    assert standin.calls() != [] and all(c.path != "/webhooks/1/tok" for c in standin.calls())


def test_discord_status_and_standin_routes_pass_through_uncounted(
    discord_proxy: tuple[FaultProxy, DiscordStandIn], faults: FaultSet
) -> None:
    proxy, standin = discord_proxy
    faults.add(Fault.from_json({"target": "discord", "kind": "status", "status": 503}))
    answer = httpx.patch(f"{proxy.url}/api/v10/webhooks/1/tok/messages/@original", json={"content": "x"})
    assert (answer.status_code, answer.json()) == (503, {"message": "503: Service Unavailable", "code": 0})
    recorded = httpx.get(f"{proxy.url}/_standin/calls")
    assert recorded.status_code == 200 and recorded.json() == []
    assert faults.counts()["discord"] == 1
    standin.clear()


# ---- the worker hand-off -----------------------------------------------------------------------------------


def a_job() -> Job:
    return Job.for_interaction("status", Interaction(command("kaltura-status")), {})


def test_worker_faults_fail_the_hand_off_as_a_lambda_invoke_would(faults: FaultSet) -> None:
    ran: list[dict[str, Any]] = []
    done = threading.Event()
    dispatcher = AfterResponseDispatcher(lambda event: (ran.append(event), done.set()), faults=faults)
    try:
        faults.add(Fault.from_json({"target": "worker", "kind": "status", "count": 1}))
        with pytest.raises(DispatchError):
            dispatcher.submit(a_job())

        faults.add(Fault.from_json({"target": "worker", "kind": "hang", "count": 1}))
        with deadline.scope(deadline.Deadline.after(0.8)):
            started = time.perf_counter()
            with pytest.raises(DispatchError):
                dispatcher.submit(a_job())
            held = time.perf_counter() - started
        assert 0.4 <= held < 0.8  # the budget (what is left minus the reserve), never past the deadline

        faults.add(Fault.from_json({"target": "worker", "kind": "lost_answer", "count": 1}))
        with pytest.raises(DispatchError):
            dispatcher.submit(a_job())
        dispatcher.flush()
        assert done.wait(5) and len(ran) == 1  # queued although the caller heard a failure

        faults.add(Fault.from_json({"target": "worker", "kind": "delay", "ms": 5000, "count": 1}))
        with deadline.scope(deadline.Deadline.after(0.6)), pytest.raises(DispatchError):
            dispatcher.submit(a_job())  # longer than the budget: a timeout
        assert faults.counts()["worker"] == 4
    finally:
        dispatcher.shutdown()


def test_worker_fault_can_match_one_job_kind(faults: FaultSet) -> None:
    dispatcher = AfterResponseDispatcher(lambda event: None, faults=faults)
    faults.add(Fault.from_json({"target": "worker", "kind": "throttle", "operation": "meeting_start"}))
    dispatcher.submit(a_job())  # a status job passes
    dispatcher.shutdown()


# ---- the control route -------------------------------------------------------------------------------------


def control_event(method: str, body: Any = None, query: str = "") -> dict[str, Any]:
    return {
        "rawPath": "/_local/faults",
        "rawQueryString": query,
        "requestContext": {"http": {"method": method}},
        "body": "" if body is None else json.dumps(body),
        "isBase64Encoded": False,
    }


def test_control_route_adds_lists_and_clears(faults: FaultSet) -> None:
    control = FaultControl(faults, proxied=("dynamodb",))
    added = control.handle(control_event("POST", {"target": "dynamodb", "kind": "hang", "operation": "GetItem"}))
    assert added["statusCode"] == 201
    listed = json.loads(control.handle(control_event("GET"))["body"])
    assert listed["faults"] == [{"target": "dynamodb", "kind": "hang", "count": None, "operation": "GetItem"}]
    assert listed["counts"] == {"dynamodb": 0, "discord": 0, "worker": 0}
    assert control.handle(control_event("DELETE", query="target=dynamodb"))["statusCode"] == 200
    assert json.loads(control.handle(control_event("GET"))["body"])["faults"] == []


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        ({"target": "dynamodb", "kind": "melt"}, "kind must be one of"),
        ({"target": "s3", "kind": "hang"}, "target must be one of"),
        ({"target": "discord", "kind": "hang"}, "cannot be faulted in this stack"),
        ({"target": "dynamodb", "kind": "delay"}, "a delay needs ms"),
        ({"target": "dynamodb", "kind": "status", "status": 404}, "HTTP 5xx"),
        ({"target": "dynamodb", "kind": "hang", "count": 0}, "count must be"),
        ({"target": "kaltura", "kind": "hang"}, "cannot be faulted in this stack"),
    ],
)
def test_control_route_refuses_what_it_cannot_do(faults: FaultSet, body: dict[str, Any], reason: str) -> None:
    answer = FaultControl(faults, proxied=("dynamodb",)).handle(control_event("POST", body))
    assert answer["statusCode"] == 400
    assert reason in json.loads(answer["body"])["error"]


def test_kaltura_faults_go_to_the_sandbox(faults: FaultSet) -> None:
    with KalturaSandbox() as sandbox:
        control = FaultControl(faults, sandbox_url=sandbox.url)
        control.inject({"target": "kaltura", "kind": "delay", "ms": 250, "operation": "room_room.add"})
        control.inject({"target": "kaltura", "kind": "hang", "count": 2})
        [slow, hang] = control.snapshot()["kaltura_faults"]
        assert (slow["kind"], slow["seconds"], slow["service"], slow["action"]) == ("slow", 0.25, "room_room", "add")
        assert (hang["kind"], hang["remaining"], hang["seconds"]) == ("hang", 2, 120.0)
        with pytest.raises(ValueError, match="no throttle"):
            control.inject({"target": "kaltura", "kind": "throttle"})
        control.clear()
        assert control.snapshot()["kaltura_faults"] == []


def test_local_faults_setting(faults: FaultSet) -> None:
    control = FaultControl(faults, proxied=("dynamodb", "discord"))
    applied = control.apply_setting('[{"target":"dynamodb","kind":"hang"},{"target":"worker","kind":"status"}]')
    assert [f["target"] for f in applied] == ["dynamodb", "worker"]
    assert control.apply_setting("") == []
    with pytest.raises(ValueError, match="LOCAL_FAULTS is not JSON"):
        control.apply_setting("[{")
    with pytest.raises(ValueError, match="LOCAL_FAULTS: kind must be"):
        control.apply_setting('{"target":"dynamodb","kind":"boom"}')


# ---- helpers -----------------------------------------------------------------------------------------------


def _try(call: Any) -> Any:
    try:
        return call()
    except Exception as exc:
        return exc


def _poll(condition: Any, timeout: float = 10.0) -> bool:
    pause = threading.Event()
    for _ in range(int(timeout / 0.02)):
        if condition():
            return True
        pause.wait(0.02)
    return bool(condition())
