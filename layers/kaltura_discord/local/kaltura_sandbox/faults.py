"""Faults the sandbox can put in front of a service/action, as a real deployment meets them.

Kinds, and whether the action is performed:

- ``status``: an HTTP error (default 503) with an HTML body, as a load balancer answers; not performed.
- ``error``: a ``KalturaAPIException`` with the given code (HTTP 200, as Kaltura answers); not performed.
- ``slow``: answered after ``seconds``; performed (even when the caller gave up waiting).
- ``hang``: held for ``seconds`` (or until the faults are cleared), then the connection is closed with no answer;
  not performed. An answer that never comes.
- ``lost_answer``: performed, then the connection is closed with no answer: the caller cannot know it happened.
- ``reset``: the connection is reset at once; not performed.

Tests set them in-process (:meth:`KalturaSandbox.inject`); the local stack sets them over HTTP
(``POST /_sandbox/faults``), a route only the sandbox has, which never runs in AWS.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal, get_args

FaultKind = Literal["status", "error", "slow", "hang", "lost_answer", "reset"]
FAULT_KINDS: tuple[str, ...] = get_args(FaultKind)
MAX_FAULT_SECONDS = 120.0


@dataclass
class Fault:
    kind: FaultKind
    remaining: int = 1
    status: int = 503
    seconds: float = 30.0
    code: str = "INTERNAL_SERVERL_ERROR"
    service: str | None = None
    action: str | None = None

    def matches(self, service: str, action: str) -> bool:
        return (self.service is None or self.service == service) and (
            self.action is None or self.action.lower() == action.lower()
        )

    @property
    def performs_action(self) -> bool:
        return self.kind in ("slow", "lost_answer")

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Fault:
        """The body of ``POST /_sandbox/faults``: ``{"kind": "lost_answer", "service": "room_room", "action":
        "add", "count": 1}`` (``seconds``, ``status`` and ``code`` where the kind uses them)."""
        kind = raw.get("kind")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        count = int(raw.get("count", 1))
        seconds = float(raw.get("seconds", 30.0))
        status = int(raw.get("status", 503))
        if not 1 <= count <= 1000 or not 0 <= seconds <= MAX_FAULT_SECONDS or not 400 <= status <= 599:
            raise ValueError(f"count 1-1000, seconds 0-{MAX_FAULT_SECONDS:.0f}, status 400-599")
        service, action = raw.get("service"), raw.get("action")
        return cls(
            kind=kind,
            remaining=count,
            status=status,
            seconds=seconds,
            code=str(raw.get("code") or "INTERNAL_SERVERL_ERROR"),
            service=str(service).lower() if service else None,
            action=str(action) if action else None,
        )
