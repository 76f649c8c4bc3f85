"""Notifications go only to a channel of the same server, rendered from its template without mass mentions."""

from __future__ import annotations

from typing import Any

import pytest

from kaltura_discord.bot.meetings import notify
from kaltura_discord.config import get_config
from tests.support.fakes import MemoryConfigTable
from tests.support.interactions import GUILD_ID

pytestmark = pytest.mark.unit
CHANNEL = "1000000000000000666"
VALUES = {"title": "Retro", "type": "Meeting", "host": "Ada", "id": "abc123", "join_hint": "Use /kaltura-join"}


class FakeDiscord:
    def __init__(self, channel_guild: str | None) -> None:
        self.channel_guild = channel_guild
        self.posted: list[tuple[str, dict[str, Any]]] = []

        self.nonces: list[str | None] = []

    def get_channel(self, channel_id: str, deadline: float | None = None) -> dict[str, Any]:
        return {"id": channel_id, "guild_id": self.channel_guild, "type": 0}

    def create_message(
        self, channel_id: str, body: dict[str, Any], deadline: float | None = None, *, nonce: str | None = None
    ) -> dict[str, Any]:
        self.posted.append((channel_id, body))
        self.nonces.append(nonce)
        return {"id": "1"}


@pytest.fixture
def enabled(memory_config: MemoryConfigTable) -> None:
    overrides = {"notifications": {"enabled": True, "meeting_started": True, "channel_id": CHANNEL}}
    memory_config.put(GUILD_ID, overrides, 1)


def test_posts_to_a_channel_of_the_same_server(enabled: None) -> None:
    discord = FakeDiscord(GUILD_ID)
    notify(get_config(GUILD_ID), GUILD_ID, "meeting_started", VALUES, discord, effect_id="m1")  # type: ignore[arg-type]
    [(channel, body)] = discord.posted
    assert channel == CHANNEL and "Retro" in body["content"]
    assert body["allowed_mentions"] == {"parse": []}
    again = FakeDiscord(GUILD_ID)
    notify(get_config(GUILD_ID), GUILD_ID, "meeting_started", VALUES, again, effect_id="m1")  # type: ignore[arg-type]
    other = FakeDiscord(GUILD_ID)
    notify(get_config(GUILD_ID), GUILD_ID, "meeting_started", VALUES, other, effect_id="m2")  # type: ignore[arg-type]
    assert discord.nonces == again.nonces != other.nonces  # the same effect, the same nonce: posted once
    assert all(n and len(n) <= 25 for n in discord.nonces + other.nonces)


def test_refuses_a_channel_of_another_server(enabled: None) -> None:
    discord = FakeDiscord("1000000000000000999")
    notify(get_config(GUILD_ID), GUILD_ID, "meeting_started", VALUES, discord, effect_id="m1")  # type: ignore[arg-type]
    assert discord.posted == []


def test_nothing_is_posted_when_notifications_are_off(memory_config: MemoryConfigTable) -> None:
    discord = FakeDiscord(GUILD_ID)
    notify(get_config(GUILD_ID), GUILD_ID, "meeting_started", VALUES, discord, effect_id="m1")  # type: ignore[arg-type]
    assert discord.posted == []
