"""Discord's REST API, for the calls this project makes after answering: webhook edits, follow-ups and
channel messages; and, for the REST API, a member's standing in a server (member, roles, owner). 429s are waited
out within the caller's deadline (or the current request's, when it is sooner: :func:`.deadline.wall_clock`), 404s
are never retried, and every request's timeout fits the time left before that deadline.

Side effects happen once. Edits and deletes are idempotent, so they are repeated freely. A channel message carries
a ``nonce`` with ``enforce_nonce`` (Discord returns the first message instead of creating another for the same
nonce within a few minutes), so it is repeated freely too. A webhook follow-up has no such guard: it is repeated
only when Discord provably did not act on it (the connection failed before sending, a 429, or a 502/503/504 from
its gateway), never after an answer was lost.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kaltura_discord import deadline as deadlines
from kaltura_discord import settings
from kaltura_discord.http import create_client

if TYPE_CHECKING:
    import httpx

MAX_SERVER_ERROR_RETRIES = 3
READ_TIMEOUT_SECONDS = 8.0
NOT_PROCESSED_STATUSES = frozenset({429, 502, 503, 504})
NONCE_LENGTH = 25


class DiscordError(Exception):
    """The one error type of the Discord REST boundary."""

    def __init__(self, message: str, status: int = 0, code: int | None = None, *, maybe_acted: bool = False) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.maybe_acted = maybe_acted
        """Discord may have carried the request out: it was sent and no answer came, or a 500 came back (a 4xx,
        a 429 and the gateway's 502/503/504 prove it did not; a connection never made proves it did not)."""

    @property
    def not_found(self) -> bool:
        return self.status == 404


class DiscordRest:
    def __init__(
        self,
        base_url: str,
        application_id: str,
        *,
        bot_token: Callable[[], str | None] | None = None,
        client: httpx.Client | None = None,
        sleep: Callable[[float], None] = time.sleep,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._base_url = base_url.rstrip("/")
        self._application_id = application_id
        self._bot_token = bot_token or (lambda: None)
        self._client = client or create_client(read_timeout=READ_TIMEOUT_SECONDS)
        self._sleep = sleep
        self._clock = clock

    def close(self) -> None:
        self._client.close()

    def edit_original(self, token: str, body: dict[str, Any], deadline: float | None = None) -> dict[str, Any]:
        path = f"/webhooks/{self._application_id}/{token}/messages/@original"
        return self._request("PATCH", path, body, deadline=deadline)

    def delete_original(self, token: str, deadline: float | None = None) -> None:
        self._request("DELETE", f"/webhooks/{self._application_id}/{token}/messages/@original", None, deadline=deadline)

    def followup(self, token: str, body: dict[str, Any], deadline: float | None = None) -> dict[str, Any]:
        path = f"/webhooks/{self._application_id}/{token}"
        return self._request("POST", path, body, deadline=deadline, idempotent=False)

    def create_message(
        self, channel_id: str, body: dict[str, Any], deadline: float | None = None, *, nonce: str | None = None
    ) -> dict[str, Any]:
        """A channel message; with ``nonce`` (see :func:`nonce_for`) a repeated request cannot post it twice."""
        if nonce is not None:
            body = {**body, "nonce": nonce[:NONCE_LENGTH], "enforce_nonce": True}
        path = f"/channels/{channel_id}/messages"
        return self._request("POST", path, body, deadline=deadline, bot=True, idempotent=nonce is not None)

    def get_channel(self, channel_id: str, deadline: float | None = None) -> dict[str, Any]:
        return self._request("GET", f"/channels/{channel_id}", None, deadline=deadline, bot=True)

    def edit_message(
        self, channel_id: str, message_id: str, body: dict[str, Any], deadline: float | None = None
    ) -> dict[str, Any]:
        path = f"/channels/{channel_id}/messages/{message_id}"
        return self._request("PATCH", path, body, deadline=deadline, bot=True)

    def get_guild(self, guild_id: str, deadline: float | None = None) -> dict[str, Any]:
        """The server (``GuildWithCountsResponse``): its ``owner_id`` is what permissions need from it."""
        return self._request("GET", f"/guilds/{guild_id}", None, deadline=deadline, bot=True)

    def get_guild_member(self, guild_id: str, user_id: str, deadline: float | None = None) -> dict[str, Any]:
        """One member (``GuildMemberResponse``); 404 with code 10007 when the user is not a member."""
        return self._request("GET", f"/guilds/{guild_id}/members/{user_id}", None, deadline=deadline, bot=True)

    def get_guild_roles(self, guild_id: str, deadline: float | None = None) -> list[dict[str, Any]]:
        """Every role of the server (``GuildRoleResponse``), @everyone included (its id is the server's)."""
        value = self._request_value("GET", f"/guilds/{guild_id}/roles", None, deadline=deadline, bot=True)
        return [role for role in value if isinstance(role, dict)] if isinstance(value, list) else []

    # -- Guild Scheduled Events (docs/guild-scheduled-event.mdx; the bot needs CREATE_EVENTS / MANAGE_EVENTS) --

    def create_scheduled_event(
        self, guild_id: str, body: dict[str, Any], deadline: float | None = None
    ) -> dict[str, Any]:
        """``POST /guilds/{guild}/scheduled-events`` (``ExternalScheduledEventCreateRequest``). Not idempotent:
        Discord has no nonce here, so it is repeated only when Discord provably did not act; after a lost answer
        the caller looks for the event it may have made (:meth:`list_scheduled_events`)."""
        path = f"/guilds/{guild_id}/scheduled-events"
        return self._request("POST", path, body, deadline=deadline, bot=True, idempotent=False)

    def list_scheduled_events(self, guild_id: str, deadline: float | None = None) -> list[dict[str, Any]]:
        """The server's scheduled and active events (completed and cancelled ones are not listed)."""
        value = self._request_value("GET", f"/guilds/{guild_id}/scheduled-events", None, deadline=deadline, bot=True)
        return [event for event in value if isinstance(event, dict)] if isinstance(value, list) else []

    def get_scheduled_event(self, guild_id: str, event_id: str, deadline: float | None = None) -> dict[str, Any]:
        """One event; 404 Unknown Guild Scheduled Event (10070) once it was deleted."""
        path = f"/guilds/{guild_id}/scheduled-events/{event_id}"
        return self._request("GET", path, None, deadline=deadline, bot=True)

    def modify_scheduled_event(
        self, guild_id: str, event_id: str, body: dict[str, Any], deadline: float | None = None
    ) -> dict[str, Any]:
        """``PATCH`` (``ExternalScheduledEventPatchRequestPartial``): setting a status is idempotent."""
        path = f"/guilds/{guild_id}/scheduled-events/{event_id}"
        return self._request("PATCH", path, body, deadline=deadline, bot=True)

    def delete_scheduled_event(self, guild_id: str, event_id: str, deadline: float | None = None) -> None:
        path = f"/guilds/{guild_id}/scheduled-events/{event_id}"
        self._request("DELETE", path, None, deadline=deadline, bot=True)

    def _headers(self, bot: bool) -> dict[str, str]:
        headers = {"Content-Type": "application/json"}
        if bot:
            token = self._bot_token()
            if not token:
                raise DiscordError("no bot token is configured (DISCORD_BOT_TOKEN)")
            headers["Authorization"] = f"Bot {token}"
        return headers

    def _request(
        self,
        method: str,
        path: str,
        body: Any,
        *,
        deadline: float | None = None,
        bot: bool = False,
        idempotent: bool = True,
    ) -> dict[str, Any]:
        value = self._request_value(method, path, body, deadline=deadline, bot=bot, idempotent=idempotent)
        return value if isinstance(value, dict) else {}

    def _request_value(
        self,
        method: str,
        path: str,
        body: Any,
        *,
        deadline: float | None = None,
        bot: bool = False,
        idempotent: bool = True,
    ) -> Any:
        """The decoded JSON answer (an object, or a list for list routes); DiscordError for anything else."""
        import httpx

        # The caller's deadline, shortened to the request's (a REST API request's 10 s) when one is set.
        bounded = deadlines.wall_clock(deadline, clock=self._clock)
        deadline = bounded if bounded is not None else self._clock() + 60.0
        payload = b"" if body is None else json.dumps(body).encode()
        server_errors = 0
        while True:
            left = deadline - self._clock()
            if left <= 0.05:
                raise DiscordError("no time left before the request's deadline")
            connect = min(3.0, left / 3)  # a slow connect and a hung read together still end by the deadline
            timeout = httpx.Timeout(min(READ_TIMEOUT_SECONDS, left - connect), connect=connect)
            try:
                response = self._client.request(
                    method, self._base_url + path, content=payload, headers=self._headers(bot), timeout=timeout
                )
            except httpx.HTTPError as exc:
                server_errors += 1
                never_sent = isinstance(exc, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout))
                if (
                    not (idempotent or never_sent)
                    or server_errors > MAX_SERVER_ERROR_RETRIES
                    or not self._wait(2.0**server_errors / 4, deadline)
                ):
                    raise DiscordError(
                        f"Discord could not be reached ({type(exc).__name__})", maybe_acted=not never_sent
                    ) from None
                continue
            status = response.status_code
            if status < 300:
                return _json_value(response)
            if status == 429:
                if self._wait(_retry_after(response), deadline):
                    continue
                raise DiscordError("Discord kept rate limiting the request until its deadline", status)
            if status >= 500 and (idempotent or status in NOT_PROCESSED_STATUSES):
                server_errors += 1
                if server_errors <= MAX_SERVER_ERROR_RETRIES and self._wait(2.0**server_errors / 4, deadline):
                    continue
            error = _json_object(response)
            code = error.get("code")
            raise DiscordError(
                f"Discord answered {status}: {error.get('message', response.reason_phrase)}",
                status,
                code if isinstance(code, int) else None,
                maybe_acted=status >= 500 and status not in NOT_PROCESSED_STATUSES,
            )

    def _wait(self, seconds: float, deadline: float) -> bool:
        delay = max(0.0, seconds) + random.uniform(0, 0.05)
        if self._clock() + delay > deadline:
            return False
        self._sleep(delay)
        return True


def nonce_for(*parts: str) -> str:
    """A message nonce (at most 25 characters) that is the same for the same effect of the same job."""
    import hashlib

    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:NONCE_LENGTH]


def _retry_after(response: httpx.Response) -> float:
    body = _json_object(response)
    value = body.get("retry_after")
    if isinstance(value, int | float):
        return float(value)
    for header in ("retry-after", "x-ratelimit-reset-after"):
        try:
            return float(response.headers[header])
        except (KeyError, ValueError):
            continue
    return 1.0


def _json_value(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return {}


def _json_object(response: httpx.Response) -> dict[str, Any]:
    value = _json_value(response)
    return value if isinstance(value, dict) else {}


_default: DiscordRest | None = None


def get_rest() -> DiscordRest:
    """The container's client, created on first use."""
    global _default  # noqa: PLW0603 - one client per container
    if _default is None:
        _default = DiscordRest(
            settings.discord_api_base_url(),
            settings.required("DISCORD_APPLICATION_ID"),
            bot_token=lambda: settings.secrets.get("DISCORD_BOT_TOKEN"),
        )
    return _default


def reset_rest() -> None:
    """Close and forget the container's client (tests that start a new stand-in)."""
    global _default  # noqa: PLW0603
    if _default is not None:
        _default.close()
    _default = None
