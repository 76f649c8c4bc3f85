"""The API in-process through its Lambda handler (Mangum, payload 2.0 events) over in-memory backends."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import FastAPI
from mangum import Mangum

from kaltura_discord.api.app import create_app
from kaltura_discord.api.backends import set_backends
from kaltura_discord.auth.keys import clear_keyring
from tests.unit.api.client import LambdaClient
from tests.unit.api.fakes import MemoryBackends
from tests.unit.auth.support import KEYS_JSON


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
def handler(app: FastAPI) -> Mangum:
    return Mangum(app, lifespan="off")


@pytest.fixture
def client(handler: Mangum, memory: MemoryBackends) -> LambdaClient:
    return LambdaClient(handler)
