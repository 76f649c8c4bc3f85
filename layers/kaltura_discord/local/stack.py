"""``make run``: the whole system on one machine.

Starts moto's DynamoDB server in-process with the table from template.yaml, a stand-in for Discord's REST
API, the local Kaltura sandbox when no Kaltura credentials are set, and serves ``POST /interactions`` with
the same handler code as Lambda. Deferred jobs run in-process after each response.

DynamoDB and the Discord stand-in are reached through a local fault proxy (:mod:`.fault_proxy`); faults are set
with ``POST /_local/faults`` on this server, or at start with ``LOCAL_FAULTS`` (see ``docs/testing.md``). That
route exists only here: the Lambda functions have no such thing.
"""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kaltura_discord import settings
from kaltura_discord.local.signing import load_or_create_signing_key, public_key_hex, state_dir
from kaltura_discord.settings import ConfigurationError

if TYPE_CHECKING:
    from kaltura_discord.local.fault_proxy import FaultControl, FaultSet

LOCAL_APPLICATION_ID = "1000000000000000001"
LOCAL_BOT_TOKEN = "local-bot-token"  # noqa: S105 - the stand-in's own token, not a secret
LOCAL_TABLE = "kaltura-discord-local"
SANDBOX_PARTNER_ID = "1234567"
SANDBOX_ADMIN_SECRET = "sandbox-admin-secret-0123456789ab"  # noqa: S105 - the sandbox's own secret


@dataclass
class Stack:
    url: str = ""
    public_key: str = ""
    discord_api_base_url: str = ""
    kaltura_service_url: str = ""
    kaltura_sandbox: bool = False
    kaltura_session_mode: str = "secret"
    dynamodb_upstream: str | None = None
    discord_standin_url: str | None = None
    stoppers: list[Callable[[], None]] = field(default_factory=list)

    def state(self) -> dict[str, Any]:
        return {
            "interactions_url": f"{self.url}/interactions",
            "api_base_url": f"{self.url}/v1",
            "public_key": self.public_key,
            "discord_api_base_url": self.discord_api_base_url,
            "application_id": os.environ["DISCORD_APPLICATION_ID"],
            "kaltura_service_url": self.kaltura_service_url,
            "kaltura_sandbox": self.kaltura_sandbox,
            "kaltura_session_mode": self.kaltura_session_mode,
            "dynamodb_endpoint": os.environ["AWS_ENDPOINT_URL_DYNAMODB"],
            "dynamodb_upstream": self.dynamodb_upstream,
            "discord_standin_url": self.discord_standin_url,
            "faults_url": f"{self.url}/_local/faults",
            "table_name": os.environ["TABLE_NAME"],
        }

    def stop(self) -> None:
        for stopper in reversed(self.stoppers):
            try:
                stopper()
            except Exception as exc:
                print(f"warning: stopping a local service failed: {exc}", file=sys.stderr)


def _kaltura_credentials_set() -> bool:
    return bool(os.environ.get("KALTURA_PARTNER_ID")) and bool(
        os.environ.get("KALTURA_ADMIN_SECRET") or os.environ.get("KALTURA_APP_TOKEN")
    )


