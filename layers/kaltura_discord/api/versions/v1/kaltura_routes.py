"""``/v1`` routes of recordings and attendance: Kaltura's HTTP notifications and a meeting's attendance.

``POST /v1/kaltura/notifications`` is called by Kaltura, not by people: it takes no API token. It is authenticated
by ``X-KALTURA-SIGNATURE`` (the hex SHA-256 of the notification secret followed by the raw body, as Kaltura's
dispatcher computes it: :mod:`kaltura_discord.kaltura.notifications`), compared in constant time before anything
else is read; a missing or wrong signature is 401 and nothing is done. A notification with the same body as one
already handled is answered from its record (Kaltura sends again until it gets a 200); a Kaltura or Discord
failure answers 503 so that it does.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Header, Request
from fastapi.responses import JSONResponse
from pydantic import Field

from kaltura_discord.api.backends import backends
from kaltura_discord.api.errors import ERROR_SCHEMA_REF, RETRY_AFTER_SECONDS, ApiError
from kaltura_discord.api.limits import keeping, request_wall_deadline
from kaltura_discord.api.security import Reader
from kaltura_discord.api.versions.v1.routes import VERSION, MeetingId, _allowed, _errors, _guild_config, _member, _ok
from kaltura_discord.api.versions.v1.schemas import SEMVER, _Response, _Versioned
from kaltura_discord.logs import get_logger

if TYPE_CHECKING:
    from kaltura_discord.meetings.attendance import Attendee

log = get_logger(__name__)

Outcome = Literal["posted", "duplicate", "off", "no_channel", "ignored"]


class NotificationReceipt(_Response):
    outcome: Outcome = Field(
        description="`posted`: the recording's message was posted; `duplicate`: it was posted before (or this "
        "notification was handled before); `off`: the server turned `notifications.recording_ready` off; "
        "`no_channel`: the meeting has no channel to post in; `ignored`: the entry is not a ready recording of a "
        "meeting of this deployment."
    )
    entry_id: str | None = Field(description="The entry the notification named.")


class NotificationReceiptResponse(_Versioned):
    data: NotificationReceipt


class AttendeeView(_Response):
    user_id: str = Field(description="The member's Discord user id.")
    display_name: str = Field(description="Their display name when they joined.")
    role: Literal["viewer", "moderator", "admin"] = Field(description="The Kaltura role they joined with.")
    host: bool = Field(description="They host the meeting.")
    moderator: bool = Field(description="They joined as a moderator (the host, or a Kaltura moderator or admin).")
    first_opened_at: dt.datetime = Field(description="When they first opened a join link to this meeting.")
    last_opened_at: dt.datetime = Field(description="When they last did.")
    opens: int = Field(description="How many join links they opened.")

    @classmethod
    def of(cls, attendee: Attendee) -> AttendeeView:
        def moment(seconds: int) -> dt.datetime:
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)

        role: Any = attendee.role if attendee.role in ("viewer", "moderator", "admin") else "viewer"
        return cls(
            user_id=attendee.user_id,
            display_name=attendee.display_name,
            role=role,
            host=attendee.host,
            moderator=attendee.moderates,
            first_opened_at=moment(attendee.first_open),
            last_opened_at=moment(attendee.last_open),
            opens=attendee.opens,
        )


class AttendanceView(_Response):
    meeting_id: str
    count: int = Field(description="How many distinct members opened a join link.")
    attendees: list[AttendeeView] = Field(description="In the order they first joined.")


class AttendanceResponse(_Versioned):
    data: AttendanceView


_ERROR = {"application/json": {"schema": {"$ref": ERROR_SCHEMA_REF}}}
_NOTIFICATION_REFUSALS: dict[int | str, dict[str, Any]] = {
    401: {"description": "`X-KALTURA-SIGNATURE` is missing or wrong (`invalid_signature`).", "content": _ERROR},
    422: {
        "description": "Signed, but not a notification this deployment reads (`invalid_notification`).",
        "content": _ERROR,
    },
    503: {
        "description": "Kaltura, the storage or Discord did not answer (`backend_unavailable`, "
        "`service_unavailable`, `discord_unavailable`): Kaltura sends the notification again.",
        "content": _ERROR,
    },
}


def notification_secret() -> str:
    """``KALTURA_NOTIFICATION_SECRET``, or the admin secret when it is not set (Kaltura signs with the account's
    admin secret: docs/kaltura.md)."""
    from kaltura_discord import settings

    return settings.secrets.get("KALTURA_NOTIFICATION_SECRET") or settings.secrets.require("KALTURA_ADMIN_SECRET")


@VERSION.post(
    "/kaltura/notifications",
    tags=["kaltura"],
    summary="A Kaltura HTTP event notification; needs no token (signed with X-KALTURA-SIGNATURE)",
    description="Set up on the Kaltura account by `scripts/setup_kaltura_notifications.py`: Kaltura POSTs here when "
    "an entry becomes READY. When it is a recording of a meeting's room, the meeting's channel gets the "
    "recording's link, once. The body is what Kaltura sends: form fields (`entry_id`, `entry_status`, ...) or a "
    "`KalturaHttpNotification` (as JSON, or in a form field `data`); only the entry id is used, and the entry is "
    "read back from Kaltura. The signature is checked before anything else: a missing or wrong one is 401 and "
    "nothing is done. A repeated notification changes nothing. Added in 1.2.0.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/x-www-form-urlencoded": {
                    "schema": {
                        "type": "object",
                        "properties": {
                            "entry_id": {"type": "string"},
                            "entry_status": {"type": "string"},
                            "entry_name": {"type": "string"},
                        },
                    }
                },
                "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            },
        }
    },
    responses={
        200: VERSION.body(NotificationReceiptResponse, "Handled (whatever the outcome)."),
        **_NOTIFICATION_REFUSALS,
    },
)
async def kaltura_notification(
    request: Request,
    x_kaltura_signature: Annotated[
        str | None, Header(max_length=256, description="Hex hash of the secret followed by the raw body.")
    ] = None,
    x_kaltura_hash_algo: Annotated[
        str | None, Header(max_length=16, description="`sha256` (what the set-up asks for) or `sha512`.")
    ] = None,
) -> JSONResponse:
    from kaltura_discord.bot import recordings
    from kaltura_discord.kaltura import notifications
    from kaltura_discord.meetings.kaltura_recordings import RecordingLookupFailed
    from kaltura_discord.meetings.recordings import notification_digest

    body = await request.body()
    if not notifications.verify(notification_secret(), body, x_kaltura_signature, x_kaltura_hash_algo):
        log.warning("Kaltura notification refused: bad signature", extra={"bytes": len(body)})
        raise ApiError(401, "invalid_signature", "The X-KALTURA-SIGNATURE header is missing or wrong.")
    try:
        event = notifications.parse(body, request.headers.get("content-type"))
    except notifications.InvalidNotification as exc:
        raise ApiError(422, "invalid_notification", f"Not a notification this deployment reads: {exc}.") from None
    digest = notification_digest(body)
    store = recordings.store()
    seen = store.notification_seen(digest)
    if seen is not None:
        receipt = NotificationReceipt(outcome="duplicate", entry_id=event.entry_id)
        return _ok(NotificationReceiptResponse(version=SEMVER, data=receipt))
    from kaltura_discord.discord.rest import DiscordError, get_rest

    try:
        with keeping():  # the notification's record is written after it
            outcome = recordings.handle_notified_entry(event.entry_id, get_rest(), deadline=request_wall_deadline())
    except RecordingLookupFailed:
        raise ApiError(
            503, "backend_unavailable", "Kaltura did not answer.", headers={"Retry-After": RETRY_AFTER_SECONDS}
        ) from None
    except DiscordError:
        raise ApiError(
            503, "discord_unavailable", "Discord did not answer.", headers={"Retry-After": RETRY_AFTER_SECONDS}
        ) from None
    store.remember_notification(digest, outcome)
    log.info("Kaltura notification handled", extra={"entry_id": event.entry_id, "outcome": outcome})
    receipt = NotificationReceipt(outcome=outcome, entry_id=event.entry_id)
    return _ok(NotificationReceiptResponse(version=SEMVER, data=receipt))


@VERSION.get(
    "/meetings/{meeting_id}/attendance",
    tags=["meetings"],
    summary="Who joined a meeting (scope meetings:read; its host, or a Kaltura moderator or admin)",
    description="The distinct members who opened a join link to the meeting, with their first and last open and "
    "the role they joined with, while the meeting is live and for as long as it is kept after it ended. Only the "
    "meeting's host and members whose Kaltura role on the server is moderator or admin may read it (as in "
    "Discord, where the ended meeting's Attendance button answers them only); others get 403 `forbidden`. Added "
    "in 1.2.0.",
    responses={200: VERSION.body(AttendanceResponse, "The meeting's attendance."), **_errors(401, 403, 404, 422, 503)},
)
async def get_attendance(claims: Reader, meeting_id: MeetingId) -> JSONResponse:
    from kaltura_discord.bot import attendance
    from kaltura_discord.meetings.service import MeetingService

    config = _guild_config(claims)
    _allowed(config, claims, "kaltura-list")
    meeting = backends().meetings.get(claims.guild_id, meeting_id)
    if not MeetingService.is_moderator(meeting, _member(config, claims)):
        raise ApiError(403, "forbidden", attendance.NOT_ALLOWED)
    attendees = attendance.store().attendees(meeting)
    view = AttendanceView(
        meeting_id=meeting.meeting_id, count=len(attendees), attendees=[AttendeeView.of(a) for a in attendees]
    )
    return _ok(AttendanceResponse(version=SEMVER, data=view))
