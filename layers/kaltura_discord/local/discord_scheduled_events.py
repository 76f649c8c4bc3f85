"""Guild Scheduled Events for the Discord stand-in, with Discord's rules (``docs/guild-scheduled-event.mdx`` in
``../shared/discord``, and the schemas of its ``openapi.json``, copied into ``discord_schemas.json``):

- bodies are checked against ``ExternalScheduledEventCreateRequest`` / ``ExternalScheduledEventPatchRequestPartial``
  (a failure is 400 Invalid Form Body, 50035, with the schema's complaint); only EXTERNAL (3) events are served,
  which is all this project makes;
- EXTERNAL needs ``entity_metadata.location`` (1-100 characters), ``scheduled_end_time`` and a null ``channel_id``
  ("Field Requirements By Entity Type"); the name is 1-100 characters, the description at most 1000;
- the start must lie ahead and the end after it (Discord refuses an event scheduled in the past);
- at most 100 events SCHEDULED or ACTIVE per server (the Create route's note; 30038 beyond);
- status moves only SCHEDULED->ACTIVE, ACTIVE->COMPLETED and SCHEDULED->CANCELED; COMPLETED and CANCELED are final
  ("Valid Guild Scheduled Event Status Transitions");
- an EXTERNAL event becomes ACTIVE by itself at its start and COMPLETED at its end ("Status Update Automation"),
  applied here whenever an event is read or changed, by the stand-in's clock;
- at the server level the bot needs CREATE_EVENTS (1 << 44) to create an event, and CREATE_EVENTS or
  MANAGE_EVENTS (1 << 33) to change or delete one it created ("Permissions for events with entity_type:
  EXTERNAL"): a server whose bot permissions were set without them answers 403 Missing Permissions (50013);
- a deleted event is 404 Unknown Guild Scheduled Event (10070).
"""

from __future__ import annotations

import datetime as dt
import functools
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCHEDULED, ACTIVE, COMPLETED, CANCELED = 1, 2, 3, 4
EXTERNAL = 3
MAX_UNCOMPLETED_EVENTS = 100
CREATE_EVENTS, MANAGE_EVENTS = 1 << 44, 1 << 33
TRANSITIONS = {SCHEDULED: {ACTIVE, CANCELED}, ACTIVE: {COMPLETED}, COMPLETED: set(), CANCELED: set()}
UNKNOWN_EVENT = {"code": 10070, "message": "Unknown Guild Scheduled Event"}
MISSING_PERMISSIONS = {"code": 50013, "message": "Missing Permissions"}
TOO_MANY_EVENTS = {"code": 30038, "message": "Maximum number of uncompleted guild scheduled events reached (100)"}
_SCHEMAS = Path(__file__).with_name("discord_schemas.json")
_URI = "urn:discord-openapi-subset"


@functools.cache
def _validator(schema_name: str) -> Any:
    from jsonschema import Draft202012Validator, FormatChecker
    from referencing import Registry, Resource
    from referencing.jsonschema import DRAFT202012

    document = json.loads(_SCHEMAS.read_text(encoding="utf-8"))
    registry = Registry().with_resource(_URI, Resource.from_contents(document, default_specification=DRAFT202012))
    schema = {"$ref": f"{_URI}#/components/schemas/{schema_name}"}
    return Draft202012Validator(schema, registry=registry, format_checker=FormatChecker())


def schema_errors(schema_name: str, body: Any) -> list[str]:
    """What Discord's schema says is wrong with ``body`` (empty when it is valid)."""
    found = _validator(schema_name).iter_errors(body)
    return [f"{'.'.join(map(str, e.absolute_path)) or '(body)'}: {e.message}" for e in found]


def _invalid(message: str) -> tuple[int, Any]:
    return 400, {"code": 50035, "message": "Invalid Form Body", "errors": {"_errors": [{"message": message}]}}


def _time(value: Any) -> dt.datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=dt.UTC)


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


@dataclass
class _Event:
    body: dict[str, Any]
    start: dt.datetime
    end: dt.datetime


