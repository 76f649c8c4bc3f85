"""Rooms Kaltura made after its answer was lost, for starts made over the REST API.

When ``room_room.add`` gets no answer, the start is reported as failed and its record kept as ``failed``
(:meth:`MeetingService.start`); Kaltura may still make the room seconds later. The worker then looks for it and
removes it at once (``run_start``). A REST API request cannot wait that long within its 10 s, so it schedules a
job a minute later (``meeting_late_room``) that removes every room carrying the meeting's id except the one a
repeat of the request (its ``Idempotency-Key``, the same meeting id) went live with
(:meth:`MeetingService.remove_stray_rooms`). Each failure schedules its own job: a repeat that also loses its
answer gets one too.
"""

from __future__ import annotations

import time
from typing import Any

from kaltura_discord.bot.jobs import Job
from kaltura_discord.discord.rest import DiscordRest
from kaltura_discord.logs import get_logger
from kaltura_discord.meetings.model import Meeting

log = get_logger(__name__)

LATE_ROOM = "meeting_late_room"
DELAY_SECONDS = 60.0
"""EventBridge Scheduler's one-time schedules fire a minute ahead at the earliest (``EventBridgeScheduler``)."""


def late_room_job(meeting: Meeting, now: float) -> tuple[str, float, Job]:
    """The schedule name, time and job removing the late rooms of ``meeting`` after a failure at ``now`` (its
    ledger key and name: the meeting and that moment, so a later failure of a repeat is not taken for this one)."""
    from kaltura_discord.scheduler import schedule_name

    at = now + DELAY_SECONDS
    failed_at = f"{now:.3f}"
    job = Job.scheduled(
        LATE_ROOM,
        f"{meeting.guild_id}:{meeting.meeting_id}:{failed_at}",
        at,
        guild_id=meeting.guild_id,
        payload={"meeting_id": meeting.meeting_id},
    )
    return schedule_name("late-room", meeting.guild_id, meeting.meeting_id, failed_at), at, job


def schedule_removal(meeting: Meeting) -> bool:
    """Schedule the removal; False (logged: the room may be left on the account) when the scheduler failed."""
    from kaltura_discord.scheduler import get_scheduler

    name, at, job = late_room_job(meeting, time.time())
    try:
        get_scheduler().schedule(name, at, job.to_dict())
    except Exception as exc:
        log.error(
            "could not schedule the removal of a late room; look for a room with this referenceId",
            extra={"meeting_id": meeting.meeting_id, "error_type": type(exc).__name__},
        )
        return False
    return True


def run_late_room(job: Job, discord: DiscordRest) -> dict[str, Any] | None:
    """Remove the rooms a lost answer left; nothing to answer (a scheduled job has no token). Kaltura failing
    fails the job, which the failure queue keeps."""
    from kaltura_discord.bot.meetings import service

    service().remove_stray_rooms(job.guild_id or "", str(job.payload.get("meeting_id", "")))
    return None
