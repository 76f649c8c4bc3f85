"""Unit tests run without the network: any connection attempt fails loudly."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from kaltura_discord.config import ConfigService, ConfigStore, set_config_service
from tests.support.fakes import MemoryConfigTable


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    def refuse(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError("unit tests must not open network connections")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    yield


@pytest.fixture(autouse=True)
def memory_config() -> Iterator[MemoryConfigTable]:
    """Guild configuration from memory: unit tests reach no DynamoDB."""
    table = MemoryConfigTable()
    set_config_service(ConfigService(ConfigStore(table), ttl_seconds=60))
    yield table
    set_config_service(None)
