"""Starting, joining, listing and ending meetings: the rules, independent of Discord.

Nothing is left half-written: a record is written (``creating``) before the room is asked for, the room carries
the meeting id as its ``referenceId``, and on a failure the record is removed when Kaltura refused (no room
exists), or kept as ``failed`` (never listed) when Kaltura's answer was lost and the room cannot be found.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from kaltura_discord.logs import get_logger
from kaltura_discord.meetings.model import (
    Meeting,
    MeetingAlreadyEnded,
    MeetingBackendUnavailable,
    MeetingNotFound,
    MeetingPermissionDenied,
    MeetingRequest,
    meeting_id_for,
)
from kaltura_discord.meetings.repository import MeetingRepository
from kaltura_discord.text import escape_markdown

log = get_logger(__name__)

KalturaRole = Literal["viewer", "moderator", "admin"]
EndAction = Literal["none", "update", "delete"]
ENDED_TAG = "kaltura-discord-ended"


class RoomGatewayError(Exception):
    """A refusal from the room backend (definite: nothing was created)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class RoomGatewayUnavailable(RoomGatewayError):
    """The backend did not answer; a create may or may not have happened."""


class RoomGateway(Protocol):
    def create_room(
        self,
        name: str,
        *,
        description: str,
        template_room_id: str | None,
        tags: Sequence[str],
        owner: str,
        reference: str,
    ) -> str: ...

    def find_room_by_reference(self, reference: str) -> str | None: ...

    def mark_room_ended(self, room_id: str) -> None: ...

    def delete_room(self, room_id: str) -> None: ...

    def join_url(
        self, room_id: str, *, user_id: str, first_name: str, last_name: str, moderator: bool, kaf_host: str
    ) -> str: ...


@dataclass(frozen=True)
class Member:
    """The person acting, as the meetings domain needs them."""

    user_id: str
    display_name: str
    role: KalturaRole

    @property
    def kaltura_user_id(self) -> str:
        return f"discord-{self.user_id}"


def split_name(display_name: str) -> tuple[str, str]:
    parts = display_name.split(maxsplit=1)
    if not parts:
        return "Member", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


