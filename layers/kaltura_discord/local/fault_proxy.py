"""Fault injection for the local stack: a small reverse proxy in front of a dependency, and the faults it applies.

Only ``make run`` (:mod:`kaltura_discord.local.stack`) creates these: nothing here runs in AWS. The stack puts a
:class:`FaultProxy` in front of moto's DynamoDB server (``AWS_ENDPOINT_URL_DYNAMODB`` points at the proxy) and one
in front of the Discord REST stand-in (``DISCORD_API_BASE_URL`` points at it; the stand-in's own ``/_standin/``
routes pass through unfaulted and uncounted). The worker hand-off, which is in-process locally, reads the same
:class:`FaultSet` (see :class:`~kaltura_discord.local.server.AfterResponseDispatcher`).

Kinds (``count`` requests each, or every request until cleared when ``count`` is not given):

- ``hang``: the request is read and never answered; the connection is closed once the faults are cleared or the
  stack stops (or after ``ms`` when given). Never blocks shutdown.
- ``delay``: ``ms`` milliseconds, then forwarded.
- ``status``: an HTTP 5xx (``status``, default 500 for DynamoDB, 503 for Discord) with the service's error body:
  DynamoDB's ``com.amazon.coral.service#InternalFailure`` JSON, Discord's ``{"message", "code"}``.
- ``throttle``: DynamoDB's throttle answer (HTTP 400 ``ThrottlingException``, or
  ``ProvisionedThroughputExceededException`` with ``"variant": "provisioned"``); Discord's 429 with
  ``retry_after`` (``ms``, default 1000) in the JSON body and the ``Retry-After`` header.
- ``reset``: the request is read, then the connection is reset (``SO_LINGER`` 0): nothing was forwarded.
- ``lost_answer``: forwarded (so it happened), then the connection is closed without the answer.

A fault can be limited to one DynamoDB operation (``operation``: the ``X-Amz-Target`` value, for example
``DynamoDB_20120810.GetItem``, or just ``GetItem``) or to a path prefix (``path``; for Discord the ``/api/vN``
prefix may be left out, e.g. ``/webhooks``). The proxy counts the requests it received per target, faulted or not.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import re
import socket
import struct
import threading
import uuid
from collections import Counter
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any, Final, Literal, get_args
from urllib.parse import parse_qs, urlsplit

from kaltura_discord.local.http_server import ConnectionTrackingServer
from kaltura_discord.logs import get_logger

log = get_logger(__name__)

FaultKind = Literal["hang", "delay", "status", "throttle", "reset", "lost_answer"]
FAULT_KINDS: Final[tuple[str, ...]] = get_args(FaultKind)
Target = Literal["dynamodb", "discord", "kaltura", "worker"]
TARGETS: Final[tuple[str, ...]] = get_args(Target)
PROXY_FLAVOURS: Final = ("dynamodb", "discord")
MAX_FAULT_MS: Final = 300_000
HANG_LIMIT_SECONDS: Final = 300.0
"""A hang with no ``ms`` is held this long at most (or until cleared, or until the stack stops)."""
UPSTREAM_TIMEOUT_SECONDS: Final = 60.0
_HOP_BY_HOP: Final = frozenset(
    {
        "connection",
        "keep-alive",
        "proxy-authenticate",
        "proxy-authorization",
        "te",
        "trailers",
        "transfer-encoding",
        "upgrade",
        "content-length",
        "host",
    }
)
_DISCORD_PREFIX: Final = re.compile(r"^/api(?:/v\d+)?(?=/)")


@dataclass
class Fault:
    """One injected fault; ``remaining`` is ``None`` for "until cleared"."""

    target: Target
    kind: FaultKind
    remaining: int | None = None
    ms: int | None = None
    status: int | None = None
    operation: str | None = None
    path: str | None = None
    variant: str | None = None

    def matches(self, path: str, operation: str | None) -> bool:
        if self.operation is not None:
            if not operation:
                return False
            if operation != self.operation and operation.rsplit(".", 1)[-1] != self.operation:
                return False
        if self.path is not None:
            stripped = _DISCORD_PREFIX.sub("", path, count=1)
            if not (path.startswith(self.path) or stripped.startswith(self.path)):
                return False
        return True

    def as_dict(self) -> dict[str, Any]:
        shown: dict[str, Any] = {"target": self.target, "kind": self.kind, "count": self.remaining}
        for name in ("ms", "status", "operation", "path", "variant"):
            value = getattr(self, name)
            if value is not None:
                shown[name] = value
        return shown

    @classmethod
    def from_json(cls, raw: Mapping[str, Any]) -> Fault:
        """``{"target": "dynamodb", "kind": "hang"}``, with ``count``, ``ms``, ``status``, ``operation``, ``path``
        and ``variant`` where they apply. Raises ``ValueError`` with a readable reason."""
        target, kind = raw.get("target"), raw.get("kind")
        if target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}")
        if kind not in FAULT_KINDS:
            raise ValueError(f"kind must be one of {', '.join(FAULT_KINDS)}")
        count = _optional_int(raw, "count", 1, 100_000)
        ms = _optional_int(raw, "ms", 0, MAX_FAULT_MS)
        status = _optional_int(raw, "status", 400, 599)
        if kind == "delay" and ms is None:
            raise ValueError("a delay needs ms")
        if kind == "status" and status is not None and status < 500:
            raise ValueError("status faults are HTTP 5xx (use throttle for a 4xx refusal)")
        operation, path, variant = raw.get("operation"), raw.get("path"), raw.get("variant")
        if variant not in (None, "throttling", "provisioned"):
            raise ValueError("variant must be throttling or provisioned")
        if path is not None and not str(path).startswith("/"):
            raise ValueError("path must start with /")
        return cls(
            target=target,
            kind=kind,
            remaining=count,
            ms=ms,
            status=status,
            operation=str(operation) if operation else None,
            path=str(path) if path else None,
            variant=str(variant) if variant else None,
        )


def _optional_int(raw: Mapping[str, Any], name: str, low: int, high: int) -> int | None:
    value = raw.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float, str)):
        raise ValueError(f"{name} must be a number")
    try:
        number = int(value)
    except ValueError:
        raise ValueError(f"{name} must be a number") from None
    if not low <= number <= high:
        raise ValueError(f"{name} must be {low}-{high}")
    return number


class FaultSet:
    """The active faults and the per-target request counts, shared by the proxies and the worker hand-off.

    :meth:`clear` (and :meth:`close`) release every request held by a ``hang`` or a ``delay``.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._faults: list[Fault] = []
        self._counts: Counter[str] = Counter()
        self._operations: dict[str, Counter[str]] = {}
        self._release: dict[str, threading.Event] = {target: threading.Event() for target in TARGETS}
        self._closed = False

    def add(self, fault: Fault) -> None:
        with self._lock:
            self._faults.append(fault)

    def take(self, target: str, path: str, operation: str | None) -> tuple[Fault | None, threading.Event]:
        """Count one request to ``target`` and return the fault to apply to it (if any) with the event that
        releases held requests."""
        with self._lock:
            self._counts[target] += 1
            self._operations.setdefault(target, Counter())[operation or _path_head(path)] += 1
            release = self._release.setdefault(target, threading.Event())
            for fault in self._faults:
                if fault.target == target and fault.matches(path, operation):
                    if fault.remaining is not None:
                        fault.remaining -= 1
                        if fault.remaining <= 0:
                            self._faults.remove(fault)
                    return fault, release
        return None, release

    def clear(self, target: str | None = None) -> None:
        """Remove the faults (of one target, or all) and release the requests they hold."""
        with self._lock:
            self._faults = [f for f in self._faults if target is not None and f.target != target]
            for name in list(self._release):
                if target is None or name == target:
                    self._release[name].set()
                    if not self._closed:
                        self._release[name] = threading.Event()

    def close(self) -> None:
        """The stack is stopping: release everything held, now and from now on."""
        with self._lock:
            self._closed = True
            self._faults.clear()
            for event in self._release.values():
                event.set()

    def faults(self) -> list[dict[str, Any]]:
        with self._lock:
            return [fault.as_dict() for fault in self._faults]

    def counts(self) -> dict[str, int]:
        with self._lock:
            return {target: self._counts.get(target, 0) for target in TARGETS if target != "kaltura"}

    def operations(self) -> dict[str, dict[str, int]]:
        with self._lock:
            return {target: dict(counter) for target, counter in self._operations.items()}


