"""Sessions as the server grants and checks them: ``session``, ``apptoken`` and the KS rules of every call.

Each rule names the server file it comes from (paths in kaltura/server).
"""

from __future__ import annotations

import random
import string
from collections.abc import Callable, Mapping
from typing import Any

from kaltura_discord.kaltura.client import HASH_TYPES
from kaltura_discord.kaltura.ks import InvalidKs, ParsedKs, SessionType, generate_ks, ks_partner_id, parse_ks
from kaltura_discord.local.kaltura_sandbox import errors
from kaltura_discord.local.kaltura_sandbox.errors import ApiError
from kaltura_discord.local.kaltura_sandbox.state import (
    APP_TOKEN_ACTIVE,
    APP_TOKEN_DELETED,
    DEFAULT_SESSION_DURATION,
    SandboxAppToken,
    SandboxState,
)

WIDGET_PRIVILEGES = "view:*,widget:1"

# Every PRIVILEGE_* constant of alpha/apps/kaltura/lib/request/kSessionBase.class.php: the names
# kSessionUtils::retrieveAllowedAppSessionPrivileges refuses to take from apptoken.startSession's request.
SERVER_PRIVILEGES = frozenset(
    {
        "edit",
        "sview",
        "list",
        "download",
        "downloadasset",
        "editplaylist",
        "sviewplaylist",
        "actionslimit",
        "setrole",
        "limitentry",
        "iprestrict",
        "urirestrict",
        "enableentitlement",
        "disableentitlement",
        "disableentitlementforentry",
        "disableentitlementforplaylist",
        "privacycontext",
        "enablecategorymoderation",
        "reftime",
        "sessionkey",
        "preview",
        "sessionid",
        "jobtype",
        "apptoken",
        "enablechangeaccount",
        "edituser",
        "enablecaptionmoderation",
        "editadmintags",
        "restrictexplicitliveview",
        "searchcontext",
        "virtualeventid",
    }
)


def parse_privileges(text: str) -> dict[str, list[str]]:
    """``kSessionBase::parsePrivileges``: ``a:1/2,b`` -> ``{"a": ["1", "2"], "b": []}``; a repeated name adds
    its values to the first one's (so the first keeps its place, and its value comes first)."""
    parsed: dict[str, list[str]] = {}
    for privilege in text.split(","):
        name, separator, value = privilege.partition(":")
        values = value.split("/") if separator and value else []
        parsed.setdefault(name, []).extend(values)
    return parsed


def build_privileges(parsed: Mapping[str, list[str]]) -> str:
    """``kSessionBase::buildPrivileges``: the reverse of :func:`parse_privileges`."""
    return ",".join(f"{name}:{'/'.join(values)}" if values else name for name, values in parsed.items())


