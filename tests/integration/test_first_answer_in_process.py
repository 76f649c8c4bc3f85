"""The measurement the deadline issue was filed with, repeated: the interactions function's Lambda handler called
in-process with a Lambda-like context, while DynamoDB's endpoint (and the Lambda API's) accept connections and
never answer. It used to take about 12 s per interaction; each must now answer 200 in under 2.8 s, with a clear
ephemeral message, a deferral or (autocomplete) choices, even with a breaker that has not yet seen the outage.
"""

from __future__ import annotations

import importlib.util
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest

from kaltura_discord.bot import interactions, jobs
from kaltura_discord.bot import meetings as bot_meetings
from kaltura_discord.config import set_config_service
from kaltura_discord.storage import dynamodb
from kaltura_discord.storage.jobs import set_ledger
from tests.support.interactions import MANAGE_GUILD, PUBLIC_KEY_HEX, command, interaction, signed_event

pytestmark = pytest.mark.integration

LIMIT_SECONDS = 2.8


@dataclass
class LambdaContext:
    """What Lambda passes the handler: the interactions function's timeout is 3 s."""

    started: float

    def get_remaining_time_in_millis(self) -> int:
        return int((3.0 - (time.monotonic() - self.started)) * 1000)


class BlackHole:
    """A TCP endpoint that accepts every connection and never answers (a partition, a stuck connection)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        self.server.settimeout(0.05)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        for connection in self.held:
            connection.close()
        self.server.close()


@pytest.fixture
def hung(monkeypatch: pytest.MonkeyPatch) -> Iterator[BlackHole]:
    hole = BlackHole()
    monkeypatch.setenv("AWS_ENDPOINT_URL_DYNAMODB", hole.url)
    monkeypatch.setenv("AWS_ENDPOINT_URL_LAMBDA", hole.url)
    monkeypatch.setenv("TABLE_NAME", "hung")
    monkeypatch.setenv("WORKER_FUNCTION_NAME", "worker")
    monkeypatch.setenv("DISCORD_PUBLIC_KEY", PUBLIC_KEY_HEX)
    jobs.install_dispatcher(None)
    bot_meetings.set_service(None)
    set_config_service(None)
    set_ledger(None)
    monkeypatch.setattr(interactions, "_app", None)
    yield hole
    jobs.install_dispatcher(None)
    set_config_service(None)
    dynamodb.reset()
    hole.close()


def lambda_handler() -> Any:
    """functions/interactions/app.py as Lambda loads it."""
    from tests.conftest import REPO_ROOT

    spec = importlib.util.spec_from_file_location("interactions_app", REPO_ROOT / "functions/interactions/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.handler


MEETING = [{"name": "meeting", "type": 3, "value": "abcdefgh23"}]
CASES: list[tuple[str, dict[str, Any]]] = [
    ("/kaltura-help", command("kaltura-help")),
    ("/kaltura-list", command("kaltura-list")),
    (
        "/kaltura-start",
        command(
            "kaltura-start",
            [{"name": "type", "type": 3, "value": "meeting"}, {"name": "title", "type": 3, "value": "Sync"}],
        ),
    ),
    ("/kaltura-join", command("kaltura-join", MEETING)),
    ("End button", interaction(3, {"custom_id": "meeting-end:abcdefgh23", "component_type": 2})),
    (
        "autocomplete",
        interaction(4, {"id": "1", "name": "kaltura-join", "type": 1, "options": [{**MEETING[0], "focused": True}]}),
    ),
    ("/kaltura-config view", command("kaltura-config", [{"name": "view", "type": 1}], permissions=MANAGE_GUILD)),
]


@pytest.mark.parametrize(("name", "payload"), CASES, ids=[name for name, _ in CASES])
def test_with_storage_and_the_worker_hand_off_hung_every_first_answer_is_in_time(
    hung: BlackHole, name: str, payload: dict[str, Any]
) -> None:
    dynamodb.reset()  # a fresh container: its breaker has not seen the outage yet
    handler = lambda_handler()
    started = time.monotonic()
    result = handler(signed_event(payload), LambdaContext(started))
    took = time.monotonic() - started
    assert result["statusCode"] == 200 and took < LIMIT_SECONDS, (name, took, result)
    answer = json.loads(result["body"])
    if answer["type"] == 8:
        assert answer["data"]["choices"] == []
    elif answer["type"] in (5, 6):
        pass  # a deferral whose hand-off got through is the right answer (it cannot here: the Lambda API hangs)
    else:
        assert answer["type"] == 4 and answer["data"]["flags"] == 64, answer
        if name == "/kaltura-help":  # the defaults serve help: it still works
            assert "/kaltura-start" in answer["data"]["embeds"][0]["description"]
        else:
            assert "try again" in answer["data"]["content"].lower()
