"""The API in-process through its Lambda handler (Mangum, payload 2.0 events) over in-memory backends."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from fastapi import FastAPI

from kaltura_discord.api.app import create_app
from kaltura_discord.api.backends import set_backends
from kaltura_discord.api.lambda_adapter import LambdaHandler, make_lambda_handler
from kaltura_discord.auth.keys import clear_keyring
from kaltura_discord.auth.records import TokenRegistry
from kaltura_discord.auth.tokens import parse_scopes
from tests.unit.api.client import LambdaClient
from tests.unit.api.fakes import MemoryBackends
from tests.unit.auth.support import ALL_SCOPES, GUILD, KEYS_JSON, USER


@pytest.fixture(autouse=True)
def signing_keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    monkeypatch.setenv("JWT_SIGNING_KEYS", KEYS_JSON)
    monkeypatch.setenv("KALTURA_PARTNER_ID", "1234567")
    monkeypatch.delenv("JWT_ISSUER", raising=False)
    clear_keyring()
    yield KEYS_JSON
    clear_keyring()


@pytest.fixture
def memory() -> Iterator[MemoryBackends]:
    fakes = MemoryBackends()
    set_backends(fakes.backends())
    yield fakes
    set_backends(None)


@pytest.fixture(scope="session")
def app() -> FastAPI:
    return create_app()


@pytest.fixture(scope="session")
def handler(app: FastAPI) -> LambdaHandler:
    return make_lambda_handler(app)


@pytest.fixture
def client(handler: LambdaHandler, memory: MemoryBackends) -> LambdaClient:
    return LambdaClient(handler)


@pytest.fixture
def mint(memory: MemoryBackends) -> Callable[..., str]:
    """An API token as /kaltura-token create mints it, recorded (every scope unless told otherwise)."""
    registry = TokenRegistry(memory.token_records)

    def make(
        scopes: str = ALL_SCOPES,
        *,
        guild_id: str = GUILD,
        user_id: str = USER,
        name: str = "Test User",
        roles: tuple[str, ...] = (),
        lifetime_hours: int = 1,
    ) -> str:
        if roles:  # the member had these roles when they minted it, and still has them
            memory.directory.set_member(guild_id, user_id, *roles)
        return registry.issue(
            guild_id=guild_id,
            user_id=user_id,
            display_name=name,
            role_ids=roles,
            scopes=parse_scopes(scopes),
            lifetime_seconds=lifetime_hours * 3600,
        ).token

    return make
