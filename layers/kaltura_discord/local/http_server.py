"""The one threading HTTP server the local stand-ins share: open connections tracked, so stopping can close the
idle keep-alive ones (a handler thread blocked on one would otherwise outlive the server), and no tracebacks for
clients that hung up or connections dropped on purpose."""

from __future__ import annotations

import contextlib
import socket
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from kaltura_discord.logs import get_logger

log = get_logger(__name__)


class ConnectionTrackingServer(ThreadingHTTPServer):
    """Handlers call :meth:`track` as a connection opens and closes; :meth:`close_connections` ends them all."""

    failure_message = "local server request failed"

    def __init__(self, address: tuple[str, int], handler: type[BaseHTTPRequestHandler]) -> None:
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()
        super().__init__(address, handler)

    def track(self, connection: socket.socket, *, add: bool) -> None:
        with self._connections_lock:
            if add:
                self._connections.add(connection)
            else:
                self._connections.discard(connection)

    def close_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            with contextlib.suppress(OSError):
                connection.shutdown(socket.SHUT_RDWR)

    def handle_error(self, request: Any, client_address: Any) -> None:
        if isinstance(sys.exc_info()[1], OSError):  # ConnectionError and TimeoutError included
            return
        log.exception(self.failure_message)
