from __future__ import annotations

from collections.abc import Iterator

import pytest

from kaltura_discord.local.discord_standin import DiscordStandIn
from kaltura_discord.storage import dynamodb

BOT_TOKEN = "integration-bot-token"


@pytest.fixture
def discord(monkeypatch: pytest.MonkeyPatch) -> Iterator[DiscordStandIn]:
    standin = DiscordStandIn(bot_token=BOT_TOKEN).start()
    monkeypatch.setenv("DISCORD_API_BASE_URL", standin.api_base_url)
    monkeypatch.setenv("DISCORD_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("DISCORD_APPLICATION_ID", "1000000000000000001")
    yield standin
    standin.stop()


@pytest.fixture(autouse=True)
def _fresh_clients() -> Iterator[None]:
    """Module-level clients are per container; each test is a new container."""
    from kaltura_discord.discord import rest

    dynamodb.reset()
    rest.reset_rest()
    yield
    dynamodb.reset()
    rest.reset_rest()
