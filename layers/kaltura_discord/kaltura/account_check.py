"""The deployer's check of their own Kaltura account: the first time the real server answers this code.

No build machine can reach Kaltura, so the tests prove the bot against a sandbox built from Kaltura's documented
behaviour. What only the real account can show is whether *this* account does what the bot relies on: the
credentials start a session, a room can be added (from the template the server's configuration names), found
again by ``referenceIdEqual`` (the bot's recovery after a lost answer), and deleted; the KAF host answers; a
60-second join KS carries what KAF reads, and KAF accepts it as a login. :func:`run_checks` does those steps
against the account, once, with the bot's own client, and reports each as one :class:`StepResult` (PASS, FAIL
or SKIP, what was checked, and on failure what to do). Whatever it creates is removed even when a step fails,
and the last line says so or names what is left.

Nothing it reports carries a KS, secret or token: Kaltura's messages are scrubbed by the client, and KAF URLs
are reported by host and HTTP status only, because the launch URL *is* a KS. ``scripts/check_kaltura.py`` is the
command line. The KAF site and the HTTP client are parameters so the tests can aim the check at a loopback
stand-in (a KAF host cannot be reached from a test).
"""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import TYPE_CHECKING, Any, Literal
from urllib.parse import urlsplit

from kaltura_discord import settings
from kaltura_discord.kaltura.client import AdminSecret, AppToken, KalturaClient, client_from_settings
from kaltura_discord.kaltura.errors import KalturaError, KalturaUnavailable, scrub
from kaltura_discord.kaltura.ks import InvalidKs, SessionType, join_privileges, parse_ks, validate_entry_id
from kaltura_discord.kaltura.rooms import (
    ENTRY_ID_NOT_FOUND,
    JOIN_KS_EXPIRY,
    LIVE_ROOM_STATUSES,
    EntryStatus,
    KalturaRooms,
    Pager,
    Room,
    default_kaf_base_url,
    kaf_join_url,
)

if TYPE_CHECKING:
    import httpx

CONNECT_TIMEOUT = 5.0
READ_TIMEOUT = 10.0
ROOM_NAME = "kaltura-discord check (safe to delete)"
ROOM_DESCRIPTION = "Created by scripts/check_kaltura.py and deleted by it a few seconds later."
CHECK_TAG = "kaltura-discord-check"
REFERENCE_PREFIX = "kd-check-"
CHECK_USER_ID = "kaltura-discord-check"
"""The person the join KS is for. One fixed id, so the user KAF may create on the first launch is reused."""
CHECK_ROLE = "adminRole"
FIND_DELAYS: tuple[float, ...] = (0.0, 1.0, 2.0, 4.0)
"""Seconds to wait before each ``room_room.list`` looking for the new room: Kaltura lists come from a search
index that may lag a moment behind ``add``; more than ~7 s would break the bot's recovery anyway."""
LAUNCH_PATH = "/hosted/index/view-entry/ks/"
ROOMS_GUIDE = "Create and embed Kaltura Rooms using the API (KAF environment)"

_PROBE_KS = "probe"
_LOOPBACK = re.compile(r"^http://(?P<host>(?:127\.0\.0\.1|localhost):[0-9]{1,5})/?$")
_LOGIN_WORDS = ("login", "signin", "sign-in", "sso", "saml", "oauth", "authorize")


class Status(StrEnum):
    PASS = "PASS"  # noqa: S105 - a step status, not a password
    FAIL = "FAIL"
    SKIP = "SKIP"


STEPS = ("session", "add", "find", "kaf-host", "join-ks", "kaf-launch", "delete", "cleanup")


@dataclass(frozen=True)
class StepResult:
    """One step: what was checked and seen (``checked``), and on a failure what to do (``advice``)."""

    step: str
    status: Status
    checked: str
    advice: str = ""

    def line(self) -> str:
        text = f"{self.status} {self.step}: {self.checked}"
        return f"{text}. What to do: {self.advice}" if self.advice else text

    def to_json(self) -> dict[str, str]:
        return {"step": self.step, "status": str(self.status), "checked": self.checked, "advice": self.advice}


