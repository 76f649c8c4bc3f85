"""What ``/v1`` accepts and answers. Field names are part of the contract: within v1 they only ever get added."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from kaltura_discord.auth.records import TokenRecord
from kaltura_discord.meetings.model import DESCRIPTION_MAX, TITLE_MAX, TITLE_MIN, Meeting

SEMVER = "1.2.0"
MeetingType = Literal["meeting", "webinar", "classroom"]


def _unicode_text(value: str) -> str:
    """Lone surrogates cannot be stored or sent on: refuse them here, as bad input (422), not later as a 5xx."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text") from None
    return value


Text = Annotated[str, AfterValidator(_unicode_text)]


class _Response(BaseModel):
    """Built on first use, not at import: the cold start pays only for the responses its first request sends."""

    model_config = ConfigDict(defer_build=True)


class _Versioned(_Response):
    version: str = Field(description="Semantic version of the API that answered.", examples=[SEMVER])


class Host(_Response):
    id: str = Field(description="The host's Discord user id.")
    name: str = Field(description="The host's display name when the meeting started.")


class MeetingView(_Response):
    id: str = Field(description="The meeting's id in this server (what /kaltura-join accepts too).")
    short_id: str = Field(description="The first characters of the id, as Discord shows them.")
    title: str
    type: MeetingType
    description: str
    status: Literal["active", "ended", "scheduled", "cancelled"] = Field(
        description="`scheduled` (not started yet) and `cancelled` (ended before it started) since 1.2.0."
    )
    host: Host
    created_at: dt.datetime
    ended_at: dt.datetime | None
    ended_by: str | None = Field(description="Discord user id of whoever ended (or cancelled) it.")
    scheduled_start: dt.datetime | None = Field(
        default=None, description="For a scheduled meeting: when it starts (or started). Added in 1.2.0."
    )
    scheduled_end: dt.datetime | None = Field(default=None, description="For a scheduled meeting: when it ends.")
    event_url: str | None = Field(
        default=None, description="For a scheduled meeting: its Discord event. Added in 1.2.0."
    )

    @classmethod
    def of(cls, meeting: Meeting) -> MeetingView:
        return cls(
            id=meeting.meeting_id,
            short_id=meeting.short_id,
            title=meeting.title,
            type=meeting.type,
            description=meeting.description,
            status=meeting.status if meeting.status in ("ended", "scheduled", "cancelled") else "active",
            host=Host(id=meeting.host_id, name=meeting.host_name),
            created_at=dt.datetime.fromtimestamp(meeting.created_at, tz=dt.UTC),
            ended_at=dt.datetime.fromtimestamp(meeting.ended_at, tz=dt.UTC) if meeting.ended_at else None,
            ended_by=meeting.ended_by,
            scheduled_start=_time(meeting.scheduled_start),
            scheduled_end=_time(meeting.scheduled_end),
            event_url=f"https://discord.com/events/{meeting.guild_id}/{meeting.event_id}" if meeting.event_id else None,
        )


def _time(epoch: int | None) -> dt.datetime | None:
    return dt.datetime.fromtimestamp(epoch, tz=dt.UTC) if epoch is not None else None


class MeetingResponse(_Versioned):
    data: MeetingView


class MeetingPage(_Response):
    items: list[MeetingView] = Field(description="Newest first.")
    page: int = Field(description="This page's number, from 1.")
    page_size: int
    total: int = Field(description="Meetings matching the filter, on every page.")
    next_page: int | None = Field(description="The next page's number, or null on the last page.")
    next_cursor: str | None = Field(
        default=None,
        description="For `status=active`: pass it as `cursor` for the next page (one read of the live index per "
        "page, however long the server's history); null on the last page. Added in 1.1.0.",
    )


class MeetingPageResponse(_Versioned):
    data: MeetingPage


class CreateMeeting(BaseModel):
    model_config = ConfigDict(extra="forbid")

    type: MeetingType = Field(description="Which template room (if configured) the room copies.")
    title: Text = Field(
        min_length=TITLE_MIN,
        max_length=TITLE_MAX,
        description=f"{TITLE_MIN}-{TITLE_MAX} characters once runs of whitespace are collapsed.",
    )
    description: Text = Field(default="", max_length=DESCRIPTION_MAX)
    scheduled_start: dt.datetime | None = Field(
        default=None,
        description="Schedule it instead of starting it now: when it starts (with its offset), at least a minute "
        "ahead and at most a year. It gets a Discord event, a reminder and starts by itself. Added in 1.2.0.",
    )
    duration_minutes: int | None = Field(
        default=None, ge=5, le=1440, description="With `scheduled_start`: how long it lasts (default 60)."
    )


class JoinLink(_Response):
    url: str = Field(description="Open it once, within a few minutes: it signs the token's owner in to the meeting.")
    expires_at: dt.datetime
    meeting: MeetingView


class JoinLinkResponse(_Versioned):
    data: JoinLink


class Health(_Response):
    status: Literal["ok"]
    service_version: str = Field(description="The deployed kaltura-discord release.")


class HealthResponse(_Versioned):
    data: Health


class ConfigView(_Response):
    config_version: int = Field(description="Changes with every change; send it back in If-Match to update safely.")
    overrides: dict[str, Any] = Field(description="What this server changed from the defaults.")
    effective: dict[str, Any] = Field(description="The configuration in force: defaults merged with the overrides.")


class ConfigResponse(_Versioned):
    data: ConfigView


class TokenView(_Response):
    """What the API says about a token: never the token itself."""

    id: str = Field(description="The token's `jti`.")
    short_id: str = Field(description="The first characters of the id, as `/kaltura-token list` shows them.")
    scopes: list[str]
    member_id: str = Field(description="Discord user id of the member who minted it, whom it acts as.")
    issued_at: dt.datetime
    expires_at: dt.datetime
    revoked_at: dt.datetime | None = Field(description="When it was revoked; null while it works.")

    @classmethod
    def of(cls, record: TokenRecord) -> TokenView:
        def moment(seconds: int) -> dt.datetime:
            return dt.datetime.fromtimestamp(seconds, tz=dt.UTC)

        return cls(
            id=record.token_id,
            short_id=record.short_id,
            scopes=list(record.scopes),
            member_id=record.user_id,
            issued_at=moment(record.issued_at),
            expires_at=moment(record.expires_at),
            revoked_at=moment(record.revoked_at) if record.revoked_at is not None else None,
        )


class TokenResponse(_Versioned):
    data: TokenView
