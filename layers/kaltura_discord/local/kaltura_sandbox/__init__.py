"""A local stand-in for the Kaltura API v3 calls this project makes, as strict as the real server.

No Kaltura account is reachable from development machines, so the local stack and the tests talk to this server.
It follows ``shared/kaltura/README.md`` and the kaltura/server source: each rule names the server file it comes
from, in the module that models it:

- :mod:`.transport`: JSON only with ``Content-Type: application/json`` exactly, ``format=1`` or XML, errors as
  HTTP 200 ``KalturaAPIException`` objects; faults; the local-only control routes;
- :mod:`.sessions`: KS v2 checked with the partner's secret, ``actionslimit`` <= 0 refused for every call,
  widget sessions, ``apptoken.add`` and ``apptoken.startSession`` with the server's privilege merge;
- :mod:`.rooms`: ``room_room`` with rooms stored as ``NO_CONTENT``, lists forced to ``READY`` without a status
  filter, template and ``referenceId`` checks, ownership for USER sessions;
- :mod:`.entries`: a room's recordings (media entries whose ``rootEntryId`` is the room) and ``baseEntry``
  ``get``/``list``;
- :mod:`.notifications`: ``eventNotificationTemplate`` (system templates, ``clone``, ``updateStatus``...) and the
  signed HTTP notification an enabled template sends when a recording becomes READY;
- :mod:`.errors`: codes, texts and argument names from ``KalturaErrors.php``.

What is still simpler than the server is listed in ``docs/kaltura.md`` ("Sandbox vs server"). Fields, filters or
actions it does not know are refused with a ``SANDBOX_UNSUPPORTED_*`` code (or ``SERVICE_DOES_NOT_EXISTS``) rather
than silently ignored, so a test cannot pass on something the sandbox never looked at.

In-process::

    sandbox = KalturaSandbox(partner_id=1234567, admin_secret="local-secret").start()
    os.environ["KALTURA_SERVICE_URL"] = sandbox.url        # plus KALTURA_PARTNER_ID / KALTURA_ADMIN_SECRET
    sandbox.inject("lost_answer", service="room_room", action="add")
    ...
    sandbox.stop()

or on its own: ``python -m kaltura_discord.local.kaltura_sandbox --port 8089`` (prints its URL). Over HTTP, the
control routes: ``GET /_sandbox/state`` (rooms, recordings, templates, notifications sent, calls, app tokens),
``POST /_sandbox/faults`` (a fault, see :mod:`.faults`), ``DELETE /_sandbox/faults``, and ``POST /_sandbox/recordings``
``{"room_id": ..., "duration": seconds, "notify": true}`` (a recording of the room appears, READY, and enabled
templates notify; ``"notify": false`` keeps them quiet, as on an account without notifications).
"""

from __future__ import annotations

import json
import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict
from typing import Any

from kaltura_discord.kaltura.client import HASH_TYPES
from kaltura_discord.kaltura.ks import ParsedKs, SessionType, parse_ks
from kaltura_discord.local.kaltura_sandbox import errors
from kaltura_discord.local.kaltura_sandbox import notifications as templates
from kaltura_discord.local.kaltura_sandbox.entries import Entries
from kaltura_discord.local.kaltura_sandbox.errors import ApiError
from kaltura_discord.local.kaltura_sandbox.faults import Fault, FaultKind
from kaltura_discord.local.kaltura_sandbox.listing import MAX_PAGE_SIZE
from kaltura_discord.local.kaltura_sandbox.rooms import STATUS_NO_CONTENT, STATUS_READY, Rooms
from kaltura_discord.local.kaltura_sandbox.sessions import SERVER_PRIVILEGES, Sessions
from kaltura_discord.local.kaltura_sandbox.state import RecordedRequest, SandboxAppToken, SandboxState
from kaltura_discord.local.kaltura_sandbox.transport import (
    API_PATH,
    CONTROL_PREFIX,
    Handler,
    Server,
    api_answer,
    request_params,
)

__all__ = [
    "DEFAULT_ADMIN_SECRET",
    "DEFAULT_PARTNER_ID",
    "MAX_PAGE_SIZE",
    "SERVER_PRIVILEGES",
    "STATUS_NO_CONTENT",
    "STATUS_READY",
    "ApiError",
    "Fault",
    "KalturaSandbox",
    "RecordedRequest",
    "SandboxAppToken",
]

