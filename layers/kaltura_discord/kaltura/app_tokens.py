"""The two app tokens app-token mode needs, made with ``appToken.add`` exactly as ``docs/kaltura.md`` describes.

App-token mode keeps the partner's admin secret out of the deployment. It takes two tokens, because whatever a
token fixes overrides the request (``api_v3/services/AppTokenService.php`` startSession) and server privileges
such as ``actionslimit`` are never taken from the request (``kSessionUtils::retrieveAllowedAppSessionPrivileges``):

- the **ADMIN token** (``KALTURA_APP_TOKEN_ID``/``KALTURA_APP_TOKEN``) for room management: ``sessionType`` 2, a
  fixed ``sessionUserId`` (the rooms' creator), ``disableentitlement``;
- the **USER token** (``KALTURA_USER_APP_TOKEN_ID``/``KALTURA_USER_APP_TOKEN``) for join sessions: ``sessionType``
  0, **no** ``sessionUserId`` (each join names the person), ``sessionPrivileges`` ``actionslimit:-1`` (the
  session is useless as an API credential, as a KAF launch session should be) and a 60-second
  ``sessionDuration`` (Kaltura's KAF guide: a KS handed to KAF expires within 60 seconds).

An admin session is needed once, to create them (``scripts/create_app_tokens.py``); the local stack makes the same
two on the sandbox when ``LOCAL_KALTURA_SESSION_MODE=apptoken``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from kaltura_discord.kaltura.client import KalturaClient
from kaltura_discord.kaltura.errors import KalturaError
from kaltura_discord.kaltura.ks import SessionType

HASH_TYPE = "SHA256"
ADMIN_TOKEN_USER_ID = "kaltura-discord"  # noqa: S105 - a Kaltura user id, not a secret
JOIN_SESSION_SECONDS = 60


@dataclass(frozen=True)
class CreatedAppToken:
    id: str
    token: str = field(repr=False)
    hash_type: str


def admin_token_fields(user_id: str = ADMIN_TOKEN_USER_ID) -> dict[str, Any]:
    """``KalturaAppToken`` of the ADMIN token (room management)."""
    return {
        "objectType": "KalturaAppToken",
        "description": "kaltura-discord: room management",
        "hashType": HASH_TYPE,
        "sessionType": int(SessionType.ADMIN),
        "sessionUserId": user_id,
        "sessionPrivileges": "disableentitlement",
        "sessionDuration": 86400,
    }


def user_token_fields() -> dict[str, Any]:
    """``KalturaAppToken`` of the USER token (personal join sessions): no user, ``actionslimit:-1``, 60 s."""
    return {
        "objectType": "KalturaAppToken",
        "description": "kaltura-discord: join sessions",
        "hashType": HASH_TYPE,
        "sessionType": int(SessionType.USER),
        "sessionPrivileges": "actionslimit:-1",
        "sessionDuration": JOIN_SESSION_SECONDS,
    }


def add_app_token(client: KalturaClient, fields: dict[str, Any]) -> CreatedAppToken:
    """``appToken.add`` with the client's admin session; the token's secret is in this answer only."""
    result = client.call("apptoken", "add", {"appToken": fields})
    if not isinstance(result, dict) or not result.get("id") or not result.get("token"):
        raise KalturaError("INVALID_RESPONSE", "appToken.add returned no id or token")
    return CreatedAppToken(str(result["id"]), str(result["token"]), str(result.get("hashType") or HASH_TYPE))


def create_deployment_tokens(client: KalturaClient) -> tuple[CreatedAppToken, CreatedAppToken]:
    """The ADMIN token, then the USER token."""
    return add_app_token(client, admin_token_fields()), add_app_token(client, user_token_fields())
