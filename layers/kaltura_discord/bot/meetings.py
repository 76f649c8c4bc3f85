"""Slash commands and buttons for meetings: /kaltura-start, /kaltura-join, /kaltura-list, /kaltura-end and the
Join / Share / End buttons. Quick checks answer at once; Kaltura work goes to the worker.

Languages (docs/localization.md): what answers one member (refusals, the join link, the list, the end's reply) is
in their language (``i18n.for_reply``); what the channel reads (the meeting card, notifications, the Share message)
is in the server's (:func:`card_language`: ``notifications.locale``, else the ``guild_locale`` kept with the
meeting). Templates an admin wrote stay as written (only the values the bot fills in are translated); the shipped
defaults a server kept are in the channel's language too (``render_for`` with the channel's translator).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from kaltura_discord import i18n
from kaltura_discord.bot import attendance
from kaltura_discord.bot.ended import after_end
from kaltura_discord.bot.jobs import Job, defer
from kaltura_discord.config import get_config, render_for
from kaltura_discord.config.model import GuildConfig
from kaltura_discord.discord import responses
from kaltura_discord.discord.interaction import ADMINISTRATOR, MANAGE_GUILD, Interaction
from kaltura_discord.discord.responses import ButtonStyle, InteractionResponse
from kaltura_discord.discord.rest import DiscordError, DiscordRest, nonce_for
from kaltura_discord.discord.router import UserFacingError
from kaltura_discord.i18n import Translator, lazy_gettext
from kaltura_discord.logs import get_logger
from kaltura_discord.meetings.model import Meeting, MeetingError, MeetingRequest
from kaltura_discord.meetings.repository import LivePage, MeetingRepository
from kaltura_discord.meetings.service import Limits, MeetingOutcomeUnknown, MeetingService, Member
from kaltura_discord.text import escape_markdown

log = get_logger(__name__)

PAGE_SIZE = 5
JOIN, SHARE, END, PAGE = "meeting-join", "meeting-share", "meeting-end", "meetings-page"
TYPE_LABELS = {"meeting": "Meeting", "webinar": "Webinar", "classroom": "Classroom"}
"""The types as the command's choices name them; :func:`type_label` gives them in a language."""
COLOR_ACTIVE, COLOR_ENDED = 0x2ECC71, 0x95A5A6
T = TypeVar("T")

_service: MeetingService | None = None


def service() -> MeetingService:
    """Built once per container; the Kaltura client is created only when a call needs it."""
    global _service  # noqa: PLW0603
    if _service is None:
        from kaltura_discord.meetings.kaltura_rooms import KalturaRoomGateway

        _service = MeetingService(MeetingRepository(), KalturaRoomGateway())
    return _service


def set_service(replacement: MeetingService | None) -> None:
    global _service  # noqa: PLW0603
    _service = replacement


def _domain(call: Callable[[], T]) -> T:
    """Meeting errors are written for people: show them as they are, in the member's language."""
    try:
        return call()
    except MeetingError as exc:
        raise UserFacingError(exc.text) from None


def _guild(interaction: Interaction) -> str:
    if interaction.guild_id is None:
        raise UserFacingError(lazy_gettext("Meetings belong to a server: use this command in a server channel."))
    return interaction.guild_id


def card_language(meeting: Meeting, config: GuildConfig | None = None) -> Translator:
    """The language of what a whole channel reads about ``meeting`` (its card, notifications, the Share message):
    the server's ``notifications.locale`` when an admin chose one, else the server's language as Discord reported
    it when the meeting was started or scheduled (:attr:`Meeting.guild_locale`), else English. Without ``config``,
    the server's settings are read (and left out when they cannot be)."""
    if config is None:
        try:
            config = get_config(meeting.guild_id)
        except Exception as exc:
            log.warning("could not read the settings for the card's language", extra={"error": str(exc)})
    setting = config.notifications.locale if config is not None else None
    return i18n.for_channel(meeting.guild_locale, setting)


