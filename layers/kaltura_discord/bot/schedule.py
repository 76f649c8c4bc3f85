"""Scheduled meetings: ``/kaltura-schedule``, its Discord Guild Scheduled Event, the reminder and the start.

A scheduled meeting is a record (``scheduled``), an EXTERNAL Discord event that announces it where the community
looks, and two one-time schedules (:mod:`kaltura_discord.scheduler`) that fire worker jobs: the reminder in the
notifications channel, and the start, which makes the room exactly as ``/kaltura-start`` does (the same service,
the same once-only guarantee), sets the event active and posts ``meeting_started``. Ending it before it started
cancels it (event status 4; nothing exists on Kaltura to delete); ending it once live completes the event (3).

Every side effect happens once: the record is keyed by the interaction, a lost answer to the event's creation is
recovered by finding the event it made, the schedules are named after the work, and the jobs they fire carry ledger
keys. When the event or the schedules cannot be made, nothing is kept and the person is told what to do.

Languages: the refusals and private notes answer the member in theirs (``i18n.for_reply``); the card, the Discord
event (its description and location are seen by the whole server) and the channel notes at the start time are
in the server's (:func:`kaltura_discord.bot.meetings.card_language`: ``notifications.locale``, else the
``guild_locale`` kept with the meeting when it was scheduled, which is all a timer has to go on).
"""

from __future__ import annotations

import datetime as dt
import time
from typing import Any

from kaltura_discord import i18n
from kaltura_discord.bot.jobs import Job, defer
from kaltura_discord.config import get_config
from kaltura_discord.config.model import GuildConfig
from kaltura_discord.discord import responses
from kaltura_discord.discord.interaction import Interaction
from kaltura_discord.discord.responses import ButtonStyle, InteractionResponse
from kaltura_discord.discord.rest import DiscordError, DiscordRest, nonce_for
from kaltura_discord.discord.router import UserFacingError
from kaltura_discord.i18n import Message, Translator, lazy_gettext
from kaltura_discord.logs import get_logger
from kaltura_discord.meetings.model import (
    Meeting,
    MeetingBackendUnavailable,
    MeetingError,
    MeetingLimitReached,
    MeetingRequest,
)
from kaltura_discord.meetings.schedule import ScheduleRequest
from kaltura_discord.meetings.service import MeetingOutcomeUnknown, MeetingService, Member
from kaltura_discord.text import escape_markdown

log = get_logger(__name__)

EVENT_SCHEDULED, EVENT_ACTIVE, EVENT_COMPLETED, EVENT_CANCELED = 1, 2, 3, 4
EXTERNAL, GUILD_ONLY = 3, 2
START_RETRY_WAITS = (0.0, 15.0, 45.0)
"""A scheduled start that Kaltura fails is tried again twice within the minute: nobody is there to retry it."""
REMINDER_MIN_DELAY = 5.0
COLOR_SCHEDULED, COLOR_CANCELLED = 0x5865F2, 0x95A5A6
_ENGLISH: Translator = i18n.translator(i18n.SOURCE_LOCALE)


def event_link(guild_id: str, event_id: str) -> str:
    """Discord's link to an event (what the client's "Copy Event Link" gives)."""
    return f"https://discord.com/events/{guild_id}/{event_id}"


def _iso(epoch: int) -> str:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC).isoformat(timespec="seconds")


def event_location(meeting: Meeting, t: Translator = _ENGLISH) -> str:
    """How to join, as the event shows it (1-100 characters): a command and the short id, never a link or a KS.
    In the server's language ``t`` (everyone in the server sees the event)."""
    if meeting.type == "webinar":
        text = t.gettext("Kaltura webinar \u00b7 /kaltura-join {id} in Discord once it starts", id=meeting.short_id)
    elif meeting.type == "classroom":
        text = t.gettext("Kaltura classroom \u00b7 /kaltura-join {id} in Discord once it starts", id=meeting.short_id)
    else:
        text = t.gettext("Kaltura meeting \u00b7 /kaltura-join {id} in Discord once it starts", id=meeting.short_id)
    return text[:100]


