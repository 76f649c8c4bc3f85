"""One-time schedules: EventBridge Scheduler's request shape (botocore's Stubber checks it against the service
model), the same work asked twice made once, and the local stand-in firing in order."""

from __future__ import annotations

import json
import re
from typing import Any

import boto3
import pytest
from botocore.stub import ANY, Stubber

from kaltura_discord import scheduler
from kaltura_discord.scheduler import EventBridgeScheduler, LocalScheduler, SchedulerError, schedule_name

pytestmark = pytest.mark.unit

WORKER = "arn:aws:lambda:eu-west-1:123456789012:function:stack-WorkerFunction-abc"
ROLE = "arn:aws:iam::123456789012:role/stack-SchedulerRole-abc"


@pytest.fixture
def stubbed() -> tuple[EventBridgeScheduler, Stubber]:
    client: Any = boto3.client("scheduler", region_name="eu-west-1", aws_access_key_id="x", aws_secret_access_key="y")
    return EventBridgeScheduler("meetings", WORKER, ROLE, client=client), Stubber(client)


def test_names_are_valid_stable_and_distinct() -> None:
    name = schedule_name("1000000000000000100", "abcdefghij", "start")
    assert re.fullmatch(r"[0-9A-Za-z_.-]{1,64}", name)
    assert name == schedule_name("1000000000000000100", "abcdefghij", "start")
    assert name != schedule_name("1000000000000000100", "abcdefghij", "reminder")
    assert len(schedule_name("x" * 200, "y" * 200)) <= 64


def test_a_schedule_is_one_exact_time_deleting_itself_after_it_ran(
    stubbed: tuple[EventBridgeScheduler, Stubber],
) -> None:
    eventbridge, stub = stubbed
    job = {"kind": "meeting_scheduled_start", "interaction_id": "meeting_scheduled_start:abcdefghij"}
    at = 4_102_444_800.0  # 2100-01-01T00:00:00Z
    stub.add_response(
        "create_schedule",
        {"ScheduleArn": "arn:aws:scheduler:eu-west-1:123456789012:schedule/meetings/n"},
        {
            "Name": "n",
            "GroupName": "meetings",
            "ScheduleExpression": "at(2100-01-01T00:00:00)",
            "ScheduleExpressionTimezone": "UTC",
            "FlexibleTimeWindow": {"Mode": "OFF"},
            "ActionAfterCompletion": "DELETE",
            "Target": {
                "Arn": WORKER,
                "RoleArn": ROLE,
                "Input": json.dumps(job, separators=(",", ":")),
                "RetryPolicy": ANY,
            },
        },
    )
    with stub:
        eventbridge.schedule("n", at, job)
    stub.assert_no_pending_responses()


def test_asking_twice_is_not_an_error_and_other_refusals_are(stubbed: tuple[EventBridgeScheduler, Stubber]) -> None:
    eventbridge, stub = stubbed
    stub.add_client_error("create_schedule", "ConflictException", http_status_code=409)
    stub.add_client_error("create_schedule", "ServiceQuotaExceededException", http_status_code=402)
    stub.add_client_error("delete_schedule", "ResourceNotFoundException", http_status_code=404)
    stub.add_client_error("delete_schedule", "AccessDeniedException", http_status_code=403)
    with stub:
        eventbridge.schedule("n", 4_102_444_800.0, {})
        with pytest.raises(SchedulerError, match="ServiceQuotaExceededException"):
            eventbridge.schedule("n", 4_102_444_800.0, {})
        eventbridge.cancel("n")
        with pytest.raises(SchedulerError, match="AccessDeniedException"):
            eventbridge.cancel("n")


def test_the_local_scheduler_fires_due_work_once_in_order_and_forgets_cancelled_work() -> None:
    fired: list[str] = []
    local = LocalScheduler(lambda job: fired.append(job["id"]), clock=lambda: 0.0)
    local.schedule("b", 20.0, {"id": "b"})
    local.schedule("a", 10.0, {"id": "a"})
    local.schedule("a", 10.0, {"id": "a-again"})  # the same name: nothing new
    local.schedule("c", 30.0, {"id": "c"})
    local.cancel("c")
    assert [p["name"] for p in local.pending()] == ["a", "b"]
    assert local.run_due(15.0) == 1 and fired == ["a"]
    assert local.run_due(100.0) == 1 and fired == ["a", "b"]
    assert local.pending() == [] and local.fired == ["a", "b"]


def test_a_failing_job_does_not_stop_the_ones_after_it() -> None:
    fired: list[str] = []

    def run(job: dict[str, Any]) -> None:
        if job["id"] == "bad":
            raise RuntimeError("boom")
        fired.append(job["id"])

    local = LocalScheduler(run, clock=lambda: 0.0)
    local.schedule("bad", 1.0, {"id": "bad"})
    local.schedule("good", 2.0, {"id": "good"})
    assert local.run_due(5.0) == 2 and fired == ["good"]


def test_the_worker_targets_itself_by_the_arn_it_was_invoked_with(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SCHEDULE_GROUP", "meetings")
    monkeypatch.setenv("SCHEDULER_ROLE_ARN", ROLE)
    monkeypatch.delenv("WORKER_FUNCTION_ARN", raising=False)
    monkeypatch.setattr(scheduler, "_own_function_arn", None)
    scheduler.install_scheduler(None)
    try:
        with pytest.raises(SchedulerError, match="WORKER_FUNCTION_ARN"):
            scheduler.get_scheduler()
        scheduler.note_invoked_function_arn(WORKER + ":$LATEST")
        made = scheduler.get_scheduler()
        assert isinstance(made, EventBridgeScheduler) and made.target_arn == WORKER and made.role_arn == ROLE
    finally:
        scheduler.install_scheduler(None)
