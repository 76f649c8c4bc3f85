#!/usr/bin/env python3
"""`make bench`: the figures the issues ask for, in one run.

Each measurement runs in a fresh child process of this script (``--child NAME``) so imports, caches and
peak RSS belong to that measurement alone. Figures are printed as a table; ``--json PATH`` also saves them.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
WARM_ITERATIONS = 5000
COLD_RUNS = 10
API_BENCH_GUILD, API_BENCH_USER = "1000000000000000100", "1000000000000000300"


def _env() -> dict[str, str]:
    from tests.support.interactions import APPLICATION_ID, PUBLIC_KEY_HEX
    from tests.unit.auth.support import KEYS_JSON

    env = {k: v for k, v in os.environ.items() if not k.startswith(("KALTURA_", "DISCORD_", "AWS_ENDPOINT"))}
    env.update(
        JWT_SIGNING_KEYS=KEYS_JSON,
        API_BENCH_TOKEN=_api_token(),
        DISCORD_PUBLIC_KEY=PUBLIC_KEY_HEX,
        DISCORD_APPLICATION_ID=APPLICATION_ID,
        PYTHONPATH=f"{REPO}{os.pathsep}{REPO / 'layers'}",
        PYTHONDONTWRITEBYTECODE="",
    )
    return env


def _api_token() -> str:
    """Minted here, so the children's timings do not include PyJWT being imported for minting."""
    from kaltura_discord.auth.keys import KeyRing
    from kaltura_discord.auth.tokens import mint_api_token
    from tests.unit.auth.support import KEYS_JSON

    ring = KeyRing.from_json(KEYS_JSON)
    return mint_api_token(
        guild_id=API_BENCH_GUILD,
        user_id=API_BENCH_USER,
        display_name="Bench",
        role_ids=(),
        scopes=["meetings:read"],
        keyring=ring,
    ).token


