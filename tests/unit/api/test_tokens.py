"""Tokens over HTTP follow their record and their member: revoked is 401 within the cache time, a member who left
or lost Manage Server is refused with a clear code, Discord being down fails writes closed and reads open, and a
client can give its own token back."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kaltura_discord.auth.records import TokenRegistry
from kaltura_discord.config import config_service
from tests.unit.api.client import LambdaClient, Reply
from tests.unit.api.fakes import MemoryBackends
from tests.unit.auth.support import GUILD, OTHER_USER, USER

pytestmark = pytest.mark.unit

Mint = Callable[..., str]
OWNER = "1000000000000000001"
MANAGERS, MEMBERS = "1000000000000000601", "1000000000000000602"
MANAGE_GUILD = 1 << 5
READS: list[tuple[str, str, Any]] = [("GET", "/v1/meetings", None)]
WRITES: list[tuple[str, str, Any]] = [
    ("POST", "/v1/meetings", {"type": "meeting", "title": "Weekly sync"}),
    ("GET", "/v1/config", None),
    ("PATCH", "/v1/config", {"roles": {"default": "viewer"}}),
]


def strict_server(memory: MemoryBackends) -> None:
    """A server as Discord describes it: USER manages it through a role, OTHER_USER is a plain member."""
    memory.directory.set_guild(GUILD, OWNER, {GUILD: 1 << 10, MANAGERS: MANAGE_GUILD, MEMBERS: 1 << 11})
    memory.directory.set_member(GUILD, USER, MANAGERS, MEMBERS)
    memory.directory.set_member(GUILD, OTHER_USER, MEMBERS)


def call(client: LambdaClient, token: str, method: str, path: str, body: Any) -> Reply:
    return client.request(method, path, json_body=body, token=token)


def test_a_revoked_token_is_refused(client: LambdaClient, mint: Mint, memory: MemoryBackends) -> None:
    token = mint()
    assert client.get("/v1/meetings", token=token).status == 200
    TokenRegistry(memory.token_records).revoke(GUILD, "all", by=OTHER_USER)
    refused = client.get("/v1/meetings", token=token)
    assert (refused.status, refused.error_code) == (401, "token_revoked")
    assert refused.headers["www-authenticate"] == 'Bearer realm="kaltura-discord", error="invalid_token"'
    assert "/kaltura-token create" in refused.json()["error"]["message"]


def test_with_a_cache_a_revocation_lands_within_60_seconds(handler: Any, mint: Mint, memory: MemoryBackends) -> None:
    from kaltura_discord.api.backends import set_backends

    memory.token_cache_seconds = 60
    set_backends(memory.backends())
    client = LambdaClient(handler)
    token = mint()
    assert client.get("/v1/meetings", token=token).status == 200
    TokenRegistry(memory.token_records).revoke(GUILD, "all", by=OTHER_USER)  # in Discord, another container
    memory.clock.advance(59)
    assert client.get("/v1/meetings", token=token).status == 200
    memory.clock.advance(1)
    assert client.get("/v1/meetings", token=token).error_code == "token_revoked"


@pytest.mark.parametrize(("method", "path", "body"), READS + WRITES)
def test_a_member_who_left_is_refused_everything(
    client: LambdaClient, mint: Mint, memory: MemoryBackends, method: str, path: str, body: Any
) -> None:
    strict_server(memory)
    token = mint()
    memory.directory.remove_member(GUILD, USER)
    answer = call(client, token, method, path, body)
    assert (answer.status, answer.error_code) == (403, "not_a_member")
    assert answer.headers["www-authenticate"] == 'Bearer realm="kaltura-discord"'


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_without_manage_server_writes_are_refused_and_reads_still_work(
    client: LambdaClient, mint: Mint, memory: MemoryBackends, method: str, path: str, body: Any
) -> None:
    strict_server(memory)
    token = mint()
    assert call(client, token, method, path, body).status in (200, 201)
    memory.directory.set_member(GUILD, USER, MEMBERS)  # Manage Server taken away
    refused = call(client, token, method, path, body)
    assert (refused.status, refused.error_code) == (403, "missing_permission")
    assert "Manage Server" in refused.json()["error"]["message"]
    assert client.get("/v1/meetings", token=token).status == 200


def test_a_role_that_loses_manage_server_takes_the_writes_with_it(
    client: LambdaClient, mint: Mint, memory: MemoryBackends
) -> None:
    strict_server(memory)
    token = mint()
    memory.directory.set_guild(GUILD, OWNER, {GUILD: 1 << 10, MANAGERS: 0, MEMBERS: 1 << 11})
    answer = client.post("/v1/meetings", json_body={"type": "meeting", "title": "Nope"}, token=token)
    assert (answer.status, answer.error_code) == (403, "missing_permission")
    assert memory.repository.items == {}


def test_the_owner_and_administrators_keep_writing(client: LambdaClient, mint: Mint, memory: MemoryBackends) -> None:
    strict_server(memory)
    memory.directory.set_member(GUILD, OWNER)
    memory.directory.set_guild(GUILD, OWNER, {GUILD: 0, MEMBERS: 1 << 3})
    for user in (OWNER, OTHER_USER):
        answer = client.post(
            "/v1/meetings", json_body={"type": "meeting", "title": "Allowed"}, token=mint(user_id=user)
        )
        assert answer.status == 201, (user, answer.text)


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_discord_unreachable_fails_writes_closed(
    client: LambdaClient, mint: Mint, memory: MemoryBackends, method: str, path: str, body: Any
) -> None:
    token = mint()
    memory.directory.unreachable = True
    answer = call(client, token, method, path, body)
    assert (answer.status, answer.error_code) == (503, "discord_unavailable")
    assert int(answer.headers["retry-after"]) > 0
    assert memory.repository.items == {}


def test_discord_unreachable_leaves_reads_open(client: LambdaClient, mint: Mint, memory: MemoryBackends) -> None:
    token = mint()
    memory.directory.unreachable = True
    assert client.get("/v1/meetings", token=token).status == 200


def test_the_members_current_roles_decide_role_limits(client: LambdaClient, mint: Mint, memory: MemoryBackends) -> None:
    strict_server(memory)
    config_service().update(
        GUILD, {"commands": {"kaltura-list": {"allowed_role_ids": [MANAGERS]}}}, actor_id=USER, summary="test"
    )
    token = mint(roles=(MANAGERS,))
    assert client.get("/v1/meetings", token=token).status == 200
    memory.directory.set_member(GUILD, USER, MEMBERS)
    answer = client.get("/v1/meetings", token=token)
    assert (answer.status, answer.error_code) == (403, "forbidden")


def test_switching_kaltura_token_off_switches_its_tokens_off(client: LambdaClient, mint: Mint) -> None:
    token = mint()
    config_service().update(GUILD, {"commands": {"kaltura-token": {"enabled": False}}}, actor_id=USER, summary="t")
    for method, path, body in READS + WRITES:
        answer = call(client, token, method, path, body)
        assert (answer.status, answer.error_code) == (403, "tokens_disabled"), (method, path)
    config_service().update(GUILD, {"commands": {"kaltura-token": {"enabled": True}}}, actor_id=USER, summary="t")
    assert client.get("/v1/meetings", token=token).status == 200


def test_a_client_gives_its_own_token_back(client: LambdaClient, mint: Mint, memory: MemoryBackends) -> None:
    token, other = mint("meetings:read"), mint("meetings:read")
    answer = client.delete("/v1/tokens/self", token=token)
    assert answer.status == 200
    data = answer.json()["data"]
    [record] = [r for r in memory.token_records.items.values() if r.revoked_at is not None]
    assert data["id"] == record.token_id and data["short_id"] == record.token_id[:8]
    assert data["scopes"] == ["meetings:read"] and data["member_id"] == USER
    assert data["revoked_at"] is not None and data["expires_at"].endswith("Z")
    assert record.revoked_by == USER
    assert client.get("/v1/meetings", token=token).error_code == "token_revoked"
    again = client.delete("/v1/tokens/self", token=token)
    assert (again.status, again.error_code) == (401, "token_revoked")
    assert client.get("/v1/meetings", token=other).status == 200, "only that token"


def test_a_member_who_left_can_still_give_the_token_back(
    client: LambdaClient, mint: Mint, memory: MemoryBackends
) -> None:
    strict_server(memory)
    token = mint()
    memory.directory.remove_member(GUILD, USER)
    memory.directory.unreachable = True
    assert client.delete("/v1/tokens/self", token=token).status == 200


def test_giving_a_token_back_needs_a_token(client: LambdaClient) -> None:
    answer = client.delete("/v1/tokens/self")
    assert (answer.status, answer.error_code) == (401, "missing_token")


def test_the_storage_being_down_is_503_not_a_pass(client: LambdaClient, mint: Mint, memory: MemoryBackends) -> None:
    token = mint()
    from botocore.exceptions import EndpointConnectionError

    memory.token_records.failure = EndpointConnectionError(endpoint_url="https://dynamodb.test")
    answer = client.get("/v1/meetings", token=token)
    assert answer.status == 503 and "retry-after" in answer.headers
