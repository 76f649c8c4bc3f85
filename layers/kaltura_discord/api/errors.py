"""The one error type of the REST API and the mapping of every other failure onto the error envelope.

Refusals caused by the request are 4xx with a stable ``code``; a backend that did not answer is 503; anything
unexpected is a 500 whose body says nothing about the cause (it is logged with its stack trace instead).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import JSONResponse

from kaltura_discord.auth.tokens import TokenError
from kaltura_discord.logs import get_logger
from kaltura_discord.meetings.model import (
    InvalidMeetingOptions,
    MeetingAlreadyEnded,
    MeetingBackendUnavailable,
    MeetingError,
    MeetingLimitReached,
    MeetingNotFound,
    MeetingNotStarted,
    MeetingPermissionDenied,
)
from kaltura_discord.settings import ConfigurationError

log = get_logger(__name__)

RETRY_AFTER_SECONDS = "5"
_STATUS_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    410: "gone",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "too_many_requests",
    503: "service_unavailable",
}


class ApiError(Exception):
    """A refusal with its HTTP status, code and message, raised by routes and dependencies."""

    def __init__(
        self,
        status: int,
        code: str,
        message: str,
        *,
        details: Sequence[tuple[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.details = tuple(details)
        self.headers = dict(headers or {})


def error_response(
    version: str,
    status: int,
    code: str,
    message: str,
    *,
    details: Sequence[tuple[str, str]] = (),
    headers: Mapping[str, str] | None = None,
) -> JSONResponse:
    error: dict[str, Any] = {"code": code, "message": message}
    if details:
        error["details"] = [{"field": field, "message": text} for field, text in details]
    return JSONResponse({"version": version, "error": error}, status_code=status, headers=dict(headers or {}))


def _plain(text: str) -> str:
    """Domain messages are written for Discord; the API shows them without markdown."""
    return text.replace("**", "").replace("`", "")


def _discord_times(text: str) -> str:
    """``<t:1700000000:R>`` (a Discord timestamp) as an ISO 8601 time for API clients."""
    import datetime as dt
    import re

    def iso(match: re.Match[str]) -> str:
        return dt.datetime.fromtimestamp(int(match[1]), tz=dt.UTC).isoformat().replace("+00:00", "Z")

    return re.sub(r"<t:([0-9]{1,12}):[A-Za-z]>", iso, text)


def _meeting_error(exc: MeetingError) -> ApiError:
    if isinstance(exc, MeetingNotFound):
        return ApiError(404, "meeting_not_found", "No meeting with this id is running or has run in this server.")
    if isinstance(exc, MeetingAlreadyEnded):
        return ApiError(409, "meeting_ended", _plain(str(exc)))
    if isinstance(exc, MeetingNotStarted):
        return ApiError(409, "meeting_not_started", _plain(_discord_times(str(exc))))
    if isinstance(exc, MeetingPermissionDenied):
        return ApiError(403, "forbidden", _plain(str(exc)))
    if isinstance(exc, InvalidMeetingOptions):
        return ApiError(422, "invalid_meeting", str(exc))
    if isinstance(exc, MeetingLimitReached):
        import time

        retry = str(max(1, exc.retry_at - int(time.time()))) if exc.retry_at else "60"
        return ApiError(429, "limit_reached", _plain(_discord_times(str(exc))), headers={"Retry-After": retry})
    if isinstance(exc, MeetingBackendUnavailable):
        return ApiError(503, "backend_unavailable", _plain(str(exc)), headers={"Retry-After": RETRY_AFTER_SECONDS})
    return ApiError(500, "internal_error", "Something went wrong on our side.")


def _config_error(exc: Exception) -> ApiError | None:
    """Imported only when a config error was raised (the config package is not needed on most paths)."""
    from kaltura_discord.config.errors import ConfigConflict, ConfigUnavailable, ConfigValidationError

    if isinstance(exc, ConfigValidationError):
        return ApiError(
            422,
            "invalid_config",
            "The configuration change was refused; nothing was saved.",
            details=[("config", problem) for problem in exc.problems],
        )
    if isinstance(exc, ConfigConflict):
        return ApiError(409, "config_conflict", "The configuration kept changing while we wrote it; nothing was saved.")
    if isinstance(exc, ConfigUnavailable):
        return ApiError(
            503,
            "backend_unavailable",
            "The configuration store did not answer.",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    return None


def _validation_error(errors: Sequence[Any]) -> ApiError:
    if any(isinstance(e, Mapping) and e.get("type") == "json_invalid" for e in errors):
        return ApiError(400, "malformed_body", "The request body is not valid JSON.")
    details = []
    for error in errors[:20]:
        if not isinstance(error, Mapping):
            continue
        field = ".".join(str(part) for part in error.get("loc", ()))
        details.append((field or "request", str(error.get("msg", "invalid value"))))
    return ApiError(422, "validation_failed", "The request is not valid.", details=details)


def to_api_error(exc: Exception, reference: str | None = None) -> ApiError:
    """Classify any exception raised while handling a request; unexpected ones are logged here."""
    from fastapi.exceptions import RequestValidationError

    if isinstance(exc, ApiError):
        return exc
    if isinstance(exc, TokenError):
        return ApiError(401, exc.code, exc.message, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'})
    if isinstance(exc, RequestValidationError):
        return _validation_error(exc.errors())
    if isinstance(exc, StarletteHTTPException):
        code = _STATUS_CODES.get(exc.status_code, "error")
        message = exc.detail if isinstance(exc.detail, str) else code.replace("_", " ")
        return ApiError(exc.status_code, code, message, headers=exc.headers)
    if isinstance(exc, MeetingError):
        return _meeting_error(exc)
    if type(exc).__module__.startswith("kaltura_discord.config"):
        mapped = _config_error(exc)
        if mapped is not None:
            return mapped
    if isinstance(exc, RecursionError):
        return ApiError(400, "malformed_body", "The request body is nested too deeply.")
    if _out_of_time(exc):  # a dependency that did not answer within the request's deadline: logged where it failed
        log.warning(
            "API request ran out of time",
            extra={"error_type": type(exc).__name__, "error": str(exc)[:300], "reference": reference},
        )
        return ApiError(
            503,
            "service_unavailable",
            "A service this API depends on did not answer in time; please try again shortly.",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    unavailable = isinstance(exc, ConfigurationError) or type(exc).__module__.startswith(("botocore", "boto3"))
    log.exception("API request failed", extra={"error_type": type(exc).__name__, "reference": reference}, exc_info=exc)
    suffix = f" (reference {reference})" if reference else ""
    if unavailable:
        return ApiError(
            503,
            "service_unavailable",
            f"A service this API depends on is unavailable; please try again shortly{suffix}.",
            headers={"Retry-After": RETRY_AFTER_SECONDS},
        )
    return ApiError(500, "internal_error", f"Something went wrong on our side{suffix}.")


def _out_of_time(exc: Exception) -> bool:
    """A deadline-bound AWS client that got no answer in time, or no time left for a call (api.limits)."""
    from kaltura_discord.aws import ServiceUnavailable
    from kaltura_discord.deadline import DeadlineExceeded
    from kaltura_discord.kaltura.errors import KalturaUnavailable

    return isinstance(exc, (ServiceUnavailable, DeadlineExceeded, KalturaUnavailable))


def response_for(exc: Exception, version: str, reference: str | None = None) -> JSONResponse:
    error = to_api_error(exc, reference)
    return error_response(
        version, error.status, error.code, error.message, details=error.details, headers=error.headers
    )


ERROR_SCHEMA_REF = "#/components/schemas/ErrorResponse"
