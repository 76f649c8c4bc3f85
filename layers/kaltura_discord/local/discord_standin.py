"""A small stand-in for Discord's REST API on loopback, recording every call.

It serves the routes this project calls, under any ``/api/vN`` prefix:

- ``PATCH /webhooks/{app}/{token}/messages/@original`` and ``.../messages/{id}``, ``POST /webhooks/{app}/{token}``
  (interaction follow-ups; no bot token needed, as on Discord);
- ``GET /channels/{id}`` (channels registered with :meth:`DiscordStandIn.add_channel`), ``POST
  /channels/{id}/messages`` and ``PATCH /channels/{id}/messages/{message}`` (bot token required);
- ``GET``/``PUT /applications/{app}/commands`` and ``/applications/{app}/guilds/{guild}/commands``
  (bot token required);
- ``GET``/``POST /guilds/{id}/scheduled-events`` and ``GET``/``PATCH``/``DELETE .../scheduled-events/{event}``
  (bot token required), with Discord's rules for EXTERNAL events (:mod:`.discord_scheduled_events`): bodies
  checked against its OpenAPI schemas, status transitions, the automatic start and end, 100 per server;
- ``GET /guilds/{id}``, ``GET /guilds/{id}/roles`` and ``GET /guilds/{id}/members/{user}`` (bot token required),
  shaped as Discord's ``GuildWithCountsResponse``, ``GuildRoleResponse`` and ``GuildMemberResponse``, for servers
  set up with :meth:`DiscordStandIn.set_guild`, :meth:`~DiscordStandIn.set_role` and
  :meth:`~DiscordStandIn.set_member`. An unknown server is 404 Unknown Guild (10004), a user who is not a member
  404 Unknown Member (10007), as on Discord.

Servers, roles and members can also be set and changed over HTTP, which is how tests of ``make run`` take a
permission away from someone (bodies are JSON; each answers 204, or 404 for an unknown server)::

    PUT    /_standin/guilds/{guild}                 {"owner_id": "...", "name": "...", "everyone_permissions": "0"}
    PUT    /_standin/guilds/{guild}/roles/{role}    {"permissions": "32", "name": "Admins"}
    DELETE /_standin/guilds/{guild}/roles/{role}
    PUT    /_standin/guilds/{guild}/members/{user}  {"roles": ["..."], "communication_disabled_until": null}
    DELETE /_standin/guilds/{guild}/members/{user}
    PUT    /_standin/guilds/{guild}/bot-permissions {"permissions": "0"}   (the bot's server-level bits)
    GET    /_standin/guilds/{guild}/scheduled-events                      (every event, whatever its status)

Tests read what arrived with :meth:`DiscordStandIn.calls` (or ``GET /_standin/calls``) and inject failures with
:meth:`DiscordStandIn.fail_next` (for example a 429 with ``retry_after``). Tokens passed to
:meth:`DiscordStandIn.expire_token` answer 404 Unknown Webhook, as Discord does after 15 minutes.
"""

from __future__ import annotations

import argparse
import itertools
import json
import re
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kaltura_discord.local.discord_scheduled_events import ScheduledEvents

_PREFIX = re.compile(r"^/api(?:/v\d+)?")
_WEBHOOK_ORIGINAL = re.compile(r"^/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>@original|\d+)$")
_WEBHOOK = re.compile(r"^/webhooks/(?P<app>\d+)/(?P<token>[^/]+)$")
_CHANNEL_MESSAGES = re.compile(r"^/channels/(?P<channel>\d+)/messages(?:/(?P<message>\d+))?$")
_CHANNEL = re.compile(r"^/channels/(?P<channel>\d+)$")
NONCE_WINDOW_SECONDS = 300.0
_COMMANDS = re.compile(r"^/applications/(?P<app>\d+)(?:/guilds/(?P<guild>\d+))?/commands$")
_SCHEDULED_EVENTS = re.compile(r"^/guilds/(?P<guild>\d+)/scheduled-events(?:/(?P<event>\d+))?$")
_CONTROL_EVENTS = re.compile(r"^/_standin/guilds/(?P<guild>\d+)/(?P<what>scheduled-events|bot-permissions)$")
_GUILD = re.compile(r"^/guilds/(?P<guild>\d+)(?:/(?P<what>roles|members/(?P<user>\d+)))?$")
_CONTROL_GUILD = re.compile(r"^/_standin/guilds/(?P<guild>\d+)(?:/(?P<kind>roles|members)/(?P<id>\d+))?$")
DEFAULT_EVERYONE_PERMISSIONS = str((1 << 6) | (1 << 10) | (1 << 11) | (1 << 14) | (1 << 15) | (1 << 16) | (1 << 31))
"""@everyone's bits in a new server here: read, write, react, attach, use commands; nothing that manages."""
UNKNOWN_GUILD = {"code": 10004, "message": "Unknown Guild"}
UNKNOWN_MEMBER = {"code": 10007, "message": "Unknown Member"}


