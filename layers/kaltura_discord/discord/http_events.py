"""Adapters between API Gateway proxy events (HTTP API 2.0 and REST 1.0) and a plain request/response."""

from __future__ import annotations

import base64
import binascii
from typing import Any

JSON_HEADERS = {"content-type": "application/json"}


class MalformedEvent(ValueError):
    """The event's body could not be decoded to bytes."""


class HttpRequest:
    """A plain slotted class rather than a dataclass: ``dataclasses`` imports ``inspect`` (~10 ms of PING's
    cold start)."""

    __slots__ = ("body", "domain_name", "headers", "method", "path")

    def __init__(
        self, method: str, path: str, headers: dict[str, str], body: bytes, domain_name: str | None = None
    ) -> None:
        self.method = method
        self.path = path
        self.headers = headers
        self.body = body
        self.domain_name = domain_name

    def header(self, name: str) -> str | None:
        return self.headers.get(name)


def from_lambda_event(event: dict[str, Any]) -> HttpRequest:
    """Header names are lower-cased; the body is the exact bytes received (base64 decoded when flagged).

    ``domain_name`` is API Gateway's ``requestContext.domainName`` (set by API Gateway, never from a header).
    """
    domain = (event.get("requestContext") or {}).get("domainName")
    if event.get("version") == "2.0":
        http = event.get("requestContext", {}).get("http", {})
        method, path = http.get("method", ""), event.get("rawPath", "")
    else:
        method, path = event.get("httpMethod", ""), event.get("path", "")
    raw_headers = event.get("headers") or {}
    headers = {str(k).lower(): str(v) for k, v in raw_headers.items()}
    raw_body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            body = base64.b64decode(raw_body, validate=True)
        except (binascii.Error, ValueError):
            raise MalformedEvent("body is not valid base64") from None
    elif isinstance(raw_body, bytes):
        body = raw_body
    else:
        body = raw_body.encode("utf-8", "surrogateescape")
    return HttpRequest(str(method).upper(), str(path), headers, body, str(domain) if domain else None)


def lambda_response(status: int, body: str, headers: dict[str, str] | None = None) -> dict[str, Any]:
    return {"statusCode": status, "headers": headers or JSON_HEADERS, "body": body, "isBase64Encoded": False}
