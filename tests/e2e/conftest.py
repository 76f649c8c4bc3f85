"""The local stack as a subprocess (what `make run` starts), and a client that signs like Discord."""

from __future__ import annotations

import json
import os
import queue
import signal
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from nacl.signing import SigningKey

from kaltura_discord.local.moto_server import free_port
from kaltura_discord.local.signing import load_or_create_signing_key, sign

REPO = Path(__file__).resolve().parents[2]
STARTUP_TIMEOUT_SECONDS = 90


@dataclass
class RunningStack:
    state: dict[str, Any]
    key: SigningKey
    http: httpx.Client
    output: list[str]
    process: subprocess.Popen[str] | None = None

    @property
    def interactions_url(self) -> str:
        return str(self.state["interactions_url"])

    @property
    def standin_root(self) -> str:
        return str(self.state["discord_api_base_url"]).split("/api/", 1)[0]

    def post(self, payload: dict[str, Any] | bytes, headers: dict[str, str] | None = None) -> httpx.Response:
        body = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        signed = sign(self.key, body) if headers is None else headers
        return self.http.post(
            self.interactions_url, content=body, headers={"Content-Type": "application/json", **signed}
        )

    @property
    def sandbox_url(self) -> str:
        return str(self.state["kaltura_service_url"])

    def sandbox_state(self) -> dict[str, Any]:
        state: dict[str, Any] = self.http.get(f"{self.sandbox_url}/_sandbox/state").json()
        return state

    def inject_kaltura_fault(self, kind: str, service: str, action: str, **extra: Any) -> None:
        body = {"kind": kind, "service": service, "action": action, **extra}
        assert self.http.post(f"{self.sandbox_url}/_sandbox/faults", json=body).status_code == 201

    # --- local fault injection (POST/GET/DELETE /_local/faults on the stack's own server) ---

    @property
    def faults_url(self) -> str:
        return str(self.state["faults_url"])

    def inject_fault(self, target: str, kind: str, **extra: Any) -> dict[str, Any]:
        """A fault in front of ``target`` (dynamodb, discord, kaltura, worker): every request until cleared unless
        ``count`` is given; ``ms``, ``status``, ``operation``, ``path``, ``variant`` where the kind uses them."""
        response = self.http.post(self.faults_url, json={"target": target, "kind": kind, **extra})
        assert response.status_code == 201, response.text
        added: dict[str, Any] = response.json()["added"][0]
        return added

    def clear_faults(self, target: str | None = None) -> None:
        params = {"target": target} if target else {}
        assert self.http.delete(self.faults_url, params=params).status_code == 200

    def fault_counts(self) -> dict[str, int]:
        """Requests each target received so far (faulted or not): dynamodb, discord, worker, kaltura."""
        counts: dict[str, int] = self.http.get(self.faults_url).json()["counts"]
        return counts

    def discord_calls(self, token: str | None = None) -> list[dict[str, Any]]:
        calls: list[dict[str, Any]] = self.http.get(f"{self.standin_root}/_standin/calls").json()
        return [c for c in calls if token is None or f"/{token}" in c["path"]]

    def wait_for_calls(self, token: str, count: int = 1, timeout: float = 20.0) -> list[dict[str, Any]]:
        """Poll the Discord stand-in until ``count`` calls for this token arrived (bounded)."""
        return self.wait_for(lambda call: f"/{token}" in call["path"], count, timeout)

    def wait_for(
        self, matches: Callable[[dict[str, Any]], bool], count: int = 1, timeout: float = 20.0
    ) -> list[dict[str, Any]]:
        """Poll the Discord stand-in until ``count`` matching calls arrived, or the bound runs out."""
        pause = threading.Event()
        found: list[dict[str, Any]] = []
        for _ in range(int(timeout / 0.05)):
            found = [c for c in self.discord_calls() if matches(c)]
            if len(found) >= count:
                return found
            pause.wait(0.05)
        return found


def run_stack(state_dir: Path, extra_env: dict[str, str] | None = None) -> Iterator[RunningStack]:
    """``make run`` as a subprocess with its own state directory and port; stopped with SIGTERM afterwards."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(
            ("DISCORD_", "KALTURA_", "AWS_ENDPOINT_URL", "TABLE_NAME", "SECRETS_ID", "PUBLIC_BASE_URL", "LOCAL_FAULTS")
        )
    }
    env.update(PORT=str(free_port()), LOCAL_STATE_DIR=str(state_dir), PYTHONUNBUFFERED="1", **(extra_env or {}))
    process = subprocess.Popen(
        [sys.executable, "-m", "kaltura_discord.local.stack"],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    lines: queue.Queue[str] = queue.Queue()
    output: list[str] = []

    def pump() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            output.append(line)
            lines.put(line)

    pumping = threading.Thread(target=pump, daemon=True)
    pumping.start()
    state = None
    try:
        while state is None:
            line = lines.get(timeout=STARTUP_TIMEOUT_SECONDS)
            if line.startswith("READY "):
                state = json.loads(line[len("READY ") :])
    except queue.Empty:
        process.kill()
        pytest.fail("local stack did not start:\n" + "".join(output))
    key = load_or_create_signing_key(state_dir)
    with httpx.Client(timeout=10) as http:
        yield RunningStack(state, key, http, output, process)
    process.send_signal(signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait(timeout=10)
    pumping.join(timeout=10)
    assert process.stdout is not None
    process.stdout.close()


@pytest.fixture(scope="session")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The local stack as ``make run`` starts it without Kaltura credentials: the sandbox, admin-secret sessions."""
    yield from run_stack(tmp_path_factory.mktemp("local-stack"))


@pytest.fixture(scope="session")
def apptoken_stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """The local stack in app-token mode: its two tokens made with appToken.add, as docs/kaltura.md says."""
    yield from run_stack(tmp_path_factory.mktemp("local-stack-apptoken"), {"LOCAL_KALTURA_SESSION_MODE": "apptoken"})