def _without_localizations(value: Any) -> Any:
    """A command as Discord's GET returns it without ``with_localizations``: no localization dictionaries (the
    bot's requests carry no locale, so no ``name_localized`` either)."""
    if isinstance(value, list):
        return [_without_localizations(item) for item in value]
    if isinstance(value, dict):
        skipped = ("name_localizations", "description_localizations")
        return {key: _without_localizations(item) for key, item in value.items() if key not in skipped}
    return value


@dataclass
class RecordedCall:
    method: str
    path: str
    headers: dict[str, str]
    body: Any
    status: int

    def as_dict(self) -> dict[str, Any]:
        return {"method": self.method, "path": self.path, "body": self.body, "status": self.status}


@dataclass
class _Failure:
    pattern: re.Pattern[str]
    status: int
    body: Any
    headers: dict[str, str]
    remaining: int
    lose_answer: bool = False
    """Act on the request, then close the connection without answering (an answer that never came)."""
    hang: bool = False
    """Hold the request unanswered and not acted on until :meth:`DiscordStandIn.release` or the stand-in stops
    (a partition, a stuck connection: the client's timeout is the only way out)."""


@dataclass
class _Guild:
    owner_id: str
    name: str
    preferred_locale: str = "en-US"
    """The server's language (Community servers choose it; others have en-US)."""
    roles: dict[str, dict[str, Any]] = field(default_factory=dict)
    members: dict[str, dict[str, Any]] = field(default_factory=dict)


def _role(role_id: str, name: str, permissions: str, position: int) -> dict[str, Any]:
    """A ``GuildRoleResponse``."""
    return {
        "id": role_id,
        "name": name,
        "permissions": permissions,
        "position": position,
        "color": 0,
        "colors": {"primary_color": 0, "secondary_color": None, "tertiary_color": None},
        "hoist": False,
        "managed": False,
        "mentionable": False,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }


def _member(user_id: str, roles: list[str], nick: str | None, timed_out_until: str | None, name: str) -> dict[str, Any]:
    """A ``GuildMemberResponse``."""
    return {
        "avatar": None,
        "banner": None,
        "communication_disabled_until": timed_out_until,
        "flags": 0,
        "joined_at": "2026-01-01T00:00:00.000000+00:00",
        "nick": nick,
        "pending": False,
        "premium_since": None,
        "roles": list(dict.fromkeys(roles)),
        "user": {
            "id": user_id,
            "username": name,
            "avatar": None,
            "discriminator": "0",
            "public_flags": 0,
            "flags": 0,
            "global_name": name,
            "primary_guild": None,
        },
        "mute": False,
        "deaf": False,
    }


def _guild_object(guild_id: str, guild: _Guild) -> dict[str, Any]:
    """A ``GuildWithCountsResponse``: every field Discord's document requires, with a small server's values."""
    return {
        "id": guild_id,
        "name": guild.name,
        "icon": None,
        "description": None,
        "home_header": None,
        "splash": None,
        "discovery_splash": None,
        "features": [],
        "banner": None,
        "owner_id": guild.owner_id,
        "application_id": None,
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "roles": list(guild.roles.values()),
        "default_message_notifications": 0,
        "mfa_level": 0,
        "explicit_content_filter": 0,
        "max_presences": None,
        "max_members": 500000,
        "max_stage_video_channel_users": 50,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": guild.preferred_locale,
        "rules_channel_id": None,
        "safety_alerts_channel_id": None,
        "public_updates_channel_id": None,
        "premium_progress_bar_enabled": False,
        "nsfw": False,
        "nsfw_level": 0,
        "emojis": [],
        "stickers": [],
        "incidents_data": None,
    }


