"""Minting and verifying the two kinds of token, both Ed25519-signed JWTs (``alg`` EdDSA, pinned).

- **API tokens** (audience ``kaltura-discord-api``): minted by ``/kaltura-token create`` for the member who ran
  it, scoped to that guild and to a set of scopes, valid 1-720 hours (at most 24 with ``config:write``). Each is
  recorded by its ``jti`` (:mod:`~kaltura_discord.auth.records`), so that it can be listed and revoked; a valid
  signature alone is not enough to use one.
- **Join tokens** (audience ``kaltura-discord-join``): minted for one member and one meeting by ``/kaltura-join``,
  the Join button and ``POST /v1/meetings/{id}/join``, valid for the server's ``kaltura.join_link_ttl_seconds``,
  carrying a ``jti`` that the API records so the link works once. They carry no Kaltura session: that is minted
  when the link is opened (``GET /v1/join/{token}``).

The verifier takes the algorithm from here, never from the token's header, and the key from the ``kid`` header
among the configured keys only. Different audiences keep one kind from being used as the other. Tokens are
credentials: nothing here logs them, and errors never include them.
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal

from kaltura_discord import settings

if TYPE_CHECKING:
    from kaltura_discord.auth.keys import KeyRing

ALGORITHM: Final = "EdDSA"
DEFAULT_ISSUER: Final = "kaltura-discord"
API_AUDIENCE: Final = "kaltura-discord-api"
JOIN_AUDIENCE: Final = "kaltura-discord-join"

Scope = Literal["meetings:read", "meetings:write", "config:write"]
SCOPES: Final[tuple[Scope, ...]] = ("meetings:read", "meetings:write", "config:write")
DEFAULT_SCOPES: Final[tuple[Scope, ...]] = ("meetings:read",)
KalturaRole = Literal["viewer", "moderator", "admin"]
_ROLES: Final = ("viewer", "moderator", "admin")

HOUR: Final = 3600
DEFAULT_API_LIFETIME_SECONDS: Final = 24 * HOUR
MAX_API_LIFETIME_SECONDS: Final = 720 * HOUR
MAX_CONFIG_WRITE_LIFETIME_SECONDS: Final = 24 * HOUR
"""Changing a server's settings is the most a token can do, so such a token lives a day at most (the server may
lower this with ``tokens.config_write_max_hours``); the 720-hour ceiling is for the other scopes."""
SHORT_ID_LENGTH: Final = 8
JOIN_LIFETIME_SECONDS: Final = 900
MAX_JOIN_LIFETIME_SECONDS: Final = 86400
LEEWAY_SECONDS: Final = 30
MAX_TOKEN_LENGTH: Final = 8192
MAX_NAME_LENGTH: Final = 100
MAX_ROLE_IDS: Final = 250

_SNOWFLAKE = re.compile(r"^[0-9]{17,20}$")
_MEETING_ID = re.compile(r"^[a-z2-7]{10}$")
_API_CLAIMS: Final = ("iss", "aud", "sub", "iat", "exp", "jti", "guild", "scope")
_JOIN_CLAIMS: Final = ("iss", "aud", "sub", "iat", "exp", "jti", "guild", "mid", "role")


class TokenError(Exception):
    """A token was refused; ``code`` is machine-readable, the message is safe to show (it never echoes the token)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def _invalid() -> TokenError:
    return TokenError(
        "invalid_token", "The token is malformed, was not issued by this service, or is not for this use."
    )


def revoked() -> TokenError:
    """A well-signed token that is no longer (or was never) on record: revoked in Discord or over the API."""
    return TokenError(
        "token_revoked", "The token was revoked (or is not on record); mint a new one with /kaltura-token create."
    )


def max_lifetime_seconds(scopes: Iterable[str]) -> int:
    """The longest a token with ``scopes`` may live, whatever a server's settings say."""
    return MAX_CONFIG_WRITE_LIFETIME_SECONDS if "config:write" in set(scopes) else MAX_API_LIFETIME_SECONDS


def short_id(token_id: str) -> str:
    """What people see and type (``/kaltura-token list`` and ``revoke``): enough to tell a server's tokens apart,
    too little to be worth anything without the token itself."""
    return token_id[:SHORT_ID_LENGTH]


