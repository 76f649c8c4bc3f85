"""What happens after a meeting ended, whichever way it ended (``/kaltura-end``, its End button, or
``DELETE /v1/meetings/{id}``): one call, :func:`after_end`, best effort, never failing the end itself.

- the room is remembered as this meeting's (:class:`~kaltura_discord.meetings.recordings.RecordingStore`), so a
  recording notification that names only the room finds the meeting even after the room was deleted;
- the attendance is given the ended meeting's retention;
- the recording poll is scheduled (when the server posts recordings: ``notifications.recording_ready``).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kaltura_discord.logs import get_logger

if TYPE_CHECKING:
    from kaltura_discord.config.model import GuildConfig
    from kaltura_discord.meetings.model import Meeting

log = get_logger(__name__)


def after_end(config: GuildConfig, meeting: Meeting) -> None:
    from kaltura_discord.bot import attendance, recordings

    if meeting.status != "ended":
        return
    context = {"meeting_id": meeting.meeting_id}
    try:
        recordings.store().remember_room(meeting)
    except Exception as exc:
        log.warning("could not remember the meeting's room", extra={**context, "error": str(exc)})
    try:
        attendance.store().retain_with(meeting)
    except Exception as exc:
        log.warning("could not keep the attendance with the meeting", extra={**context, "error": str(exc)})
    if config.notifications.recording_ready:
        recordings.schedule_poll(meeting, 0)
