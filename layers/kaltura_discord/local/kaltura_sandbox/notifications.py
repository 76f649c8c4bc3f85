"""Event notification templates (``eventNotificationTemplate``) and the HTTP notifications they send, each rule with
the server file it comes from (kaltura/server).

- The service (plugins/event_notification/services/EventNotificationTemplateService.php): ``listTemplates`` lists
  the system templates (partner 0), ``list`` / ``get`` / ``update`` / ``updateStatus`` the partner's own,
  ``clone(id, eventNotificationTemplate)`` copies a system or own template and applies the overrides
  (``toUpdatableObject``); a system name the partner already uses is
  ``EVENT_NOTIFICATION_TEMPLATE_DUPLICATE_SYSTEM_NAME``, checked again by ``updateStatus`` to ACTIVE; deleted
  templates are never found (``EventNotificationTemplatePeer::setDefaultCriteriaFilter``).
- The system templates seeded here are the two entry-status ones of
  deployment/base/scripts/init_content/05.HttpEventNotification.0.template.xml (``HTTP_ENTRY_STATUS_CHANGED``,
  ``HTTP_ENTRY_STATUS_EQUALS``), installed DISABLED, with their content and user parameters.
- Dispatch (plugins/event_notification/lib/kEventNotificationFlowManager.php, EventNotificationTemplatePeer
  ``retrieveByEventType``): an ACTIVE template of the partner with automatic dispatch, whose event (OBJECT_CHANGED, 3)
  and object type (ENTRY, 1) match and whose conditions hold, makes a dispatch job.
- The request (plugins/event_notification/providers/http/lib/KDispatchHttpNotificationEngine.class.php,
  model/kHttpNotificationDataFields.php, HttpNotificationTemplate::getJobData): body ``http_build_query`` of the
  user parameters then the content parameters (null values left out), ``X-KALTURA-SIGNATURE`` = hex
  ``hash(algo, secret . body)`` with ``X-KALTURA-HASH-ALGO``, ``algo`` from ``secureHashingAlgo`` (2 sha256,
  3 sha512, otherwise sha1). The secret is the partner's admin secret: what the server's sample receiver
  (providers/http/example/webService) verifies with; the template API has no field for another one.

Simpler than the server: conditions are the two system templates' (status changed; status equals
``{trigger_status}``), not evaluated PHP; only ``KalturaHttpNotificationDataFields`` data; one delivery attempt (the
server's batch retries a failed one); the request is sent when the change happens, not by a batch job later.
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote_plus

from kaltura_discord.kaltura import notifications as signing
from kaltura_discord.local.kaltura_sandbox import errors, listing
from kaltura_discord.local.kaltura_sandbox.errors import ApiError
from kaltura_discord.local.kaltura_sandbox.sessions import Sessions
from kaltura_discord.local.kaltura_sandbox.state import SandboxState

SERVICE = "eventnotification_eventnotificationtemplate"
HTTP_TYPE = "httpNotification.Http"
TEMPLATE_OBJECT = "KalturaHttpNotificationTemplate"
# EventNotificationTemplateStatus, EventNotificationEventType::OBJECT_CHANGED, EventNotificationEventObjectType::ENTRY
STATUS_DISABLED, STATUS_ACTIVE, STATUS_DELETED = 1, 2, 3
OBJECT_CHANGED, OBJECT_ENTRY = 3, "1"
# KalturaHttpNotificationMethod, KalturaSecureHashingAlgo (the official client's enums)
METHODS = (1, 2, 3, 4)
HASHING = {1: "sha1", 2: "sha256", 3: "sha512"}
DELIVERY_CONNECT_SECONDS, DELIVERY_READ_SECONDS = 3.0, 10.0
SYSTEM_ID_START, PARTNER_ID_START = 1, 1001

_UPDATABLE = frozenset(
    {
        "name",
        "systemName",
        "description",
        "url",
        "method",
        "data",
        "secureHashingAlgo",
        "automaticDispatchEnabled",
        "timeout",
        "connectTimeout",
    }
)
_READ_ONLY = frozenset({"id", "partnerId", "createdAt", "updatedAt", "status", "type"})
_FILTERS = frozenset(
    {"idEqual", "idIn", "systemNameEqual", "systemNameIn", "typeEqual", "typeIn", "statusEqual", "statusIn", "orderBy"}
)
_FILTER_TYPES = frozenset({"KalturaEventNotificationTemplateFilter", "KalturaHttpNotificationTemplateFilter"})


def _parameter(key: str, description: str, code: str) -> dict[str, Any]:
    return {
        "objectType": "KalturaEventNotificationParameter",
        "key": key,
        "description": description,
        "value": {"objectType": "KalturaEvalStringField", "code": code},
    }


_CONTENT_PARAMETERS = [
    _parameter("entry_id", "Entry ID", "$scope->getEvent()->getObject()->getId()"),
    _parameter("entry_name", "Entry name", "$scope->getEvent()->getObject()->getName()"),
    _parameter("entry_status", "Entry status", "$scope->getEvent()->getObject()->getStatus()"),
    _parameter("entry_reference_id", "Entry reference ID", "$scope->getEvent()->getObject()->getReferenceID()"),
]
_CONTENT_SOURCES = {
    "entry_id": "id",
    "entry_name": "name",
    "entry_status": "status",
    "entry_reference_id": "referenceId",
}


def _system_templates() -> list[dict[str, Any]]:
    """The two entry-status templates of 05.HttpEventNotification.0.template.xml, as ``listTemplates`` shows them."""
    common: dict[str, Any] = {
        "partnerId": 0,
        "type": HTTP_TYPE,
        "status": STATUS_DISABLED,
        "automaticDispatchEnabled": True,
        "manualDispatchEnabled": False,
        "eventType": OBJECT_CHANGED,
        "eventObjectType": OBJECT_ENTRY,
        "contentParameters": _CONTENT_PARAMETERS,
        "method": 2,
        "objectType": TEMPLATE_OBJECT,
    }
    changed = {
        **common,
        "name": "Entry Status Changed",
        "systemName": "HTTP_ENTRY_STATUS_CHANGED",
        "description": "HTTP notification template to be sent when an entry status changed.",
        "userParameters": [],
        "_condition": "status_changed",
    }
    trigger = {
        "objectType": "KalturaEventNotificationParameter",
        "key": "trigger_status",
        "description": "Entry status that triggers the event, See:KalturaEntryStatus:/api_v3/testmeDoc/?object="
        "KalturaEntryStatus",
        "value": {"objectType": "KalturaStringValue", "value": "2"},
    }
    equals = {
        **common,
        "name": "Entry Status Equals",
        "systemName": "HTTP_ENTRY_STATUS_EQUALS",
        "description": "HTTP notification template to be sent when an entry status changed to specific value.",
        "userParameters": [trigger],
        "_condition": "status_equals",
    }
    return [changed, equals]


def public(template: Mapping[str, Any]) -> dict[str, Any]:
    """What the API answers: internal keys dropped, null fields omitted (as the server's JSON does)."""
    return {k: copy.deepcopy(v) for k, v in template.items() if not k.startswith("_") and v is not None}


def http_build_query(values: list[tuple[str, Any]]) -> str:
    """PHP's ``http_build_query`` for flat values: RFC 1738 encoding (``+`` for spaces, ``~`` escaped), nulls left
    out, booleans as 1/0."""

    def encode(value: Any) -> str:
        text = ("1" if value else "0") if isinstance(value, bool) else str(value)
        return quote_plus(text, safe="").replace("~", "%7E")

    return "&".join(f"{encode(key)}={encode(value)}" for key, value in values if value is not None)


@dataclass
class Delivery:
    """One HTTP notification to send: made under the sandbox's lock, sent outside it."""

    template_id: int
    url: str
    body: bytes
    headers: dict[str, str]
    timeout: float
    connect_timeout: float
    result: dict[str, Any] = field(default_factory=dict)


class Templates:
    def __init__(self, state: SandboxState, sessions: Sessions, admin_secret: str) -> None:
        self._state = state
        self._sessions = sessions
        self._admin_secret = admin_secret
        self._next_id = PARTNER_ID_START
        for offset, template in enumerate(_system_templates()):
            now = sessions.now()
            template.update(id=SYSTEM_ID_START + offset, createdAt=now, updatedAt=now)
            state.templates[template["id"]] = template

    # --- helpers ------------------------------------------------------------------------------------------

    def _require(self, params: Mapping[str, Any], action: str) -> None:
        """An ADMIN session (EVENTNOTIFICATION_PLUGIN_PERMISSION is an admin permission); USER is SERVICE_FORBIDDEN."""
        self._sessions.require(params, SERVICE, action, admin=True)

    def _own(self, params: Mapping[str, Any], *, or_system: bool = False) -> dict[str, Any]:
        """The template named by ``id``: the partner's own (``applyPartnerFilterForClass``), or a system one too
        for ``clone`` (``partnerGroup``: ``partnerGroup,0``); deleted ones are not found."""
        raw = params.get("id")
        if raw is None or raw == "":
            raise errors.missing_parameter("id")
        template_id = errors.integer(raw, "id")
        template = self._state.templates.get(template_id)
        visible = {self._sessions.partner_id, *((0,) if or_system else ())}
        if template is None or template["status"] == STATUS_DELETED or template["partnerId"] not in visible:
            raise errors.template_not_found(template_id)
        return template

    def _overrides(self, params: Mapping[str, Any], template_id: Any) -> dict[str, Any]:
        value = params.get("eventNotificationTemplate")
        if not isinstance(value, dict):
            raise errors.missing_parameter("eventNotificationTemplate")
        object_type = str(value.get("objectType", "KalturaEventNotificationTemplate"))
        if object_type not in (TEMPLATE_OBJECT, "KalturaEventNotificationTemplate"):
            raise errors.template_wrong_type(template_id, HTTP_TYPE)
        fields = {k: v for k, v in value.items() if k != "objectType" and v is not None}
        blocked = sorted(fields.keys() & _READ_ONLY)
        if blocked:
            raise errors.not_updatable(f"{object_type}::{blocked[0]}")
        unknown = sorted(set(fields) - _UPDATABLE)
        if unknown:
            raise ApiError(
                "SANDBOX_UNSUPPORTED_PROPERTY",
                f"The sandbox does not emulate KalturaHttpNotificationTemplate properties: {', '.join(unknown)}",
            )
        if "method" in fields:
            fields["method"] = errors.enum(fields["method"], "method", "KalturaHttpNotificationMethod", METHODS)
        if "secureHashingAlgo" in fields:
            fields["secureHashingAlgo"] = errors.enum(
                fields["secureHashingAlgo"], "secureHashingAlgo", "KalturaSecureHashingAlgo", tuple(HASHING)
            )
        if "connectTimeout" in fields and errors.integer(fields["connectTimeout"], "connectTimeout") < 1:
            # KalturaHttpNotificationTemplate::validateForUpdate: validatePropertyMinValue('connectTimeout', 1)
            raise errors.min_value(f"{object_type}::connectTimeout", 1)
        data = fields.get("data")
        if data is not None:
            if not isinstance(data, dict) or data.get("objectType") != "KalturaHttpNotificationDataFields":
                raise ApiError(
                    "SANDBOX_UNSUPPORTED_PROPERTY",
                    "The sandbox sends KalturaHttpNotificationDataFields data only",
                )
            fields["data"] = {"objectType": "KalturaHttpNotificationDataFields"}
        return fields

    def _check_system_name(self, name: Any, except_id: int | None = None) -> None:
        if not name:
            return
        for other in self._state.templates.values():
            if (
                other["partnerId"] == self._sessions.partner_id
                and other["status"] != STATUS_DELETED
                and other.get("systemName") == name
                and other["id"] != except_id
            ):
                raise errors.template_duplicate_system_name(str(name))

    def _listing(self, params: Mapping[str, Any], partner_id: int) -> dict[str, Any]:
        conditions, pager = listing.read_filter(
            params, default_type="KalturaEventNotificationTemplateFilter", types=_FILTER_TYPES, fields=_FILTERS
        )
        checks: dict[str, Callable[[dict[str, Any], Any], bool]] = {
            "idEqual": lambda t, v: str(t["id"]) == str(v),
            "idIn": lambda t, v: str(t["id"]) in listing.values(v),
            "systemNameEqual": lambda t, v: t.get("systemName") == str(v),
            "systemNameIn": lambda t, v: t.get("systemName") in listing.values(v),
            "typeEqual": lambda t, v: t["type"] == str(v),
            "typeIn": lambda t, v: t["type"] in listing.values(v),
            "statusEqual": lambda t, v: str(t["status"]) == str(v),
            "statusIn": lambda t, v: str(t["status"]) in listing.values(v),
        }
        found = [
            template
            for template in self._state.templates.values()
            if template["partnerId"] == partner_id
            and template["status"] != STATUS_DELETED
            and all(checks[k](template, v) for k, v in conditions.items() if k in checks)
        ]
        order = str(conditions.get("orderBy", "+id"))
        if order not in {"+id", "-id", "+createdAt", "-createdAt"}:
            raise ApiError("SANDBOX_UNSUPPORTED_FILTER", f"The sandbox orders by id or createdAt, not {order}")
        found.sort(key=lambda t: (int(t["createdAt"]), int(t["id"])) if "createdAt" in order else int(t["id"]))
        if order.startswith("-"):
            found.reverse()
        return {
            "objects": [public(t) for t in listing.page(found, pager)],
            "totalCount": len(found),
            "objectType": "KalturaEventNotificationTemplateListResponse",
        }

    # --- actions ------------------------------------------------------------------------------------------

    def list_own(self, params: dict[str, Any]) -> dict[str, Any]:
        """``list``: the partner's own templates."""
        self._require(params, "list")
        return self._listing(params, self._sessions.partner_id)

    def list_templates(self, params: dict[str, Any]) -> dict[str, Any]:
        """``listTemplates``: the system templates (``partnerGroup`` '0'), whoever asks."""
        self._require(params, "listTemplates")
        return self._listing(params, 0)

    def get(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "get")
        return public(self._own(params))

    def clone(self, params: dict[str, Any]) -> dict[str, Any]:
        """A copy of the template (its status too: "status cannot be set during clone") for this partner, with
        the overrides applied; its system name must be new on the partner."""
        self._require(params, "clone")
        source = self._own(params, or_system=True)
        overrides = self._overrides(params, source["id"]) if params.get("eventNotificationTemplate") else {}
        created = copy.deepcopy(source)
        created.update(overrides)
        self._check_system_name(created.get("systemName"))
        now = self._sessions.now()
        created.update(id=self._next_id, partnerId=self._sessions.partner_id, createdAt=now, updatedAt=now)
        self._next_id += 1
        self._state.templates[created["id"]] = created
        return public(created)

    def update(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "update")
        template = self._own(params)
        overrides = self._overrides(params, template["id"])
        if "systemName" in overrides:
            self._check_system_name(overrides["systemName"], except_id=template["id"])
        template.update(overrides)
        template["updatedAt"] = self._sessions.now()
        return public(template)

    def update_status(self, params: dict[str, Any]) -> dict[str, Any]:
        self._require(params, "updateStatus")
        template = self._own(params)
        status = errors.enum(
            params.get("status"),
            "status",
            "KalturaEventNotificationTemplateStatus",
            (STATUS_DISABLED, STATUS_ACTIVE, STATUS_DELETED),
        )
        if status == STATUS_ACTIVE:
            self._check_system_name(template.get("systemName"), except_id=template["id"])
        template["status"] = status
        template["updatedAt"] = self._sessions.now()
        return public(template)

    # --- dispatch -----------------------------------------------------------------------------------------

    def deliveries_for_status_change(self, entry: Mapping[str, Any], previous: int | None) -> list[Delivery]:
        """The notifications an entry's status change makes (``previous`` None: the entry is new)."""
        if previous == entry["status"]:
            return []
        found = []
        for template in sorted(self._state.templates.values(), key=lambda t: int(t["id"])):
            if (
                template["status"] != STATUS_ACTIVE
                or template["partnerId"] not in (0, self._sessions.partner_id)
                or not template.get("automaticDispatchEnabled", True)
                or template.get("eventType") != OBJECT_CHANGED
                or str(template.get("eventObjectType")) != OBJECT_ENTRY
                or not template.get("url")
            ):
                continue
            user = [(p["key"], p["value"].get("value")) for p in template.get("userParameters", [])]
            if template.get("_condition") == "status_equals":
                wanted = dict(user).get("trigger_status")
                if str(entry["status"]) != str(wanted):
                    continue
            found.append(self._delivery(template, entry, user))
        return found

    def _delivery(self, template: Mapping[str, Any], entry: Mapping[str, Any], user: list[tuple[str, Any]]) -> Delivery:
        content = [(p["key"], entry.get(_CONTENT_SOURCES.get(p["key"], ""))) for p in template["contentParameters"]]
        body = http_build_query([*user, *content]).encode() if template.get("data") else b""
        algorithm = HASHING.get(int(template.get("secureHashingAlgo") or 1), "sha1")
        headers = {
            signing.SIGNATURE_HEADER: signing.sign(self._admin_secret, body, algorithm),
            signing.HASH_ALGO_HEADER: algorithm,
            "Content-Type": "application/x-www-form-urlencoded",
        }
        return Delivery(
            template_id=int(template["id"]),
            url=str(template["url"]),
            body=body,
            headers=headers,
            timeout=float(template.get("timeout") or DELIVERY_READ_SECONDS),
            connect_timeout=float(template.get("connectTimeout") or DELIVERY_CONNECT_SECONDS),
        )


def send(delivery: Delivery) -> dict[str, Any]:
    """POST one notification (outside the sandbox's lock: the receiver may call the sandbox back), bounded."""
    import httpx

    result: dict[str, Any] = {"template_id": delivery.template_id, "url": delivery.url}
    timeout = httpx.Timeout(delivery.timeout, connect=delivery.connect_timeout)
    try:
        with httpx.Client(timeout=timeout) as client:
            answer = client.post(delivery.url, content=delivery.body, headers=delivery.headers)
        result.update(status=answer.status_code, answer=answer.text[:500])
    except httpx.HTTPError as exc:
        result.update(status=None, error=f"{type(exc).__name__}: {exc}")
    delivery.result = result
    return result


def describe(delivery: Delivery) -> dict[str, Any]:
    """A delivery as ``GET /_sandbox/state`` shows it."""
    return {
        "template_id": delivery.template_id,
        "url": delivery.url,
        "body": delivery.body.decode(),
        "headers": dict(delivery.headers),
        **{k: v for k, v in delivery.result.items() if k not in ("template_id", "url")},
    }
