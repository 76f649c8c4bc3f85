"""The time an invocation has left, so every dependency call can be bounded by it.

Discord gives an interaction's first answer 3 seconds; the interactions function's Lambda timeout is 3 s too. The
function starts a :class:`Deadline` from Lambda's ``context.get_remaining_time_in_millis()`` (or a 3 s budget from
arrival when there is no context, as in the local stack) and sets it for the duration of the request with
:func:`scope`. Code deep in the call stack reads it with :func:`current` (a context variable, so the local stack's
threads each see their own) and asks :meth:`Deadline.budget` how long its next call may take: what is left minus
what building and returning the answer needs.

The REST API sets one per request, from its function's 10 s (:class:`~kaltura_discord.api.limits.RequestDeadline`).
The worker sets none: its Discord calls take the interaction token's expiry as their deadline, and its other
calls' own timeouts and retries fit well inside the token's 15 minutes.
"""

from __future__ import annotations

import contextlib
import contextvars
import time
from collections.abc import Callable, Iterator
from typing import Any, Final

FIRST_ANSWER_SECONDS: Final = 3.0
"""Discord's limit for the first answer."""
SAFETY_SECONDS: Final = 0.2
"""Kept back from the first answer's limit for the network between API Gateway and Discord."""
RESERVE_SECONDS: Final = 0.3
"""Kept back from the last dependency call for building and returning the answer."""

Clock = Callable[[], float]


class DeadlineExceeded(Exception):
    """Not enough time is left for the call that was about to start."""


class Deadline:
    """A point on the monotonic clock after which the answer is useless."""

    __slots__ = ("_clock", "expires_at", "reserve")

    def __init__(self, expires_at: float, *, reserve: float = RESERVE_SECONDS, clock: Clock = time.monotonic) -> None:
        self.expires_at = expires_at
        self.reserve = reserve
        self._clock = clock

    @classmethod
    def after(cls, seconds: float, *, reserve: float = RESERVE_SECONDS, clock: Clock = time.monotonic) -> Deadline:
        return cls(clock() + seconds, reserve=reserve, clock=clock)

    @classmethod
    def for_invocation(
        cls, context: Any, cap: float, *, safety: float = SAFETY_SECONDS, clock: Clock = time.monotonic
    ) -> Deadline:
        """Lambda's remaining time, capped at ``cap``, minus a safety margin; ``cap`` from now without a context."""
        seconds = cap
        remaining = getattr(context, "get_remaining_time_in_millis", None)
        if callable(remaining):
            with contextlib.suppress(TypeError, ValueError):
                seconds = min(seconds, float(remaining()) / 1000.0)
        return cls(clock() + seconds - safety, clock=clock)

    @classmethod
    def for_first_answer(cls, context: Any = None, *, clock: Clock = time.monotonic) -> Deadline:
        """Lambda's remaining time, capped at Discord's 3 s, minus a safety margin; 3 s from now without a context."""
        return cls.for_invocation(context, FIRST_ANSWER_SECONDS, clock=clock)

    def earlier(self, seconds: float) -> Deadline:
        """This deadline brought ``seconds`` forward: for calls whose aftermath (recording what they did) needs time."""
        return Deadline(self.expires_at - seconds, reserve=self.reserve, clock=self._clock)

    def remaining(self) -> float:
        """Seconds until the deadline (negative once it passed)."""
        return self.expires_at - self._clock()

    def budget(self, reserve: float | None = None) -> float:
        """How long the next call may take: what is left minus the reserve, never below zero."""
        return max(0.0, self.remaining() - (self.reserve if reserve is None else reserve))

    def require(self, seconds: float) -> float:
        """The budget, or :class:`DeadlineExceeded` when it is shorter than ``seconds``."""
        budget = self.budget()
        if budget < seconds:
            raise DeadlineExceeded(f"{budget:.3f} s left, {seconds:.3f} s needed")
        return budget

    @property
    def expired(self) -> bool:
        return self.budget() <= 0.0


_current: contextvars.ContextVar[Deadline | None] = contextvars.ContextVar("kaltura_discord_deadline", default=None)


def current() -> Deadline | None:
    """The deadline of the request being handled, if one was set."""
    return _current.get()


@contextlib.contextmanager
def scope(deadline: Deadline | None) -> Iterator[Deadline | None]:
    """Make ``deadline`` the current one for the block (``None`` leaves calls unbounded by it)."""
    token = _current.set(deadline)
    try:
        yield deadline
    finally:
        _current.reset(token)


def wall_clock(limit: float | None = None, *, clock: Clock = time.time) -> float | None:
    """The earlier of ``limit`` (a wall-clock time, as the Discord client takes its deadlines) and the last moment
    the current deadline leaves a call (its budget from now); ``limit`` itself when no deadline is set."""
    bound = current()
    if bound is None:
        return limit
    end = clock() + bound.budget()
    return end if limit is None else min(limit, end)
