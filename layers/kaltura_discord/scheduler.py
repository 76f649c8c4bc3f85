"""Work that must happen later (a scheduled meeting's reminder and start, a recording poll), as one-time schedules.

In AWS it is EventBridge Scheduler: one ``CreateSchedule`` per piece of work, at an exact time
(``at(yyyy-mm-ddThh:mm:ss)``, UTC, no flexible window), targeting the worker function with a job of the same shape
the interactions function hands it, and deleting itself after it ran (``ActionAfterCompletion: DELETE``). The
schedule's name is derived from the work, so asking twice creates it once (``ConflictException``), and the job it
carries has a ledger key, so a fire that arrives twice (or late, after a retry) acts once.

Locally (``make run``, tests) a :class:`LocalScheduler` keeps the same schedules in memory and fires them at the
right wall-clock time through the local worker; tests drive it with a fake clock (:meth:`LocalScheduler.run_due`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import heapq
import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from kaltura_discord import settings
from kaltura_discord.logs import get_logger

log = get_logger(__name__)

_NAME = re.compile(r"[^0-9A-Za-z_.-]")
MAX_NAME_LENGTH = 64


def schedule_name(*parts: str) -> str:
    """A schedule name (EventBridge: 1-64 of ``[0-9a-zA-Z-_.]``) that is the same for the same work."""
    readable = _NAME.sub("-", "-".join(parts))[:48]
    digest = hashlib.sha256("|".join(parts).encode()).hexdigest()[:12]
    return f"{readable}-{digest}"[:MAX_NAME_LENGTH]


class SchedulerError(Exception):
    """The schedule could not be created or removed."""


class Scheduler(Protocol):
    def schedule(self, name: str, at: float, job: dict[str, Any]) -> None:
        """Run ``job`` (a worker event) at ``at`` (epoch seconds); creating the same name again changes nothing."""

    def cancel(self, name: str) -> None:
        """Remove a schedule that has not fired; an unknown name is not an error."""


class EventBridgeScheduler:
    """``scheduler:CreateSchedule`` / ``DeleteSchedule`` in the template's schedule group."""

    def __init__(self, group: str, target_arn: str, role_arn: str, client: Any = None) -> None:
        self.group = group
        self.target_arn = target_arn
        self.role_arn = role_arn
        self._client = client

    @property
    def client(self) -> Any:
        """Deadline-bound (:class:`~kaltura_discord.aws.BoundedClient`): within a request's deadline (the REST API)
        each call fits the time left; without one (the worker, within its 15 minutes) the ordinary client."""
        if self._client is None:
            from kaltura_discord.aws import BoundedClient

            self._client = BoundedClient("scheduler", _standard_client)
        return self._client

    def schedule(self, name: str, at: float, job: dict[str, Any]) -> None:
        when = dt.datetime.fromtimestamp(max(at, time.time() + 60), tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S")
        try:
            self.client.create_schedule(
                Name=name,
                GroupName=self.group,
                ScheduleExpression=f"at({when})",
                ScheduleExpressionTimezone="UTC",
                FlexibleTimeWindow={"Mode": "OFF"},
                ActionAfterCompletion="DELETE",
                Target={
                    "Arn": self.target_arn,
                    "RoleArn": self.role_arn,
                    "Input": json.dumps(job, separators=(",", ":")),
                    "RetryPolicy": {"MaximumRetryAttempts": 3, "MaximumEventAgeInSeconds": 600},
                },
            )
        except Exception as exc:
            if _code(exc) == "ConflictException":
                return  # created already: the same work asked for twice
            raise SchedulerError(f"could not schedule {name}: {_code(exc) or type(exc).__name__}") from exc

    def cancel(self, name: str) -> None:
        try:
            self.client.delete_schedule(Name=name, GroupName=self.group)
        except Exception as exc:
            if _code(exc) == "ResourceNotFoundException":
                return
            raise SchedulerError(f"could not cancel {name}: {_code(exc) or type(exc).__name__}") from exc


def _standard_client() -> Any:
    import boto3
    from botocore.config import Config

    return boto3.client("scheduler", config=Config(connect_timeout=2, read_timeout=5, retries={"max_attempts": 3}))


def _code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    return str(response.get("Error", {}).get("Code")) if isinstance(response, dict) else None


@dataclass(order=True)
class _Due:
    at: float
    name: str = field(compare=False)
    job: dict[str, Any] = field(compare=False)


class LocalScheduler:
    """The same schedules, in memory, fired by a background thread at their time (or by :meth:`run_due`)."""

    def __init__(self, run: Callable[[dict[str, Any]], Any], clock: Callable[[], float] = time.time) -> None:
        self._run = run
        self._clock = clock
        self._queue: list[_Due] = []
        self._names: set[str] = set()
        self._fired: list[str] = []
        self._lock = threading.Lock()
        self._wake = threading.Event()
        self._stopping = False
        self._thread: threading.Thread | None = None

    def schedule(self, name: str, at: float, job: dict[str, Any]) -> None:
        event = json.loads(json.dumps(job))  # what an EventBridge target receives: JSON, nothing else
        with self._lock:
            if name in self._names:
                return
            self._names.add(name)
            heapq.heappush(self._queue, _Due(at, name, event))
        self._wake.set()

    def cancel(self, name: str) -> None:
        with self._lock:
            self._queue = [due for due in self._queue if due.name != name]
            heapq.heapify(self._queue)
            self._names.discard(name)

    def pending(self) -> list[dict[str, Any]]:
        """What is waiting (for tests and ``GET /_local/schedules``), soonest first."""
        with self._lock:
            return [{"name": d.name, "at": d.at, "kind": d.job.get("kind")} for d in sorted(self._queue)]

    @property
    def fired(self) -> list[str]:
        with self._lock:
            return list(self._fired)

    def run_due(self, now: float | None = None) -> int:
        """Fire everything due at ``now`` (the clock's time by default), in order; returns how many fired."""
        moment = self._clock() if now is None else now
        fired = 0
        while True:
            with self._lock:
                if not self._queue or self._queue[0].at > moment:
                    return fired
                due = heapq.heappop(self._queue)
                self._names.discard(due.name)
                self._fired.append(due.name)
            try:
                self._run(due.job)
            except Exception:
                log.exception("scheduled job failed", extra={"schedule": due.name})
            fired += 1

    def start(self) -> LocalScheduler:
        self._thread = threading.Thread(target=self._loop, name="local-scheduler", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stopping = True
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _loop(self) -> None:
        while not self._stopping:
            self.run_due()
            with self._lock:
                wait = (self._queue[0].at - self._clock()) if self._queue else 1.0
            self._wake.wait(timeout=min(max(wait, 0.05), 1.0))
            self._wake.clear()


_scheduler: Scheduler | None = None
_own_function_arn: str | None = None


def note_invoked_function_arn(arn: str | None) -> None:
    """The worker's own ARN, from its invocation context: the schedules it sets target itself (the template
    cannot hand a function its own ARN without a circular reference)."""
    global _own_function_arn  # noqa: PLW0603
    if arn and arn.startswith("arn:"):
        _own_function_arn = arn.split(":$LATEST")[0]


def get_scheduler() -> Scheduler:
    """EventBridge Scheduler from the template's settings; the local stack and tests install another."""
    global _scheduler  # noqa: PLW0603 - one per container
    if _scheduler is None:
        target = settings.optional("WORKER_FUNCTION_ARN") or _own_function_arn
        if not target:
            raise SchedulerError("WORKER_FUNCTION_ARN is not set and this is not the worker function")
        _scheduler = EventBridgeScheduler(
            settings.required("SCHEDULE_GROUP"), target, settings.required("SCHEDULER_ROLE_ARN")
        )
    return _scheduler


def install_scheduler(scheduler: Scheduler | None) -> None:
    global _scheduler  # noqa: PLW0603
    _scheduler = scheduler
