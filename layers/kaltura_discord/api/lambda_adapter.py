"""The REST API as a Lambda handler: Mangum around the FastAPI app.

Mangum asks asyncio for the thread's *current* event loop, which warns since Python 3.12 when none is set and
fails from 3.14; so each thread gets one loop of its own, set before every call.
"""

from __future__ import annotations

import asyncio
import logging
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


def _loggable(path: Any) -> str | None:
    """The request path, without the single-use token of a join link (``/v1/join/{token}``)."""
    if not isinstance(path, str):
        return None
    return "/v1/join/[redacted]" if path.startswith("/v1/join/") else path


def make_lambda_handler(app: Any = None) -> LambdaHandler:
    from mangum import Mangum

    if app is None:
        from kaltura_discord.api.app import create_app

        app = create_app()
    _ensure_event_loop()
    adapter = Mangum(app, lifespan="off")

    from kaltura_discord import logs

    def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
        """Every line logged while answering carries the Lambda and API Gateway request ids."""
        _ensure_event_loop()
        ids = {"request_id": logs.lambda_request_id(context), "api_request_id": logs.api_request_id(event)}
        with logs.request_context(**ids):
            log = logs.get_logger(__name__)
            if log.isEnabledFor(logging.DEBUG):
                http = event.get("requestContext", {}).get("http", {}) if isinstance(event, dict) else {}
                log.debug("request received", extra={"method": http.get("method"), "path": _loggable(http.get("path"))})
            result: dict[str, Any] = adapter(event, context)
        return result

    return handler
