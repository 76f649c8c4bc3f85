"""The measurement the deadline issue was filed with, repeated: the interactions function's Lambda handler called
in-process with a Lambda-like context, while DynamoDB's endpoint (and the Lambda API's) accept connections and
never answer. It used to take about 12 s per interaction; each must now answer 200 in under 2.8 s, with a clear
ephemeral message, a deferral or (autocomplete) choices, even with a breaker that has not yet seen the outage.
"""

from __future__ import annotations

import importlib.util
import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kaltura_discord.bot import interactions, jobs
from kaltura_discord.bot import meetings as bot_meetings
from kaltura_discord.config import set_config_service
from kaltura_discord.storage import dynamodb
from kaltura_discord.storage.jobs import set_ledger
from tests.support.black_hole import BlackHole
from tests.support.interactions import MANAGE_GUILD, PUBLIC_KEY_HEX, command, interaction, signed_event
from tests.support.lambda_context import LambdaContext

pytestmark = pytest.mark.integration

LIMIT_SECONDS = 2.8


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
