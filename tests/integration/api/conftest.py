"""The API in-process against moto's DynamoDB (a fresh table from template.yaml), the local Kaltura sandbox and the
Discord stand-in (where the tokens' members are looked up)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from kaltura_discord.api.app import create_app
from kaltura_discord.api.backends import set_backends
from kaltura_discord.api.lambda_adapter import LambdaHandler, make_lambda_handler
from kaltura_discord.auth.keys import clear_keyring
from kaltura_discord.auth.records import DynamoTokenRecords, TokenRegistry
from kaltura_discord.auth.tokens import parse_scopes
from kaltura_discord.config import set_config_service
from kaltura_discord.local.discord_standin import DiscordStandIn
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from tests.unit.api.client import LambdaClient
from tests.unit.auth.support import ALL_SCOPES, GUILD, KEYS_JSON, OTHER_USER, USER


@pytest.fixture
def api_backends(
    table_name: str, sandbox: KalturaSandbox, discord: DiscordStandIn, monkeypatch: pytest.MonkeyPatch
) -> Iterator[str]:
    """The deployed wiring (DynamoDB stores, Kaltura rooms, Discord look-ups), built from the environment on first
    use. In the stand-in, USER owns GUILD and OTHER_USER is a plain member."""
    discord.set_guild(GUILD, owner_id=USER)
    discord.set_member(GUILD, USER)
    discord.set_member(GUILD, OTHER_USER)
    monkeypatch.setenv("JWT_SIGNING_KEYS", KEYS_JSON)
    monkeypatch.delenv("JWT_ISSUER", raising=False)
    clear_keyring()
    set_backends(None)
    set_config_service(None)
    yield table_name
    set_backends(None)
    set_config_service(None)
    clear_keyring()


@pytest.fixture
def mint(api_backends: str) -> Callable[..., str]:
    """A token as /kaltura-token create mints it, recorded in the table."""
    registry = TokenRegistry(DynamoTokenRecords())

    def make(scopes: str = ALL_SCOPES, *, guild_id: str = GUILD, user_id: str = USER) -> str:
        return registry.issue(
            guild_id=guild_id,
            user_id=user_id,
            display_name="Integration",
            role_ids=(),
            scopes=parse_scopes(scopes),
            lifetime_seconds=3600,
        ).token

    return make


@pytest.fixture(scope="module")
def handler() -> LambdaHandler:
    """The REST API's Lambda handler, as the function builds it once per container."""
    return make_lambda_handler(create_app())


@pytest.fixture
def client(handler: LambdaHandler, api_backends: str) -> LambdaClient:
    return LambdaClient(handler)