def _child(name: str) -> dict[str, Any]:
    result = subprocess.run(
        [sys.executable, __file__, "--child", name],
        env=_env(),
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    if result.returncode != 0:
        raise SystemExit(f"benchmark {name} failed:\n{result.stdout}\n{result.stderr[-3000:]}")
    last_line = result.stdout.strip().splitlines()[-1]
    parsed: dict[str, Any] = json.loads(last_line)
    return parsed


def _timed(fn: Callable[[], Any], iterations: int) -> dict[str, float]:
    for _ in range(min(500, iterations)):
        fn()
    samples = []
    clock = time.perf_counter_ns
    for _ in range(iterations):
        started = clock()
        fn()
        samples.append(clock() - started)
    samples.sort()
    return {
        "median_us": statistics.median(samples) / 1000,
        "p99_us": samples[int(len(samples) * 0.99) - 1] / 1000,
    }


def _peak_rss_mb() -> float:
    import resource

    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ---- child measurements -------------------------------------------------------------------------------


def _memory_config() -> Any:
    from kaltura_discord.config import ConfigService, ConfigStore, set_config_service
    from tests.support.fakes import MemoryConfigTable

    table = MemoryConfigTable()
    service = ConfigService(ConfigStore(table), ttl_seconds=60)
    set_config_service(service)
    return service


def child_cold() -> dict[str, Any]:
    import importlib.util

    started = time.perf_counter()
    spec = importlib.util.spec_from_file_location("interactions_app", REPO / "functions/interactions/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    imported = time.perf_counter()

    from tests.support.interactions import signed_event

    event = signed_event({"type": 1, "id": "1", "application_id": "1", "token": "t"})
    before_ping = time.perf_counter()
    assert module.handler(event, None)["statusCode"] == 200
    done = time.perf_counter()
    return {"import_init_ms": (imported - started) * 1000, "first_ping_ms": (done - before_ping) * 1000}


def child_ours() -> dict[str, Any]:
    from kaltura_discord.bot.interactions import handler
    from tests.support.interactions import command, signed_event

    _memory_config()
    ping = signed_event({"type": 1, "id": "1", "application_id": "1", "token": "t"})
    help_event = signed_event(command("kaltura-help"))
    assert json.loads(handler(help_event, None)["body"])["type"] == 4
    return {
        "ping": _timed(lambda: handler(ping, None), WARM_ITERATIONS),
        "help": _timed(lambda: handler(help_event, None), WARM_ITERATIONS),
        "peak_rss_mb": _peak_rss_mb(),
    }


def child_flask() -> dict[str, Any]:
    from flask import Flask
    from flask_discord_interactions import DiscordInteractions, Message

    from kaltura_discord.bot.help import help_embed
    from kaltura_discord.local.signing import sign
    from tests.support.interactions import PUBLIC_KEY_HEX, SIGNING_KEY, command

    app = Flask(__name__)
    discord = DiscordInteractions(app)
    app.config.update(DISCORD_PUBLIC_KEY=PUBLIC_KEY_HEX, DONT_REGISTER_WITH_DISCORD=True)

    @discord.command(name="kaltura-help", description="What this bot can do")
    def _help(_ctx: Any) -> Any:
        return Message(embed=help_embed(), ephemeral=True)

    discord.set_route("/interactions")
    client = app.test_client()

    def post(body: bytes) -> Callable[[], Any]:
        headers = {**sign(SIGNING_KEY, body), "Content-Type": "application/json"}
        return lambda: client.post("/interactions", data=body, headers=headers)

    ping = post(b'{"type":1,"id":"1","application_id":"1","token":"t"}')
    help_call = post(json.dumps(command("kaltura-help")).encode())
    assert help_call().json["type"] == 4
    return {
        "ping": _timed(ping, WARM_ITERATIONS),
        "help": _timed(help_call, WARM_ITERATIONS),
        "peak_rss_mb": _peak_rss_mb(),
    }


def child_start_path() -> dict[str, Any]:
    """/kaltura-start through handler(event): verify, parse, route, validate, defer, hand off (recorded)."""
    from kaltura_discord.bot import jobs
    from kaltura_discord.bot.interactions import handler
    from tests.support.interactions import command, signed_event

    _memory_config()
    handed_off: list[Any] = []

    class Recorder:
        def submit(self, job: Any) -> None:
            handed_off.append(job)

    jobs.install_dispatcher(Recorder())
    options = [{"name": "type", "type": 3, "value": "meeting"}, {"name": "title", "type": 3, "value": "Weekly sync"}]
    event = signed_event(command("kaltura-start", options))
    assert json.loads(handler(event, None)["body"]) == {"type": 5}
    timing = _timed(lambda: handler(event, None), WARM_ITERATIONS)
    assert len(handed_off) == WARM_ITERATIONS + min(500, WARM_ITERATIONS) + 1
    return {"start": timing}


def child_config_lookup() -> dict[str, Any]:
    from kaltura_discord.config import get_config

    _memory_config()
    get_config("1000000000000000100")
    iterations = 200_000
    started = time.perf_counter_ns()
    for _ in range(iterations):
        get_config("1000000000000000100")
    return {"config_lookup_us": (time.perf_counter_ns() - started) / iterations / 1000}


def child_start_round_trips() -> dict[str, Any]:
    """One start job against moto's server, the Kaltura sandbox and the Discord stand-in, counting calls."""
    import boto3

    from kaltura_discord.bot.jobs import Job
    from kaltura_discord.bot.worker import Worker
    from kaltura_discord.discord.interaction import Interaction
    from kaltura_discord.local.discord_standin import DiscordStandIn
    from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
    from kaltura_discord.local.moto_server import EmbeddedDynamoDB
    from kaltura_discord.local.tables import create_table
    from kaltura_discord.storage import dynamodb
    from tests.support.interactions import command

    moto = EmbeddedDynamoDB().start()
    sandbox = KalturaSandbox(partner_id=1234567, admin_secret="bench-secret-0123456789abcdef").start()
    discord = DiscordStandIn().start()
    os.environ.update(
        AWS_ENDPOINT_URL_DYNAMODB=moto.endpoint_url,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        TABLE_NAME="bench",
        KALTURA_SERVICE_URL=sandbox.url,
        KALTURA_PARTNER_ID="1234567",
        KALTURA_ADMIN_SECRET="bench-secret-0123456789abcdef",
        DISCORD_API_BASE_URL=discord.api_base_url,
    )
    create_table(boto3.client("dynamodb"), "bench")
    _memory_config()
    writes: list[str] = []
    client = dynamodb.get_client()
    for operation in ("PutItem", "UpdateItem", "DeleteItem", "TransactWriteItems", "BatchWriteItem"):
        client.meta.events.register(f"before-call.dynamodb.{operation}", lambda **kw: writes.append(kw["model"].name))
    options = [{"name": "type", "type": 3, "value": "meeting"}, {"name": "title", "type": 3, "value": "Weekly sync"}]
    interaction = Interaction(command("kaltura-start", options))
    job = Job.for_interaction("meeting_start", interaction, {"type": "meeting", "title": "Weekly sync"})
    started = time.perf_counter()
    assert Worker().run(job.to_dict())["status"] == "succeeded"
    elapsed = time.perf_counter() - started
    result = {
        "kaltura_round_trips": sum(sandbox.calls.values()),
        "kaltura_calls": sandbox.calls,
        "dynamodb_writes": len(writes),
        "dynamodb_write_operations": writes,
        "discord_calls": len(discord.calls()),
        "worker_ms_local": elapsed * 1000,
    }
    discord.stop()
    sandbox.stop()
    moto.stop()
    return result


def _api_event(path: str, query: str = "", token: str | None = None) -> dict[str, Any]:
    """An API Gateway HTTP API (payload 2.0) event, as the deployed ApiFunction receives it."""
    headers = {"host": "api.bench", "x-forwarded-proto": "https"}
    if token:
        headers["authorization"] = f"Bearer {token}"
    return {
        "version": "2.0",
        "routeKey": "ANY /v1/{proxy+}",
        "rawPath": path,
        "rawQueryString": query,
        "headers": headers,
        "requestContext": {"http": {"method": "GET", "path": path, "sourceIp": "127.0.0.1"}, "stage": "$default"},
        "isBase64Encoded": False,
    }


def _load_api_function() -> Any:
    import importlib.util

    spec = importlib.util.spec_from_file_location("api_app", REPO / "functions/api/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _memory_meetings(count: int) -> None:
    """In-memory meetings (no DynamoDB, no Kaltura) installed as the API's backends, ``count`` of them active."""
    from kaltura_discord.api.backends import set_backends
    from kaltura_discord.meetings.model import MeetingRequest
    from kaltura_discord.meetings.service import Member
    from tests.unit.api.fakes import MemoryBackends

    fakes = MemoryBackends()
    backends = fakes.backends()
    for n in range(count):
        request = MeetingRequest.parse("meeting", f"Bench meeting {n}")
        member = Member(API_BENCH_USER, "Bench", "viewer")
        backends.meetings.start(API_BENCH_GUILD, f"bench-{n}", request, member, template_room_id=None)
    set_backends(backends)


def child_api_cold() -> dict[str, Any]:
    """The REST API function in a fresh process: import + init, then its first requests. The first listing pays
    for token verification (PyJWT, cryptography) on top of the route; its stores are in memory, prepared first."""
    started, cpu_started = time.perf_counter(), time.process_time()
    module = _load_api_function()
    imported, cpu_imported = time.perf_counter(), time.process_time()
    health = _api_event("/v1/health")
    assert module.handler(health, None)["statusCode"] == 200
    first_health = time.perf_counter()
    _memory_config()
    _memory_meetings(5)
    listing = _api_event("/v1/meetings", token=os.environ["API_BENCH_TOKEN"])
    before_list = time.perf_counter()
    assert module.handler(listing, None)["statusCode"] == 200
    done = time.perf_counter()
    return {
        "import_init_ms": (imported - started) * 1000,
        "import_init_cpu_ms": (cpu_imported - cpu_started) * 1000,
        "first_health_ms": (first_health - imported) * 1000,
        "first_list_ms": (done - before_list) * 1000,
    }


def child_api_warm() -> dict[str, Any]:
    """Warm ``GET /v1/meetings`` (5 active meetings) through the Mangum handler: token check, config, listing."""
    module = _load_api_function()
    _memory_config()
    _memory_meetings(5)
    listing = _api_event("/v1/meetings", token=os.environ["API_BENCH_TOKEN"])
    answer = module.handler(listing, None)
    assert answer["statusCode"] == 200 and json.loads(answer["body"])["data"]["total"] == 5
    return {"list": _timed(lambda: module.handler(listing, None), WARM_ITERATIONS // 5)}


CHILDREN: dict[str, Callable[[], dict[str, Any]]] = {
    "cold": child_cold,
    "ours": child_ours,
    "flask": child_flask,
    "start_path": child_start_path,
    "config_lookup": child_config_lookup,
    "start_round_trips": child_start_round_trips,
    "api_cold": child_api_cold,
    "api_warm": child_api_warm,
}


# ---- report -------------------------------------------------------------------------------------------


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", choices=sorted(CHILDREN))
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child]()))
        return 0

    colds = [_child("cold") for _ in range(COLD_RUNS)]
    ours, flask = _child("ours"), _child("flask")
    start_path, config_lookup, trips = _child("start_path"), _child("config_lookup"), _child("start_round_trips")
    api_colds = [_child("api_cold") for _ in range(COLD_RUNS)]
    api_warm = _child("api_warm")
    figures = {
        "cold_import_init_ms": statistics.median(c["import_init_ms"] for c in colds),
        "cold_first_ping_ms": statistics.median(c["first_ping_ms"] for c in colds),
        "ours": ours,
        "flask_discord_interactions": flask,
        "ratio_ping": flask["ping"]["median_us"] / ours["ping"]["median_us"],
        "ratio_help": flask["help"]["median_us"] / ours["help"]["median_us"],
        "start_path": start_path["start"],
        "config_lookup_us": config_lookup["config_lookup_us"],
        "start_round_trips": trips,
        "api_cold_import_init_ms": statistics.median(c["import_init_ms"] for c in api_colds),
        "api_cold_import_init_cpu_ms": statistics.median(c["import_init_cpu_ms"] for c in api_colds),
        "api_cold_first_health_ms": statistics.median(c["first_health_ms"] for c in api_colds),
        "api_cold_first_list_ms": statistics.median(c["first_list_ms"] for c in api_colds),
        "api_warm_list": api_warm["list"],
    }
    rows = [
        ("Cold start, import + init (median of 10)", f"{figures['cold_import_init_ms']:.1f} ms", "< 80 ms"),
        ("Cold start, first PING after init", f"{figures['cold_first_ping_ms']:.2f} ms", ""),
        ("Warm PING median / p99", f"{ours['ping']['median_us']:.0f} / {ours['ping']['p99_us']:.0f} us", "< 120 us"),
        (
            "Warm /kaltura-help median / p99",
            f"{ours['help']['median_us']:.0f} / {ours['help']['p99_us']:.0f} us",
            "< 200 us",
        ),
        ("Peak RSS (warm run)", f"{ours['peak_rss_mb']:.1f} MB", "< 60 MB"),
        ("flask-discord-interactions PING median", f"{flask['ping']['median_us']:.0f} us", ""),
        ("flask-discord-interactions help median", f"{flask['help']['median_us']:.0f} us", ""),
        ("Speed-up PING / help", f"{figures['ratio_ping']:.1f}x / {figures['ratio_help']:.1f}x", ">= 4x"),
        (
            "Warm /kaltura-start path median / p99",
            f"{start_path['start']['median_us']:.0f} / {start_path['start']['p99_us']:.0f} us",
            "< 300 us",
        ),
        ("Kaltura round trips per start", f"{trips['kaltura_round_trips']} ({', '.join(trips['kaltura_calls'])})", "1"),
        ("DynamoDB writes per start", f"{trips['dynamodb_writes']}", ""),
        ("Warm effective-config lookup", f"{figures['config_lookup_us']:.2f} us", "< 5 us"),
        (
            "REST API cold start, import + init (median of 10)",
            f"{figures['api_cold_import_init_ms']:.0f} ms ({figures['api_cold_import_init_cpu_ms']:.0f} ms CPU)",
            "< 400 ms",
        ),
        (
            "REST API first health / first GET /v1/meetings",
            f"{figures['api_cold_first_health_ms']:.1f} / {figures['api_cold_first_list_ms']:.1f} ms",
            "",
        ),
        (
            "REST API warm GET /v1/meetings median / p99",
            f"{api_warm['list']['median_us']:.0f} / {api_warm['list']['p99_us']:.0f} us",
            "",
        ),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"kaltura-discord benchmark ({WARM_ITERATIONS} warm invocations each, Python {sys.version.split()[0]})")
    for label, value, target in rows:
        print(f"  {label:<{width}}  {value:>18}  {target}")
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
