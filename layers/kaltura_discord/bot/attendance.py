"""Attendance in Discord: recording each opened join link, the count in the ended message, and the list for the
meeting's host and moderators (the Attendance button on the ended card).

Who may see the list: the meeting's host, and members whose Kaltura role on this server is moderator or admin
(the same rule as ending a meeting, ``MeetingService.is_moderator``), checked here on the server side. Everyone
sees the count in the ended message.

The list and the refusals answer the member who pressed, in their language; the ended card's Attendance button is
in the card's (``t`` from :func:`kaltura_discord.bot.meetings.card_language`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaltura_discord import i18n
from kaltura_discord.discord import responses
from kaltura_discord.discord.router import UserFacingError
from kaltura_discord.i18n import Translator, lazy_gettext
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
NOT_ALLOWED = lazy_gettext("Only the meeting's host or a Kaltura moderator or admin of this server can see who joined.")
"""A refusal: English as a ``str`` (the REST API's message), the member's language in Discord."""
_ENGLISH: Translator = i18n.translator(i18n.SOURCE_LOCALE)

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


def ended_sentence(meeting: Meeting, t: Translator = _ENGLISH) -> str:
    """`` 3 people joined.`` for the ended reply, in the member's language ``t``; empty when the count is unknown."""
    joined = count(meeting)
    if joined is None:
        return ""
    if joined == 0:
        return " " + t.gettext("Nobody opened a join link.")
    return " " + t.ngettext("{n} person joined.", "{n} people joined.", joined)


def attendees_value(meeting: Meeting, t: Translator = _ENGLISH) -> str:
    """The ``{attendees}`` placeholder of ``meeting_ended``: a number, or ``unknown`` (in ``t``'s language)."""
    joined = count(meeting)
    return t.gettext("unknown") if joined is None else t.number(joined)


def _line(attendee: Attendee, t: Translator) -> str:
    values = {"first": str(attendee.first_open), "last": str(attendee.last_open)}
    if attendee.host:
        who = t.gettext("<@{user}> (host)", user=attendee.user_id)
    elif attendee.moderates:
        who = t.gettext("<@{user}> (moderator)", user=attendee.user_id)
    else:
        who = f"<@{attendee.user_id}>"
    when = t.ngettext(
        "first <t:{first}:t>, last <t:{last}:t> \u00b7 opened once",
        "first <t:{first}:t>, last <t:{last}:t> \u00b7 opened {n} times",
        attendee.opens,
        **values,
    )
    return f"{who} \u00b7 {when}"


def attendance_embed(meeting: Meeting, attendees: list[Attendee], t: Translator = _ENGLISH) -> dict[str, object]:
    """At most :data:`MAX_LISTED` lines, within the embed's 4096 characters; the rest is counted, and the REST
    API (``GET /v1/meetings/{id}/attendance``) lists everyone. In the member's language ``t``."""
    lines: list[str] = []
    used = 0
    for attendee in attendees[:MAX_LISTED]:
        line = _line(attendee, t)
        if used + len(line) + 1 > DESCRIPTION_BUDGET:
            break
        lines.append(line)
        used += len(line) + 1
    if len(lines) < len(attendees):
        lines.append(
            t.ngettext(
                "\u2026 and {n} more (the REST API lists everyone).",
                "\u2026 and {n} more (the REST API lists everyone).",
                len(attendees) - len(lines),
            )
        )
    return {
        "title": responses.truncate(t.gettext("Who joined {title}", title=meeting.title), 256),
        "description": responses.truncate("\n".join(lines) or t.gettext("Nobody opened a join link."), 4096),
        "footer": {
            "text": t.gettext("Meeting {id} \u00b7 {people}", id=meeting.short_id, people=people(len(attendees)))
        },
    }


def attendance_button(interaction: Interaction) -> InteractionResponse:
    """``meeting-attendance:<id>``: the list, only to the host and moderators, ephemerally (mentions never ping)."""
    from kaltura_discord.bot import meetings as bot
    from kaltura_discord.config import get_config

    guild_id = interaction.guild_id
    if guild_id is None:
        raise UserFacingError(lazy_gettext("Meetings belong to a server: use this in a server channel."))
    try:
        meeting = bot.service().get(guild_id, interaction.custom_id_parts[-1])
    except MeetingError as exc:
        raise UserFacingError(exc.text) from None
    member = bot.member_of(get_config(guild_id), interaction.user_id, interaction.display_name, interaction.role_ids)
    if not bot.service().is_moderator(meeting, member):
        raise UserFacingError(NOT_ALLOWED)
    attendees = store().attendees(meeting)
    t = i18n.for_reply(interaction)
    summary = t.ngettext(
        "{n} person opened a join link to **{title}**.",
        "{n} people opened a join link to **{title}**.",
        len(attendees),
        title=escape_markdown(meeting.title),
    )
    return responses.message(summary, embeds=[attendance_embed(meeting, attendees, t)], ephemeral=True)


def attendance_row(meeting: Meeting, t: Translator = _ENGLISH) -> dict[str, object]:
    """The ended card's row: one Attendance button (answered to the host and moderators only)."""
    return responses.action_row(
        responses.button(
            t.gettext("Attendance"),
            custom_id=f"{ATTENDANCE}:{meeting.meeting_id}",
            style=responses.ButtonStyle.SECONDARY,
        )
    )
