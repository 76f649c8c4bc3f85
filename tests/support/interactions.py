"""Build interaction payloads and API Gateway events signed the way Discord signs them."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

from nacl.signing import SigningKey

from kaltura_discord.local.signing import new_snowflake, sign

SIGNING_KEY = SigningKey(bytes(range(32)))
PUBLIC_KEY_HEX = bytes(SIGNING_KEY.verify_key).hex()
APPLICATION_ID = "1000000000000000001"
GUILD_ID = "1000000000000000100"
CHANNEL_ID = "1000000000000000200"
USER_ID = "1000000000000000300"
MANAGE_GUILD = 1 << 5


def interaction(
    kind: int = 2,
    data: dict[str, Any] | None = None,
    *,
    user_id: str = USER_ID,
    roles: list[str] | None = None,
    permissions: int = 0,
    guild_id: str = GUILD_ID,
    token: str | None = None,
) -> dict[str, Any]:
    interaction_id = new_snowflake()
    return {
        "id": interaction_id,
        "application_id": APPLICATION_ID,
        "type": kind,
        "token": token or f"tok-{interaction_id}",
        "version": 1,
        "guild_id": guild_id,
        "channel_id": CHANNEL_ID,
        "member": {
            "user": {
                "id": user_id,
                "username": "tester",
                "global_name": "Test User",
                "discriminator": "0",
                "avatar": None,
                "public_flags": 0,
            },
            "roles": roles or [],
            "permissions": str(permissions),
            "nick": None,
            "avatar": None,
            "joined_at": "2026-01-01T00:00:00.000000+00:00",
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "pending": False,
            "flags": 0,
        },
        "locale": "en-US",
        "guild_locale": "en-US",
        "app_permissions": "2248473465835073",
        "entitlements": [],
        "data": data or {},
    }


def command(name: str, options: list[dict[str, Any]] | None = None, **kwargs: Any) -> dict[str, Any]:
    return interaction(2, {"id": "1", "name": name, "type": 1, "options": options or []}, **kwargs)


def v2_event(
    body: bytes,
    headers: dict[str, str] | None = None,
    *,
    base64_body: bool = False,
    key: SigningKey = SIGNING_KEY,
    timestamp: str | None = None,
) -> dict[str, Any]:
    signed = sign(key, body, timestamp) if headers is None else headers
    return {
        "version": "2.0",
        "routeKey": "POST /interactions",
        "rawPath": "/interactions",
        "rawQueryString": "",
        "headers": {k.lower(): v for k, v in signed.items()} | {"content-type": "application/json"},
        "requestContext": {"http": {"method": "POST", "path": "/interactions"}, "stage": "$default"},
        "body": base64.b64encode(body).decode() if base64_body else body.decode(),
        "isBase64Encoded": base64_body,
    }


def v1_event(body: bytes, headers: dict[str, str] | None = None, *, base64_body: bool = False) -> dict[str, Any]:
    signed = sign(SIGNING_KEY, body) if headers is None else headers
    return {
        "resource": "/interactions",
        "path": "/interactions",
        "httpMethod": "POST",
        "headers": dict(signed) | {"Content-Type": "application/json"},
        "multiValueHeaders": {},
        "body": base64.b64encode(body).decode() if base64_body else body.decode(),
        "isBase64Encoded": base64_body,
    }


def signed_event(payload: dict[str, Any]) -> dict[str, Any]:
    return v2_event(json.dumps(payload).encode())


def now() -> str:
    return str(int(time.time()))
