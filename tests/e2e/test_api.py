"""The REST API end to end: a token minted by /kaltura-token create through the local stack lists and starts
meetings over HTTP, and a join link works once and only once. (Revocation and the member's rights: test_tokens.)"""

from __future__ import annotations

import re

import pytest

from kaltura_discord.kaltura import parse_ks
from kaltura_discord.local.stack import SANDBOX_ADMIN_SECRET
from tests.e2e.conftest import RunningStack
from tests.e2e.test_tokens import seed_admin
from tests.support.interactions import command

pytestmark = pytest.mark.e2e

GUILD = "1000000000000000888"
ADMIN = "1000000000000000401"
MANAGE_GUILD = 1 << 5


def mint(stack: RunningStack, scopes: str, permissions: int = MANAGE_GUILD, guild: str = GUILD) -> dict[str, object]:
    """``/kaltura-token create`` by ADMIN, who manages the server in the Discord stand-in too (writes check it)."""
    seed_admin(stack, guild, ADMIN)
    options = [{"name": "scopes", "type": 3, "value": scopes}, {"name": "lifetime_hours", "type": 4, "value": 1}]
    sub = [{"name": "create", "type": 1, "options": options}]
    payload = command("kaltura-token", sub, user_id=ADMIN, guild_id=guild, permissions=permissions)
    answer: dict[str, object] = stack.post(payload).json()
    return answer


def token_of(answer: dict[str, object]) -> str:
    data = answer["data"]
    assert isinstance(data, dict) and data["flags"] == 64
    found = re.search(r"```\n([A-Za-z0-9_.-]+)\n```", str(data["content"]))
    assert found, data
    return found.group(1)


def test_a_token_from_discord_lists_and_starts_meetings_over_http(stack: RunningStack) -> None:
    api = stack.state["api_base_url"]
    assert str(api).endswith("/v1")
    token = token_of(mint(stack, "meetings:read meetings:write"))
    auth = {"Authorization": f"Bearer {token}"}

    assert stack.http.get(f"{api}/health").json()["data"]["status"] == "ok"
    assert stack.http.get(f"{api}/meetings", headers=auth).json()["data"]["items"] == []
    created = stack.http.post(
        f"{api}/meetings",
        json={"type": "meeting", "title": "Started over HTTP"},
        headers={**auth, "Idempotency-Key": "e2e-start-1"},
    )
    assert created.status_code == 201
    meeting = created.json()["data"]
    assert meeting["host"]["id"] == ADMIN
    retried = stack.http.post(
        f"{api}/meetings",
        json={"type": "meeting", "title": "Started over HTTP"},
        headers={**auth, "Idempotency-Key": "e2e-start-1"},
    )
    assert retried.headers["idempotent-replayed"] == "true" and retried.json() == created.json()
    listed = stack.http.get(f"{api}/meetings", headers=auth).json()["data"]
    assert [m["id"] for m in listed["items"]] == [meeting["id"]]

    in_discord = stack.post(command("kaltura-list", guild_id=GUILD)).json()
    assert in_discord["data"]["embeds"][0]["title"] == "Live meetings (1)"

    refused = stack.http.get(f"{api}/config", headers=auth)
    assert (refused.status_code, refused.json()["error"]["code"]) == (403, "insufficient_scope")


def test_a_join_link_works_once_and_only_once(stack: RunningStack) -> None:
    api = stack.state["api_base_url"]
    auth = {"Authorization": f"Bearer {token_of(mint(stack, 'meetings:read meetings:write'))}"}
    meeting_id = stack.http.post(
        f"{api}/meetings", json={"type": "webinar", "title": "Join me once"}, headers=auth
    ).json()["data"]["id"]
    link = stack.http.post(f"{api}/meetings/{meeting_id}/join", headers=auth).json()["data"]["url"]
    assert link.startswith(f"{api}/join/")

    opened = stack.http.get(link, follow_redirects=False)
    assert opened.status_code == 302
    ks = parse_ks(opened.headers["location"].rsplit("/ks/", 1)[1], SANDBOX_ADMIN_SECRET)
    assert (ks.fields["userId"], ks.fields["role"]) == (f"discord-{ADMIN}", "adminRole")

    replayed = stack.http.get(link, follow_redirects=False)
    assert (replayed.status_code, replayed.json()["error"]["code"]) == (410, "join_link_used")
    assert "location" not in replayed.headers


def test_only_server_managers_get_tokens(stack: RunningStack) -> None:
    answer = mint(stack, "meetings:read", permissions=0)
    data = answer["data"]
    assert isinstance(data, dict)
    assert "Manage Server" in str(data["content"]) and "```" not in str(data["content"])


def test_meetings_changed_over_http_are_announced_in_discord(stack: RunningStack) -> None:
    from tests.e2e.test_config import register_channel
    from tests.e2e.test_meetings import meeting_id_of, start

    guild, channel = "1000000000000000444", "1000000000000000445"
    register_channel(stack, channel, guild)
    for key, value in (("notifications.channel_id", channel), ("notifications.enabled", "on")):
        options = [{"name": "key", "type": 3, "value": key}, {"name": "value", "type": 3, "value": value}]
        sub = [{"name": "set", "type": 1, "options": options}]
        assert "Saved" in str(
            stack.post(command("kaltura-config", sub, permissions=MANAGE_GUILD, guild_id=guild)).json()
        )
    auth = {"Authorization": f"Bearer {token_of(mint(stack, 'meetings:read meetings:write', guild=guild))}"}
    api = stack.state["api_base_url"]

    created = stack.http.post(f"{api}/meetings", json={"type": "webinar", "title": "HTTP webinar"}, headers=auth)
    assert created.status_code == 201
    posts = stack.wait_for(lambda c: c["method"] == "POST" and c["path"] == f"/channels/{channel}/messages")
    assert any("HTTP webinar" in p["body"]["content"] for p in posts)

    meeting_id = meeting_id_of(start(stack, "Started in Discord", user=ADMIN, guild=guild)["edit"])
    ended = stack.http.delete(f"{api}/meetings/{meeting_id}", headers=auth)
    assert ended.status_code == 200 and ended.json()["data"]["status"] == "ended"
    edits = stack.wait_for(lambda c: c["method"] == "PATCH" and c["path"].startswith("/channels/"), count=1)
    assert any(
        e["body"]["embeds"][0]["title"] == "Started in Discord"
        and [b["label"] for row in e["body"]["components"] for b in row["components"]] == ["Attendance"]
        for e in edits
    )  # ended: no Join, Share or End any more, only who joined (for the host and moderators)
