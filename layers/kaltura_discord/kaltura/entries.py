"""Entries other than rooms (``baseEntry``): what the project needs to find a room's recordings.

Facts (kaltura/server):

- ``plugins/room/services/RoomService.php`` ``attachRecordedEntryAction(roomEntryId, mediaEntryId)``: a room's
  recording is a media entry whose ``rootEntryId`` is set to the room (``$mediaEntry->setRootEntryId($roomEntryId)``),
  returned as a ``KalturaMediaEntry``;
- ``api_v3/services/BaseEntryService.php``: ``get(entryId, version=-1)`` and ``list(filter: KalturaBaseEntryFilter,
  pager)``;
- ``api_v3/lib/types/entry/filters/base/KalturaBaseEntryBaseFilter.php``: ``rootEntryIdEqual`` (``_eq_root_entry_id``)
  and ``statusEqual``/``statusIn``; without ``idEqual`` or a status filter the server lists READY entries only
  (``KalturaBaseEntryFilter`` ``setDefaultStatus``, see :mod:`.rooms`), so every list here says its status;
- ``KalturaPlayableEntry`` (what a media entry extends): ``duration`` in seconds, ``msDuration`` in milliseconds.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from kaltura_discord.kaltura.errors import KalturaError
from kaltura_discord.kaltura.ks import validate_entry_id
from kaltura_discord.kaltura.rooms import EntryStatus, Pager

if TYPE_CHECKING:
    from kaltura_discord.kaltura.client import KalturaClient

SERVICE = "baseentry"  # how the official clients name it (KalturaBaseEntryService)
RECORDINGS_PAGE_SIZE = 50
"""A room's recordings fit one page: a meeting records a handful of times at most."""


@dataclass(frozen=True)
class Entry:
    """A ``KalturaBaseEntry`` (a ``KalturaMediaEntry`` for recordings) as this project reads it."""

    id: str
    name: str = ""
    status: int | None = None
    root_entry_id: str | None = None
    duration: int | None = None
    """Seconds (``KalturaPlayableEntry.duration``); None for entries that do not play."""
    object_type: str = ""
    created_at: int | None = None

    @property
    def is_ready(self) -> bool:
        return self.status == EntryStatus.READY

    @classmethod
    def from_api(cls, obj: Any) -> Entry:
        if not isinstance(obj, Mapping) or not isinstance(obj.get("id"), str):
            raise KalturaError("INVALID_RESPONSE", "expected a KalturaBaseEntry")

        def number(key: str) -> int | None:
            value = obj.get(key)
            if isinstance(value, bool):
                return None
            if isinstance(value, int):
                return value
            if isinstance(value, str) and value.lstrip("-").isdigit():
                return int(value)
            return None

        duration = number("duration")
        if duration is None and number("msDuration") is not None:
            duration = (number("msDuration") or 0) // 1000
        root = obj.get("rootEntryId")
        return cls(
            id=obj["id"],
            name=str(obj.get("name") or ""),
            status=number("status"),
            root_entry_id=str(root) if isinstance(root, str) and root else None,
            duration=duration,
            object_type=str(obj.get("objectType") or ""),
            created_at=number("createdAt"),
        )


class KalturaEntries:
    """Typed ``baseEntry`` reads; both retry on outages (reads change nothing)."""

    def __init__(self, client: KalturaClient | None = None) -> None:
        self._client = client

    @property
    def client(self) -> KalturaClient:
        if self._client is None:
            from kaltura_discord.kaltura.client import get_client

            self._client = get_client()
        return self._client

    def get_entry(self, entry_id: str) -> Entry:
        result = self.client.call(SERVICE, "get", {"entryId": validate_entry_id(entry_id)}, retry=True)
        return Entry.from_api(result)

    def list_recordings(self, room_id: str, *, pager: Pager | None = None) -> list[Entry]:
        """The room's READY recorded entries, oldest first: ``rootEntryIdEqual`` = the room, ``statusEqual`` = READY.

        The room itself is never one of them, whatever its own ``rootEntryId`` says."""
        conditions = {
            "objectType": "KalturaBaseEntryFilter",
            "rootEntryIdEqual": validate_entry_id(room_id),
            "statusEqual": int(EntryStatus.READY),
            "orderBy": "+createdAt",
        }
        params = {"filter": conditions, "pager": (pager or Pager(page_size=RECORDINGS_PAGE_SIZE)).to_api()}
        result = self.client.call(SERVICE, "list", params, retry=True)
        if not isinstance(result, Mapping):
            raise KalturaError("INVALID_RESPONSE", "expected a KalturaBaseEntryListResponse")
        entries = [Entry.from_api(obj) for obj in result.get("objects") or []]
        return [entry for entry in entries if entry.id != room_id and entry.root_entry_id == room_id]
