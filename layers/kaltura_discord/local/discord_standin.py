"""A small stand-in for Discord's REST API on loopback, recording every call.

It serves the routes this project calls, under any ``/api/vN`` prefix:

- ``PATCH /webhooks/{app}/{token}/messages/@original`` and ``.../messages/{id}``, ``POST /webhooks/{app}/{token}``
  (interaction follow-ups; no bot token needed, as on Discord);
- ``GET /channels/{id}`` (channels registered with :meth:`DiscordStandIn.add_channel`), ``POST
  /channels/{id}/messages`` and ``PATCH /channels/{id}/messages/{message}`` (bot token required);
- ``GET``/``PUT /applications/{app}/commands`` and ``/applications/{app}/guilds/{guild}/commands``
  (bot token required).

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
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

_PREFIX = re.compile(r"^/api(?:/v\d+)?")
_WEBHOOK_ORIGINAL = re.compile(r"^/webhooks/(?P<app>\d+)/(?P<token>[^/]+)/messages/(?P<message>@original|\d+)$")
_WEBHOOK = re.compile(r"^/webhooks/(?P<app>\d+)/(?P<token>[^/]+)$")
_CHANNEL_MESSAGES = re.compile(r"^/channels/(?P<channel>\d+)/messages(?:/(?P<message>\d+))?$")
_CHANNEL = re.compile(r"^/channels/(?P<channel>\d+)$")
NONCE_WINDOW_SECONDS = 300.0
_COMMANDS = re.compile(r"^/applications/(?P<app>\d+)(?:/guilds/(?P<guild>\d+))?/commands$")


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
    lock: threading.Lock = field(default_factory=threading.Lock)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1_100_000_000_000_000_000))

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
                    return 200, list(state.commands.get(key, []))
            if method == "PUT" and isinstance(body, list):
                stored = [self._command(key, item) for item in body]
                with state.lock:
                    state.commands[key] = stored
                return 200, stored
        else:
            return 404, {"code": 0, "message": "404: Not Found"}
        return 405, {"code": 0, "message": "405: Method Not Allowed"}

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

        Server-set ids; ``type`` 1; permissions as a string; ``nsfw`` false; null localizations on the command,
        its options and choices. Global commands keep ``contexts`` (null when not sent) and ``integration_types``
        (the app's default, GUILD_INSTALL, when not sent) and report ``dm_permission``; guild commands ignore both
        (``contexts`` null, ``integration_types`` [0]) and carry ``guild_id``.
        """

        def option(value: dict[str, Any]) -> dict[str, Any]:
            stored = {"name_localizations": None, "description_localizations": None, **value}
            if isinstance(value.get("choices"), list):
                stored["choices"] = [{"name_localizations": None, **choice} for choice in value["choices"]]
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
            "name_localizations": item.get("name_localizations"),
            "description": item.get("description") or "",
            "description_localizations": item.get("description_localizations"),
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
        else:
            self._send(404, {"message": "unknown control route"})


class _Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, address: tuple[str, int], state: _State) -> None:
        super().__init__(address, _Handler)
        self.state = state


class DiscordStandIn:
    """Start with ``DiscordStandIn(bot_token=...).start()``; ``api_base_url`` goes in DISCORD_API_BASE_URL."""

    def __init__(self, host: str = "127.0.0.1", port: int = 0, bot_token: str | None = None) -> None:
        self._state = _State(bot_token=bot_token)
        self._server = _Server((host, port), self._state)
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
