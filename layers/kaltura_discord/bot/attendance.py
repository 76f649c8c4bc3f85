"""Attendance in Discord: recording each opened join link, the count in the ended message, and the list for the
meeting's host and moderators (the Attendance button on the ended card).

Who may see the list: the meeting's host, and members whose Kaltura role on this server is moderator or admin
(the same rule as ending a meeting, ``MeetingService.is_moderator``), checked here on the server side. Everyone
sees the count in the ended message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaltura_discord.discord import responses
from kaltura_discord.discord.router import UserFacingError
from kaltura_discord.logs import get_logger
from kaltura_discord.meetings.attendance import AttendanceStore, Attendee, people
from kaltura_discord.meetings.model import MeetingError
from kaltura_discord.text import escape_markdown

if TYPE_CHECKING:
    from kaltura_discord.discord.interaction import Interaction
    from kaltura_discord.discord.responses import InteractionResponse
    from kaltura_discord.meetings.model import Meeting

log = get_logger(__name__)

ATTENDANCE = "meeting-attendance"
MAX_LISTED = 50
DESCRIPTION_BUDGET = 3900
"""Of an embed description's 4096 characters, what the lines may take (the rest: the "and N more" line)."""
NOT_ALLOWED = "Only the meeting's host or a Kaltura moderator or admin of this server can see who joined."

_store: AttendanceStore | None = None


def store() -> AttendanceStore:
    global _store  # noqa: PLW0603 - one per container
    if _store is None:
        _store = AttendanceStore()
    return _store


def install(replacement: AttendanceStore | None) -> None:
    global _store  # noqa: PLW0603
    _store = replacement


def record_open(meeting: Meeting, user_id: str, display_name: str, role: str) -> None:
    """Best effort, after the join link's redirect is decided: a storage failure never costs the person their seat."""
    try:
        store().record_open(meeting, user_id, display_name, role)
    except Exception as exc:
        log.warning("could not record attendance", extra={"meeting_id": meeting.meeting_id, "error": str(exc)})


def count(meeting: Meeting) -> int | None:
    """How many people opened a join link; None when storage did not answer."""
    try:
        return store().count(meeting)
    except Exception as exc:
        log.warning("could not count attendance", extra={"meeting_id": meeting.meeting_id, "error": str(exc)})
        return None


def ended_sentence(meeting: Meeting) -> str:
    """`` 3 people joined.`` for the ended reply; empty when the count is unknown."""
    joined = count(meeting)
    if joined is None:
        return ""
    return " Nobody opened a join link." if joined == 0 else f" {people(joined)} joined."


def attendees_value(meeting: Meeting) -> str:
    """The ``{attendees}`` placeholder of ``meeting_ended``: a number, or ``unknown``."""
    joined = count(meeting)
    return "unknown" if joined is None else str(joined)


def _line(attendee: Attendee) -> str:
    badge = " (host)" if attendee.host else " (moderator)" if attendee.moderates else ""
    opened = f"opened {attendee.opens} times" if attendee.opens != 1 else "opened once"
    return (
        f"<@{attendee.user_id}>{badge} \u00b7 first <t:{attendee.first_open}:t>, last <t:{attendee.last_open}:t>"
        f" \u00b7 {opened}"
    )


def attendance_embed(meeting: Meeting, attendees: list[Attendee]) -> dict[str, object]:
    """At most :data:`MAX_LISTED` lines, within the embed's 4096 characters; the rest is counted, and the REST
    API (``GET /v1/meetings/{id}/attendance``) lists everyone."""
    lines: list[str] = []
    used = 0
    for attendee in attendees[:MAX_LISTED]:
        line = _line(attendee)
        if used + len(line) + 1 > DESCRIPTION_BUDGET:
            break
        lines.append(line)
        used += len(line) + 1
    if len(lines) < len(attendees):
        lines.append(f"\u2026 and {len(attendees) - len(lines)} more (the REST API lists everyone).")
    return {
        "title": responses.truncate(f"Who joined {meeting.title}", 256),
        "description": responses.truncate("\n".join(lines) or "Nobody opened a join link.", 4096),
        "footer": {"text": f"Meeting {meeting.short_id} \u00b7 {people(len(attendees))}"},
    }


def attendance_button(interaction: Interaction) -> InteractionResponse:
    """``meeting-attendance:<id>``: the list, only to the host and moderators, ephemerally (mentions never ping)."""
    from kaltura_discord.bot import meetings as bot
    from kaltura_discord.config import get_config

    guild_id = interaction.guild_id
    if guild_id is None:
        raise UserFacingError("Meetings belong to a server: use this in a server channel.")
    try:
        meeting = bot.service().get(guild_id, interaction.custom_id_parts[-1])
    except MeetingError as exc:
        raise UserFacingError(str(exc)) from None
    member = bot.member_of(get_config(guild_id), interaction.user_id, interaction.display_name, interaction.role_ids)
    if not bot.service().is_moderator(meeting, member):
        raise UserFacingError(NOT_ALLOWED)
    attendees = store().attendees(meeting)
    summary = f"{people(len(attendees))} opened a join link to **{escape_markdown(meeting.title)}**."
    return responses.message(summary, embeds=[attendance_embed(meeting, attendees)], ephemeral=True)


def attendance_row(meeting: Meeting) -> dict[str, object]:
    """The ended card's row: one Attendance button (answered to the host and moderators only)."""
    return responses.action_row(
        responses.button(
            "Attendance", custom_id=f"{ATTENDANCE}:{meeting.meeting_id}", style=responses.ButtonStyle.SECONDARY
        )
    )
