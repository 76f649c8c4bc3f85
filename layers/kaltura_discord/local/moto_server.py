"""moto's DynamoDB server embedded in this process, on loopback, with DynamoDB's atomicity.

DynamoDB applies each request atomically: a ``TransactWriteItems`` whose condition fails changes nothing, and two
conditional writes racing for the same item cannot both pass. moto's threaded server does not: its transactions
check and apply without excluding other threads, and it undoes a failed one by restoring a copy of the whole table
(erasing what other threads wrote meanwhile). Two starts racing for a server's last live-meeting slot could both
win. So every request is served one at a time, as DynamoDB would order them; the races between requests, which
the code must survive, stay real.
"""

from __future__ import annotations

import logging
import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
        return port


class _OneRequestAtATime:
    """A WSGI wrapper that serves one request at a time (and reads the whole answer inside the lock)."""

    def __init__(self, app: Callable[..., Iterable[bytes]]) -> None:
        self._app = app
        self._lock = threading.Lock()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        with self._lock:
            return list(self._app(environ, start_response))


class EmbeddedDynamoDB:
    """Start/stop moto's server; ``endpoint_url`` is what AWS_ENDPOINT_URL_DYNAMODB should hold."""

    def __init__(self, host: str = "127.0.0.1", port: int | None = None) -> None:
        self.host = host
        self.port = port or free_port(host)
        self._server: Any = None
        self._thread: threading.Thread | None = None

    @property
    def endpoint_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmbeddedDynamoDB:
        from moto.moto_server.werkzeug_app import DomainDispatcherApplication, MotoRequestHandler, create_backend_app
        from werkzeug.serving import make_server

        logging.getLogger("werkzeug").setLevel(logging.ERROR)
        app = _OneRequestAtATime(DomainDispatcherApplication(create_backend_app))
        self._server = make_server(self.host, self.port, app, threaded=True, request_handler=MotoRequestHandler)
        self._thread = threading.Thread(target=self._server.serve_forever, name="moto-dynamodb", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=10)
            self._thread = None
