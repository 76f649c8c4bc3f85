"""A faithful local stand-in for the few Kaltura API v3 calls this project makes.

No Kaltura account is reachable from development machines, so the local stack and the integration tests talk to
this server instead. It follows ``shared/kaltura/README.md``: the JSON body is read only with
``Content-Type: application/json`` exactly, ``format=1`` selects JSON (anything else gets Kaltura's XML), every
KS is decrypted and checked with the partner's admin secret, and errors are HTTP 200 ``KalturaAPIException``
objects with Kaltura's codes.

Use it in-process::

    sandbox = KalturaSandbox(partner_id=1234567, admin_secret="local-secret").start()
    os.environ["KALTURA_SERVICE_URL"] = sandbox.url        # plus KALTURA_PARTNER_ID / KALTURA_ADMIN_SECRET
    ...
    sandbox.stop()

or on its own: ``python -m kaltura_discord.local.kaltura_sandbox --port 8089 --partner-id 1234567
--admin-secret local-secret [--app-token ID:TOKEN[:HASHTYPE]]`` (prints its URL).

Emulated: ``session.start``, ``session.startWidgetSession``, ``apptoken.startSession`` and ``room_room``
``add``/``get``/``list``/``update``/``delete``. Anything else answers ``SERVICE_DOES_NOT_EXISTS`` or
``ACTION_DOES_NOT_EXISTS`` (multirequest included: the project does not use it). Entry fields or list filters the
sandbox does not know are refused with a ``SANDBOX_UNSUPPORTED_*`` code rather than silently ignored, so a test
cannot pass on a field the sandbox never looked at.

For tests: call counts per ``service.action`` (:meth:`KalturaSandbox.call_count`), recorded requests, rooms and
app tokens, and fault injection (:meth:`fail_next`, :meth:`hang_next`, :meth:`set_latency`).
"""

from __future__ import annotations

import argparse
import contextlib
import json
import random
import re
import socket
import string
import sys
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from kaltura_discord.kaltura.client import HASH_TYPES
from kaltura_discord.kaltura.ks import (
    InvalidKs,
    ParsedKs,
    SessionType,
    generate_ks,
    ks_partner_id,
    parse_ks,
)
from kaltura_discord.logs import get_logger

logger = get_logger(__name__)

MAX_PAGE_SIZE = 500
DEFAULT_PARTNER_ID = 1234567
DEFAULT_ADMIN_SECRET = "sandbox-admin-secret"  # noqa: S105 - a fake for a local-only server
WIDGET_PRIVILEGES = "view:*,widget:1"

# ks.php error numbers, as they appear in INVALID_KS messages.
KS_INVALID_STR = (-1, "INVALID_STR")
KS_INVALID_PARTNER = (-2, "INVALID_PARTNER")
KS_EXPIRED = (-5, "EXPIRED")
KS_LOGOUT = (-6, "LOGOUT")

_PATH = re.compile(r"^/api_v3/service/(?P<service>[^/]+)(?:/action/(?P<action>[^/]+))?/?$")
_ROOM_STRING_FIELDS = (
    "name",
    "description",
    "tags",
    "userId",
    "referenceId",
    "templateRoomEntryId",
    "broadcastEntryId",
    "recordedEntryId",
)
_ROOM_READ_ONLY = frozenset({"id", "partnerId", "createdAt", "updatedAt", "creatorId"})
_ROOM_INSERT_ONLY = frozenset({"roomType", "templateRoomEntryId"})
_ROOM_FILTERS = frozenset(
    {"idEqual", "idIn", "referenceIdEqual", "referenceIdIn", "userIdEqual", "nameLike", "tagsLike", "orderBy"}
)


