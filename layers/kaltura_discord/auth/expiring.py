"""A small per-container memory of answers, trusted for a while: the token gate's and the member rights'.

Both remember what a dependency said (a token's record, a member's standing in Discord) for at most a minute or a
few, so a busy client costs one read per container now and then, and a change reaches every warm container within
that time. A failed read is not remembered: the next call asks again.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from typing import Generic, TypeVar

T = TypeVar("T")


class Expiring(Generic[T]):
    """A thread-safe map whose entries are trusted for ``ttl`` seconds, the oldest dropped beyond ``size``; with a
    ``ttl`` of 0 nothing is kept."""

    def __init__(self, ttl: float, size: int, clock: Callable[[], float]) -> None:
        self._ttl, self._size, self._clock = ttl, size, clock
        self._items: OrderedDict[tuple[str, ...], tuple[T, float]] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, ...], load: Callable[[], T]) -> T:
        """The remembered value, or ``load()``'s (remembered from the moment it was asked for)."""
        now = self._clock()
        with self._lock:
            known = self._items.get(key)
            if known is not None and now - known[1] < self._ttl:
                return known[0]
        value = load()
        self._put(key, value, now)
        return value

    def put(self, key: tuple[str, ...], value: T) -> None:
        """Remember ``value`` now, whatever was known (this container's own change, such as a revocation)."""
        self._put(key, value, self._clock())

    def _put(self, key: tuple[str, ...], value: T, at: float) -> None:
        if self._ttl <= 0:
            return
        with self._lock:
            self._items[key] = (value, at)
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)