def type_label(t: Translator, meeting_type: str) -> str:
    """``Meeting``, ``Webinar`` or ``Classroom`` as the command's type choices show them in ``t``'s language."""
    english = TYPE_LABELS.get(meeting_type)
    return t.lookup(english, i18n.CHOICE) if english else meeting_type


def member_of(
    config: GuildConfig, user_id: str, display_name: str, role_ids: Any, *, manages_server: bool = False
) -> Member:
    return Member(
        user_id=user_id,
        display_name=display_name,
        role=config.kaltura_role_for(role_ids),
        manages_server=manages_server,
    )


def _interaction_member(interaction: Interaction, config: GuildConfig) -> Member:
    manages = interaction.has_permission(MANAGE_GUILD)
    return member_of(
        config, interaction.user_id, interaction.display_name, interaction.role_ids, manages_server=manages
    )


def _job_member(job: Job, config: GuildConfig) -> Member:
    manages = bool(job.permissions & (MANAGE_GUILD | ADMINISTRATOR))
    return member_of(config, job.user_id, job.display_name, job.role_ids, manages_server=manages)


def limits_for(config: GuildConfig) -> Limits:
    """The server's ``meetings.*`` settings as the meetings domain applies them."""
    meetings = config.meetings
    return Limits(
        max_active=meetings.max_active,
        max_starts_per_member_per_hour=meetings.max_starts_per_member_per_hour,
        share_cooldown_seconds=meetings.share_cooldown_seconds,
        exempt_moderators=meetings.exempt_moderators,
        max_scheduled=meetings.max_scheduled,
    )


# ---- messages -------------------------------------------------------------------------------------------


_ENGLISH: Translator = i18n.translator(i18n.SOURCE_LOCALE)


def meeting_embed(meeting: Meeting, t: Translator = _ENGLISH) -> dict[str, Any]:
    """The card's embed, in ``t``'s language (:func:`card_language`)."""
    ended = meeting.status == "ended"
    fields = [
        {"name": t.gettext("Type"), "value": type_label(t, meeting.type), "inline": True},
        {"name": t.gettext("Host"), "value": f"<@{meeting.host_id}>", "inline": True},
        {"name": t.gettext("Status"), "value": t.gettext("Ended") if ended else t.gettext("Live"), "inline": True},
    ]
    embed: dict[str, Any] = {
        "title": responses.truncate(meeting.title, 256),
        "color": COLOR_ENDED if ended else COLOR_ACTIVE,
        "fields": fields,
        "footer": {"text": t.gettext("Meeting {id}", id=meeting.short_id)},
    }
    if meeting.description:
        embed["description"] = responses.truncate(escape_markdown(meeting.description), 4096)
    if ended and meeting.ended_at:
        embed["timestamp"] = _iso(meeting.ended_at)
    return embed


def _iso(epoch: int) -> str:
    import datetime

    return datetime.datetime.fromtimestamp(epoch, tz=datetime.UTC).isoformat()


def meeting_message(meeting: Meeting, t: Translator = _ENGLISH) -> dict[str, Any]:
    """The meeting's card (live, ended, scheduled or cancelled), in ``t``'s language (:func:`card_language`)."""
    if meeting.status in ("scheduled", "cancelled"):
        from kaltura_discord.bot.schedule import scheduled_message

        return scheduled_message(meeting, t=t)
    components = []
    if meeting.is_active:
        components.append(
            responses.action_row(
                responses.button(
                    t.gettext("Join"), custom_id=f"{JOIN}:{meeting.meeting_id}", style=ButtonStyle.SUCCESS
                ),
                responses.button(
                    t.gettext("Share"), custom_id=f"{SHARE}:{meeting.meeting_id}", style=ButtonStyle.SECONDARY
                ),
                responses.button(t.gettext("End"), custom_id=f"{END}:{meeting.meeting_id}", style=ButtonStyle.DANGER),
            )
        )
    elif meeting.status == "ended":
        components.append(attendance.attendance_row(meeting, t))
    content = (
        None
        if meeting.is_active
        else t.gettext("This meeting has ended ({title}).", title=escape_markdown(meeting.title))
    )
    return responses.message_body(content, embeds=[meeting_embed(meeting, t)], components=components)


