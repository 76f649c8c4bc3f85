"""In-memory stand-ins for the API's backends: the meetings table, Kaltura rooms, idempotency, join-token uses."""

from __future__ import annotations

import itertools
import threading
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from kaltura_discord.api.backends import Backends
from kaltura_discord.api.idempotency import Previous
from kaltura_discord.meetings.model import Meeting, MeetingAlreadyEnded, MeetingNotFound, MeetingStatus
from kaltura_discord.meetings.repository import MeetingRepository
from kaltura_discord.meetings.service import MeetingService, RoomGatewayUnavailable

KAF_HOST = "1234567.kaf.kaltura.com"


class MemoryMeetings(MeetingRepository):
    """Same contract as the DynamoDB repository: conditional create, active -> ended once, newest first."""

    def __init__(self) -> None:
        super().__init__(client=None, table="memory")
        self.items: dict[tuple[str, str], Meeting] = {}
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

    def activate(self, meeting: Meeting, room_id: str) -> Meeting:
        stored = self.items[(meeting.guild_id, meeting.meeting_id)].with_changes(status="active", room_id=room_id)
        self.items[(meeting.guild_id, meeting.meeting_id)] = stored
        return stored

    def mark_failed(self, meeting: Meeting, reason: str) -> None:
        key = (meeting.guild_id, meeting.meeting_id)
        self.items[key] = self.items[key].with_changes(status="failed")

    def delete(self, meeting: Meeting) -> None:
        self.items.pop((meeting.guild_id, meeting.meeting_id), None)

    def set_message(self, meeting: Meeting, channel_id: str, message_id: str) -> None:
        raise AssertionError("the API never posts Discord messages")

    def end(self, guild_id: str, meeting_id: str, ended_by: str) -> Meeting:
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
        return next((rid for rid, room in self.rooms.items() if room["reference"] == reference), None)

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

    def backends(self) -> Backends:
        return Backends(MeetingService(self.repository, self.rooms), self.idempotency, self.uses)
