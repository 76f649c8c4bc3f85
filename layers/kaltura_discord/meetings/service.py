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

from kaltura_discord.i18n import Message, lazy_gettext
from kaltura_discord.logs import get_logger
from kaltura_discord.meetings.model import (
    Meeting,
    MeetingAlreadyEnded,
    MeetingBackendUnavailable,
    MeetingError,
    MeetingLimitReached,
    MeetingNotFound,
    MeetingNotStarted,
    MeetingPermissionDenied,
    MeetingRequest,
    meeting_id_for,
)
from kaltura_discord.meetings.repository import LivePage, MeetingRepository
from kaltura_discord.meetings.schedule import ScheduleRequest
from kaltura_discord.text import escape_markdown

log = get_logger(__name__)

KalturaRole = Literal["viewer", "moderator", "admin"]
EndAction = Literal["none", "update", "delete"]
ENDED_TAG = "kaltura-discord-ended"
SHORT_ID_MIN = 6
LATE_ROOM_WAITS = (2.0, 5.0, 10.0, 20.0)
"""When to look again for a room whose add was answered by silence: about 40 s, after the person was told."""


class RoomGatewayError(Exception):
    """A refusal from the room backend (definite: nothing was created)."""

    def __init__(self, message: str, code: str = "") -> None:
        super().__init__(message)
        self.code = code


class RoomGatewayUnavailable(RoomGatewayError):
    """The backend did not answer; a create may or may not have happened."""


def not_started(code: str) -> Message:
    """What the person hears when Kaltura failed a start: a slow Kaltura and a failing one read differently."""
    if code in ("TIMEOUT", "NO_ANSWER"):
        return lazy_gettext(
            "Kaltura did not answer in time, so the meeting was not started. Please try again in a minute."
        )
    if code.startswith("HTTP_"):
        return lazy_gettext(
            "Kaltura is having trouble right now (it answered HTTP {status}), so the meeting was not started. "
            "Please try again in a minute.",
            status=code[5:],
        )
    return lazy_gettext("Kaltura could not be reached, so the meeting was not started. Please try again in a minute.")


class MeetingOutcomeUnknown(MeetingBackendUnavailable):
    """Kaltura may have made the room although its answer was lost; ``meeting`` is the failed record."""

    def __init__(self, message: str, meeting: Meeting) -> None:
        super().__init__(message)
        self.meeting = meeting


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

    def rooms_by_reference(self, reference: str, limit: int = 25) -> list[str]:
        """Every room whose referenceId is ``reference`` (a meeting's own, and any a lost answer left), at most
        ``limit``."""
        ...

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
    manages_server: bool = False

    @property
    def kaltura_user_id(self) -> str:
        return f"discord-{self.user_id}"


@dataclass(frozen=True)
class Limits:
    """The server's ``meetings.*`` limits, as the domain applies them (every server shares one Kaltura account)."""

    max_active: int = 20
    max_starts_per_member_per_hour: int = 5
    share_cooldown_seconds: int = 60
    exempt_moderators: bool = False
    max_scheduled: int = 25

    def exempt(self, member: Member) -> bool:
        """Per-member limits skip Kaltura moderators/admins and Manage Server members only when the server says."""
        return self.exempt_moderators and (member.manages_server or member.role in ("moderator", "admin"))


def split_name(display_name: str) -> tuple[str, str]:
    parts = display_name.split(maxsplit=1)
    if not parts:
        return "Member", ""
    return parts[0], parts[1] if len(parts) > 1 else ""


