#!/usr/bin/env python3
"""`make bench`: the figures the issues ask for, in one run.

Each measurement runs in a fresh child process of this script (``--child NAME``) so imports, caches and
peak RSS belong to that measurement alone. Figures are printed as a table; ``--json PATH`` also saves them.
"""

from __future__ import annotations

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

    token = _api_token()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("KALTURA_", "DISCORD_", "AWS_ENDPOINT"))}
    env.update(
        JWT_SIGNING_KEYS=KEYS_JSON,
        API_BENCH_TOKEN=token,
        DISCORD_PUBLIC_KEY=PUBLIC_KEY_HEX,
        DISCORD_APPLICATION_ID=APPLICATION_ID,
        PYTHONPATH=f"{REPO}{os.pathsep}{REPO / 'layers'}",
        PYTHONDONTWRITEBYTECODE="",
    )
    return env


def _api_token() -> str:
    """Minted here, so the children's timings do not include PyJWT being imported for minting; the children record
    it (by its id, ``jti``) in their in-memory token records, as /kaltura-token create would."""
    from kaltura_discord.auth.keys import KeyRing
    from kaltura_discord.auth.tokens import mint_api_token
    from tests.unit.auth.support import KEYS_JSON

    ring = KeyRing.from_json(KEYS_JSON)
    issued = mint_api_token(
        guild_id=API_BENCH_GUILD,
        user_id=API_BENCH_USER,
        display_name="Bench",
        role_ids=(),
        scopes=["meetings:read"],
        keyring=ring,
    )
    os.environ["API_BENCH_TOKEN_ID"] = issued.token_id
    os.environ["API_BENCH_TOKEN_EXPIRES"] = str(issued.expires_at)
    return issued.token


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