@dataclass
class _State:
    bot_token: str | None
    calls: list[RecordedCall] = field(default_factory=list)
    failures: list[_Failure] = field(default_factory=list)
    expired_tokens: set[str] = field(default_factory=set)
    channels: dict[str, str] = field(default_factory=dict)
    commands: dict[tuple[str, str | None], list[dict[str, Any]]] = field(default_factory=dict)
    nonces: dict[tuple[str, str], tuple[dict[str, Any], float]] = field(default_factory=dict)
    created: list[dict[str, Any]] = field(default_factory=list)
    guilds: dict[str, _Guild] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_100_000_000_000_000_000))
    clock: Callable[[], float] = time.time
    events: ScheduledEvents | None = None
    released: threading.Event = field(default_factory=threading.Event)

    def snowflake(self) -> str:
        return str(next(self.ids))


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        return

    def do_GET(self) -> None:
        self._dispatch("GET")

    def do_POST(self) -> None:
        self._dispatch("POST")

    def do_PATCH(self) -> None:
        self._dispatch("PATCH")

    def do_PUT(self) -> None:
        self._dispatch("PUT")

    def do_DELETE(self) -> None:
        self._dispatch("DELETE")

    def _send(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        raw = b"" if body is None else json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(raw)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(raw)

    def _dispatch(self, method: str) -> None:
        state = self.server.state
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length) if length else b""
        path = self.path.split("?", 1)[0]
        if path.startswith("/_standin/"):
            self._control(method, path, raw)
            return
        path = _PREFIX.sub("", path)
        try:
            body = json.loads(raw) if raw else None
        except ValueError:
            self._record(method, path, raw.decode(errors="replace"), 400)
            self._send(400, {"code": 50109, "message": "The request body contains invalid JSON."})
            return
        with state.lock:
            failure = next((f for f in state.failures if f.pattern.search(f"{method} {path}")), None)
            if failure is not None:
                failure.remaining -= 1
                if failure.remaining <= 0:
                    state.failures.remove(failure)
        if failure is not None and failure.hang:
            self._record(method, path, body, 0)
            state.released.wait(120.0)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        if failure is not None and not failure.lose_answer:
            self._record(method, path, body, failure.status)
            self._send(failure.status, failure.body, failure.headers)
            return
        status, answer = self._route(method, path, body)
        if failure is not None:
            self._record(method, path, body, 0)
            self.close_connection = True
            self.connection.shutdown(socket.SHUT_RDWR)
            return
        self._record(method, path, body, status)
        self._send(status, answer)

    def _record(self, method: str, path: str, body: Any, status: int) -> None:
        headers = {k.lower(): ("[present]" if k.lower() == "authorization" else v) for k, v in self.headers.items()}
        with self.server.state.lock:
            self.server.state.calls.append(RecordedCall(method, path, headers, body, status))

    def _authorized(self) -> bool:
        expected = self.server.state.bot_token
        return expected is None or self.headers.get("Authorization") == f"Bot {expected}"

    def _route(self, method: str, path: str, body: Any) -> tuple[int, Any]:
        state = self.server.state
        if match := _WEBHOOK_ORIGINAL.match(path):
            if match["token"] in state.expired_tokens:
                return 404, {"code": 10015, "message": "Unknown Webhook"}
            if method == "PATCH" and isinstance(body, dict):
                return 200, self._message_object(body, channel_id="0")
            if method == "DELETE":
                return 204, None
        elif match := _WEBHOOK.match(path):
            if match["token"] in state.expired_tokens:
                return 404, {"code": 10015, "message": "Unknown Webhook"}
            if method == "POST" and isinstance(body, dict):
                return 200, self._message(body, channel_id="0")
        elif match := _CHANNEL_MESSAGES.match(path):
            if not self._authorized():
                return 401, {"code": 0, "message": "401: Unauthorized"}
            if method == "POST" and isinstance(body, dict) and match["message"] is None:
                return 200, self._create_message(body, channel_id=match["channel"])
            if method == "PATCH" and isinstance(body, dict) and match["message"] is not None:
                return 200, {**self._message_object(body, channel_id=match["channel"]), "id": match["message"]}
        elif match := _CHANNEL.match(path):
            if not self._authorized():
                return 401, {"code": 0, "message": "401: Unauthorized"}
            guild_id = state.channels.get(match["channel"])
            if method == "GET" and guild_id is not None:
                return 200, {"id": match["channel"], "guild_id": guild_id, "type": 0, "name": "general"}
            if method == "GET":
                return 404, {"code": 10003, "message": "Unknown Channel"}
        elif match := _COMMANDS.match(path):
            if not self._authorized():
                return 401, {"code": 0, "message": "401: Unauthorized"}
            key = (match["app"], match["guild"])
            if method == "GET":
                with state.lock:
                    stored_commands = list(state.commands.get(key, []))
                if "with_localizations=true" not in self.path:
                    stored_commands = [_without_localizations(command) for command in stored_commands]
                return 200, stored_commands
            if method == "PUT" and isinstance(body, list):
                stored = [self._command(key, item) for item in body]
                with state.lock:
                    state.commands[key] = stored
                return 200, stored
        elif match := _SCHEDULED_EVENTS.match(path):
            if not self._authorized():
                return 401, {"code": 0, "message": "401: Unauthorized"}
            assert state.events is not None
            return state.events.route(method, match["guild"], match["event"], body)
        elif match := _GUILD.match(path):
            if not self._authorized():
                return 401, {"code": 0, "message": "401: Unauthorized"}
            if method == "GET":
                return self._guild_route(match["guild"], match["what"], match["user"])
        else:
            return 404, {"code": 0, "message": "404: Not Found"}
        return 405, {"code": 0, "message": "405: Method Not Allowed"}

    def _guild_route(self, guild_id: str, what: str | None, user_id: str | None) -> tuple[int, Any]:
        with self.server.state.lock:
            guild = self.server.state.guilds.get(guild_id)
            if guild is None:
                return 404, UNKNOWN_GUILD
            if what is None:
                return 200, _guild_object(guild_id, guild)
            if what == "roles":
                return 200, list(guild.roles.values())
            member = guild.members.get(str(user_id))
            return (200, dict(member)) if member is not None else (404, UNKNOWN_MEMBER)

    def _create_message(self, body: dict[str, Any], channel_id: str) -> dict[str, Any]:
        """``enforce_nonce`` with a ``nonce``: "it will be checked for uniqueness in the past few minutes. If
        another message was created by the same author with the same nonce, that message will be returned and no
        new message will be created" (Discord's Create Message docs; ``MessageCreateRequest`` in openapi.json).
        The bot is the only author here."""
        state = self.server.state
        nonce = body.get("nonce")
        if not (body.get("enforce_nonce") and isinstance(nonce, str | int)):
            return self._message(body, channel_id)
        with state.lock:
            known = state.nonces.get((channel_id, str(nonce)))
            if known is not None and time.monotonic() - known[1] < NONCE_WINDOW_SECONDS:
                return known[0]
        created = self._message(body, channel_id)
        with state.lock:
            state.nonces[(channel_id, str(nonce))] = (created, time.monotonic())
        return created

    def _message(self, body: dict[str, Any], channel_id: str) -> dict[str, Any]:
        message = self._message_object(body, channel_id)
        with self.server.state.lock:
            self.server.state.created.append(message)
        return message

    def _message_object(self, body: dict[str, Any], channel_id: str) -> dict[str, Any]:
        return {
            "id": self.server.state.snowflake(),
            "channel_id": channel_id,
            "type": 0,
            "content": body.get("content", ""),
            "embeds": body.get("embeds", []),
            "components": body.get("components", []),
            "flags": body.get("flags", 0),
            **({"nonce": body["nonce"]} if "nonce" in body else {}),
        }

    def _command(self, key: tuple[str, str | None], item: dict[str, Any]) -> dict[str, Any]:
        """What Discord stores and returns for one command of a bulk overwrite, defaults filled in.

        Server-set ids; ``type`` 1; permissions as a string; ``nsfw`` false. Localizations are stored as sent,
        except values identical to the default, which Discord ignores; null where none were sent (the command, its
        options and choices). Global commands keep ``contexts`` (null when not sent) and ``integration_types``
        (the app's default, GUILD_INSTALL, when not sent) and report ``dm_permission``; guild commands ignore both
        (``contexts`` null, ``integration_types`` [0]) and carry ``guild_id``.
        """

        def localized(value: dict[str, Any], field: str) -> dict[str, Any] | None:
            sent = value.get(f"{field}_localizations")
            if not isinstance(sent, dict):
                return None
            return {locale: text for locale, text in sent.items() if text != value.get(field)}

        def option(value: dict[str, Any]) -> dict[str, Any]:
            stored = {
                **value,
                "name_localizations": localized(value, "name"),
                "description_localizations": localized(value, "description"),
            }
            if isinstance(value.get("choices"), list):
                stored["choices"] = [
                    {**choice, "name_localizations": localized(choice, "name")} for choice in value["choices"]
                ]
            if isinstance(value.get("options"), list):
                stored["options"] = [option(child) for child in value["options"]]
            return stored

        permissions = item.get("default_member_permissions")
        stored: dict[str, Any] = {
            "id": self.server.state.snowflake(),
            "application_id": key[0],
            "version": self.server.state.snowflake(),
            "type": item.get("type") or 1,
            "name": item.get("name"),
            "name_localizations": localized(item, "name"),
            "description": item.get("description") or "",
            "description_localizations": localized(item, "description"),
            "default_member_permissions": None if permissions is None else str(permissions),
            "nsfw": bool(item.get("nsfw", False)),
        }
        if item.get("options"):
            stored["options"] = [option(value) for value in item["options"]]
        if key[1] is None:
            contexts = item.get("contexts")
            stored["contexts"] = contexts
            stored["integration_types"] = item.get("integration_types") or [0]
            stored["dm_permission"] = contexts is None or 1 in contexts
        else:
            stored["contexts"] = None
            stored["integration_types"] = [0]
            stored["guild_id"] = key[1]
        return stored

    def _control(self, method: str, path: str, raw: bytes) -> None:
        state = self.server.state
        if path == "/_standin/calls" and method == "GET":
            with state.lock:
                self._send(200, [call.as_dict() for call in state.calls])
        elif path == "/_standin/channels" and method == "POST":
            body = json.loads(raw or b"{}")
            with state.lock:
                state.channels[str(body["id"])] = str(body["guild_id"])
            self._send(204, None)
        elif path == "/_standin/calls" and method == "DELETE":
            with state.lock:
                state.calls.clear()
            self._send(204, None)
        elif match := _CONTROL_EVENTS.match(path):
            self._send(*_control_events(self.server.standin, method, match, raw))
        elif match := _CONTROL_GUILD.match(path):
            status, answer = _change_guild(self.server.standin, method, match, raw)
            self._send(status, answer)
        else:
            self._send(404, {"message": "unknown control route"})