def event_body(meeting: Meeting, t: Translator = _ENGLISH) -> dict[str, Any]:
    """An ``ExternalScheduledEventCreateRequest``: EXTERNAL, guild-only, with its end time and location, in the
    server's language ``t``. The title and description are the host's words, as they wrote them (an event's text
    is not markdown)."""
    assert meeting.scheduled_start is not None and meeting.scheduled_end is not None
    from kaltura_discord.bot.meetings import type_label

    lines = [t.gettext("{type} hosted by {host}.", type=type_label(t, meeting.type), host=meeting.host_name)]
    if meeting.description:
        lines.append(meeting.description)
    lines.append(
        t.gettext(
            "Join with /kaltura-join {id} once it starts (meeting {meeting_id}).",
            id=meeting.short_id,
            meeting_id=meeting.meeting_id,
        )
    )
    return {
        "name": meeting.title[:100],
        "description": "\n\n".join(lines)[:1000],
        "scheduled_start_time": _iso(meeting.scheduled_start),
        "scheduled_end_time": _iso(meeting.scheduled_end),
        "privacy_level": GUILD_ONLY,
        "entity_type": EXTERNAL,
        "entity_metadata": {"location": event_location(meeting, t)},
    }


def timer_names(meeting: Meeting) -> dict[str, str]:
    from kaltura_discord.scheduler import schedule_name

    return {kind: schedule_name(meeting.guild_id, meeting.meeting_id, kind) for kind in ("reminder", "start")}


# ---- the card ------------------------------------------------------------------------------------------------