def child_cold_localized() -> dict[str, Any]:
    """A fresh container: PING, then the first /kaltura-help in English (routing and handlers load), then the first
    in German: what reading its catalog adds (stdlib gettext, one .mo file), and the catalog alone for each language."""
    import importlib.util

    spec = importlib.util.spec_from_file_location("interactions_app", REPO / "functions/interactions/app.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    from tests.support.interactions import command, signed_event

    assert module.handler(signed_event({"type": 1, "id": "1", "application_id": "1", "token": "t"}), None)
    pinged_without_catalogs = "kaltura_discord.i18n" not in sys.modules and "gettext" not in sys.modules
    _memory_config()
    english, german = command("kaltura-help"), command("kaltura-help")
    german["locale"] = "de"
    started = time.perf_counter()
    assert json.loads(module.handler(signed_event(english), None)["body"])["type"] == 4
    english_done = time.perf_counter()
    assert json.loads(module.handler(signed_event(german), None)["body"])["type"] == 4
    german_done = time.perf_counter()
    from kaltura_discord import i18n

    catalogs = {}
    for locale in i18n.SHIPPED:
        if locale == "de":
            continue
        before = time.perf_counter()
        i18n.translator(locale)
        catalogs[locale] = (time.perf_counter() - before) * 1000
    return {
        "ping_loaded_no_catalog": pinged_without_catalogs,
        "first_help_en_ms": (english_done - started) * 1000,
        "first_help_de_after_en_ms": (german_done - english_done) * 1000,
        "catalog_load_ms": catalogs,
    }


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


def child_live_index() -> dict[str, Any]:
    """/kaltura-list, its autocomplete and GET /v1/meetings with 20 live meetings and 0, 1,000 and 5,000 ended ones in
    one server (moto over loopback), the DynamoDB items a list page reads, and the config cache at 10,000 guilds."""
    import tracemalloc

    import boto3

    from kaltura_discord import deadline
    from kaltura_discord.api.backends import Backends, set_backends
    from kaltura_discord.api.lambda_adapter import make_lambda_handler
    from kaltura_discord.auth.records import TokenGate, TokenRecord
    from kaltura_discord.auth.rights import MemberRightsService
    from kaltura_discord.bot import meetings as bot_meetings
    from kaltura_discord.bot.dispatch import handle_interaction
    from kaltura_discord.config import ConfigService, ConfigStore
    from kaltura_discord.discord.interaction import Interaction
    from kaltura_discord.local.moto_server import EmbeddedDynamoDB
    from kaltura_discord.local.tables import create_table
    from kaltura_discord.meetings.model import Meeting
    from kaltura_discord.meetings.repository import MeetingRepository, _to_item
    from kaltura_discord.meetings.service import MeetingService
    from kaltura_discord.storage import dynamodb
    from tests.support.fakes import MemoryConfigTable, MemoryGuildDirectory, MemoryTokenRecords
    from tests.support.interactions import command, interaction
    from tests.unit.api.fakes import FakeRooms, MemoryIdempotency, MemoryUses

    moto = EmbeddedDynamoDB().start()
    os.environ.update(
        AWS_ENDPOINT_URL_DYNAMODB=moto.endpoint_url,
        AWS_ACCESS_KEY_ID="bench",
        AWS_SECRET_ACCESS_KEY="bench",
        AWS_DEFAULT_REGION="us-east-1",
        TABLE_NAME="bench-index",
    )
    raw = boto3.client("dynamodb")
    create_table(raw, "bench-index")
    _memory_config()
    guild, host = API_BENCH_GUILD, API_BENCH_USER
    scanned: list[int] = []

    class Counting:
        """Items each Query read (ScannedCount), through the real, deadline-bound client."""

        def __init__(self, inner: Any) -> None:
            self._inner = inner

        def __getattr__(self, name: str) -> Any:
            attribute = getattr(self._inner, name)
            if name != "query":
                return attribute

            def query(**kwargs: Any) -> Any:
                result = attribute(**kwargs)
                scanned.append(int(result.get("ScannedCount", len(result.get("Items", [])))))
                return result

            return query

    repository = MeetingRepository(client=Counting(dynamodb.get_client()))  # type: ignore[arg-type]
    service = MeetingService(repository, FakeRooms())
    bot_meetings.set_service(service)
    for n in range(20):
        meeting = Meeting(guild, f"live{n:06d}", f"Bench live {n}", "meeting", host, "Bench", 1_800_000_000.0 + n)
        repository.create(meeting)
        repository.activate(meeting, f"0_live{n:04d}", max_active=200)
    records, directory = MemoryTokenRecords(), MemoryGuildDirectory()
    records.add(
        TokenRecord(
            token_id=os.environ["API_BENCH_TOKEN_ID"],
            guild_id=guild,
            user_id=host,
            user_name="Bench",
            scopes=("meetings:read",),
            issued_at=int(time.time()),
            expires_at=int(os.environ["API_BENCH_TOKEN_EXPIRES"]),
        )
    )
    directory.set_member(guild, host)
    set_backends(
        Backends(
            service,
            MemoryIdempotency(),
            MemoryUses(),
            tokens=TokenGate(records, 0),
            members=MemberRightsService(directory, 0),
        )
    )
    api = make_lambda_handler()
    listing_event = _api_event("/v1/meetings", token=os.environ["API_BENCH_TOKEN"])

    def kaltura_list() -> None:
        with deadline.scope(deadline.Deadline.after(3.0)):
            answer = handle_interaction(Interaction(command("kaltura-list", guild_id=guild))).to_dict()
        assert answer["data"]["embeds"][0]["title"] == "Live meetings (20)", answer

    def autocomplete() -> None:
        typed = {"name": "meeting", "type": 3, "value": "bench live 1", "focused": True}
        payload = interaction(4, {"id": "1", "name": "kaltura-join", "type": 1, "options": [typed]}, guild_id=guild)
        with deadline.scope(deadline.Deadline.after(3.0)):
            answer = handle_interaction(Interaction(payload)).to_dict()
        assert len(answer["data"]["choices"]) == 11, answer

    def api_list() -> None:
        answer = api(listing_event, None)
        assert answer["statusCode"] == 200 and json.loads(answer["body"])["data"]["total"] == 20

    figures: dict[str, Any] = {}
    ended_so_far = 0
    for ended in (0, 1000, 5000):
        items = [
            _to_item(
                Meeting(guild, f"end{n:07d}"[:10], f"Ended {n}", "meeting", host, "Bench", 1_700_000_000.0 + n, "ended")
            )
            for n in range(ended_so_far, ended)
        ]
        for start in range(0, len(items), 25):
            raw.batch_write_item(
                RequestItems={"bench-index": [{"PutRequest": {"Item": i}} for i in items[start : start + 25]]}
            )
        ended_so_far = ended
        scanned.clear()
        kaltura_list()
        per_page = sum(scanned)
        figures[str(ended)] = {
            "list": _timed(kaltura_list, 60),
            "autocomplete": _timed(autocomplete, 60),
            "api_list": _timed(api_list, 60),
            "items_read_per_list": per_page,
        }
    moto.stop()
    store = ConfigStore(MemoryConfigTable())
    cache = ConfigService(store, ttl_seconds=60, max_guilds=10_000)
    tracemalloc.start()
    before = tracemalloc.take_snapshot()
    for n in range(10_000):
        cache.get(str(1_000_000_000_000_000_000 + n))
    after = tracemalloc.take_snapshot()
    figures["config_cache_10000_guilds_kb"] = sum(s.size_diff for s in after.compare_to(before, "filename")) / 1024
    return figures


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
    from kaltura_discord.auth.records import TokenRecord
    from kaltura_discord.meetings.model import MeetingRequest
    from kaltura_discord.meetings.service import Member
    from tests.unit.api.fakes import MemoryBackends

    fakes = MemoryBackends()
    fakes.token_records.add(
        TokenRecord(
            token_id=os.environ["API_BENCH_TOKEN_ID"],
            guild_id=API_BENCH_GUILD,
            user_id=API_BENCH_USER,
            user_name="Bench",
            scopes=("meetings:read",),
            issued_at=int(time.time()),
            expires_at=int(os.environ["API_BENCH_TOKEN_EXPIRES"]),
        )
    )
    fakes.directory.set_member(API_BENCH_GUILD, API_BENCH_USER)
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


# ---- faults through make run -----------------------------------------------------------------------------

FAULT_SCENARIOS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("DynamoDB hang", "dynamodb", "hang", {}),
    ("DynamoDB delay 1500 ms", "dynamodb", "delay", {"ms": 1500}),
    ("DynamoDB throttle", "dynamodb", "throttle", {}),
    ("DynamoDB 5xx", "dynamodb", "status", {"status": 500}),
    ("DynamoDB reset", "dynamodb", "reset", {}),
    ("Worker hand-off hang", "worker", "hang", {}),
    ("Worker hand-off 5xx", "worker", "status", {}),
    ("Discord REST 503", "discord", "status", {"status": 503}),
    ("Discord REST hang", "discord", "hang", {}),
    ("Kaltura hang", "kaltura", "hang", {}),
]
FAULT_VIEWER, FAULT_HEALTH_GUILD = "1000000000000000732", "1000000000000000733"
FAULTS_TIME_LIMIT_SECONDS = 100.0  # no new fault starts after this; each takes at most ~15 s
RECOVERY_SECONDS = 20.0


