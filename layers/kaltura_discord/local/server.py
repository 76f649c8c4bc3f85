"""Serves the Lambda handlers over HTTP on loopback, turning each request into an API Gateway v2 event.

Deferred jobs run in-process after the response has been written, as the asynchronous worker would.
"""

from __future__ import annotations

import base64
import json
import queue
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any, Final

from kaltura_discord import deadline
from kaltura_discord.bot.jobs import DispatchError, Job
from kaltura_discord.local.http_server import ConnectionTrackingServer
from kaltura_discord.logs import get_logger

if TYPE_CHECKING:
    from kaltura_discord.local.fault_proxy import FaultSet

log = get_logger(__name__)

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]
REQUEST_QUEUE_SIZE: Final = 1024
"""The listen backlog (the kernel caps it at ``net.core.somaxconn``); the standard library's 5 reset most of a
burst of connections."""
POLL_INTERVAL_SECONDS: Final = 0.05
_REFUSALS: Final = {
    "status": "ServiceException (injected HTTP 5xx)",
    "throttle": "TooManyRequestsException (injected throttle)",
    "reset": "ConnectionClosedError (injected reset)",
}
STOP_GRACE_SECONDS: Final = 1.0
"""How long :meth:`AfterResponseDispatcher.shutdown` lets running jobs finish before the stack exits anyway."""


class AfterResponseDispatcher:
    """Collects the jobs a request submits; :meth:`flush` hands them to the worker once the answer is out.

    The worker threads are daemons, so a job stuck on a dependency never keeps the stack from exiting. With a
    :class:`~kaltura_discord.local.fault_proxy.FaultSet`, the hand-off fails the way a bounded Lambda invoke
    would (target ``worker``; ``operation`` matches the job kind): ``hang`` holds the request until the
    interaction's deadline budget is spent, then raises :class:`DispatchError`; ``status``, ``throttle`` and
    ``reset`` raise it at once; ``lost_answer`` queues the job and raises it; ``delay`` waits ``ms`` (within the
    budget) and queues the job.
    """

    def __init__(
        self, run_job: Callable[[dict[str, Any]], Any], workers: int = 4, *, faults: FaultSet | None = None
    ) -> None:
        self._run_job = run_job
        self._pending = threading.local()
        self._workers = workers
        self._queue: queue.SimpleQueue[dict[str, Any] | None] = queue.SimpleQueue()
        self._threads: list[threading.Thread] = []
        self._threads_lock = threading.Lock()
        self._closed = False
        self.faults = faults

    def submit(self, job: Job) -> None:
        # A JSON round trip, as the asynchronous invoke does, so nothing passes that Lambda would refuse.
        event = json.loads(json.dumps(job.to_dict()))
        if self.faults is not None:
            self._apply_fault(job, event)
            return
        self._jobs().append(event)

    def _apply_fault(self, job: Job, event: dict[str, Any]) -> None:
        assert self.faults is not None
        fault, release = self.faults.take("worker", f"/{job.kind}", job.kind)
        if fault is None:
            self._jobs().append(event)
            return
        bound = deadline.current()
        budget = deadline.FIRST_ANSWER_SECONDS if bound is None else bound.budget()
        if fault.kind == "hang":
            release.wait(budget)
            raise DispatchError("ReadTimeoutError (injected hang)")
        if fault.kind == "delay":
            wanted = (fault.ms or 0) / 1000
            if wanted > budget:
                release.wait(budget)
                raise DispatchError("ReadTimeoutError (injected delay longer than the budget)")
            release.wait(wanted)
            self._jobs().append(event)
            return
        if fault.kind == "lost_answer":
            self._jobs().append(event)
            raise DispatchError("ReadTimeoutError (injected lost answer: the job was queued)")
        raise DispatchError(_REFUSALS.get(fault.kind, fault.kind))

    def _jobs(self) -> list[dict[str, Any]]:
        if not hasattr(self._pending, "jobs"):
            self._pending.jobs = []
        jobs: list[dict[str, Any]] = self._pending.jobs
        return jobs

    def flush(self) -> None:
        jobs, self._pending.jobs = self._jobs(), []
        if not jobs:
            return
        self._ensure_threads()
        for event in jobs:
            self._queue.put(event)

    def _ensure_threads(self) -> None:
        with self._threads_lock:
            if self._closed or self._threads:
                return
            for n in range(self._workers):
                thread = threading.Thread(target=self._work, name=f"local-worker-{n}", daemon=True)
                thread.start()
                self._threads.append(thread)

    def _work(self) -> None:
        while (event := self._queue.get()) is not None:
            self._run_safely(event)

    def _run_safely(self, event: dict[str, Any]) -> None:
        try:
            self._run_job(event)
        except Exception:
            log.exception("local worker failed", extra={"interaction_id": event.get("interaction_id")})

    def shutdown(self, grace: float = STOP_GRACE_SECONDS) -> None:
        """Stop taking jobs; running ones get ``grace`` seconds, then are left to die with the process."""
        with self._threads_lock:
            self._closed = True
            threads, self._threads = self._threads, []
        for _ in threads:
            self._queue.put(None)
        until = time.monotonic() + grace
        for thread in threads:
            thread.join(max(0.0, until - time.monotonic()))