def _control_events(standin: DiscordStandIn, method: str, match: re.Match[str], raw: bytes) -> tuple[int, Any]:
    guild = match["guild"]
    if match["what"] == "scheduled-events" and method == "GET":
        return 200, standin.scheduled_events(guild)
    if match["what"] == "bot-permissions" and method == "PUT":
        try:
            permissions = int(json.loads(raw or b"{}").get("permissions", "0"))
        except (ValueError, TypeError, AttributeError):
            return 400, {"message": 'the body must be {"permissions": "<bitfield>"}'}
        standin.set_bot_permissions(guild, permissions)
        return 204, None
    return 405, {"message": "unsupported method for this control route"}


def _change_guild(standin: DiscordStandIn, method: str, match: re.Match[str], raw: bytes) -> tuple[int, Any]:
    """The ``/_standin/guilds/...`` control routes: the same changes as the Python methods, over HTTP."""
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        return 400, {"message": "the body must be JSON"}
    if not isinstance(body, dict):
        return 400, {"message": "the body must be a JSON object"}
    guild, kind, item = match["guild"], match["kind"], match["id"]
    try:
        if kind is None and method == "PUT":
            if not isinstance(body.get("owner_id"), str):
                return 400, {"message": "owner_id (a user id, as a string) is required"}
            standin.set_guild(
                guild,
                owner_id=body["owner_id"],
                name=str(body.get("name") or "Local server"),
                everyone_permissions=str(body.get("everyone_permissions", DEFAULT_EVERYONE_PERMISSIONS)),
            )
        elif kind == "roles" and method == "PUT":
            standin.set_role(guild, item, str(body.get("permissions", "0")), name=body.get("name"))
        elif kind == "roles" and method == "DELETE":
            standin.remove_role(guild, item)
        elif kind == "members" and method == "PUT":
            roles = body.get("roles", [])
            if not isinstance(roles, list) or not all(isinstance(role, str) for role in roles):
                return 400, {"message": "roles must be a list of role ids (strings)"}
            standin.set_member(
                guild,
                item,
                roles,
                nick=body.get("nick"),
                timed_out_until=body.get("communication_disabled_until"),
            )
        elif kind == "members" and method == "DELETE":
            standin.remove_member(guild, item)
        else:
            return 405, {"message": "unsupported method for this control route"}
    except KeyError:
        return 404, {"message": f"unknown guild {guild}: PUT /_standin/guilds/{guild} first"}
    return 204, None


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: _State, standin: DiscordStandIn) -> None:
        super().__init__(address, _Handler)
        self.state = state
        self.standin = standin


