"""A scripted Kaltura behind httpx.MockTransport: unit tests see every request and never open a socket."""

from __future__ import annotations

import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from kaltura_discord.kaltura import AdminSecret, Credentials, KalturaClient, reset_client

SERVICE_URL = "https://kaltura.test"
PARTNER_ID = 1234567
ADMIN_SECRET = "0123456789abcdef0123456789abcdef"
NOW = 1_700_000_000.0

Reply = httpx.Response | type[httpx.RequestError] | Callable[[httpx.Request], httpx.Response] | Any
"""A response, an httpx transport error class to raise, a function of the request, or a JSON value."""


def api_exception(code: str, message: str = "", **args: str) -> dict[str, Any]:
    return {"code": code, "message": message or code, "objectType": "KalturaAPIException", "args": args}


class MaxJitter(random.Random):
    """Backoff jitter pinned to its upper bound, so tests can assert the exact schedule."""

    def uniform(self, a: float, b: float) -> float:
        return b


@dataclass
class FakeKaltura:
    replies: list[Reply] = field(default_factory=list)
    default: Reply = field(default_factory=lambda: {"objectType": "KalturaRoomEntry", "id": "0_abc", "roomType": 1})
    requests: list[httpx.Request] = field(default_factory=list)

    def reply(self, *replies: Reply) -> FakeKaltura:
        self.replies.extend(replies)
        return self

    def handler(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        reply: Any = self.replies.pop(0) if self.replies else self.default
        if isinstance(reply, type) and issubclass(reply, httpx.RequestError):
            raise reply(f"simulated {reply.__name__}", request=request)
        if isinstance(reply, httpx.Response):
            return reply
        if callable(reply):
            response: httpx.Response = reply(request)
            return response
        return httpx.Response(200, json=reply)

    @property
    def bodies(self) -> list[dict[str, Any]]:
        return [json.loads(r.content) for r in self.requests]

    @property
    def paths(self) -> list[str]:
        return [r.url.path for r in self.requests]


@dataclass
class Clock:
    now: float = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def fake() -> FakeKaltura:
    return FakeKaltura()


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def sleeps() -> list[float]:
    return []


@pytest.fixture
def make_client(fake: FakeKaltura, clock: Clock, sleeps: list[float]) -> Iterator[Callable[..., KalturaClient]]:
    created: list[KalturaClient] = []

    def make(credentials: Credentials | None = None, **options: Any) -> KalturaClient:
        options.setdefault("http", httpx.Client(transport=httpx.MockTransport(fake.handler)))
        options.setdefault("sleep", sleeps.append)
        options.setdefault("rng", MaxJitter())
        options.setdefault("clock", clock)
        client = KalturaClient(SERVICE_URL, PARTNER_ID, credentials or AdminSecret(ADMIN_SECRET), **options)
        created.append(client)
        return client

    yield make
    for client in created:
        client.close()


@pytest.fixture(autouse=True)
def _no_default_client() -> Iterator[None]:
    reset_client()
    yield
    reset_client()