def _path_head(path: str) -> str:
    stripped = _DISCORD_PREFIX.sub("", path.split("?", 1)[0], count=1)
    head = stripped.strip("/").split("/", 1)[0]
    return f"/{head}"


# ---- the proxy --------------------------------------------------------------------------------------------


def _error_answer(flavour: str, fault: Fault) -> tuple[int, dict[str, str], bytes]:
    """What the real service answers for a ``status`` or ``throttle`` fault."""
    request_id = uuid.uuid4().hex.upper()
    if flavour == "dynamodb":
        headers = {"Content-Type": "application/x-amz-json-1.0", "x-amzn-RequestId": request_id}
        if fault.kind == "throttle":
            if fault.variant == "provisioned":
                kind = "com.amazonaws.dynamodb.v20120810#ProvisionedThroughputExceededException"
                message = (
                    "The level of configured provisioned throughput for the table was exceeded. "
                    "Consider increasing your provisioning level with the UpdateTable API."
                )
            else:
                kind = "com.amazonaws.dynamodb.v20120810#ThrottlingException"
                message = "Rate of requests exceeds the allowed throughput."
            return 400, headers, json.dumps({"__type": kind, "message": message}).encode()
        body = {"__type": "com.amazon.coral.service#InternalFailure", "message": "Injected fault: internal failure"}
        return fault.status or 500, headers, json.dumps(body).encode()
    headers = {"Content-Type": "application/json"}
    if fault.kind == "throttle":
        retry_after = (1000 if fault.ms is None else fault.ms) / 1000
        headers.update(
            {
                "Retry-After": str(max(1, round(retry_after))),
                "X-RateLimit-Limit": "5",
                "X-RateLimit-Remaining": "0",
                "X-RateLimit-Reset-After": f"{retry_after:.3f}",
                "X-RateLimit-Scope": "user",
            }
        )
        body_429 = {"message": "You are being rate limited.", "retry_after": retry_after, "global": False}
        return 429, headers, json.dumps(body_429).encode()
    status = fault.status or 503
    phrase = http.client.responses.get(status, "Server Error")
    return status, headers, json.dumps({"message": f"{status}: {phrase}", "code": 0}).encode()


