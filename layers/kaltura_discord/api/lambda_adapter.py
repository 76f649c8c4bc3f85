"""The REST API as a Lambda handler: Mangum around the FastAPI app.

Mangum asks asyncio for the thread's *current* event loop, which warns since Python 3.12 when none is set and
fails from 3.14; so each thread gets one loop of its own, set before every call.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from typing import Any

_thread = threading.local()

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


def _ensure_event_loop() -> None:
    loop: asyncio.AbstractEventLoop | None = getattr(_thread, "loop", None)
    if loop is None or loop.is_closed():
        loop = asyncio.new_event_loop()
        _thread.loop = loop
    asyncio.set_event_loop(loop)


def make_lambda_handler(app: Any = None) -> LambdaHandler:
    from mangum import Mangum

    if app is None:
        from kaltura_discord.api.app import create_app

        app = create_app()
    _ensure_event_loop()
    adapter = Mangum(app, lifespan="off")

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        _ensure_event_loop()
        result: dict[str, Any] = adapter(event, context)
        return result

    return handler