class MeetingService:
    def __init__(
        self, repository: MeetingRepository, rooms: RoomGateway, clock: Callable[[], float] = time.time
    ) -> None:
        self.repository = repository
        self.rooms = rooms
        self._clock = clock

    def start(
        self,
        guild_id: str,
        request_id: str,
        request: MeetingRequest,
        host: Member,
        *,
        template_room_id: str | None,
        channel_id: str | None = None,
    ) -> Meeting:
        """Create the room and its record once per ``request_id``; a repeat returns the same meeting."""
        meeting = Meeting(
            guild_id=guild_id,
            meeting_id=meeting_id_for(request_id),
            title=request.title,
            type=request.type,
            host_id=host.user_id,
            host_name=host.display_name,
            created_at=self._clock(),
            description=request.description,
            channel_id=channel_id,
        )
        if not self.repository.create(meeting):
            existing = self.repository.get(guild_id, meeting.meeting_id)
            if existing.is_active or existing.status == "ended":
                return existing
            meeting = existing
            # An earlier attempt may have created the room and lost the answer: never add a second one.
            try:
                found = self.rooms.find_room_by_reference(meeting.meeting_id)
            except RoomGatewayError:
                raise MeetingBackendUnavailable(
                    "Kaltura did not answer in time, so the meeting was not started. Please try again in a minute."
                ) from None
            if found is not None:
                return self.repository.activate(meeting, found)
        try:
            room_id = self.rooms.create_room(
                request.title,
                description=request.description,
                template_room_id=template_room_id or None,
                tags=("kaltura-discord", f"discord-guild-{guild_id}", f"meeting-type-{request.type}"),
                owner=host.kaltura_user_id,
                reference=meeting.meeting_id,
            )
        except RoomGatewayUnavailable:
            room_id = self._recover_room(meeting)
        except RoomGatewayError as exc:
            self.repository.delete(meeting)
            raise MeetingBackendUnavailable(
                f"Kaltura refused to create the room ({exc.code or 'error'}). No meeting was created; "
                "ask a server admin to check the Kaltura settings (template rooms) and try again."
            ) from None
        return self.repository.activate(meeting, room_id)

    def _recover_room(self, meeting: Meeting) -> str:
        """Kaltura's answer was lost: the room may exist. Find it by its referenceId, or keep the record as
        ``failed`` (never listed, expiring) so a room that appears later still has a record to reconcile with.
        """
        try:
            room_id = self.rooms.find_room_by_reference(meeting.meeting_id)
        except RoomGatewayError:
            room_id = None
        if room_id is None:
            self.repository.mark_failed(meeting, "room creation outcome unknown: Kaltura did not answer")
            log.error("room creation outcome unknown", extra={"meeting_id": meeting.meeting_id})
            raise MeetingBackendUnavailable(
                "Kaltura did not answer in time, so the meeting was not started. Please try again in a minute."
            )
        return room_id

    def get(self, guild_id: str, meeting_id: str) -> Meeting:
        meeting = self.repository.get(guild_id, meeting_id)
        if meeting.status in ("creating", "failed"):
            raise MeetingNotFound("That meeting is not running.")
        return meeting

    def live(self, guild_id: str, meeting_id: str) -> Meeting:
        """The meeting, if it can be joined now; else a clear "not found" or "has ended"."""
        meeting = self.get(guild_id, meeting_id)
        if not meeting.is_active or meeting.room_id is None:
            raise MeetingAlreadyEnded(
                f"**{escape_markdown(meeting.title)}** has ended, so it can't be joined any more."
            )
        return meeting

    def join_url(self, guild_id: str, meeting_id: str, member: Member, *, kaf_host: str) -> tuple[Meeting, str]:
        """The KAF launch URL, minted as the person opens their join link: the session inside lives seconds
        (``JOIN_KS_EXPIRY``), the admin role for the host and for moderators/admins, viewer otherwise."""
        meeting = self.live(guild_id, meeting_id)
        assert meeting.room_id is not None
        first, last = split_name(member.display_name)
        try:
            url = self.rooms.join_url(
                meeting.room_id,
                user_id=member.kaltura_user_id,
                first_name=first,
                last_name=last,
                moderator=self.is_moderator(meeting, member),
                kaf_host=kaf_host,
            )
        except RoomGatewayError:
            raise MeetingBackendUnavailable(
                "I couldn't create your join link because Kaltura did not answer. Please try again in a minute."
            ) from None
        return meeting, url

    @staticmethod
    def is_moderator(meeting: Meeting, member: Member) -> bool:
        return member.user_id == meeting.host_id or member.role in ("moderator", "admin")

    def check_can_end(self, meeting: Meeting, member: Member) -> None:
        if meeting.status == "ended":
            raise MeetingAlreadyEnded(f"**{escape_markdown(meeting.title)}** has already ended.")
        if not self.is_moderator(meeting, member):
            raise MeetingPermissionDenied(
                "Only the meeting's host or a Kaltura moderator or admin of this server can end it."
            )

    def end(self, guild_id: str, meeting_id: str, member: Member, end_action: EndAction = "none") -> Meeting:
        meeting = self.get(guild_id, meeting_id)
        self.check_can_end(meeting, member)
        ended = self.repository.end(guild_id, meeting_id, member.user_id)
        if ended.room_id and end_action != "none":
            try:
                if end_action == "delete":
                    self.rooms.delete_room(ended.room_id)
                else:
                    self.rooms.mark_room_ended(ended.room_id)
            except RoomGatewayError as exc:
                log.warning(
                    "room clean-up after ending failed",
                    extra={"meeting_id": meeting_id, "end_action": end_action, "error": str(exc)},
                )
        return ended

    def list_active(self, guild_id: str) -> list[Meeting]:
        return self.repository.list_guild(guild_id, "active")

    def search_active(self, guild_id: str, typed: str, limit: int = 25) -> list[Meeting]:
        """Active meetings whose title contains, or whose id starts with, what was typed (newest first)."""
        needle = typed.strip().lower()
        found = [
            m
            for m in self.list_active(guild_id)
            if not needle or needle in m.title.lower() or m.meeting_id.startswith(needle)
        ]
        return found[:limit]
