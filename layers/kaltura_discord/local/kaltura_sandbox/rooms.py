"""``room_room`` as the room plugin serves it, each rule with the server file it comes from (kaltura/server).

Entries the sandbox does not model (media, live streams...) exist only as seeded stand-ins of another type, so a
template that is not a room can be refused as the server refuses it.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from kaltura_discord.kaltura.ks import ParsedKs, SessionType
from kaltura_discord.local.kaltura_sandbox import errors, listing
from kaltura_discord.local.kaltura_sandbox.errors import ApiError
from kaltura_discord.local.kaltura_sandbox.sessions import Sessions
from kaltura_discord.local.kaltura_sandbox.state import SandboxState

# entryStatus (alpha/lib/enums/entryStatus.php)
STATUS_READY, STATUS_DELETED, STATUS_NO_CONTENT = 2, 3, 7
ENTRY_STATUSES = (-2, -1, 0, 1, 2, 3, 4, 5, 6, 7)
# The entry type of rooms (RoomPlugin::getEntryTypeCoreValue(RoomEntryType::ROOM)); anything else is "other".
ROOM_ENTRY_TYPE, OTHER_ENTRY_TYPE = "room", "other"

_STRING_FIELDS = (
    "name",
    "description",
    "tags",
    "userId",
    "referenceId",
    "templateRoomEntryId",
    "broadcastEntryId",
    "recordedEntryId",
)
_READ_ONLY = frozenset({"id", "partnerId", "createdAt", "updatedAt", "creatorId", "status"})
_OTHER_FIELDS = frozenset({"roomType"})
_FILTERS = frozenset(
    {
        "idEqual",
        "idIn",
        "referenceIdEqual",
        "referenceIdIn",
        "userIdEqual",
        "nameLike",
        "tagsLike",
        "statusEqual",
        "statusIn",
        "statusNotEqual",
        "statusNotIn",
        "roomTypeEqual",
        "orderBy",
    }
)


def _matches(room: Mapping[str, Any], conditions: Mapping[str, Any]) -> bool:
    status = str(room["status"])
    checks: dict[str, Callable[[Any], bool]] = {
        "idEqual": lambda v: room["id"] == str(v),
        "idIn": lambda v: room["id"] in listing.values(v),
        "referenceIdEqual": lambda v: room.get("referenceId") == str(v),
        "referenceIdIn": lambda v: room.get("referenceId") in listing.values(v),
        "userIdEqual": lambda v: room.get("userId") == str(v),
        "nameLike": lambda v: str(v).lower() in str(room.get("name", "")).lower(),
        "tagsLike": lambda v: str(v).lower() in str(room.get("tags", "")).lower(),
        "statusEqual": lambda v: status == str(v),
        "statusIn": lambda v: status in listing.values(v),
        "statusNotEqual": lambda v: status != str(v),
        "statusNotIn": lambda v: status not in listing.values(v),
        "roomTypeEqual": lambda v: str(room["roomType"]) == str(v),
    }
    return all(checks[key](value) for key, value in conditions.items() if key in checks)


class Rooms:
    def __init__(self, state: SandboxState, sessions: Sessions) -> None:
        self._state = state
        self._sessions = sessions
        self._other_entries: set[str] = set()

    # --- for tests ----------------------------------------------------------------------------------------

    def seed(self, fields: Mapping[str, Any], *, user_id: str) -> dict[str, Any]:
        return self._create(fields, user_id=user_id)

    def seed_other_entry(self) -> str:
        """An entry that is not a room (a media entry, say): a template pointing at it is refused."""
        entry_id = self._new_id()
        self._other_entries.add(entry_id)
        return entry_id

    # --- helpers ------------------------------------------------------------------------------------------

    def _new_id(self) -> str:
        entry_id = f"0_{self._sessions.random_id(8)}"
        while entry_id in self._state.rooms or entry_id in self._other_entries or entry_id in self._state.entries:
            entry_id = f"0_{self._sessions.random_id(8)}"
        return entry_id

    def new_entry_id(self) -> str:
        """An entry id no room, media entry or seeded entry has (entry ids are unique across types)."""
        return self._new_id()

    def _create(self, entry: Mapping[str, Any], *, user_id: str) -> dict[str, Any]:
        now = self._sessions.now()
        room: dict[str, Any] = {"id": self._new_id(), "partnerId": self._sessions.partner_id}
        room.update({k: str(entry[k]) for k in _STRING_FIELDS if entry.get(k) is not None})
        room.setdefault("userId", user_id)
        room["creatorId"] = user_id
        room["roomType"] = errors.enum(entry.get("roomType"), "roomType", "KalturaRoomType", (1, 2))
        # plugins/room/services/RoomService.php addAction: $dbEntry->setStatus(entryStatus::NO_CONTENT)
        room["status"] = int(entry.get("status", STATUS_NO_CONTENT))
        room["createdAt"] = room["updatedAt"] = now
        room["objectType"] = "KalturaRoomEntry"
        self._state.rooms[room["id"]] = room
        return room

    def _object(self, params: Mapping[str, Any], name: str) -> dict[str, Any]:
        value = params.get(name)
        if not isinstance(value, dict):
            raise errors.missing_parameter(name)
        object_type = value.get("objectType", "KalturaRoomEntry")
        if object_type != "KalturaRoomEntry":
            raise errors.invalid_object_type(str(object_type))
        fields = {k: v for k, v in value.items() if k != "objectType" and v is not None}
        unknown = set(fields) - set(_STRING_FIELDS) - _READ_ONLY - _OTHER_FIELDS
        if unknown:
            raise ApiError(
                "SANDBOX_UNSUPPORTED_PROPERTY",
                f"The sandbox does not emulate KalturaRoomEntry properties: {', '.join(sorted(unknown))}",
            )
        return fields

    def _check_template(self, template: Any) -> None:
        """``KalturaRoomEntry::validateTemplateRoomEntry`` (plugins/room/lib/api/KalturaRoomEntry.php): a missing
        entry is ``ENTRY_ID_NOT_FOUND``, an entry that is not a room ``INVALID_FIELD_VALUE``."""
        if template is None or template == "":
            return
        if str(template) in self._other_entries:
            raise errors.invalid_field_value("templateRoomEntryId")
        if str(template) not in self._state.rooms:
            raise errors.entry_not_found(str(template))

    def _by_id(self, params: Mapping[str, Any]) -> dict[str, Any]:
        room_id = params.get("roomId")
        if not room_id:
            raise errors.missing_parameter("roomId")
        room = self._state.rooms.get(str(room_id))
        if room is None:
            raise errors.entry_not_found(str(room_id))
        return room

    @staticmethod
    def _check_owner(session: ParsedKs, room: Mapping[str, Any]) -> None:
        """``KalturaEntryService::checkIfUserAllowedToUpdateEntry`` (api_v3/lib/KalturaEntryService.php): a USER
        session may change a room it owns, or one its ``edit`` privilege names (``edit:*`` or ``edit:{id}``)."""
        if session.session_type == SessionType.ADMIN:
            return
        edit = session.privileges.get("edit", "").split("/")
        if "*" in edit or room["id"] in edit or room.get("userId") == session.user_id:
            return
        raise errors.invalid_ks("", errors.KS_INVALID_TYPE)

    # --- actions ------------------------------------------------------------------------------------------

    def add(self, params: dict[str, Any]) -> dict[str, Any]:
        """``room.add``: ``roomType`` required, ``referenceId`` at least 2 characters
        (``KalturaBaseEntry::validateForInsert``: ``validatePropertyMinLength('referenceId', 2, true)``), the
        template checked; stored as ``NO_CONTENT``. A USER session owns what it adds and may not name another
        owner (``KalturaEntryService::checkAndSetValidUserInsert``)."""
        session = self._sessions.require(params, "room_room", "add")
        entry = self._object(params, "entry")
        blocked = sorted(entry.keys() & _READ_ONLY)
        if blocked:
            raise errors.not_updatable(f"KalturaRoomEntry::{blocked[0]}")
        if entry.get("roomType") is None:
            raise errors.cannot_be_null("KalturaRoomEntry::roomType")
        reference = entry.get("referenceId")
        if reference is not None and len(str(reference)) < 2:
            raise errors.min_length("KalturaRoomEntry::referenceId", 2)
        self._check_template(entry.get("templateRoomEntryId"))
        owner = entry.get("userId")
        if session.session_type != SessionType.ADMIN and owner not in (None, session.user_id):
            raise errors.invalid_ks("", errors.KS_INVALID_TYPE)
        return dict(self._create(entry, user_id=session.user_id))

    def get(self, params: dict[str, Any]) -> dict[str, Any]:
        self._sessions.require(params, "room_room", "get")
        return dict(self._by_id(params))

    def update(self, params: dict[str, Any]) -> dict[str, Any]:
        """``room.update``: partial; read-only properties refused; the template checked again
        (``KalturaRoomEntry::validateForUpdate``); ownership for USER sessions (``@validateUser entry id edit``)."""
        session = self._sessions.require(params, "room_room", "update")
        room = self._by_id(params)
        self._check_owner(session, room)
        changes = self._object(params, "room")
        blocked = sorted(changes.keys() & _READ_ONLY)
        if blocked:
            raise errors.not_updatable(f"KalturaRoomEntry::{blocked[0]}")
        self._check_template(changes.get("templateRoomEntryId"))
        if "roomType" in changes:
            changes["roomType"] = errors.enum(changes["roomType"], "roomType", "KalturaRoomType", (1, 2))
        room.update({k: (v if k == "roomType" else str(v)) for k, v in changes.items()})
        room["updatedAt"] = self._sessions.now()
        return dict(room)

    def delete(self, params: dict[str, Any]) -> None:
        """``room.delete``: the entry becomes DELETED, which no get or list returns again (the sandbox drops it)."""
        session = self._sessions.require(params, "room_room", "delete")
        room = self._by_id(params)
        self._check_owner(session, room)
        del self._state.rooms[room["id"]]

    def list(self, params: dict[str, Any]) -> dict[str, Any]:
        """``room.list`` through ``KalturaBaseEntryFilter`` (api_v3/lib/types/entry/filters/KalturaBaseEntryFilter.php):

        - ``prepareEntriesCriteriaFilter``: when ``idEqual`` is not set and no status filter is given, the filter
          is forced to ``statusEqual=READY`` (``setDefaultStatus``). ``idIn`` does not lift it (only ``idEqual``
          does), so a freshly added room (``NO_CONTENT``) is found only with a status filter such as ``statusIn``;
        - ``KalturaFilterPager``: the page size is clamped to 500, not refused.
        """
        self._sessions.require(params, "room_room", "list")
        conditions, pager = listing.read_filter(
            params, default_type="KalturaRoomEntryFilter", types={"KalturaRoomEntryFilter"}, fields=_FILTERS
        )
        listing.entry_statuses(conditions, ENTRY_STATUSES, STATUS_READY)
        rooms = [room for room in self._state.rooms.values() if _matches(room, conditions)]
        order = str(conditions.get("orderBy", "-createdAt"))
        if order not in {"+createdAt", "-createdAt"}:
            raise ApiError("SANDBOX_UNSUPPORTED_FILTER", f"The sandbox orders by +createdAt/-createdAt, not {order}")
        rooms.sort(key=lambda r: int(r["createdAt"]))  # stable: same second keeps the order of adding
        if order.startswith("-"):
            rooms.reverse()
        return {
            "objects": [dict(room) for room in listing.page(rooms, pager)],
            "totalCount": len(rooms),
            "objectType": "KalturaRoomEntryListResponse",
        }
