"""The worker's Lambda entry point: one metric line per job, a failed job fails the invocation (so the OnFailure
destination gets it), and every line carries the request and interaction ids."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import pytest

from kaltura_discord import logs, metrics
from kaltura_discord.bot import worker

pytestmark = pytest.mark.unit

EVENT = {"interaction_id": "1234567890123456789", "kind": "meeting_start", "token": "interaction-token-secret"}


class _FixedWorker:
    def __init__(self, status: str) -> None:
        self.status = status
        self.events: list[dict[str, Any]] = []

    def run(self, event: dict[str, Any]) -> dict[str, Any]:
        self.events.append(event)
        logs.get_logger("kaltura_discord.bot.worker").info("job finished", extra={"status": self.status})
        return {"status": self.status}


@pytest.fixture
def on_lambda(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_LAMBDA_FUNCTION_NAME", "stack-WorkerFunction-abc")


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


def _run(monkeypatch: pytest.MonkeyPatch, status: str) -> dict[str, Any]:
    monkeypatch.setattr(worker, "_worker", _FixedWorker(status))
    return worker.handler(dict(EVENT), SimpleNamespace(aws_request_id="req-9"))


def _metric_lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith('{"_aws"')]


@pytest.mark.parametrize("status", ["succeeded", "succeeded_unreported", "refused", "duplicate", "expired", "rejected"])
def test_jobs_that_did_not_fail_return_and_count_no_failure(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], on_lambda: None, status: str
) -> None:
    assert _run(monkeypatch, status) == {"status": status}
    (line,) = _metric_lines(capsys.readouterr().out)
    assert (line["Status"], line["Jobs"], line["JobFailures"]) == (status, 1, 0)


@pytest.mark.parametrize("status", ["failed", "failed_unreported", "failed_claim"])
def test_a_failed_job_fails_the_invocation_after_its_metric_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], on_lambda: None, status: str
) -> None:
    with pytest.raises(worker.JobFailed, match=status):
        _run(monkeypatch, status)
    (line,) = _metric_lines(capsys.readouterr().out)
    assert (line["Status"], line["JobFailures"]) == (status, 1)


def test_the_metric_line_is_embedded_metric_format(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], on_lambda: None
) -> None:
    _run(monkeypatch, "succeeded")
    (line,) = _metric_lines(capsys.readouterr().out)
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == metrics.NAMESPACE
    assert directive["Dimensions"] == [["FunctionName"], ["FunctionName", "Status"]]
    assert {m["Name"] for m in directive["Metrics"]} == {"Jobs", "JobFailures"}
    assert isinstance(line["_aws"]["Timestamp"], int)
    assert line["FunctionName"] == "stack-WorkerFunction-abc"
    assert (line["interaction_id"], line["job_kind"], line["request_id"]) == (
        EVENT["interaction_id"],
        "meeting_start",
        "req-9",
    )
    assert "interaction-token-secret" not in json.dumps(line)
    # every dimension and metric the directive names is a top-level member, as EMF requires
    for name in {name for dimension in directive["Dimensions"] for name in dimension} | {"Jobs", "JobFailures"}:
        assert name in line


def test_no_metric_line_off_lambda(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("AWS_LAMBDA_FUNCTION_NAME", raising=False)
    _run(monkeypatch, "succeeded")
    assert _metric_lines(capsys.readouterr().out) == []


def test_every_line_of_a_job_carries_the_request_and_interaction_ids(
    monkeypatch: pytest.MonkeyPatch, captured: io.StringIO
) -> None:
    root = logging.getLogger("kaltura_discord")
    before = root.level
    root.setLevel(logging.DEBUG)
    try:
        _run(monkeypatch, "succeeded")
    finally:
        root.setLevel(before)
    lines = [json.loads(line) for line in captured.getvalue().splitlines()]
    assert [line["message"] for line in lines] == ["job received", "job finished"]
    for line in lines:
        assert (line["request_id"], line["interaction_id"]) == ("req-9", EVENT["interaction_id"])
    assert "interaction-token-secret" not in captured.getvalue()


def test_a_malformed_event_still_gets_a_status(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(worker, "_worker", worker.Worker(ledger=object()))  # type: ignore[arg-type]
    assert worker.handler({"nonsense": True}, None) == {"status": "rejected"}
