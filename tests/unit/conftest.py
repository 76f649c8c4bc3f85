"""Unit tests run without the network: any connection attempt fails loudly."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest

from kaltura_discord.auth.records import TokenRegistry, set_registry
from kaltura_discord.config import ConfigService, ConfigStore, set_config_service
from kaltura_discord.storage.jobs import set_ledger
from tests.support.fakes import MemoryConfigTable, MemoryJobLedger, MemoryTokenRecords


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


@pytest.fixture(autouse=True)
def memory_ledger() -> Iterator[MemoryJobLedger]:
    """The job ledger in memory: replay protection and hand-off bookkeeping without DynamoDB."""
    ledger = MemoryJobLedger()
    set_ledger(ledger)
    yield ledger
    set_ledger(None)


@pytest.fixture(autouse=True)
def memory_tokens() -> Iterator[MemoryTokenRecords]:
    """API token records in memory: /kaltura-token create, list and revoke without DynamoDB."""
    records = MemoryTokenRecords()
    set_registry(TokenRegistry(records))
    yield records
    set_registry(None)