DEFAULT_PARTNER_ID = 1234567
STATUS_PRECONVERT = 1  # entryStatus::PRECONVERT (alpha/lib/enums/entryStatus.php): still being converted
DEFAULT_ADMIN_SECRET = "sandbox-admin-secret"  # noqa: S105 - a fake for a local-only server

Action = Callable[[dict[str, Any]], Any]


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
        self._state = SandboxState()
        self._lock = threading.RLock()
        self._release = threading.Event()
        self._stopping = False
        self._server: Server | None = None
        self._thread: threading.Thread | None = None
        self._sessions = Sessions(self._state, self.partner_id, admin_secret, clock, random.Random(seed))
        self._rooms = Rooms(self._state, self._sessions)
        self._entries = Entries(self._state, self._sessions, self._rooms.new_entry_id)
        self._templates = templates.Templates(self._state, self._sessions, admin_secret)
        # (service, lower-case action) -> (the action's canonical name, handler)
        self._actions: dict[tuple[str, str], tuple[str, Action]] = {
            ("session", "start"): ("start", self._sessions.start),
            ("session", "startwidgetsession"): ("startWidgetSession", self._sessions.start_widget_session),
            ("apptoken", "add"): ("add", self._sessions.app_token_add),
            ("apptoken", "get"): ("get", self._sessions.app_token_get),
            ("apptoken", "delete"): ("delete", self._sessions.app_token_delete),
            ("apptoken", "startsession"): ("startSession", self._sessions.app_token_start_session),
            ("room_room", "add"): ("add", self._rooms.add),
            ("room_room", "get"): ("get", self._rooms.get),
            ("room_room", "list"): ("list", self._rooms.list),
            ("room_room", "update"): ("update", self._rooms.update),
            ("room_room", "delete"): ("delete", self._rooms.delete),
            ("baseentry", "get"): ("get", self._entries.get),
            ("baseentry", "list"): ("list", self._entries.list),
            (templates.SERVICE, "list"): ("list", self._templates.list_own),
            (templates.SERVICE, "listtemplates"): ("listTemplates", self._templates.list_templates),
            (templates.SERVICE, "get"): ("get", self._templates.get),
            (templates.SERVICE, "clone"): ("clone", self._templates.clone),
            (templates.SERVICE, "update"): ("update", self._templates.update),
            (templates.SERVICE, "updatestatus"): ("updateStatus", self._templates.update_status),
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
        self._server = Server((self.host, self.port), self)
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

    def seed_room(self, name: str, *, room_type: int = 1, status: int = STATUS_READY, **fields: Any) -> str:
        """A room an account admin made earlier (a template room, say); READY unless ``status`` says otherwise."""
        with self._lock:
            room = self._rooms.seed({"name": name, "roomType": room_type, "status": status, **fields}, user_id="admin")
            return str(room["id"])

    def seed_entry(self) -> str:
        """An entry that is not a room (a media entry): as a template it is refused with INVALID_FIELD_VALUE."""
        with self._lock:
            return self._rooms.seed_other_entry()

    def set_room_status(self, room_id: str, status: int) -> None:
        with self._lock:
            self._state.rooms[room_id]["status"] = int(status)

    def add_recording(
        self, room_id: str, *, duration: int = 60, name: str | None = None, ready: bool = True, notify: bool = True
    ) -> dict[str, Any]:
        """A recording of the room appears (``rootEntryId`` = the room), READY unless ``ready`` is False (then
        PRECONVERT until :meth:`set_recording_status`). A READY one is an entry whose status changed to READY: enabled
        templates notify, unless ``notify`` is False. Answers the entry and the notifications sent."""
        with self._lock:
            status = STATUS_READY if ready else STATUS_PRECONVERT
            entry = self._entries.add_recording(room_id, duration=duration, name=name, status=status)
            deliveries = self._templates.deliveries_for_status_change(entry, None) if notify and ready else []
        return {"entry": entry, "notifications": self._deliver(deliveries)}

    def set_recording_status(self, entry_id: str, status: int, *, notify: bool = True) -> list[dict[str, Any]]:
        """Change a recording's status (conversion done: READY); enabled templates notify. Answers what was sent."""
        with self._lock:
            entry, previous = self._entries.set_status(entry_id, status)
            deliveries = self._templates.deliveries_for_status_change(entry, previous) if notify else []
        return self._deliver(deliveries)

    def _deliver(self, deliveries: list[templates.Delivery]) -> list[dict[str, Any]]:
        """Send outside the lock (the receiver calls this sandbox back), then remember what happened."""
        sent = []
        for delivery in deliveries:
            templates.send(delivery)
            sent.append(templates.describe(delivery))
        with self._lock:
            self._state.notifications.extend(sent)
        return sent

    @property
    def recordings(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(entry) for entry in self._state.entries.values()]

    @property
    def notification_templates(self) -> list[dict[str, Any]]:
        with self._lock:
            return [templates.public(t) for t in self._state.templates.values()]

    @property
    def notifications_sent(self) -> list[dict[str, Any]]:
        with self._lock:
            return [dict(sent) for sent in self._state.notifications]

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
        """A token as if an admin had run ``appToken.add`` (the sandbox also serves that action itself)."""
        if hash_type.upper() not in HASH_TYPES:
            raise ValueError(f"unknown hash type {hash_type!r}")
        with self._lock:
            return self._sessions.add_token(
                SandboxAppToken(
                    id=token_id or self._sessions.new_token_id(),
                    token=token or self._sessions.new_token_secret(),
                    hash_type=hash_type.upper(),
                    session_type=session_type,
                    session_user_id=session_user_id,
                    session_privileges=session_privileges,
                    session_duration=session_duration,
                    expiry=expiry,
                    status=2 if active else 1,
                )
            )

    @property
    def app_tokens(self) -> list[SandboxAppToken]:
        with self._lock:
            return list(self._state.app_tokens.values())

    def inspect_ks(self, ks: str) -> ParsedKs:
        """Decrypt a KS with this partner's secret (tests check join privileges with it)."""
        return parse_ks(ks, self.admin_secret)

    def invalidate_sessions(self) -> None:
        """Every KS seen so far stops working (``INVALID_KS``), as after a session.end or a secret rotation."""
        with self._lock:
            self._state.revoked |= self._state.seen

    def state_snapshot(self) -> dict[str, Any]:
        """What ``GET /_sandbox/state`` answers: rooms, call counts and app tokens (with their secrets: local only)."""
        with self._lock:
            return {
                "partner_id": self.partner_id,
                "rooms": [dict(room) for room in self._state.rooms.values()],
                "recordings": [dict(entry) for entry in self._state.entries.values()],
                "templates": [templates.public(t) for t in self._state.templates.values()],
                "notifications": [dict(sent) for sent in self._state.notifications],
                "calls": dict(self._state.calls),
                "app_tokens": [asdict(token) for token in self._state.app_tokens.values()],
                "faults": [asdict(fault) for fault in self._state.faults],
            }

    # --- faults ---------------------------------------------------------------------------------------------

    def inject(
        self,
        kind: FaultKind,
        count: int = 1,
        *,
        service: str | None = None,
        action: str | None = None,
        seconds: float = 30.0,
        status: int = 503,
        code: str = "INTERNAL_SERVERL_ERROR",
    ) -> None:
        """Put a fault in front of the next ``count`` matching requests (see :mod:`.faults` for the kinds)."""
        fault = Fault(kind, count, status=status, seconds=seconds, code=code, service=service, action=action)
        with self._lock:
            self._state.faults.append(fault)

    def fail_next(
        self, count: int = 1, *, status: int = 503, service: str | None = None, action: str | None = None
    ) -> None:
        """The next ``count`` matching requests get HTTP ``status`` and an HTML body, as a proxy would answer."""
        self.inject("status", count, status=status, service=service, action=action)

    def hang_next(
        self, count: int = 1, *, seconds: float = 30.0, service: str | None = None, action: str | None = None
    ) -> None:
        """Hold the next ``count`` matching requests for ``seconds`` (or until stop/clear), then serve them."""
        self.inject("slow", count, seconds=seconds, service=service, action=action)

    def set_latency(self, seconds: float) -> None:
        with self._lock:
            self._state.latency = seconds

    def clear_faults(self) -> None:
        with self._lock:
            self._state.faults.clear()
            self._state.latency = 0.0
            self._release.set()
            self._release = threading.Event()

    def _take_fault(self, service: str, action: str) -> Fault | None:
        for fault in self._state.faults:
            if fault.matches(service, action):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._state.faults.remove(fault)
                return fault
        return None

    # --- HTTP -----------------------------------------------------------------------------------------------

    def handle(self, request: Handler, method: str) -> None:
        raw = request.body()
        path = request.path.split("?", 1)[0]
        if path.startswith(CONTROL_PREFIX):
            self._control(request, method, path, raw)
            return
        match = API_PATH.fullmatch(path)
        if match is None:
            request.reply(404, b"<html><body>404 Not Found</body></html>", "text/html")
            return
        params = request_params(request, method, raw)
        service = match["service"].lower()
        raw_action = match["action"] or str(params.get("action") or "")
        known = self._actions.get((service, raw_action.lower()))
        action = known[0] if known else raw_action
        with self._lock:
            self._state.calls[f"{service}.{action}"] += 1
            self._state.requests.append(
                RecordedRequest(method, service, action, request.headers.get("Content-Type"), dict(params))
            )
            latency = self._state.latency
            fault = self._take_fault(service, action)
            release = self._release
        if latency > 0:
            release.wait(latency)
        if fault is not None and not self._before(request, fault, params, release):
            return
        payload, is_error = self._run(service, action, known, params)
        if fault is not None and fault.kind == "lost_answer":
            request.drop()
            return
        body, content_type = api_answer(payload, error=is_error, params=params)
        request.reply(200, body, content_type)

    def _before(self, request: Handler, fault: Fault, params: dict[str, Any], release: threading.Event) -> bool:
        """Apply a fault; True when the action should still run (``slow``, ``lost_answer``)."""
        if fault.kind == "status":
            text = f"<html><body><h1>{fault.status} Service Unavailable</h1></body></html>"
            request.reply(fault.status, text.encode(), "text/html")
        elif fault.kind == "error":
            error = ApiError(fault.code, f"Injected fault {fault.code}")
            body, content_type = api_answer(error.to_api(), error=True, params=params)
            request.reply(200, body, content_type)
        elif fault.kind == "reset":
            request.reset()
        elif fault.kind == "hang":
            release.wait(fault.seconds)
            request.drop()
        elif fault.kind == "slow":
            release.wait(fault.seconds)
            return not self._stopping
        return fault.performs_action

    def _run(
        self, service: str, action: str, known: tuple[str, Action] | None, params: dict[str, Any]
    ) -> tuple[Any, bool]:
        try:
            if known is None:
                if service not in {s for s, _ in self._actions}:
                    raise errors.service_does_not_exist(service)
                raise errors.action_does_not_exist(service, action)
            with self._lock:
                return known[1](params), False
        except ApiError as error:
            return error.to_api(), True

    def _recording_route(self, request: Handler, raw: bytes) -> None:
        """``POST /_sandbox/recordings`` ``{"room_id": "0_abc", "duration": 1800, "name": "...", "notify": true}``."""
        try:
            body = json.loads(raw or b"{}")
            if not isinstance(body, dict) or not isinstance(body.get("room_id"), str):
                raise ValueError('body must be {"room_id": "...", "duration": seconds}')
            duration = body.get("duration", 60)
            notify = body.get("notify", True)
            if not isinstance(duration, int) or isinstance(duration, bool) or not isinstance(notify, bool):
                raise ValueError("duration must be whole seconds and notify true or false")
            name = body.get("name")
            answer = self.add_recording(
                body["room_id"], duration=duration, name=name if isinstance(name, str) else None, notify=notify
            )
        except ValueError as exc:
            request.reply_json(400, {"error": str(exc)})
            return
        except ApiError as exc:
            request.reply_json(404 if exc.code == "ENTRY_ID_NOT_FOUND" else 400, exc.to_api())
            return
        request.reply_json(201, answer)

    def _control(self, request: Handler, method: str, path: str, raw: bytes) -> None:
        """Local-only routes for the local stack and its tests; the sandbox never runs in AWS."""
        name = path[len(CONTROL_PREFIX) :].strip("/")
        if (method, name) == ("GET", "state"):
            request.reply_json(200, self.state_snapshot())
        elif (method, name) == ("POST", "faults"):
            try:
                body = json.loads(raw or b"{}")
                fault = Fault.from_json(body if isinstance(body, dict) else {})
            except (ValueError, TypeError) as exc:
                request.reply_json(400, {"error": str(exc)})
                return
            with self._lock:
                self._state.faults.append(fault)
            request.reply_json(201, asdict(fault))
        elif (method, name) == ("DELETE", "faults"):
            self.clear_faults()
            request.reply_json(200, {"cleared": True})
        elif (method, name) == ("POST", "recordings"):
            self._recording_route(request, raw)
        else:
            request.reply_json(404, {"error": f"no control route {method} {path}"})
