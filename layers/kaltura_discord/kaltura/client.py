"""A small Kaltura API v3 client: JSON transport, admin sessions, bounded retries.

One :class:`KalturaClient` lives per container (:func:`get_client`) so its HTTP connections and its admin KS are
reused across invocations. Two ways to hold an admin session, chosen by configuration:

* :class:`AdminSecret`: the KS is generated locally from the partner's admin secret (no round trip);
* :class:`AppToken`: ``session.startWidgetSession`` then ``apptoken.startSession`` (two round trips, then cached),
  so the deployment never holds the admin secret. A token's own session type, user and privileges override what
  is asked, so per-person join KSs need a second token of type USER with none of those fixed (``user_token``);
  each join then costs one ``apptoken.startSession`` (see ``docs/kaltura.md``).
"""

from __future__ import annotations

import hashlib
import json
import random
import re
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kaltura_discord import __version__, settings
from kaltura_discord import deadline as deadlines
from kaltura_discord.kaltura.errors import KalturaError, KalturaUnavailable
from kaltura_discord.kaltura.ks import Privileges, SessionType, generate_ks, privilege_fields, validate_id
from kaltura_discord.logs import get_logger

if TYPE_CHECKING:
    import httpx

CLIENT_TAG = f"kaltura-discord:{__version__}"
HASH_TYPES: dict[str, Callable[[bytes], Any]] = {
    "SHA1": hashlib.sha1,
    "MD5": hashlib.md5,
    "SHA256": hashlib.sha256,
    "SHA512": hashlib.sha512,
}
API_EXCEPTION = "KalturaAPIException"
WIDGET_KS_REUSE = 3600.0
INVALID_KS = "INVALID_KS"
MIN_CALL_SECONDS = 0.1
"""A call with less time than this left before the current deadline is not started (a Kaltura round trip)."""
AFTERMATH_SECONDS = 1.0
"""Kept back from a Kaltura call under a deadline for what follows its failure: recording the outcome in DynamoDB
(a start given up, its count given back), so a hung Kaltura never leaves a half-written record behind."""

_SERVICE = re.compile(r"^[a-z][a-z0-9_]*$")
_ACTION = re.compile(r"^[A-Za-z][A-Za-z0-9]*$")
_NOT_JSON = object()

logger = get_logger(__name__)


@dataclass(frozen=True)
class AdminSecret:
    """Admin sessions generated locally from the partner's admin secret."""

    secret: str = field(repr=False)
    user_id: str = "kaltura-discord"
    privileges: str = "disableentitlement"
    expiry: int = 3600


@dataclass(frozen=True)
class AppToken:
    """An app token made on the account (``appToken.add``); whatever session settings it fixes win."""

    id: str
    token: str = field(repr=False)
    hash_type: str = "SHA1"
    user_id: str | None = None
    expiry: int = 3600

    def __post_init__(self) -> None:
        if self.hash_type.upper() not in HASH_TYPES:
            raise settings.ConfigurationError(
                f"app token hash type must be one of {', '.join(HASH_TYPES)}, got {self.hash_type!r}"
            )

    def token_hash(self, widget_ks: str) -> str:
        """Lowercase hex of HASH(widget KS + token), HASH being the token's hash type."""
        digest = HASH_TYPES[self.hash_type.upper()]((widget_ks + self.token).encode())
        return str(digest.hexdigest())


Credentials = AdminSecret | AppToken


@dataclass(frozen=True)
class _Session:
    ks: str
    refresh_at: float


def _refresh_at(now: float, expires_at: float) -> float:
    """Renew a little before expiry: 5 minutes, or a fifth of a short lifetime."""
    lifetime = max(expires_at - now, 0.0)
    return expires_at - min(300.0, lifetime / 5)


