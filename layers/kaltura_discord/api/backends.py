"""What the routes act on, built once per container on first use; tests and the local stack replace it."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field

from kaltura_discord.api.idempotency import DynamoIdempotencyStore, IdempotencyStore
from kaltura_discord.auth.records import TokenGate
from kaltura_discord.auth.rights import MemberRightsService
from kaltura_discord.auth.single_use import DynamoUseLedger, UseLedger
from kaltura_discord.meetings.repository import MeetingRepository
from kaltura_discord.meetings.service import MeetingService


@dataclass
class Backends:
    meetings: MeetingService
    idempotency: IdempotencyStore
    join_uses: UseLedger
    tokens: TokenGate = field(kw_only=True)
    """Whether a token is still on record (per-container cache of at most 60 s)."""
    members: MemberRightsService = field(kw_only=True)
    """The member's current standing in the server, from Discord (per-container cache of at most 5 minutes)."""


_backends: Backends | None = None
_lock = threading.Lock()


def default_backends() -> Backends:
    """DynamoDB (TABLE_NAME), Kaltura and Discord (settings); each client is created on its first call."""
    from kaltura_discord.auth import records, rights
    from kaltura_discord.auth.discord_members import DiscordGuildDirectory
    from kaltura_discord.meetings.kaltura_rooms import KalturaRoomGateway

    return Backends(
        MeetingService(MeetingRepository(), KalturaRoomGateway()),
        DynamoIdempotencyStore(),
        DynamoUseLedger(),
        tokens=TokenGate(records.DynamoTokenRecords(), records.cache_seconds()),
        members=MemberRightsService(DiscordGuildDirectory(), rights.cache_seconds()),
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
