"""GET and PATCH /v1/config: the same validation and optimistic locking as /kaltura-config."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from kaltura_discord.config import config_service
from tests.support.fakes import MemoryConfigTable
from tests.unit.api.client import LambdaClient
from tests.unit.auth.support import GUILD, USER

pytestmark = pytest.mark.unit

Mint = Callable[..., str]
ROLE = "1000000000000000500"


def test_get_shows_version_overrides_and_effective_config(client: LambdaClient, mint: Mint) -> None:
    answer = client.get("/v1/config", token=mint())
    assert answer.status == 200
    assert answer.headers["etag"] == '"0"'
    data = answer.json()["data"]
    assert (data["config_version"], data["overrides"]) == (0, {})
    assert data["effective"]["kaltura"]["join_link_ttl_seconds"] == 900
    assert data["effective"]["commands"]["kaltura-start"] == {"enabled": True, "allowed_role_ids": []}


def test_patch_is_a_merge_patch_of_the_overrides(
    client: LambdaClient, mint: Mint, memory_config: MemoryConfigTable
) -> None:
    token = mint()
    first = client.patch(
        "/v1/config",
        json_body={"kaltura": {"join_link_ttl_seconds": 600}, "roles": {"mapping": {ROLE: "moderator"}}},
        headers={"If-Match": '"0"'},
        token=token,
    )
    assert first.status == 200 and first.headers["etag"] == '"1"'
    assert first.json()["data"]["overrides"] == {
        "kaltura": {"join_link_ttl_seconds": 600},
        "roles": {"mapping": {ROLE: "moderator"}},
    }
    second = client.patch(
        "/v1/config",
        content=b'{"kaltura": {"join_link_ttl_seconds": null}, "roles": {"default": "moderator"}}',
        headers={"content-type": "application/merge-patch+json", "If-Match": '"1"'},
        token=token,
    )
    assert second.status == 200
    data = second.json()["data"]
    assert data["overrides"] == {"roles": {"mapping": {ROLE: "moderator"}, "default": "moderator"}}
    assert data["effective"]["kaltura"]["join_link_ttl_seconds"] == 900
    [latest, _] = memory_config.history(GUILD, 10)
    assert (latest.actor_id, latest.version, latest.summary) == (USER, 2, "PATCH /v1/config")
    assert config_service().get(GUILD).roles.default == "moderator"


def test_a_stale_if_match_is_412_and_writes_nothing(
    client: LambdaClient, mint: Mint, memory_config: MemoryConfigTable
) -> None:
    token = mint()
    client.patch("/v1/config", json_body={"roles": {"default": "moderator"}}, token=token)
    for stale in ('"0"', 'W/"1"', '"7", "8"'):
        answer = client.patch(
            "/v1/config", json_body={"roles": {"default": "admin"}}, headers={"If-Match": stale}, token=token
        )
        assert (answer.status, answer.error_code, answer.headers["etag"]) == (412, "precondition_failed", '"1"')
    assert memory_config.writes == 1
    for version, matching in enumerate(('"1"', '"0", "2"', "3", "*"), start=1):
        answer = client.patch(
            "/v1/config",
            json_body={"share": {"template": f"{{title}} {version}"}},
            headers={"If-Match": matching},
            token=token,
        )
        assert (answer.status, answer.headers["etag"]) == (200, f'"{version + 1}"'), matching


def test_a_write_that_loses_the_race_after_if_match_is_412(
    client: LambdaClient, mint: Mint, memory_config: MemoryConfigTable
) -> None:
    memory_config.before_write = lambda: memory_config.put(GUILD, {"roles": {"default": "admin"}}, 1)
    answer = client.patch(
        "/v1/config", json_body={"roles": {"default": "moderator"}}, headers={"If-Match": '"0"'}, token=mint()
    )
    assert (answer.status, answer.error_code) == (412, "precondition_failed")


def test_without_if_match_a_lost_race_is_retried(
    client: LambdaClient, mint: Mint, memory_config: MemoryConfigTable
) -> None:
    memory_config.before_write = lambda: memory_config.put(GUILD, {"roles": {"default": "admin"}}, 1)
    answer = client.patch("/v1/config", json_body={"share": {"template": "{title}!"}}, token=mint())
    assert answer.status == 200
    assert answer.json()["data"]["overrides"] == {"roles": {"default": "admin"}, "share": {"template": "{title}!"}}


@pytest.mark.parametrize(
    ("patch", "needle"),
    [
        ({"kaltura": {"join_link_ttl_seconds": 5}}, "join_link_ttl_seconds"),
        ({"roles": {"default": "owner"}}, "roles.default"),
        ({"nonsense": {"x": 1}}, "nonsense"),
        ({"roles": {"mapping": {"not-a-role": "viewer"}}}, "roles.mapping"),
        ({"kaltura": {"kaf_base_url": "evil.example.com"}}, "kaltura.kaf_base_url"),
    ],
)
def test_invalid_changes_are_422_with_the_problems(
    client: LambdaClient, mint: Mint, memory_config: MemoryConfigTable, patch: dict[str, Any], needle: str
) -> None:
    answer = client.patch("/v1/config", json_body=patch, token=mint())
    assert (answer.status, answer.error_code) == (422, "invalid_config")
    details = answer.json()["error"]["details"]
    assert any(needle in detail["message"] for detail in details), details
    assert memory_config.writes == 0


def test_bodies_that_are_not_a_patch(client: LambdaClient, mint: Mint) -> None:
    token = mint()
    for content, content_type in (
        (b"[1, 2]", "application/json"),
        (b'"text"', "application/json"),
        (b"roles=admin", "text/plain"),
    ):
        answer = client.patch("/v1/config", content=content, headers={"content-type": content_type}, token=token)
        assert (answer.status, answer.error_code) == (422, "validation_failed"), content
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(12):
        node["x"] = {}
        node = node["x"]
    answer = client.patch("/v1/config", json_body=deep, token=token)
    assert (answer.status, answer.error_code) == (422, "invalid_config")
    very_deep = b'{"a":' * 5000 + b"1" + b"}" * 5000
    answer = client.patch("/v1/config", content=very_deep, headers={"content-type": "application/json"}, token=token)
    assert answer.status in (400, 422)


def test_an_empty_patch_changes_nothing(client: LambdaClient, mint: Mint, memory_config: MemoryConfigTable) -> None:
    answer = client.patch("/v1/config", json_body={}, token=mint())
    assert answer.status == 200 and answer.headers["etag"] == '"0"'
    assert memory_config.writes == 0


def test_a_patch_with_forty_thousand_unknown_keys_is_refused_before_parsing_and_briefly(
    client: LambdaClient, mint: Mint
) -> None:
    import json

    body = {f"unknown_{n}": n for n in range(40_000)}
    answer = client.patch("/v1/config", json_body=body, token=mint())
    assert (answer.status, answer.error_code) == (413, "payload_too_large")
    assert len(answer.text) < 64 * 1024
    # the cap comes before any parsing: the same size of broken JSON is refused for its size, not as malformed
    broken = json.dumps(body).encode()[:-1]
    answer = client.patch("/v1/config", content=broken, headers={"content-type": "application/json"}, token=mint())
    assert (answer.status, answer.error_code) == (413, "payload_too_large")


def test_a_patch_just_under_the_cap_lists_at_most_twenty_problems(client: LambdaClient, mint: Mint) -> None:
    body = {f"k{n}": 1 for n in range(3_000)}
    assert len(str(body)) < 64 * 1024
    answer = client.patch("/v1/config", json_body=body, token=mint())
    assert (answer.status, answer.error_code) == (422, "invalid_config")
    details = answer.json()["error"]["details"]
    assert len(details) == 21 and details[-1]["message"].endswith("more problems")
    assert len(answer.text) < 64 * 1024


def test_a_body_without_a_length_is_capped_too(client: LambdaClient, mint: Mint) -> None:
    body = b'{"x": "' + b"a" * 70_000 + b'"}'
    answer = client.patch("/v1/config", content=body, headers={"content-type": "application/json"}, token=mint())
    assert (answer.status, answer.error_code) == (413, "payload_too_large")