@dataclass(frozen=True)
class ApiClaims:
    """A verified API token: who (``user_id``), where (``guild_id``) and what (``scopes``)."""

    user_id: str
    guild_id: str
    scopes: frozenset[str]
    display_name: str
    role_ids: tuple[str, ...]
    token_id: str
    issued_at: int
    expires_at: int
    guild_locale: str | None = None
    """Not in the token: the server's language as Discord reports it now, set with the member's current rights
    (:meth:`~kaltura_discord.auth.rights.MemberRightsService.authorize`) for a write."""


@dataclass(frozen=True)
class JoinClaims:
    user_id: str
    guild_id: str
    meeting_id: str
    display_name: str
    role: KalturaRole
    token_id: str
    expires_at: int


@dataclass(frozen=True)
class IssuedToken:
    token: str
    token_id: str
    expires_at: int


def issuer() -> str:
    return settings.optional("JWT_ISSUER") or DEFAULT_ISSUER


def _keyring(keyring: KeyRing | None) -> KeyRing:
    if keyring is not None:
        return keyring
    from kaltura_discord.auth.keys import get_keyring

    return get_keyring()


def _sign(claims: dict[str, Any], keyring: KeyRing | None) -> str:
    import jwt

    key = _keyring(keyring).current
    return jwt.encode(claims, key.private_key, algorithm=ALGORITHM, headers={"kid": key.kid, "typ": "JWT"})


def parse_scopes(text: str) -> tuple[Scope, ...]:
    """Space-separated scope names (OAuth style), in canonical order; ValueError for an unknown one."""
    names = text.split()
    unknown = sorted(set(names) - set(SCOPES))
    if unknown:
        raise ValueError(f"unknown scope {unknown[0]!r}")
    return tuple(scope for scope in SCOPES if scope in names)


def mint_api_token(
    *,
    guild_id: str,
    user_id: str,
    display_name: str,
    role_ids: Iterable[str],
    scopes: Iterable[Scope],
    lifetime_seconds: int = DEFAULT_API_LIFETIME_SECONDS,
    now: float | None = None,
    keyring: KeyRing | None = None,
) -> IssuedToken:
    """Only for the member of a verified interaction; the caller has checked they may manage the guild."""
    chosen = [scope for scope in SCOPES if scope in set(scopes)]
    if not chosen:
        raise ValueError("a token needs at least one scope")
    ceiling = max_lifetime_seconds(chosen)
    if not HOUR <= lifetime_seconds <= ceiling:
        raise ValueError(f"lifetime must be 1 to {ceiling // HOUR} hours")
    if not (_SNOWFLAKE.fullmatch(guild_id) and _SNOWFLAKE.fullmatch(user_id)):
        raise ValueError("guild and user ids must be Discord ids")
    roles = sorted({role for role in role_ids if _SNOWFLAKE.fullmatch(role)})[:MAX_ROLE_IDS]
    issued = int(time.time() if now is None else now)
    token_id = secrets.token_hex(16)
    claims = {
        "iss": issuer(),
        "aud": API_AUDIENCE,
        "sub": user_id,
        "iat": issued,
        "nbf": issued,
        "exp": issued + lifetime_seconds,
        "jti": token_id,
        "guild": guild_id,
        "scope": " ".join(chosen),
        "name": display_name[:MAX_NAME_LENGTH],
        "roles": roles,
    }
    return IssuedToken(_sign(claims, keyring), token_id, issued + lifetime_seconds)


def mint_join_token(
    *,
    guild_id: str,
    user_id: str,
    meeting_id: str,
    display_name: str,
    role: KalturaRole,
    lifetime_seconds: int = JOIN_LIFETIME_SECONDS,
    now: float | None = None,
    keyring: KeyRing | None = None,
) -> IssuedToken:
    """For one member, one meeting, one use; it lives as long as the server's join links do."""
    if not 1 <= lifetime_seconds <= MAX_JOIN_LIFETIME_SECONDS:
        raise ValueError(f"a join token lives 1 to {MAX_JOIN_LIFETIME_SECONDS} seconds")
    issued = int(time.time() if now is None else now)
    token_id = secrets.token_hex(16)
    claims = {
        "iss": issuer(),
        "aud": JOIN_AUDIENCE,
        "sub": user_id,
        "iat": issued,
        "exp": issued + lifetime_seconds,
        "jti": token_id,
        "guild": guild_id,
        "mid": meeting_id,
        "name": display_name[:MAX_NAME_LENGTH],
        "role": role,
    }
    return IssuedToken(_sign(claims, keyring), token_id, issued + lifetime_seconds)


