"""Media entries (a room's recordings) and ``baseEntry``, each rule with the server file it comes from (kaltura/server).

A recording is a media entry whose ``rootEntryId`` is the room: ``RoomService::attachRecordedEntryAction``
(plugins/room/services/RoomService.php) sets it on an existing media entry and answers a ``KalturaMediaEntry``.
The sandbox makes such an entry appear (:meth:`Entries.add_recording`, the ``POST /_sandbox/recordings`` control
route) as if KME had recorded the meeting and attached it; how Kaltura records is not modelled.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kaltura_discord.local.kaltura_sandbox import errors, listing
from kaltura_discord.local.kaltura_sandbox.errors import ApiError
from kaltura_discord.local.kaltura_sandbox.rooms import ENTRY_STATUSES, STATUS_READY
from kaltura_discord.local.kaltura_sandbox.sessions import Sessions
from kaltura_discord.local.kaltura_sandbox.state import SandboxState

# entryType (alpha/lib/enums/entryType.php): MEDIA_CLIP; mediaType VIDEO (KalturaMediaType)
MEDIA_CLIP, MEDIA_TYPE_VIDEO = 1, 1
_FILTERS = frozenset(
    {
        "idEqual",
        "idIn",
        "rootEntryIdEqual",
        "rootEntryIdIn",
        "statusEqual",
        "statusIn",
        "statusNotEqual",
        "statusNotIn",
        "orderBy",
    }
)
_FILTER_TYPES = frozenset({"KalturaBaseEntryFilter", "KalturaMediaEntryFilter"})


def _matches(entry: Mapping[str, Any], conditions: Mapping[str, Any]) -> bool:
    status, root = str(entry["status"]), entry.get("rootEntryId")
    checks: dict[str, Callable[[Any], bool]] = {
        "idEqual": lambda v: entry["id"] == str(v),
        "idIn": lambda v: entry["id"] in listing.values(v),
        "rootEntryIdEqual": lambda v: root == str(v),
        "rootEntryIdIn": lambda v: root in listing.values(v),
        "statusEqual": lambda v: status == str(v),
        "statusIn": lambda v: status in listing.values(v),
        "statusNotEqual": lambda v: status != str(v),
        "statusNotIn": lambda v: status not in listing.values(v),
    }
    return all(checks[key](value) for key, value in conditions.items() if key in checks)


class Entries:
    def __init__(self, state: SandboxState, sessions: Sessions, new_id: Callable[[], str]) -> None:
        self._state = state
        self._sessions = sessions
        self._new_id = new_id

    # --- for tests and the control route -------------------------------------------------------------------

    def add_recording(
        self, room_id: str, *, duration: int, name: str | None = None, status: int = STATUS_READY
    ) -> dict[str, Any]:
        """A recorded media entry of the room: ``rootEntryId`` = the room (``attachRecordedEntryAction``), its
        ``duration`` in seconds (``KalturaPlayableEntry``). A room that does not exist is ``ENTRY_ID_NOT_FOUND``."""
        room = self._state.rooms.get(room_id)
        if room is None:
            raise errors.entry_not_found(room_id)
        if duration < 0:
            raise errors.min_value("KalturaMediaEntry::duration", 0)
        now = self._sessions.now()
        entry: dict[str, Any] = {
            "id": self._new_id(),
            "partnerId": self._sessions.partner_id,
            "name": name or f"{room.get('name', 'Room')} (recording)",
            "userId": room.get("userId", ""),
            "creatorId": room.get("userId", ""),
            "status": errors.enum(status, "status", "KalturaEntryStatus", ENTRY_STATUSES),
            "rootEntryId": room_id,
            "type": MEDIA_CLIP,
            "mediaType": MEDIA_TYPE_VIDEO,
            "duration": int(duration),
            "msDuration": int(duration) * 1000,
            "createdAt": now,
            "updatedAt": now,
            "objectType": "KalturaMediaEntry",
        }
        self._state.entries[entry["id"]] = entry
        return dict(entry)

    def set_status(self, entry_id: str, status: int) -> tuple[dict[str, Any], int]:
        """Change a recording's status; returns the entry and its previous status."""
        entry = self._state.entries[entry_id]
        previous = int(entry["status"])
        entry["status"] = errors.enum(status, "status", "KalturaEntryStatus", ENTRY_STATUSES)
        entry["updatedAt"] = self._sessions.now()
        return dict(entry), previous

    # --- actions ------------------------------------------------------------------------------------------

    def _all(self) -> list[dict[str, Any]]:
        """Rooms are entries too: ``baseEntry`` sees them (as ``KalturaRoomEntry``) beside the media entries."""
        return [*self._state.rooms.values(), *self._state.entries.values()]

    def get(self, params: dict[str, Any]) -> dict[str, Any]:
        """``baseEntry.get(entryId, version)`` (api_v3/services/BaseEntryService.php ``getAction``): any entry of
        the partner, typed as it is; a missing one is ``ENTRY_ID_NOT_FOUND``."""
        self._sessions.require(params, "baseentry", "get")
        entry_id = params.get("entryId")
        if not entry_id:
            raise errors.missing_parameter("entryId")
        found = self._state.entries.get(str(entry_id)) or self._state.rooms.get(str(entry_id))
        if found is None:
            raise errors.entry_not_found(str(entry_id))
        return dict(found)

    def list(self, params: dict[str, Any]) -> dict[str, Any]:
        """``baseEntry.list(filter, pager)`` through ``KalturaBaseEntryFilter``: as for rooms, a filter with neither
        ``idEqual`` nor a status filter lists READY entries only (``setDefaultStatus``,
        api_v3/lib/types/entry/filters/KalturaBaseEntryFilter.php); page sizes above 500 are clamped."""
        self._sessions.require(params, "baseentry", "list")
        conditions, pager = listing.read_filter(
            params, default_type="KalturaBaseEntryFilter", types=_FILTER_TYPES, fields=_FILTERS
        )
        listing.entry_statuses(conditions, ENTRY_STATUSES, STATUS_READY)
        order = str(conditions.get("orderBy", "-createdAt"))
        if order not in {"+createdAt", "-createdAt"}:
            raise ApiError("SANDBOX_UNSUPPORTED_FILTER", f"The sandbox orders by +createdAt/-createdAt, not {order}")
        found = [entry for entry in self._all() if _matches(entry, conditions)]
        found.sort(key=lambda e: int(e["createdAt"]))
        if order.startswith("-"):
            found.reverse()
        return {
            "objects": [dict(entry) for entry in listing.page(found, pager)],
            "totalCount": len(found),
            "objectType": "KalturaBaseEntryListResponse",
        }
