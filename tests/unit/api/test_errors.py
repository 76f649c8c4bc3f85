"""Every answer is an envelope; bad input is never a 5xx; an unexpected failure says nothing about its cause."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kaltura_discord.logs import JsonFormatter
from tests.unit.api.client import LambdaClient
from tests.unit.api.fakes import MemoryBackends

pytestmark = pytest.mark.unit

Mint = Callable[..., str]


@pytest.fixture
def logs() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("kaltura_discord")
    logger.addHandler(handler)
    yield stream
    logger.removeHandler(handler)


def test_health_needs_no_token(client: LambdaClient) -> None:
    answer = client.get("/v1/health")
    assert answer.status == 200
    assert answer.json() == {"version": "1.2.0", "data": {"status": "ok", "service_version": "0.1.0"}}


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/v1/nowhere", 404, "not_found"),
        ("GET", "/v2/meetings", 404, "not_found"),
        ("PUT", "/v1/meetings", 405, "method_not_allowed"),
        ("POST", "/v1/health", 405, "method_not_allowed"),
    ],
)
def test_outside_any_route(client: LambdaClient, method: str, path: str, status: int, code: str) -> None:
    answer = client.request(method, path)
    assert (answer.status, answer.error_code) == (status, code)
    assert answer.json()["version"] == "1.2.0"
    assert answer.headers["cache-control"] == "no-store"
    if status == 405:
        assert "allow" in answer.headers


def test_an_unexpected_failure_is_a_bare_500_and_is_logged(
    client: LambdaClient, mint: Mint, memory: MemoryBackends, monkeypatch: pytest.MonkeyPatch, logs: io.StringIO
) -> None:
    def explode(*_args: Any, **_kwargs: Any) -> Any:
        raise RuntimeError("password=hunter2 in a stack trace")

    monkeypatch.setattr(memory.repository, "list_guild", explode)
    token = mint()
    answer = client.get("/v1/meetings", token=token)
    assert (answer.status, answer.error_code) == (500, "internal_error")
    assert "hunter2" not in answer.text and "Traceback" not in answer.text
    [entry] = [json.loads(line) for line in logs.getvalue().splitlines() if "API request failed" in line]
    assert entry["exception_type"] == "RuntimeError"
    assert token not in logs.getvalue()


def test_storage_trouble_is_503(
    client: LambdaClient, mint: Mint, memory: MemoryBackends, monkeypatch: pytest.MonkeyPatch, logs: io.StringIO
) -> None:
    from botocore.exceptions import EndpointConnectionError

    def unreachable(*_args: Any, **_kwargs: Any) -> Any:
        raise EndpointConnectionError(endpoint_url="http://dynamodb.invalid")

    monkeypatch.setattr(memory.repository, "list_guild", unreachable)
    answer = client.get("/v1/meetings", token=mint())
    assert (answer.status, answer.error_code) == (503, "service_unavailable")
    assert answer.headers["retry-after"] == "5"


def test_missing_signing_keys_are_503_not_401(
    client: LambdaClient, mint: Mint, monkeypatch: pytest.MonkeyPatch, logs: io.StringIO
) -> None:
    from kaltura_discord.auth.keys import clear_keyring

    token = mint()
    monkeypatch.delenv("JWT_SIGNING_KEYS")
    clear_keyring()
    answer = client.get("/v1/meetings", token=token)
    assert (answer.status, answer.error_code) == (503, "service_unavailable")
    assert "JWT_SIGNING_KEYS" not in answer.text


def test_tokens_are_never_logged(client: LambdaClient, mint: Mint, logs: io.StringIO) -> None:
    logging.getLogger("kaltura_discord").setLevel(logging.DEBUG)
    try:
        token = mint()
        meeting_id = client.post("/v1/meetings", json_body={"type": "meeting", "title": "Logged?"}, token=token).json()[
            "data"
        ]["id"]
        link = client.post(f"/v1/meetings/{meeting_id}/join", token=token).json()["data"]["url"]
        client.get(link)
        client.get(link)
    finally:
        logging.getLogger("kaltura_discord").setLevel(logging.INFO)
    output = logs.getvalue()
    assert token not in output
    assert link.rsplit("/", 1)[1] not in output


def test_unknown_query_parameters_are_refused(client: LambdaClient, mint: Mint) -> None:
    answer = client.get("/v1/meetings", params={"pagesize": 5}, token=mint())
    assert (answer.status, answer.error_code) == (422, "validation_failed")
    assert answer.json()["error"]["details"] == [{"field": "query.pagesize", "message": "unknown parameter"}]
    assert client.get("/v1/meetings", params={"page_size": 5}, token=mint()).status == 200