@dataclass(frozen=True)
class CheckReport:
    """Every step in order; ``ok`` only when each one passed (a SKIP only follows a failure)."""

    results: tuple[StepResult, ...]
    partner_id: int
    service_host: str
    mode: str
    kaf_host: str
    reference_id: str
    room_id: str | None = None
    leftovers: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return bool(self.results) and all(result.status is Status.PASS for result in self.results)

    def result(self, step: str) -> StepResult:
        return next(result for result in self.results if result.step == step)

    def to_json(self) -> dict[str, Any]:
        return {
            "ok": self.ok,
            "partner_id": self.partner_id,
            "service_host": self.service_host,
            "mode": self.mode,
            "kaf_host": self.kaf_host,
            "reference_id": self.reference_id,
            "room_id": self.room_id,
            "leftovers": list(self.leftovers),
            "steps": [result.to_json() for result in self.results],
        }


@dataclass(frozen=True)
class KafSite:
    """Where KAF is: a bare host (``kaltura.kaf_base_url``), reached over https; or, for tests, a loopback
    stand-in over http. Launch URLs are built by :func:`kaf_join_url`, the bot's own rule, in both cases."""

    host: str
    scheme: Literal["https", "http"] = "https"

    @classmethod
    def for_host(cls, host: str) -> KafSite:
        """Refuses (``ValueError``) whatever :func:`kaf_join_url` would refuse: a scheme, path, query, ..."""
        return cls(urlsplit(kaf_join_url(host, _PROBE_KS)).netloc)

    @classmethod
    def local(cls, base_url: str) -> KafSite:
        """``http://127.0.0.1:PORT`` (or ``localhost``): a KAF stand-in on this machine, for local testing only."""
        match = _LOOPBACK.fullmatch(base_url.strip())
        if match is None:
            raise ValueError(
                f"a local KAF base URL must be http://127.0.0.1:PORT or http://localhost:PORT, got {base_url!r}"
            )
        return cls(match["host"], "http")

    def root_url(self) -> str:
        return f"{self.scheme}://{self.host}/"

    def launch_url(self, ks: str) -> str:
        url = kaf_join_url(self.host, ks)
        return url if self.scheme == "https" else "http://" + url.removeprefix("https://")

    def shown(self, path: str = "/") -> str:
        """A URL as it may be printed: never with the KS."""
        return f"{self.scheme}://{self.host}{path}"


def client_for_check() -> KalturaClient:
    """The bot's client from the bot's settings, with the check's timeouts (5 s to connect, 10 s to read).

    Raises :class:`settings.ConfigurationError` for settings the bot could not run with, including app-token
    mode without the USER token (join links would fail).
    """
    url = settings.kaltura_service_url()
    split = urlsplit(url)
    if split.scheme not in ("https", "http") or not split.hostname or split.path not in ("", "/"):
        raise settings.ConfigurationError(f"KALTURA_SERVICE_URL must look like https://www.kaltura.com, got {url!r}")
    client = client_from_settings(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT)
    if isinstance(client.credentials, AppToken) and client.user_token is None:
        client.close()
        raise settings.ConfigurationError(
            "app-token mode also needs KALTURA_USER_APP_TOKEN_ID and KALTURA_USER_APP_TOKEN (the USER token join "
            "links use; scripts/create_app_tokens.py creates both tokens)"
        )
    return client


def mode_of(client: KalturaClient) -> str:
    return "admin secret" if isinstance(client.credentials, AdminSecret) else "app tokens"


def new_reference_id() -> str:
    return f"{REFERENCE_PREFIX}{secrets.token_hex(4)}"