def start(host: str = "127.0.0.1", port: int = 8787) -> Stack:
    """Start every local service; settings the user already exported are kept."""
    import boto3

    from kaltura_discord.bot import jobs, worker
    from kaltura_discord.bot.interactions import InteractionsApp
    from kaltura_discord.local.fault_proxy import FaultControl, FaultSet
    from kaltura_discord.local.server import AfterResponseDispatcher, LocalServer
    from kaltura_discord.local.tables import create_table

    stack = Stack()
    env = os.environ
    faults = FaultSet()
    proxied: list[str] = []
    for name, value in (
        ("AWS_ACCESS_KEY_ID", "local"),
        ("AWS_SECRET_ACCESS_KEY", "local"),
        ("AWS_DEFAULT_REGION", "us-east-1"),
        ("DISCORD_APPLICATION_ID", LOCAL_APPLICATION_ID),
        ("TABLE_NAME", LOCAL_TABLE),
    ):
        env.setdefault(name, value)

    if not env.get("DISCORD_PUBLIC_KEY"):
        env["DISCORD_PUBLIC_KEY"] = public_key_hex(load_or_create_signing_key())
    stack.public_key = env["DISCORD_PUBLIC_KEY"]

    if not env.get("AWS_ENDPOINT_URL_DYNAMODB"):
        _start_dynamodb(stack, env, faults, host)
        proxied.append("dynamodb")
    client: Any = boto3.client("dynamodb")
    if env["TABLE_NAME"] not in client.list_tables()["TableNames"]:
        create_table(client, env["TABLE_NAME"])

    if not env.get("DISCORD_API_BASE_URL"):
        _start_discord_standin(stack, env, faults, host)
        proxied.append("discord")
    stack.discord_api_base_url = env["DISCORD_API_BASE_URL"]

    if not _kaltura_credentials_set():
        _start_sandbox(stack, env)
    stack.kaltura_service_url = env.get("KALTURA_SERVICE_URL", "https://www.kaltura.com")

    dispatcher = AfterResponseDispatcher(worker.handler, faults=faults)
    jobs.install_dispatcher(dispatcher)
    schedules = _start_scheduler(stack)
    if not env.get("JWT_SIGNING_KEYS"):
        from kaltura_discord.auth.keys import load_or_create_dev_keys

        env["JWT_SIGNING_KEYS"] = load_or_create_dev_keys(state_dir())
    routes: dict[str, Any] = {}
    server = LocalServer(routes, dispatcher, host=host, port=port).start_in_thread()
    stack.stoppers.append(server.stop)
    stack.url = server.url
    env.setdefault("PUBLIC_BASE_URL", server.url)  # join links point at this server
    app = InteractionsApp(env["DISCORD_PUBLIC_KEY"], public_base_url=settings.configured_public_base_url())
    control = FaultControl(
        faults, proxied=tuple(proxied), sandbox_url=stack.kaltura_service_url if stack.kaltura_sandbox else None
    )
    routes.update(
        {
            "/interactions": app.handle,
            "/v1": _api_handler(),
            "/_local/faults": control.handle,
            "/_local/schedules": _schedules_route(schedules),
        }
    )
    stack.stoppers.append(faults.close)  # stopped first: every held request is let go
    if stack.kaltura_sandbox:
        _set_up_notifications(stack)
    _apply_local_faults(stack, control, env.get("LOCAL_FAULTS"))

    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "stack.json").write_text(json.dumps(stack.state(), indent=2))
    return stack


def _start_dynamodb(stack: Stack, env: os._Environ[str], faults: FaultSet, host: str) -> None:
    """moto's server, reached through the fault proxy (``AWS_ENDPOINT_URL_DYNAMODB`` is the proxy)."""
    from kaltura_discord.local.fault_proxy import FaultProxy
    from kaltura_discord.local.moto_server import EmbeddedDynamoDB

    dynamodb = EmbeddedDynamoDB(host=host).start()
    stack.stoppers.append(dynamodb.stop)
    proxy = FaultProxy("dynamodb", dynamodb.endpoint_url, faults, host=host).start()
    stack.stoppers.append(proxy.stop)
    stack.dynamodb_upstream = dynamodb.endpoint_url
    env["AWS_ENDPOINT_URL_DYNAMODB"] = proxy.url


def _start_discord_standin(stack: Stack, env: os._Environ[str], faults: FaultSet, host: str) -> None:
    """The Discord REST stand-in behind the fault proxy; its own ``/_standin/`` routes (what tests read) pass
    through unfaulted and uncounted."""
    from kaltura_discord.local.discord_standin import DiscordStandIn
    from kaltura_discord.local.fault_proxy import FaultProxy

    env.setdefault("DISCORD_BOT_TOKEN", LOCAL_BOT_TOKEN)
    standin = DiscordStandIn(host=host, bot_token=env["DISCORD_BOT_TOKEN"]).start()
    stack.stoppers.append(standin.stop)
    proxy = FaultProxy("discord", standin.url, faults, passthrough=("/_standin/",), host=host).start()
    stack.stoppers.append(proxy.stop)
    stack.discord_standin_url = standin.url
    env["DISCORD_API_BASE_URL"] = proxy.url + standin.api_base_url.removeprefix(standin.url)


