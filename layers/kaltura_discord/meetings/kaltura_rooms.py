"""The room gateway over Kaltura's ``room_room`` service (the only place meetings meet Kaltura)."""

from __future__ import annotations

from collections.abc import Sequence

from kaltura_discord.kaltura import KalturaError, KalturaRooms, KalturaUnavailable, Pager
from kaltura_discord.meetings.service import ENDED_TAG, RoomGatewayError, RoomGatewayUnavailable


def _translate(exc: KalturaError) -> RoomGatewayError:
    if isinstance(exc, KalturaUnavailable):
        return RoomGatewayUnavailable(str(exc), exc.code)
    return RoomGatewayError(str(exc), exc.code)


class KalturaRoomGateway:
    def __init__(self, rooms: KalturaRooms | None = None) -> None:
        self._rooms = rooms or KalturaRooms()

    def create_room(
        self,
        name: str,
        *,
        description: str,
        template_room_id: str | None,
        tags: Sequence[str],
        owner: str,
        reference: str,
    ) -> str:
        try:
            room = self._rooms.add_room(
                name,
                description=description or None,
                template_room_entry_id=template_room_id,
                tags=tags,
                user_id=owner,
                reference_id=reference,
            )
        except KalturaError as exc:
            raise _translate(exc) from None
        return room.id

    def find_room_by_reference(self, reference: str) -> str | None:
        rooms = self.rooms_by_reference(reference, limit=1)
        return rooms[0] if rooms else None

    def rooms_by_reference(self, reference: str, limit: int = 25) -> list[str]:
        try:
            found = self._rooms.list_rooms({"referenceIdEqual": reference}, Pager(page_size=limit))
        except KalturaError as exc:
            raise _translate(exc) from None
        return [room.id for room in found.rooms]

    def mark_room_ended(self, room_id: str) -> None:
        try:
            room = self._rooms.get_room(room_id)
            self._rooms.update_room(room_id, {"tags": (*room.tags, ENDED_TAG)})
        except KalturaError as exc:
            raise _translate(exc) from None

    def delete_room(self, room_id: str) -> None:
        try:
            self._rooms.delete_room(room_id, missing_ok=True)
        except KalturaError as exc:
            raise _translate(exc) from None

    def join_url(
        self, room_id: str, *, user_id: str, first_name: str, last_name: str, moderator: bool, kaf_host: str
    ) -> str:
        try:
            return self._rooms.join_url(
                room_id,
                user_id=user_id,
                first_name=first_name,
                last_name=last_name,
                moderator=moderator,
                kaf_base_url=kaf_host,
            )
        except KalturaError as exc:
            raise _translate(exc) from None
