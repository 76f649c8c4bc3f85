"""Structured JSON logs on the standard library (Powertools' logger costs ~50 ms of cold start).

- The level comes from ``LOG_LEVEL`` (the template's ``LogLevel``: DEBUG, INFO, WARNING, ERROR; INFO otherwise).
- Every line written while a Lambda entry point handles a request carries that request's ids: ``request_id`` (the
  Lambda request id, as in the START/END/REPORT lines), ``api_request_id`` (API Gateway's, as in the access log)
  and ``interaction_id`` where there is one. The entry points set them with :func:`request_context`.
- Fields whose names look secret are never written, whatever a caller passes.
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import logging
import os
import sys
import time
from collections.abc import Iterator, Mapping
from typing import Any

_REDACTED_KEYS = ("token", "secret", "signature", "authorization", "password", "ks")
_RESERVED = frozenset(logging.LogRecord("", 0, "", 0, "", None, None).__dict__) | {"message", "asctime"}
LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR")
DEFAULT_LEVEL = "INFO"

_context: contextvars.ContextVar[Mapping[str, str] | None] = contextvars.ContextVar("kaltura_discord_log_context")


@functools.lru_cache(maxsize=512)
def _is_secret_key(key: str) -> bool:
    lowered = key.lower()
    return any(part == lowered or lowered.endswith("_" + part) for part in _REDACTED_KEYS)


def current_context() -> Mapping[str, str]:
    """The ids of the request being handled (empty outside one)."""
    return _context.get(None) or {}


@contextlib.contextmanager
def request_context(**fields: Any) -> Iterator[None]:
    """Add ``fields`` (``None`` values skipped) to every line logged inside the block, then take them away again:
    a Lambda container handles many requests, one after another."""
    merged = {**current_context(), **{key: str(value) for key, value in fields.items() if value is not None}}
    token = _context.set(merged)
    try:
        yield
    finally:
        _context.reset(token)


def lambda_request_id(context: Any) -> str | None:
    """The Lambda request id from the handler's ``context`` (None locally, where there is no context)."""
    value = getattr(context, "aws_request_id", None)
    return value if isinstance(value, str) else None


def api_request_id(event: Any) -> str | None:
    """API Gateway's request id from a proxy event (``$context.requestId`` in the access log)."""
    request = event.get("requestContext") if isinstance(event, dict) else None
    value = request.get("requestId") if isinstance(request, dict) else None
    return value if isinstance(value, str) else None


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + f".{int(record.msecs):03d}Z",
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in current_context().items():
            entry[key] = "[redacted]" if _is_secret_key(key) else value
        for key, value in record.__dict__.items():
            if key in _RESERVED or key.startswith("_"):
                continue
            entry[key] = "[redacted]" if _is_secret_key(key) else value
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception_type"] = record.exc_info[0].__name__
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, separators=(",", ":"))


def level_from_environment(environ: Mapping[str, str] | None = None) -> tuple[int, str | None]:
    """The level ``LOG_LEVEL`` names, and a complaint when it names none (then INFO)."""
    raw = (os.environ if environ is None else environ).get("LOG_LEVEL", "").strip().upper() or DEFAULT_LEVEL
    if raw == "WARN":
        raw = "WARNING"
    if raw not in LEVELS:
        return logging.INFO, f"LOG_LEVEL {raw!r} is not one of {', '.join(LEVELS)}; logging at INFO"
    return logging.getLevelNamesMapping()[raw], None


def configure_level(environ: Mapping[str, str] | None = None) -> int:
    """Set the package's level from ``LOG_LEVEL`` (done once, by the first :func:`get_logger`); returns it."""
    level, complaint = level_from_environment(environ)
    root = logging.getLogger("kaltura_discord")
    root.setLevel(level)
    if complaint:
        root.warning(complaint)
    return level


def get_logger(name: str) -> logging.Logger:
    """A logger under the package root, which writes one JSON object per line to stderr."""
    root = logging.getLogger("kaltura_discord")
    if not root.handlers:
        # The logging HOWTO's "Optimization": skip what the JSON lines never print (caller, thread, process).
        logging._srcfile = None
        logging.logThreads = False
        logging.logProcesses = False
        logging.logMultiprocessing = False
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(JsonFormatter())
        root.addHandler(handler)
        root.propagate = False
        configure_level()
    return logging.getLogger(name if name.startswith("kaltura_discord") else f"kaltura_discord.{name}")