class KalturaClient:
    """Calls ``POST {service_url}/api_v3/service/{service}/action/{action}`` with a JSON body.

    Every answer is checked for ``KalturaAPIException`` whatever its HTTP status. Calls marked ``retry=True``
    (reads, session starts, idempotent updates) are attempted up to ``max_attempts`` times on
    :class:`KalturaUnavailable` with full-jitter exponential backoff; other calls are repeated only when the
    request provably never left. An admin-session call rejected with ``INVALID_KS`` renews the session once.

    Under a current :mod:`~kaltura_discord.deadline` (a REST API request) each attempt's timeouts shrink to the
    time left and no attempt or backoff starts that could not finish before it, so a hung Kaltura is a
    :class:`KalturaUnavailable` within the request's time rather than the function killed at its timeout.
    """

    def __init__(
        self,
        service_url: str,
        partner_id: int,
        credentials: Credentials,
        *,
        user_token: AppToken | None = None,
        http: httpx.Client | None = None,
        client_tag: str = CLIENT_TAG,
        connect_timeout: float = 3.0,
        read_timeout: float = 10.0,
        max_attempts: int = 3,
        backoff_base: float = 0.25,
        backoff_max: float = 2.0,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if http is None:
            from kaltura_discord.http import create_client  # keeps httpx off the import path

            http = create_client(connect_timeout=connect_timeout, read_timeout=read_timeout)
        self.service_url = service_url.rstrip("/")
        self.partner_id = int(partner_id)
        self.credentials = credentials
        self.user_token = user_token
        self._http = http
        self._client_tag = client_tag
        self._max_attempts = max_attempts
        self._backoff_base = backoff_base
        self._backoff_max = backoff_max
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._clock = clock
        self._session: _Session | None = None
        self._widget: _Session | None = None
        self._lock = threading.RLock()

    # --- public ---------------------------------------------------------------------------------------------

    def call(
        self,
        service: str,
        action: str,
        params: Mapping[str, Any] | None = None,
        *,
        retry: bool = False,
        ks: str | None = None,
        authenticated: bool = True,
    ) -> Any:
        """One API call; returns Kaltura's bare result (``None`` for void actions).

        Without ``ks`` the cached admin session is used (``authenticated=False`` sends none at all).
        """
        if not _SERVICE.fullmatch(service) or not _ACTION.fullmatch(action):
            raise ValueError(f"invalid Kaltura service/action {service!r}/{action!r}")
        if ks is not None or not authenticated:
            return self._send_with_retries(service, action, params, ks, retry)
        admin_ks = self.admin_ks()
        try:
            return self._send_with_retries(service, action, params, admin_ks, retry)
        except KalturaError as exc:
            if exc.code != INVALID_KS:
                raise
            logger.warning("kaltura admin session rejected; renewing once", extra={"service": service})
            self._forget_session(admin_ks)
            return self._send_with_retries(service, action, params, self.admin_ks(), retry)

    def admin_ks(self) -> str:
        """The cached admin KS, renewed shortly before it expires."""
        with self._lock:
            now = self._clock()
            if self._session is None or now >= self._session.refresh_at:
                self._session = self._start_admin_session(now)
            return self._session.ks

    def user_ks(self, user_id: str, privileges: Privileges, expiry: int = 3600) -> str:
        """A USER KS for one person (join links).

        With the admin secret it is generated locally. In app-token mode it comes from ``apptoken.startSession``
        on the separate USER token (``user_token``), and is handed out only if Kaltura's answer is a USER session
        for exactly this person, room and role that cannot call the API (:func:`_check_user_session`).
        """
        if not isinstance(privileges, Privileges):
            raise TypeError("privileges must be a Privileges (values sanitised), not a raw string")
        validate_id(user_id, "user id")
        credentials = self.credentials
        if isinstance(credentials, AdminSecret):
            return generate_ks(
                credentials.secret,
                self.partner_id,
                user_id,
                SessionType.USER,
                expiry,
                privileges=privileges,
                clock=self._clock,
            )
        if self.user_token is None:
            raise settings.ConfigurationError(
                "join links in app-token mode need KALTURA_USER_APP_TOKEN_ID and KALTURA_USER_APP_TOKEN "
                "(an app token of session type USER with no fixed user or privileges), or KALTURA_ADMIN_SECRET"
            )
        info = self._app_token_session(self.user_token, SessionType.USER, user_id, expiry, str(privileges))
        _check_user_session(info, user_id, privileges)
        return str(info["ks"])

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> KalturaClient:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    # --- sessions -------------------------------------------------------------------------------------------

    def _forget_session(self, ks: str) -> None:
        with self._lock:
            if self._session is not None and self._session.ks == ks:
                self._session = None

    def _start_admin_session(self, now: float) -> _Session:
        credentials = self.credentials
        if isinstance(credentials, AdminSecret):
            ks = generate_ks(
                credentials.secret,
                self.partner_id,
                credentials.user_id,
                SessionType.ADMIN,
                credentials.expiry,
                privileges=credentials.privileges,
                clock=self._clock,
            )
            return _Session(ks, _refresh_at(now, now + credentials.expiry))
        info = self._app_token_session(
            credentials, SessionType.ADMIN, credentials.user_id, credentials.expiry, privileges=None
        )
        expiry = info.get("expiry")
        expires_at = float(expiry) if isinstance(expiry, int) and expiry > now else now + credentials.expiry
        return _Session(str(info["ks"]), _refresh_at(now, expires_at))

    def _widget_ks(self) -> str:
        """The partner's widget KS, which only serves to call ``apptoken.startSession``; reused for an hour."""
        with self._lock:
            now = self._clock()
            if self._widget is None or now >= self._widget.refresh_at:
                widget = self._send_with_retries(
                    "session", "startWidgetSession", {"widgetId": f"_{self.partner_id}"}, None, retry=True
                )
                self._widget = _Session(_ks_of(widget, "session.startWidgetSession"), now + WIDGET_KS_REUSE)
            return self._widget.ks

    def _app_token_session(
        self, token: AppToken, session_type: SessionType, user_id: str | None, expiry: int, privileges: str | None
    ) -> dict[str, Any]:
        """``apptoken.startSession``; a widget KS rejected as ``INVALID_KS`` is replaced once."""

        def start(widget_ks: str) -> dict[str, Any]:
            params: dict[str, Any] = {
                "id": token.id,
                "tokenHash": token.token_hash(widget_ks),
                "type": int(session_type),
                "expiry": expiry,
            }
            if user_id:
                params["userId"] = user_id
            if privileges:
                params["sessionPrivileges"] = privileges
            info = self._send_with_retries("apptoken", "startSession", params, widget_ks, retry=True)
            _ks_of(info, "apptoken.startSession")
            return dict(info)

        widget_ks = self._widget_ks()
        try:
            return start(widget_ks)
        except KalturaError as exc:
            if exc.code != INVALID_KS:
                raise
            with self._lock:
                if self._widget is not None and self._widget.ks == widget_ks:
                    self._widget = None
            return start(self._widget_ks())

    # --- transport ------------------------------------------------------------------------------------------

    def _secrets(self, ks: str | None) -> list[str]:
        """Everything an error message must not repeat."""
        found = [ks or ""]
        found += [cached.ks for cached in (self._session, self._widget) if cached is not None]
        credentials = self.credentials
        found.append(credentials.secret if isinstance(credentials, AdminSecret) else credentials.token)
        if self.user_token is not None:
            found.append(self.user_token.token)
        return found

    def _send_with_retries(
        self, service: str, action: str, params: Mapping[str, Any] | None, ks: str | None, retry: bool
    ) -> Any:
        attempt = 1
        while True:
            try:
                return self._send(service, action, params, ks)
            except KalturaUnavailable as exc:
                may_repeat = retry or not exc.request_sent
                if not may_repeat or attempt >= self._max_attempts:
                    raise
                delay = self._rng.uniform(0.0, min(self._backoff_max, self._backoff_base * 2 ** (attempt - 1)))
                if _time_left() < delay + MIN_CALL_SECONDS:
                    raise
                logger.warning(
                    "kaltura call failed; retrying",
                    extra={"service": service, "action": action, "attempt": attempt, "code": exc.code},
                )
                self._sleep(delay)
                attempt += 1

    def _send(self, service: str, action: str, params: Mapping[str, Any] | None, ks: str | None) -> Any:
        import httpx

        body: dict[str, Any] = {**(params or {}), "format": 1, "clientTag": self._client_tag}
        if ks is not None:
            body["ks"] = ks
        url = f"{self.service_url}/api_v3/service/{service}/action/{action}"
        name = f"{service}.{action}"
        secrets = self._secrets(ks)
        timeout = self._timeout_left(name, secrets)
        try:
            response = self._http.post(
                url,
                content=json.dumps(body, separators=(",", ":")).encode(),
                headers={"Content-Type": "application/json", "Accept": "application/json"},
                timeout=httpx.USE_CLIENT_DEFAULT if timeout is None else timeout,
            )
        except httpx.TimeoutException as exc:
            before = isinstance(exc, (httpx.ConnectTimeout, httpx.PoolTimeout))
            raise KalturaUnavailable(
                "TIMEOUT", f"{name} timed out ({type(exc).__name__})", secrets=secrets, request_sent=not before
            ) from None
        except httpx.TransportError as exc:
            never_sent = isinstance(exc, httpx.ConnectError)
            raise KalturaUnavailable(
                "CONNECTION_ERROR" if never_sent else "NO_ANSWER",
                f"{name} failed: {type(exc).__name__}: {exc}",
                secrets=secrets,
                request_sent=not never_sent,
            ) from None
        return _result(name, response, secrets)

    def _timeout_left(self, name: str, secrets: list[str]) -> httpx.Timeout | None:
        """The client's own timeouts, shortened to the current deadline's budget (``None``: no deadline)."""
        if deadlines.current() is None:
            return None
        import httpx

        budget = _time_left()
        if budget < MIN_CALL_SECONDS:
            message = f"{name} not sent: no time left ({budget * 1000:.0f} ms)"
            raise KalturaUnavailable("TIMEOUT", message, secrets=secrets, request_sent=False)
        own = self._http.timeout
        connect = min(own.connect or budget, budget / 3)
        rest = budget - connect
        return httpx.Timeout(
            connect=connect, read=min(own.read or rest, rest), write=min(own.write or rest, rest), pool=connect
        )


def _time_left() -> float:
    """What a Kaltura call may take of the current deadline (unbounded without one), its aftermath kept back."""
    bound = deadlines.current()
    if bound is None:
        return float("inf")
    return bound.budget(bound.reserve + AFTERMATH_SECONDS)


def _result(name: str, response: httpx.Response, secrets: list[str]) -> Any:
    status = response.status_code
    payload: Any = None
    if response.content.strip():
        try:
            payload = response.json()
        except ValueError:
            payload = _NOT_JSON
    if isinstance(payload, dict) and payload.get("objectType") == API_EXCEPTION:
        raise KalturaError.from_api_exception(payload, secrets=secrets)
    if status >= 500 or status == 429:
        raise KalturaUnavailable(f"HTTP_{status}", f"{name} answered HTTP {status}", secrets=secrets)
    if status >= 400:
        raise KalturaError(f"HTTP_{status}", f"{name} answered HTTP {status}", secrets=secrets)
    if payload is _NOT_JSON:
        raise KalturaError("INVALID_RESPONSE", f"{name} answered with something other than JSON")
    return payload


def _ks_of(result: Any, name: str) -> str:
    ks = result.get("ks") if isinstance(result, dict) else None
    if not isinstance(ks, str) or not ks:
        raise KalturaError("INVALID_RESPONSE", f"{name} returned no ks")
    return ks


JOIN_CHECKED_PRIVILEGES = ("entryId", "role")
"""The privileges of a join session that decide what the person can do: they must come back as asked."""


def _check_user_session(info: Mapping[str, Any], user_id: str, privileges: Privileges) -> None:
    """What matters in ``apptoken.startSession``'s answer for a join session, not an exact echo of the request.

    The server drops requested privileges whose name is a server privilege (``actionslimit`` among them), puts
    the token's own privileges first and prefixes ``sessionid:{id},apptoken:{id}``
    (``kSessionUtils::retrieveAllowedAppSessionPrivileges``). So check: a USER session, for this person, in this
    room with this role, and ``actionslimit`` <= 0 (set on the USER app token itself: the session must be useless
    as an API credential). A token that fixes its own user, room or role fails here instead of handing a member
    someone else's seat.
    """
    problems = []
    if info.get("sessionType") != SessionType.USER:
        problems.append(f"session type {info.get('sessionType')!r} instead of USER (0)")
    if info.get("userId") != user_id:
        problems.append("another user id (the token fixes sessionUserId)")
    granted = privilege_fields(str(info.get("privileges") or ""))
    problems += [
        f"{key} not as asked (the token fixes it)"
        for key in JOIN_CHECKED_PRIVILEGES
        if privileges.get(key) is not None and granted.get(key) != privileges.get(key)
    ]
    limit = granted.get("actionslimit", "")
    if not limit.lstrip("-").isdigit() or int(limit) > 0:
        problems.append("no actionslimit:-1 (add sessionPrivileges 'actionslimit:-1' to the USER app token)")
    if problems:
        raise KalturaError(
            "USER_SESSION_REJECTED",
            "the USER app token gave the wrong join session (" + "; ".join(problems) + "): create it as "
            "docs/kaltura.md says (sessionType 0, no sessionUserId, sessionPrivileges 'actionslimit:-1')",
        )


# --- the per-container default -----------------------------------------------------------------------------


def _partner_id() -> int:
    raw = settings.required("KALTURA_PARTNER_ID")
    try:
        return int(raw)
    except ValueError:
        raise settings.ConfigurationError(f"KALTURA_PARTNER_ID must be an integer, got {raw!r}") from None


def credentials_from_settings() -> Credentials:
    """App-token mode when ``KALTURA_APP_TOKEN_ID`` is set, otherwise the admin secret."""
    token_id = settings.optional("KALTURA_APP_TOKEN_ID")
    if token_id is not None:
        return AppToken(
            id=token_id,
            token=settings.secrets.require("KALTURA_APP_TOKEN"),
            hash_type=settings.optional("KALTURA_APP_TOKEN_HASH_TYPE", "SHA1") or "SHA1",
        )
    return AdminSecret(secret=settings.secrets.require("KALTURA_ADMIN_SECRET"))


def user_token_from_settings() -> AppToken | None:
    """The USER app token for join links in app-token mode (``KALTURA_USER_APP_TOKEN_ID``), if configured."""
    token_id = settings.optional("KALTURA_USER_APP_TOKEN_ID")
    if token_id is None:
        return None
    token = settings.secrets.require("KALTURA_USER_APP_TOKEN")
    hash_type = settings.optional("KALTURA_USER_APP_TOKEN_HASH_TYPE", "SHA1") or "SHA1"
    return AppToken(id=token_id, token=token, hash_type=hash_type)


def client_from_settings(**options: Any) -> KalturaClient:
    """A new client from ``KALTURA_SERVICE_URL``, ``KALTURA_PARTNER_ID`` and the credentials settings."""
    credentials = credentials_from_settings()
    if isinstance(credentials, AppToken):
        options.setdefault("user_token", user_token_from_settings())
    return KalturaClient(settings.kaltura_service_url(), _partner_id(), credentials, **options)


_default: KalturaClient | None = None
_default_lock = threading.Lock()


def get_client() -> KalturaClient:
    """The container's client, created on first use."""
    global _default  # noqa: PLW0603 - one client per container by design
    with _default_lock:
        if _default is None:
            _default = client_from_settings()
        return _default


def reset_client() -> None:
    """Close and forget the container's client (tests, or after a settings change)."""
    global _default  # noqa: PLW0603
    with _default_lock:
        if _default is not None:
            _default.close()
        _default = None