def run_checks(
    client: KalturaClient,
    *,
    template_room_id: str | None = None,
    kaf: KafSite | None = None,
    http: httpx.Client | None = None,
    reference_id: str | None = None,
    on_result: Callable[[StepResult], None] | None = None,
    clock: Callable[[], float] = time.time,
    sleep: Callable[[float], None] = time.sleep,
) -> CheckReport:
    """Run every step against the client's account; ``on_result`` sees each result as soon as it is known.

    ``kaf`` defaults to ``https://{partnerId}.kaf.kaltura.com``; ``http`` (for KAF only; Kaltura calls go through
    ``client``) defaults to a client from :func:`kaltura_discord.http.create_client` with the check's timeouts.
    """
    if template_room_id is not None:
        validate_entry_id(template_room_id)
    site = kaf or KafSite.for_host(default_kaf_base_url(client.partner_id))
    owned = http is None
    if http is None:
        from kaltura_discord.http import create_client

        http = create_client(connect_timeout=CONNECT_TIMEOUT, read_timeout=READ_TIMEOUT)
    check = _Check(client, site, http, template_room_id, reference_id or new_reference_id(), clock, sleep, on_result)
    try:
        check.run()
    finally:
        if owned:
            http.close()
    return check.report()


# --- the steps ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Answer:
    status: int
    redirect_host: str | None = None
    redirect_to_login: bool = False


def _described(exc: KalturaError) -> str:
    return exc.code if exc.message in ("", exc.code) else f"{exc.code} ({exc.message})"


def _statuses() -> str:
    return ",".join(str(int(status)) for status in LIVE_ROOM_STATUSES)


def _status_name(status: int | None) -> str:
    if status is None:
        return "no status"
    try:
        return f"status {status} {EntryStatus(status).name}"
    except ValueError:
        return f"status {status}"


def _unreachable_advice(what: str) -> str:
    return (
        f"check the KAF host: set kaltura.kaf_base_url (/kaltura-config) to your KAF instance's host and run this "
        f"with --kaf-host HOST (Kaltura's usual one is {{partnerId}}.kaf.kaltura.com; your Kaltura representative "
        f"knows yours), and that {what} resolves and is reachable from where people join"
    )


