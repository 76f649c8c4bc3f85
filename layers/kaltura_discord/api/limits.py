"""What one request may cost: its body is size-capped before anything parses it, and its time is bounded.

Any server admin can send ``PATCH /v1/config``; before this cap a body of 40,000 unknown keys took seconds of CPU
and answered megabytes. A body over ``MAX_BODY_BYTES`` is refused with 413 and the error envelope, whether it
says its length up front (``Content-Length``) or not, before JSON parsing or validation runs.

The API function has 10 s (template.yaml). Without a bound, a hung Kaltura (10 s read timeout, up to three
attempts), DynamoDB (botocore's retries) or Discord (its client's 60 s default) outlived it: Lambda killed the
function and API Gateway answered a bare 503 with no envelope, no ``Retry-After`` and nothing logged. Each request
now runs under a :mod:`~kaltura_discord.deadline` from Lambda's remaining time (Mangum's ``aws.context``), so every
call in it fits and an outage is a 503 with the error envelope.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from typing import Any, Final

from kaltura_discord import deadline
from kaltura_discord.api.errors import error_response
from kaltura_discord.api.routing import ALWAYS_HEADERS

MAX_BODY_BYTES: Final = 64 * 1024
REQUEST_SECONDS: Final = 10.0
"""The API function's timeout (template.yaml): a request's deadline without a Lambda context (the local stack)."""
REQUEST_SAFETY_SECONDS: Final = 0.5
"""Kept back from the function's remaining time for answering (the envelope, Mangum, API Gateway)."""
AFTERMATH_SECONDS: Final = 1.0
"""Kept back from a request's Discord work (:func:`keeping`) for what follows it: the idempotency record, a
recording marked posted. Kaltura calls keep the same (``kaltura.client.AFTERMATH_SECONDS``)."""

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    """ASGI middleware: read at most ``max_bytes`` of body, then hand the app the body it read."""

    def __init__(self, app: ASGIApp, version: str, max_bytes: int = MAX_BODY_BYTES) -> None:
        self.app = app
        self.version = version
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = dict(scope.get("headers") or []).get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
            await self._refuse(scope, receive, send)
            return
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] == "http.disconnect":
                return
            body += message.get("body", b"")
            more = bool(message.get("more_body"))
            if len(body) > self.max_bytes:
                await self._refuse(scope, receive, send)
                return
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": body, "more_body": False}

        await self.app(scope, replay, send)

    async def _refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        response = error_response(
            self.version,
            413,
            "payload_too_large",
            f"The request body is larger than {self.max_bytes // 1024} KB.",
            headers=ALWAYS_HEADERS,
        )
        await response(scope, receive, send)


class RequestDeadline:
    """ASGI middleware: the request, every DynamoDB, Kaltura and Discord call in it, runs under one deadline."""

    def __init__(self, app: ASGIApp, seconds: float = REQUEST_SECONDS) -> None:
        self.app = app
        self.seconds = seconds

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        bound = deadline.Deadline.for_invocation(scope.get("aws.context"), self.seconds, safety=REQUEST_SAFETY_SECONDS)
        with deadline.scope(bound):
            await self.app(scope, receive, send)


@contextlib.contextmanager
def keeping(seconds: float = AFTERMATH_SECONDS) -> Iterator[None]:
    """The calls in the block end ``seconds`` before the request's deadline, so what follows them keeps its time
    (a slow Discord must not leave a started meeting answered 503 because its idempotency record could not be
    written)."""
    bound = deadline.current()
    with deadline.scope(None if bound is None else bound.earlier(seconds)):
        yield


def request_wall_deadline() -> float:
    """The current request's deadline on the wall clock, as the Discord client and the bot's jobs take theirs."""
    import time

    return deadline.wall_clock(time.time() + REQUEST_SECONDS) or time.time() + REQUEST_SECONDS