class _LocalStack:
    """``make run`` as a subprocess, on a free port with its own state directory."""

    def __init__(self, state_dir: Path) -> None:
        from kaltura_discord.local.moto_server import free_port

        env = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(
                ("DISCORD_", "KALTURA_", "AWS_ENDPOINT_URL", "TABLE_NAME", "SECRETS_ID", "PUBLIC_BASE_URL", "LOCAL_")
            )
        }
        env.update(PORT=str(free_port()), LOCAL_STATE_DIR=str(state_dir), PYTHONUNBUFFERED="1")
        self.state_dir = state_dir
        # The stack's own log lines go to BENCH_STACK_LOG when it is set (to see what happened during a fault).
        self._log = Path(os.environ.get("BENCH_STACK_LOG") or os.devnull).open("w")  # noqa: SIM115
        self.process = subprocess.Popen(
            [sys.executable, "-m", "kaltura_discord.local.stack"],
            cwd=REPO,
            env=env,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self.state: dict[str, Any] = {}

    def __enter__(self) -> _LocalStack:
        import threading

        import httpx

        from kaltura_discord.local.signing import load_or_create_signing_key

        assert self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith("READY "):
                self.state = json.loads(line[len("READY ") :])
                break
        if not self.state:
            raise SystemExit("the local stack did not start")
        stdout = self.process.stdout
        threading.Thread(target=lambda: [None for _ in stdout], daemon=True).start()  # keep the pipe drained
        self.key = load_or_create_signing_key(self.state_dir)
        self.http = httpx.Client(timeout=10)
        return self

    def __exit__(self, *_exc: object) -> None:
        self.http.close()
        self.process.terminate()
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        self._log.close()

    def post(self, payload: dict[str, Any]) -> tuple[float, Any]:
        """(seconds to the first answer, the response or None when there was none within 10 s)."""
        import httpx

        from kaltura_discord.local.signing import sign

        body = json.dumps(payload).encode()
        headers = {"Content-Type": "application/json", **sign(self.key, body)}
        started = time.perf_counter()
        try:
            response = self.http.post(self.state["interactions_url"], content=body, headers=headers)
        except httpx.TimeoutException:
            return time.perf_counter() - started, None
        return time.perf_counter() - started, response

    def faults(self, method: str, body: Any = None) -> Any:
        response = self.http.request(method, self.state["faults_url"], json=body)
        if response.status_code >= 300:
            raise SystemExit(f"fault control refused {body}: {response.text}")
        return response.json()

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = self.faults("GET")["counts"]
        return counts

    def wait(self, condition: Callable[[], bool], timeout: float) -> bool:
        import threading

        pause = threading.Event()
        until = time.monotonic() + timeout
        while time.monotonic() < until:
            if condition():
                return True
            pause.wait(0.1)
        return condition()

    def start_meeting(self, guild: str, host: str) -> str:
        from tests.support.interactions import command

        options = [{"name": "type", "type": 3, "value": "meeting"}, {"name": "title", "type": 3, "value": "Bench"}]
        payload = command("kaltura-start", options, guild_id=guild, user_id=host)
        _, response = self.post(payload)
        if response is None or response.json().get("type") != 5:
            raise SystemExit(f"could not start a meeting before the fault: {response and response.text}")
        root = self.state["discord_standin_url"]
        edits: list[Any] = []

        def edited() -> bool:
            calls = self.http.get(f"{root}/_standin/calls").json()
            edits[:] = [c for c in calls if f"/{payload['token']}/" in c["path"] and c["method"] == "PATCH"]
            return bool(edits)

        if not self.wait(edited, 20):
            raise SystemExit("the meeting started before the fault was never edited in")
        return str(edits[0]["body"]["components"][0]["components"][0]["custom_id"]).split(":", 1)[1]

    def healthy(self) -> bool:
        from tests.support.interactions import command

        _, response = self.post(command("kaltura-list", guild_id=FAULT_HEALTH_GUILD, user_id=FAULT_VIEWER))
        return response is not None and "not answering" not in response.text and "couldn't read" not in response.text


def measure_faults() -> dict[str, Any]:
    """Each fault of FAULT_SCENARIOS through make run: the first-answer time of every interaction a member can send
    (tests/support/first_answer.py), and the requests the faulted dependency received per interaction."""
    import tempfile

    from tests.support.first_answer import broken_promise, interactions

    began = time.monotonic()
    results: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="bench-faults-") as state, _LocalStack(Path(state)) as stack:
        for n, (label, target, kind, extra) in enumerate(FAULT_SCENARIOS):
            if time.monotonic() - began > FAULTS_TIME_LIMIT_SECONDS:
                results[label] = {"skipped": "time limit"}
                continue
            # A server and a host per fault, so the meeting limits (per server, per member and hour) never refuse.
            guild, host = str(1_000_000_000_000_007_100 + n), str(1_000_000_000_000_007_200 + n)
            meeting_id = stack.start_meeting(guild, host)
            before = stack.counts()
            stack.faults("POST", {"target": target, "kind": kind, **extra})
            times, broken = [], []
            sent = interactions(meeting_id, guild=guild, host=host, viewer=FAULT_VIEWER)
            for name, payload in sent:
                elapsed, response = stack.post(payload)
                times.append(elapsed)
                problem = broken_promise(name, payload, elapsed, response)
                if problem:
                    broken.append(problem)
            after = stack.counts()
            stack.faults("DELETE")
            recovered = stack.wait(stack.healthy, RECOVERY_SECONDS)
            calls = after.get(target, 0) - before.get(target, 0)
            results[label] = {
                "target": target,
                "interactions": len(sent),
                "median_ms": statistics.median(times) * 1000,
                "worst_ms": max(times) * 1000,
                "calls": calls,
                "calls_per_interaction": calls / len(sent),
                "dynamodb_calls_per_interaction": (after["dynamodb"] - before["dynamodb"]) / len(sent),
                "broken": broken,
                "recovered": recovered,
            }
    results["_seconds"] = time.monotonic() - began
    return results


