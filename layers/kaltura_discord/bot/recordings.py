"""Recordings posted back: when a meeting's recording is ready, its channel gets the link, once.

Two ways to learn of it, both real Kaltura mechanisms (docs/kaltura.md, "Recording notifications"):

1. a Kaltura HTTP event notification, ``POST /v1/kaltura/notifications`` (:func:`handle_notified_entry`): the
   notification names an entry; the entry is read back from Kaltura and, if it is a READY recording of one of our
   meetings' rooms, posted;
2. a poll after the meeting ends (:func:`schedule_poll`, the ``recording_poll`` job): the room's READY recorded
   entries (``baseEntry.list``, ``rootEntryIdEqual`` = the room), at 5, 15, 30, 60, 120 and 240 minutes after the
   end, stopping at the first try that finds one, for accounts where notifications are not set up.

Either way :func:`post_recording` posts once: a DynamoDB claim per recording (:class:`RecordingStore`) and the
message's nonce. The message is a reply to the meeting's card where there is one, rendered from the server's
``recording_ready`` template, with a link to the recording's entry page (``kaltura.recording_url_template``), never
a session. ``notifications.recording_ready`` off: nothing is posted and nothing is polled.

The template stays as the server wrote it; the values the bot fills in (the type, the duration) are in the
server's language: ``notifications.locale``, else the ``guild_locale`` kept with the meeting (no interaction is
there when a recording arrives).
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from kaltura_discord import i18n, settings
from kaltura_discord.bot.jobs import Job
from kaltura_discord.config import get_config, render_for
from kaltura_discord.discord.rest import DiscordError, DiscordRest, nonce_for
from kaltura_discord.i18n import Translator
from kaltura_discord.kaltura.ks import validate_entry_id
from kaltura_discord.logs import get_logger
from kaltura_discord.meetings.recordings import (
    POLL_MINUTES,
    Outcome,
    Recording,
    RecordingSource,
    RecordingStore,
)
from kaltura_discord.meetings.repository import MeetingRepository

if TYPE_CHECKING:
    from kaltura_discord.config.model import GuildConfig
    from kaltura_discord.meetings.model import Meeting

log = get_logger(__name__)

RECORDING_POLL = "recording_poll"
DEFAULT_URL_TEMPLATE = "https://{kaf_host}/media/t/{entry_id}"
TYPE_LABELS = {"meeting": "Meeting", "webinar": "Webinar", "classroom": "Classroom"}
"""As the command's type choices name them (bot.meetings has the same; not imported here, to keep this light)."""
_ENGLISH: Translator = i18n.translator(i18n.SOURCE_LOCALE)

_store: RecordingStore | None = None
_source: RecordingSource | None = None
_repository: MeetingRepository | None = None


def store() -> RecordingStore:
    global _store  # noqa: PLW0603 - one per container
    if _store is None:
        _store = RecordingStore()
    return _store


def source() -> RecordingSource:
    global _source  # noqa: PLW0603
    if _source is None:
        from kaltura_discord.meetings.kaltura_recordings import KalturaRecordingSource

        _source = KalturaRecordingSource()
    return _source


def repository() -> MeetingRepository:
    global _repository  # noqa: PLW0603
    if _repository is None:
        _repository = MeetingRepository()
    return _repository


def install(
    *,
    store: RecordingStore | None = None,
    source: RecordingSource | None = None,
    repository: MeetingRepository | None = None,
) -> None:
    """Replace the container's stores (tests); ``install()`` forgets them all."""
    global _store, _source, _repository
    _store, _source, _repository = store, source, repository


# ---- the message -------------------------------------------------------------------------------------------


def format_duration(seconds: int | None, t: Translator = _ENGLISH) -> str:
    """``45 s``, ``12 min``, ``1 h 5 min``, ``2 h``; ``unknown`` when Kaltura did not say (in ``t``'s language)."""
    if seconds is None or seconds < 0:
        return t.gettext("unknown")
    if seconds < 60:
        return t.gettext("{seconds} s", seconds=seconds)
    minutes = round(seconds / 60)
    hours, minutes = divmod(minutes, 60)
    if not hours:
        return t.gettext("{minutes} min", minutes=minutes)
    if minutes:
        return t.gettext("{hours} h {minutes} min", hours=hours, minutes=minutes)
    return t.gettext("{hours} h", hours=hours)


