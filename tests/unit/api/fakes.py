"""In-memory stand-ins for the API's backends: the meetings table, Kaltura rooms, idempotency, join-token uses."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kaltura_discord.api.backends import Backends
from kaltura_discord.api.idempotency import Previous
from kaltura_discord.auth.records import TokenGate
from kaltura_discord.auth.rights import MemberRightsService
from kaltura_discord.meetings.model import (
    Meeting,
    MeetingAlreadyEnded,
    MeetingLimitReached,
    MeetingNotFound,
    MeetingStatus,
)
from kaltura_discord.meetings.repository import LivePage, MeetingRepository
from kaltura_discord.meetings.service import MeetingService, RoomGatewayUnavailable
from tests.support.fakes import FakeClock, MemoryGuildDirectory, MemoryTokenRecords

KAF_HOST = "1234567.kaf.kaltura.com"


class MemoryMeetings(MeetingRepository):
    """Same contract as the DynamoDB repository: conditional create, active -> ended once, newest first."""

    def __init__(self) -> None:
        super().__init__(client=None, table="memory")
        self.items: dict[tuple[str, str], Meeting] = {}
        self.starts: dict[tuple[str, str], int] = {}
        self._lock = threading.Lock()
        self._clock = itertools.count(1_700_000_000)

    def get(self, guild_id: str, meeting_id: str) -> Meeting:
        found = self.items.get((guild_id, meeting_id))
        if found is None:
            raise MeetingNotFound("I couldn't find that meeting in this server. Pick one from the list.")
        return found

    def create(self, meeting: Meeting) -> bool:
        with self._lock:
            key = (meeting.guild_id, meeting.meeting_id)
            if key in self.items:
                return False
            self.items[key] = meeting.with_changes(created_at=float(next(self._clock)))
            return True

    def activate(self, meeting: Meeting, room_id: str, *, max_active: int | None = None) -> Meeting:
        if max_active is not None and self.count_live(meeting.guild_id) >= max_active:
            raise MeetingLimitReached(f"This server already has {max_active} live meetings.")
        stored = self.items[(meeting.guild_id, meeting.meeting_id)].with_changes(status="active", room_id=room_id)
        self.items[(meeting.guild_id, meeting.meeting_id)] = stored
        return stored

    def count_live(self, guild_id: str) -> int:
        return len(self.list_guild(guild_id, "active"))

    def list_live(self, guild_id: str, limit: int, cursor: str | None = None, direction: str = "older") -> LivePage:
        """Cursors are positions in the newest-first list of live meetings (the real one uses the index's keys)."""
        live = self.list_guild(guild_id, "active")
        start = int(cursor) if cursor else 0
        if direction == "newer":
            start = max(0, start - limit)
        shown = live[start : start + limit]
        older = str(start + limit) if start + limit < len(live) else None
        newer = str(start) if start > 0 else None
        return LivePage(shown, len(live), newer, older)

    def all_live(self, guild_id: str, limit: int = 200) -> list[Meeting]:
        return self.list_guild(guild_id, "active")[:limit]

    def reserve_start(self, guild_id: str, user_id: str, max_per_hour: int) -> int:
        key = (guild_id, user_id)
        if self.starts.get(key, 0) >= max_per_hour:
            raise MeetingLimitReached("You have started too many meetings this hour.", retry_at=3600)
        self.starts[key] = self.starts.get(key, 0) + 1
        return 0

    def release_start(self, guild_id: str, user_id: str, hour: int) -> None:
        self.starts[(guild_id, user_id)] -= 1

    def mark_failed(self, meeting: Meeting, reason: str) -> None:
        key = (meeting.guild_id, meeting.meeting_id)
        self.items[key] = self.items[key].with_changes(status="failed")

    def delete(self, meeting: Meeting) -> None:
        self.items.pop((meeting.guild_id, meeting.meeting_id), None)

    def set_message(self, meeting: Meeting, channel_id: str, message_id: str) -> None:
        raise AssertionError("the API never posts Discord messages")

    def end(self, meeting: Meeting, ended_by: str) -> Meeting:
        guild_id, meeting_id = meeting.guild_id, meeting.meeting_id
        current = self.get(guild_id, meeting_id)
        if current.status == "ended":
            raise MeetingAlreadyEnded(f"**{current.title}** has already ended.")
        if current.status != "active":
            raise MeetingNotFound("That meeting is not running.")
        ended = current.with_changes(status="ended", ended_at=next(self._clock), ended_by=ended_by)
        self.items[(guild_id, meeting_id)] = ended
        return ended

    def list_guild(self, guild_id: str, status: MeetingStatus | None = "active") -> list[Meeting]:
        found = [m for (g, _), m in self.items.items() if g == guild_id and (status is None or m.status == status)]
        return sorted(found, key=lambda m: (m.created_at, m.meeting_id), reverse=True)


@dataclass
class FakeRooms:
    rooms: dict[str, dict[str, Any]] = field(default_factory=dict)
    joins: list[dict[str, Any]] = field(default_factory=list)
    unavailable: bool = False

    def create_room(
        self,
        name: str,
        *,
        description: str,
        template_room_id: str | None,
        tags: Sequence[str],
        owner: str,
        reference: str,
    ) -> str:
        room_id = f"0_{len(self.rooms) + 1:08d}"
        self.rooms[room_id] = {"name": name, "reference": reference, "owner": owner, "template": template_room_id}
        return room_id

    def find_room_by_reference(self, reference: str) -> str | None:
        return next(iter(self.rooms_by_reference(reference)), None)

    def rooms_by_reference(self, reference: str, limit: int = 25) -> list[str]:
        return [rid for rid, room in self.rooms.items() if room["reference"] == reference][:limit]

    def mark_room_ended(self, room_id: str) -> None:
        self.rooms[room_id]["ended"] = True

    def delete_room(self, room_id: str) -> None:
        self.rooms.pop(room_id, None)

    def join_url(
        self, room_id: str, *, user_id: str, first_name: str, last_name: str, moderator: bool, kaf_host: str
    ) -> str:
        if self.unavailable:
            raise RoomGatewayUnavailable("Kaltura did not answer")
        self.joins.append({"room_id": room_id, "user_id": user_id, "moderator": moderator})
        return f"https://{kaf_host}/hosted/index/view-entry/ks/ks-for-{user_id}-{len(self.joins)}"


class MemoryIdempotency:
    def __init__(self) -> None:
        self.records: dict[tuple[str, str], Previous] = {}

    def begin(self, guild_id: str, key: str, fingerprint: str) -> Previous | None:
        previous = self.records.get((guild_id, key))
        if previous is None:
            self.records[(guild_id, key)] = Previous(fingerprint, "in_progress")
        return previous

    def complete(self, guild_id: str, key: str, status: int, body: str) -> None:
        fingerprint = self.records[(guild_id, key)].fingerprint
        self.records[(guild_id, key)] = Previous(fingerprint, "completed", status, body)

    def abandon(self, guild_id: str, key: str) -> None:
        self.records.pop((guild_id, key), None)


class MemoryUses:
    def __init__(self) -> None:
        self.used: set[str] = set()

    def claim(self, token_id: str, expires_at: int) -> bool:
        if token_id in self.used:
            return False
        self.used.add(token_id)
        return True

    def release(self, token_id: str) -> None:
        self.used.discard(token_id)


@dataclass
class MemoryBackends:
    repository: MemoryMeetings = field(default_factory=MemoryMeetings)
    rooms: FakeRooms = field(default_factory=FakeRooms)
    idempotency: MemoryIdempotency = field(default_factory=MemoryIdempotency)
    uses: MemoryUses = field(default_factory=MemoryUses)
    token_records: MemoryTokenRecords = field(default_factory=MemoryTokenRecords)
    directory: MemoryGuildDirectory = field(default_factory=MemoryGuildDirectory)
    clock: FakeClock = field(default_factory=FakeClock)
    token_cache_seconds: float = 0
    """0: every request reads the records and the directory afresh; tests of the caches set these."""
    rights_cache_seconds: float = 0

    def backends(self) -> Backends:
        return Backends(
            MeetingService(self.repository, self.rooms),
            self.idempotency,
            self.uses,
            tokens=TokenGate(self.token_records, self.token_cache_seconds, clock=self.clock),
            members=MemberRightsService(self.directory, self.rights_cache_seconds, clock=self.clock),
        )