def lambda_event(
    method: str, path: str, query: str, headers: dict[str, str], body: bytes, *, domain_name: str | None = None
) -> dict[str, Any]:
    """``domain_name`` is what API Gateway puts in ``requestContext.domainName``: the address the server was
    reached at as its operator configured it, never the request's ``Host`` header."""
    text_body = True
    try:
        decoded = body.decode("utf-8")
    except UnicodeDecodeError:
        text_body = False
    return {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": {k.lower(): v for k, v in headers.items()},
        "requestContext": {
            "http": {"method": method, "path": path, "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1"},
            "stage": "$default",
            **({"domainName": domain_name} if domain_name else {}),
        },
        "body": decoded if text_body else base64.b64encode(body).decode(),
        "isBase64Encoded": not text_body,
    }


class LocalServer:
    """Routes path prefixes to Lambda-style handlers; ``GET /health`` answers readiness checks."""

    def __init__(
        self,
        routes: dict[str, LambdaHandler],
        dispatcher: AfterResponseDispatcher | None = None,
        host: str = "127.0.0.1",
        port: int = 8787,
    ) -> None:
        self.routes = routes
        self.dispatcher = dispatcher
        self.httpd = _Server((host, port), self._handler_class())
        self._thread: threading.Thread | None = None

    @property
    def domain_name(self) -> str:
        host, port = self.httpd.server_address[:2]
        return f"{host!s}:{port}"

    @property
    def url(self) -> str:
        return f"http://{self.domain_name}"

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            # Headers and body leave in two writes; with Nagle's algorithm on, a keep-alive client's delayed ACK
            # holds the second one for ~40 ms (measured by make loadtest: PING p50 43 ms instead of 1 ms).
            disable_nagle_algorithm = True

            def setup(self) -> None:
                super().setup()
                server.httpd.track(self.connection, add=True)

            def finish(self) -> None:
                try:
                    super().finish()
                finally:
                    server.httpd.track(self.connection, add=False)

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                path, _, query = self.path.partition("?")
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                if path == "/health":
                    self._write(200, {"content-type": "application/json"}, b'{"status":"ok"}')
                    return
                target = next((h for prefix, h in server.routes.items() if path.startswith(prefix)), None)
                if target is None:
                    self._write(404, {"content-type": "application/json"}, b'{"error":"not found"}')
                    return
                event = lambda_event(
                    self.command, path, query, dict(self.headers.items()), body, domain_name=server.domain_name
                )
                try:
                    result = target(event, None)
                except Exception:
                    log.exception("local handler raised")
                    result = {"statusCode": 500, "body": '{"error":"internal error"}'}
                raw = result.get("body") or ""
                payload = base64.b64decode(raw) if result.get("isBase64Encoded") else str(raw).encode()
                self._write(int(result.get("statusCode", 200)), result.get("headers") or {}, payload)
                if server.dispatcher is not None:
                    server.dispatcher.flush()

            def _write(self, status: int, headers: dict[str, str], payload: bytes) -> None:
                try:
                    self.send_response(status)
                    for name, value in headers.items():
                        if name.lower() != "content-length":
                            self.send_header(name, value)
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                    self.wfile.flush()
                except OSError:
                    self.close_connection = True  # the client went away; its answer has nowhere to go

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        return Handler

    def serve_forever(self) -> None:
        self.httpd.serve_forever(poll_interval=POLL_INTERVAL_SECONDS)

    def start_in_thread(self) -> LocalServer:
        self._thread = threading.Thread(target=self.serve_forever, name="local-server", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Quick: no new connections, idle keep-alive ones closed, running jobs given a short grace."""
        if self._thread is not None:
            self.httpd.shutdown()
            self._thread.join(timeout=2)
            self._thread = None
        self.httpd.close_connections()
        self.httpd.server_close()
        if self.dispatcher is not None:
            self.dispatcher.shutdown()


class _Server(ConnectionTrackingServer):
    """Daemon handler threads and a real backlog; :meth:`LocalServer.stop` closes the idle keep-alive
    connections."""

    daemon_threads = True
    request_queue_size = REQUEST_QUEUE_SIZE