def recording_url(config: GuildConfig, entry_id: str) -> str:
    """The recording's entry page: ``kaltura.recording_url_template`` (or ``https://{kaf_host}/media/t/{entry_id}``)
    with the server's KAF host and the entry id. People open it signed in their usual way: it carries no session."""
    template = config.kaltura.recording_url_template or DEFAULT_URL_TEMPLATE
    kaf_host = config.kaltura.kaf_host(settings.required("KALTURA_PARTNER_ID"))
    return template.replace("{kaf_host}", kaf_host).replace("{entry_id}", validate_entry_id(entry_id))


def recording_values(config: GuildConfig, meeting: Meeting, recording: Recording, t: Translator) -> dict[str, str]:
    """The template's values; the bot's words among them in the server's language (a message for the channel)."""
    label = TYPE_LABELS.get(meeting.type)
    return {
        "title": meeting.title,
        "type": t.lookup(label, i18n.CHOICE) if label else meeting.type,
        "host": meeting.host_name,
        "id": meeting.short_id,
        "duration": format_duration(recording.duration, t),
        "recording_url": recording_url(config, recording.entry_id),
    }


def recording_message(config: GuildConfig, meeting: Meeting, recording: Recording, channel_id: str) -> dict[str, Any]:
    """A ``MessageCreateRequest``: the rendered template and, in the meeting's own channel, a reply to its card
    (``message_reference`` with ``fail_if_not_exists`` false, so a deleted card does not stop the message)."""
    t = i18n.for_channel(meeting.guild_locale, config.notifications.locale)
    body = render_for(config, "recording_ready", recording_values(config, meeting, recording, t), t).as_payload()
    if meeting.message_id and meeting.channel_id == channel_id:
        body["message_reference"] = {"message_id": meeting.message_id, "fail_if_not_exists": False}
    return body


def _channel(config: GuildConfig, meeting: Meeting, discord: DiscordRest, deadline: float | None) -> str | None:
    """The meeting's channel (where it was started); a meeting started over the REST API has none, so the server's
    notifications channel, if it is one of this server's channels."""
    if meeting.channel_id:
        return meeting.channel_id
    fallback = config.notifications.channel_id
    if fallback is None:
        return None
    channel = discord.get_channel(fallback, deadline=deadline)
    return fallback if str(channel.get("guild_id")) == meeting.guild_id else None


def post_recording(
    config: GuildConfig, meeting: Meeting, recording: Recording, discord: DiscordRest, *, deadline: float | None = None
) -> Outcome:
    """Post the recording's message once. A Discord failure gives the claim back and is raised (the caller answers
    503 to Kaltura, which sends again, or the poll tries again later)."""
    if not config.notifications.recording_ready:
        return "off"
    channel_id = _channel(config, meeting, discord, deadline)
    if channel_id is None:
        log.info("recording ready but the meeting has no channel", extra={"meeting_id": meeting.meeting_id})
        return "no_channel"
    recordings = store()
    if not recordings.claim(meeting, recording.entry_id):
        return "duplicate"
    try:
        body = recording_message(config, meeting, recording, channel_id)
        nonce = nonce_for(meeting.guild_id, meeting.meeting_id, recording.entry_id, "recording")
        posted = discord.create_message(channel_id, body, deadline=deadline, nonce=nonce)
    except BaseException as exc:
        if _maybe_posted(exc):
            # Discord may have posted it (an answer lost, a 500): a later try would post it again once the nonce's
            # few minutes are over, so the claim is kept; at worst this recording is not announced.
            log.error("recording post outcome unknown; not retried", extra={"entry_id": recording.entry_id})
            raise
        try:
            recordings.release(meeting, recording.entry_id)
        except Exception as release_error:
            log.warning(
                "could not give a recording claim back",
                extra={"entry_id": recording.entry_id, "error": str(release_error)},
            )
        raise
    recordings.mark_posted(meeting, recording.entry_id, channel_id, str(posted.get("id") or ""))
    log.info("recording posted", extra={"meeting_id": meeting.meeting_id, "entry_id": recording.entry_id})
    return "posted"