class ApiError(Exception):
    """Raised inside handlers; becomes an HTTP 200 ``KalturaAPIException``."""

    def __init__(self, code: str, message: str, args: Mapping[str, Any] | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.arguments = {k: str(v) for k, v in (args or {}).items()}

    def to_api(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "message": self.message,
            "objectType": "KalturaAPIException",
            "args": self.arguments,
        }


def _missing(name: str) -> ApiError:
    return ApiError("MISSING_MANDATORY_PARAMETER", f'Missing parameter "{name}"', {"PARAM_NAME": name})


def _entry_not_found(entry_id: str) -> ApiError:
    return ApiError("ENTRY_ID_NOT_FOUND", f'Entry id "{entry_id}" not found', {"ENTRY_ID": entry_id})


def _invalid_ks(ks: str, error: tuple[int, str]) -> ApiError:
    number, name = error
    return ApiError(
        "INVALID_KS",
        f'Invalid KS "{ks}". Error "{number},{name}"',
        {"KS": ks, "ERR_CODE": number, "ERR_DESC": name},
    )


@dataclass
class SandboxAppToken:
    """An app token as the partner would have created it; whatever session setting it fixes overrides the request."""

    id: str
    token: str
    hash_type: str = "SHA1"
    session_type: int | None = SessionType.ADMIN
    session_user_id: str | None = None
    session_privileges: str | None = None
    session_duration: int = 86400
    expiry: int | None = None
    active: bool = True


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    service: str
    action: str
    content_type: str | None
    params: dict[str, Any]


@dataclass
class _Fault:
    kind: str
    remaining: int
    status: int = 503
    seconds: float = 30.0
    service: str | None = None
    action: str | None = None

    def matches(self, service: str, action: str) -> bool:
        return (self.service is None or self.service == service) and (self.action is None or self.action == action)


@dataclass
class _State:
    rooms: dict[str, dict[str, Any]] = field(default_factory=dict)
    app_tokens: dict[str, SandboxAppToken] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)
    requests: list[RecordedRequest] = field(default_factory=list)
    faults: list[_Fault] = field(default_factory=list)
    latency: float = 0.0


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)

    def do_POST(self) -> None:
        self.server.sandbox.handle(self, "POST")

    def do_GET(self) -> None:
        self.server.sandbox.handle(self, "GET")

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("kaltura sandbox " + format % args)


class _Server(ThreadingHTTPServer):
    """Handler threads are joined on close, so a stopped sandbox leaves nothing running behind a test."""

    daemon_threads = False

    def __init__(self, address: tuple[str, int], sandbox: KalturaSandbox) -> None:
        self.sandbox = sandbox
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, _Handler)

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        """Unblock handler threads waiting on idle keep-alive connections so shutdown can join them."""
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        error = sys.exc_info()[1]
        if isinstance(error, (ConnectionError, TimeoutError, OSError)):
            return
        logger.exception("kaltura sandbox request failed")


