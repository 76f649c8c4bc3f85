"""What the sandbox remembers: rooms, media entries (recordings), app tokens, event notification templates and the
notifications sent, sessions seen, calls received, faults waiting."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from kaltura_discord.kaltura.ks import SessionType
from kaltura_discord.local.kaltura_sandbox.faults import Fault

# KalturaAppTokenStatus (api_v3/lib/types/enums/KalturaAppTokenStatus.php)
APP_TOKEN_DISABLED, APP_TOKEN_ACTIVE, APP_TOKEN_DELETED = 1, 2, 3
# The default session duration of an app token (AppToken::getSessionDuration falls back to one day).
DEFAULT_SESSION_DURATION = 86400


@dataclass
class SandboxAppToken:
    """An app token as ``appToken.add`` stores it; whatever session setting it fixes overrides the request."""

    id: str
    token: str
    hash_type: str = "SHA1"
    session_type: int | None = SessionType.ADMIN
    session_user_id: str | None = None
    session_privileges: str | None = None
    session_duration: int = DEFAULT_SESSION_DURATION
    expiry: int | None = None
    status: int = APP_TOKEN_ACTIVE
    description: str | None = None

    @property
    def active(self) -> bool:
        return self.status == APP_TOKEN_ACTIVE

    def to_api(self, partner_id: int) -> dict[str, Any]:
        fields = {
            "id": self.id,
            "token": self.token,
            "partnerId": partner_id,
            "status": self.status,
            "expiry": self.expiry,
            "sessionType": self.session_type,
            "sessionUserId": self.session_user_id,
            "sessionDuration": self.session_duration,
            "sessionPrivileges": self.session_privileges,
            "hashType": self.hash_type,
            "description": self.description,
        }
        # The server omits null fields from its JSON answers.
        return {**{k: v for k, v in fields.items() if v is not None}, "objectType": "KalturaAppToken"}


@dataclass(frozen=True)
class RecordedRequest:
    method: str
    service: str
    action: str
    content_type: str | None
    params: dict[str, Any]


@dataclass
class SandboxState:
    rooms: dict[str, dict[str, Any]] = field(default_factory=dict)
    entries: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Media entries (a room's recordings), by id."""
    templates: dict[int, dict[str, Any]] = field(default_factory=dict)
    """Event notification templates (system ones have ``partnerId`` 0), by id."""
    notifications: list[dict[str, Any]] = field(default_factory=list)
    """HTTP notifications sent: url, body, headers, the answer's status (or the error)."""
    app_tokens: dict[str, SandboxAppToken] = field(default_factory=dict)
    revoked: set[str] = field(default_factory=set)
    seen: set[str] = field(default_factory=set)
    calls: Counter[str] = field(default_factory=Counter)
    requests: list[RecordedRequest] = field(default_factory=list)
    faults: list[Fault] = field(default_factory=list)
    latency: float = 0.0