class _ProxyServer(ConnectionTrackingServer):
    daemon_threads = True
    request_queue_size = 1024
    failure_message = "fault proxy request failed"

    def __init__(self, address: tuple[str, int], proxy: FaultProxy) -> None:
        self.proxy = proxy
        super().__init__(address, _ProxyHandler)


class _ProxyHandler(BaseHTTPRequestHandler):
    server: _ProxyServer
    protocol_version = "HTTP/1.1"
    _upstream: http.client.HTTPConnection | None = None

    def setup(self) -> None:
        super().setup()
        self.server.track(self.connection, add=True)

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            self.server.track(self.connection, add=False)
            if self._upstream is not None:
                self._upstream.close()

    def log_message(self, format: str, *args: Any) -> None:
        return

    def _body(self) -> bytes:
        if "chunked" in (self.headers.get("Transfer-Encoding") or "").lower():
            return b"".join(self._chunks())
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _chunks(self) -> Iterator[bytes]:
        while True:
            size = int(self.rfile.readline().split(b";", 1)[0].strip() or b"0", 16)
            if size == 0:
                while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                    pass
                return
            yield self.rfile.read(size)
            self.rfile.readline()

    def _serve(self) -> None:
        proxy = self.server.proxy
        body = self._body()
        path = self.path
        if any(path.startswith(prefix) for prefix in proxy.passthrough):
            self._answer(*self._forward(body))
            return
        fault, release = proxy.faults.take(proxy.name, path, self.headers.get("X-Amz-Target"))
        if fault is None:
            self._answer(*self._forward(body))
        elif fault.kind == "hang":
            release.wait(HANG_LIMIT_SECONDS if fault.ms is None else fault.ms / 1000)
            self._drop()
        elif fault.kind == "delay":
            release.wait((fault.ms or 0) / 1000)
            self._answer(*self._forward(body))
        elif fault.kind in ("status", "throttle"):
            self._answer(*_error_answer(proxy.flavour, fault))
        elif fault.kind == "reset":
            self._reset()
        else:  # lost_answer
            self._forward(body)
            self._drop()

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_HEAD = _serve

    def _forward(self, body: bytes) -> tuple[int, dict[str, str], bytes]:
        proxy = self.server.proxy
        headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP_BY_HOP}
        headers["Host"] = proxy.upstream_netloc
        headers["Content-Length"] = str(len(body))
        for attempt in (1, 2):
            if self._upstream is None:
                self._upstream = http.client.HTTPConnection(
                    proxy.upstream_host, proxy.upstream_port, timeout=UPSTREAM_TIMEOUT_SECONDS
                )
            try:
                self._upstream.request(self.command, self.path, body=body, headers=headers)
                response = self._upstream.getresponse()
                payload = response.read()
            except (OSError, http.client.HTTPException):
                self._upstream.close()
                self._upstream = None
                if attempt == 2:
                    return 502, {"Content-Type": "text/plain"}, b"fault proxy: the upstream did not answer"
                continue  # a kept-alive upstream connection the upstream had closed
            if response.will_close:
                self._upstream.close()
                self._upstream = None
            answer_headers = {k: v for k, v in response.getheaders() if k.lower() not in _HOP_BY_HOP}
            return response.status, answer_headers, payload
        raise AssertionError("unreachable")

    def _answer(self, status: int, headers: dict[str, str], payload: bytes) -> None:
        try:
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(payload)
            self.wfile.flush()
        except OSError:
            self.close_connection = True

    def _drop(self) -> None:
        """Close without an answer."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _reset(self) -> None:
        """Close with a TCP reset (SO_LINGER 0)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()


