"""The ``/v1`` routes: thin adapters from HTTP to the meetings domain and the guild configuration.

Every route acts on the token's guild only, so nothing here takes a guild id. Meeting routes also follow the
guild's switches for the matching slash command (``commands.kaltura-start`` and so on): a server that turned
``/kaltura-start`` off, or limited it to roles, gets the same answer over HTTP.

Routes are ``async def`` although they call blocking clients (DynamoDB, Kaltura): a Lambda container serves one
request at a time, and Mangum runs each one in a new pass of the event loop, where anyio cannot keep its worker
threads; a sync route would start a thread per request (about 1.5 ms of a warm request's 2 ms).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any, Literal

from fastapi import Body, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse, RedirectResponse, Response
from pydantic import BaseModel

from kaltura_discord import __version__
from kaltura_discord.api.backends import backends
from kaltura_discord.api.errors import ERROR_SCHEMA_REF, ApiError, to_api_error
from kaltura_discord.api.idempotency import key_hash
from kaltura_discord.api.pages import refusal_page, wants_html
from kaltura_discord.api.routing import ApiVersion
from kaltura_discord.api.security import ConfigAdmin, Reader, Writer, authenticated
from kaltura_discord.api.versions.v1.schemas import (
    SEMVER,
    ConfigResponse,
    ConfigView,
    CreateMeeting,
    Health,
    HealthResponse,
    JoinLink,
    JoinLinkResponse,
    MeetingPage,
    MeetingPageResponse,
    MeetingResponse,
    MeetingView,
    TokenResponse,
    TokenView,
)
from kaltura_discord.auth.tokens import MAX_TOKEN_LENGTH, ApiClaims
from kaltura_discord.logs import get_logger
from kaltura_discord.meetings.model import MeetingError, MeetingRequest
from kaltura_discord.meetings.schedule import ScheduleRequest

if TYPE_CHECKING:
    from kaltura_discord.config.model import GuildConfig
    from kaltura_discord.meetings.service import Member

VERSION = ApiVersion(1, SEMVER)
log = get_logger(__name__)

MAX_PATCH_DEPTH = 8
_DESCRIPTIONS = {
    400: "The request could not be read (malformed JSON, a malformed header).",
    401: "No token, or one that is invalid, expired or revoked (`missing_token`, `invalid_token`, `token_expired`, "
    "`token_not_yet_valid`, `token_revoked`).",
    403: "The token lacks the scope (`insufficient_scope`), its member left the server or lost Manage Server "
    "(`not_a_member`, `missing_permission`), or the server's settings refuse it (`forbidden`, `command_disabled`, "
    "`tokens_disabled`).",
    404: "Not found in the token's server (`meeting_not_found`).",
    409: "Conflicts with the current state (`meeting_ended`, `meeting_not_started`, `request_in_progress`, "
    "`config_conflict`).",
    410: "The join link was used already (`join_link_used`).",
    412: "`If-Match` does not match the configuration's current version (`precondition_failed`).",
    429: "A server or member limit (`meetings.*` in the server's configuration) refuses it for now "
    "(`limit_reached`); `Retry-After` says when to try again.",
    422: "The request is well-formed but not valid (`validation_failed`, `invalid_meeting`, `invalid_config`, "
    "`idempotency_key_reused`).",
    503: "Kaltura, the storage or (for a write) Discord did not answer (`backend_unavailable`, "
    "`service_unavailable`, `discord_unavailable`); retry after `Retry-After` seconds.",
}
MeetingId = Annotated[str, Path(pattern=r"^[a-z2-7]{10}$", description="A meeting id, as listed by GET /v1/meetings.")]


def _links(source: str) -> dict[str, Any]:
    """OpenAPI links from a response carrying a meeting to what can be done with it next."""
    parameters = {"meeting_id": f"$response.body#{source}"}
    return {
        "GetMeeting": {"operationId": "v1_get_meeting", "parameters": parameters},
        "EndMeeting": {"operationId": "v1_end_meeting", "parameters": parameters},
        "JoinMeeting": {"operationId": "v1_create_join_link", "parameters": parameters},
    }


def _ok(body: BaseModel, status: int = 200, headers: dict[str, str] | None = None) -> JSONResponse:
    return JSONResponse(body.model_dump(mode="json"), status_code=status, headers=headers)


def _errors(*statuses: int) -> dict[int | str, dict[str, Any]]:
    schema = {"application/json": {"schema": {"$ref": ERROR_SCHEMA_REF}}}
    return {status: {"description": _DESCRIPTIONS[status], "content": schema} for status in statuses}


def _guild_config(claims: ApiClaims) -> GuildConfig:
    from kaltura_discord.config import get_config

    return get_config(claims.guild_id)


def _allowed(config: GuildConfig, claims: ApiClaims, command: str) -> None:
    policy = config.commands.policy(command)
    if not policy.enabled:
        raise ApiError(403, "command_disabled", f"/{command} is disabled on this server, and with it this route.")
    if not policy.allows(claims.role_ids):
        raise ApiError(
            403, "forbidden", f"/{command} is limited to certain roles on this server; the token's owner has none."
        )


def _member(config: GuildConfig, claims: ApiClaims) -> Member:
    from kaltura_discord.meetings.service import Member

    return Member(claims.user_id, claims.display_name, config.kaltura_role_for(claims.role_ids))


# ---- health ---------------------------------------------------------------------------------------------


@VERSION.get(
    "/health",
    tags=["health"],
    summary="Liveness; needs no token",
    responses={200: VERSION.body(HealthResponse, "The function is up.")},
)
async def health() -> JSONResponse:
    return _ok(HealthResponse(version=SEMVER, data=Health(status="ok", service_version=__version__)))


# ---- meetings -------------------------------------------------------------------------------------------


@VERSION.get(
    "/meetings",
    tags=["meetings"],
    summary="List the server's meetings (scope meetings:read)",
    responses={200: VERSION.body(MeetingPageResponse, "One page of meetings."), **_errors(401, 403, 422, 503)},
)
async def list_meetings(
    claims: Reader,
    status: Annotated[
        Literal["active", "ended", "scheduled", "all"],
        Query(description="Which meetings; `scheduled` (soonest first, since 1.2.0): not started yet."),
    ] = "active",
    page: Annotated[int, Query(ge=1, le=10_000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[
        str | None,
        Query(
            min_length=1,
            max_length=200,
            description="`next_cursor` of the previous page (status=active); takes the place of `page`.",
        ),
    ] = None,
) -> JSONResponse:
    _allowed(_guild_config(claims), claims, "kaltura-list")
    meetings = backends().meetings
    if status == "active":
        return _live_page(claims, page, page_size, cursor)
    repository = meetings.repository
    if status == "scheduled":
        found = meetings.upcoming(claims.guild_id, 100)
    elif status == "all":
        shown_statuses = ("active", "ended", "scheduled", "cancelled")
        found = [m for m in repository.list_guild(claims.guild_id, None) if m.status in shown_statuses]
    else:
        found = repository.list_guild(claims.guild_id, status)
    start = (page - 1) * page_size
    shown = found[start : start + page_size]
    next_page = page + 1 if start + page_size < len(found) else None
    data = MeetingPage(
        items=[MeetingView.of(m) for m in shown], page=page, page_size=page_size, total=len(found), next_page=next_page
    )
    return _ok(MeetingPageResponse(version=SEMVER, data=data))


def _live_page(claims: ApiClaims, page: int, page_size: int, cursor: str | None) -> JSONResponse:
    """Live meetings from the live index: with a cursor, one Query; with a page number, one Query per page up to it
    (the number of live meetings is bounded by the server's ``meetings.max_active``, not by its history)."""
    from kaltura_discord.meetings.repository import LivePage

    meetings = backends().meetings
    if cursor is not None:
        found = meetings.live_page(claims.guild_id, page_size, cursor)
    else:
        found = meetings.live_page(claims.guild_id, page_size)
        for _ in range(page - 1):
            if found.older is None:
                found = LivePage([], found.total, None, None)
                break
            found = meetings.live_page(claims.guild_id, page_size, found.older)
    data = MeetingPage(
        items=[MeetingView.of(m) for m in found.meetings],
        page=page,
        page_size=page_size,
        total=found.total,
        next_page=page + 1 if found.older else None,
        next_cursor=found.older,
    )
    return _ok(MeetingPageResponse(version=SEMVER, data=data))


@VERSION.get(
    "/meetings/{meeting_id}",
    tags=["meetings"],
    summary="One meeting (scope meetings:read)",
    responses={
        200: VERSION.body(MeetingResponse, "The meeting.", links=_links("/data/id")),
        **_errors(401, 403, 404, 422, 503),
    },
)
async def get_meeting(claims: Reader, meeting_id: MeetingId) -> JSONResponse:
    _allowed(_guild_config(claims), claims, "kaltura-list")
    meeting = backends().meetings.get(claims.guild_id, meeting_id)
    return _ok(MeetingResponse(version=SEMVER, data=MeetingView.of(meeting)))


def _fingerprint(body: CreateMeeting) -> str:
    # Fields left out (None) are left out of the fingerprint too: a body from before 1.2.0 keeps its fingerprint.
    dumped = body.model_dump(mode="json", exclude_none=True)
    return hashlib.sha256(json.dumps(dumped, sort_keys=True).encode()).hexdigest()


@VERSION.post(
    "/meetings",
    status_code=201,
    tags=["meetings"],
    summary="Start a meeting (scope meetings:write)",
    description="Send `Idempotency-Key` to make retries safe: a request repeated with the same key (and body) "
    "within 24 hours returns the first response, with `Idempotent-Replayed: true`, and creates one room.",
    responses={
        201: VERSION.body(
            MeetingResponse,
            "The meeting, started (or, for a repeated Idempotency-Key, the first response again).",
            headers={
                "Location": {"description": "The new meeting.", "schema": {"type": "string"}},
                "Idempotent-Replayed": {
                    "description": "`true` when this is the stored response of an earlier request with the key.",
                    "schema": {"type": "string"},
                },
            },
            links=_links("/data/id"),
        ),
        **_errors(400, 401, 403, 409, 422, 429, 503),
    },
)
async def create_meeting(
    claims: Writer,
    body: CreateMeeting,
    idempotency_key: Annotated[
        str | None,
        Header(
            min_length=1,
            max_length=255,
            pattern=r"^[\x21-\x7e]+$",
            description="Any unique string of visible ASCII (a UUID is a good choice).",
        ),
    ] = None,
) -> JSONResponse:
    config = _guild_config(claims)
    _allowed(config, claims, "kaltura-start" if body.scheduled_start is None else "kaltura-schedule")
    try:
        request: MeetingRequest | ScheduleRequest = MeetingRequest.parse(body.type, body.title, body.description)
        if body.scheduled_start is not None:
            request = _schedule_request(body)
        elif body.duration_minutes is not None:
            raise MeetingError("duration_minutes goes with scheduled_start (a meeting started now has no end).")
    except MeetingError as exc:
        raise ApiError(422, "invalid_meeting", str(exc)) from None
    if idempotency_key is None:
        return _start(claims, config, request, secrets.token_hex(16))
    return _start_once(claims, config, request, idempotency_key, _fingerprint(body))


def _schedule_request(body: CreateMeeting) -> ScheduleRequest:
    """A scheduled start, by the same rules as ``/kaltura-schedule`` (an offset, a minute to a year ahead)."""
    import time

    assert body.scheduled_start is not None
    if body.scheduled_start.tzinfo is None:
        raise MeetingError("scheduled_start needs its offset (such as +01:00 or Z): the API can't guess a time zone.")
    return ScheduleRequest.parse(
        body.type,
        body.title,
        body.scheduled_start.isoformat(),
        body.duration_minutes,
        body.description,
        now=time.time(),
    )


def _start_once(
    claims: ApiClaims,
    config: GuildConfig,
    request: MeetingRequest | ScheduleRequest,
    idempotency_key: str,
    fingerprint: str,
) -> JSONResponse:
    """The first request with a key starts the meeting and stores its response; repeats get that response."""
    store, key = backends().idempotency, key_hash(claims.user_id, idempotency_key)
    previous = store.begin(claims.guild_id, key, fingerprint)
    if previous is not None:
        if previous.fingerprint != fingerprint:
            raise ApiError(
                422, "idempotency_key_reused", "This Idempotency-Key was used for a different request; use a new key."
            )
        if previous.state == "in_progress" or previous.body is None:
            raise ApiError(
                409,
                "request_in_progress",
                "A request with this Idempotency-Key is still being handled; retry in a moment.",
                headers={"Retry-After": "1"},
            )
        replay = json.loads(previous.body)
        location = f"{VERSION.prefix}/meetings/{replay['data']['id']}"
        headers = {"Idempotent-Replayed": "true", "Location": location}
        return JSONResponse(replay, status_code=previous.status or 201, headers=headers)
    try:
        response = _start(claims, config, request, f"api:{claims.guild_id}:{key}")
    except BaseException:
        store.abandon(claims.guild_id, key)
        raise
    store.complete(claims.guild_id, key, response.status_code, bytes(response.body).decode())
    return response


def _announce(tell: Callable[[Any, Any], None]) -> None:
    """Meetings changed over HTTP are announced in Discord as they are from commands: the same notifications,
    and the meeting's message shows it ended. Discord being unreachable never fails the request."""
    try:
        from kaltura_discord.api.limits import keeping
        from kaltura_discord.bot import meetings as bot
        from kaltura_discord.discord.rest import get_rest

        with keeping():
            tell(bot, get_rest())
    except Exception as exc:
        log.warning("could not tell Discord about a meeting change", extra={"error": str(exc)})


def _start(
    claims: ApiClaims, config: GuildConfig, request: MeetingRequest | ScheduleRequest, request_id: str
) -> JSONResponse:
    """The request id makes MeetingService.start idempotent: the same id never creates a second room."""
    from kaltura_discord.bot.meetings import limits_for
    from kaltura_discord.meetings.service import MeetingOutcomeUnknown

    if isinstance(request, ScheduleRequest):
        return _schedule(claims, config, request, request_id)
    template_room_id = getattr(config.kaltura.template_room_ids, request.type) or None
    try:
        meeting = backends().meetings.start(
            claims.guild_id,
            request_id,
            request,
            _member(config, claims),
            template_room_id=template_room_id,
            limits=limits_for(config),
            guild_locale=claims.guild_locale,
        )
    except MeetingOutcomeUnknown as exc:  # Kaltura may make the room late: it is looked for and removed later
        from kaltura_discord.bot.late_rooms import schedule_removal

        schedule_removal(exc.meeting)
        raise
    _announce(lambda bot, discord: bot.announce_started(config, meeting, claims.display_name, discord))
    location = f"{VERSION.prefix}/meetings/{meeting.meeting_id}"
    return _ok(MeetingResponse(version=SEMVER, data=MeetingView.of(meeting)), 201, {"Location": location})


def _schedule(claims: ApiClaims, config: GuildConfig, request: ScheduleRequest, request_id: str) -> JSONResponse:
    """A scheduled meeting, as ``/kaltura-schedule`` makes it: its Discord event and timers, or nothing."""
    from kaltura_discord.api.limits import keeping, request_wall_deadline
    from kaltura_discord.bot.schedule import schedule_meeting
    from kaltura_discord.discord.rest import get_rest

    # Within the request's deadline (RequestDeadline), its idempotency record's time kept: the DynamoDB and
    # Scheduler calls through the deadline scope, the Discord calls through the same bound on the wall clock.
    with keeping():
        meeting = schedule_meeting(
            config,
            claims.guild_id,
            request_id,
            request,
            _member(config, claims),
            discord=get_rest(),
            channel_id=None,
            deadline=request_wall_deadline(),
            meetings=backends().meetings,
            guild_locale=claims.guild_locale,
        )
    location = f"{VERSION.prefix}/meetings/{meeting.meeting_id}"
    return _ok(MeetingResponse(version=SEMVER, data=MeetingView.of(meeting)), 201, {"Location": location})


@VERSION.delete(
    "/meetings/{meeting_id}",
    tags=["meetings"],
    summary="End a meeting (scope meetings:write; its host, or a Kaltura moderator or admin)",
    responses={200: VERSION.body(MeetingResponse, "The ended meeting."), **_errors(401, 403, 404, 409, 422, 503)},
)
async def end_meeting(claims: Writer, meeting_id: MeetingId) -> JSONResponse:
    config = _guild_config(claims)
    _allowed(config, claims, "kaltura-end")
    meeting = backends().meetings.end(claims.guild_id, meeting_id, _member(config, claims), config.kaltura.end_action)
    if meeting.status == "cancelled":  # scheduled and not started: its event and timers are cancelled with it
        from kaltura_discord.api.limits import request_wall_deadline
        from kaltura_discord.bot.schedule import after_cancel

        _announce(lambda _bot, discord: after_cancel(meeting, discord, request_wall_deadline()))
        return _ok(MeetingResponse(version=SEMVER, data=MeetingView.of(meeting)))
    _announce(lambda bot, discord: bot.announce_ended(config, meeting, claims.display_name, discord))
    from kaltura_discord.bot.ended import after_end  # the room remembered, attendance kept, the recording poll

    after_end(config, meeting)
    return _ok(MeetingResponse(version=SEMVER, data=MeetingView.of(meeting)))


# ---- join links -----------------------------------------------------------------------------------------


def _public_base_url(request: Request) -> str:
    """Join links point at this deployment as API Gateway named it (``requestContext.domainName`` of the event),
    or at ``PUBLIC_BASE_URL``: never at the request's ``Host`` header, which a caller chooses."""
    from kaltura_discord import settings

    event = request.scope.get("aws.event") or {}
    domain = (event.get("requestContext") or {}).get("domainName")
    base = settings.public_base_url(domain if isinstance(domain, str) else None, settings.configured_public_base_url())
    if base is None:
        raise ApiError(503, "service_unavailable", "This deployment's public address is unknown (PUBLIC_BASE_URL).")
    return base


@VERSION.post(
    "/meetings/{meeting_id}/join",
    tags=["join"],
    summary="A personal, single-use join link for the token's owner (scope meetings:read)",
    description="The link is `/v1/join/{token}` on this deployment. It carries no Kaltura session: that is minted "
    "when the link is opened. It can be opened once, until `expires_at` (the server's "
    "`kaltura.join_link_ttl_seconds`).",
    responses={
        200: VERSION.body(JoinLinkResponse, "The link, valid for the server's join-link lifetime and one use."),
        **_errors(401, 403, 404, 409, 422, 503),
    },
)
async def create_join_link(claims: Reader, meeting_id: MeetingId, request: Request) -> JSONResponse:
    from kaltura_discord.auth.join_links import issue_join_link

    config = _guild_config(claims)
    _allowed(config, claims, "kaltura-join")
    meeting = backends().meetings.live(claims.guild_id, meeting_id)
    member = _member(config, claims)
    issued = issue_join_link(
        _public_base_url(request),
        guild_id=claims.guild_id,
        user_id=member.user_id,
        meeting_id=meeting.meeting_id,
        display_name=member.display_name,
        role=member.role,
        lifetime_seconds=config.kaltura.join_link_ttl_seconds,
    )
    expires_at = dt.datetime.fromtimestamp(issued.expires_at, tz=dt.UTC)
    link = JoinLink(url=issued.url, expires_at=expires_at, meeting=MeetingView.of(meeting))
    return _ok(JoinLinkResponse(version=SEMVER, data=link))


@VERSION.get(
    "/join/{token}",
    name="open_join_link",
    status_code=302,
    response_class=RedirectResponse,
    tags=["join"],
    summary="Open a join link: redirects once to the meeting, signing its owner in",
    description="No Authorization header: the path carries a join token. The meeting must still be live; the "
    "Kaltura session is minted now and expires within 60 seconds (Kaltura's KAF guide), with `actionslimit:-1`, "
    "the room, the person and their role. Opening the same link again is refused with 410. A browser "
    "(`Accept: text/html`) gets its refusals as a small HTML page saying what to do; API clients get the JSON "
    "error envelope. Nothing here is cached (`Cache-Control: no-store`).",
    responses={
        302: {
            "description": "To the meeting on Kaltura.",
            "headers": {"Location": {"description": "The Kaltura meeting URL.", "schema": {"type": "string"}}},
        },
        **_errors(401, 404, 409, 410, 422, 503),
    },
)
async def open_join_link(
    token: Annotated[str, Path(min_length=1, max_length=MAX_TOKEN_LENGTH)], request: Request
) -> Response:
    try:
        url = _open_join_link(token)
    except Exception as exc:
        if not wants_html(request.headers.get("accept")):
            raise
        return refusal_page(to_api_error(exc))
    return RedirectResponse(url, status_code=302, headers={"Referrer-Policy": "no-referrer"})


def _open_join_link(token: str) -> str:
    from kaltura_discord import settings
    from kaltura_discord.auth.tokens import verify_join_token
    from kaltura_discord.config import get_config
    from kaltura_discord.meetings.service import Member

    claims = verify_join_token(token)
    uses = backends().join_uses
    if not uses.claim(claims.token_id, claims.expires_at):
        raise ApiError(410, "join_link_used", "This join link was used already; ask for a new one.")
    try:
        config = get_config(claims.guild_id)
        member = Member(claims.user_id, claims.display_name, claims.role)
        joined, url = backends().meetings.join_url(
            claims.guild_id,
            claims.meeting_id,
            member,
            kaf_host=config.kaltura.kaf_host(settings.required("KALTURA_PARTNER_ID")),
        )
    except BaseException:
        # Nothing was handed out: the link stays usable (an outage, a settings read that failed...).
        uses.release(claims.token_id)
        raise
    from kaltura_discord.bot.attendance import record_open  # best effort: never costs the person their seat

    record_open(joined, claims.user_id, claims.display_name, claims.role)
    return url


# ---- tokens ---------------------------------------------------------------------------------------------


@VERSION.delete(
    "/tokens/self",
    tags=["tokens"],
    summary="Revoke the token that makes this request (any scope)",
    description="Gives the token back: from now on it is refused (`401 token_revoked`), here at once and in every "
    "other container of the API within 60 seconds. Needs no scope and no current membership, so a token whose "
    "member left the server can still be revoked. Added in 1.1.0.",
    responses={200: VERSION.body(TokenResponse, "The token, revoked."), **_errors(401, 503)},
)
async def revoke_own_token(claims: Annotated[ApiClaims, Depends(authenticated)]) -> JSONResponse:
    record = backends().tokens.revoke_own(claims)
    log.info("API token revoked by its holder", extra={"guild_id": claims.guild_id, "jti": claims.token_id})
    return _ok(TokenResponse(version=SEMVER, data=TokenView.of(record)))


# ---- configuration --------------------------------------------------------------------------------------

_ETAG = {"ETag": {"description": "The configuration's version, for If-Match.", "schema": {"type": "string"}}}


def _etag(version: int) -> str:
    return f'"{version}"'


def _config_response(version: int, overrides: dict[str, Any], config: GuildConfig) -> JSONResponse:
    view = ConfigView(
        config_version=version, overrides=overrides, effective=config.model_dump(mode="json", by_alias=True)
    )
    return _ok(ConfigResponse(version=SEMVER, data=view), headers={"ETag": _etag(version)})


@VERSION.get(
    "/config",
    tags=["config"],
    summary="The server's bot configuration (scope config:write)",
    responses={200: VERSION.body(ConfigResponse, "The configuration.", headers=_ETAG), **_errors(401, 403, 503)},
)
async def get_configuration(claims: ConfigAdmin) -> JSONResponse:
    from kaltura_discord.config import config_service

    loaded = config_service().load(claims.guild_id)
    return _config_response(loaded.version, loaded.overrides, loaded.config)


def _depth(value: Any, limit: int) -> bool:
    if limit < 0:
        return False
    if isinstance(value, dict):
        return all(_depth(item, limit - 1) for item in value.values())
    if isinstance(value, list):
        return all(_depth(item, limit - 1) for item in value)
    return True


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 on the overrides; groups left empty are dropped, as a reset leaves them."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
            continue
        merged = merge_patch(result.get(key), value)
        if isinstance(merged, dict) and not merged and isinstance(value, dict):
            result.pop(key, None)
        else:
            result[key] = merged
    return result


def _if_match(header: str, version: int) -> bool:
    tags = {tag.strip() for tag in header.split(",")}
    return bool(tags & {"*", _etag(version), str(version)})


@VERSION.patch(
    "/config",
    tags=["config"],
    summary="Change the server's bot configuration (scope config:write)",
    description="The body is a JSON merge patch (RFC 7396) of the server's overrides: a value sets that key, "
    "`null` returns it to the default. It is validated like `/kaltura-config set`, and written with an audit "
    "record. Send `If-Match` with the `ETag` from GET: when the configuration changed since, the answer is 412 "
    "and nothing is written. Without `If-Match` the patch is applied to whatever is current; if other writes keep "
    "winning the race, the answer is 409.",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {
                "application/merge-patch+json": {"schema": {"type": "object", "additionalProperties": True}},
                "application/json": {"schema": {"type": "object", "additionalProperties": True}},
            },
        }
    },
    responses={
        200: VERSION.body(ConfigResponse, "The configuration, changed.", headers=_ETAG),
        **_errors(400, 401, 403, 409, 412, 422, 503),
    },
)
async def patch_configuration(
    claims: ConfigAdmin,
    patch: Annotated[dict[str, Any], Body()],
    if_match: Annotated[str | None, Header(max_length=200, description='The ETag from GET, like "3".')] = None,
) -> JSONResponse:
    from kaltura_discord.config import ConfigConflict, config_service

    if not _depth(patch, MAX_PATCH_DEPTH):
        raise ApiError(422, "invalid_config", f"The patch is nested deeper than {MAX_PATCH_DEPTH} levels.")
    service = config_service()
    expected: int | None = None
    if if_match is not None and if_match.strip() != "*":
        _, current = service.get_overrides(claims.guild_id)
        if not _if_match(if_match, current):
            raise ApiError(
                412,
                "precondition_failed",
                "The configuration changed since you read it; nothing was saved. GET it again.",
                headers={"ETag": _etag(current)},
            )
        expected = current
    try:
        change = service.update(
            claims.guild_id,
            lambda overrides: merge_patch(overrides, patch),
            actor_id=claims.user_id,
            summary="PATCH /v1/config",
            expected_version=expected,
        )
    except ConfigConflict:
        if expected is None:
            raise
        raise ApiError(
            412, "precondition_failed", "The configuration changed while we wrote it; nothing was saved. GET it again."
        ) from None
    return _config_response(change.version, change.overrides, change.config)