@dataclass
class ScheduledEvents:
    """Every server's events; ``snowflake`` makes ids, ``clock`` is the stand-in's (epoch seconds)."""

    snowflake: Callable[[], str]
    clock: Callable[[], float]
    bot_user_id: str = "1100000000000000001"
    events: dict[str, dict[str, _Event]] = field(default_factory=dict)
    bot_permissions: dict[str, int] = field(default_factory=dict)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def route(self, method: str, guild_id: str, event_id: str | None, body: Any) -> tuple[int, Any]:
        with self.lock:
            if method == "GET" and event_id is None:
                return 200, self._list(guild_id)
            if method == "POST" and event_id is None:
                return self._create(guild_id, body)
            if event_id is None:
                return 405, {"code": 0, "message": "405: Method Not Allowed"}
            event = self.events.get(guild_id, {}).get(event_id)
            if event is None:
                return 404, UNKNOWN_EVENT
            self._automate(event)
            if method == "GET":
                return 200, dict(event.body)
            if not self._may_manage(guild_id):
                return 403, MISSING_PERMISSIONS
            if method == "PATCH":
                return self._modify(event, body)
            if method == "DELETE":
                del self.events[guild_id][event_id]
                return 204, None
            return 405, {"code": 0, "message": "405: Method Not Allowed"}

    def all(self, guild_id: str) -> list[dict[str, Any]]:
        """Every event of the server, whatever its status (tests read this; the list route shows fewer)."""
        with self.lock:
            found = list(self.events.get(guild_id, {}).values())
            for event in found:
                self._automate(event)
            return [dict(event.body) for event in found]

    def _list(self, guild_id: str) -> list[dict[str, Any]]:
        found = list(self.events.get(guild_id, {}).values())
        for event in found:
            self._automate(event)
        return [dict(event.body) for event in found if event.body["status"] in (SCHEDULED, ACTIVE)]

    def _may_manage(self, guild_id: str) -> bool:
        """Change or delete an event the bot created: CREATE_EVENTS or MANAGE_EVENTS."""
        permissions = self.bot_permissions.get(guild_id)
        return permissions is None or bool(permissions & (CREATE_EVENTS | MANAGE_EVENTS))

    def _may_create(self, guild_id: str) -> bool:
        """Create an EXTERNAL event: CREATE_EVENTS (MANAGE_EVENTS alone is not enough)."""
        permissions = self.bot_permissions.get(guild_id)
        return permissions is None or bool(permissions & CREATE_EVENTS)

    def _now(self) -> dt.datetime:
        return dt.datetime.fromtimestamp(self.clock(), tz=dt.UTC)

    def _automate(self, event: _Event) -> None:
        """EXTERNAL events start at their start time and complete at their end time, by themselves."""
        now = self._now()
        if event.body["status"] == SCHEDULED and now >= event.start:
            event.body["status"] = ACTIVE
        if event.body["status"] == ACTIVE and now >= event.end:
            event.body["status"] = COMPLETED

    def _create(self, guild_id: str, body: Any) -> tuple[int, Any]:
        if not self._may_create(guild_id):
            return 403, MISSING_PERMISSIONS
        if not isinstance(body, dict) or body.get("entity_type") != EXTERNAL:
            return _invalid("only EXTERNAL (entity_type 3) events are served by this stand-in")
        errors = schema_errors("ExternalScheduledEventCreateRequest", body)
        if errors:
            return _invalid("; ".join(errors))
        problem, start, end = self._check_fields(body, None)
        if problem:
            return _invalid(problem)
        assert start is not None and end is not None
        if start <= self._now():
            return _invalid("scheduled_start_time: Cannot schedule event in the past.")
        uncompleted = [e for e in self.events.get(guild_id, {}).values() if e.body["status"] in (SCHEDULED, ACTIVE)]
        if len(uncompleted) >= MAX_UNCOMPLETED_EVENTS:
            return 400, TOO_MANY_EVENTS
        event_id = self.snowflake()
        stored = {
            "id": event_id,
            "guild_id": guild_id,
            "name": body["name"],
            "description": body.get("description"),
            "channel_id": None,
            "creator_id": self.bot_user_id,
            "image": None,
            "scheduled_start_time": _iso(start),
            "scheduled_end_time": _iso(end),
            "status": SCHEDULED,
            "entity_type": EXTERNAL,
            "entity_id": None,
            "recurrence_rule": None,
            "privacy_level": body["privacy_level"],
            "guild_scheduled_event_exceptions": [],
            "entity_metadata": {"location": body["entity_metadata"]["location"]},
            "user_count": 0,
        }
        self.events.setdefault(guild_id, {})[event_id] = _Event(stored, start, end)
        return 200, dict(stored)

    def _check_fields(self, body: dict[str, Any], current: _Event | None) -> tuple[str | None, Any, Any]:
        """The rules the schema does not carry: lengths, EXTERNAL's required fields, times in order."""
        name = body.get("name", current.body["name"] if current else None)
        if not isinstance(name, str) or not 1 <= len(name) <= 100:
            return "name: must be 1 to 100 characters", None, None
        description = body.get("description")
        if isinstance(description, str) and not 1 <= len(description) <= 1000:
            return "description: must be 1 to 1000 characters", None, None
        metadata = body.get("entity_metadata", current.body["entity_metadata"] if current else None)
        location = metadata.get("location") if isinstance(metadata, dict) else None
        if not isinstance(location, str) or not 1 <= len(location) <= 100:
            return "entity_metadata.location: required for EXTERNAL events, 1 to 100 characters", None, None
        if body.get("channel_id") is not None:
            return "channel_id: must be null for EXTERNAL events", None, None
        start = _time(body["scheduled_start_time"]) if "scheduled_start_time" in body else None
        end = _time(body["scheduled_end_time"]) if body.get("scheduled_end_time") is not None else None
        if current is not None:
            start, end = start or current.start, end or current.end
        if "scheduled_end_time" in body and body["scheduled_end_time"] is None:
            end = None
        if start is None:
            return "scheduled_start_time: required", None, None
        if end is None:
            return "scheduled_end_time: required for EXTERNAL events", None, None
        if end <= start:
            return "scheduled_end_time: must be after scheduled_start_time", None, None
        return None, start, end

    def _modify(self, event: _Event, body: Any) -> tuple[int, Any]:
        if not isinstance(body, dict):
            return _invalid("the body must be a JSON object")
        errors = schema_errors("ExternalScheduledEventPatchRequestPartial", body)
        if errors:
            return _invalid("; ".join(errors))
        status = body.get("status")
        if status is not None and status not in TRANSITIONS[event.body["status"]]:
            return _invalid(f"status: cannot go from {event.body['status']} to {status}")
        if status is None and event.body["status"] in (COMPLETED, CANCELED):
            return _invalid("a completed or canceled event can no longer be changed")
        if set(body) - {"status"}:
            problem, start, end = self._check_fields(body, event)
            if problem:
                return _invalid(problem)
            event.start, event.end = start, end
            for name in ("name", "description", "privacy_level", "entity_metadata"):
                if name in body:
                    event.body[name] = body[name]
            event.body["scheduled_start_time"], event.body["scheduled_end_time"] = _iso(start), _iso(end)
        if status is not None:
            event.body["status"] = status
        return 200, dict(event.body)
