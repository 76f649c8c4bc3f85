"""A dependency that hangs: for the tests of what happens when DynamoDB, Lambda or Kaltura never answers."""

from __future__ import annotations

import socket
import threading


class BlackHole:
    """A TCP endpoint that accepts every connection and never answers (a partition, a stuck connection)."""

    def __init__(self) -> None:
        self.server = socket.create_server(("127.0.0.1", 0), backlog=64)
        self.held: list[socket.socket] = []
        self._stop = threading.Event()
        self.server.settimeout(0.05)
        self.thread = threading.Thread(target=self._accept, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.getsockname()[1]}"

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                connection, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            self.held.append(connection)

    def close(self) -> None:
        self._stop.set()
        self.thread.join(timeout=5)
        for connection in self.held:
            connection.close()
        self.server.close()
