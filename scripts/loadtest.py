#!/usr/bin/env python3
"""``make loadtest``: the local stack under a burst and a steady soak of signed interactions, all on loopback.

    python scripts/loadtest.py                       # 200 at once, then a 60 s soak at 20 a second
    python scripts/loadtest.py --burst 50 --soak-seconds 5 --rate 10

It starts `make run`'s stack as a subprocess (its own state directory and port), starts a few meetings in one
server, then sends a burst of concurrent interactions (a mix of PING, /kaltura-help, /kaltura-list, the meeting
autocomplete and /kaltura-join), then a steady soak. It prints throughput, p50/p99 per kind, errors and 5xx (there
must be none), and the stack's resident memory at the start and the end. Bounded in count and time: it never
sends more than it was asked to, and every request has a timeout. Exit code 1 when any request failed.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

from kaltura_discord.local.moto_server import free_port
from kaltura_discord.local.signing import load_or_create_signing_key, new_snowflake, sign

ROOT = Path(__file__).resolve().parents[1]
GUILD, CHANNEL, USER = "1000000000000000100", "1000000000000000200", "1000000000000000300"
KINDS = ("ping", "help", "list", "autocomplete", "join")
MEETINGS = 5


def payload(kind: str, application_id: str, meeting_id: str = "") -> dict[str, Any]:
    interaction_id = new_snowflake()
    base: dict[str, Any] = {
        "id": interaction_id,
        "application_id": application_id,
        "token": f"load-{interaction_id}",
        "version": 1,
        "guild_id": GUILD,
        "channel_id": CHANNEL,
        "member": {"user": {"id": USER, "username": "load", "global_name": "Load"}, "roles": [], "permissions": "0"},
        "locale": "en-US",
    }
    if kind == "ping":
        return {"id": interaction_id, "application_id": application_id, "type": 1, "token": base["token"]}
    if kind == "autocomplete":
        options = [{"name": "meeting", "type": 3, "value": "load", "focused": True}]
        return {**base, "type": 4, "data": {"id": "1", "name": "kaltura-join", "type": 1, "options": options}}
    if kind == "join":
        options = [{"name": "meeting", "type": 3, "value": meeting_id}]
        return {**base, "type": 2, "data": {"id": "1", "name": "kaltura-join", "type": 1, "options": options}}
    if kind == "start":
        options = [{"name": "type", "type": 3, "value": "meeting"}, {"name": "title", "type": 3, "value": meeting_id}]
        return {**base, "type": 2, "data": {"id": "1", "name": "kaltura-start", "type": 1, "options": options}}
    name = {"help": "kaltura-help", "list": "kaltura-list"}[kind]
    return {**base, "type": 2, "data": {"id": "1", "name": name, "type": 1}}


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


class Stack:
    def __init__(self) -> None:
        self.dir = tempfile.TemporaryDirectory(prefix="kaltura-discord-load-")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DISCORD_", "KALTURA_", "AWS_ENDPOINT_URL"))}
        env.update(PORT=str(free_port()), LOCAL_STATE_DIR=self.dir.name, PYTHONUNBUFFERED="1", LOG_LEVEL="WARNING")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kaltura_discord.local.stack"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=lambda: [lines.put(line) for line in self.process.stdout or []], daemon=True).start()
        self.state: dict[str, Any] = {}
        deadline = time.monotonic() + 90
        while not self.state:
            line = lines.get(timeout=max(0.1, deadline - time.monotonic()))
            if line.startswith("READY "):
                self.state = json.loads(line[len("READY ") :])
        self.key = load_or_create_signing_key(Path(self.dir.name))

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
        self.dir.cleanup()


def send(http: httpx.Client, stack: Stack, body: dict[str, Any]) -> tuple[int, float, dict[str, Any] | None]:
    raw = json.dumps(body).encode()
    started = time.perf_counter()
    try:
        answer = http.post(
            stack.state["interactions_url"],
            content=raw,
            headers={"Content-Type": "application/json", **sign(stack.key, raw)},
        )
    except httpx.HTTPError:
        return 0, time.perf_counter() - started, None
    took = time.perf_counter() - started
    try:
        parsed = answer.json()
    except ValueError:
        parsed = None
    return answer.status_code, took, parsed if isinstance(parsed, dict) else None


def start_meetings(http: httpx.Client, stack: Stack) -> list[str]:
    """A few live meetings to list and join, read back from the Discord stand-in's card edits."""
    tokens = []
    for n in range(MEETINGS):
        body = payload("start", stack.state["application_id"], f"load meeting {n}")
        send(http, stack, body)
        tokens.append(body["token"])
    root = str(stack.state["discord_api_base_url"]).split("/api/", 1)[0]
    found: dict[str, str] = {}
    for _ in range(200):
        for call in http.get(f"{root}/_standin/calls").json():
            for token in tokens:
                if f"/{token}/" in call["path"] and call["method"] == "PATCH" and call["body"].get("components"):
                    found[token] = call["body"]["components"][0]["components"][0]["custom_id"].split(":", 1)[1]
        if len(found) == len(tokens):
            break
        threading.Event().wait(0.05)
    return list(found.values())


