"""Serves the Lambda handlers over HTTP on loopback, turning each request into an API Gateway v2 event.

Deferred jobs run in-process after the response has been written, as the asynchronous worker would.
"""

from __future__ import annotations

import base64
import json
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kaltura_discord.bot.jobs import Job
from kaltura_discord.logs import get_logger

log = get_logger(__name__)

LambdaHandler = Callable[[dict[str, Any], Any], dict[str, Any]]


class AfterResponseDispatcher:
    """Collects the jobs a request submits; :meth:`flush` hands them to the worker once the answer is out."""

    def __init__(self, run_job: Callable[[dict[str, Any]], Any], workers: int = 4) -> None:
        self._run_job = run_job
        self._pending = threading.local()
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="local-worker")

    def submit(self, job: Job) -> None:
        # A JSON round trip, as the asynchronous invoke does, so nothing passes that Lambda would refuse.
        event = json.loads(json.dumps(job.to_dict()))
        self._jobs().append(event)

    def _jobs(self) -> list[dict[str, Any]]:
        if not hasattr(self._pending, "jobs"):
            self._pending.jobs = []
        jobs: list[dict[str, Any]] = self._pending.jobs
        return jobs

    def flush(self) -> None:
        jobs, self._pending.jobs = self._jobs(), []
        for event in jobs:
            self._executor.submit(self._run_safely, event)

    def _run_safely(self, event: dict[str, Any]) -> None:
        try:
            self._run_job(event)
        except Exception:
            log.exception("local worker failed", extra={"interaction_id": event.get("interaction_id")})

    def shutdown(self) -> None:
        self._executor.shutdown(wait=True)


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
        self.httpd = ThreadingHTTPServer((host, port), self._handler_class())
        self.httpd.daemon_threads = True

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
                self.send_response(status)
                for name, value in headers.items():
                    if name.lower() != "content-length":
                        self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
                self.wfile.flush()

            do_GET = do_POST = do_PATCH = do_PUT = do_DELETE = _serve

        return Handler

    def serve_forever(self) -> None:
        self.httpd.serve_forever()

    def start_in_thread(self) -> LocalServer:
        threading.Thread(target=self.httpd.serve_forever, name="local-server", daemon=True).start()
        return self

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        if self.dispatcher is not None:
            self.dispatcher.shutdown()
