"""What Lambda passes a handler as its context, for tests of what a function does with the time it has left."""

from __future__ import annotations

import time
from dataclasses import dataclass


@dataclass
class LambdaContext:
    """A function invoked at ``started`` (``time.monotonic()``) with ``timeout`` seconds: the interactions
    function has 3 s, the REST API 10 s (template.yaml)."""

    started: float
    timeout: float = 3.0

    def get_remaining_time_in_millis(self) -> int:
        return int((self.timeout - (time.monotonic() - self.started)) * 1000)
