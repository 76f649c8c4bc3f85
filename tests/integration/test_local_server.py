"""The local server (what ``make run`` serves /interactions and /v1 with) under a burst of connections, and its stop."""

from __future__ import annotations

import http.client
import socket
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pytest

from kaltura_discord.bot.jobs import Job
from kaltura_discord.discord.interaction import Interaction
from kaltura_discord.local.server import AfterResponseDispatcher, LocalServer
from tests.support.interactions import command

pytestmark = pytest.mark.integration

CONNECTIONS = 200


@pytest.fixture
def server() -> Iterator[LocalServer]:
    running = LocalServer({}, AfterResponseDispatcher(lambda event: None), port=0).start_in_thread()
    yield running
    running.stop()


def address(server: LocalServer) -> tuple[str, int]:
    host, port = server.httpd.server_address[:2]
    return str(host), int(port)


def get_health(where: tuple[str, int], ready: threading.Barrier) -> str:
    """Connect when every other client does, then ask for /health; the status line, or what went wrong."""
    ready.wait(timeout=30)
    try:
        with socket.create_connection(where, timeout=15) as connection:
            connection.sendall(b"GET /health HTTP/1.1\r\nHost: local\r\nConnection: close\r\n\r\n")
            answer = b""
            while chunk := connection.recv(4096):
                answer += chunk
    except OSError as exc:
        return type(exc).__name__
    return answer.split(b"\r\n", 1)[0].decode(errors="replace")


def test_two_hundred_simultaneous_connections_all_get_answers(server: LocalServer) -> None:
    ready = threading.Barrier(CONNECTIONS)
    with ThreadPoolExecutor(max_workers=CONNECTIONS) as pool:
        outcomes = list(pool.map(lambda _: get_health(address(server), ready), range(CONNECTIONS)))
    failures = [outcome for outcome in outcomes if outcome != "HTTP/1.1 200 OK"]
    assert failures == [], f"{len(failures)} of {CONNECTIONS} connections failed: {sorted(set(failures))}"


def test_stop_is_quick_with_idle_keep_alive_connections_and_a_running_job() -> None:
    release = threading.Event()
    started = threading.Event()

    def stuck_job(event: object) -> None:
        started.set()
        release.wait(60)  # a job waiting on a dependency that never answers

    dispatcher = AfterResponseDispatcher(stuck_job)
    server = LocalServer({}, dispatcher, port=0).start_in_thread()
    idle = []
    for _ in range(5):
        connection = http.client.HTTPConnection(*address(server), timeout=10)
        connection.request("GET", "/health")
        assert connection.getresponse().read() == b'{"status":"ok"}'
        idle.append(connection)  # kept alive, idle
    dispatcher.submit(Job.for_interaction("status", Interaction(command("kaltura-status")), {}))
    dispatcher.flush()
    assert started.wait(10)
    began = time.perf_counter()
    server.stop()
    took = time.perf_counter() - began
    release.set()
    assert took < 2.0
    for connection in idle:
        assert connection.sock is not None
        assert connection.sock.recv(100) == b""  # closed by the server
        connection.close()