def _apply_local_faults(stack: Stack, control: FaultControl, setting: str | None) -> None:
    """``LOCAL_FAULTS``: start with faults in place (applied once everything is up and the table exists)."""
    try:
        applied = control.apply_setting(setting)
    except ValueError as exc:
        stack.stop()
        raise ConfigurationError(str(exc)) from None
    for fault in applied:
        print(f"warning: started with a local fault: {json.dumps(fault)}", file=sys.stderr, flush=True)


def _start_scheduler(stack: Stack) -> Any:
    """EventBridge Scheduler's stand-in: the same one-time schedules, fired through the local worker on time."""
    from kaltura_discord.bot import worker
    from kaltura_discord.scheduler import LocalScheduler, install_scheduler

    scheduler = LocalScheduler(worker.handler).start()
    install_scheduler(scheduler)
    stack.stoppers.append(scheduler.stop)
    return scheduler


def _schedules_route(scheduler: Any) -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """``GET /_local/schedules``: what is waiting; ``POST /_local/schedules`` ``{"until": epoch}``: fire now
    everything due by then (tests fast-forward a scheduled meeting instead of waiting for it). Local only."""

    def handle(event: dict[str, Any], _context: Any) -> dict[str, Any]:
        method = event["requestContext"]["http"]["method"]
        if method == "GET":
            return _json(200, {"pending": scheduler.pending(), "fired": scheduler.fired})
        if method == "POST":
            try:
                until = float(json.loads(event.get("body") or "{}").get("until", time.time()))
            except (ValueError, TypeError, AttributeError):
                return _json(400, {"error": 'body must be {"until": epoch seconds}'})
            return _json(200, {"fired": scheduler.run_due(until)})
        return _json(405, {"error": "GET or POST"})

    return handle


def _json(status: int, body: Any) -> dict[str, Any]:
    return {"statusCode": status, "headers": {"content-type": "application/json"}, "body": json.dumps(body)}


def _start_sandbox(stack: Stack, env: os._Environ[str]) -> None:
    """The local Kaltura, in admin-secret mode or (``LOCAL_KALTURA_SESSION_MODE=apptoken``) app-token mode."""
    from kaltura_discord.local.kaltura_sandbox import KalturaSandbox

    env["KALTURA_PARTNER_ID"] = SANDBOX_PARTNER_ID
    env["KALTURA_ADMIN_SECRET"] = SANDBOX_ADMIN_SECRET
    env["KALTURA_NOTIFICATION_SECRET"] = SANDBOX_ADMIN_SECRET  # Kaltura signs notifications with the admin secret
    for name in ("KALTURA_APP_TOKEN_ID", "KALTURA_USER_APP_TOKEN_ID"):
        env.pop(name, None)
    sandbox = KalturaSandbox(partner_id=int(SANDBOX_PARTNER_ID), admin_secret=SANDBOX_ADMIN_SECRET).start()
    stack.stoppers.append(sandbox.stop)
    env["KALTURA_SERVICE_URL"] = sandbox.url
    stack.kaltura_sandbox = True
    stack.kaltura_session_mode = env.get("LOCAL_KALTURA_SESSION_MODE", "secret")
    if stack.kaltura_session_mode == "apptoken":
        _use_app_tokens(env, sandbox.url)
    elif stack.kaltura_session_mode != "secret":
        raise ConfigurationError("LOCAL_KALTURA_SESSION_MODE must be secret or apptoken")


def _set_up_notifications(stack: Stack) -> None:
    """Recording notifications on the sandbox, set up as docs/kaltura.md tells a deployer to
    (``scripts/setup_kaltura_notifications.py``): its copy of the entry-ready template sends to this stack. The
    sandbox signs as Kaltura does, with the account's admin secret, which is what the API checks."""
    from kaltura_discord.kaltura import AdminSecret, KalturaClient
    from kaltura_discord.kaltura.notifications import notifications_url, set_up

    with KalturaClient(stack.kaltura_service_url, int(SANDBOX_PARTNER_ID), AdminSecret(SANDBOX_ADMIN_SECRET)) as client:
        set_up(client, notifications_url(os.environ.get("PUBLIC_BASE_URL") or stack.url))


