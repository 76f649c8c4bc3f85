"""The sandbox's HTTP side: API v3 requests as the server reads them, answers as it writes them, faults, and the
local-only control routes under ``/_sandbox/``.

Transport rules (``api_v3/lib/KalturaRequestDeserializer.php``, ``api_v3/web/index.php``): the JSON body is read
only with ``Content-Type: application/json`` exactly and when it is an object; ``format=1`` selects JSON, anything
else gets the default XML (format 2); errors are HTTP 200 ``KalturaAPIException`` objects.
"""

from __future__ import annotations

import contextlib
import json
import re
import socket
import struct
from collections.abc import Mapping
from http.server import BaseHTTPRequestHandler
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit
from xml.sax.saxutils import escape

from kaltura_discord.local.http_server import ConnectionTrackingServer
from kaltura_discord.logs import get_logger

if TYPE_CHECKING:
    from kaltura_discord.local.kaltura_sandbox import KalturaSandbox

logger = get_logger(__name__)

API_PATH = re.compile(r"^/api_v3/service/(?P<service>[^/]+)(?:/action/(?P<action>[^/]+))?/?$")
CONTROL_PREFIX = "/_sandbox/"
MAX_BODY_BYTES = 2_000_000


class Handler(BaseHTTPRequestHandler):
    server: Server
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

    def do_DELETE(self) -> None:
        self.server.sandbox.handle(self, "DELETE")

    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("kaltura sandbox " + format % args)

    # --- reading and answering ----------------------------------------------------------------------------

    def body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(min(length, MAX_BODY_BYTES)) if length > 0 else b""

    def reply(self, status: int, body: bytes, content_type: str) -> None:
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            self.close_connection = True

    def reply_json(self, status: int, value: Any) -> None:
        self.reply(status, json.dumps(value).encode(), "application/json")

    def drop(self) -> None:
        """Close without an answer: the caller waited for nothing (a hang, a lost answer)."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def reset(self) -> None:
        """Close with a TCP reset (SO_LINGER 0), as a proxy that gave up does."""
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            self.connection.close()


class Server(ConnectionTrackingServer):
    """Handler threads are joined on close, so a stopped sandbox leaves nothing running behind a test."""

    daemon_threads = False
    request_queue_size = 128
    failure_message = "kaltura sandbox request failed"

    def __init__(self, address: tuple[str, int], sandbox: KalturaSandbox) -> None:
        self.sandbox = sandbox
        super().__init__(address, Handler)


def request_params(handler: Handler, method: str, raw: bytes) -> dict[str, Any]:
    """Query string first, then the JSON body when the server would read it."""
    split = urlsplit(handler.path)
    params: dict[str, Any] = {k: v[-1] for k, v in parse_qs(split.query, keep_blank_values=True).items()}
    if method == "POST" and handler.headers.get("Content-Type") == "application/json":
        try:
            body = json.loads(raw)
        except ValueError:
            body = None
        if isinstance(body, dict):
            params.update(body)
    return params


def api_answer(payload: Any, *, error: bool, params: Mapping[str, Any]) -> tuple[bytes, str]:
    if str(params.get("format", "")) == "1":
        return json.dumps(payload).encode(), "application/json"
    return xml_answer(payload, error=error, took=0.001).encode(), "text/xml"


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


def xml_answer(payload: Any, *, error: bool, took: float) -> str:
    """Kaltura's default (format 2) answer: what a caller gets when its ``format=1`` was not seen."""
    result = f"<error>{_xml_value(payload)}</error>" if error else _xml_value(payload)
    return (
        '<?xml version="1.0" encoding="utf-8"?>'
        f"<xml><result>{result}</result><executionTime>{took}</executionTime></xml>"
    )