@dataclass
class _Check:
    client: KalturaClient
    kaf: KafSite
    http: httpx.Client
    template_room_id: str | None
    reference_id: str
    clock: Callable[[], float]
    sleep: Callable[[float], None]
    on_result: Callable[[StepResult], None] | None
    results: list[StepResult] = field(default_factory=list)
    session_ok: bool = False
    add_attempted: bool = False
    room: Room | None = None
    room_deleted: bool = False
    kaf_ok: bool = False
    join_ks: str | None = None
    leftovers: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        self.rooms = KalturaRooms(self.client)
        self.partner_id = self.client.partner_id
        self.service_host = urlsplit(self.client.service_url).netloc

    # --- running --------------------------------------------------------------------------------------------

    def run(self) -> None:
        steps: Sequence[tuple[str, Callable[[], StepResult]]] = (
            ("session", self.session),
            ("add", self.add),
            ("find", self.find),
            ("kaf-host", self.kaf_host),
            ("join-ks", self.mint_join_ks),
            ("kaf-launch", self.kaf_launch),
            ("delete", self.delete),
        )
        try:
            for name, step in steps:
                self._record(name, step)
        finally:
            self._record("cleanup", self.cleanup)

    def _record(self, name: str, step: Callable[[], StepResult]) -> None:
        try:
            result = step()
        except Exception as exc:  # a bug or an answer nobody expected: report it, keep going, still clean up
            result = StepResult(
                name,
                Status.FAIL,
                f"unexpected {type(exc).__name__}: {scrub(str(exc), self._secrets())}",
                "this looks like a bug in kaltura-discord or an answer Kaltura is not documented to give: "
                "report it with this line",
            )
        self.results.append(result)
        if self.on_result is not None:
            self.on_result(result)

    def _secrets(self) -> list[str]:
        credentials = self.client.credentials
        found = [credentials.secret if isinstance(credentials, AdminSecret) else credentials.token]
        if self.client.user_token is not None:
            found.append(self.client.user_token.token)
        if self.join_ks is not None:
            found.append(self.join_ks)
        return found

    def report(self) -> CheckReport:
        return CheckReport(
            results=tuple(self.results),
            partner_id=self.partner_id,
            service_host=self.service_host,
            mode=mode_of(self.client),
            kaf_host=self.kaf.host,
            reference_id=self.reference_id,
            room_id=self.room.id if self.room is not None else None,
            leftovers=self.leftovers,
        )

    def _get(self, url: str) -> _Answer:
        """GET without following redirects and without reading the body: only the status and where it points."""
        with self.http.stream("GET", url, follow_redirects=False) as response:
            location = response.headers.get("location")
            if not (300 <= response.status_code < 400 and location):
                return _Answer(response.status_code)
            target = response.url.join(location)
            text = f"{target.host}{target.path}".lower()
            return _Answer(response.status_code, target.host, any(word in text for word in _LOGIN_WORDS))

    def _transport_problem(self, exc: Exception) -> str:
        detail = scrub(str(exc), self._secrets())
        return f"{type(exc).__name__}: {detail}" if detail else type(exc).__name__

    # --- a. session -----------------------------------------------------------------------------------------

    def session(self) -> StepResult:
        credentials = self.client.credentials
        if isinstance(credentials, AdminSecret):
            how = "an admin KS generated locally from KALTURA_ADMIN_SECRET"
        else:
            how = (
                f"an admin session from app token {credentials.id} "
                "(session.startWidgetSession, then apptoken.startSession)"
            )
        try:
            self.client.admin_ks()
            self.rooms.list_rooms(pager=Pager(page_size=1))
        except KalturaError as exc:
            return StepResult(
                "session",
                Status.FAIL,
                f"{how}, tried with room_room.list on {self.service_host}: {_described(exc)}",
                self._session_advice(exc),
            )
        self.session_ok = True
        return StepResult("session", Status.PASS, f"{how}, accepted by {self.service_host} (room_room.list answered)")

    def _session_advice(self, exc: KalturaError) -> str:
        credentials = self.client.credentials
        code = exc.code
        if isinstance(exc, KalturaUnavailable) or code.startswith("HTTP_") or code == "INVALID_RESPONSE":
            return (
                f"check KALTURA_SERVICE_URL: {self.service_host} must be your account's Kaltura API host "
                "(https://www.kaltura.com unless your Kaltura representative gave you another) and reachable from here"
            )
        if code in ("SERVICE_FORBIDDEN", "SERVICE_DOES_NOT_EXISTS"):
            extra = "" if isinstance(credentials, AdminSecret) else " (or the ADMIN app token's role lacks it)"
            return (
                f"the session works but may not use Kaltura Rooms (room_room){extra}: ask your Kaltura "
                f"representative to enable Kaltura Rooms (the room plugin) on partner {self.partner_id}"
            )
        if code == "INVALID_ACTIONS_LIMIT":
            return (
                "this session cannot call the API (it carries actionslimit): KALTURA_APP_TOKEN_ID looks like the USER "
                "(join) token; put the ADMIN token there and the USER token in KALTURA_USER_APP_TOKEN_ID"
            )
        if isinstance(credentials, AppToken):
            token = f"app token {credentials.id}"
            app_token_advice = {
                "APP_TOKEN_ID_NOT_FOUND": f"{token} does not exist on partner {self.partner_id} (deleted, or made on "
                "another account): check KALTURA_APP_TOKEN_ID, or create the tokens again "
                "(scripts/create_app_tokens.py)",
                "INVALID_APP_TOKEN_HASH": f"KALTURA_APP_TOKEN is not the secret of {token}, or "
                f"KALTURA_APP_TOKEN_HASH_TYPE ({credentials.hash_type}) is not the token's hashType",
                "APP_TOKEN_NOT_ACTIVE": f"{token} is disabled or deleted: create the tokens again "
                "(scripts/create_app_tokens.py)",
                "APP_TOKEN_EXPIRED": f"{token} has expired: create the tokens again (scripts/create_app_tokens.py)",
            }
            if code in app_token_advice:
                return app_token_advice[code]
            return (
                f"check KALTURA_PARTNER_ID ({self.partner_id}), KALTURA_SERVICE_URL and the app token settings "
                "(KALTURA_APP_TOKEN_ID, KALTURA_APP_TOKEN, KALTURA_APP_TOKEN_HASH_TYPE)"
            )
        return (
            f"check KALTURA_PARTNER_ID ({self.partner_id}) and KALTURA_ADMIN_SECRET (KMC > Settings > Integration "
            "Settings: Partner ID and Administrator Secret), and that KALTURA_SERVICE_URL is the host this account "
            "lives on"
        )

    # --- b. add ---------------------------------------------------------------------------------------------

    def add(self) -> StepResult:
        if not self.session_ok:
            return StepResult("add", Status.SKIP, "not tried: it needs a working session (step session)")
        template = self.template_room_id
        what = f"room_room.add from template {template}" if template else "room_room.add (no template)"
        self.add_attempted = True
        try:
            self.room = self.rooms.add_room(
                ROOM_NAME,
                description=ROOM_DESCRIPTION,
                template_room_entry_id=template,
                tags=(CHECK_TAG,),
                reference_id=self.reference_id,
            )
        except KalturaError as exc:
            return StepResult("add", Status.FAIL, f"{what}: {_described(exc)}", self._add_advice(exc))
        return StepResult(
            "add",
            Status.PASS,
            f"{what} created room {self.room.id} (referenceId {self.reference_id}, tag {CHECK_TAG}, "
            f"{_status_name(self.room.status)})",
        )

    def _add_advice(self, exc: KalturaError) -> str:
        template = self.template_room_id
        if exc.code == ENTRY_ID_NOT_FOUND and template:
            return (
                f"template room {template} does not exist on partner {self.partner_id}: copy the entry id of the "
                "template room from the KMC (Entries), fix kaltura.template_room_ids in the server's configuration "
                "to match, or leave --template-room-id out to try a plain room; /kaltura-start fails the same way"
            )
        if exc.code == "INVALID_FIELD_VALUE" and template:
            return (
                f"{template} is not a room (a video, say): a template must be a Kaltura room entry whose settings "
                "new rooms copy; pick a room's entry id"
            )
        if exc.code in ("SERVICE_FORBIDDEN", "SERVICE_DOES_NOT_EXISTS"):
            return (
                "this session may not add rooms: ask your Kaltura representative to enable Kaltura Rooms (the room "
                f"plugin) on partner {self.partner_id}"
            )
        if isinstance(exc, KalturaUnavailable):
            return (
                "Kaltura's answer never arrived (a timeout or a dropped connection), so the room may exist anyway "
                "(the cleanup below looks for it by referenceId): run the check again, and if it keeps failing "
                "check KALTURA_SERVICE_URL and your network"
            )
        return "Kaltura refused to add a room; /kaltura-start would fail the same way: check the message above"

    # --- c. find --------------------------------------------------------------------------------------------

    def find(self) -> StepResult:
        room = self.room
        if room is None:
            return StepResult("find", Status.SKIP, "not tried: no room was added (step add)")
        what = f"room_room.list referenceIdEqual={self.reference_id} statusIn={_statuses()}"
        explanation = (
            f"Kaltura stores a new room as NO_CONTENT ({int(EntryStatus.NO_CONTENT)}) and a list without a status "
            f"filter shows READY ({int(EntryStatus.READY)}) rooms only, so the bot lists with statusIn={_statuses()}; "
            "it needs this list to find a room again after a lost answer during /kaltura-start"
        )
        waited = 0.0
        for attempt, delay in enumerate(FIND_DELAYS, start=1):
            if delay:
                self.sleep(delay)
                waited += delay
            try:
                found = self.rooms.list_rooms({"referenceIdEqual": self.reference_id})
            except KalturaError as exc:
                return StepResult(
                    "find",
                    Status.FAIL,
                    f"{what}: {_described(exc)}",
                    f"{explanation}; run the check again, and if the list keeps failing ask your Kaltura "
                    "representative why room_room.list is refused",
                )
            if any(candidate.id == room.id for candidate in found.rooms):
                lag = f" after {attempt} lists ({waited:g} s: the account's search index lagged)" if attempt > 1 else ""
                return StepResult("find", Status.PASS, f"{what} found room {room.id}{lag}")
        return StepResult(
            "find",
            Status.FAIL,
            f"{what} did not return room {room.id} in {len(FIND_DELAYS)} lists over {waited:g} s",
            f"{explanation}. Ask your Kaltura representative why a new room is not listed with that filter "
            "(its status, or the search index of the account)",
        )

    # --- d. KAF host ----------------------------------------------------------------------------------------

    def kaf_host(self) -> StepResult:
        import httpx

        what = f"GET {self.kaf.shown()}"
        try:
            answer = self._get(self.kaf.root_url())
        except httpx.HTTPError as exc:
            return StepResult(
                "kaf-host",
                Status.FAIL,
                f"{what}: no answer ({self._transport_problem(exc)})",
                _unreachable_advice(self.kaf.host),
            )
        seen = f"{what} answered HTTP {answer.status}"
        if answer.redirect_host:
            seen += f" (a redirect to host {answer.redirect_host}, not followed)"
        if answer.status < 400 or answer.status in (401, 403):
            self.kaf_ok = True
            return StepResult("kaf-host", Status.PASS, seen)
        if answer.status >= 500:
            return StepResult(
                "kaf-host",
                Status.FAIL,
                seen,
                "the host answers but is failing: try again later; if it persists, ask your Kaltura representative",
            )
        return StepResult(
            "kaf-host",
            Status.FAIL,
            seen,
            "the host answers but not as a KAF instance would at / : " + _unreachable_advice(self.kaf.host),
        )

    # --- e. join KS and its KAF launch ----------------------------------------------------------------------

    def mint_join_ks(self) -> StepResult:
        room = self.room
        if room is None:
            return StepResult("join-ks", Status.SKIP, "not tried: no room was added (step add)")
        privileges = join_privileges(
            user_id=CHECK_USER_ID, room_id=room.id, first_name="kaltura-discord", last_name="check", moderator=True
        )
        credentials = self.client.credentials
        source = (
            "generated locally"
            if isinstance(credentials, AdminSecret)
            else f"from USER app token {self.client.user_token.id if self.client.user_token else '(none)'}"
        )
        what = f"a join KS ({source}) for {CHECK_USER_ID} in room {room.id} as {CHECK_ROLE}"
        try:
            ks = self.client.user_ks(CHECK_USER_ID, privileges, JOIN_KS_EXPIRY)
        except KalturaError as exc:
            return StepResult("join-ks", Status.FAIL, f"{what}: {_described(exc)}", self._join_advice(exc))
        except settings.ConfigurationError as exc:
            return StepResult("join-ks", Status.FAIL, f"{what}: {exc}", "set the settings the message names")
        if isinstance(credentials, AdminSecret):
            problems = self._join_ks_problems(ks, credentials.secret, room.id)
            if problems:
                return StepResult(
                    "join-ks",
                    Status.FAIL,
                    f"{what}: " + "; ".join(problems),
                    "this is a bug in kaltura-discord (the KS is built locally): report it with this line",
                )
            self.join_ks = ks
            remaining = parse_ks(ks, credentials.secret).expiry - int(self.clock())
            return StepResult(
                "join-ks",
                Status.PASS,
                f"{what}: type USER, actionslimit -1, userId, entryId and role as asked, expires in {remaining} s "
                "(read back with the admin secret)",
            )
        self.join_ks = ks
        return StepResult(
            "join-ks",
            Status.PASS,
            f"{what}: Kaltura's answer is a USER session for this user, room and role with actionslimit -1 "
            "(the KS itself cannot be read without the admin secret; its lifetime is the USER token's "
            "sessionDuration)",
        )

    def _join_ks_problems(self, ks: str, secret: str, room_id: str) -> list[str]:
        try:
            parsed = parse_ks(ks, secret)
        except InvalidKs as exc:
            return [f"the admin secret cannot read it back ({exc})"]
        problems = []
        if parsed.partner_id != self.partner_id:
            problems.append(f"partner {parsed.partner_id}, expected {self.partner_id}")
        if parsed.session_type != SessionType.USER:
            problems.append(f"session type {parsed.session_type}, expected USER (0)")
        if parsed.user_id != CHECK_USER_ID:
            problems.append(f"session user {parsed.user_id!r}, expected {CHECK_USER_ID!r}")
        expected = {"actionslimit": "-1", "userId": CHECK_USER_ID, "entryId": room_id, "role": CHECK_ROLE}
        problems += [
            f"{key} is {parsed.privileges.get(key)!r}, expected {value!r}"
            for key, value in expected.items()
            if parsed.privileges.get(key) != value
        ]
        remaining = parsed.expiry - int(self.clock())
        if not 0 < remaining <= JOIN_KS_EXPIRY:
            problems.append(f"expires in {remaining} s, expected within {JOIN_KS_EXPIRY} s")
        return problems

    def _join_advice(self, exc: KalturaError) -> str:
        if exc.code == "USER_SESSION_REJECTED":
            return (
                "create the USER app token as docs/kaltura.md says (sessionType 0, no sessionUserId, "
                "sessionPrivileges actionslimit:-1, sessionDuration 60; scripts/create_app_tokens.py does it) and set "
                "KALTURA_USER_APP_TOKEN_ID / KALTURA_USER_APP_TOKEN to it"
            )
        token = self.client.user_token
        if token is not None and exc.code in ("APP_TOKEN_ID_NOT_FOUND", "APP_TOKEN_NOT_ACTIVE", "APP_TOKEN_EXPIRED"):
            return (
                f"USER app token {token.id} cannot be used: check KALTURA_USER_APP_TOKEN_ID or create the tokens again"
            )
        if exc.code == "INVALID_APP_TOKEN_HASH":
            return (
                "KALTURA_USER_APP_TOKEN is not that token's secret, or KALTURA_USER_APP_TOKEN_HASH_TYPE is not its "
                "hashType"
            )
        return "join links would fail the same way: check the message above and the USER app token settings"

    def kaf_launch(self) -> StepResult:
        import httpx

        if self.join_ks is None:
            return StepResult("kaf-launch", Status.SKIP, "not tried: no join KS (step join-ks)")
        if not self.kaf_ok:
            return StepResult("kaf-launch", Status.SKIP, "not tried: the KAF host did not answer (step kaf-host)")
        what = f"GET {self.kaf.shown(LAUNCH_PATH)}<join KS>"
        try:
            answer = self._get(self.kaf.launch_url(self.join_ks))
        except httpx.HTTPError as exc:
            return StepResult(
                "kaf-launch",
                Status.FAIL,
                f"{what}: no answer ({self._transport_problem(exc)})",
                _unreachable_advice(self.kaf.host),
            )
        seen = f"{what} answered HTTP {answer.status}"
        if answer.redirect_host:
            page = "a login page on host" if answer.redirect_to_login else "host"
            seen += f" (a redirect to {page} {answer.redirect_host}, not followed)"
        if answer.status in (401, 403) or answer.redirect_to_login:
            return StepResult("kaf-launch", Status.FAIL, seen, self._ks_auth_advice())
        if 200 <= answer.status < 400:
            return StepResult(
                "kaf-launch",
                Status.PASS,
                f"{seen}; KAF accepted the KS (status only: open one real join link from Discord to see the room)",
            )
        return StepResult("kaf-launch", Status.FAIL, seen, self._rooms_module_advice())

    def _ks_auth_advice(self) -> str:
        return (
            f"KAF did not take the KS as a login: ask your Kaltura representative to enable KS authentication on "
            f"the KAF instance {self.kaf.host} (launches through {LAUNCH_PATH}<KS>); until then join links send "
            "people to a login page"
        )

    def _rooms_module_advice(self) -> str:
        return (
            f"KAF could not open the room. Kaltura's guide \"{ROOMS_GUIDE}\" creates rooms through KAF's "
            "/embeddedrooms/index/create-room (with roomModeratorUserIds) and launches them from KAF; an account set "
            f"up that way needs that KAF module (embedded rooms) enabled: ask your Kaltura representative to enable "
            f"it on {self.kaf.host}, and check kaltura.kaf_base_url names that instance"
        )

    # --- f. delete and cleanup ------------------------------------------------------------------------------

    def delete(self) -> StepResult:
        room = self.room
        if room is None:
            return StepResult("delete", Status.SKIP, "not tried: no room was added (step add)")
        try:
            self.rooms.delete_room(room.id, missing_ok=True)
        except KalturaError as exc:
            return StepResult(
                "delete",
                Status.FAIL,
                f"room_room.delete {room.id}: {_described(exc)}",
                "ending meetings with kaltura.end_action: delete would fail the same way; the cleanup below tries "
                "once more",
            )
        self.room_deleted = True
        return StepResult("delete", Status.PASS, f"room_room.delete {room.id}")

    def cleanup(self) -> StepResult:
        if not self.add_attempted:
            return StepResult("cleanup", Status.PASS, "nothing was created, nothing to remove")
        lookup = f"room_room.list referenceIdEqual={self.reference_id}"
        candidates = [] if self.room is None else [self.room.id]
        if self.room is None:
            try:
                candidates = [room.id for room in self.rooms.list_rooms({"referenceIdEqual": self.reference_id}).rooms]
            except KalturaError as exc:
                return StepResult(
                    "cleanup",
                    Status.FAIL,
                    f"could not check whether room_room.add created a room anyway ({lookup}: {_described(exc)})",
                    f"look for referenceId {self.reference_id} (tag {CHECK_TAG}) in the KMC (Entries) and delete "
                    "the room if it is there",
                )
        left = [room_id for room_id in candidates if not self._removed(room_id)]
        self.leftovers = tuple(left)
        if left:
            return StepResult(
                "cleanup",
                Status.FAIL,
                f"could not remove room {', '.join(left)} (referenceId {self.reference_id}, tag {CHECK_TAG})",
                f"delete it in the KMC (Entries, search for {self.reference_id}) or with room_room.delete",
            )
        if not candidates:
            return StepResult("cleanup", Status.PASS, f"nothing left behind ({lookup} finds no room)")
        found = " (room_room.add had created it after all: found by referenceId)" if self.room is None else ""
        return StepResult(
            "cleanup",
            Status.PASS,
            f"nothing left behind: room {', '.join(candidates)}{found} is deleted (confirmed with room_room.get)",
        )

    def _removed(self, room_id: str) -> bool:
        """Delete (again, unless the delete step did) and confirm: a deleted room is never returned by get."""
        try:
            if not (self.room_deleted and self.room is not None and self.room.id == room_id):
                self.rooms.delete_room(room_id, missing_ok=True)
            room = self.rooms.get_room(room_id)
        except KalturaError as exc:
            return exc.code == ENTRY_ID_NOT_FOUND
        return room.status == EntryStatus.DELETED