class MeetingService:
    def __init__(
        self,
        repository: MeetingRepository,
        rooms: RoomGateway,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.repository = repository
        self.rooms = rooms
        self._clock = clock
        self._sleep = sleep

    def start(
        self,
        guild_id: str,
        request_id: str,
        request: MeetingRequest,
        host: Member,
        *,
        template_room_id: str | None,
        channel_id: str | None = None,
        limits: Limits | None = None,
        scheduled: Meeting | None = None,
        guild_locale: str | None = None,
    ) -> Meeting:
        """Create the room and its record once per ``request_id``; a repeat returns the same meeting. With
        ``scheduled`` (a record :meth:`begin_scheduled` took out of the schedule), that meeting is started: the
        same path as a repeated start, its member's start counted when it was scheduled.

        Limits are checked before the room is asked for: the member's starts this hour (counted atomically) and
        the server's live meetings (checked first, then enforced atomically when the meeting goes live, so two
        starts racing for the last slot cannot both win: the loser's room is removed again).

        ``guild_locale`` (the server's language, from the interaction) is kept with the meeting, for the messages
        written about it later without an interaction (:attr:`Meeting.guild_locale`).
        """
        limits = limits or Limits()
        meeting = Meeting(
            guild_id=guild_id,
            meeting_id=meeting_id_for(request_id),
            title=request.title,
            type=request.type,
            host_id=host.user_id,
            host_name=host.display_name,
            created_at=round(self._clock(), 3),  # as stored: the live index's key is derived from it
            description=request.description,
            channel_id=channel_id,
            guild_locale=guild_locale,
        )
        if scheduled is not None or not self.repository.create(meeting):
            existing = scheduled or self.repository.get(guild_id, meeting.meeting_id)
            if existing.is_active or existing.status == "ended":
                return existing
            if existing.status in ("scheduled", "cancelled"):
                raise MeetingNotFound(lazy_gettext("That meeting is not starting now."))
            meeting = existing
            # An earlier attempt may have created the room and lost the answer: never add a second one.
            try:
                found = self.rooms.find_room_by_reference(meeting.meeting_id)
            except RoomGatewayError as exc:
                raise MeetingBackendUnavailable(not_started(exc.code)) from None
            if found is not None:
                return self._activate(meeting, found, limits)
            hour = None
        else:
            hour = self._admit(meeting, host, limits)
        try:
            room_id = self.rooms.create_room(
                request.title,
                description=request.description,
                template_room_id=template_room_id or None,
                tags=("kaltura-discord", f"discord-guild-{guild_id}", f"meeting-type-{request.type}"),
                owner=host.kaltura_user_id,
                reference=meeting.meeting_id,
            )
        except RoomGatewayUnavailable as exc:
            try:
                room_id = self._recover_room(meeting, exc.code)
            except MeetingOutcomeUnknown:
                self._give_back_start(meeting, host, hour)  # told "not started"; a late room is removed
                raise
        except RoomGatewayError as exc:
            self.repository.delete(meeting)
            self._give_back_start(meeting, host, hour)
            raise MeetingBackendUnavailable(
                lazy_gettext(
                    "Kaltura refused to create the room ({code}). No meeting was created; ask a server admin to check "
                    "the Kaltura settings (template rooms) and try again.",
                    code=exc.code or "error",
                )
            ) from None
        return self._activate(meeting, room_id, limits)

    def _admit(self, meeting: Meeting, host: Member, limits: Limits) -> int | None:
        """The limits a new start must pass before Kaltura is asked for a room; nothing is kept when refused.
        Returns the hour the start was counted in (None when the host is exempt)."""
        try:
            if self.repository.count_live(meeting.guild_id) >= limits.max_active:
                raise MeetingLimitReached(
                    lazy_gettext(
                        "This server already has {max} live meetings, the most it allows. End one (`/kaltura-end`) "
                        "and try again.",
                        max=limits.max_active,
                    )
                )
            if limits.exempt(host):
                return None
            return self.repository.reserve_start(meeting.guild_id, host.user_id, limits.max_starts_per_member_per_hour)
        except MeetingLimitReached:
            self.repository.delete(meeting)
            raise

    def _give_back_start(self, meeting: Meeting, host: Member, hour: int | None) -> None:
        if hour is None:
            return
        try:
            self.repository.release_start(meeting.guild_id, host.user_id, hour)
        except Exception as exc:
            log.warning("could not give a start back", extra={"meeting_id": meeting.meeting_id, "error": str(exc)})

    def _activate(self, meeting: Meeting, room_id: str, limits: Limits) -> Meeting:
        """Record the room; if the server's last slot went to another start, or storage fails now, remove the
        room again rather than leave it orphaned."""
        try:
            return self.repository.activate(meeting, room_id, max_active=limits.max_active)
        except MeetingLimitReached:
            self._remove_room_quietly(meeting, room_id)
            self.repository.delete(meeting)
            raise
        except MeetingNotFound:
            # The record went while the room was made: the late-room sweep (remove_stray_rooms) claimed the failed
            # start this repeat was resuming. Its room goes too; a new attempt starts from nothing.
            self._remove_room_quietly(meeting, room_id)
            raise MeetingBackendUnavailable(
                lazy_gettext(
                    "An earlier attempt at this meeting was being cleaned up, so it was not started (its Kaltura room "
                    "was removed again). Please try again."
                )
            ) from None
        except MeetingError:
            raise
        except Exception as exc:
            log.error(
                "storage failed after the room was made; removing the room",
                extra={"meeting_id": meeting.meeting_id, "error_type": type(exc).__name__},
            )
            self._remove_room_quietly(meeting, room_id)
            raise MeetingBackendUnavailable(
                lazy_gettext(
                    "The bot's storage failed while the meeting was being started, so it was not started (its Kaltura "
                    "room was removed again). Please try again in a minute."
                )
            ) from None

    def _remove_room_quietly(self, meeting: Meeting, room_id: str) -> None:
        try:
            self.rooms.delete_room(room_id)
        except RoomGatewayError:
            log.error("could not remove the room", extra={"meeting_id": meeting.meeting_id, "room_id": room_id})

    def _recover_room(self, meeting: Meeting, code: str) -> str:
        """Kaltura's answer was lost: the room may exist. Find it by its referenceId, or keep the record as
        ``failed`` (never listed, expiring) so a room that appears later can still be found and removed
        (:meth:`remove_late_room`).
        """
        try:
            room_id = self.rooms.find_room_by_reference(meeting.meeting_id)
        except RoomGatewayError:
            room_id = None
        if room_id is None:
            self.repository.mark_failed(meeting, "room creation outcome unknown: Kaltura did not answer")
            log.error("room creation outcome unknown", extra={"meeting_id": meeting.meeting_id, "code": code})
            raise MeetingOutcomeUnknown(not_started(code), meeting)
        return room_id

    def remove_late_room(
        self,
        meeting: Meeting,
        waits: tuple[float, ...] = (2.0, 5.0, 10.0, 20.0),
        sleep: Callable[[float], None] = time.sleep,
    ) -> str | None:
        """After a start whose outcome was unknown (and which the person was told failed): look for a room that
        Kaltura made anyway, a few times, and remove it, so no orphan room is left. Returns the removed room id.

        A REST API start repeated with its ``Idempotency-Key`` may adopt that room meanwhile (the same meeting id):
        a meeting that went live keeps it."""
        for pause in (0.0, *waits):
            self._sleep(pause)
            try:
                found = self.rooms.find_room_by_reference(meeting.meeting_id)
                if found is None:
                    continue
                current = self.repository.find(meeting.guild_id, meeting.meeting_id)
                if current is not None and current.is_active:
                    log.info("a late room was adopted by a repeated start", extra={"meeting_id": meeting.meeting_id})
                    return None
                self.rooms.delete_room(found)
            except RoomGatewayError:
                continue
            log.warning(
                "removed a room Kaltura made after its answer was lost", extra={"meeting_id": meeting.meeting_id}
            )
            return found
        return None

    def remove_stray_rooms(self, guild_id: str, meeting_id: str, *, again: bool = True) -> list[str]:
        """Remove the rooms carrying the meeting's id that are not its own: what starts whose answers were lost
        left on the account (a REST API start's ``meeting_late_room`` job). Returns the removed room ids.

        A start repeated with the same ``Idempotency-Key`` shares the meeting id. So the rooms are listed first and
        the record read after: a repeat that makes its record later makes its room later still, out of the list. A
        start in progress (``creating``) is left alone. A meeting still ``failed`` is claimed by removing its record
        conditionally, which a repeat adopting a room races against (if the repeat wins, the meeting is live and
        keeps its room; if the claim wins, the repeat's activation fails and it is told to try again).
        """
        found = self.rooms.rooms_by_reference(meeting_id)
        current = self.repository.find(guild_id, meeting_id)
        if current is not None and current.status == "creating":
            return []
        keep = current.room_id if current is not None else None
        if current is not None and current.status == "failed":
            if not self.repository.remove_failed(current):
                return self.remove_stray_rooms(guild_id, meeting_id, again=False) if again else []
            keep = None
        removed = []
        for room_id in found:
            if room_id != keep:
                self.rooms.delete_room(room_id)
                removed.append(room_id)
        if removed:
            log.warning("removed rooms a lost answer left", extra={"meeting_id": meeting_id, "rooms": removed})
        return removed

    def roll_back(self, meeting: Meeting, reason: str) -> None:
        """A live meeting nobody was told about: end it and remove its room (the server's ``unconfirmed_start``)."""
        try:
            ended = self.repository.end(meeting, "kaltura-discord")
        except MeetingError:
            return
        if ended.room_id:
            try:
                self.rooms.delete_room(ended.room_id)
            except RoomGatewayError:
                self.repository.set_cleanup_pending(ended, "delete")
        log.warning("rolled back an unconfirmed meeting", extra={"meeting_id": meeting.meeting_id, "reason": reason})

    def schedule(
        self,
        guild_id: str,
        request_id: str,
        request: ScheduleRequest,
        host: Member,
        *,
        channel_id: str | None,
        limits: Limits | None = None,
        guild_locale: str | None = None,
    ) -> Meeting:
        """Record a scheduled meeting once per ``request_id`` (a repeat returns it). It counts as one of the
        member's starts in the hour it is scheduled (when it starts, it is not counted again), and as one of the
        server's ``max_scheduled`` until it starts or is cancelled. Nothing is asked of Kaltura until it starts.
        ``guild_locale`` is kept with it: the reminder and the start, later, speak the server's language."""
        limits = limits or Limits()
        meeting = Meeting(
            guild_id=guild_id,
            meeting_id=meeting_id_for(request_id),
            title=request.meeting.title,
            type=request.meeting.type,
            host_id=host.user_id,
            host_name=host.display_name,
            created_at=round(self._clock(), 3),
            status="scheduled",
            description=request.meeting.description,
            channel_id=channel_id,
            scheduled_start=request.start,
            scheduled_end=request.end,
            guild_locale=guild_locale,
        )
        existing = self.repository.find(guild_id, meeting.meeting_id)
        if existing is not None:
            return existing
        if limits.max_scheduled <= 0:
            raise MeetingLimitReached(
                lazy_gettext("Scheduling meetings is turned off in this server (`meetings.max_scheduled`).")
            )
        hour = (
            None
            if limits.exempt(host)
            else self.repository.reserve_start(guild_id, host.user_id, limits.max_starts_per_member_per_hour)
        )
        try:
            try:
                created = self.repository.schedule(meeting, max_scheduled=limits.max_scheduled)
            except MeetingLimitReached:
                if not self._sweep_missed(guild_id):
                    raise
                created = self.repository.schedule(meeting, max_scheduled=limits.max_scheduled)
        except Exception:
            self._give_back_start(meeting, host, hour)
            raise
        if not created:
            self._give_back_start(meeting, host, hour)
            return self.repository.get(guild_id, meeting.meeting_id)
        return meeting

    def _sweep_missed(self, guild_id: str, limit: int = 5) -> int:
        """Cancel scheduled meetings whose start was missed (their fire was lost), freeing their slots; how many."""
        swept = 0
        for missed in self.repository.list_scheduled(guild_id, limit, missed=True):
            try:
                cancelled = self.repository.cancel_scheduled(missed, "kaltura-discord")
            except MeetingError:
                continue  # its record is gone already (expired): the entry follows it
            if cancelled.status == "cancelled":
                log.warning(
                    "cancelled a scheduled meeting whose start was missed", extra={"meeting_id": missed.meeting_id}
                )
                swept += 1
        return swept

    def pause(self, seconds: float) -> None:
        """Wait between attempts, with the service's clock (tests pass one that does not sleep)."""
        if seconds > 0:
            self._sleep(seconds)

    def begin_scheduled(self, meeting: Meeting) -> Meeting:
        """Take a scheduled meeting out of the schedule to start it now (see :meth:`start`'s ``scheduled``)."""
        return self.repository.begin_scheduled(meeting)

    def discard_scheduled(self, meeting: Meeting, host: Member, *, counted: bool = True) -> None:
        """Undo a schedule whose Discord event or timers could not be made: nothing is kept, the start given back."""
        self.repository.remove_scheduled(meeting)
        if counted:
            now = int(meeting.created_at)
            self._give_back_start(meeting, host, now - now % 3600)

    def upcoming(self, guild_id: str, limit: int = 25) -> list[Meeting]:
        return self.repository.list_scheduled(guild_id, limit)

    def get(self, guild_id: str, meeting_id: str) -> Meeting:
        """The meeting by its id, or by the short id its card, list and Discord event show (a unique prefix of
        a live or scheduled meeting's id, as someone types it without picking from autocomplete)."""
        try:
            meeting = self.repository.get(guild_id, meeting_id)
        except MeetingNotFound:
            if not (SHORT_ID_MIN <= len(meeting_id) < 10 and meeting_id.isalnum()):
                raise
            found = [
                m
                for m in (*self.list_active(guild_id), *self.upcoming(guild_id, 100))
                if m.meeting_id.startswith(meeting_id)
            ]
            if len(found) != 1:
                raise
            meeting = self.repository.get(guild_id, found[0].meeting_id)
        if meeting.status in ("creating", "failed"):
            raise MeetingNotFound(lazy_gettext("That meeting is not running."))
        return meeting

    def live(self, guild_id: str, meeting_id: str) -> Meeting:
        """The meeting, if it can be joined now; else a clear "not found", "starts at" or "has ended"."""
        meeting = self.get(guild_id, meeting_id)
        title = escape_markdown(meeting.title)
        if meeting.is_scheduled:
            raise MeetingNotStarted(
                lazy_gettext(
                    "**{title}** starts <t:{start}:R> (<t:{start}:F>). Join links work once it has started.",
                    title=title,
                    start=str(meeting.scheduled_start),
                )
            )
        if meeting.status == "cancelled":
            raise MeetingAlreadyEnded(lazy_gettext("**{title}** was cancelled.", title=title))
        if not meeting.is_active or meeting.room_id is None:
            raise MeetingAlreadyEnded(
                lazy_gettext("**{title}** has ended, so it can't be joined any more.", title=title)
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
                lazy_gettext(
                    "I couldn't create your join link because Kaltura did not answer. Please try again in a minute."
                )
            ) from None
        return meeting, url

    @staticmethod
    def is_moderator(meeting: Meeting, member: Member) -> bool:
        return member.user_id == meeting.host_id or member.role in ("moderator", "admin")

    def check_can_end(self, meeting: Meeting, member: Member) -> None:
        title = escape_markdown(meeting.title)
        if meeting.status == "cancelled":
            raise MeetingAlreadyEnded(lazy_gettext("**{title}** was already cancelled.", title=title))
        if meeting.status == "ended":
            raise MeetingAlreadyEnded(lazy_gettext("**{title}** has already ended.", title=title))
        if not self.is_moderator(meeting, member):
            raise MeetingPermissionDenied(
                lazy_gettext("Only the meeting's host or a Kaltura moderator or admin of this server can end it.")
            )

    def end(self, guild_id: str, meeting_id: str, member: Member, end_action: EndAction = "none") -> Meeting:
        meeting = self.get(guild_id, meeting_id)
        self.check_can_end(meeting, member)
        if meeting.is_scheduled:  # not started: cancelled, and nothing on Kaltura (no room was ever made)
            current = self.repository.cancel_scheduled(meeting, member.user_id)
            if current.status == "cancelled":
                return current
            self.check_can_end(current, member)  # it started (and maybe ended) meanwhile: the record as it is now
            if not current.is_active:
                raise MeetingNotFound(lazy_gettext("That meeting is starting right now; try again in a moment."))
            meeting = current  # live now: end it as a live meeting
        ended = self.repository.end(meeting, member.user_id)
        if ended.room_id and end_action != "none":
            try:
                self._clean_up(ended.room_id, end_action)
            except RoomGatewayError as exc:
                log.warning(
                    "room clean-up after ending failed; recorded to retry",
                    extra={"meeting_id": meeting_id, "end_action": end_action, "error": str(exc)},
                )
                self.repository.set_cleanup_pending(ended, end_action)
                return ended.with_changes(cleanup_pending=end_action)
        return ended

    def _clean_up(self, room_id: str, end_action: EndAction) -> None:
        if end_action == "delete":
            self.rooms.delete_room(room_id)
        elif end_action == "update":
            self.rooms.mark_room_ended(room_id)

    def retry_cleanup(self, meeting: Meeting, waits: tuple[float, ...] = LATE_ROOM_WAITS) -> bool:
        """Apply the end action that Kaltura failed at the end, a few more times; True once it is done."""
        action = meeting.cleanup_pending
        if not meeting.room_id or action not in ("update", "delete"):
            return True
        for pause in (0.0, *waits):
            self._sleep(pause)
            try:
                self._clean_up(meeting.room_id, action)  # type: ignore[arg-type]
            except RoomGatewayError:
                continue
            self.repository.clear_cleanup_pending(meeting)
            return True
        return False

    def list_active(self, guild_id: str) -> list[Meeting]:
        """Every live meeting (from the live index: bounded by ``meetings.max_active``, not by history)."""
        return self.repository.all_live(guild_id)

    def live_page(
        self, guild_id: str, size: int, cursor: str | None = None, direction: Literal["older", "newer"] = "older"
    ) -> LivePage:
        return self.repository.list_live(guild_id, size, cursor, direction)

    def search_active(self, guild_id: str, typed: str, limit: int = 25) -> list[Meeting]:
        """Live meetings whose title contains, or whose id starts with, what was typed (newest first). With nothing
        typed, one Query of ``limit`` items; otherwise the live index only, whatever the guild's history."""
        needle = typed.strip().lower()
        if not needle:
            return self.repository.list_live(guild_id, limit).meetings
        found = [m for m in self.list_active(guild_id) if needle in m.title.lower() or m.meeting_id.startswith(needle)]
        return found[:limit]

    def search_upcoming(self, guild_id: str, typed: str, limit: int = 25) -> list[Meeting]:
        """Scheduled meetings (soonest first) matching what was typed, as :meth:`search_active` does for live ones."""
        needle = typed.strip().lower()
        found = self.upcoming(guild_id, 100 if needle else limit)
        if needle:
            found = [m for m in found if needle in m.title.lower() or m.meeting_id.startswith(needle)]
        return found[:limit]

    def claim_share(self, meeting: Meeting, member: Member, limits: Limits) -> None:
        """One Share per member per meeting per ``share_cooldown_seconds``; refused with when it frees."""
        if limits.exempt(member):
            return
        again = self.repository.claim_share(
            meeting.guild_id, meeting.meeting_id, member.user_id, limits.share_cooldown_seconds
        )
        if again is not None:
            raise MeetingLimitReached(
                lazy_gettext(
                    "You shared **{title}** a moment ago. You can share it again <t:{at}:R>.",
                    title=escape_markdown(meeting.title),
                    at=str(again),
                ),
                retry_at=again,
            )
