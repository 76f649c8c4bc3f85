"""The real client over loopback HTTP against the local Kaltura sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kaltura_discord.kaltura import AdminSecret, Credentials, KalturaClient, KalturaRooms
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox

PARTNER_ID = 2345678
ADMIN_SECRET = "integration-admin-secret-0123456"


@pytest.fixture
def sandbox() -> Iterator[KalturaSandbox]:
    with KalturaSandbox(partner_id=PARTNER_ID, admin_secret=ADMIN_SECRET, seed=7) as running:
        yield running


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(sandbox: KalturaSandbox, sleeps: list[float]) -> Iterator[Callable[..., KalturaClient]]:
    created: list[KalturaClient] = []

    def make(credentials: Credentials | None = None, **options: Any) -> KalturaClient:
        options.setdefault("sleep", sleeps.append)
        options.setdefault("connect_timeout", 2.0)
        options.setdefault("read_timeout", 5.0)
        client = KalturaClient(sandbox.url, PARTNER_ID, credentials or AdminSecret(ADMIN_SECRET), **options)
        created.append(client)
        return client

    yield make
    for client in created:
        client.close()


@pytest.fixture
def client(make_client: Callable[..., KalturaClient]) -> KalturaClient:
    return make_client()


@pytest.fixture
def rooms(client: KalturaClient) -> KalturaRooms:
    return KalturaRooms(client)
