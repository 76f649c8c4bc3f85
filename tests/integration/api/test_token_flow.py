"""Tokens through the deployed wiring (moto's DynamoDB, the Discord stand-in over HTTP): a revoked token is refused,
a member who loses Manage Server keeps reading but stops writing, and Discord being down stops writes only."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from kaltura_discord.api.lambda_adapter import LambdaHandler
from kaltura_discord.auth.records import DynamoTokenRecords, TokenRegistry
from kaltura_discord.local.discord_standin import DiscordStandIn
from tests.unit.api.client import LambdaClient
from tests.unit.auth.support import GUILD, OTHER_USER, USER

pytestmark = pytest.mark.integration

Mint = Callable[..., str]
MANAGERS = "1000000000000000610"


@pytest.fixture
def client(handler: LambdaHandler, api_backends: str, monkeypatch: pytest.MonkeyPatch) -> LambdaClient:
    """No per-container caching, so each change in the stand-in or the table is seen by the next request."""
    monkeypatch.setenv("TOKEN_STATE_CACHE_SECONDS", "0")
    monkeypatch.setenv("MEMBER_RIGHTS_CACHE_SECONDS", "0")
    return LambdaClient(handler)


def test_revoked_in_discord_refused_over_http(client: LambdaClient, mint: Mint) -> None:
    token = mint("meetings:read")
    assert client.get("/v1/meetings", token=token).status == 200
    [revoked] = TokenRegistry(DynamoTokenRecords()).revoke(GUILD, "all", by=USER)
    answer = client.get("/v1/meetings", token=token)
    assert (answer.status, answer.error_code) == (401, "token_revoked")
    assert revoked.revoked_by == USER


def test_a_token_given_back_over_http(client: LambdaClient, mint: Mint) -> None:
    token = mint("meetings:read")
    assert client.delete("/v1/tokens/self", token=token).status == 200
    assert client.get("/v1/meetings", token=token).error_code == "token_revoked"
    assert TokenRegistry(DynamoTokenRecords()).live(GUILD) == []


def test_losing_manage_server_in_discord_stops_writes(
    client: LambdaClient, mint: Mint, discord: DiscordStandIn
) -> None:
    discord.set_role(GUILD, MANAGERS, str(1 << 5))
    discord.set_member(GUILD, OTHER_USER, [MANAGERS])
    token = mint(user_id=OTHER_USER)
    body = {"type": "meeting", "title": "Before"}
    assert client.post("/v1/meetings", json_body=body, token=token).status == 201

    discord.set_member(GUILD, OTHER_USER, [])
    refused = client.post("/v1/meetings", json_body={**body, "title": "After"}, token=token)
    assert (refused.status, refused.error_code) == (403, "missing_permission")
    assert client.get("/v1/config", token=token).error_code == "missing_permission"
    assert client.get("/v1/meetings", token=token).status == 200

    discord.remove_member(GUILD, OTHER_USER)
    assert client.get("/v1/meetings", token=token).error_code == "not_a_member"
    member_lookups = [c for c in discord.calls("GET") if c.path == f"/guilds/{GUILD}/members/{OTHER_USER}"]
    assert member_lookups, "looked up through Discord's REST API"


def test_discord_down_stops_writes_only(client: LambdaClient, mint: Mint, discord: DiscordStandIn) -> None:
    token = mint()
    discord.fail_next(r"^GET /guilds/", 503, {"message": "Service Unavailable"}, times=1000)
    write = client.post("/v1/meetings", json_body={"type": "meeting", "title": "Refused"}, token=token)
    assert (write.status, write.error_code) == (503, "discord_unavailable")
    assert "retry-after" in write.headers
    assert client.get("/v1/meetings", token=token).status == 200
