"""What the routes act on, built once per container on first use; tests and the local stack replace it."""

from __future__ import annotations

import threading
from dataclasses import dataclass

from kaltura_discord.api.idempotency import DynamoIdempotencyStore, IdempotencyStore
from kaltura_discord.auth.single_use import DynamoUseLedger, UseLedger
from kaltura_discord.meetings.repository import MeetingRepository
from kaltura_discord.meetings.service import MeetingService


@dataclass
class Backends:
    meetings: MeetingService
    idempotency: IdempotencyStore
    join_uses: UseLedger


_backends: Backends | None = None
_lock = threading.Lock()


def default_backends() -> Backends:
    """DynamoDB (TABLE_NAME) and Kaltura (settings); the Kaltura client is created on its first call."""
    from kaltura_discord.meetings.kaltura_rooms import KalturaRoomGateway

    return Backends(
        MeetingService(MeetingRepository(), KalturaRoomGateway()), DynamoIdempotencyStore(), DynamoUseLedger()
    )


def backends() -> Backends:
    global _backends  # noqa: PLW0603 - one per container
    if _backends is None:
        with _lock:
            if _backends is None:
                _backends = default_backends()
    return _backends


def set_backends(replacement: Backends | None) -> None:
    global _backends  # noqa: PLW0603
    _backends = replacement