def upcoming_field(upcoming: list[Meeting], t: Translator = _ENGLISH) -> dict[str, Any]:
    """The next scheduled meetings, each with its time (in each reader's zone) and short id."""
    lines = [
        t.gettext(
            "**{title}** \u00b7 {type} \u00b7 host <@{host}> \u00b7 starts <t:{start}:F> (<t:{start}:R>) \u00b7 `{id}`",
            title=escape_markdown(m.title),
            type=type_label(t, m.type),
            host=m.host_id,
            start=str(m.scheduled_start),
            id=m.short_id,
        )
        for m in upcoming
    ]
    name = t.ngettext("Scheduled ({n} next)", "Scheduled ({n} next)", len(upcoming))
    return {"name": name, "value": responses.truncate("\n".join(lines), 1024)}


def list_page(
    page: LivePage, number: int, upcoming: list[Meeting] | None = None, t: Translator = _ENGLISH
) -> dict[str, Any]:
    """One page of live meetings (and, on the first, the next scheduled ones), in the member's language ``t``. The
    page buttons carry cursors into the live index (``meetings-page:<number>:<older|newer>:<cursor>``), so each
    press is one Query of a page, whatever the server's history."""
    if not page.meetings and upcoming:
        only_upcoming = {
            "title": t.gettext("Live meetings ({total})", total=0),
            "fields": [upcoming_field(upcoming, t)],
            "color": COLOR_ACTIVE,
        }
        return responses.message_body(
            t.gettext("No meetings are running in this server right now."), embeds=[only_upcoming]
        )
    if not page.meetings:
        return responses.message_body(
            t.gettext("No meetings are running in this server. Start one with `/kaltura-start`.")
        )
    pages = max(1, -(-page.total // PAGE_SIZE))
    number = min(max(number, 1), pages)
    lines = [
        t.gettext(
            "**{title}** \u00b7 {type} \u00b7 host <@{host}> \u00b7 started <t:{started}:R> \u00b7 `{id}`",
            title=escape_markdown(m.title),
            type=type_label(t, m.type),
            host=m.host_id,
            started=str(int(m.created_at)),
            id=m.short_id,
        )
        for m in page.meetings
    ]
    components = [
        responses.action_row(
            *(
                responses.button(
                    t.gettext("Join {title}", title=m.title),
                    custom_id=f"{JOIN}:{m.meeting_id}",
                    style=ButtonStyle.SUCCESS,
                )
                for m in page.meetings
            )
        ),
        # Who joined so far: answered to each meeting's host and the server's moderators only (bot.attendance).
        responses.action_row(
            *(
                responses.button(
                    t.gettext("Attendance {id}", id=m.short_id),
                    custom_id=f"{attendance.ATTENDANCE}:{m.meeting_id}",
                    style=ButtonStyle.SECONDARY,
                )
                for m in page.meetings
            )
        ),
    ]
    if page.newer or page.older:
        newer = f"{PAGE}:{number - 1}:newer:{page.newer}" if page.newer else f"{PAGE}:1:first"
        older = f"{PAGE}:{number + 1}:older:{page.older}" if page.older else f"{PAGE}:{number}:last"
        previous = responses.button(t.gettext("Previous"), custom_id=newer, style=ButtonStyle.SECONDARY)
        following = responses.button(t.gettext("Next"), custom_id=older, style=ButtonStyle.SECONDARY)
        previous["disabled"], following["disabled"] = page.newer is None, page.older is None
        components.append(responses.action_row(previous, following))
    embed: dict[str, Any] = {
        "title": t.gettext("Live meetings ({total})", total=page.total),
        "description": "\n".join(lines),
        "footer": {"text": t.gettext("Page {number} of {pages}", number=number, pages=pages)},
        "color": COLOR_ACTIVE,
    }
    if upcoming:
        embed["fields"] = [upcoming_field(upcoming, t)]
    return responses.message_body(embeds=[embed], components=components)


# ---- interactions path ----------------------------------------------------------------------------------


def kaltura_start(interaction: Interaction) -> InteractionResponse:
    _guild(interaction)
    request = _domain(
        lambda: MeetingRequest.parse(
            interaction.option("type"), interaction.option("title"), interaction.option("description")
        )
    )
    payload = {"type": request.type, "title": request.title, "description": request.description}
    return defer(interaction, "meeting_start", payload, ephemeral=False)


def join_link_message(
    meeting: Meeting, url: str, lifetime_seconds: int, t: Translator = _ENGLISH
) -> InteractionResponse:
    """The personal link, shown only to the person (in their language ``t``): a link button when the URL fits
    Discord's 512 characters."""
    minutes = max(1, lifetime_seconds // 60)
    text = t.gettext(
        "Your personal link to **{title}**. It opens once, within {minutes} min; don't share it: it signs you in "
        "as you.",
        title=escape_markdown(meeting.title),
        minutes=minutes,
    )
    if len(url) <= 512:
        row = responses.action_row(responses.button(t.gettext("Open meeting"), url=url))
        return responses.message(text, components=[row], ephemeral=True)
    return responses.message(f"{text}\n<{url}>", ephemeral=True)


def _join(interaction: Interaction, meeting_id: str) -> InteractionResponse:
    """A link to this deployment's single-use redirect (``/v1/join/{token}``), answered at once: no Kaltura call
    happens until the person opens it, and nothing in the message is a Kaltura session."""
    from kaltura_discord.auth.join_links import issue_join_link

    guild_id = _guild(interaction)
    if not meeting_id:
        raise UserFacingError(lazy_gettext("Pick a meeting from the list."))
    config = get_config(guild_id)
    meeting = _domain(lambda: service().live(guild_id, meeting_id))
    base_url = interaction.public_base_url
    if base_url is None:
        log.error("no public base URL for join links", extra={"interaction_id": interaction.id})
        raise UserFacingError(
            lazy_gettext(
                "Join links are not available on this deployment yet (its public address is unknown). "
                "Tell a server admin: the bot's operator needs to set PUBLIC_BASE_URL."
            )
        )
    member = _interaction_member(interaction, config)
    lifetime = config.kaltura.join_link_ttl_seconds
    link = issue_join_link(
        base_url,
        guild_id=guild_id,
        user_id=member.user_id,
        meeting_id=meeting.meeting_id,
        display_name=member.display_name,
        role=member.role,
        lifetime_seconds=lifetime,
    )
    return join_link_message(meeting, link.url, lifetime, i18n.for_reply(interaction))


def kaltura_join(interaction: Interaction) -> InteractionResponse:
    return _join(interaction, interaction.option_str("meeting").strip().lower())


def join_button(interaction: Interaction) -> InteractionResponse:
    return _join(interaction, interaction.custom_id_parts[-1])


def meeting_autocomplete(interaction: Interaction) -> InteractionResponse:
    guild_id = _guild(interaction)
    typed = interaction.option_str("meeting")
    found = service().search_active(guild_id, typed)
    choices = [(f"{m.title} ({m.short_id})", m.meeting_id) for m in found]
    if len(choices) < 25:
        t = i18n.for_reply(interaction)
        for m in service().search_upcoming(guild_id, typed, 25 - len(choices)):
            when = _iso(m.scheduled_start or 0)[:16].replace("T", " ")
            label = t.gettext("{title} ({id}, scheduled {when} UTC)", title=m.title, id=m.short_id, when=when)
            choices.append((label, m.meeting_id))
    return responses.autocomplete(choices)


def kaltura_list(interaction: Interaction) -> InteractionResponse:
    guild_id = _guild(interaction)
    t = i18n.for_reply(interaction)
    body = list_page(service().live_page(guild_id, PAGE_SIZE), 1, service().upcoming(guild_id, PAGE_SIZE), t)
    return responses.InteractionResponse(responses.CallbackType.CHANNEL_MESSAGE, {**body, "flags": responses.EPHEMERAL})


def page_button(interaction: Interaction) -> InteractionResponse:
    """``meetings-page:<number>:<older|newer>:<cursor>``; anything else (an old message's button) shows page 1."""
    guild_id = _guild(interaction)
    parts = interaction.custom_id_parts
    number, direction, cursor = 1, "older", None
    if len(parts) == 4 and parts[1].isdigit() and parts[2] in ("older", "newer"):
        number, direction, cursor = int(parts[1]), parts[2], parts[3]
    page = service().live_page(guild_id, PAGE_SIZE, cursor, direction)  # type: ignore[arg-type]
    if cursor is not None and not page.meetings:  # the meetings of that page ended meanwhile
        number, page = 1, service().live_page(guild_id, PAGE_SIZE)
    body = list_page(page, number if cursor else 1, t=i18n.for_reply(interaction))
    return responses.InteractionResponse(responses.CallbackType.UPDATE_MESSAGE, body)


def _end(interaction: Interaction, meeting_id: str, via: str) -> InteractionResponse:
    guild_id = _guild(interaction)
    config = get_config(guild_id)
    member = _interaction_member(interaction, config)
    meeting = _domain(lambda: service().get(guild_id, meeting_id))
    _domain(lambda: service().check_can_end(meeting, member))
    payload = {"meeting_id": meeting.meeting_id, "via": via}
    if via == "button":
        return defer(interaction, "meeting_end", payload, update=True)
    return defer(interaction, "meeting_end", payload, ephemeral=True)


def kaltura_end(interaction: Interaction) -> InteractionResponse:
    return _end(interaction, interaction.option_str("meeting").strip().lower(), "command")


def end_button(interaction: Interaction) -> InteractionResponse:
    return _end(interaction, interaction.custom_id_parts[-1], "button")


def share_values(meeting: Meeting, shared_by: str, t: Translator = _ENGLISH) -> dict[str, str]:
    """The values of a notification or Share template: the bot's own words (the type, the hint) in ``t``'s
    language (:func:`card_language`); the template around them is the server's own, or a shipped default in
    ``t``'s language (:func:`~kaltura_discord.config.render_for`)."""
    return {
        "title": meeting.title,
        "type": type_label(t, meeting.type),
        "host": meeting.host_name,
        "id": meeting.short_id,
        "join_hint": t.gettext("Use /kaltura-join or the Join button to get your personal link."),
        "shared_by": shared_by,
    }


def share_button(interaction: Interaction) -> InteractionResponse:
    """A public message and a notification per press: one per member per meeting per ``share_cooldown_seconds``."""
    guild_id = _guild(interaction)
    meeting = _domain(lambda: service().get(guild_id, interaction.custom_id_parts[-1]))
    if not meeting.is_active:
        raise UserFacingError(
            lazy_gettext("**{title}** has ended, so there is nothing to share.", title=escape_markdown(meeting.title))
        )
    config = get_config(guild_id)
    _domain(lambda: service().claim_share(meeting, _interaction_member(interaction, config), limits_for(config)))
    return defer(interaction, "meeting_share", {"meeting_id": meeting.meeting_id}, ephemeral=False)


# ---- worker jobs ----------------------------------------------------------------------------------------


def _report_privately(job: Job, discord: DiscordRest, text: str) -> None:
    """For a public deferral that failed: remove the 'thinking' message and tell only the person (a lazy
    ``text``, such as a domain error's, in their language)."""
    text = i18n.for_reply(job).render(text)
    try:
        discord.delete_original(job.token, deadline=job.deadline)
    except DiscordError as exc:
        log.warning(
            "could not delete the deferred message", extra={"interaction_id": job.interaction_id, "error": str(exc)}
        )
    discord.followup(job.token, responses.message_body(text, ephemeral=True), deadline=job.deadline)


def notify(
    config: GuildConfig,
    guild_id: str,
    kind: str,
    values: dict[str, str],
    discord: DiscordRest,
    *,
    effect_id: str,
    deadline: float | None = None,
    t: Translator | None = None,
) -> None:
    """Post the guild's notification, if enabled, to a channel of that same guild (a channel id is only a
    number: without this check one server's admins could make the bot post into another server). A failure
    is logged and never fails the command. ``effect_id`` (the meeting, or the interaction that shared it) makes
    the message's nonce: a repeated post after a lost answer comes back as the first message, not a second one.
    ``t`` is the channel's language, for a template the server has not changed (:func:`render_for`).
    """
    notifications = config.notifications
    if not notifications.enabled or not getattr(notifications, kind, False):
        return
    channel_id = notifications.channel_for(kind)  # type: ignore[arg-type]
    if channel_id is None:
        return
    context = {"notification": kind, "channel_id": channel_id, "guild_id": guild_id}
    try:
        channel = discord.get_channel(channel_id, deadline=deadline)
        if str(channel.get("guild_id")) != guild_id:
            log.warning("notification channel belongs to another server; not posting", extra=context)
            return
        rendered = render_for(config, kind, values, t)  # type: ignore[arg-type]
        nonce = nonce_for(effect_id, kind)
        discord.create_message(channel_id, rendered.as_payload(), deadline=deadline, nonce=nonce)
    except Exception as exc:
        log.warning("notification failed", extra={**context, "error": str(exc)})


def announce_started(
    config: GuildConfig, meeting: Meeting, started_by: str, discord: DiscordRest, deadline: float | None = None
) -> None:
    """What Discord hears when a meeting starts, whether by command or over the REST API."""
    t = card_language(meeting, config)
    values = share_values(meeting, started_by, t)
    notify(
        config,
        meeting.guild_id,
        "meeting_started",
        values,
        discord,
        effect_id=meeting.meeting_id,
        deadline=deadline,
        t=t,
    )


def announce_ended(
    config: GuildConfig,
    meeting: Meeting,
    ended_by: str,
    discord: DiscordRest,
    *,
    update_message: bool = True,
    deadline: float | None = None,
) -> None:
    """Show the meeting's message as ended and post the notification; failures are logged, never raised."""
    t = card_language(meeting, config)
    if update_message and meeting.channel_id and meeting.message_id:
        try:
            discord.edit_message(meeting.channel_id, meeting.message_id, meeting_message(meeting, t), deadline=deadline)
        except Exception as exc:
            log.warning(
                "could not update the meeting's message", extra={"meeting_id": meeting.meeting_id, "error": str(exc)}
            )
    if meeting.event_id:
        from kaltura_discord.bot.schedule import EVENT_COMPLETED, set_event_status

        set_event_status(meeting, EVENT_COMPLETED, discord, deadline)
    values = {**share_values(meeting, ended_by, t), "ended_by": ended_by}
    duration = max(0, int((meeting.ended_at or meeting.created_at) - meeting.created_at))
    values["duration"] = t.gettext("{minutes} min", minutes=duration // 60)
    if config.notifications.channel_for("meeting_ended") is not None:
        values["attendees"] = attendance.attendees_value(meeting, t)
    notify(
        config, meeting.guild_id, "meeting_ended", values, discord, effect_id=meeting.meeting_id, deadline=deadline, t=t
    )


def run_start(job: Job, discord: DiscordRest) -> None:
    """Start the meeting, show its card where the person asked, announce it. Whatever fails is told once and
    leaves nothing half-done: a room Kaltura made after a lost answer is removed, and a meeting whose card never
    reached the person is announced in the channel or rolled back, by the server's ``kaltura.unconfirmed_start``.
    """
    guild_id = job.guild_id or ""
    config = get_config(guild_id)
    request = MeetingRequest.parse(job.payload.get("type"), job.payload.get("title"), job.payload.get("description"))
    template_room_id = getattr(config.kaltura.template_room_ids, request.type) or None
    try:
        meeting = service().start(
            guild_id,
            job.interaction_id,
            request,
            _job_member(job, config),
            template_room_id=template_room_id,
            channel_id=job.channel_id,
            limits=limits_for(config),
            guild_locale=job.guild_locale,
        )
    except MeetingOutcomeUnknown as exc:
        _report_privately(job, discord, exc.text)
        service().remove_late_room(exc.meeting)
        return
    except MeetingError as exc:
        _report_privately(job, discord, exc.text)
        return
    try:
        message = discord.edit_original(
            job.token, meeting_message(meeting, card_language(meeting, config)), deadline=job.deadline
        )
    except DiscordError as exc:
        _unconfirmed_start(config, meeting, job, discord, exc)
        return
    _remember_message(meeting, str(job.channel_id or message.get("channel_id") or ""), message.get("id"))
    announce_started(config, meeting, job.display_name, discord, deadline=job.deadline)


def _remember_message(meeting: Meeting, channel_id: str, message_id: Any) -> None:
    """Where the card is, so ending the meeting updates it; a storage failure here costs only that update."""
    if not channel_id or not isinstance(message_id, str):
        return
    try:
        service().repository.set_message(meeting, channel_id, message_id)
    except Exception as exc:
        log.warning("could not record the card's message", extra={"meeting_id": meeting.meeting_id, "error": str(exc)})


def _unconfirmed_start(
    config: GuildConfig, meeting: Meeting, job: Job, discord: DiscordRest, error: DiscordError
) -> None:
    """The meeting is live but its card never reached the person: never leave it silently live."""
    context = {"meeting_id": meeting.meeting_id, "discord_status": error.status, "error": str(error)}
    if config.kaltura.unconfirmed_start == "announce" and job.channel_id:
        try:
            nonce = nonce_for(meeting.meeting_id, "card")
            card = meeting_message(meeting, card_language(meeting, config))
            posted = discord.create_message(job.channel_id, card, deadline=job.deadline, nonce=nonce)
        except DiscordError as exc:
            log.error("could not post the card in the channel either", extra={**context, "second_error": str(exc)})
        else:
            log.warning(
                "the meeting card was posted in the channel: the interaction could not be edited", extra=context
            )
            _remember_message(meeting, job.channel_id, posted.get("id"))
            announce_started(config, meeting, job.display_name, discord, deadline=job.deadline)
            return
    service().roll_back(meeting, "its card could not be shown")
    raise error


def run_end(job: Job, discord: DiscordRest) -> dict[str, Any] | None:
    guild_id = job.guild_id or ""
    config = get_config(guild_id)
    via = job.payload.get("via")
    t = i18n.for_reply(job)
    try:
        meeting = service().end(
            guild_id, str(job.payload.get("meeting_id", "")), _job_member(job, config), config.kaltura.end_action
        )
    except MeetingError as exc:
        refusal = t.render(exc.text)
        if via == "button":
            discord.followup(job.token, responses.message_body(refusal, ephemeral=True), deadline=job.deadline)
            return None
        return responses.message_body(refusal)
    if meeting.status == "cancelled":
        return _cancelled(job, discord, meeting, via == "button", config)
    card = card_language(meeting, config)
    if via == "button":
        discord.edit_original(job.token, meeting_message(meeting, card), deadline=job.deadline)
    announce_ended(config, meeting, job.display_name, discord, update_message=via != "button", deadline=job.deadline)
    after_end(config, meeting)
    text = t.gettext("Ended **{title}**.", title=escape_markdown(meeting.title)) + attendance.ended_sentence(meeting, t)
    if meeting.cleanup_pending:
        return _finish_cleanup(job, discord, meeting, text, via == "button")
    return None if via == "button" else responses.message_body(text)


def _cancelled(
    job: Job, discord: DiscordRest, meeting: Meeting, button: bool, config: GuildConfig
) -> dict[str, Any] | None:
    """A scheduled meeting ended before it started: cancelled, its event and timers too; Kaltura never had it."""
    from kaltura_discord.bot.schedule import after_cancel

    card = card_language(meeting, config)
    after_cancel(meeting, discord, job.deadline, card)
    if button:
        discord.edit_original(job.token, meeting_message(meeting, card), deadline=job.deadline)
        return None
    return responses.message_body(
        i18n.for_reply(job).gettext(
            "Cancelled **{title}** (it was to start <t:{start}:F>). Its Discord event is cancelled too; nothing had "
            "been created on Kaltura.",
            title=escape_markdown(meeting.title),
            start=str(meeting.scheduled_start),
        )
    )


def _finish_cleanup(job: Job, discord: DiscordRest, meeting: Meeting, text: str, button: bool) -> dict[str, Any] | None:
    """Kaltura failed the end action: say so now, try again after the answer (within this invocation), then say
    how it ended. Nothing is left silently undone. ``text`` (the end's reply so far) is in the member's language."""
    t = i18n.for_reply(job)
    deleting = meeting.cleanup_pending == "delete"
    if deleting:
        pending = t.gettext("Kaltura did not answer, so its room is not deleted yet; trying again.")
    else:
        pending = t.gettext("Kaltura did not answer, so its room is not marked as ended yet; trying again.")
    note = f"{text} {pending}"
    if button:
        discord.followup(job.token, responses.message_body(note, ephemeral=True), deadline=job.deadline)
    else:
        discord.edit_original(job.token, responses.message_body(note), deadline=job.deadline)
    room = str(meeting.room_id)
    if service().retry_cleanup(meeting):
        outcome = (
            t.gettext("Its Kaltura room is now deleted.")
            if deleting
            else t.gettext("Its Kaltura room is now marked as ended.")
        )
    elif deleting:
        outcome = t.gettext(
            "Kaltura still did not answer, so its room is not deleted: a server admin can do it in Kaltura (room "
            "`{room}`).",
            room=room,
        )
    else:
        outcome = t.gettext(
            "Kaltura still did not answer, so its room is not marked as ended: a server admin can do it in Kaltura "
            "(room `{room}`).",
            room=room,
        )
    if button:
        return None
    return responses.message_body(f"{text} {outcome}")


def run_share(job: Job, discord: DiscordRest) -> dict[str, Any] | None:
    """The public Share message from the server's template, then the ``meeting_shared`` notification."""
    guild_id = job.guild_id or ""
    config = get_config(guild_id)
    try:
        meeting = service().get(guild_id, str(job.payload.get("meeting_id", "")))
    except MeetingError as exc:
        _report_privately(job, discord, exc.text)
        return None
    t = card_language(meeting, config)  # a message for the whole channel, from the server's template
    values = share_values(meeting, job.display_name, t)
    rendered = render_for(config, "share", values, t)
    join = responses.action_row(
        responses.button(t.gettext("Join"), custom_id=f"{JOIN}:{meeting.meeting_id}", style=ButtonStyle.SUCCESS)
    )
    body = responses.message_body(rendered.content, components=[join], allowed_mentions=rendered.allowed_mentions)
    discord.edit_original(job.token, body, deadline=job.deadline)
    notify(
        config, guild_id, "meeting_shared", values, discord, effect_id=job.interaction_id, deadline=job.deadline, t=t
    )
    return None
