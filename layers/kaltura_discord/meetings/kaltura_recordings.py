"""The recordings side of Kaltura for the meetings domain: ``baseEntry`` for recorded entries, ``room_room.get`` for
the meeting a room was made for. Kaltura's errors become :class:`RecordingLookupFailed` (retry later) or "nothing"."""

from __future__ import annotations

from collections.abc import Sequence

from kaltura_discord.kaltura import KalturaError, KalturaRooms, KalturaUnavailable
from kaltura_discord.kaltura.entries import Entry, KalturaEntries
from kaltura_discord.meetings.recordings import Recording, RoomOwner, owner_from_room

NOT_FOUND = frozenset({"ENTRY_ID_NOT_FOUND", "INVALID_ENTRY_ID"})


class RecordingLookupFailed(Exception):
    """Kaltura did not answer (or refused in a way that trying later may fix)."""


def _recording(entry: Entry) -> Recording | None:
    if not entry.root_entry_id or entry.root_entry_id == entry.id:
        return None
    return Recording(entry.id, entry.root_entry_id, entry.name, entry.duration, entry.is_ready)


class KalturaRecordingSource:
    def __init__(self, entries: KalturaEntries | None = None, rooms: KalturaRooms | None = None) -> None:
        self._entries = entries or KalturaEntries()
        self._rooms = rooms or KalturaRooms()

    def recording(self, entry_id: str) -> Recording | None:
        try:
            return _recording(self._entries.get_entry(entry_id))
        except ValueError:
            return None
        except KalturaError as exc:
            if exc.code in NOT_FOUND:
                return None
            raise RecordingLookupFailed(str(exc)) from None

    def recordings_of(self, room_id: str) -> Sequence[Recording]:
        try:
            found = self._entries.list_recordings(room_id)
        except KalturaError as exc:
            raise RecordingLookupFailed(str(exc)) from None
        return [recording for recording in map(_recording, found) if recording is not None and recording.ready]

    def room_owner(self, room_id: str) -> RoomOwner | None:
        try:
            room = self._rooms.get_room(room_id)
        except ValueError:
            return None
        except KalturaUnavailable as exc:
            raise RecordingLookupFailed(str(exc)) from None
        except KalturaError as exc:
            if exc.code in NOT_FOUND:
                return None
            raise RecordingLookupFailed(str(exc)) from None
        return owner_from_room(room.reference_id, room.tags)
