"""The deployer's Kaltura check (kaltura/account_check.py, scripts/check_kaltura.py) against the sandbox.

A KAF host cannot be reached from a test, so a small stand-in on loopback plays KAF with KS authentication on:
it answers 200 on ``/`` and on a launch URL only if the KS is one KAF would accept (read with the partner's
secret: a USER session with ``actionslimit`` -1 for a room that exists right now), else 403. Every test also
checks that nothing the check created is left in the sandbox and that no KS or secret was printed.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest

from kaltura_discord.http import create_client
from kaltura_discord.kaltura import AdminSecret, AppToken, KalturaClient
from kaltura_discord.kaltura.account_check import (
    CHECK_TAG,
    CHECK_USER_ID,
    FIND_DELAYS,
    REFERENCE_PREFIX,
    ROOM_NAME,
    STEPS,
    CheckReport,
    KafSite,
    Status,
    StepResult,
    run_checks,
)
from kaltura_discord.kaltura.app_tokens import create_deployment_tokens
from kaltura_discord.kaltura.ks import InvalidKs, SessionType, parse_ks
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox

from .conftest import ADMIN_SECRET

pytestmark = pytest.mark.integration

SCRIPT = Path(__file__).resolve().parents[3] / "scripts" / "check_kaltura.py"
MakeClient = Callable[..., KalturaClient]
LAUNCH_PREFIX = "/hosted/index/view-entry/ks/"


# --- the KAF stand-in --------------------------------------------------------------------------------------


@dataclass
class KafStandIn:
    """``launch`` is what a launch URL gets: ``ks-auth`` (KS authentication on, as above), ``forbidden`` (403
    whatever the KS), ``login`` (302 to a login page, as KAF without KS authentication does) or ``missing`` (404)."""

    secret: str
    room_exists: Callable[[str], bool]
    launch: str = "ks-auth"
    launches: list[tuple[int, str]] = field(default_factory=list)

    def start(self) -> KafStandIn:
        standin = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                status, headers = standin.answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05})
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    @property
    def site(self) -> KafSite:
        return KafSite.local(self.base_url)

    def answer(self, path: str) -> tuple[int, dict[str, str]]:
        if path == "/":
            return 200, {}
        if not path.startswith(LAUNCH_PREFIX):
            return 404, {}
        entry_id = self.accepted_entry(path[len(LAUNCH_PREFIX) :])
        status, headers = {
            "ks-auth": (200, {}) if entry_id else (403, {}),
            "forbidden": (403, {}),
            "login": (302, {"Location": "/user/login?ref=view-entry"}),
            "missing": (404, {}),
        }[self.launch]
        self.launches.append((status, entry_id or ""))
        return status, headers

    def accepted_entry(self, ks: str) -> str | None:
        try:
            parsed = parse_ks(ks, self.secret)
        except InvalidKs:
            return None
        entry_id = parsed.privileges.get("entryId", "")
        usable = (
            parsed.session_type == SessionType.USER
            and parsed.privileges.get("actionslimit") == "-1"
            and not parsed.is_expired(time.time())
            and bool(entry_id)
            and self.room_exists(entry_id)
        )
        return entry_id if usable else None


@pytest.fixture
def kaf(sandbox: KalturaSandbox) -> Iterator[KafStandIn]:
    standin = KafStandIn(ADMIN_SECRET, lambda room_id: sandbox.room(room_id) is not None).start()
    yield standin
    standin.stop()


@pytest.fixture
def http() -> Iterator[httpx.Client]:
    with create_client(connect_timeout=2.0, read_timeout=5.0) as client:
        yield client


@dataclass
class Run:
    report: CheckReport
    lines: list[str]
    waits: list[float]

    def status(self, step: str) -> Status:
        return self.report.result(step).status

    def statuses(self) -> dict[str, Status]:
        return {result.step: result.status for result in self.report.results}

    @property
    def text(self) -> str:
        return "\n".join(self.lines) + json.dumps(self.report.to_json())


def check(client: KalturaClient, site: KafSite, http: httpx.Client, **options: Any) -> Run:
    seen: list[StepResult] = []
    waits: list[float] = []
    options.setdefault("sleep", waits.append)
    report = run_checks(client, kaf=site, http=http, on_result=seen.append, **options)
    assert tuple(seen) == report.results, "every result is reported as it is known, in order"
    assert [result.step for result in report.results] == list(STEPS)
    run = Run(report, [result.line() for result in report.results], waits)
    assert "djJ8" not in run.text, "a KS was printed"
    return run


def assert_no_secrets(text: str, *secrets: str) -> None:
    for secret in secrets:
        assert secret not in text


def only(run: Run, status: Status, *steps: str) -> None:
    """These steps have ``status``; every other step passed."""
    assert run.statuses() == {step: status if step in steps else Status.PASS for step in STEPS}


# --- every step passes ---------------------------------------------------------------------------------------


def test_admin_secret_mode_all_pass(
    sandbox: KalturaSandbox, client: KalturaClient, kaf: KafStandIn, http: httpx.Client
):
    run = check(client, kaf.site, http)
    assert run.report.ok and all(line.startswith("PASS ") for line in run.lines)
    room_id = run.report.room_id
    assert room_id is not None and run.report.leftovers == ()
    assert sandbox.rooms == []
    assert kaf.launches == [(200, room_id)], "KAF saw one launch, with a KS it accepts, for the test room"
    added = next(r for r in sandbox.requests if (r.service, r.action) == ("room_room", "add")).params["entry"]
    assert added["name"] == ROOM_NAME and CHECK_TAG in added["tags"].split(",")
    assert added["referenceId"] == run.report.reference_id and added["referenceId"].startswith(REFERENCE_PREFIX)
    assert "templateRoomEntryId" not in added
    found = [r.params["filter"] for r in sandbox.requests if (r.service, r.action) == ("room_room", "list")]
    assert found[-1]["referenceIdEqual"] == run.report.reference_id and found[-1]["statusIn"] == "2,7"
    assert run.waits == [], "found at the first list: no waiting"
    assert "expires in" in run.report.result("join-ks").checked
    assert_no_secrets(run.text, ADMIN_SECRET)


def test_each_run_uses_its_own_reference(client: KalturaClient, kaf: KafStandIn, http: httpx.Client) -> None:
    first, second = check(client, kaf.site, http), check(client, kaf.site, http)
    assert first.report.ok and second.report.ok
    assert first.report.reference_id != second.report.reference_id


def test_template_room_is_used(sandbox: KalturaSandbox, client: KalturaClient, kaf: KafStandIn, http: httpx.Client):
    template = sandbox.seed_room("Webinar template")
    run = check(client, kaf.site, http, template_room_id=template)
    assert run.report.ok
    added = next(r for r in sandbox.requests if (r.service, r.action) == ("room_room", "add")).params["entry"]
    assert added["templateRoomEntryId"] == template
    assert f"from template {template}" in run.report.result("add").checked
    assert [room["id"] for room in sandbox.rooms] == [template], "the template stays, the test room goes"


def test_app_token_mode_all_pass(
    sandbox: KalturaSandbox, make_client: MakeClient, kaf: KafStandIn, http: httpx.Client
) -> None:
    admin, user = create_deployment_tokens(make_client(AdminSecret(ADMIN_SECRET)))
    client = make_client(
        AppToken(admin.id, admin.token, admin.hash_type), user_token=AppToken(user.id, user.token, user.hash_type)
    )
    sandbox.reset_calls()
    run = check(client, kaf.site, http)
    assert run.report.ok, run.lines
    assert run.report.mode == "app tokens"
    assert sandbox.call_count("apptoken", "startSession") == 2, "the admin session, then the join session"
    assert f"USER app token {user.id}" in run.report.result("join-ks").checked
    assert [status for status, _ in kaf.launches] == [200]
    assert sandbox.rooms == []
    assert_no_secrets(run.text, admin.token, user.token, ADMIN_SECRET)


# --- failures: advice, and nothing left behind ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("launch", "advice"),
    [
        ("forbidden", "enable KS authentication on the KAF instance"),
        ("login", "enable KS authentication on the KAF instance"),
        ("missing", "/embeddedrooms/index/create-room"),
    ],
)
def test_kaf_refusing_the_launch_fails_with_advice(
    sandbox: KalturaSandbox, client: KalturaClient, kaf: KafStandIn, http: httpx.Client, launch: str, advice: str
) -> None:
    kaf.launch = launch
    run = check(client, kaf.site, http)
    only(run, Status.FAIL, "kaf-launch")
    result = run.report.result("kaf-launch")
    assert advice in result.advice and result.line().startswith("FAIL kaf-launch: GET http://127.0.0.1:")
    assert not run.report.ok
    assert sandbox.rooms == []


def test_login_redirect_reports_the_host_only(client: KalturaClient, kaf: KafStandIn, http: httpx.Client) -> None:
    kaf.launch = "login"
    checked = check(client, kaf.site, http).report.result("kaf-launch").checked
    assert "HTTP 302" in checked and f"a login page on host {kaf.site.host.split(':')[0]}" in checked
    assert "/user/login" not in checked and "ref=" not in checked


def test_a_ks_kaf_would_refuse_is_refused_by_the_standin(
    sandbox: KalturaSandbox, client: KalturaClient, kaf: KafStandIn
) -> None:
    """The stand-in is strict enough to catch a wrong join KS: an API-capable one, or one for a missing room."""
    room_id = sandbox.seed_room("r")
    api_capable = client.user_ks(CHECK_USER_ID, privileges=_privileges(room_id, actionslimit=None))
    missing_room = client.user_ks(CHECK_USER_ID, privileges=_privileges("0_notthere"))
    good = client.user_ks(CHECK_USER_ID, privileges=_privileges(room_id))
    assert [kaf.answer(LAUNCH_PREFIX + ks)[0] for ks in (api_capable, missing_room, good, "junk")] == [
        403,
        403,
        200,
        403,
    ]


def _privileges(room_id: str, actionslimit: str | None = "-1") -> Any:
    from kaltura_discord.kaltura import build_privileges

    pairs = [("userId", CHECK_USER_ID), ("entryId", room_id), ("role", "adminRole")]
    return build_privileges(([("actionslimit", actionslimit)] if actionslimit else []) + pairs)


def test_kaf_host_unreachable(sandbox: KalturaSandbox, client: KalturaClient, http: httpx.Client) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    run = check(client, KafSite.local(f"http://127.0.0.1:{closed_port}"), http)
    assert run.status("kaf-host") is Status.FAIL and run.status("kaf-launch") is Status.SKIP
    assert "kaltura.kaf_base_url" in run.report.result("kaf-host").advice
    assert "ConnectError" in run.report.result("kaf-host").checked
    assert run.status("join-ks") is Status.PASS and run.status("cleanup") is Status.PASS
    assert sandbox.rooms == []


def test_room_list_failing_fails_find_and_still_cleans_up(
    sandbox: KalturaSandbox, make_client: MakeClient, kaf: KafStandIn, http: httpx.Client
) -> None:
    """The session step's list passes; then every list fails (503, through the client's retries)."""

    def after_first_list(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/room_room/action/list") and not sandbox.state_snapshot()["faults"]:
            sandbox.inject("status", 100, service="room_room", action="list")

    kaltura_http = create_client(connect_timeout=2.0, read_timeout=5.0)
    kaltura_http.event_hooks = {"response": [after_first_list]}
    run = check(make_client(http=kaltura_http), kaf.site, http)
    only(run, Status.FAIL, "find")
    advice = run.report.result("find").advice
    assert "NO_CONTENT (7)" in advice and "READY (2)" in advice
    assert "HTTP_503" in run.report.result("find").checked
    assert sandbox.rooms == []


def test_room_never_listed_is_polled_then_fails(
    sandbox: KalturaSandbox, make_client: MakeClient, kaf: KafStandIn, http: httpx.Client
) -> None:
    """A room stored with a status the bot does not list (as if the account stored it differently)."""
    kaltura_http = create_client(connect_timeout=2.0, read_timeout=5.0)
    kaltura_http.event_hooks = {"response": [_after_add(lambda room_id: sandbox.set_room_status(room_id, 1))]}
    run = check(make_client(http=kaltura_http), kaf.site, http)
    only(run, Status.FAIL, "find")
    assert run.waits == [delay for delay in FIND_DELAYS if delay]
    assert f"in {len(FIND_DELAYS)} lists" in run.report.result("find").checked
    assert "NO_CONTENT" in run.report.result("find").advice
    assert sandbox.rooms == []


def test_room_listed_late_passes_after_polling(
    sandbox: KalturaSandbox, make_client: MakeClient, kaf: KafStandIn, http: httpx.Client
) -> None:
    """A search index that lags: the room is listed only after the first wait."""
    added: list[str] = []

    def stored_unlisted(room_id: str) -> None:
        added.append(room_id)
        sandbox.set_room_status(room_id, 1)

    kaltura_http = create_client(connect_timeout=2.0, read_timeout=5.0)
    kaltura_http.event_hooks = {"response": [_after_add(stored_unlisted)]}
    waits: list[float] = []

    def index_catches_up(seconds: float) -> None:
        waits.append(seconds)
        sandbox.set_room_status(added[0], 7)

    run = check(make_client(http=kaltura_http), kaf.site, http, sleep=index_catches_up)
    assert run.report.ok
    assert waits == [FIND_DELAYS[1]]
    assert "after 2 lists" in run.report.result("find").checked
    assert sandbox.rooms == []


def _after_add(action: Callable[[str], object]) -> Callable[[httpx.Response], None]:
    def hook(response: httpx.Response) -> None:
        if response.request.url.path.endswith("/room_room/action/add"):
            response.read()
            action(response.json()["id"])

    return hook


@pytest.mark.parametrize(
    ("make_template", "code", "advice"),
    [
        (lambda sandbox: "0_nothere1", "ENTRY_ID_NOT_FOUND", "does not exist on partner"),
        (lambda sandbox: sandbox.seed_entry(), "INVALID_FIELD_VALUE", "is not a room"),
    ],
    ids=["missing", "not a room"],
)
def test_bad_template_fails_at_add_and_leaves_nothing(
    sandbox: KalturaSandbox,
    client: KalturaClient,
    kaf: KafStandIn,
    http: httpx.Client,
    make_template: Callable[[KalturaSandbox], str],
    code: str,
    advice: str,
) -> None:
    template = make_template(sandbox)
    run = check(client, kaf.site, http, template_room_id=template)
    assert run.statuses() == {
        "session": Status.PASS,
        "add": Status.FAIL,
        "find": Status.SKIP,
        "kaf-host": Status.PASS,
        "join-ks": Status.SKIP,
        "kaf-launch": Status.SKIP,
        "delete": Status.SKIP,
        "cleanup": Status.PASS,
    }
    add = run.report.result("add")
    assert code in add.checked and template in add.advice and advice in add.advice
    assert "nothing left behind" in run.report.result("cleanup").checked
    assert sandbox.rooms == [] and kaf.launches == []


def test_lost_add_answer_room_is_found_and_removed(
    sandbox: KalturaSandbox, client: KalturaClient, kaf: KafStandIn, http: httpx.Client
) -> None:
    """Kaltura created the room but the answer never came: the cleanup finds it by referenceId and deletes it."""
    sandbox.inject("lost_answer", service="room_room", action="add")
    run = check(client, kaf.site, http)
    assert run.status("add") is Status.FAIL and run.status("cleanup") is Status.PASS
    assert sandbox.call_count("room_room", "add") == 1, "room_room.add is never repeated blindly"
    assert "found by referenceId" in run.report.result("cleanup").checked
    assert sandbox.rooms == []


def test_room_that_cannot_be_deleted_is_named(
    sandbox: KalturaSandbox, client: KalturaClient, kaf: KafStandIn, http: httpx.Client
) -> None:
    sandbox.inject("error", 2, service="room_room", action="delete", code="SERVICE_FORBIDDEN")
    run = check(client, kaf.site, http)
    only(run, Status.FAIL, "delete", "cleanup")
    room_id = run.report.room_id
    assert room_id is not None and run.report.leftovers == (room_id,)
    cleanup = run.report.result("cleanup")
    assert room_id in cleanup.checked and run.report.reference_id in cleanup.advice and "KMC" in cleanup.advice
    assert run.lines[-1] == cleanup.line() and run.lines[-1].startswith(
        f"FAIL cleanup: could not remove room {room_id}"
    )
    assert [room["id"] for room in sandbox.rooms] == [room_id]


def test_interrupted_run_still_removes_the_room(
    sandbox: KalturaSandbox, client: KalturaClient, kaf: KafStandIn, http: httpx.Client
) -> None:
    """Ctrl-C after the room was found: the remaining steps never run, the cleanup still does."""
    seen: list[StepResult] = []

    def interrupt_after_find(result: StepResult) -> None:
        seen.append(result)
        if result.step == "find":
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_checks(client, kaf=kaf.site, http=http, on_result=interrupt_after_find, sleep=pytest.fail)
    assert [result.step for result in seen] == ["session", "add", "find", "cleanup"]
    assert seen[-1].status is Status.PASS and "is deleted" in seen[-1].checked
    assert sandbox.rooms == [] and kaf.launches == []


def test_unexpected_error_in_a_step_is_a_fail_and_the_run_goes_on(
    sandbox: KalturaSandbox, client: KalturaClient
) -> None:
    """An error nobody planned for, whose message repeats the launch URL (so the KS): reported, scrubbed."""

    def root_only(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/":
            return httpx.Response(200)
        raise RuntimeError(f"no route to {request.url}")

    with httpx.Client(transport=httpx.MockTransport(root_only)) as http:
        run = check(client, KafSite.local("http://127.0.0.1:9"), http)
    launch = run.report.result("kaf-launch")
    assert launch.status is Status.FAIL and launch.checked.startswith("unexpected RuntimeError: no route to")
    assert "[redacted]" in launch.checked
    assert run.status("delete") is Status.PASS and run.status("cleanup") is Status.PASS and sandbox.rooms == []


@pytest.mark.parametrize(
    ("credentials", "advice"),
    [
        ("wrong secret", "KALTURA_ADMIN_SECRET"),
        ("wrong hash type", "KALTURA_APP_TOKEN_HASH_TYPE (SHA1) is not the token's hashType"),
        ("swapped tokens", "looks like the USER (join) token"),
        ("unknown token", "does not exist on partner"),
    ],
)
def test_session_refused_fails_with_advice_and_tries_nothing_else(
    sandbox: KalturaSandbox, make_client: MakeClient, kaf: KafStandIn, http: httpx.Client, credentials: str, advice: str
) -> None:
    admin, user = create_deployment_tokens(make_client(AdminSecret(ADMIN_SECRET)))
    user_token = AppToken(user.id, user.token, user.hash_type)
    made = {
        "wrong secret": AdminSecret("not-the-admin-secret"),
        "wrong hash type": AppToken(admin.id, admin.token, "SHA1"),
        "swapped tokens": AppToken(user.id, user.token, user.hash_type),
        "unknown token": AppToken("0_nothere", admin.token, admin.hash_type),
    }[credentials]
    sandbox.reset_calls()
    run = check(make_client(made, user_token=user_token), kaf.site, http)
    assert run.statuses() == {
        "session": Status.FAIL,
        "add": Status.SKIP,
        "find": Status.SKIP,
        "kaf-host": Status.PASS,
        "join-ks": Status.SKIP,
        "kaf-launch": Status.SKIP,
        "delete": Status.SKIP,
        "cleanup": Status.PASS,
    }
    assert advice in run.report.result("session").advice
    assert sandbox.call_count("room_room", "add") == 0 and sandbox.rooms == []
    assert_no_secrets(run.text, admin.token, user.token, "not-the-admin-secret")


def test_user_token_that_fixes_the_role_fails_join_ks(
    sandbox: KalturaSandbox, make_client: MakeClient, kaf: KafStandIn, http: httpx.Client
) -> None:
    admin = sandbox.add_app_token(session_user_id="kaltura-discord")
    user = sandbox.add_app_token(session_type=0, session_privileges="actionslimit:-1,role:viewerRole")
    client = make_client(AppToken(admin.id, admin.token), user_token=AppToken(user.id, user.token))
    run = check(client, kaf.site, http)
    assert run.status("join-ks") is Status.FAIL and run.status("kaf-launch") is Status.SKIP
    result = run.report.result("join-ks")
    assert "USER_SESSION_REJECTED" in result.checked and "sessionPrivileges actionslimit:-1" in result.advice
    assert run.status("delete") is Status.PASS and sandbox.rooms == []


def test_kaf_base_url_must_be_loopback_http() -> None:
    assert KafSite.local("http://127.0.0.1:8080").launch_url("abc=") == (
        "http://127.0.0.1:8080/hosted/index/view-entry/ks/abc="
    )
    assert KafSite.for_host("1234567.KAF.kaltura.com").launch_url("abc") == (
        "https://1234567.kaf.kaltura.com/hosted/index/view-entry/ks/abc"
    )
    for bad in ("https://127.0.0.1:8080", "http://example.com:80", "http://127.0.0.1:8080/path"):
        with pytest.raises(ValueError):
            KafSite.local(bad)
    for bad in ("http://kaf.example.com", "kaf.example.com/path", "user@kaf.example.com"):
        with pytest.raises(ValueError):
            KafSite.for_host(bad)


# --- the script --------------------------------------------------------------------------------------------


@dataclass
class SandboxProcess:
    url: str
    partner_id: int
    secret: str

    def state(self) -> dict[str, Any]:
        state: dict[str, Any] = httpx.get(f"{self.url}/_sandbox/state", timeout=5).json()
        return state

    def has_room(self, room_id: str) -> bool:
        return any(room["id"] == room_id for room in self.state()["rooms"])


@pytest.fixture(scope="module")
def sandbox_process() -> Iterator[SandboxProcess]:
    partner_id, secret = 5678901, "script-admin-secret-0123456789ab"
    command = [sys.executable, "-m", "kaltura_discord.local.kaltura_sandbox", "--port", "0"]
    command += ["--partner-id", str(partner_id), "--admin-secret", secret]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            yield SandboxProcess(url, partner_id, secret)
        finally:
            process.terminate()
            process.wait(timeout=10)


@pytest.fixture
def script_kaf(sandbox_process: SandboxProcess) -> Iterator[KafStandIn]:
    standin = KafStandIn(sandbox_process.secret, sandbox_process.has_room).start()
    yield standin
    standin.stop()


def run_script(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("KALTURA_") and k != "SECRETS_ID"}
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        env={**clean, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def admin_env(sandbox: SandboxProcess) -> dict[str, str]:
    return {
        "KALTURA_SERVICE_URL": sandbox.url,
        "KALTURA_PARTNER_ID": str(sandbox.partner_id),
        "KALTURA_ADMIN_SECRET": sandbox.secret,
    }


def test_script_exit_0_when_every_step_passes(sandbox_process: SandboxProcess, script_kaf: KafStandIn) -> None:
    done = run_script(admin_env(sandbox_process), "--kaf-base-url", script_kaf.base_url)
    assert done.returncode == 0, done.stdout + done.stderr
    lines = done.stdout.splitlines()
    assert lines[0].startswith(f"Checking Kaltura partner {sandbox_process.partner_id} on 127.0.0.1:")
    assert [line.split(" ", 2)[:2] for line in lines[1:-1]] == [["PASS", f"{step}:"] for step in STEPS]
    assert lines[-1].startswith("All 8 steps passed")
    assert "djJ8" not in done.stdout + done.stderr and sandbox_process.secret not in done.stdout + done.stderr
    assert sandbox_process.state()["rooms"] == []


def test_script_exit_1_and_json(sandbox_process: SandboxProcess, script_kaf: KafStandIn) -> None:
    script_kaf.launch = "forbidden"
    done = run_script(admin_env(sandbox_process), "--kaf-base-url", script_kaf.base_url, "--json")
    assert done.returncode == 1, done.stderr
    report = json.loads(done.stdout)
    assert report["ok"] is False and report["leftovers"] == []
    steps = {step["step"]: step for step in report["steps"]}
    assert steps["kaf-launch"]["status"] == "FAIL" and "KS authentication" in steps["kaf-launch"]["advice"]
    assert steps["cleanup"]["status"] == "PASS"
    assert "djJ8" not in done.stdout and sandbox_process.state()["rooms"] == []


def test_script_app_token_mode(sandbox_process: SandboxProcess, script_kaf: KafStandIn) -> None:
    with KalturaClient(sandbox_process.url, sandbox_process.partner_id, AdminSecret(sandbox_process.secret)) as admin:
        admin_token, user_token = create_deployment_tokens(admin)
    env = {
        "KALTURA_SERVICE_URL": sandbox_process.url,
        "KALTURA_PARTNER_ID": str(sandbox_process.partner_id),
        "KALTURA_APP_TOKEN_ID": admin_token.id,
        "KALTURA_APP_TOKEN": admin_token.token,
        "KALTURA_APP_TOKEN_HASH_TYPE": admin_token.hash_type,
        "KALTURA_USER_APP_TOKEN_ID": user_token.id,
        "KALTURA_USER_APP_TOKEN": user_token.token,
        "KALTURA_USER_APP_TOKEN_HASH_TYPE": user_token.hash_type,
    }
    done = run_script(env, "--kaf-base-url", script_kaf.base_url)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "(app tokens)" in done.stdout.splitlines()[0]
    assert admin_token.token not in done.stdout and user_token.token not in done.stdout
    without_user_token = {k: v for k, v in env.items() if "USER_APP_TOKEN" not in k}
    refused = run_script(without_user_token, "--kaf-base-url", script_kaf.base_url)
    assert refused.returncode == 2 and "KALTURA_USER_APP_TOKEN_ID" in refused.stderr


@pytest.mark.parametrize(
    ("drop", "extra", "args", "message"),
    [
        ("KALTURA_PARTNER_ID", {}, (), "KALTURA_PARTNER_ID"),
        ("KALTURA_ADMIN_SECRET", {}, (), "KALTURA_ADMIN_SECRET"),
        (None, {"KALTURA_PARTNER_ID": "abc"}, (), "must be an integer"),
        (None, {"KALTURA_SERVICE_URL": "www.kaltura.com"}, (), "KALTURA_SERVICE_URL"),
        (None, {}, ("--template-room-id", "not-an-id"), "not a Kaltura entry id"),
        (None, {}, ("--kaf-host", "https://kaf.example.com/path"), "bare host"),
        (None, {}, ("--kaf-base-url", "http://example.com:80"), "127.0.0.1"),
        (None, {}, ("--kaf-host", "a.kaltura.com", "--kaf-base-url", "http://127.0.0.1:1"), "not allowed with"),
    ],
    ids=[
        "no partner",
        "no credentials",
        "partner not a number",
        "bad service url",
        "bad template",
        "bad kaf host",
        "kaf base url not loopback",
        "both kaf options",
    ],
)
def test_script_exit_2_on_bad_settings(
    sandbox_process: SandboxProcess, drop: str | None, extra: dict[str, str], args: tuple[str, ...], message: str
) -> None:
    before = sandbox_process.state()["calls"]
    env = {k: v for k, v in admin_env(sandbox_process).items() if k != drop} | extra
    done = run_script(env, *args)
    assert done.returncode == 2
    assert message in done.stderr and done.stdout == ""
    assert sandbox_process.state()["calls"] == before, "nothing was sent"


def test_script_notes_a_kaf_host_the_bot_would_refuse(monkeypatch: pytest.MonkeyPatch) -> None:
    from tests.unit.commands.loader import load_script

    check_kaltura = load_script("check_kaltura")
    monkeypatch.delenv("KAF_ALLOWED_HOST_SUFFIXES", raising=False)
    assert check_kaltura._kaf_host_note(KafSite.for_host("1234567.kaf.kaltura.com")) is None
    note = check_kaltura._kaf_host_note(KafSite.for_host("kaf.example.edu"))
    assert note is not None and "KAF_ALLOWED_HOST_SUFFIXES" in note and "kaf.example.edu" in note
    monkeypatch.setenv("KAF_ALLOWED_HOST_SUFFIXES", "example.edu")
    assert check_kaltura._kaf_host_note(KafSite.for_host("kaf.example.edu")) is None
    assert check_kaltura._kaf_host_note(KafSite.local("http://127.0.0.1:8080")) is None