def print_faults(faults: dict[str, Any]) -> None:
    print()
    print(
        "Faults through make run: first answer over the 11 kinds of interaction (median / worst), and the requests "
        "the faulted dependency got per interaction during the outage"
    )
    print(f"  {'Fault':<24}{'median':>9}{'worst':>10}  {'calls per interaction':<28}{'promise kept':>13}")
    for label, *_ in FAULT_SCENARIOS:
        row = faults[label]
        if "skipped" in row:
            print(f"  {label:<24}  skipped ({row['skipped']})")
            continue
        calls = f"{row['calls_per_interaction']:.2f} ({row['target']})"
        if row["target"] != "dynamodb":
            calls += f", {row['dynamodb_calls_per_interaction']:.2f} (dynamodb)"
        kept = f"{row['interactions'] - len(row['broken'])}/{row['interactions']}"
        print(f"  {label:<24}{row['median_ms']:>6.0f} ms{row['worst_ms']:>7.0f} ms  {calls:<28}{kept:>13}")
    print(f"  (target: every first answer < 2800 ms; section took {faults['_seconds']:.0f} s)")
    for label, *_ in FAULT_SCENARIOS:
        for problem in faults[label].get("broken", []):
            print(f"  ! {label}: {problem}")
        if faults[label].get("recovered") is False:
            print(f"  ! {label}: storage had not recovered {RECOVERY_SECONDS:.0f} s after the fault was cleared")


