"""moto's DynamoDB server embedded in this process, on loopback, with DynamoDB's atomicity and Query cost.

DynamoDB applies each request atomically: a ``TransactWriteItems`` whose condition fails changes nothing, and two
conditional writes racing for the same item cannot both pass. moto's threaded server does not: its transactions
check and apply without excluding other threads, and it undoes a failed one by restoring a copy of the whole table
(erasing what other threads wrote meanwhile). Two starts racing for a server's last live-meeting slot could both
win. So every request is served one at a time, as DynamoDB would order them; the races between requests, which
the code must survive, stay real.

A Query on the table's key reads one partition in DynamoDB (a B-tree range: its cost is the items it returns).
moto sorts and walks every item of the table for each Query, so locally a guild's live-meeting page would get
slower with every other guild's history, a cost AWS does not have, and the benchmarks that must show a flat cost
could not. :func:`_query_one_partition` gives moto's Query only the queried partition's items: the same answers
(a test compares them), at the cost DynamoDB has. Indexes (GSIs) keep moto's own path.
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


def _query_one_partition() -> None:
    """Patch moto's ``Table.query`` (once) to look at the queried partition only, for base-table queries."""
    from moto.dynamodb.models.table import Table

    original = Table.query
    if getattr(original, "_one_partition", False):
        return

    def query(self: Any, hash_key: Any, *args: Any, **kwargs: Any) -> Any:
        index_name = args[6] if len(args) > 6 else kwargs.get("index_name")
        if index_name is not None or hash_key is None or not self.range_key_attr:
            return original(self, hash_key, *args, **kwargs)
        partition = list(self.items.get(hash_key, {}).values())  # .get: the defaultdict grows no empty partition
        self.all_items = lambda: sorted(partition, key=lambda item: item.range_key)  # served one at a time
        try:
            return original(self, hash_key, *args, **kwargs)
        finally:
            del self.all_items

    query._one_partition = True  # type: ignore[attr-defined]
    Table.query = query  # type: ignore[method-assign]


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
        _query_one_partition()
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
