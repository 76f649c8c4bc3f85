"""Calls the API the way API Gateway does: an HTTP API (payload 2.0) event through the Mangum handler."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode, urlsplit

from kaltura_discord.local.server import lambda_event

HOST = "api.test"


@dataclass
class Reply:
    status: int
    headers: dict[str, str]
    text: str

    def json(self) -> Any:
        return json.loads(self.text)

    def json_or_none(self) -> Any:
        try:
            return self.json()
        except ValueError:
            return {}

    @property
    def error_code(self) -> str:
        return str(self.json()["error"]["code"])


class LambdaClient:
    def __init__(self, handler: Any, token: str | None = None) -> None:
        self.handler = handler
        self.token = token

    def request(
        self,
        method: str,
        url: str,
        *,
        json_body: Any = None,
        content: bytes | None = None,
        headers: dict[str, str] | None = None,
        params: dict[str, Any] | None = None,
        token: str | None = None,
        context: Any = None,
    ) -> Reply:
        parts = urlsplit(url)
        query = parts.query or (urlencode(params) if params else "")
        sent = {"host": HOST, "x-forwarded-proto": "https", "x-forwarded-port": "443"}
        bearer = token if token is not None else self.token
        if bearer:
            sent["authorization"] = f"Bearer {bearer}"
        body = content or b""
        if json_body is not None:
            body = json.dumps(json_body).encode()
            sent["content-type"] = "application/json"
        sent.update({k.lower(): v for k, v in (headers or {}).items()})
        result = self.handler(lambda_event(method, parts.path, query, sent, body, domain_name=HOST), context)
        raw = result.get("body") or ""
        text = base64.b64decode(raw).decode() if result.get("isBase64Encoded") else str(raw)
        return Reply(int(result["statusCode"]), {k.lower(): v for k, v in result["headers"].items()}, text)

    def get(self, url: str, **kwargs: Any) -> Reply:
        return self.request("GET", url, **kwargs)

    def post(self, url: str, **kwargs: Any) -> Reply:
        return self.request("POST", url, **kwargs)

    def patch(self, url: str, **kwargs: Any) -> Reply:
        return self.request("PATCH", url, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> Reply:
        return self.request("DELETE", url, **kwargs)
