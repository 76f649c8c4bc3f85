"""Forged, stale, misdirected and under-scoped tokens: each refused with the right status and code."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import pytest

from kaltura_discord.auth.tokens import JOIN_AUDIENCE, mint_join_token
from tests.unit.api.client import LambdaClient
from tests.unit.api.fakes import MemoryBackends
from tests.unit.auth.support import (
    ATTACKER_SEED,
    GUILD,
    OTHER_GUILD,
    PREVIOUS_SEED,
    USER,
    api_claims,
    es256,
    hmac_with_public_key,
    record_of,
    rs256,
    sign,
    tamper,
    unsigned,
)

pytestmark = pytest.mark.unit

NOW = int(time.time())
HOUR = 3600

FORGED: dict[str, Callable[[], str]] = {
    "alg none": lambda: unsigned(api_claims()),
    "alg none, upper case": lambda: unsigned(api_claims()).replace("bm9uZ", "Tk9ORS"),
    "HS256 keyed with our public key": lambda: hmac_with_public_key(api_claims()),
    "RS256 with some RSA key": lambda: rs256(api_claims()),
    "ES256 with some EC key": lambda: es256(api_claims()),
    "EdDSA with another key, our kid": lambda: sign(api_claims(), seed=ATTACKER_SEED),
    "our key under an unknown kid": lambda: sign(api_claims(), kid="k9"),
    "no kid": lambda: sign(api_claims(), kid=None),
    "the previous key under the current kid": lambda: sign(api_claims(), seed=PREVIOUS_SEED, kid="k2"),
    "wrong audience (a join token's)": lambda: sign(api_claims(aud=JOIN_AUDIENCE)),
    "audience as a list": lambda: sign(api_claims(aud=["kaltura-discord-api", "other"])),
    "wrong issuer": lambda: sign(api_claims(iss="someone-else")),
    "tampered guild": lambda: tamper(sign(api_claims(guild=OTHER_GUILD)), guild=GUILD),
    "tampered scope": lambda: tamper(sign(api_claims(scope="meetings:read")), scope="meetings:write"),
    "subject not a Discord id": lambda: sign(api_claims(sub="admin")),
    "guild not a Discord id": lambda: sign(api_claims(guild="*")),
    "lifetime beyond 720 hours": lambda: sign(api_claims(exp=NOW + 721 * HOUR)),
    "roles not a list": lambda: sign(api_claims(roles="1000000000000000400")),
    "garbage": lambda: "not-a-token",
    "two parts": lambda: "e30.e30",
    "empty signature": lambda: sign(api_claims()).rsplit(".", 1)[0] + ".",
}
MISSING = ("iss", "aud", "sub", "iat", "exp", "jti", "guild", "scope")


def reply(client: LambdaClient, token: str, path: str = "/v1/meetings") -> tuple[int, str, dict[str, str]]:
    answer = client.get(path, token=token)
    return answer.status, answer.error_code, answer.headers


@pytest.mark.parametrize("forge", FORGED.values(), ids=FORGED.keys())
def test_forged_tokens_are_invalid(client: LambdaClient, forge: Callable[[], str]) -> None:
    status, code, headers = reply(client, forge())
    assert (status, code) == (401, "invalid_token")
    assert headers["www-authenticate"] == 'Bearer realm="kaltura-discord", error="invalid_token"'


@pytest.mark.parametrize("claim", MISSING)
def test_a_missing_claim_makes_a_token_invalid(client: LambdaClient, claim: str) -> None:
    assert reply(client, sign(api_claims(**{claim: None})))[:2] == (401, "invalid_token")


@pytest.mark.parametrize(
    ("claims", "code"),
    [
        ({"iat": NOW - 2 * HOUR, "nbf": NOW - 2 * HOUR, "exp": NOW - HOUR}, "token_expired"),
        ({"nbf": NOW + HOUR, "exp": NOW + 2 * HOUR}, "token_not_yet_valid"),
        ({"iat": NOW + HOUR, "nbf": None, "exp": NOW + 2 * HOUR}, "token_not_yet_valid"),
    ],
    ids=["expired", "not yet valid (nbf)", "issued in the future (iat)"],
)
def test_tokens_outside_their_lifetime(client: LambdaClient, claims: dict[str, Any], code: str) -> None:
    assert reply(client, sign(api_claims(**claims)))[:2] == (401, code)


def test_no_token_or_another_scheme(client: LambdaClient) -> None:
    for headers in ({}, {"authorization": "Basic dXNlcjpwYXNz"}, {"authorization": "Bearer"}):
        answer = client.get("/v1/meetings", headers=headers)
        assert (answer.status, answer.error_code) == (401, "missing_token")
        assert answer.headers["www-authenticate"] == 'Bearer realm="kaltura-discord"'


def test_a_token_signed_with_the_previous_key_still_works(client: LambdaClient, memory: MemoryBackends) -> None:
    claims = api_claims()
    memory.token_records.add(record_of(claims))
    assert client.get("/v1/meetings", token=sign(claims, seed=PREVIOUS_SEED, kid="k1")).status == 200


def test_a_well_signed_token_that_is_not_on_record_is_refused(client: LambdaClient) -> None:
    """Minted before tokens were recorded, or by anyone holding a signing key: only the record makes it count."""
    status, code, headers = reply(client, sign(api_claims()))
    assert (status, code) == (401, "token_revoked")
    assert headers["www-authenticate"] == 'Bearer realm="kaltura-discord", error="invalid_token"'


def test_a_join_token_is_not_an_api_token(client: LambdaClient) -> None:
    join = mint_join_token(guild_id=GUILD, user_id=USER, meeting_id="abcdefghij", display_name="x", role="viewer")
    assert reply(client, join.token)[:2] == (401, "invalid_token")


def test_an_api_token_is_not_a_join_link(client: LambdaClient, mint: Callable[..., str]) -> None:
    answer = client.get(f"/v1/join/{mint()}")
    assert (answer.status, answer.error_code) == (401, "invalid_token")


@pytest.mark.parametrize(
    ("method", "path", "scope", "body"),
    [
        ("GET", "/v1/meetings", "meetings:read", None),
        ("GET", "/v1/meetings/abcdefghij", "meetings:read", None),
        ("POST", "/v1/meetings/abcdefghij/join", "meetings:read", None),
        ("POST", "/v1/meetings", "meetings:write", {"type": "meeting", "title": "Weekly sync"}),
        ("DELETE", "/v1/meetings/abcdefghij", "meetings:write", None),
        ("GET", "/v1/config", "config:write", None),
        ("PATCH", "/v1/config", "config:write", {}),
    ],
)
def test_each_route_needs_its_scope(
    client: LambdaClient,
    mint: Callable[..., str],
    method: str,
    path: str,
    scope: str,
    body: dict[str, Any] | None,
) -> None:
    others = " ".join(s for s in ("meetings:read", "meetings:write", "config:write") if s != scope)
    answer = client.request(method, path, json_body=body, token=mint(others))
    assert (answer.status, answer.error_code) == (403, "insufficient_scope")
    assert f'scope="{scope}"' in answer.headers["www-authenticate"]


def test_a_token_for_another_guild_sees_nothing_of_this_one(
    client: LambdaClient, mint: Callable[..., str], memory: MemoryBackends
) -> None:
    created = client.post("/v1/meetings", json_body={"type": "meeting", "title": "Guild A only"}, token=mint())
    meeting_id = created.json()["data"]["id"]
    client.patch("/v1/config", json_body={"roles": {"default": "moderator"}}, token=mint())

    stranger = mint(guild_id=OTHER_GUILD)
    assert client.get("/v1/meetings", token=stranger).json()["data"]["items"] == []
    for method, path in (
        ("GET", f"/v1/meetings/{meeting_id}"),
        ("DELETE", f"/v1/meetings/{meeting_id}"),
        ("POST", f"/v1/meetings/{meeting_id}/join"),
    ):
        answer = client.request(method, path, token=stranger)
        assert (answer.status, answer.error_code) == (404, "meeting_not_found"), (method, path)
    assert client.get("/v1/config", token=stranger).json()["data"]["overrides"] == {}
    assert memory.repository.get(GUILD, meeting_id).status == "active"


def test_a_replayed_join_link_is_refused(client: LambdaClient, mint: Callable[..., str]) -> None:
    meeting_id = client.post("/v1/meetings", json_body={"type": "meeting", "title": "Once"}, token=mint()).json()[
        "data"
    ]["id"]
    url = client.post(f"/v1/meetings/{meeting_id}/join", token=mint()).json()["data"]["url"]
    assert client.get(url).status == 302
    again = client.get(url)
    assert (again.status, again.error_code) == (410, "join_link_used")
    assert "location" not in again.headers


def test_a_tampered_join_link_is_refused(client: LambdaClient, mint: Callable[..., str]) -> None:
    meeting_id = client.post("/v1/meetings", json_body={"type": "meeting", "title": "Once"}, token=mint()).json()[
        "data"
    ]["id"]
    url = client.post(f"/v1/meetings/{meeting_id}/join", token=mint()).json()["data"]["url"]
    token = url.rsplit("/", 1)[1]
    answer = client.get(f"/v1/join/{tamper(token, role='admin')}")
    assert (answer.status, answer.error_code) == (401, "invalid_token")
