"""Who is calling: the bearer token, verified, and the scope each route needs.

A token names one guild; routes read and write that guild only, so another guild's meetings and settings are
simply not found. Every refusal carries ``WWW-Authenticate`` as RFC 6750 asks. The checks are ``async def`` so that
FastAPI runs them on the event loop instead of handing each to a worker thread.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import Depends, Security
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from kaltura_discord.api.errors import ApiError
from kaltura_discord.auth.tokens import ApiClaims, Scope, TokenError, verify_api_token

REALM = 'Bearer realm="kaltura-discord"'

bearer = HTTPBearer(
    auto_error=False,
    scheme_name="apiToken",
    bearerFormat="JWT",
    description="An API token minted in Discord with `/kaltura-token`; it is scoped to one server.",
)


async def authenticated(
    credentials: Annotated[HTTPAuthorizationCredentials | None, Security(bearer)],
) -> ApiClaims:
    if credentials is None:
        raise ApiError(
            401,
            "missing_token",
            "This needs an API token: send 'Authorization: Bearer <token>' (mint one with /kaltura-token).",
            headers={"WWW-Authenticate": REALM},
        )
    try:
        return verify_api_token(credentials.credentials)
    except TokenError as exc:
        raise ApiError(
            401, exc.code, exc.message, headers={"WWW-Authenticate": f'{REALM}, error="invalid_token"'}
        ) from None


def require(scope: Scope) -> Any:
    """A dependency giving the caller's claims, refusing (403) a token without ``scope``."""

    async def check(claims: Annotated[ApiClaims, Depends(authenticated)]) -> ApiClaims:
        if scope not in claims.scopes:
            raise ApiError(
                403,
                "insufficient_scope",
                f"This token may not do that: it needs the {scope} scope. Mint one that has it with /kaltura-token.",
                headers={"WWW-Authenticate": f'{REALM}, error="insufficient_scope", scope="{scope}"'},
            )
        return claims

    check.__name__ = f"require_{scope.replace(':', '_')}"
    return Depends(check)


Reader = Annotated[ApiClaims, require("meetings:read")]
Writer = Annotated[ApiClaims, require("meetings:write")]
ConfigAdmin = Annotated[ApiClaims, require("config:write")]
