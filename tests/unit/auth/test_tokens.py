"""Minting and verifying: what a token carries, its bounds, and the two kinds never standing in for each other."""

from __future__ import annotations

import time

import jwt
import pytest

from kaltura_discord.auth.keys import KeyRing
from kaltura_discord.auth.tokens import (
    API_AUDIENCE,
    JOIN_AUDIENCE,
    TokenError,
    mint_api_token,
    mint_join_token,
    parse_scopes,
    verify_api_token,
    verify_join_token,
)
from tests.unit.auth.support import GUILD, KEYS_JSON, USER, api_claims, sign

pytestmark = pytest.mark.unit

RING = KeyRing.from_json(KEYS_JSON)
ROLE = "1000000000000000400"


def test_an_api_token_round_trip() -> None:
    issued = mint_api_token(
        guild_id=GUILD,
        user_id=USER,
        display_name="Ada",
        role_ids=[ROLE, "not-a-role", ROLE],
        scopes=["meetings:write", "meetings:read"],
        lifetime_seconds=2 * 3600,
        keyring=RING,
    )
    header = jwt.get_unverified_header(issued.token)
    assert header == {"alg": "EdDSA", "kid": "k2", "typ": "JWT"}
    claims = verify_api_token(issued.token, keyring=RING)
    assert (claims.user_id, claims.guild_id, claims.display_name) == (USER, GUILD, "Ada")
    assert claims.scopes == {"meetings:read", "meetings:write"}
    assert claims.role_ids == (ROLE,)
    assert claims.expires_at == issued.expires_at == claims.issued_at + 7200
    assert claims.token_id == issued.token_id
    payload = jwt.decode(issued.token, options={"verify_signature": False})
    assert payload["aud"] == API_AUDIENCE and payload["scope"] == "meetings:read meetings:write"
    assert set(payload) == {"iss", "aud", "sub", "iat", "nbf", "exp", "jti", "guild", "scope", "name", "roles"}


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"scopes": []}, "at least one scope"),
        ({"lifetime_seconds": 3599}, "1 to 720 hours"),
        ({"lifetime_seconds": 720 * 3600 + 1}, "1 to 720 hours"),
        ({"guild_id": "guild"}, "Discord ids"),
        ({"scopes": ["config:write"], "lifetime_seconds": 24 * 3600 + 1}, "1 to 24 hours"),
    ],
)
def test_minting_bounds(kwargs: dict[str, object], message: str) -> None:
    arguments: dict[str, object] = {
        "guild_id": GUILD,
        "user_id": USER,
        "display_name": "x",
        "role_ids": (),
        "scopes": ["meetings:read"],
        "keyring": RING,
    }
    with pytest.raises(ValueError, match=message):
        mint_api_token(**{**arguments, **kwargs})  # type: ignore[arg-type]


def test_a_settings_token_that_lives_longer_than_a_day_is_not_accepted() -> None:
    """Whatever signed it: a config:write token lives 24 hours at most, the others 720."""
    now = int(time.time())
    long_lived = sign(api_claims(iat=now, nbf=now, exp=now + 25 * 3600))
    with pytest.raises(TokenError) as refused:
        verify_api_token(long_lived, keyring=RING)
    assert refused.value.code == "invalid_token"
    reader = sign(api_claims(scope="meetings:read meetings:write", iat=now, nbf=now, exp=now + 720 * 3600))
    assert verify_api_token(reader, keyring=RING).scopes == {"meetings:read", "meetings:write"}


def test_scopes_parse_in_canonical_order() -> None:
    assert parse_scopes("config:write meetings:read") == ("meetings:read", "config:write")
    with pytest.raises(ValueError, match="unknown scope"):
        parse_scopes("meetings:read admin")


def test_unknown_scopes_in_a_token_grant_nothing() -> None:
    claims = verify_api_token(sign(api_claims(scope="meetings:read admin:everything")), keyring=RING)
    assert claims.scopes == {"meetings:read"}


def test_a_join_token_round_trip_and_bounds() -> None:
    issued = mint_join_token(
        guild_id=GUILD, user_id=USER, meeting_id="abcdefgh23", display_name="Ada", role="moderator", keyring=RING
    )
    claims = verify_join_token(issued.token, keyring=RING)
    assert (claims.meeting_id, claims.role, claims.token_id) == ("abcdefgh23", "moderator", issued.token_id)
    assert 890 <= claims.expires_at - time.time() <= 900
    assert jwt.decode(issued.token, options={"verify_signature": False})["aud"] == JOIN_AUDIENCE
    day = mint_join_token(
        guild_id=GUILD,
        user_id=USER,
        meeting_id="abcdefgh23",
        display_name="x",
        role="viewer",
        lifetime_seconds=86400,
        keyring=RING,
    )
    assert verify_join_token(day.token, keyring=RING).expires_at - time.time() > 86000
    with pytest.raises(ValueError):
        mint_join_token(
            guild_id=GUILD,
            user_id=USER,
            meeting_id="abcdefgh23",
            display_name="x",
            role="viewer",
            lifetime_seconds=86401,
        )


def test_the_two_kinds_never_stand_in_for_each_other() -> None:
    api = mint_api_token(
        guild_id=GUILD, user_id=USER, display_name="x", role_ids=(), scopes=["meetings:read"], keyring=RING
    )
    join = mint_join_token(
        guild_id=GUILD, user_id=USER, meeting_id="abcdefgh23", display_name="x", role="viewer", keyring=RING
    )
    with pytest.raises(TokenError) as as_join:
        verify_join_token(api.token, keyring=RING)
    with pytest.raises(TokenError) as as_api:
        verify_api_token(join.token, keyring=RING)
    assert as_join.value.code == as_api.value.code == "invalid_token"


@pytest.mark.parametrize(
    "changes",
    [
        {"role": "owner"},
        {"mid": "../../etc"},
        {"exp": int(time.time()) + 86400 + 3600},
        {"jti": None},
        {"aud": API_AUDIENCE},
    ],
)
def test_join_tokens_are_checked_as_strictly(changes: dict[str, object]) -> None:
    now = int(time.time())
    claims = {
        **api_claims(aud=JOIN_AUDIENCE, scope=None, roles=None, nbf=None, exp=now + 300),
        "mid": "abcdefgh23",
        "role": "viewer",
    }
    claims.update(changes)
    token = sign({k: v for k, v in claims.items() if v is not None})
    with pytest.raises(TokenError, match="not issued by this service"):
        verify_join_token(token, keyring=RING)


def test_an_oversized_token_is_refused_before_parsing() -> None:
    with pytest.raises(TokenError):
        verify_api_token("a" * 9000, keyring=RING)


def test_the_issuer_can_be_set(monkeypatch: pytest.MonkeyPatch) -> None:
    token = mint_api_token(
        guild_id=GUILD, user_id=USER, display_name="x", role_ids=(), scopes=["meetings:read"], keyring=RING
    ).token
    monkeypatch.setenv("JWT_ISSUER", "kaltura-discord-staging")
    with pytest.raises(TokenError):
        verify_api_token(token, keyring=RING)
