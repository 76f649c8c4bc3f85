"""``make run`` started with a fault (``LOCAL_FAULTS``), and stopped by SIGTERM while work is held up."""

from __future__ import annotations

import http.client
import json
import signal
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.e2e.conftest import RunningStack, run_stack
from tests.support.interactions import MANAGE_GUILD, command

pytestmark = pytest.mark.e2e

STOP_LIMIT_SECONDS = 5.0


@pytest.fixture
def started_with_a_fault(tmp_path: Path) -> Iterator[RunningStack]:
    faults = [{"target": "discord", "kind": "hang", "path": "/webhooks"}]
    yield from run_stack(tmp_path / "state", {"LOCAL_FAULTS": json.dumps(faults)})


def poll(condition: object, timeout: float = 10.0) -> bool:
    assert callable(condition)
    pause = threading.Event()
    until = time.monotonic() + timeout
    while time.monotonic() < until:
        if condition():
            return True
        pause.wait(0.05)
    return bool(condition())


def test_local_faults_at_start_and_a_prompt_stop_on_sigterm(started_with_a_fault: RunningStack) -> None:
    stack = started_with_a_fault
    assert stack.process is not None
    listed = stack.http.get(stack.faults_url).json()
    assert listed["faults"] == [{"target": "discord", "kind": "hang", "count": None, "path": "/webhooks"}]
    assert set(listed["targets"]) == {"worker", "dynamodb", "discord", "kaltura"}
    assert "started with a local fault" in "".join(stack.output)

    # An idle keep-alive connection to the stack.
    where = urlsplit(stack.interactions_url)
    idle = http.client.HTTPConnection(where.hostname or "127.0.0.1", where.port, timeout=10)
    idle.request("GET", "/health")
    assert idle.getresponse().read() == b'{"status":"ok"}'

    # A worker job held by Discord hanging on its follow-up edit.
    assert stack.post(command("kaltura-status", permissions=MANAGE_GUILD)).json()["type"] == 5
    assert poll(lambda: stack.fault_counts()["discord"] >= 1), "the follow-up edit never reached the proxy"

    # A worker job held by Kaltura hanging (the sandbox holds it until it stops).
    stack.inject_fault("kaltura", "hang", operation="room_room.add")
    before = stack.fault_counts()["kaltura"]
    options = [{"name": "type", "type": 3, "value": "meeting"}, {"name": "title", "type": 3, "value": "Held"}]
    assert stack.post(command("kaltura-start", options)).json() == {"type": 5}
    assert poll(lambda: stack.fault_counts()["kaltura"] > before), "the start job never reached Kaltura"

    # An interaction held by DynamoDB hanging.
    stack.inject_fault("dynamodb", "hang")
    before = stack.fault_counts()["dynamodb"]
    held = threading.Thread(target=lambda: _quietly(lambda: stack.post(command("kaltura-list"))), daemon=True)
    held.start()
    assert poll(lambda: stack.fault_counts()["dynamodb"] > before), "the interaction never reached DynamoDB"

    began = time.monotonic()
    stack.process.send_signal(signal.SIGTERM)
    stopped = poll(lambda: stack.process is not None and stack.process.poll() is not None, STOP_LIMIT_SECONDS)
    took = time.monotonic() - began
    idle.close()
    held.join(timeout=10)
    assert stopped, f"the stack was still running {STOP_LIMIT_SECONDS} s after SIGTERM"
    assert stack.process.returncode == 0, "".join(stack.output[-20:])
    assert took < STOP_LIMIT_SECONDS


def _quietly(call: object) -> None:
    assert callable(call)
    try:
        call()
    except Exception:
        return