class KalturaSandbox:
    """The local Kaltura: ``KalturaSandbox(partner_id=..., admin_secret=...).start()``; ``url`` is the service URL."""

    def __init__(
        self,
        partner_id: int = DEFAULT_PARTNER_ID,
        admin_secret: str = DEFAULT_ADMIN_SECRET,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        clock: Callable[[], float] = time.time,
        seed: int | None = None,
    ) -> None:
        self.partner_id = int(partner_id)
        self.admin_secret = admin_secret
        self.host = host
        self.port = port
        self.clock = clock
        self._random = random.Random(seed)
        self._state = _State()
        self._lock = threading.RLock()
        self._release = threading.Event()
        self._stopping = False
        self._server: _Server | None = None
        self._thread: threading.Thread | None = None
        self._actions: dict[tuple[str, str], tuple[str, Callable[[dict[str, Any]], Any]]] = {
            ("session", "start"): ("start", self._session_start),
            ("session", "startwidgetsession"): ("startWidgetSession", self._start_widget_session),
            ("apptoken", "startsession"): ("startSession", self._app_token_start_session),
            ("room_room", "add"): ("add", self._room_add),
            ("room_room", "get"): ("get", self._room_get),
            ("room_room", "list"): ("list", self._room_list),
            ("room_room", "update"): ("update", self._room_update),
            ("room_room", "delete"): ("delete", self._room_delete),
        }

    # --- lifecycle ------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The service URL clients use (``KALTURA_SERVICE_URL``)."""
        if self._server is None:
            raise RuntimeError("sandbox not started")
        return f"http://{self.host}:{self.port}"

    def start(self) -> KalturaSandbox:
        self._stopping = False
        self._release = threading.Event()
        self._server = _Server((self.host, self.port), self)
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name="kaltura-sandbox", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        server, self._server = self._server, None
        if server is None:
            return
        self._stopping = True
        self._release.set()
        server.shutdown()
        server.close_connections()
        server.server_close()
        if self._thread is not None:
            self._thread.join()
            self._thread = None

    def __enter__(self) -> KalturaSandbox:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    def serve_until_interrupted(self) -> None:
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            pass
        finally:
            self.stop()

    # --- state for tests ------------------------------------------------------------------------------------

    def call_count(self, service: str | None = None, action: str | None = None) -> int:
        """Requests received (faulted ones included), optionally for one service and/or action."""
        with self._lock:
            return sum(
                n
                for key, n in self._state.calls.items()
                if (service is None or key.split(".", 1)[0] == service)
                and (action is None or key.split(".", 1)[1] == action)
            )

    @property
    def calls(self) -> dict[str, int]:
        with self._lock:
            return dict(self._state.calls)

    @property
    def requests(self) -> list[RecordedRequest]:
        with self._lock:
            return list(self._state.requests)

    def reset_calls(self) -> None:
        with self._lock:
            self._state.calls.clear()
            self._state.requests.clear()

    @property
    def rooms(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(room) for room in self._state.rooms.values()]

    def room(self, room_id: str) -> dict[str, Any] | None:
        with self._lock:
            room = self._state.rooms.get(room_id)
            return None if room is None else dict(room)

    def seed_room(self, name: str, *, room_type: int = 1, **fields: Any) -> str:
        """Create a room directly (for example a template room an account admin would have made)."""
        with self._lock:
            room = self._create_room({"name": name, "roomType": room_type, **fields}, user_id="sandbox-admin")
            return str(room["id"])

    def add_app_token(
        self,
        token_id: str | None = None,
        token: str | None = None,
        *,
        hash_type: str = "SHA1",
        session_type: int | None = SessionType.ADMIN,
        session_user_id: str | None = None,
        session_privileges: str | None = None,
        session_duration: int = 86400,
        expiry: int | None = None,
        active: bool = True,
    ) -> SandboxAppToken:
        if hash_type.upper() not in HASH_TYPES:
            raise ValueError(f"unknown hash type {hash_type!r}")
        app_token = SandboxAppToken(
            id=token_id or f"0_{self._random_id(8)}",
            token=token or self._random_id(32, string.hexdigits.lower()[:16]),
            hash_type=hash_type.upper(),
            session_type=session_type,
            session_user_id=session_user_id,
            session_privileges=session_privileges,
            session_duration=session_duration,
            expiry=expiry,
            active=active,
        )
        with self._lock:
            self._state.app_tokens[app_token.id] = app_token
        return app_token

    def inspect_ks(self, ks: str) -> ParsedKs:
        """Decrypt a KS with this partner's secret (tests check join privileges with it)."""
        return parse_ks(ks, self.admin_secret)

    def invalidate_sessions(self) -> None:
        """Every KS seen so far stops working (``INVALID_KS``), as after a session.end or a secret rotation."""
        with self._lock:
            self._state.revoked |= self._state.seen

    # --- fault injection ------------------------------------------------------------------------------------

    def fail_next(
        self, count: int = 1, *, status: int = 503, service: str | None = None, action: str | None = None
    ) -> None:
        """Answer the next ``count`` matching requests with HTTP ``status`` and an HTML body, as a proxy would."""
        with self._lock:
            self._state.faults.append(_Fault("status", count, status=status, service=service, action=action))

    def hang_next(
        self, count: int = 1, *, seconds: float = 30.0, service: str | None = None, action: str | None = None
    ) -> None:
        """Hold the next ``count`` matching requests for ``seconds`` (or until stop/clear), then serve them."""
        with self._lock:
            self._state.faults.append(_Fault("hang", count, seconds=seconds, service=service, action=action))

    def set_latency(self, seconds: float) -> None:
        with self._lock:
            self._state.latency = seconds

    def clear_faults(self) -> None:
        with self._lock:
            self._state.faults.clear()
            self._state.latency = 0.0
            self._release.set()
            self._release = threading.Event()

    # --- HTTP -----------------------------------------------------------------------------------------------

    def handle(self, request: _Handler, method: str) -> None:
        split = urlsplit(request.path)
        length = int(request.headers.get("Content-Length") or 0)
        raw = request.rfile.read(length) if length > 0 else b""
        match = _PATH.fullmatch(split.path)
        if match is None:
            self._reply(request, 404, b"<html><body>404 Not Found</body></html>", "text/html")
            return
        params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
        content_type = request.headers.get("Content-Type")
        if method == "POST" and content_type == "application/json":
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            if isinstance(body, dict):
                params.update(body)
        service = match["service"].lower()
        raw_action = match["action"] or str(params.get("action") or "")
        known = self._actions.get((service, raw_action.lower()))
        action = known[0] if known else raw_action

        with self._lock:
            self._state.calls[f"{service}.{action}"] += 1
            self._state.requests.append(RecordedRequest(method, service, action, content_type, dict(params)))
            latency = self._state.latency
            fault = self._take_fault(service, action)
            release = self._release
        if latency > 0:
            release.wait(latency)
        if fault is not None and fault.kind == "status":
            body_text = f"<html><body><h1>{fault.status} Service Unavailable</h1></body></html>"
            self._reply(request, fault.status, body_text.encode(), "text/html")
            return
        if fault is not None and fault.kind == "hang":
            release.wait(fault.seconds)
            if self._stopping:
                return

        try:
            result = self._dispatch(service, action, known, params)
        except ApiError as error:
            payload: Any = error.to_api()
            is_error = True
        else:
            payload, is_error = result, False
        if str(params.get("format", "")) == "1":
            self._reply(request, 200, json.dumps(payload).encode(), "application/json")
        else:
            self._reply(request, 200, _xml(payload, error=is_error, took=0.001).encode(), "text/xml")

    def _take_fault(self, service: str, action: str) -> _Fault | None:
        for fault in self._state.faults:
            if fault.matches(service, action):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._state.faults.remove(fault)
                return fault
        return None

    @staticmethod
    def _reply(request: _Handler, status: int, body: bytes, content_type: str) -> None:
        try:
            request.send_response(status)
            request.send_header("Content-Type", content_type)
            request.send_header("Content-Length", str(len(body)))
            request.end_headers()
            request.wfile.write(body)
        except OSError:
            request.close_connection = True

    def _dispatch(
        self,
        service: str,
        action: str,
        known: tuple[str, Callable[[dict[str, Any]], Any]] | None,
        params: dict[str, Any],
    ) -> Any:
        if known is None:
            if service not in {s for s, _ in self._actions}:
                suffix = " (not emulated by the sandbox)" if service == "multirequest" else ""
                raise ApiError(
                    "SERVICE_DOES_NOT_EXISTS", f'Service "{service}" does not exists{suffix}', {"SERVICE": service}
                )
            raise ApiError(
                "ACTION_DOES_NOT_EXISTS",
                f'Action "{action}" does not exists for service "{service}"',
                {"ACTION": action, "SERVICE": service},
            )
        with self._lock:
            return known[1](params)

    # --- sessions -------------------------------------------------------------------------------------------

    def _now(self) -> int:
        return int(self.clock())

    def _new_ks(self, user_id: str, session_type: int, expiry: int, privileges: str = "") -> str:
        return generate_ks(
            self.admin_secret,
            self.partner_id,
            user_id,
            session_type,
            expiry,
            privileges=privileges,
            clock=self.clock,
        )

    def _require_ks(self, params: Mapping[str, Any], *, service: str, admin: bool) -> ParsedKs:
        ks = params.get("ks")
        if not isinstance(ks, str) or not ks:
            raise ApiError("MISSING_KS", "Missing KS, session not established")
        try:
            partner_id = ks_partner_id(ks)
        except InvalidKs:
            raise _invalid_ks(ks, KS_INVALID_STR) from None
        if partner_id != self.partner_id:
            raise _invalid_ks(ks, KS_INVALID_PARTNER)
        try:
            parsed = parse_ks(ks, self.admin_secret)
        except InvalidKs:
            raise _invalid_ks(ks, KS_INVALID_STR) from None
        if ks in self._state.revoked:
            raise _invalid_ks(ks, KS_LOGOUT)
        if parsed.is_expired(self._now()):
            raise _invalid_ks(ks, KS_EXPIRED)
        self._state.seen.add(ks)
        if admin and (parsed.session_type != SessionType.ADMIN or "widget" in parsed.privileges):
            raise ApiError("SERVICE_FORBIDDEN", f"The access to service [{service}] is forbidden", {"SERVICE": service})
        return parsed

    def _session_start(self, params: dict[str, Any]) -> str:
        secret = params.get("secret")
        if not secret:
            raise _missing("secret")
        partner_id = str(params.get("partnerId", ""))
        if partner_id != str(self.partner_id) or secret != self.admin_secret:
            raise ApiError(
                "START_SESSION_ERROR",
                f"Error while starting session for partner [{partner_id}]",
                {"PARTNER_ID": partner_id},
            )
        session_type = _enum(params.get("type", 0), "type", "KalturaSessionType", (0, 2))
        expiry = _integer(params.get("expiry", 86400), "expiry")
        return self._new_ks(str(params.get("userId") or ""), session_type, expiry, str(params.get("privileges") or ""))

    def _start_widget_session(self, params: dict[str, Any]) -> dict[str, Any]:
        widget_id = params.get("widgetId")
        if not widget_id:
            raise _missing("widgetId")
        if widget_id != f"_{self.partner_id}":
            raise ApiError("INVALID_WIDGET_ID", f"Invalid widget id [{widget_id}]", {"WIDGET_ID": widget_id})
        expiry = _integer(params.get("expiry", 86400), "expiry")
        ks = self._new_ks("0", SessionType.USER, expiry, WIDGET_PRIVILEGES)
        return {
            "partnerId": self.partner_id,
            "ks": ks,
            "userId": "0",
            "objectType": "KalturaStartWidgetSessionResponse",
        }

    def _app_token_start_session(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require_ks(params, service="apptoken", admin=False)
        token_id = params.get("id")
        if not token_id:
            raise _missing("id")
        token_hash = params.get("tokenHash")
        if not token_hash:
            raise _missing("tokenHash")
        app_token = self._state.app_tokens.get(str(token_id))
        if app_token is None:
            raise ApiError("APP_TOKEN_ID_NOT_FOUND", f"Application token id [{token_id}] not found", {"ID": token_id})
        if not app_token.active:
            raise ApiError("APP_TOKEN_NOT_ACTIVE", f"Application token id [{token_id}] is not active", {"ID": token_id})
        expected = HASH_TYPES[app_token.hash_type]((str(params["ks"]) + app_token.token).encode()).hexdigest()
        if token_hash != expected:
            raise ApiError("INVALID_APP_TOKEN_HASH", "Invalid application token hash")
        now = self._now()
        token_expiry = app_token.session_duration
        if app_token.expiry is not None:
            token_expiry = min(token_expiry, app_token.expiry - now)
            if token_expiry < 0:
                raise ApiError("APP_TOKEN_EXPIRED", f"Application token id [{token_id}] expired", {"ID": token_id})
        requested = _integer(params.get("expiry") or 0, "expiry")
        expiry = min(requested or token_expiry, token_expiry)
        session_type = app_token.session_type
        if session_type is None:
            session_type = _enum(params.get("type", 0), "type", "KalturaSessionType", (0, 2))
        user_id = app_token.session_user_id or str(params.get("userId") or "")
        privileges = app_token.session_privileges or str(params.get("sessionPrivileges") or "")
        ks = self._new_ks(user_id, session_type, expiry, privileges)
        return {
            "ks": ks,
            "partnerId": self.partner_id,
            "userId": user_id,
            "expiry": now + expiry,
            "sessionType": session_type,
            "privileges": privileges,
            "objectType": "KalturaSessionInfo",
        }

    # --- rooms ----------------------------------------------------------------------------------------------

    def _random_id(self, length: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
        return "".join(self._random.choice(alphabet) for _ in range(length))

    def _create_room(self, entry: Mapping[str, Any], *, user_id: str) -> dict[str, Any]:
        room_id = f"0_{self._random_id(8)}"
        while room_id in self._state.rooms:
            room_id = f"0_{self._random_id(8)}"
        now = self._now()
        room: dict[str, Any] = {"id": room_id, "partnerId": self.partner_id}
        room.update({k: str(entry[k]) for k in _ROOM_STRING_FIELDS if entry.get(k) is not None})
        room.setdefault("userId", user_id)
        room["creatorId"] = user_id
        room["roomType"] = _enum(entry.get("roomType"), "roomType", "KalturaRoomType", (1, 2))
        room["createdAt"] = room["updatedAt"] = now
        room["objectType"] = "KalturaRoomEntry"
        self._state.rooms[room_id] = room
        return room

    def _room_object(self, params: Mapping[str, Any], name: str) -> dict[str, Any]:
        value = params.get(name)
        if not isinstance(value, dict):
            raise _missing(name)
        object_type = value.get("objectType", "KalturaRoomEntry")
        if object_type != "KalturaRoomEntry":
            raise ApiError("INVALID_OBJECT_TYPE", f'Invalid object type "{object_type}"', {"TYPE": object_type})
        fields = {k: v for k, v in value.items() if k != "objectType" and v is not None}
        unknown = set(fields) - set(_ROOM_STRING_FIELDS) - _ROOM_READ_ONLY - _ROOM_INSERT_ONLY
        if unknown:
            raise ApiError(
                "SANDBOX_UNSUPPORTED_PROPERTY",
                f"The sandbox does not emulate KalturaRoomEntry properties: {', '.join(sorted(unknown))}",
            )
        return fields

    def _room_add(self, params: dict[str, Any]) -> dict[str, Any]:
        session = self._require_ks(params, service="room_room", admin=True)
        entry = self._room_object(params, "entry")
        if entry.get("roomType") is None:
            raise ApiError(
                "PROPERTY_VALIDATION_CANNOT_BE_NULL",
                'The property "KalturaRoomEntry::roomType" cannot be null',
                {"PROP_NAME": "KalturaRoomEntry::roomType"},
            )
        template = entry.get("templateRoomEntryId")
        if template is not None and str(template) not in self._state.rooms:
            raise _entry_not_found(str(template))
        return dict(self._create_room(entry, user_id=session.user_id))

    def _room_by_id(self, params: Mapping[str, Any]) -> dict[str, Any]:
        room_id = params.get("roomId")
        if not room_id:
            raise _missing("roomId")
        room = self._state.rooms.get(str(room_id))
        if room is None:
            raise _entry_not_found(str(room_id))
        return room

    def _room_get(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require_ks(params, service="room_room", admin=True)
        return dict(self._room_by_id(params))

    def _room_update(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require_ks(params, service="room_room", admin=True)
        room = self._room_by_id(params)
        changes = self._room_object(params, "room")
        blocked = sorted(changes.keys() & (_ROOM_READ_ONLY | _ROOM_INSERT_ONLY))
        if blocked:
            name = blocked[0]
            raise ApiError(
                "PROPERTY_VALIDATION_NOT_UPDATABLE",
                f'The property "KalturaRoomEntry::{name}" cannot be updated',
                {"PROP_NAME": f"KalturaRoomEntry::{name}"},
            )
        room.update({k: str(v) for k, v in changes.items()})
        room["updatedAt"] = self._now()
        return dict(room)

    def _room_delete(self, params: dict[str, Any]) -> None:
        self._require_ks(params, service="room_room", admin=True)
        del self._state.rooms[self._room_by_id(params)["id"]]

    def _room_list(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require_ks(params, service="room_room", admin=True)
        raw_filter = params.get("filter") or {}
        raw_pager = params.get("pager") or {}
        if not isinstance(raw_filter, dict) or not isinstance(raw_pager, dict):
            raise ApiError("INVALID_OBJECT_TYPE", "filter and pager must be objects")
        filter_type = raw_filter.get("objectType", "KalturaRoomEntryFilter")
        if filter_type != "KalturaRoomEntryFilter":
            raise ApiError("INVALID_OBJECT_TYPE", f'Invalid object type "{filter_type}"', {"TYPE": filter_type})
        conditions = {k: v for k, v in raw_filter.items() if k != "objectType" and v is not None}
        unknown = set(conditions) - _ROOM_FILTERS
        if unknown:
            raise ApiError(
                "SANDBOX_UNSUPPORTED_FILTER",
                f"The sandbox does not emulate KalturaRoomEntryFilter fields: {', '.join(sorted(unknown))}",
            )
        rooms = [room for room in self._state.rooms.values() if _room_matches(room, conditions)]
        order = str(conditions.get("orderBy", "-createdAt"))
        if order not in {"+createdAt", "-createdAt"}:
            raise ApiError("SANDBOX_UNSUPPORTED_FILTER", f"The sandbox orders by +createdAt/-createdAt, not {order}")
        rooms.sort(key=lambda r: int(r["createdAt"]))
        if order.startswith("-"):
            rooms.reverse()
        size = min(max(_integer(raw_pager.get("pageSize", 30), "pageSize"), 1), MAX_PAGE_SIZE)
        index = max(_integer(raw_pager.get("pageIndex", 1), "pageIndex"), 1)
        page = rooms[(index - 1) * size : index * size]
        return {
            "objects": [dict(room) for room in page],
            "totalCount": len(rooms),
            "objectType": "KalturaRoomEntryListResponse",
        }


def _room_matches(room: Mapping[str, Any], conditions: Mapping[str, Any]) -> bool:
    def values(text: Any) -> set[str]:
        return {v.strip() for v in str(text).split(",") if v.strip()}

    checks: dict[str, Callable[[Any], bool]] = {
        "idEqual": lambda v: room["id"] == str(v),
        "idIn": lambda v: room["id"] in values(v),
        "referenceIdEqual": lambda v: room.get("referenceId") == str(v),
        "referenceIdIn": lambda v: room.get("referenceId") in values(v),
        "userIdEqual": lambda v: room.get("userId") == str(v),
        "nameLike": lambda v: str(v).lower() in str(room.get("name", "")).lower(),
        "tagsLike": lambda v: str(v).lower() in str(room.get("tags", "")).lower(),
    }
    return all(checks[key](value) for key, value in conditions.items() if key in checks)


def _integer(value: Any, name: str) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ApiError("INVALID_PARAMETER_TYPE", f'Invalid type for parameter "{name}"', {"PARAM_NAME": name}) from None


def _enum(value: Any, name: str, enum_type: str, allowed: tuple[int, ...]) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        number = None
    if number not in allowed:
        raise ApiError(
            "INVALID_ENUM_VALUE",
            f'Invalid enumeration value "{value}" for parameter "{name}", expecting enumeration type "{enum_type}"',
            {"VALUE": value, "PARAM_NAME": name, "ENUM": enum_type},
        )
    assert number is not None
    return number


def _xml_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, Mapping):
        return "".join(f"<{key}>{_xml_value(item)}</{key}>" for key, item in value.items())
    if isinstance(value, list):
        return "".join(f"<item>{_xml_value(item)}</item>" for item in value)
    return escape(str(value))


def _xml(payload: Any, *, error: bool, took: float) -> str:
    """Kaltura's default (format 2) answer: what a caller gets when its ``format=1`` was not seen."""
    result = f"<error>{_xml_value(payload)}</error>" if error else _xml_value(payload)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<xml><result>{result}</result><executionTime>{took}</executionTime></xml>"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Local Kaltura API sandbox (rooms, sessions, app tokens)")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--partner-id", type=int, default=DEFAULT_PARTNER_ID)
    parser.add_argument("--admin-secret", default=DEFAULT_ADMIN_SECRET)
    parser.add_argument(
        "--app-token", action="append", default=[], metavar="ID:TOKEN[:HASHTYPE]", help="accept this app token"
    )
    options = parser.parse_args(argv)
    sandbox = KalturaSandbox(
        partner_id=options.partner_id, admin_secret=options.admin_secret, host=options.host, port=options.port
    )
    for spec in options.app_token:
        token_id, _, rest = spec.partition(":")
        token, _, hash_type = rest.partition(":")
        if not token_id or not token:
            parser.error(f"--app-token expects ID:TOKEN[:HASHTYPE], got {spec!r}")
        sandbox.add_app_token(token_id, token, hash_type=hash_type or "SHA1")
    sandbox.start()
    print(sandbox.url, flush=True)
    sandbox.serve_until_interrupted()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
