"""Kaltura HTTP event notifications: how they are signed, what their body says, and the template that sends them.

Facts (kaltura/server; see docs/kaltura.md, "Recording notifications"):

- Signing, ``plugins/event_notification/providers/http/lib/KDispatchHttpNotificationEngine.class.php``
  ``sendHttpRequest``: when the dispatch job carries a sign secret, ``X-KALTURA-SIGNATURE`` is the lowercase hex
  ``hash(algo, signSecret . data)`` of the raw body, and ``X-KALTURA-HASH-ALGO`` names ``algo``: ``sha256`` for the
  template's ``secureHashingAlgo`` SHA_256 (2), ``sha512`` for SHA_512 (3), ``sha1`` otherwise (the default).
  (Enum values: ``KalturaSecureHashingAlgo`` in the official client.) It is a plain hash of secret + body, not an
  HMAC. The secret is not a field of ``KalturaHttpNotificationTemplate`` (``signSecret`` exists on the dispatch
  job data only, ``KalturaHttpNotificationDispatchJobData``); the server's own sample receiver
  (``.../providers/http/example/webService``: ``RequestHandler.validateSignature`` called from
  ``HttpNotificationHandler.jsp``) checks it with the account's **admin secret**.
- Body, ``.../providers/http/lib/model/kHttpNotificationDataFields.php``: a template whose ``data`` is a
  ``KalturaHttpNotificationDataFields`` POSTs ``http_build_query`` of its content (and user) parameters; the
  entry-status system templates (``deployment/base/scripts/init_content/05.HttpEventNotification.0.template.xml``)
  define ``entry_id``, ``entry_name``, ``entry_status`` and ``entry_reference_id``. With
  ``KalturaHttpNotificationObjectData`` the body is one field ``data`` holding a serialized ``KalturaHttpNotification``
  (``.../api/KalturaHttpNotificationObjectData.php``: ``"data=$data"``), whose ``object`` is the entry.
- Template service ``eventNotificationTemplate`` (plugin service ``eventnotification_eventnotificationtemplate``,
  ``plugins/event_notification/services/EventNotificationTemplateService.php``): ``listTemplates`` (the system
  templates, partner 0), ``list`` (the account's), ``clone(id, eventNotificationTemplate)`` (the overrides are
  applied to a copy; a system name already used on the account is
  ``EVENT_NOTIFICATION_TEMPLATE_DUPLICATE_SYSTEM_NAME``), ``update(id, eventNotificationTemplate)`` and
  ``updateStatus(id, status)`` (DISABLED 1, ACTIVE 2).
- The entry-ready system template is ``HTTP_ENTRY_STATUS_EQUALS`` ("Entry Status Equals"): event OBJECT_CHANGED (3)
  on ENTRY (1), conditions "status field modified" and "status equals ``{trigger_status}``", whose user parameter
  defaults to 2 (READY); method POST (2).

Only the entry id is taken from a notification: the entry itself (its room, status and duration) is read back from
Kaltura (:mod:`.entries`), so a notification can only make the bot look, never tell it what to post.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qsl

from kaltura_discord.kaltura.errors import KalturaError

if TYPE_CHECKING:
    from kaltura_discord.kaltura.client import KalturaClient

SIGNATURE_HEADER = "X-KALTURA-SIGNATURE"
HASH_ALGO_HEADER = "X-KALTURA-HASH-ALGO"
ACCEPTED_ALGORITHMS: Mapping[str, Callable[[bytes], Any]] = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
"""SHA-1 (what the server uses unless the template says otherwise) is refused: the template this project sets up
asks for SHA-256 (``secureHashingAlgo`` 2)."""
DEFAULT_ALGORITHM = "sha256"

SERVICE = "eventnotification_eventnotificationtemplate"
SYSTEM_TEMPLATE = "HTTP_ENTRY_STATUS_EQUALS"
SYSTEM_NAME = "KALTURA_DISCORD_RECORDING_READY"
HTTP_TEMPLATE_TYPE = "httpNotification.Http"
TEMPLATE_OBJECT = "KalturaHttpNotificationTemplate"
STATUS_DISABLED, STATUS_ACTIVE = 1, 2
METHOD_POST = 2
SECURE_HASHING_SHA_256 = 2
NOTIFICATIONS_PATH = "/v1/kaltura/notifications"

_ENTRY_ID = re.compile(r"^[0-9]{1,10}_[0-9A-Za-z]{1,32}$")
_HEX = re.compile(r"^[0-9a-fA-F]{40,128}$")
_UNPRINTABLE = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
MAX_FIELDS = 50


# --- signatures ----------------------------------------------------------------------------------------------


def sign(secret: str, body: bytes, algorithm: str = DEFAULT_ALGORITHM) -> str:
    """``X-KALTURA-SIGNATURE`` as the server computes it: hex ``hash(secret . body)`` (sandbox and tests)."""
    digest = {"sha1": hashlib.sha1, **ACCEPTED_ALGORITHMS}[algorithm]
    return str(digest(secret.encode() + body).hexdigest())


def verify(secret: str, body: bytes, signature: str | None, algorithm: str | None = None) -> bool:
    """True when ``signature`` is this body's signature with ``secret``, compared in constant time.

    ``algorithm`` is ``X-KALTURA-HASH-ALGO`` (SHA-256 when absent); anything but SHA-256/SHA-512 is refused. A
    secret-prefix hash allows length extension, so a signed body is also required to be text (:func:`parse`
    refuses the 0x80 and NUL bytes any extension carries)."""
    if not secret or not signature or not _HEX.fullmatch(signature.strip()):
        return False
    name = (algorithm or DEFAULT_ALGORITHM).strip().lower()
    digest = ACCEPTED_ALGORITHMS.get(name)
    if digest is None:
        return False
    expected = str(digest(secret.encode() + body).hexdigest())
    return hmac.compare_digest(expected, signature.strip().lower())


# --- bodies --------------------------------------------------------------------------------------------------


class InvalidNotification(ValueError):
    """The body is not one of the notification shapes this project accepts."""


@dataclass(frozen=True)
class EntryNotification:
    """What a notification is about: an entry id (and, as Kaltura claimed it, its status)."""

    entry_id: str
    status: int | None = None
    job_id: str | None = None
    """``eventNotificationJobId`` when the body is a ``KalturaHttpNotification``."""


def _text(body: bytes) -> str:
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidNotification("the body is not UTF-8 text") from None
    if _UNPRINTABLE.search(text):
        raise InvalidNotification("the body contains control characters")
    return text


def _status(value: Any) -> int | None:
    text = str(value).strip() if value is not None else ""
    return int(text) if text.lstrip("-").isdigit() else None


def _entry_id(value: Any) -> str:
    text = str(value or "").strip()
    if not _ENTRY_ID.fullmatch(text):
        raise InvalidNotification("the notification names no entry id")
    return text


def _from_http_notification(raw: str) -> EntryNotification:
    """A JSON ``KalturaHttpNotification``: ``object`` is the entry that triggered it."""
    try:
        value = json.loads(raw)
    except ValueError:
        raise InvalidNotification("data is not JSON (set the template's data format to JSON)") from None
    if not isinstance(value, dict) or not isinstance(value.get("object"), dict):
        raise InvalidNotification("not a KalturaHttpNotification")
    entry = value["object"]
    job = value.get("eventNotificationJobId")
    return EntryNotification(
        _entry_id(entry.get("id")), _status(entry.get("status")), str(job) if job is not None else None
    )


def parse(body: bytes, content_type: str | None) -> EntryNotification:
    """The entry a notification is about, from the bodies Kaltura's HTTP notifications send:

    - form fields (``KalturaHttpNotificationDataFields``): ``entry_id=...&entry_status=2&...``;
    - one form field ``data`` holding a JSON ``KalturaHttpNotification`` (``KalturaHttpNotificationObjectData``);
    - a JSON ``KalturaHttpNotification`` as the whole body (``Content-Type: application/json``).

    A field given twice is refused rather than guessed at."""
    text = _text(body)
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type == "application/json" or text.lstrip().startswith("{"):
        return _from_http_notification(text)
    if text.startswith("data=") and "&" not in text[:6]:
        try:  # as KalturaHttpNotificationObjectData::getData sends it: "data=$data", the JSON not URL-encoded
            return _from_http_notification(text[len("data=") :])
        except InvalidNotification:
            pass  # then as a form field (URL-encoded)
    try:
        pairs = parse_qsl(text, keep_blank_values=True, strict_parsing=True, max_num_fields=MAX_FIELDS)
    except ValueError:
        raise InvalidNotification("the body is not form fields") from None
    fields: dict[str, str] = {}
    for name, value in pairs:
        if name in fields:
            raise InvalidNotification(f"the field {name!r} appears twice")
        fields[name] = value
    if "entry_id" in fields:
        return EntryNotification(_entry_id(fields["entry_id"]), _status(fields.get("entry_status")))
    if "data" in fields:
        return _from_http_notification(fields["data"])
    raise InvalidNotification("the notification names no entry id")


# --- the template on the account ------------------------------------------------------------------------------


def notifications_url(public_base_url: str) -> str:
    """Where the template sends: ``{public base URL}/v1/kaltura/notifications``."""
    return public_base_url.rstrip("/") + NOTIFICATIONS_PATH


def template_fields(url: str) -> dict[str, Any]:
    """The ``KalturaHttpNotificationTemplate`` overrides this project puts on its copy of the system template."""
    return {
        "objectType": TEMPLATE_OBJECT,
        "name": "kaltura-discord: recording ready",
        "systemName": SYSTEM_NAME,
        "description": "Tells kaltura-discord that an entry (a meeting's recording) is ready.",
        "url": url,
        "method": METHOD_POST,
        "data": {"objectType": "KalturaHttpNotificationDataFields"},
        "secureHashingAlgo": SECURE_HASHING_SHA_256,
    }


@dataclass(frozen=True)
class PlannedCall:
    service: str
    action: str
    params: dict[str, Any]

    def describe(self) -> dict[str, Any]:
        return {"call": f"{self.service}.{self.action}", "params": self.params}


def _filter(**conditions: Any) -> dict[str, Any]:
    return {"objectType": "KalturaEventNotificationTemplateFilter", **conditions}


def _pager() -> dict[str, Any]:
    return {"objectType": "KalturaFilterPager", "pageSize": 10, "pageIndex": 1}


def planned_calls(url: str) -> list[PlannedCall]:
    """What :func:`set_up` sends on an account that has no template of ours yet (``--dry-run`` prints these)."""
    return [
        PlannedCall(SERVICE, "list", {"filter": _filter(systemNameEqual=SYSTEM_NAME), "pager": _pager()}),
        PlannedCall(
            SERVICE,
            "listTemplates",
            {"filter": _filter(systemNameEqual=SYSTEM_TEMPLATE, typeEqual=HTTP_TEMPLATE_TYPE), "pager": _pager()},
        ),
        PlannedCall(
            SERVICE, "clone", {"id": "{the system template's id}", "eventNotificationTemplate": template_fields(url)}
        ),
        PlannedCall(SERVICE, "updateStatus", {"id": "{the new template's id}", "status": STATUS_ACTIVE}),
    ]


@dataclass(frozen=True)
class SetUpTemplate:
    template_id: int
    created: bool
    calls: list[str] = field(default_factory=list)


def _objects(result: Any, name: str) -> list[dict[str, Any]]:
    if not isinstance(result, Mapping) or not isinstance(result.get("objects", []), list):
        raise KalturaError("INVALID_RESPONSE", f"{name} returned no list")
    return [obj for obj in result.get("objects") or [] if isinstance(obj, dict)]


def _id_of(result: Any, name: str) -> int:
    value = result.get("id") if isinstance(result, Mapping) else None
    if not isinstance(value, int):
        raise KalturaError("INVALID_RESPONSE", f"{name} returned no template id")
    return value


def set_up(client: KalturaClient, url: str) -> SetUpTemplate:
    """Make the account notify ``url`` when an entry becomes READY, once: an existing template of ours (by system
    name) is updated and enabled; otherwise the system template is cloned with our overrides and enabled."""
    calls: list[str] = []

    def call(action: str, params: dict[str, Any]) -> Any:
        calls.append(f"{SERVICE}.{action}")
        return client.call(SERVICE, action, params, retry=action in ("list", "listTemplates", "update", "updateStatus"))

    fields = template_fields(url)
    mine = _objects(call("list", {"filter": _filter(systemNameEqual=SYSTEM_NAME), "pager": _pager()}), "list")
    if mine:
        template_id = _id_of(mine[0], "list")
        call("update", {"id": template_id, "eventNotificationTemplate": fields})
        if mine[0].get("status") != STATUS_ACTIVE:
            call("updateStatus", {"id": template_id, "status": STATUS_ACTIVE})
        return SetUpTemplate(template_id, created=False, calls=calls)
    system = _objects(
        call(
            "listTemplates",
            {"filter": _filter(systemNameEqual=SYSTEM_TEMPLATE, typeEqual=HTTP_TEMPLATE_TYPE), "pager": _pager()},
        ),
        "listTemplates",
    )
    if not system:
        raise KalturaError(
            "SYSTEM_TEMPLATE_NOT_FOUND",
            f"the account lists no {SYSTEM_TEMPLATE} system template (is the HTTP notification plugin enabled?)",
        )
    created = call("clone", {"id": _id_of(system[0], "listTemplates"), "eventNotificationTemplate": fields})
    template_id = _id_of(created, "clone")
    call("updateStatus", {"id": template_id, "status": STATUS_ACTIVE})
    return SetUpTemplate(template_id, created=True, calls=calls)
