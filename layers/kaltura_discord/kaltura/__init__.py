"""The Kaltura side: sessions (KS), the API client and Rooms. Never imports anything Discord-related.

Typical use by the meetings domain::

    rooms = KalturaRooms()                      # uses get_client(), built from settings on first use
    room = rooms.add_room("Standup", template_room_entry_id=template_id, reference_id=meeting_id)
    url = rooms.join_url(room.id, user_id=..., first_name=..., last_name=..., moderator=False)
"""

from kaltura_discord.kaltura.client import (
    AdminSecret,
    AppToken,
    Credentials,
    KalturaClient,
    client_from_settings,
    credentials_from_settings,
    get_client,
    reset_client,
    user_token_from_settings,
)
from kaltura_discord.kaltura.errors import KalturaError, KalturaUnavailable
from kaltura_discord.kaltura.ks import (
    InvalidKs,
    ParsedKs,
    Privileges,
    SessionType,
    build_privileges,
    generate_ks,
    join_privileges,
    parse_ks,
    sanitize_value,
)
from kaltura_discord.kaltura.rooms import (
    LIVE_ROOM_STATUSES,
    EntryStatus,
    KalturaRooms,
    Pager,
    Room,
    RoomFields,
    RoomList,
    RoomType,
    default_kaf_base_url,
    kaf_join_url,
)

__all__ = [
    "LIVE_ROOM_STATUSES",
    "AdminSecret",
    "AppToken",
    "Credentials",
    "EntryStatus",
    "InvalidKs",
    "KalturaClient",
    "KalturaError",
    "KalturaRooms",
    "KalturaUnavailable",
    "Pager",
    "ParsedKs",
    "Privileges",
    "Room",
    "RoomFields",
    "RoomList",
    "RoomType",
    "SessionType",
    "build_privileges",
    "client_from_settings",
    "credentials_from_settings",
    "default_kaf_base_url",
    "generate_ks",
    "get_client",
    "join_privileges",
    "kaf_join_url",
    "parse_ks",
    "reset_client",
    "sanitize_value",
    "user_token_from_settings",
]
