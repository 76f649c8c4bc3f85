"""Handing a job to the worker when the hand-off fails: exactly one of "it runs" or "the person is told"."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from kaltura_discord import deadline
from kaltura_discord.bot import jobs
from kaltura_discord.bot.dispatch import handle_interaction
from kaltura_discord.bot.jobs import DispatchError, Job
from kaltura_discord.bot.messages import DISPATCH_FAILED
from kaltura_discord.discord.interaction import Interaction
from tests.support.fakes import MemoryJobLedger
from tests.support.interactions import MANAGE_GUILD, command

pytestmark = pytest.mark.unit


class FailingDispatcher:
    def __init__(self, ledger: MemoryJobLedger, *, worker_got_it: bool) -> None:
        self.ledger, self.worker_got_it = ledger, worker_got_it

    def submit(self, job: Job) -> None:
        if self.worker_got_it:  # the invoke went through; only its answer was lost
            assert self.ledger.claim(job.interaction_id, job.kind, "the-worker")
        raise DispatchError("ReadTimeoutError")


@pytest.fixture
def status_payload() -> dict[str, object]:
    return command("kaltura-status", permissions=MANAGE_GUILD)


@pytest.fixture(autouse=True)
def _no_dispatcher() -> Iterator[None]:
    yield
    jobs.install_dispatcher(None)


def test_a_failed_hand_off_is_abandoned_and_said(memory_ledger: MemoryJobLedger, status_payload: dict) -> None:
    jobs.install_dispatcher(FailingDispatcher(memory_ledger, worker_got_it=False))
    answer = handle_interaction(Interaction(status_payload)).to_dict()
    assert answer["type"] == 4 and answer["data"]["content"] == DISPATCH_FAILED and answer["data"]["flags"] == 64
    assert memory_ledger.records[str(status_payload["id"])]["status"] == "abandoned"
    assert not memory_ledger.claim(str(status_payload["id"]), "status", "a-late-worker")  # it can never run late


def test_a_hand_off_whose_answer_was_lost_is_a_deferral(memory_ledger: MemoryJobLedger, status_payload: dict) -> None:
    jobs.install_dispatcher(FailingDispatcher(memory_ledger, worker_got_it=True))
    answer = handle_interaction(Interaction(status_payload)).to_dict()
    assert answer == {"type": 5, "data": {"flags": 64}}  # the worker has it and will edit this answer


def test_nothing_is_handed_over_once_the_answer_cannot_arrive_in_time(status_payload: dict) -> None:
    submitted: list[Job] = []

    class Recorder:
        def submit(self, job: Job) -> None:
            submitted.append(job)

    jobs.install_dispatcher(Recorder())
    with deadline.scope(deadline.Deadline.after(0.2)):  # less than the 300 ms reserve
        answer = handle_interaction(Interaction(status_payload)).to_dict()
    assert submitted == [] and answer["data"]["flags"] == 64
