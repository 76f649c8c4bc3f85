"""Every interaction answers within Discord's 3 seconds, whatever fails behind it.

Through ``make run`` (the session stack): a fault is put in front of DynamoDB (the local fault proxy) or the worker
hand-off, and each interaction a member can send is timed to its first HTTP answer. The answer must be a 200 in
under 2.8 s that is a deferral (type 5/6) or an ephemeral message (flags 64); autocomplete answers choices (type 8,
possibly none); see :mod:`tests.support.first_answer`. Each test reports every interaction that broke the promise,
not only the first, with the time and answer of all of them.
"""

from __future__ import annotations

import itertools
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx
import pytest

from kaltura_discord.bot.messages import SETTINGS_UNREADABLE, STORAGE_SLOW
from kaltura_discord.commands.definitions import COMMANDS
from tests.e2e.conftest import RunningStack
from tests.e2e.test_meetings import meeting_id_of, start
from tests.support.first_answer import FIRST_ANSWER_LIMIT_SECONDS, broken_promise, interactions
from tests.support.interactions import command

pytestmark = pytest.mark.e2e

RECOVERY_TIMEOUT_SECONDS = 20.0  # the breaker probes every few seconds once the fault is gone
VIEWER = "1000000000000000432"
KNOWN_GUILD = "1000000000000000433"
_places = itertools.count()


@dataclass(frozen=True)
class Place:
    """A server and a host of its own per test: the meeting limits (live meetings per server, starts per member
    per hour) must not refuse one test's meetings because of another's."""

    guild: str
    host: str


def next_place() -> Place:
    n = next(_places)
    return Place(guild=str(1_000_000_000_000_004_000 + n), host=str(1_000_000_000_000_005_000 + n))


FAULTS = [
    pytest.param("dynamodb", "hang", {}, id="dynamodb-hang"),
    pytest.param("dynamodb", "delay", {"ms": 1500}, id="dynamodb-delay-1500ms"),
    pytest.param("dynamodb", "throttle", {}, id="dynamodb-throttle"),
    pytest.param("dynamodb", "status", {"status": 500}, id="dynamodb-status-500"),
    pytest.param("dynamodb", "reset", {}, id="dynamodb-reset"),
    pytest.param("worker", "hang", {}, id="worker-hang"),
    pytest.param("worker", "status", {}, id="worker-status"),
]


def timed(stack: RunningStack, payload: dict[str, Any]) -> tuple[float, httpx.Response | None]:
    began = time.perf_counter()
    try:
        response = stack.post(payload)
    except httpx.TimeoutException:
        return time.perf_counter() - began, None
    return time.perf_counter() - began, response


def run_matrix(stack: RunningStack, place: Place, meeting_id: str) -> tuple[list[str], list[str]]:
    """(problems, a line per interaction with its time and answer, for the failure message)."""
    problems, lines = [], []
    for name, payload in interactions(meeting_id, guild=place.guild, host=place.host, viewer=VIEWER):
        elapsed, response = timed(stack, payload)
        answer = "-" if response is None else response.text[:120]
        lines.append(f"  {name:<22} {elapsed:5.2f} s  {answer}")
        problem = broken_promise(name, payload, elapsed, response)
        if problem:
            problems.append(problem)
    return problems, lines


# ---- fixtures ---------------------------------------------------------------------------------------------


def storage_answers(stack: RunningStack) -> bool:
    answer = stack.post(command("kaltura-list", guild_id=KNOWN_GUILD, user_id=VIEWER)).json()
    text = json.dumps(answer)
    return answer.get("type") == 4 and STORAGE_SLOW not in text and SETTINGS_UNREADABLE not in text


def poll(condition: Any, timeout: float) -> bool:
    pause = threading.Event()
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        pause.wait(0.1)
    return bool(condition())


@pytest.fixture
def faulty(stack: RunningStack) -> Iterator[RunningStack]:
    """The session stack with no fault; afterwards the faults are cleared and the stack is healthy again (the
    breaker closed), so the tests after these are not failing fast on an outage that is over."""
    stack.clear_faults()
    yield stack
    stack.clear_faults()
    assert poll(lambda: storage_answers(stack), RECOVERY_TIMEOUT_SECONDS), "storage did not come back after the fault"


@pytest.fixture
def place() -> Place:
    return next_place()


def meeting_before_the_fault(stack: RunningStack, place: Place) -> str:
    return meeting_id_of(start(stack, "Started before the fault", user=place.host, guild=place.guild)["edit"])


# ---- the tests --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("target", "kind", "extra"), FAULTS)
def test_every_interaction_answers_in_time(
    faulty: RunningStack, place: Place, target: str, kind: str, extra: dict[str, Any]
) -> None:
    meeting_id = meeting_before_the_fault(faulty, place)
    faulty.inject_fault(target, kind, **extra)
    problems, lines = run_matrix(faulty, place, meeting_id)
    assert problems == [], "\n".join([f"{target} {kind} {extra}:", *problems, "all first answers:", *lines])


def test_the_breaker_keeps_dynamodb_calls_few_during_a_hang(faulty: RunningStack) -> None:
    assert poll(lambda: quiet(faulty), 10.0), "DynamoDB calls from earlier work never stopped"
    faulty.inject_fault("dynamodb", "hang")
    before = faulty.fault_counts()["dynamodb"]
    slow = []
    for n in range(20):
        elapsed, response = timed(faulty, command("kaltura-list", guild_id=KNOWN_GUILD, user_id=VIEWER))
        problem = broken_promise(f"/kaltura-list #{n + 1}", {"type": 2}, elapsed, response)
        if problem:
            slow.append(problem)
    calls = faulty.fault_counts()["dynamodb"] - before
    assert calls <= 4, f"20 interactions during a DynamoDB hang made {calls} DynamoDB requests"
    assert slow == []


def quiet(stack: RunningStack) -> bool:
    """No DynamoDB request arrived during a short look (leftover worker jobs are done)."""
    before = stack.fault_counts()["dynamodb"]
    threading.Event().wait(0.3)
    return stack.fault_counts()["dynamodb"] == before


def test_help_answers_normally_during_a_dynamodb_outage(faulty: RunningStack) -> None:
    assert storage_answers(faulty)  # KNOWN_GUILD's settings were read once before the outage
    faulty.inject_fault("dynamodb", "hang")
    for guild in ("1000000000000000434", KNOWN_GUILD):  # a server never seen before (nothing cached), then a known one
        elapsed, response = timed(faulty, command("kaltura-help", guild_id=guild, user_id=VIEWER))
        assert response is not None, f"no answer within {elapsed:.1f} s"
        answer = response.json()
        assert (response.status_code, answer["type"], answer["data"]["flags"]) == (200, 4, 64), response.text
        assert elapsed < FIRST_ANSWER_LIMIT_SECONDS, f"guild {guild}: answered in {elapsed:.2f} s"
        assert STORAGE_SLOW not in response.text and SETTINGS_UNREADABLE not in response.text
        description = answer["data"]["embeds"][0]["description"]
        assert all(f"**/{c.name}** `v{c.version}`" in description for c in COMMANDS)
