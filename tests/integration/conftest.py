from __future__ import annotations

from collections.abc import Iterator

import pytest

from kaltura_discord.kaltura import reset_client
from kaltura_discord.local.discord_standin import DiscordStandIn
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from kaltura_discord.storage import dynamodb

BOT_TOKEN = "integration-bot-token"
SANDBOX_PARTNER_ID, SANDBOX_SECRET = 3456789, "integration-admin-secret-0123456"


@pytest.fixture
def sandbox(monkeypatch: pytest.MonkeyPatch) -> Iterator[KalturaSandbox]:
    """The local Kaltura sandbox on loopback; the KALTURA_* settings point at it (admin-secret mode)."""
    server = KalturaSandbox(partner_id=SANDBOX_PARTNER_ID, admin_secret=SANDBOX_SECRET).start()
    monkeypatch.setenv("KALTURA_SERVICE_URL", server.url)
    monkeypatch.setenv("KALTURA_PARTNER_ID", str(SANDBOX_PARTNER_ID))
    monkeypatch.setenv("KALTURA_ADMIN_SECRET", SANDBOX_SECRET)
    monkeypatch.delenv("KALTURA_APP_TOKEN_ID", raising=False)
    reset_client()
    yield server
    reset_client()
    server.stop()


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