def print_live_index(index: dict[str, Any]) -> None:
    print("\nLive meetings by index: 20 live meetings, N ended ones in the same server (moto over loopback; medians)")
    print(f"  {'ended':>6}{'/kaltura-list':>16}{'autocomplete':>15}{'GET /v1/meetings':>19}{'items read/page':>17}")
    base = index["0"]
    for ended in ("0", "1000", "5000"):
        row = index[ended]
        ratio = row["list"]["median_us"] / base["list"]["median_us"]
        listed, completed = row["list"]["median_us"] / 1000, row["autocomplete"]["median_us"] / 1000
        api_ms = row["api_list"]["median_us"] / 1000
        print(
            f"  {ended:>6}{listed:>13.2f} ms{completed:>12.2f} ms{api_ms:>16.2f} ms"
            f"{row['items_read_per_list']:>17}   ({ratio:.2f}x the 0 case)"
        )
    print("  (target: within 1.3x of the 0 case)")
    print(f"  config cache with 10,000 guilds at its size cap: {index['config_cache_10000_guilds_kb'] / 1024:.1f} MB")


CHILDREN: dict[str, Callable[[], dict[str, Any]]] = {
    "cold": child_cold,
    "cold_localized": child_cold_localized,
    "ours": child_ours,
    "flask": child_flask,
    "start_path": child_start_path,
    "config_lookup": child_config_lookup,
    "start_round_trips": child_start_round_trips,
    "api_cold": child_api_cold,
    "api_warm": child_api_warm,
    "live_index": child_live_index,
}