def _decode(token: str, audience: str, required: tuple[str, ...], keyring: KeyRing | None) -> dict[str, Any]:
    import jwt

    if not token or len(token) > MAX_TOKEN_LENGTH:
        raise _invalid()
    try:
        header = jwt.get_unverified_header(token)
    except jwt.PyJWTError:
        raise _invalid() from None
    kid = header.get("kid")
    if header.get("alg") != ALGORITHM or not isinstance(kid, str):
        raise _invalid()
    key = _keyring(keyring).public_key(kid)
    if key is None:
        raise _invalid()
    try:
        claims: dict[str, Any] = jwt.decode(
            token,
            key,
            algorithms=[ALGORITHM],
            audience=audience,
            issuer=issuer(),
            leeway=LEEWAY_SECONDS,
            options={"require": list(required), "strict_aud": True},
        )
    except jwt.ExpiredSignatureError:
        raise TokenError("token_expired", "The token has expired; ask for a new one.") from None
    except jwt.ImmatureSignatureError:
        raise TokenError("token_not_yet_valid", "The token is not valid yet.") from None
    except jwt.PyJWTError:
        raise _invalid() from None
    return claims


def _text(claims: dict[str, Any], name: str, pattern: re.Pattern[str] | None = None, default: str | None = None) -> str:
    value = claims.get(name, default)
    if not isinstance(value, str) or (pattern is not None and not pattern.fullmatch(value)):
        raise _invalid()
    return value


def _lifetime(claims: dict[str, Any], maximum: int) -> int:
    issued, expires = claims["iat"], claims["exp"]
    if not isinstance(issued, int) or not isinstance(expires, int) or not 0 < expires - issued <= maximum:
        raise _invalid()
    return expires


def verify_api_token(token: str, *, keyring: KeyRing | None = None) -> ApiClaims:
    """The claims of a valid API token, or :class:`TokenError`."""
    claims = _decode(token, API_AUDIENCE, _API_CLAIMS, keyring)
    scope = _text(claims, "scope")
    expires = _lifetime(claims, max_lifetime_seconds(scope.split()))
    roles = claims.get("roles", [])
    if (
        not isinstance(roles, list)
        or len(roles) > MAX_ROLE_IDS
        or not all(isinstance(r, str) and _SNOWFLAKE.fullmatch(r) for r in roles)
    ):
        raise _invalid()
    return ApiClaims(
        user_id=_text(claims, "sub", _SNOWFLAKE),
        guild_id=_text(claims, "guild", _SNOWFLAKE),
        scopes=frozenset(scope.split()) & frozenset(SCOPES),
        display_name=_text(claims, "name", default="Member")[:MAX_NAME_LENGTH] or "Member",
        role_ids=tuple(roles),
        token_id=_text(claims, "jti")[:64],
        issued_at=int(claims["iat"]),
        expires_at=expires,
    )


def verify_join_token(token: str, *, keyring: KeyRing | None = None) -> JoinClaims:
    """The claims of a valid join token (its single use is checked by the caller, against the ledger)."""
    claims = _decode(token, JOIN_AUDIENCE, _JOIN_CLAIMS, keyring)
    expires = _lifetime(claims, MAX_JOIN_LIFETIME_SECONDS)
    role = _text(claims, "role")
    if role not in _ROLES:
        raise _invalid()
    token_id = _text(claims, "jti")
    if not 1 <= len(token_id) <= 64:
        raise _invalid()
    return JoinClaims(
        user_id=_text(claims, "sub", _SNOWFLAKE),
        guild_id=_text(claims, "guild", _SNOWFLAKE),
        meeting_id=_text(claims, "mid", _MEETING_ID),
        display_name=_text(claims, "name", default="Member")[:MAX_NAME_LENGTH] or "Member",
        role=role,  # type: ignore[arg-type]
        token_id=token_id,
        expires_at=expires,
    )