class FaultProxy:
    """``FaultProxy("dynamodb", upstream_url, faults).start()``; point the client at :attr:`url` instead."""

    def __init__(
        self,
        name: str,
        upstream_url: str,
        faults: FaultSet,
        *,
        flavour: str | None = None,
        passthrough: tuple[str, ...] = (),
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        split = urlsplit(upstream_url)
        if split.scheme != "http" or not split.hostname:
            raise ValueError(f"the fault proxy forwards to plain http on loopback, not {upstream_url!r}")
        self.name = name
        self.flavour = flavour or name
        if self.flavour not in PROXY_FLAVOURS:
            raise ValueError(f"flavour must be one of {', '.join(PROXY_FLAVOURS)}")
        self.faults = faults
        self.passthrough = passthrough
        self.upstream_host = split.hostname
        self.upstream_port = split.port or 80
        self.upstream_netloc = split.netloc
        self._server = _ProxyServer((host, port), self)
        self._thread: threading.Thread | None = None

    @property
    def server_address(self) -> tuple[str, int]:
        host, port = self._server.server_address[:2]
        return str(host), int(port)

    @property
    def url(self) -> str:
        host, port = self.server_address
        return f"http://{host}:{port}"

    def start(self) -> FaultProxy:
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, name=f"fault-proxy-{self.name}"
        )
        self._thread.daemon = True
        self._thread.start()
        return self

    def stop(self) -> None:
        """Quick: held requests are released, open connections closed; handler threads are daemons."""
        self.faults.close()
        self._server.shutdown()
        self._server.close_connections()
        self._server.server_close()
        if self._thread is not None:
            self._thread.join(timeout=2)
            self._thread = None


# ---- the control route ------------------------------------------------------------------------------------

CONTROL_PATH: Final = "/_local/faults"
_SANDBOX_KINDS: Final = {
    "hang": "hang",
    "delay": "slow",
    "status": "status",
    "reset": "reset",
    "lost_answer": "lost_answer",
}
_SANDBOX_MAX_SECONDS: Final = 120.0
_SANDBOX_MAX_COUNT: Final = 1000