# ---- report -------------------------------------------------------------------------------------------


def main() -> int:
    if len(sys.argv) == 3 and sys.argv[1] == "--child" and sys.argv[2] in CHILDREN:
        # Without argparse: it imports gettext, which a cold start must pay for itself (the catalogs use it).
        print(json.dumps(CHILDREN[sys.argv[2]]()))
        return 0
    import argparse

    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--child", choices=sorted(CHILDREN))
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--faults-only", action="store_true", help="only the faults section (make run under faults)")
    parser.add_argument("--index-only", action="store_true", help="only the live-index section")
    args = parser.parse_args()
    if args.child:
        print(json.dumps(CHILDREN[args.child]()))
        return 0
    if args.index_only:
        print_live_index(_child("live_index"))
        return 0
    if args.faults_only:
        faults = measure_faults()
        print_faults(faults)
        if args.json:
            args.json.parent.mkdir(parents=True, exist_ok=True)
            args.json.write_text(json.dumps({"faults": faults}, indent=2))
        return 0

    colds = [_child("cold") for _ in range(COLD_RUNS)]
    localized = [_child("cold_localized") for _ in range(COLD_RUNS)]
    ours, flask = _child("ours"), _child("flask")
    start_path, config_lookup, trips = _child("start_path"), _child("config_lookup"), _child("start_round_trips")
    api_colds = [_child("api_cold") for _ in range(COLD_RUNS)]
    api_warm = _child("api_warm")
    index = _child("live_index")
    figures = {
        "cold_import_init_ms": statistics.median(c["import_init_ms"] for c in colds),
        "cold_first_ping_ms": statistics.median(c["first_ping_ms"] for c in colds),
        "cold_ping_loads_no_catalog": all(c["ping_loaded_no_catalog"] for c in localized),
        "cold_first_help_en_ms": statistics.median(c["first_help_en_ms"] for c in localized),
        "cold_first_help_de_after_en_ms": statistics.median(c["first_help_de_after_en_ms"] for c in localized),
        "cold_catalog_load_ms": statistics.median(v for c in localized for v in c["catalog_load_ms"].values()),
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
        "live_index": index,
    }
    rows = [
        ("Cold start, import + init (median of 10)", f"{figures['cold_import_init_ms']:.1f} ms", "< 80 ms"),
        ("Cold start, first PING after init", f"{figures['cold_first_ping_ms']:.2f} ms", ""),
        (
            "Cold: first /kaltura-help, English / then German",
            f"{figures['cold_first_help_en_ms']:.1f} / {figures['cold_first_help_de_after_en_ms']:.1f} ms",
            "PING reads no catalog: " + ("yes" if figures["cold_ping_loads_no_catalog"] else "NO"),
        ),
        ("Cold: reading one more catalog (median)", f"{figures['cold_catalog_load_ms']:.2f} ms", ""),
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
    print_live_index(index)
    figures["faults"] = measure_faults()
    print_faults(figures["faults"])
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        args.json.write_text(json.dumps(figures, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
