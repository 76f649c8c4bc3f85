"""Who is calling: the bearer token, verified and still on record, and what it may do now.

A token names one guild; routes read and write that guild only, so another guild's meetings and settings are
simply not found. Each request passes, in this order:

1. the signature, audience, issuer and expiry (:func:`~kaltura_discord.auth.tokens.verify_api_token`): 401;
2. the token's record (:class:`~kaltura_discord.auth.records.TokenGate`): revoked or unknown is 401
   ``token_revoked``;
3. the route's scope: 403 ``insufficient_scope``;
4. the member's current standing in the server (:class:`~kaltura_discord.auth.rights.MemberRightsService`): gone is
   403 ``not_a_member``; a write without Manage Server 403 ``missing_permission``; Discord unreachable is 503
   for a write and no obstacle for a read;
5. the server's ``/kaltura-token`` switch and role limit, which govern the tokens it minted: 403
   ``tokens_disabled``.

``DELETE /v1/tokens/self`` needs only the first two: a member who lost the server can still give a token back.
Every 401 and 403 carries ``WWW-Authenticate`` as RFC 6750 asks. The checks are ``async def`` so that FastAPI runs
them on the event loop instead of handing each to a worker thread.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kaltura_discord.api.backends import backends
from kaltura_discord.api.errors import RETRY_AFTER_SECONDS, ApiError
from kaltura_discord.auth.rights import AccessRefused, RightsUnavailable
from kaltura_discord.auth.tokens import ApiClaims, Scope, TokenError, verify_api_token

REALM = 'Bearer realm="kaltura-discord"'

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiToken",
    bearerFormat="JWT",
    description="An API token minted in Discord with `/kaltura-token create`; it is scoped to one server and can "
    "be revoked (`/kaltura-token revoke`, `DELETE /v1/tokens/self`).",
)


async def authenticated(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> ApiClaims:
    if credentials is None:
        raise ApiError(
            401,
            "missing_token",
            "This needs an API token: send 'Authorization: Bearer <token>' (mint one with /kaltura-token create).",
            headers={"WWW-Authenticate": REALM},
        )
    try:
        claims = verify_api_token(credentials.credentials)
        backends().tokens.check(claims)
    except TokenError as exc:
        raise ApiError(
            401, exc.code, exc.message, headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'}
        ) from None
    return claims


def _forbidden(code: str, message: str) -> ApiError:
    return ApiError(403, code, message, headers={"WWW-Authenticate": REALM})


def _tokens_allowed(claims: ApiClaims) -> None:
    """Switching ``/kaltura-token`` off (or limiting it to roles) switches off the tokens it minted, too."""
    from kaltura_discord.config import get_config

    policy = get_config(claims.guild_id).commands.policy("kaltura-token")
    if not policy.allows(claims.role_ids):
        raise _forbidden(
            "tokens_disabled",
            "This server switched /kaltura-token off, or limited it to roles the token's member does not have; its "
            "API tokens do not work while it is so.",
        )


def require(scope: Scope) -> Any:
    """A dependency giving the caller's claims, with the member's current roles, once every check has passed."""

    async def check(claims: Annotated[ApiClaims, Depends(authenticated)]) -> ApiClaims:
        if scope not in claims.scopes:
            raise ApiError(
                403,
                "insufficient_scope",
                f"This token may not do that: it needs the {scope} scope. Mint one that has it with "
                "/kaltura-token create.",
                headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
            )
        try:
            current = backends().members.authorize(claims, scope)
        except AccessRefused as exc:
            raise _forbidden(exc.code, exc.message) from None
        except RightsUnavailable:
            raise ApiError(
                503,
                "discord_unavailable",
                "Discord did not answer, so the member's current permissions could not be checked; nothing was done.",
                headers={"Retry-After": RETRY_AFTER_SECONDS},
            ) from None
        _tokens_allowed(current)
        return current

    check.__name__ = f"require_{scope.replace(':', '_')}"
    return Depends(check)


Reader = Annotated[ApiClaims, require("meetings:read")]
Writer = Annotated[ApiClaims, require("meetings:write")]
ConfigAdmin = Annotated[ApiClaims, require("config:write")]