class FaultControl:
    """``GET``/``POST``/``DELETE /_local/faults`` on the local server (a Lambda-style handler), and
    ``LOCAL_FAULTS`` at start. ``targets`` are the ones this stack can fault: ``worker`` always, ``dynamodb`` and
    ``discord`` when the stack started them behind a proxy, ``kaltura`` when the sandbox runs (its own
    ``/_sandbox/faults`` does the work)."""

    def __init__(self, faults: FaultSet, *, proxied: tuple[str, ...] = (), sandbox_url: str | None = None) -> None:
        self.faults = faults
        self.sandbox_url = sandbox_url
        self.targets = ("worker", *proxied, *(("kaltura",) if sandbox_url else ()))

    # -- operations -------------------------------------------------------------------------------------------

    def inject(self, raw: Mapping[str, Any]) -> dict[str, Any]:
        """Add one fault (the JSON of ``POST /_local/faults``); ``ValueError`` when it cannot be applied here."""
        fault = Fault.from_json(raw)
        if fault.target not in self.targets:
            raise ValueError(f"{fault.target} cannot be faulted in this stack (it was not started by make run)")
        if fault.target == "kaltura":
            return self._inject_kaltura(fault, raw)
        self.faults.add(fault)
        log.warning("local fault injected", extra=fault.as_dict())
        return fault.as_dict()

    def clear(self, target: str | None = None) -> None:
        if target is not None and target not in TARGETS:
            raise ValueError(f"target must be one of {', '.join(TARGETS)}")
        self.faults.clear(target)
        if self.sandbox_url and target in (None, "kaltura"):
            self._sandbox("DELETE", "/_sandbox/faults")
        log.warning("local faults cleared", extra={"target": target or "all"})

    def snapshot(self) -> dict[str, Any]:
        counts: dict[str, Any] = self.faults.counts()
        operations = self.faults.operations()
        kaltura_faults: list[Any] = []
        if self.sandbox_url:
            state = self._sandbox("GET", "/_sandbox/state")
            calls = {str(k): int(v) for k, v in dict(state.get("calls") or {}).items()}
            counts["kaltura"] = sum(calls.values())
            operations["kaltura"] = calls
            kaltura_faults = list(state.get("faults") or [])
        return {
            "targets": list(self.targets),
            "faults": self.faults.faults(),
            "kaltura_faults": kaltura_faults,
            "counts": counts,
            "operations": operations,
        }

    def apply_setting(self, text: str | None) -> list[dict[str, Any]]:
        """``LOCAL_FAULTS``: a JSON list of faults (or one object) applied once the stack is up."""
        if not text or not text.strip():
            return []
        try:
            parsed = json.loads(text)
        except ValueError as exc:
            raise ValueError(f"LOCAL_FAULTS is not JSON: {exc}") from None
        items = parsed if isinstance(parsed, list) else [parsed]
        applied = []
        for item in items:
            if not isinstance(item, dict):
                raise ValueError("LOCAL_FAULTS must be a JSON list of fault objects")
            try:
                applied.append(self.inject(item))
            except ValueError as exc:
                raise ValueError(f"LOCAL_FAULTS: {exc}") from None
        return applied

    def _inject_kaltura(self, fault: Fault, raw: Mapping[str, Any]) -> dict[str, Any]:
        kind = _SANDBOX_KINDS.get(fault.kind)
        if kind is None:
            raise ValueError("Kaltura has no throttle answer; use status (an HTTP 5xx) instead")
        service, action = raw.get("service"), raw.get("action")
        if fault.operation and not (service or action):
            service, _, action = fault.operation.partition(".")
        body: dict[str, Any] = {
            "kind": kind,
            "count": min(fault.remaining or _SANDBOX_MAX_COUNT, _SANDBOX_MAX_COUNT),
            "service": service or None,
            "action": action or None,
        }
        if fault.kind in ("hang", "delay"):
            body["seconds"] = _SANDBOX_MAX_SECONDS if fault.ms is None else min(fault.ms / 1000, _SANDBOX_MAX_SECONDS)
        if fault.kind == "status":
            body["status"] = fault.status or 503
        answer = self._sandbox("POST", "/_sandbox/faults", body)
        log.warning("local fault injected", extra={"target": "kaltura", **body})
        return {"target": "kaltura", "kind": fault.kind, "sandbox": answer}

    def _sandbox(self, method: str, path: str, body: Any = None) -> dict[str, Any]:
        assert self.sandbox_url is not None
        split = urlsplit(self.sandbox_url)
        connection = http.client.HTTPConnection(split.hostname or "127.0.0.1", split.port or 80, timeout=10)
        try:
            payload = None if body is None else json.dumps(body).encode()
            headers = {"Content-Type": "application/json"} if payload is not None else {}
            connection.request(method, path, body=payload, headers=headers)
            response = connection.getresponse()
            answer = json.loads(response.read() or b"{}")
        finally:
            connection.close()
        if response.status >= 300:
            raise ValueError(f"the Kaltura sandbox refused the fault: {answer.get('error', answer)}")
        return answer if isinstance(answer, dict) else {"answer": answer}

    # -- HTTP ---------------------------------------------------------------------------------------------------

    def handle(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        """The route's Lambda-style handler (the local server turns each request into an API Gateway event)."""
        method = str(event.get("requestContext", {}).get("http", {}).get("method", "GET")).upper()
        path = str(event.get("rawPath") or "").rstrip("/")
        if path != CONTROL_PATH:
            return _json(404, {"error": f"no control route {path}"})
        query = {k: v[-1] for k, v in parse_qs(str(event.get("rawQueryString") or "")).items()}
        try:
            if method == "GET":
                return _json(200, self.snapshot())
            if method == "DELETE":
                self.clear(query.get("target") or None)
                return _json(200, {"cleared": query.get("target") or "all"})
            if method == "POST":
                raw = _event_body(event)
                parsed = json.loads(raw or "{}")
                items = parsed if isinstance(parsed, list) else [parsed]
                if not all(isinstance(item, dict) for item in items):
                    raise ValueError("the body is a fault object or a list of them")
                return _json(201, {"added": [self.inject(item) for item in items]})
        except ValueError as exc:
            return _json(400, {"error": str(exc)})
        except OSError as exc:
            return _json(502, {"error": f"the Kaltura sandbox did not answer: {exc}"})
        return _json(405, {"error": f"{method} is not allowed on {CONTROL_PATH}"})


def _event_body(event: Mapping[str, Any]) -> str:
    import base64

    body = str(event.get("body") or "")
    return base64.b64decode(body).decode() if event.get("isBase64Encoded") else body


def _json(status: int, value: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(value)}