class Sessions:
    """``session.start``, ``session.startWidgetSession``, ``apptoken.add/get/delete/startSession`` and the KS check
    that every authenticated action runs first."""

    def __init__(
        self,
        state: SandboxState,
        partner_id: int,
        admin_secret: str,
        clock: Callable[[], float],
        rng: random.Random,
    ) -> None:
        self._state = state
        self.partner_id = partner_id
        self.admin_secret = admin_secret
        self._clock = clock
        self._random = rng

    def now(self) -> int:
        return int(self._clock())

    def new_ks(self, user_id: str, session_type: int, expiry: int, privileges: str = "") -> str:
        return generate_ks(
            self.admin_secret, self.partner_id, user_id, session_type, expiry, privileges=privileges, clock=self._clock
        )

    def random_id(self, length: int, alphabet: str = string.ascii_lowercase + string.digits) -> str:
        return "".join(self._random.choice(alphabet) for _ in range(length))

    # --- the check every authenticated call makes ---------------------------------------------------------

    def require(self, params: Mapping[str, Any], service: str, action: str, *, admin: bool = False) -> ParsedKs:
        """The caller's session, as ``kCurrentContext::initKsPartnerUser`` and the permission manager accept it.

        - a missing KS is ``MISSING_KS``; one that cannot be decrypted with the partner's secret, of another
          partner, expired or logged out is ``INVALID_KS`` with the ``ks.php`` error number;
        - ``actionslimit`` that is not a positive number makes the KS useless for any call
          (``kSessionUtils.class.php``: ``ks::isSetLimitAction`` throws ``INVALID_ACTIONS_LIMIT``): that is what
          a KAF launch KS relies on (``actionslimit:-1``);
        - a widget session (anonymous, ``widget:1``) may only call ``apptoken.startSession``
          (``deployment/permissions``: the widget role has no other permission used here);
        - ``admin`` actions (``apptoken.add``) need an ADMIN session; everything else is ``SERVICE_FORBIDDEN``.
        """
        ks = params.get("ks")
        if not isinstance(ks, str) or not ks:
            raise errors.missing_ks()
        try:
            partner_id = ks_partner_id(ks)
        except InvalidKs:
            raise errors.invalid_ks(ks, errors.KS_INVALID_STR) from None
        if partner_id != self.partner_id:
            raise errors.invalid_ks(ks, errors.KS_INVALID_PARTNER)
        try:
            parsed = parse_ks(ks, self.admin_secret)
        except InvalidKs:
            raise errors.invalid_ks(ks, errors.KS_INVALID_STR) from None
        if ks in self._state.revoked:
            raise errors.invalid_ks(ks, errors.KS_LOGOUT)
        if parsed.expiry <= self.now():  # kSessionBase::isValidBase: valid_until <= time() is expired
            raise errors.invalid_ks(ks, errors.KS_EXPIRED)
        limit = parsed.privileges.get("actionslimit")
        if limit is not None and not (limit.lstrip("-").isdigit() and int(limit) > 0):
            raise errors.invalid_actions_limit()
        self._state.seen.add(ks)
        widget = (
            parsed.session_type == SessionType.USER and parsed.user_id in ("", "0") and "widget" in parsed.privileges
        )
        if widget and (service, action) != ("apptoken", "startSession"):
            raise errors.service_forbidden(service, action)
        if admin and parsed.session_type != SessionType.ADMIN:
            raise errors.service_forbidden(service, action)
        return parsed

    # --- session ------------------------------------------------------------------------------------------

    def start(self, params: dict[str, Any]) -> str:
        """``session.start`` (api_v3/services/SessionService.php): the partner's secret makes any session."""
        secret = params.get("secret")
        if not secret:
            raise errors.missing_parameter("secret")
        partner_id = str(params.get("partnerId", ""))
        if partner_id != str(self.partner_id) or secret != self.admin_secret:
            raise errors.start_session_error(partner_id)
        session_type = errors.enum(params.get("type", 0), "type", "KalturaSessionType", (0, 2))
        expiry = errors.integer(params.get("expiry", 86400), "expiry")
        privileges = str(params.get("privileges") or "")
        return self.new_ks(str(params.get("userId") or ""), session_type, expiry, privileges)

    def start_widget_session(self, params: dict[str, Any]) -> dict[str, Any]:
        """``session.startWidgetSession``: the anonymous session ``apptoken.startSession`` is called with."""
        widget_id = params.get("widgetId")
        if not widget_id:
            raise errors.missing_parameter("widgetId")
        if widget_id != f"_{self.partner_id}":
            raise ApiError("INVALID_WIDGET_ID", f"Invalid widget id [{widget_id}]", {"WIDGET_ID": widget_id})
        expiry = errors.integer(params.get("expiry", 86400), "expiry")
        ks = self.new_ks("0", SessionType.USER, expiry, WIDGET_PRIVILEGES)
        return {
            "partnerId": self.partner_id,
            "ks": ks,
            "userId": "0",
            "objectType": "KalturaStartWidgetSessionResponse",
        }

    # --- app tokens ---------------------------------------------------------------------------------------

    def add_token(self, app_token: SandboxAppToken) -> SandboxAppToken:
        self._state.app_tokens[app_token.id] = app_token
        return app_token

    def new_token_id(self) -> str:
        return f"0_{self.random_id(8)}"

    def new_token_secret(self) -> str:
        return self.random_id(32, "0123456789abcdef")

    def app_token_add(self, params: dict[str, Any]) -> dict[str, Any]:
        """``appToken.add`` (api_v3/services/AppTokenService.php, api_v3/lib/types/appToken/KalturaAppToken.php):
        an admin session creates a token; ``token`` is generated unless given; the answer carries it once."""
        self.require(params, "apptoken", "add", admin=True)
        raw = params.get("appToken")
        if not isinstance(raw, dict):
            raise errors.missing_parameter("appToken")
        object_type = raw.get("objectType", "KalturaAppToken")
        if object_type != "KalturaAppToken":
            raise errors.invalid_object_type(str(object_type))
        known = {
            "objectType", "token", "expiry", "sessionType", "sessionUserId", "sessionDuration",
            "sessionPrivileges", "hashType", "description",
        }  # fmt: skip
        unknown = sorted(set(raw) - known)
        if unknown:
            raise ApiError(
                "SANDBOX_UNSUPPORTED_PROPERTY",
                f"The sandbox does not emulate KalturaAppToken properties: {', '.join(unknown)}",
            )
        hash_type = str(raw.get("hashType") or "SHA1").upper()
        if hash_type not in HASH_TYPES:
            raise errors.invalid_enum(raw.get("hashType"), "hashType", "KalturaAppTokenHashType")
        session_type = raw.get("sessionType")
        duration = raw.get("sessionDuration")
        expiry = raw.get("expiry")
        app_token = SandboxAppToken(
            id=self.new_token_id(),
            token=str(raw.get("token") or self.new_token_secret()),
            hash_type=hash_type,
            session_type=None
            if session_type is None
            else errors.enum(session_type, "sessionType", "KalturaSessionType", (0, 2)),
            session_user_id=str(raw["sessionUserId"]) if raw.get("sessionUserId") else None,
            session_privileges=str(raw["sessionPrivileges"]) if raw.get("sessionPrivileges") else None,
            session_duration=DEFAULT_SESSION_DURATION
            if duration is None
            else errors.integer(duration, "sessionDuration"),
            expiry=None if expiry is None else errors.integer(expiry, "expiry"),
            description=str(raw["description"]) if raw.get("description") else None,
        )
        return self.add_token(app_token).to_api(self.partner_id)

    def _token(self, token_id: Any) -> SandboxAppToken:
        app_token = self._state.app_tokens.get(str(token_id))
        if app_token is None or app_token.status == APP_TOKEN_DELETED:
            raise errors.app_token_error("APP_TOKEN_ID_NOT_FOUND", str(token_id))
        return app_token

    def app_token_get(self, params: dict[str, Any]) -> dict[str, Any]:
        self.require(params, "apptoken", "get", admin=True)
        if not params.get("id"):
            raise errors.missing_parameter("id")
        return self._token(params["id"]).to_api(self.partner_id)

    def app_token_delete(self, params: dict[str, Any]) -> None:
        self.require(params, "apptoken", "delete", admin=True)
        if not params.get("id"):
            raise errors.missing_parameter("id")
        self._token(params["id"]).status = APP_TOKEN_DELETED

    def app_token_start_session(self, params: dict[str, Any]) -> dict[str, Any]:
        """``appToken.startSession`` (api_v3/services/AppTokenService.php):

        - the hash is HASH(the calling KS + token) with the token's hash type;
        - expiry: the token's session duration, shortened by its own expiry, and by the request's when shorter;
        - the token's session type and user, when set, replace the request's (type defaults to USER);
        - privileges: ``sessionid:{id},apptoken:{id}``, then the token's own, then those requested whose name is
          neither a server privilege nor already set by the token
          (``kSessionUtils::retrieveAllowedAppSessionPrivileges``): so ``actionslimit`` or ``setrole`` asked
          for here is silently dropped.
        """
        self.require(params, "apptoken", "startSession")
        token_id = params.get("id")
        if not token_id:
            raise errors.missing_parameter("id")
        token_hash = params.get("tokenHash")
        if not token_hash:
            raise errors.missing_parameter("tokenHash")
        app_token = self._token(token_id)
        if app_token.status != APP_TOKEN_ACTIVE:
            raise errors.app_token_error("APP_TOKEN_NOT_ACTIVE", str(token_id))
        expected = HASH_TYPES[app_token.hash_type]((str(params["ks"]) + app_token.token).encode()).hexdigest()
        if token_hash != expected:
            raise ApiError("INVALID_APP_TOKEN_HASH", "Invalid application token hash")
        now = self.now()
        token_expiry = app_token.session_duration
        if app_token.expiry is not None:
            token_expiry = min(token_expiry, app_token.expiry - now)
            if token_expiry < 0:
                raise errors.app_token_error("APP_TOKEN_EXPIRED", str(token_id))
        requested = errors.integer(params.get("expiry") or 0, "expiry")
        expiry = min(requested or token_expiry, token_expiry)
        session_type = app_token.session_type
        if session_type is None:
            session_type = errors.enum(params.get("type", 0), "type", "KalturaSessionType", (0, 2))
        user_id = app_token.session_user_id or str(params.get("userId") or "")
        merged: dict[str, list[str]] = {"sessionid": [app_token.id], "apptoken": [app_token.id]}
        for name, values in parse_privileges(app_token.session_privileges or "").items():
            merged.setdefault(name, []).extend(values)
        forbidden = SERVER_PRIVILEGES | {name.strip() for name in merged}
        for name, values in parse_privileges(str(params.get("sessionPrivileges") or "")).items():
            if name.strip() and name.strip() not in forbidden:
                merged.setdefault(name, []).extend(values)
        privileges = build_privileges(merged)
        ks = self.new_ks(user_id, session_type, expiry, privileges)
        return {
            "ks": ks,
            "partnerId": self.partner_id,
            "userId": user_id,
            "expiry": now + expiry,
            "sessionType": session_type,
            "privileges": privileges,
            "objectType": "KalturaSessionInfo",
        }
