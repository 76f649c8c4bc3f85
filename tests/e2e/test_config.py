"""Guild configuration end to end: admins change settings with /kaltura-config and the bot follows them."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.conftest import RunningStack
from tests.e2e.test_meetings import start
from tests.support.interactions import MANAGE_GUILD, command

pytestmark = pytest.mark.e2e

GUILD = "1000000000000000555"
CHANNEL = "1000000000000000666"


def config_set(stack: RunningStack, key: str, value: str, permissions: int = MANAGE_GUILD) -> dict[str, Any]:
    options = [{"name": "key", "type": 3, "value": key}, {"name": "value", "type": 3, "value": value}]
    payload = command(
        "kaltura-config", [{"name": "set", "type": 1, "options": options}], permissions=permissions, guild_id=GUILD
    )
    return dict(stack.post(payload).json())


def register_channel(stack: RunningStack, channel_id: str, guild_id: str) -> None:
    stack.http.post(f"{stack.standin_root}/_standin/channels", json={"id": channel_id, "guild_id": guild_id})


def test_notifications_follow_the_guild_configuration(stack: RunningStack) -> None:
    register_channel(stack, CHANNEL, GUILD)
    refused = config_set(stack, "notifications.enabled", "true", permissions=0)
    assert "Manage Server" in refused["data"]["content"]

    assert "Saved" in config_set(stack, "notifications.channel_id", CHANNEL)["data"]["content"]
    template = "{title} started by {host} @everyone"
    assert "Saved" in config_set(stack, "notifications.templates.meeting_started", template)["data"]["content"]
    assert "Saved" in config_set(stack, "notifications.meeting_started", "on")["data"]["content"]
    assert "Saved" in config_set(stack, "notifications.enabled", "yes")["data"]["content"]

    start(stack, "Team *retro*", guild=GUILD)
    posts = stack.wait_for(lambda c: c["method"] == "POST" and c["path"] == f"/channels/{CHANNEL}/messages")
    assert len(posts) == 1 and posts[0]["status"] == 200
    body = posts[0]["body"]
    assert "Team \\*retro\\*" in body["content"]
    assert body["allowed_mentions"] == {"parse": []}


def test_disabled_command_is_refused_until_enabled_again(stack: RunningStack) -> None:
    config_set(stack, "commands.kaltura-list.enabled", "false")
    refused = stack.post(command("kaltura-list", guild_id=GUILD)).json()
    assert "disabled on this server" in refused["data"]["content"]
    config_set(stack, "commands.kaltura-list.enabled", "true")
    assert "disabled" not in str(stack.post(command("kaltura-list", guild_id=GUILD)).json())


def test_notifications_never_go_to_another_servers_channel(stack: RunningStack) -> None:
    attacker, foreign_channel = "1000000000000000888", "1000000000000000889"
    register_channel(stack, foreign_channel, "1000000000000000999")
    for key, value in (
        ("notifications.channel_id", foreign_channel),
        ("notifications.meeting_started", "on"),
        ("notifications.enabled", "on"),
    ):
        options = [{"name": "key", "type": 3, "value": key}, {"name": "value", "type": 3, "value": value}]
        sub = [{"name": "set", "type": 1, "options": options}]
        assert (
            "Saved"
            in stack.post(command("kaltura-config", sub, permissions=MANAGE_GUILD, guild_id=attacker)).json()["data"][
                "content"
            ]
        )
    start(stack, "Sneaky", guild=attacker)
    lookups = stack.wait_for(lambda c: c["method"] == "GET" and c["path"] == f"/channels/{foreign_channel}")
    assert lookups, "the channel's server is checked before posting"
    posts = [c for c in stack.discord_calls() if c["path"] == f"/channels/{foreign_channel}/messages"]
    assert posts == []