Result = tuple[str, int, float, bool]


def run(kinds: list[str], stack: Stack, meetings: list[str], workers: int, pace: Callable[[int], None]) -> list[Result]:
    application_id = stack.state["application_id"]
    results: list[Result] = []
    lock = threading.Lock()

    def one(index: int, kind: str) -> None:
        pace(index)
        status, took, answer = send(http, stack, payload(kind, application_id, random.choice(meetings)))
        ok = status == 200 and answer is not None and isinstance(answer.get("type"), int)
        if kind == "join" and ok:
            ok = "/v1/join/" in json.dumps(answer)
        with lock:
            results.append((kind, status, took, ok))

    limits = httpx.Limits(max_connections=workers, max_keepalive_connections=workers)
    with httpx.Client(timeout=10.0, limits=limits) as http, ThreadPoolExecutor(max_workers=workers) as pool:
        list(pool.map(lambda item: one(*item), enumerate(kinds)))
    return results


def report(title: str, results: list[Result], seconds: float) -> bool:
    by_kind: dict[str, list[float]] = defaultdict(list)
    for kind, _, took, _ in results:
        by_kind[kind].append(took * 1000)
    errors = sum(1 for *_, ok in results if not ok)
    server_errors = sum(1 for _, status, _, _ in results if status >= 500)
    print(f"\n{title}: {len(results)} interactions in {seconds:.1f} s ({len(results) / seconds:.0f}/s), "
          f"{errors} errors, {server_errors} 5xx")  # fmt: skip
    print(f"  {'kind':<13}{'count':>7}{'p50 ms':>10}{'p99 ms':>10}{'max ms':>10}")
    for kind in KINDS:
        times = sorted(by_kind.get(kind, []))
        if times:
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            print(f"  {kind:<13}{len(times):>7}{statistics.median(times):>10.1f}{p99:>10.1f}{times[-1]:>10.1f}")
    return errors == 0 and server_errors == 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--burst", type=int, default=200, help="interactions sent at once (default 200)")
    parser.add_argument("--soak-seconds", type=float, default=60.0, help="length of the steady soak (default 60)")
    parser.add_argument("--rate", type=float, default=20.0, help="soak interactions per second (default 20)")
    options = parser.parse_args(argv)
    if not (1 <= options.burst <= 2000 and 0 <= options.soak_seconds <= 600 and 0 < options.rate <= 200):
        parser.error("burst 1-2000, soak 0-600 s, rate 0-200 per second")
    random.seed(7)
    stack = Stack()
    try:
        rss_start = rss_kb(stack.process.pid)
        with httpx.Client(timeout=10.0) as http:
            meetings = start_meetings(http, stack)
        if not meetings:
            print("could not start the meetings to load-test with", file=sys.stderr)
            return 1
        burst = [KINDS[n % len(KINDS)] for n in range(options.burst)]
        started = time.perf_counter()
        results = run(burst, stack, meetings, workers=options.burst, pace=lambda _: None)
        good = report(f"Burst ({options.burst} at once)", results, time.perf_counter() - started)
        count = int(options.soak_seconds * options.rate)
        if count:
            soak = [random.choice(KINDS) for _ in range(count)]
            begin = time.monotonic()

            def pace(index: int) -> None:
                wait = begin + index / options.rate - time.monotonic()
                if wait > 0:
                    threading.Event().wait(wait)

            started = time.perf_counter()
            results = run(soak, stack, meetings, workers=16, pace=pace)
            good = report(f"Soak ({options.rate:.0f}/s for {options.soak_seconds:.0f} s)", results,
                          time.perf_counter() - started) and good  # fmt: skip
        rss_end = rss_kb(stack.process.pid)
        print(f"\nstack resident memory: {rss_start / 1024:.0f} MB at start, {rss_end / 1024:.0f} MB at the end")
        return 0 if good else 1
    finally:
        stack.stop()


if __name__ == "__main__":
    raise SystemExit(main())
