"""boto3 clients that fit the time left, and a circuit breaker per AWS service, for the interactions path.

A botocore client's timeouts are fixed when it is made, and its retries ignore any deadline: with a 3 s read
timeout and 4 attempts, one hung DynamoDB call took 12 s, four times Discord's limit. So a :class:`BoundedClient`
looks at the current :mod:`~kaltura_discord.deadline` on every call:

- without one (the worker, scripts) it is the container's ordinary client, untouched;
- with one, the call runs on a client whose connect and read timeouts fit the budget (a handful of clients per
  container, one per timeout step, made on first use), with botocore's own retries off. It is repeated at most
  once, and only when time is left and repeating is safe: a read, an asynchronous invoke (a duplicated job is
  dropped by the job ledger), or a failure that proves nothing was done (throttled, refused connection).
  A write whose answer was lost is never repeated blindly;
- a :class:`CircuitBreaker` per service stops a dead dependency from being hit by every request: after a failure
  calls fail at once, one probe is let through every few seconds, and the outage is logged once when it starts and
  once when it ends, not per request.

Failures surface as :class:`ServiceUnavailable`; refusals that are answers (a failed condition, a validation
error) stay botocore's ``ClientError``.
"""

from __future__ import annotations

import functools
import threading
import time
from collections.abc import Callable
from typing import Any, Final

from kaltura_discord import deadline as deadlines
from kaltura_discord.logs import get_logger

log = get_logger(__name__)

READ_TIMEOUTS: Final = (0.15, 0.3, 0.6, 1.0, 1.5, 2.0)
"""The read timeouts the interactions path's clients are made with; a call gets the longest that fits."""
CONNECT_TIMEOUT: Final = 0.25
PROBE_INTERVAL_SECONDS: Final = 5.0
RETRYABLE_CODES: Final = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
        "InternalServerError",
        "InternalFailure",
        "InternalServiceError",
        "ServiceUnavailable",
        "ServiceException",
    }
)
NOT_PROCESSED_CODES: Final = frozenset(
    {
        "ThrottlingException",
        "ProvisionedThroughputExceededException",
        "RequestLimitExceeded",
        "TooManyRequestsException",
    }
)
"""Refusals that prove the request was not acted on, so even a write may be sent again."""
SAFE_TO_REPEAT: Final = frozenset(
    {
        "get_item",
        "query",
        "scan",
        "batch_get_item",
        "describe_table",
        "get_secret_value",
        "invoke",
        # EventBridge Scheduler: a schedule's name is derived from its work, so a repeat is a ConflictException
        # (created already) or a ResourceNotFoundException (deleted already), both taken as done.
        "create_schedule",
        "delete_schedule",
    }
)


class ServiceUnavailable(Exception):
    """An AWS service did not answer in the time there was, or is known to be down (the breaker is open)."""

    def __init__(self, service: str, reason: str) -> None:
        super().__init__(f"{service} unavailable: {reason}")
        self.service = service
        self.reason = reason


class CircuitBreaker:
    """Closed while calls succeed; open after a failure, letting one probe through every ``probe_interval``."""

    def __init__(
        self, name: str, probe_interval: float = PROBE_INTERVAL_SECONDS, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.name = name
        self._probe_interval = probe_interval
        self._clock = clock
        self._failing = False
        self._next_probe = 0.0
        self._lock = threading.Lock()

    @property
    def is_open(self) -> bool:
        return self._failing

    def allow(self) -> bool:
        """True for a call that may go out: always while closed, once per probe interval while open."""
        with self._lock:
            if not self._failing:
                return True
            now = self._clock()
            if now < self._next_probe:
                return False
            self._next_probe = now + self._probe_interval
            return True

    def succeeded(self) -> None:
        with self._lock:
            if not self._failing:
                return
            self._failing = False
        log.warning("dependency is back", extra={"dependency": self.name})

    def failed(self, reason: str) -> None:
        with self._lock:
            self._next_probe = self._clock() + self._probe_interval
            if self._failing:
                return
            self._failing = True
        log.warning(
            "dependency unavailable; failing fast, probing every few seconds",
            extra={"dependency": self.name, "reason": reason, "probe_interval_s": self._probe_interval},
        )


def _error_code(exc: Exception) -> str | None:
    response = getattr(exc, "response", None)
    if isinstance(response, dict):
        code = response.get("Error", {}).get("Code")
        return str(code) if code else None
    return None


class BoundedClient:
    """Stands in for a boto3 client; see the module docstring. Only operations (method calls) are bounded."""

    def __init__(
        self,
        service: str,
        default: Callable[[], Any],
        *,
        breaker: CircuitBreaker | None = None,
        make: Callable[[float, float], Any] | None = None,
    ) -> None:
        self.service = service
        self.breaker = breaker or CircuitBreaker(service)
        self._default_factory = default
        self._default: Any = None
        self._make = make or functools.partial(_make_client, service)
        self._bounded: dict[tuple[float, float], Any] = {}
        self._lock = threading.Lock()

    @property
    def default(self) -> Any:
        if self._default is None:
            self._default = self._default_factory()
        return self._default

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        bound = deadlines.current()
        if bound is None:
            return getattr(self.default, name)
        return functools.partial(self._call, name, bound)

    def _client_for(self, budget: float) -> Any:
        connect = min(CONNECT_TIMEOUT, budget / 3)
        fitting = [read for read in READ_TIMEOUTS if read <= budget - connect]
        if not fitting:
            raise ServiceUnavailable(self.service, f"no time left ({budget * 1000:.0f} ms)")
        key = (round(connect, 2), fitting[-1])
        with self._lock:
            client = self._bounded.get(key)
            if client is None:
                client = self._bounded[key] = self._make(*key)
        return client

    def _call(self, operation: str, bound: deadlines.Deadline, **kwargs: Any) -> Any:
        from botocore.exceptions import BotoCoreError, ClientError, ConnectTimeoutError, EndpointConnectionError

        if not self.breaker.allow():
            raise ServiceUnavailable(self.service, "known to be down (failing fast)")
        reason = "failed"
        for attempt in (1, 2):
            client = self._client_for(bound.budget())
            try:
                result = getattr(client, operation)(**kwargs)
            except ClientError as exc:
                code = _error_code(exc) or ""
                if code not in RETRYABLE_CODES:
                    self.breaker.succeeded()  # an answer: the service is up, it refused this request
                    raise
                reason, repeatable = code, operation in SAFE_TO_REPEAT or code in NOT_PROCESSED_CODES
            except BotoCoreError as exc:
                reason = type(exc).__name__
                never_sent = isinstance(exc, (ConnectTimeoutError, EndpointConnectionError))
                repeatable = operation in SAFE_TO_REPEAT or never_sent
            else:
                self.breaker.succeeded()
                return result
            if attempt == 2 or not repeatable or bound.budget() < READ_TIMEOUTS[0] + CONNECT_TIMEOUT / 3:
                break
        self.breaker.failed(reason)
        raise ServiceUnavailable(self.service, reason)


def _make_client(service: str, connect: float, read: float) -> Any:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=connect, read_timeout=read, retries={"total_max_attempts": 1, "mode": "standard"})
    return boto3.client(service, config=config)  # type: ignore[call-overload]
