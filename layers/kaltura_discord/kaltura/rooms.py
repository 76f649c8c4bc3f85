"""Kaltura Rooms (``room_room``): what the meetings domain needs to create, read, retire and join rooms.

The domain declares its own small interface and :class:`KalturaRooms` implements it; nothing here knows about
Discord. Kaltura has no "end" action for a room: ending a meeting is the domain's state change, optionally
followed by :meth:`KalturaRooms.update_room` or :meth:`KalturaRooms.delete_room`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from typing import TYPE_CHECKING, Any, TypedDict

from kaltura_discord.kaltura.errors import KalturaError
from kaltura_discord.kaltura.ks import join_privileges, validate_entry_id

if TYPE_CHECKING:
    from kaltura_discord.kaltura.client import KalturaClient

SERVICE = "room_room"
MAX_PAGE_SIZE = 500
JOIN_KS_EXPIRY = 60
"""Kaltura's KAF guide: a KS handed to KAF should expire within 60 seconds, so it is minted as the person opens
the link (``GET /v1/join/{token}``), never ahead of time."""
ENTRY_ID_NOT_FOUND = "ENTRY_ID_NOT_FOUND"


class EntryStatus(IntEnum):
    """``KalturaEntryStatus``; ``room_room.add`` stores a room as NO_CONTENT (plugins/room/services/RoomService.php)."""

    READY = 2
    DELETED = 3
    NO_CONTENT = 7


LIVE_ROOM_STATUSES: tuple[EntryStatus, ...] = (EntryStatus.READY, EntryStatus.NO_CONTENT)
"""What every room list asks for. Without a status filter (or ``idEqual``) the server forces ``statusEqual=READY``
(api_v3/lib/types/entry/filters/KalturaBaseEntryFilter.php ``setDefaultStatus``) and a new room is never found."""
_STATUS_FILTERS = frozenset({"statusEqual", "statusIn", "statusNotEqual", "statusNotIn"})


class RoomType(IntEnum):
    ROOM = 1
    BREAKOUT = 2


@dataclass(frozen=True)
class Room:
    """A ``KalturaRoomEntry`` as this project uses it."""

    id: str
    name: str
    room_type: int
    description: str | None = None
    tags: tuple[str, ...] = ()
    user_id: str | None = None
    reference_id: str | None = None
    template_room_entry_id: str | None = None
    broadcast_entry_id: str | None = None
    recorded_entry_id: str | None = None
    status: int | None = None
    created_at: int | None = None
    updated_at: int | None = None

    @classmethod
    def from_api(cls, obj: Any) -> Room:
        if not isinstance(obj, Mapping) or not isinstance(obj.get("id"), str):
            raise KalturaError("INVALID_RESPONSE", "expected a KalturaRoomEntry")

        def text(key: str) -> str | None:
            value = obj.get(key)
            return None if value is None else str(value)

        def number(key: str) -> int | None:
            value = obj.get(key)
            return int(value) if isinstance(value, (int, str)) and str(value).lstrip("-").isdigit() else None

        return cls(
            id=obj["id"],
            name=text("name") or "",
            room_type=number("roomType") or RoomType.ROOM,
            description=text("description"),
            tags=_split_tags(text("tags")),
            user_id=text("userId"),
            reference_id=text("referenceId"),
            template_room_entry_id=text("templateRoomEntryId"),
            broadcast_entry_id=text("broadcastEntryId"),
            recorded_entry_id=text("recordedEntryId"),
            status=number("status"),
            created_at=number("createdAt"),
            updated_at=number("updatedAt"),
        )


@dataclass(frozen=True)
class RoomList:
    rooms: tuple[Room, ...]
    total_count: int


@dataclass(frozen=True)
class Pager:
    """``KalturaFilterPager``; Kaltura caps the page size at 500."""

    page_size: int = 30
    page_index: int = 1

    def __post_init__(self) -> None:
        if not 1 <= self.page_size <= MAX_PAGE_SIZE or self.page_index < 1:
            raise ValueError(f"page size must be 1..{MAX_PAGE_SIZE} and page index at least 1")

    def to_api(self) -> dict[str, Any]:
        return {"objectType": "KalturaFilterPager", "pageSize": self.page_size, "pageIndex": self.page_index}


class RoomFields(TypedDict, total=False):
    """The fields :meth:`KalturaRooms.update_room` may change."""

    name: str
    description: str
    tags: Sequence[str]
    user_id: str
    reference_id: str
    broadcast_entry_id: str
    recorded_entry_id: str


_API_NAMES = {
    "name": "name",
    "description": "description",
    "tags": "tags",
    "user_id": "userId",
    "reference_id": "referenceId",
    "broadcast_entry_id": "broadcastEntryId",
    "recorded_entry_id": "recordedEntryId",
}


def _split_tags(tags: str | None) -> tuple[str, ...]:
    return tuple(t.strip() for t in (tags or "").split(",") if t.strip())


def _join_tags(tags: Sequence[str] | str) -> str:
    """Kaltura tags are one comma-separated string, so a comma inside a tag would split it."""
    items = [tags] if isinstance(tags, str) else list(tags)
    return ",".join(t for t in (item.replace(",", " ").strip() for item in items) if t)


def _entry_fields(fields: Mapping[str, Any]) -> dict[str, Any]:
    unknown = set(fields) - _API_NAMES.keys()
    if unknown:
        raise ValueError(f"not updatable room fields: {', '.join(sorted(unknown))}")
    entry: dict[str, Any] = {"objectType": "KalturaRoomEntry"}
    for key, value in fields.items():
        entry[_API_NAMES[key]] = _join_tags(value) if key == "tags" else value
    return entry


class KalturaRooms:
    """Typed calls to ``room_room``; reads and updates retry on outages, ``add`` never repeats blindly."""

    def __init__(self, client: KalturaClient | None = None) -> None:
        self._client = client

    @property
    def client(self) -> KalturaClient:
        if self._client is None:
            from kaltura_discord.kaltura.client import get_client

            self._client = get_client()
        return self._client

    def add_room(
        self,
        name: str,
        *,
        description: str | None = None,
        template_room_entry_id: str | None = None,
        tags: Sequence[str] = (),
        user_id: str | None = None,
        reference_id: str | None = None,
        room_type: RoomType = RoomType.ROOM,
    ) -> Room:
        """Create a room, copying the template room's settings when one is given (meeting flavours).

        Not retried after the request may have reached Kaltura; pass ``reference_id`` so a caller that sees
        :class:`KalturaUnavailable` can look the room up (``referenceIdEqual``) before trying again.
        """
        if template_room_entry_id is not None:
            validate_entry_id(template_room_entry_id)
        entry: dict[str, Any] = {"objectType": "KalturaRoomEntry", "roomType": int(room_type), "name": name}
        optional = {
            "description": description,
            "templateRoomEntryId": template_room_entry_id,
            "tags": _join_tags(tags) or None,
            "userId": user_id,
            "referenceId": reference_id,
        }
        entry.update({k: v for k, v in optional.items() if v is not None})
        return Room.from_api(self.client.call(SERVICE, "add", {"entry": entry}))

    def get_room(self, room_id: str) -> Room:
        result = self.client.call(SERVICE, "get", {"roomId": validate_entry_id(room_id)}, retry=True)
        return Room.from_api(result)

    def list_rooms(self, filter: Mapping[str, Any] | None = None, pager: Pager | None = None) -> RoomList:
        """``filter`` holds ``KalturaRoomEntryFilter`` fields by their Kaltura names (``referenceIdEqual``, ...).

        A filter without a status condition gets ``statusIn`` = :data:`LIVE_ROOM_STATUSES`: the server would
        otherwise list READY rooms only, and a room that was just added is NO_CONTENT.
        """
        conditions = dict(filter or {})
        if not conditions.keys() & _STATUS_FILTERS:
            conditions["statusIn"] = ",".join(str(int(status)) for status in LIVE_ROOM_STATUSES)
        params: dict[str, Any] = {"filter": {**conditions, "objectType": "KalturaRoomEntryFilter"}}
        params["pager"] = (pager or Pager()).to_api()
        result = self.client.call(SERVICE, "list", params, retry=True)
        if not isinstance(result, Mapping):
            raise KalturaError("INVALID_RESPONSE", "expected a KalturaRoomEntryListResponse")
        objects = result.get("objects") or []
        rooms = tuple(Room.from_api(obj) for obj in objects)
        total = result.get("totalCount")
        return RoomList(rooms=rooms, total_count=int(total) if isinstance(total, int) else len(rooms))

    def update_room(self, room_id: str, fields: RoomFields) -> Room:
        """Partial update; retried on outages because applying the same fields twice changes nothing."""
        params = {"roomId": validate_entry_id(room_id), "room": _entry_fields(fields)}
        return Room.from_api(self.client.call(SERVICE, "update", params, retry=True))

    def delete_room(self, room_id: str, *, missing_ok: bool = False) -> None:
        """Delete a room; with ``missing_ok`` an already-deleted room (or a retried delete) is not an error."""
        try:
            self.client.call(SERVICE, "delete", {"roomId": validate_entry_id(room_id)}, retry=True)
        except KalturaError as exc:
            if not (missing_ok and exc.code == ENTRY_ID_NOT_FOUND):
                raise

    def join_url(
        self,
        room_id: str,
        *,
        user_id: str,
        first_name: str,
        last_name: str,
        moderator: bool,
        kaf_base_url: str | None = None,
        expiry: int = JOIN_KS_EXPIRY,
    ) -> str:
        """A KAF launch URL for one person; it carries a user KS, so show it only to that person, never log it."""
        privileges = join_privileges(
            user_id=user_id, room_id=room_id, first_name=first_name, last_name=last_name, moderator=moderator
        )
        user_ks = self.client.user_ks(user_id, privileges, expiry)
        return kaf_join_url(kaf_base_url or default_kaf_base_url(self.client.partner_id), user_ks)


_HOST = re.compile(
    r"^(?=.{1,253}(?::|$))[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?(?:\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)*"
    r"(?::[0-9]{1,5})?$"
)
_KS_TEXT = re.compile(r"^[A-Za-z0-9_\-]+=*$")


def kaf_join_url(kaf_base_url: str, user_ks: str) -> str:
    """``https://{kaf_base_url}/hosted/index/view-entry/ks/{user_ks}``.

    The base may carry ``https://`` and a trailing ``/`` but nothing else: a path, query, credentials or another
    scheme is refused so configuration cannot redirect people (and their KS) elsewhere.
    """
    base = kaf_base_url.strip()
    scheme, separator, rest = base.partition("://")
    if separator:
        if scheme.lower() != "https":
            raise ValueError(f"KAF base URL must use https, got {kaf_base_url!r}")
        base = rest
    if base.endswith("/"):
        base = base[:-1]
    host = base.lower()
    if not _HOST.fullmatch(host):
        raise ValueError(f"KAF base URL must be a bare host name, got {kaf_base_url!r}")
    if not _KS_TEXT.fullmatch(user_ks):
        raise ValueError("user KS is not URL-safe base64")
    return f"https://{host}/hosted/index/view-entry/ks/{user_ks}"


def default_kaf_base_url(partner_id: int) -> str:
    """Kaltura's usual KAF host for an account, used when no KAF host is configured."""
    return f"{int(partner_id)}.kaf.kaltura.com"