def _maybe_posted(error: BaseException) -> bool:
    """True when Discord may have posted although the call failed (``DiscordError.maybe_acted``)."""
    return isinstance(error, DiscordError) and error.maybe_acted


# ---- way 1: a Kaltura notification ----------------------------------------------------------------------------


def handle_notified_entry(entry_id: str, discord: DiscordRest, *, deadline: float | None = None) -> Outcome:
    """A notification named this entry: post it if it is a READY recording of one of our meetings' rooms.

    Nothing in the notification but the entry id is trusted: the entry, its room and the meeting are read back.
    Raises :class:`~kaltura_discord.meetings.kaltura_recordings.RecordingLookupFailed` when Kaltura did not answer."""
    recording = source().recording(entry_id)
    if recording is None or not recording.ready:
        return "ignored"
    owner = store().room_owner(recording.room_id) or source().room_owner(recording.room_id)
    if owner is None:
        return "ignored"
    meeting = repository().find(owner.guild_id, owner.meeting_id)
    if meeting is None or meeting.room_id != recording.room_id:
        return "ignored"
    return post_recording(get_config(meeting.guild_id), meeting, recording, discord, deadline=deadline)


# ---- way 2: the poll after the end -------------------------------------------------------------------------


def poll_job(meeting: Meeting, attempt: int) -> tuple[str, float, Job]:
    """The schedule name, time and job of one poll attempt (its ledger key names the attempt, so each acts once)."""
    from kaltura_discord.scheduler import schedule_name

    at = float(meeting.ended_at or time.time()) + POLL_MINUTES[attempt] * 60
    key = f"{meeting.guild_id}:{meeting.meeting_id}:{attempt}"
    job = Job.scheduled(
        RECORDING_POLL,
        key,
        at,
        guild_id=meeting.guild_id,
        channel_id=meeting.channel_id,
        payload={"meeting_id": meeting.meeting_id, "attempt": attempt},
    )
    return schedule_name("recording", meeting.guild_id, meeting.meeting_id, str(attempt)), at, job


def schedule_poll(meeting: Meeting, attempt: int = 0) -> bool:
    """Schedule one poll attempt; False (logged) when there is no such attempt or the scheduler failed."""
    if not meeting.room_id or not 0 <= attempt < len(POLL_MINUTES):
        return False
    from kaltura_discord.scheduler import get_scheduler

    name, at, job = poll_job(meeting, attempt)
    try:
        get_scheduler().schedule(name, at, job.to_dict())
    except Exception as exc:
        log.warning(
            "could not schedule the recording poll",
            extra={"meeting_id": meeting.meeting_id, "attempt": attempt, "error": str(exc)},
        )
        return False
    return True


def run_poll(job: Job, discord: DiscordRest) -> dict[str, Any] | None:
    """One poll attempt: post each READY recording of the room not posted yet; stop when there is one, else schedule
    the next attempt (also when Kaltura or Discord failed this time)."""
    from kaltura_discord.meetings.kaltura_recordings import RecordingLookupFailed

    guild_id = job.guild_id or ""
    attempt = int(job.payload.get("attempt", 0))
    meeting = repository().find(guild_id, str(job.payload.get("meeting_id", "")))
    if meeting is None or meeting.status != "ended" or not meeting.room_id:
        return None
    config = get_config(guild_id)
    if not config.notifications.recording_ready:
        return None
    context = {"meeting_id": meeting.meeting_id, "attempt": attempt}
    try:
        found = list(source().recordings_of(meeting.room_id))
    except RecordingLookupFailed as exc:
        log.warning("recording poll: Kaltura did not answer", extra={**context, "error": str(exc)})
        schedule_poll(meeting, attempt + 1)
        return None
    failure: BaseException | None = None
    for recording in found:
        try:
            post_recording(config, meeting, recording, discord, deadline=job.deadline)
        except Exception as exc:
            failure = exc
    if not found or failure is not None:
        schedule_poll(meeting, attempt + 1)
    if failure is not None:
        raise failure
    log.info("recording poll done", extra={**context, "recordings": len(found)})
    return None