def _use_app_tokens(env: os._Environ[str], service_url: str) -> None:
    """App-token mode against the sandbox, set up as docs/kaltura.md tells a deployer to: the two tokens are made
    with ``appToken.add`` over HTTP, then the admin secret is taken away so only the tokens can work."""
    from kaltura_discord.kaltura import AdminSecret, KalturaClient
    from kaltura_discord.kaltura.app_tokens import create_deployment_tokens

    with KalturaClient(service_url, int(SANDBOX_PARTNER_ID), AdminSecret(SANDBOX_ADMIN_SECRET)) as client:
        admin, user = create_deployment_tokens(client)
    env.pop("KALTURA_ADMIN_SECRET", None)
    env.update(
        KALTURA_APP_TOKEN_ID=admin.id,
        KALTURA_APP_TOKEN=admin.token,
        KALTURA_APP_TOKEN_HASH_TYPE=admin.hash_type,
        KALTURA_USER_APP_TOKEN_ID=user.id,
        KALTURA_USER_APP_TOKEN=user.token,
        KALTURA_USER_APP_TOKEN_HASH_TYPE=user.hash_type,
    )


def _api_handler() -> Callable[[dict[str, Any], Any], dict[str, Any]]:
    """The REST API's Lambda handler, adapted to the local server: each request runs on a thread of its own (Lambda
    has one thread, which Mangum expects to hold an event loop), over plain HTTP where API Gateway says https."""
    import asyncio

    from mangum import Mangum

    from kaltura_discord.api.app import create_app

    api = Mangum(create_app(), lifespan="off")

    def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
        event["headers"].setdefault("x-forwarded-proto", "http")
        loop = asyncio.new_event_loop()
        asyncio.set_event_loop(loop)
        try:
            result: dict[str, Any] = api(event, context)
        finally:
            asyncio.set_event_loop(None)
            loop.close()
        return result

    return handle


def _banner(stack: Stack) -> str:
    lines = [
        "kaltura-discord local stack",
        f"  interactions URL : {stack.url}/interactions",
        f"  REST API         : {stack.url}/v1 (tokens: /kaltura-token)",
        f"  public key       : {stack.public_key}",
        f"  Discord REST     : {stack.discord_api_base_url}",
        f"  DynamoDB         : {os.environ['AWS_ENDPOINT_URL_DYNAMODB']} (table {os.environ['TABLE_NAME']})",
        f"  Fault injection  : {stack.url}/_local/faults (local only; see docs/testing.md)",
    ]
    if stack.kaltura_sandbox:
        lines += [
            f"  Kaltura          : {stack.kaltura_service_url} ({stack.kaltura_session_mode} sessions)",
            "  *** KALTURA SANDBOX: no Kaltura credentials are set, so meetings are simulated locally. ***",
            "  *** Set KALTURA_PARTNER_ID and KALTURA_ADMIN_SECRET (or app-token settings) for real Kaltura. ***",
        ]
    else:
        lines.append(f"  Kaltura          : {stack.kaltura_service_url} (real account)")
    lines += [
        "",
        "Try it:  .venv/bin/python scripts/send_interaction.py kaltura-help",
        "Stop with Ctrl+C.",
    ]
    return "\n".join(lines)


def main() -> None:
    port = int(os.environ.get("PORT") or 8787)
    try:
        stack = start(port=port)
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        raise SystemExit(1) from None
    except OSError as exc:
        print(f"error: could not start the local stack on port {port}: {exc.strerror or exc}", file=sys.stderr)
        raise SystemExit(1) from None
    print(_banner(stack), flush=True)
    print("READY " + json.dumps(stack.state()), flush=True)
    stopped = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopped.set())
    signal.signal(signal.SIGINT, lambda *_: stopped.set())
    stopped.wait()
    stack.stop()


if __name__ == "__main__":
    main()
