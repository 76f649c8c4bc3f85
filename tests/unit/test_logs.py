"""Logs: LOG_LEVEL is honoured, every line of a request carries its ids, and secrets are still never written."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest

from kaltura_discord import logs

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logs.JsonFormatter())
    root = logging.getLogger("kaltura_discord")
    root.addHandler(handler)
    try:
        yield stream
    finally:
        root.removeHandler(handler)


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in stream.getvalue().splitlines() if line.strip()]


@pytest.mark.parametrize(
    ("value", "level"),
    [("DEBUG", logging.DEBUG), ("info", logging.INFO), ("WARNING", logging.WARNING), ("warn", logging.WARNING),
     ("ERROR", logging.ERROR), ("", logging.INFO)],
)  # fmt: skip
def test_log_level_names_the_level(value: str, level: int) -> None:
    assert logs.level_from_environment({"LOG_LEVEL": value}) == (level, None)


def test_an_unknown_log_level_is_info_and_says_so() -> None:
    level, complaint = logs.level_from_environment({"LOG_LEVEL": "verbose"})
    assert level == logging.INFO
    assert complaint is not None and "'VERBOSE'" in complaint and "DEBUG, INFO, WARNING, ERROR" in complaint


def test_configure_level_sets_the_package_level() -> None:
    root = logging.getLogger("kaltura_discord")
    before = root.level
    try:
        assert logs.configure_level({"LOG_LEVEL": "ERROR"}) == logging.ERROR
        assert not logs.get_logger("x").isEnabledFor(logging.WARNING)
        logs.configure_level({"LOG_LEVEL": "DEBUG"})
        assert logs.get_logger("x").isEnabledFor(logging.DEBUG)
    finally:
        root.setLevel(before)


def test_request_context_is_added_to_every_line_and_removed_after(captured: io.StringIO) -> None:
    log = logs.get_logger("test")
    with logs.request_context(request_id="req-1", interaction_id=None):
        log.info("outer")
        with logs.request_context(interaction_id="42"):
            log.info("inner", extra={"status": "ok"})
        log.info("outer again")
    log.info("outside")
    outer, inner, outer_again, outside = _lines(captured)
    assert outer["request_id"] == "req-1" and "interaction_id" not in outer
    assert (inner["request_id"], inner["interaction_id"], inner["status"]) == ("req-1", "42", "ok")
    assert "interaction_id" not in outer_again
    assert "request_id" not in outside


def test_secret_looking_context_fields_are_redacted(captured: io.StringIO) -> None:
    with logs.request_context(request_id="r", bot_token="very-secret"):
        logs.get_logger("test").warning("m", extra={"client_secret": "also-secret"})
    (entry,) = _lines(captured)
    assert "very-secret" not in captured.getvalue() and "also-secret" not in captured.getvalue()
    assert entry["bot_token"] == entry["client_secret"] == "[redacted]"


def test_request_ids_from_the_lambda_context_and_the_api_gateway_event() -> None:
    assert logs.lambda_request_id(SimpleNamespace(aws_request_id="abc")) == "abc"
    assert logs.lambda_request_id(None) is None
    assert logs.api_request_id({"requestContext": {"requestId": "gw-1"}}) == "gw-1"
    assert logs.api_request_id({"requestContext": "nonsense"}) is None
    assert logs.api_request_id(None) is None


_CHILD = """
import json, sys
from types import SimpleNamespace
from kaltura_discord.config import ConfigService, ConfigStore, set_config_service
from tests.support.fakes import MemoryConfigTable
from tests.support.interactions import command, signed_event
set_config_service(ConfigService(ConfigStore(MemoryConfigTable()), ttl_seconds=60))
from kaltura_discord.bot.interactions import handler
event = signed_event(command("kaltura-help", token="very-secret-interaction-token"))
event.setdefault("requestContext", {})["requestId"] = "gw-request-1"
answer = handler(event, SimpleNamespace(aws_request_id="lambda-request-1"))
print(json.dumps({"id": json.loads(event["body"])["id"], "type": json.loads(answer["body"])["type"]}))
"""


def _run_interaction(log_level: str) -> tuple[dict[str, Any], list[dict[str, Any]], str]:
    from tests.support.interactions import PUBLIC_KEY_HEX

    env = {k: v for k, v in os.environ.items() if not k.startswith(("LOG_LEVEL", "AWS_", "DISCORD_"))}
    env.update(
        LOG_LEVEL=log_level, DISCORD_PUBLIC_KEY=PUBLIC_KEY_HEX, PYTHONPATH=f"{REPO}{os.pathsep}{REPO / 'layers'}"
    )
    result = subprocess.run(
        [sys.executable, "-c", _CHILD], env=env, cwd=REPO, capture_output=True, text=True, check=True, timeout=60
    )
    lines = [json.loads(line) for line in result.stderr.splitlines() if line.startswith("{")]
    return json.loads(result.stdout.strip().splitlines()[-1]), lines, result.stderr


def test_log_level_debug_gives_debug_lines_with_the_request_ids() -> None:
    """The interactions entry point, in a fresh process as on Lambda: LOG_LEVEL=DEBUG adds debug lines, and every
    line of the request carries the Lambda and API Gateway request ids and the interaction id; never the token."""
    answer, lines, stderr = _run_interaction("DEBUG")
    assert answer["type"] == 4
    debug = [line for line in lines if line["level"] == "DEBUG"]
    assert debug, stderr
    assert lines
    for line in lines:
        assert line["request_id"] == "lambda-request-1", line
        assert line["api_request_id"] == "gw-request-1", line
        assert line["interaction_id"] == answer["id"], line
    assert "very-secret-interaction-token" not in stderr


def test_log_level_info_leaves_the_debug_lines_out() -> None:
    _, lines, _ = _run_interaction("INFO")
    assert all(line["level"] != "DEBUG" for line in lines)


def test_rest_api_lines_carry_the_request_ids(captured: io.StringIO) -> None:
    from kaltura_discord.api.lambda_adapter import make_lambda_handler

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        logs.get_logger("api.test").info("inside the app")
        await send({"type": "http.response.start", "status": 204, "headers": []})
        await send({"type": "http.response.body", "body": b""})

    event = {
        "version": "2.0",
        "routeKey": "ANY /v1/{proxy+}",
        "rawPath": "/v1/join/single-use-token",
        "rawQueryString": "",
        "headers": {"host": "api.example"},
        "requestContext": {
            "http": {"method": "GET", "path": "/v1/join/single-use-token", "sourceIp": "127.0.0.1"},
            "requestId": "gw-2",
            "stage": "$default",
        },
        "isBase64Encoded": False,
    }
    root = logging.getLogger("kaltura_discord")
    before = root.level
    root.setLevel(logging.DEBUG)
    try:
        answer = make_lambda_handler(app)(event, SimpleNamespace(aws_request_id="lambda-2"))
    finally:
        root.setLevel(before)
    assert answer["statusCode"] == 204
    lines = _lines(captured)
    assert [line["message"] for line in lines] == ["request received", "inside the app"]
    assert all((line["request_id"], line["api_request_id"]) == ("lambda-2", "gw-2") for line in lines)
    assert "single-use-token" not in captured.getvalue()