def scheduled_message(meeting: Meeting, note: str | None = None, t: Translator = _ENGLISH) -> dict[str, Any]:
    """The card of a scheduled (or cancelled) meeting: its time in each reader's zone, the event, Cancel. In the
    server's language ``t`` (:func:`kaltura_discord.bot.meetings.card_language`), as is ``note`` (rendered here)."""
    from kaltura_discord.bot.meetings import END, type_label

    start, end = meeting.scheduled_start or 0, meeting.scheduled_end or 0
    cancelled = meeting.status != "scheduled"
    status = t.gettext("Cancelled") if cancelled else t.gettext("Scheduled")
    fields = [
        {"name": t.gettext("Type"), "value": type_label(t, meeting.type), "inline": True},
        {"name": t.gettext("Host"), "value": f"<@{meeting.host_id}>", "inline": True},
        {"name": t.gettext("Status"), "value": status, "inline": True},
        {"name": t.gettext("Starts"), "value": f"<t:{start}:F> (<t:{start}:R>)", "inline": True},
        {
            "name": t.gettext("Duration"),
            "value": t.gettext("{minutes} min", minutes=max(0, end - start) // 60),
            "inline": True,
        },
    ]
    embed: dict[str, Any] = {
        "title": responses.truncate(meeting.title, 256),
        "color": COLOR_CANCELLED if cancelled else COLOR_SCHEDULED,
        "fields": fields,
        "footer": {"text": t.gettext("Meeting {id}", id=meeting.short_id)},
    }
    if meeting.description:
        embed["description"] = responses.truncate(escape_markdown(meeting.description), 4096)
    buttons = []
    if meeting.event_id and not cancelled:
        link = event_link(meeting.guild_id, meeting.event_id)
        buttons.append(responses.button(t.gettext("Discord event"), url=link))
    if not cancelled:
        buttons.append(
            responses.button(
                t.pgettext("meeting", "Cancel"), custom_id=f"{END}:{meeting.meeting_id}", style=ButtonStyle.DANGER
            )
        )
    content = t.render(note) if note is not None else None
    if cancelled and content is None:
        content = t.gettext("This meeting was cancelled ({title}).", title=escape_markdown(meeting.title))
    return responses.message_body(
        content, embeds=[embed], components=[responses.action_row(*buttons)] if buttons else []
    )


# ---- interactions path ----------------------------------------------------------------------------------------


def kaltura_schedule(interaction: Interaction) -> InteractionResponse:
    """Validate at once (what was understood is echoed by the card), then hand the Discord and storage work over."""
    from kaltura_discord.bot.jobs import snowflake_time

    if interaction.guild_id is None:
        raise UserFacingError(lazy_gettext("Meetings belong to a server: use this command in a server channel."))
    now = snowflake_time(interaction.id) or time.time()
    try:
        request = ScheduleRequest.parse(
            interaction.option("type"),
            interaction.option("title"),
            interaction.option("start"),
            interaction.option("duration"),
            interaction.option("description"),
            now=max(now, time.time()),
        )
    except MeetingError as exc:
        raise UserFacingError(exc.text) from None
    if get_config(interaction.guild_id).meetings.max_scheduled <= 0:
        raise UserFacingError(
            lazy_gettext("Scheduling meetings is turned off in this server (`meetings.max_scheduled` is 0).")
        )
    return defer(interaction, "meeting_schedule", request.to_payload(), ephemeral=False)


# ---- worker: scheduling --------------------------------------------------------------------------------------


def _member(job: Job, config: GuildConfig) -> Member:
    from kaltura_discord.bot.meetings import _job_member

    return _job_member(job, config)


class ScheduleRefused(MeetingBackendUnavailable):
    """Discord, or the timers, would not take the schedule: nothing was kept; the message says what to do (over
    HTTP a 503 ``backend_unavailable`` carrying that message)."""


def schedule_meeting(
    config: GuildConfig,
    guild_id: str,
    request_id: str,
    request: ScheduleRequest,
    host: Member,
    *,
    discord: DiscordRest,
    channel_id: str | None,
    deadline: float,
    meetings: MeetingService | None = None,
    guild_locale: str | None = None,
) -> Meeting:
    """Record the meeting, create its Discord event, set its timers: all of it, or nothing (a MeetingError, for
    the person). A repeat with the same ``request_id`` returns the meeting made the first time (its event is not
    made again; its timers, named after it, are set once). ``guild_locale`` (the server's language, when an
    interaction tells it) is kept with the meeting: its event, reminder and start speak it."""
    from kaltura_discord.bot.meetings import card_language, limits_for, service

    meetings = meetings or service()
    meeting = meetings.schedule(
        guild_id, request_id, request, host, channel_id=channel_id, limits=limits_for(config), guild_locale=guild_locale
    )
    if meeting.status != "scheduled":
        return meeting  # a repeat of a request whose meeting has moved on (started, cancelled)
    problem: Message | None = None
    try:
        if not meeting.event_id:
            try:
                event_id = _create_event(meeting, discord, deadline, card_language(meeting, config))
            except DiscordError as exc:
                problem = _event_refusal(exc)
            else:
                meeting = meeting.with_changes(event_id=event_id)  # known to _undo even if recording it fails
                meetings.repository.set_event(meeting, event_id)
        if problem is None:
            try:
                _set_timers(config, meeting)
            except Exception as exc:
                log.error(
                    "could not schedule the meeting's start",
                    extra={"meeting_id": meeting.meeting_id, "error": str(exc)},
                )
                problem = lazy_gettext(
                    "The bot could not set the meeting's start timer, so it was not scheduled. Please try again in "
                    "a minute; if it keeps happening, tell a server admin."
                )
    except Exception as exc:  # storage failed midway: nothing may stay half-made either
        log.error(
            "scheduling failed midway", extra={"meeting_id": meeting.meeting_id, "error_type": type(exc).__name__}
        )
        problem = lazy_gettext(
            "The bot's storage failed while the meeting was being scheduled, so it was not scheduled. Please try "
            "again in a minute."
        )
    if problem is not None:
        _undo(meeting, host, discord, deadline, meetings)
        raise ScheduleRefused(problem)
    return meeting


def run_schedule(job: Job, discord: DiscordRest) -> None:
    """``/kaltura-schedule``'s work: the meeting, its event and timers, then its card where it was asked for."""
    from kaltura_discord.bot.meetings import _remember_message, _report_privately, card_language

    guild_id = job.guild_id or ""
    config = get_config(guild_id)
    request = ScheduleRequest.from_payload(job.payload)
    try:
        meeting = schedule_meeting(
            config,
            guild_id,
            job.interaction_id,
            request,
            _member(job, config),
            discord=discord,
            channel_id=job.channel_id,
            deadline=job.deadline,
            guild_locale=job.guild_locale,
        )
    except MeetingError as exc:
        _report_privately(job, discord, exc.text)
        return
    if meeting.status != "scheduled":
        title = escape_markdown(meeting.title)
        _report_privately(job, discord, lazy_gettext("**{title}** is no longer scheduled.", title=title))
        return
    card = scheduled_message(meeting, t=card_language(meeting, config))
    message = discord.edit_original(job.token, card, deadline=job.deadline)
    _remember_message(meeting, str(job.channel_id or message.get("channel_id") or ""), message.get("id"))


def _create_event(meeting: Meeting, discord: DiscordRest, deadline: float, t: Translator = _ENGLISH) -> str:
    """Create the event once. An earlier attempt (this call's, after a lost answer or a failure Discord may have
    acted on, or a repeated request's) may have made it: it is looked for among the server's events, by its start,
    name and location, before one is created, and again before creating a second time."""
    body = event_body(meeting, t)
    found = _find_event(meeting, body, discord, deadline)
    if found is not None:
        return found
    try:
        created = discord.create_scheduled_event(meeting.guild_id, body, deadline=deadline)
        return str(created["id"])
    except DiscordError as exc:
        if exc.status not in (0, 500, 502, 503, 504):
            raise
        found = _find_event(meeting, body, discord, deadline)
        if found is not None:
            return found
        created = discord.create_scheduled_event(meeting.guild_id, body, deadline=deadline)
        return str(created["id"])


def _find_event(meeting: Meeting, body: dict[str, Any], discord: DiscordRest, deadline: float) -> str | None:
    for event in discord.list_scheduled_events(meeting.guild_id, deadline=deadline):
        if _same_event(event, body):
            log.warning("found the meeting's event made earlier", extra={"meeting_id": meeting.meeting_id})
            return str(event["id"])
    return None


def _same_event(event: dict[str, Any], body: dict[str, Any]) -> bool:
    location = (event.get("entity_metadata") or {}).get("location")
    start = _parse_time(event.get("scheduled_start_time"))
    return (
        location == body["entity_metadata"]["location"]
        and event.get("name") == body["name"]
        and start == _parse_time(body["scheduled_start_time"])
    )


def _parse_time(value: Any) -> float | None:
    try:
        return dt.datetime.fromisoformat(str(value)).timestamp()
    except ValueError:
        return None


def _event_refusal(error: DiscordError) -> Message:
    """What the person reads when Discord would not create the event."""
    log.warning("Discord refused the scheduled event", extra={"discord_status": error.status, "error": str(error)})
    if error.status == 403 or error.code == 50013:
        return lazy_gettext(
            "I couldn't create the Discord event for this meeting: the bot lacks the **Create Events** permission "
            "in this server. Ask a server admin to grant it, then schedule again. Nothing was scheduled."
        )
    if error.code == 30038:
        return lazy_gettext(
            "This server already has {max} upcoming Discord events, the most Discord allows, so nothing was "
            "scheduled. End or cancel one, then try again.",
            max=100,
        )
    return lazy_gettext(
        "Discord did not create the event for this meeting, so nothing was scheduled. Please try again in a minute."
    )


def _set_timers(config: GuildConfig, meeting: Meeting) -> None:
    """The start (and, when the server wants one, the reminder) as one-time schedules named after the work."""
    from kaltura_discord.scheduler import get_scheduler

    assert meeting.scheduled_start is not None
    names = timer_names(meeting)
    scheduler = get_scheduler()
    start = Job.scheduled(
        "meeting_scheduled_start",
        meeting.meeting_id,
        float(meeting.scheduled_start),
        guild_id=meeting.guild_id,
        channel_id=meeting.channel_id,
        payload={"meeting_id": meeting.meeting_id},
    )
    scheduler.schedule(names["start"], float(meeting.scheduled_start), start.to_dict())
    notifications = config.notifications
    if notifications.enabled and notifications.meeting_reminder and notifications.reminder_minutes > 0:
        at = max(meeting.scheduled_start - notifications.reminder_minutes * 60, time.time() + REMINDER_MIN_DELAY)
        if at < meeting.scheduled_start:
            reminder = Job.scheduled(
                "meeting_reminder",
                meeting.meeting_id,
                at,
                guild_id=meeting.guild_id,
                channel_id=meeting.channel_id,
                payload={"meeting_id": meeting.meeting_id},
            )
            scheduler.schedule(names["reminder"], at, reminder.to_dict())


def cancel_timers(meeting: Meeting) -> None:
    """Best effort: a timer that fires anyway finds the meeting no longer scheduled and does nothing."""
    from kaltura_discord.scheduler import get_scheduler

    for name in timer_names(meeting).values():
        try:
            get_scheduler().cancel(name)
        except Exception as exc:
            log.warning("could not remove a timer", extra={"meeting_id": meeting.meeting_id, "error": str(exc)})


def _undo(meeting: Meeting, host: Member, discord: DiscordRest, deadline: float, meetings: MeetingService) -> None:
    """Nothing half-written: the event, the timers and the record go again."""
    cancel_timers(meeting)
    _delete_event(meeting, discord, deadline)
    try:
        meetings.discard_scheduled(meeting, host)
    except Exception as exc:
        log.error("could not remove an undone schedule", extra={"meeting_id": meeting.meeting_id, "error": str(exc)})


# ---- the event's status --------------------------------------------------------------------------------------


def event_status(meeting: Meeting, discord: DiscordRest, deadline: float | None) -> int | None:
    """The event's status now (Discord moves EXTERNAL events by itself at their start and end); None once it was
    deleted."""
    assert meeting.event_id is not None
    try:
        event = discord.get_scheduled_event(meeting.guild_id, meeting.event_id, deadline=deadline)
    except DiscordError as exc:
        if exc.not_found:
            return None
        raise
    status = event.get("status")
    return status if isinstance(status, int) else None


def set_event_status(meeting: Meeting, wanted: int, discord: DiscordRest, deadline: float | None) -> None:
    """Move the event to ``wanted`` along Discord's transitions (1->2, 2->3, 1->4); an event already there, past
    it, or deleted is left as it is. Failures are logged: the meeting itself is what matters."""
    if not meeting.event_id:
        return
    context = {"meeting_id": meeting.meeting_id, "event_id": meeting.event_id, "wanted": wanted}
    try:
        status = event_status(meeting, discord, deadline)
        steps: list[int] = []
        if status == EVENT_SCHEDULED:
            steps = {EVENT_ACTIVE: [EVENT_ACTIVE], EVENT_COMPLETED: [EVENT_ACTIVE, EVENT_COMPLETED]}.get(
                wanted, [EVENT_CANCELED]
            )
        elif status == EVENT_ACTIVE and wanted in (EVENT_COMPLETED, EVENT_CANCELED):
            steps = [EVENT_COMPLETED]  # an active event can only complete
        for step in steps:
            discord.modify_scheduled_event(meeting.guild_id, meeting.event_id, {"status": step}, deadline=deadline)
    except DiscordError as exc:
        log.warning("could not change the event's status", extra={**context, "error": str(exc)})


# ---- worker: the reminder and the start ----------------------------------------------------------------------


def _values(meeting: Meeting, t: Translator = _ENGLISH) -> dict[str, str]:
    from kaltura_discord.bot.meetings import share_values

    values = share_values(meeting, meeting.host_name, t)
    values["start"] = f"<t:{meeting.scheduled_start}:R>"
    values["event_link"] = event_link(meeting.guild_id, meeting.event_id) if meeting.event_id else ""
    return values


def run_reminder(job: Job, discord: DiscordRest) -> dict[str, Any] | None:
    """The ``meeting_reminder`` notification, if the meeting is still scheduled (posted once: its nonce)."""
    from kaltura_discord.bot.meetings import card_language, notify, service

    guild_id = job.guild_id or ""
    meeting = service().repository.find(guild_id, str(job.payload.get("meeting_id", "")))
    if meeting is None or not meeting.is_scheduled:
        return responses.message_body("no reminder: the meeting is no longer scheduled")
    config = get_config(guild_id)
    t = card_language(meeting, config)
    notify(
        config,
        guild_id,
        "meeting_reminder",
        _values(meeting, t),
        discord,
        effect_id=meeting.meeting_id,
        deadline=job.deadline,
        t=t,
    )
    return responses.message_body("reminder sent")


def run_scheduled_start(job: Job, discord: DiscordRest) -> dict[str, Any] | None:
    """At the start time: the room (as ``/kaltura-start`` makes it), the event active, the card live, the
    ``meeting_started`` notification. A meeting whose event was deleted by hand is cancelled and the channel told;
    one that Kaltura cannot start is reported in its channel and its event closed."""
    from kaltura_discord.bot.meetings import card_language, service

    guild_id = job.guild_id or ""
    meeting = service().repository.find(guild_id, str(job.payload.get("meeting_id", "")))
    if meeting is None or meeting.status not in ("scheduled", "creating", "failed"):
        return responses.message_body("nothing to start: the meeting is no longer scheduled")
    config = get_config(guild_id)
    t = card_language(meeting, config)  # no interaction here: the server's language, kept with the meeting
    if meeting.is_scheduled and meeting.event_id:
        try:
            status = event_status(meeting, discord, job.deadline)
        except DiscordError as exc:
            log.warning("could not read the meeting's event; starting anyway", extra={"error": str(exc)})
            status = EVENT_SCHEDULED
        if status is None or status == EVENT_CANCELED:
            return _cancel_for_deleted_event(meeting, discord, job, t)
    current: Meeting | None = service().begin_scheduled(meeting) if meeting.is_scheduled else meeting
    if current is None or current.status not in ("creating", "failed"):
        return responses.message_body(f"nothing to start: the meeting is {current.status if current else 'gone'}")
    live, error = _start_with_retries(config, current)
    if live is None:
        return _report_failed_start(meeting, error, discord, job, t)
    set_event_status(live, EVENT_ACTIVE, discord, job.deadline)
    _show_live_card(config, live, discord, job)
    return responses.message_body("started")


def _start_with_retries(config: GuildConfig, meeting: Meeting) -> tuple[Meeting | None, MeetingError | None]:
    from kaltura_discord.bot.meetings import limits_for, service

    request = MeetingRequest.parse(meeting.type, meeting.title, meeting.description)
    host = Member(user_id=meeting.host_id, display_name=meeting.host_name, role="viewer")
    template_room_id = getattr(config.kaltura.template_room_ids, meeting.type) or None
    error: MeetingError | None = None
    current: Meeting | None = meeting
    for pause in START_RETRY_WAITS:
        if current is None or current.status not in ("creating", "failed"):
            break
        service().pause(pause)
        try:
            live = service().start(
                meeting.guild_id,
                meeting.meeting_id,
                request,
                host,
                template_room_id=template_room_id,
                channel_id=meeting.channel_id,
                limits=limits_for(config),
                scheduled=current,
            )
            return live, None
        except MeetingOutcomeUnknown as exc:
            error, current = exc, exc.meeting
        except MeetingLimitReached as exc:
            return None, exc
        except MeetingBackendUnavailable as exc:
            error, current = exc, service().repository.find(meeting.guild_id, meeting.meeting_id)
        except MeetingError as exc:
            return None, exc
    if isinstance(error, MeetingOutcomeUnknown):
        service().remove_late_room(error.meeting)
    return None, error


def _post_in_channel(meeting: Meeting, body: dict[str, Any], effect: str, discord: DiscordRest, deadline: float) -> Any:
    if not meeting.channel_id:
        return None
    try:
        return discord.create_message(
            meeting.channel_id, body, deadline=deadline, nonce=nonce_for(meeting.meeting_id, effect)
        )
    except DiscordError as exc:
        log.error(
            "could not post in the meeting's channel", extra={"meeting_id": meeting.meeting_id, "error": str(exc)}
        )
        return None


def _edit_card(meeting: Meeting, body: dict[str, Any], discord: DiscordRest, deadline: float) -> bool:
    if not (meeting.channel_id and meeting.message_id):
        return False
    try:
        discord.edit_message(meeting.channel_id, meeting.message_id, body, deadline=deadline)
    except DiscordError as exc:
        log.warning("could not update the scheduled card", extra={"meeting_id": meeting.meeting_id, "error": str(exc)})
        return False
    return True


def _cancel_for_deleted_event(meeting: Meeting, discord: DiscordRest, job: Job, t: Translator) -> dict[str, Any]:
    from kaltura_discord.bot.meetings import service

    cancelled = service().repository.cancel_scheduled(meeting, "discord-event-deleted")
    note = t.gettext(
        "**{title}** was cancelled at its start time: its Discord event had been deleted or cancelled.",
        title=escape_markdown(meeting.title),
    )
    _edit_card(cancelled, scheduled_message(cancelled, note, t), discord, job.deadline)
    _post_in_channel(meeting, responses.message_body(note), "event-deleted", discord, job.deadline)
    return responses.message_body("cancelled: the event was deleted")


def _report_failed_start(
    meeting: Meeting, error: MeetingError | None, discord: DiscordRest, job: Job, t: Translator
) -> dict[str, Any]:
    """In the channel, in the server's language ``t``: the domain's reason is translated with the rest."""
    reason = error.text if error else lazy_gettext("It could not be started.")
    note = t.gettext(
        "**{title}** could not start at its scheduled time. {reason} Start it with `/kaltura-start` instead.",
        title=escape_markdown(meeting.title),
        reason=reason,
    )
    log.error("a scheduled meeting did not start", extra={"meeting_id": meeting.meeting_id, "error": str(reason)})
    _delete_event(meeting, discord, job.deadline)
    failed = meeting.with_changes(status="cancelled")
    _edit_card(failed, scheduled_message(failed, note, t), discord, job.deadline)
    _post_in_channel(meeting, responses.message_body(note), "start-failed", discord, job.deadline)
    return responses.message_body("the scheduled start failed")


def _delete_event(meeting: Meeting, discord: DiscordRest, deadline: float) -> None:
    """The event of a meeting that did not start goes: by its start Discord has made an EXTERNAL event active by
    itself, and an active event can only become COMPLETED, which would show it as having happened."""
    if not meeting.event_id:
        return
    try:
        discord.delete_scheduled_event(meeting.guild_id, meeting.event_id, deadline=deadline)
    except DiscordError as exc:
        if not exc.not_found:
            log.warning("could not delete the event", extra={"meeting_id": meeting.meeting_id, "error": str(exc)})


def _show_live_card(config: GuildConfig, live: Meeting, discord: DiscordRest, job: Job) -> None:
    """The scheduled card becomes the live card (Join, Share, End); without one, a new card in the channel."""
    from kaltura_discord.bot.meetings import _remember_message, announce_started, card_language, meeting_message

    body = meeting_message(live, card_language(live, config))
    if not _edit_card(live, body, discord, job.deadline):
        posted = _post_in_channel(live, body, "card", discord, job.deadline)
        if isinstance(posted, dict) and live.channel_id:
            _remember_message(live, live.channel_id, posted.get("id"))
    announce_started(config, live, live.host_name, discord, deadline=job.deadline)


def after_cancel(meeting: Meeting, discord: DiscordRest, deadline: float | None, t: Translator | None = None) -> None:
    """A scheduled meeting was cancelled: its timers go, its event is cancelled, its card says so (in ``t``, the
    card's language; read from the server's settings when not given)."""
    cancel_timers(meeting)
    set_event_status(meeting, EVENT_CANCELED, discord, deadline)
    if deadline is not None:
        if t is None:
            from kaltura_discord.bot.meetings import card_language

            t = card_language(meeting)
        _edit_card(meeting, scheduled_message(meeting, t=t), discord, deadline)