class DiscordStandIn:
    """Start with ``DiscordStandIn(bot_token=...).start()``; ``api_base_url`` goes in DISCORD_API_BASE_URL."""

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        bot_token: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._state = _State(bot_token=bot_token, clock=clock)
        self._state.events = ScheduledEvents(snowflake=self._state.snowflake, clock=clock)
        self._server = _Server((host, port), self._state, self)
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    @property
    def api_base_url(self) -> str:
        return f"{self.url}/api/v10"

    def start(self) -> DiscordStandIn:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="discord-standin", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._server.shutdown()
        self._server.server_close()

    def calls(self, method: str | None = None, path_pattern: str | None = None) -> list[RecordedCall]:
        with self._state.lock:
            found = list(self._state.calls)
        return [
            c
            for c in found
            if (method is None or c.method == method) and (path_pattern is None or re.search(path_pattern, c.path))
        ]

    def clear(self) -> None:
        with self._state.lock:
            self._state.calls.clear()

    def fail_next(
        self,
        pattern: str,
        status: int,
        body: Any = None,
        headers: dict[str, str] | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` requests whose ``"METHOD /path"`` matches ``pattern`` with this failure."""
        with self._state.lock:
            self._state.failures.append(_Failure(re.compile(pattern), status, body, headers or {}, times))

    def lose_answer_next(self, pattern: str, times: int = 1) -> None:
        """Carry out the next ``times`` matching requests, then drop the connection before answering."""
        with self._state.lock:
            self._state.failures.append(_Failure(re.compile(pattern), 0, None, {}, times, lose_answer=True))

    def hang_next(self, pattern: str, times: int = 1) -> None:
        """Hold the next ``times`` matching requests without answering or acting, until :meth:`release`."""
        with self._state.lock:
            self._state.released.clear()
            self._state.failures.append(_Failure(re.compile(pattern), 0, None, {}, times, hang=True))

    def release(self) -> None:
        """Let every held request go (its connection is closed unanswered)."""
        self._state.released.set()

    def rate_limit_next(self, pattern: str, retry_after: float = 0.01, times: int = 1) -> None:
        body = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
        headers = {
            "Retry-After": str(max(1, round(retry_after))),
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset-After": str(retry_after),
            "X-RateLimit-Scope": "user",
        }
        self.fail_next(pattern, 429, body, headers, times)

    def channel_messages(self, channel_id: str) -> list[dict[str, Any]]:
        """Messages really created in a channel (a nonce-deduplicated repeat is not a second one)."""
        with self._state.lock:
            return [m for m in self._state.created if m["channel_id"] == channel_id]

    def add_channel(self, channel_id: str, guild_id: str) -> None:
        """Make ``GET /channels/{channel_id}`` answer with this guild (also ``POST /_standin/channels``)."""
        with self._state.lock:
            self._state.channels[channel_id] = guild_id

    def expire_token(self, token: str) -> None:
        with self._state.lock:
            self._state.expired_tokens.add(token)

    def registered_commands(self, application_id: str, guild_id: str | None = None) -> list[dict[str, Any]]:
        with self._state.lock:
            return list(self._state.commands.get((application_id, guild_id), []))

    # -- scheduled events ------------------------------------------------------------------------------------

    def scheduled_events(self, guild_id: str) -> list[dict[str, Any]]:
        """Every event of the server, completed and cancelled ones included, as they are now."""
        assert self._state.events is not None
        return self._state.events.all(guild_id)

    def set_bot_permissions(self, guild_id: str, permissions: int | None) -> None:
        """The bot's server-level permission bits (None: unrestricted, the default). Without CREATE_EVENTS and
        MANAGE_EVENTS it can no longer create or change events there."""
        assert self._state.events is not None
        with self._state.events.lock:
            if permissions is None:
                self._state.events.bot_permissions.pop(guild_id, None)
            else:
                self._state.events.bot_permissions[guild_id] = permissions

    def set_clock(self, clock: Callable[[], float]) -> None:
        """What "now" is for the automatic start and end of events (tests move it)."""
        self._state.clock = clock
        assert self._state.events is not None
        self._state.events.clock = clock

    # -- servers, roles and members (what GET /guilds/... answers) ---------------------------------------------

    def set_guild(
        self,
        guild_id: str,
        *,
        owner_id: str,
        name: str = "Local server",
        everyone_permissions: str = DEFAULT_EVERYONE_PERMISSIONS,
        preferred_locale: str = "en-US",
    ) -> None:
        """Create the server, or change its owner, name, language and @everyone permissions (its other roles and
        members stay). The @everyone role's id is the server's, as on Discord."""
        with self._state.lock:
            guild = self._state.guilds.get(guild_id)
            if guild is None:
                guild = self._state.guilds[guild_id] = _Guild(owner_id, name)
            guild.owner_id, guild.name, guild.preferred_locale = owner_id, name, preferred_locale
            guild.roles[guild_id] = _role(guild_id, "@everyone", everyone_permissions, 0)

    def set_role(self, guild_id: str, role_id: str, permissions: str, *, name: str | None = None) -> None:
        """Add or change a role; ``permissions`` is the bitfield as a decimal string. KeyError for an unknown server."""
        with self._state.lock:
            guild = self._state.guilds[guild_id]
            known = guild.roles.get(role_id)
            position = known["position"] if known else len(guild.roles)
            title = name or (known["name"] if known else f"role {role_id[-4:]}")
            guild.roles[role_id] = _role(role_id, title, permissions, position)

    def remove_role(self, guild_id: str, role_id: str) -> None:
        """Delete a role; members keep its id, which then counts for nothing (as on Discord, briefly)."""
        with self._state.lock:
            self._state.guilds[guild_id].roles.pop(role_id, None)

    def set_member(
        self,
        guild_id: str,
        user_id: str,
        roles: list[str] | tuple[str, ...] = (),
        *,
        nick: str | None = None,
        timed_out_until: str | None = None,
        name: str = "tester",
    ) -> None:
        """Add a member or replace their roles (and nick and timeout). KeyError for an unknown server."""
        with self._state.lock:
            guild = self._state.guilds[guild_id]
            guild.members[user_id] = _member(user_id, list(roles), nick, timed_out_until, name)

    def remove_member(self, guild_id: str, user_id: str) -> None:
        """The member leaves (or is kicked): their look-up answers 404 Unknown Member."""
        with self._state.lock:
            self._state.guilds[guild_id].members.pop(user_id, None)


def main() -> None:
    parser = argparse.ArgumentParser(description="Run the Discord REST stand-in on loopback.")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--bot-token", default=None)
    args = parser.parse_args()
    standin = DiscordStandIn(port=args.port, bot_token=args.bot_token).start()
    print(f"Discord stand-in listening: DISCORD_API_BASE_URL={standin.api_base_url}", flush=True)
    threading.Event().wait()


if __name__ == "__main__":
    main()
