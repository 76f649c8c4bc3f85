from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest

from kaltura_discord.kaltura import (
    KalturaClient,
    KalturaError,
    KalturaRooms,
    KalturaUnavailable,
    Pager,
    Room,
    default_kaf_base_url,
    kaf_join_url,
    parse_ks,
)

from .conftest import ADMIN_SECRET, NOW, FakeKaltura, api_exception

pytestmark = pytest.mark.unit

MakeClient = Callable[..., KalturaClient]
ROOM = {
    "objectType": "KalturaRoomEntry",
    "id": "0_abcd1234",
    "name": "Standup",
    "roomType": 1,
    "tags": "discord,meeting",
    "referenceId": "m-1",
    "templateRoomEntryId": "0_tmpl0001",
    "createdAt": 1700000000,
}


@pytest.fixture
def rooms(make_client: MakeClient) -> KalturaRooms:
    return KalturaRooms(make_client())


def test_add_room_sends_a_room_entry(fake: FakeKaltura, rooms: KalturaRooms) -> None:
    fake.reply(ROOM)
    room = rooms.add_room(
        "Standup",
        description="daily",
        template_room_entry_id="0_tmpl0001",
        tags=["discord", "meet,ing"],
        user_id="discord-1",
        reference_id="m-1",
    )
    assert fake.paths == ["/api_v3/service/room_room/action/add"]
    assert fake.bodies[0]["entry"] == {
        "objectType": "KalturaRoomEntry",
        "roomType": 1,
        "name": "Standup",
        "description": "daily",
        "templateRoomEntryId": "0_tmpl0001",
        "tags": "discord,meet ing",
        "userId": "discord-1",
        "referenceId": "m-1",
    }
    assert room == Room(
        id="0_abcd1234",
        name="Standup",
        room_type=1,
        tags=("discord", "meeting"),
        reference_id="m-1",
        template_room_entry_id="0_tmpl0001",
        created_at=1700000000,
    )


def test_add_room_omits_unset_fields(fake: FakeKaltura, rooms: KalturaRooms) -> None:
    fake.reply(ROOM)
    rooms.add_room("Standup")
    assert fake.bodies[0]["entry"] == {"objectType": "KalturaRoomEntry", "roomType": 1, "name": "Standup"}


def test_add_room_is_not_repeated_after_an_outage(fake: FakeKaltura, rooms: KalturaRooms) -> None:
    fake.reply(httpx.Response(503), ROOM)
    with pytest.raises(KalturaUnavailable):
        rooms.add_room("Standup")
    assert len(fake.requests) == 1


def test_reads_and_updates_are_retried(fake: FakeKaltura, rooms: KalturaRooms) -> None:
    fake.reply(httpx.Response(503), ROOM, httpx.Response(503), {**ROOM, "name": "Renamed"})
    assert rooms.get_room("0_abcd1234").name == "Standup"
    assert rooms.update_room("0_abcd1234", {"name": "Renamed"}).name == "Renamed"
    assert len(fake.requests) == 4


def test_update_sends_only_the_given_fields(fake: FakeKaltura, rooms: KalturaRooms) -> None:
    fake.reply(ROOM)
    rooms.update_room("0_abcd1234", {"description": "new", "reference_id": "m-2", "tags": ["a", "b"]})
    body = fake.bodies[0]
    assert body["roomId"] == "0_abcd1234"
    assert body["room"] == {"objectType": "KalturaRoomEntry", "description": "new", "referenceId": "m-2", "tags": "a,b"}


def test_update_refuses_fields_it_cannot_change(fake: FakeKaltura, rooms: KalturaRooms) -> None:
    with pytest.raises(ValueError, match="room_type"):
        rooms.update_room("0_abcd1234", {"room_type": 2})  # type: ignore[typeddict-unknown-key]
    assert fake.requests == []


def test_list_rooms_sends_filter_and_pager(fake: FakeKaltura, rooms: KalturaRooms) -> None:
    fake.reply({"objectType": "KalturaRoomEntryListResponse", "objects": [ROOM], "totalCount": 7})
    listed = rooms.list_rooms({"referenceIdEqual": "m-1"}, Pager(page_size=1, page_index=2))
    assert fake.bodies[0]["filter"] == {
        "referenceIdEqual": "m-1",
        "statusIn": "2,7",
        "objectType": "KalturaRoomEntryFilter",
    }
    assert fake.bodies[0]["pager"] == {"objectType": "KalturaFilterPager", "pageSize": 1, "pageIndex": 2}
    assert listed.total_count == 7 and [r.id for r in listed.rooms] == ["0_abcd1234"]


def test_a_status_filter_given_is_kept(fake: FakeKaltura, rooms: KalturaRooms) -> None:
    empty = {"objectType": "KalturaRoomEntryListResponse", "totalCount": 0}
    fake.reply(empty, empty)
    rooms.list_rooms({"statusEqual": 2})
    rooms.list_rooms({"statusNotIn": "3"})
    assert [b["filter"] for b in fake.bodies] == [
        {"statusEqual": 2, "objectType": "KalturaRoomEntryFilter"},
        {"statusNotIn": "3", "objectType": "KalturaRoomEntryFilter"},
    ]


def test_empty_list_omits_objects(fake: FakeKaltura, rooms: KalturaRooms) -> None:
    fake.reply({"objectType": "KalturaRoomEntryListResponse", "totalCount": 0})
    assert rooms.list_rooms().rooms == ()


@pytest.mark.parametrize(("size", "index"), [(0, 1), (501, 1), (30, 0)])
def test_pager_limits(size: int, index: int) -> None:
    with pytest.raises(ValueError):
        Pager(page_size=size, page_index=index)


def test_delete_missing_ok(fake: FakeKaltura, rooms: KalturaRooms) -> None:
    fake.reply(
        api_exception("ENTRY_ID_NOT_FOUND"), api_exception("ENTRY_ID_NOT_FOUND"), api_exception("SERVICE_FORBIDDEN")
    )
    rooms.delete_room("0_abcd1234", missing_ok=True)
    with pytest.raises(KalturaError, match="ENTRY_ID_NOT_FOUND"):
        rooms.delete_room("0_abcd1234")
    with pytest.raises(KalturaError, match="SERVICE_FORBIDDEN"):
        rooms.delete_room("0_abcd1234", missing_ok=True)


@pytest.mark.parametrize("room_id", ["../x", "0_abc/def", "", "0_abc,role:adminRole"])
def test_room_ids_are_validated_before_any_call(fake: FakeKaltura, rooms: KalturaRooms, room_id: str) -> None:
    with pytest.raises(ValueError):
        rooms.get_room(room_id)
    assert fake.requests == []


def test_a_non_room_answer_is_an_error(fake: FakeKaltura, rooms: KalturaRooms) -> None:
    fake.reply({"objectType": "KalturaSomethingElse"})
    with pytest.raises(KalturaError, match="INVALID_RESPONSE"):
        rooms.get_room("0_abcd1234")


def test_join_url_carries_a_user_ks_for_that_person_and_room(fake: FakeKaltura, rooms: KalturaRooms) -> None:
    url = rooms.join_url(
        "0_abcd1234",
        user_id="discord-9",
        first_name="Eve,role:adminRole",
        last_name="a:b",
        moderator=False,
        kaf_base_url="https://1234567.kaf.kaltura.com/",
        expiry=900,
    )
    prefix = "https://1234567.kaf.kaltura.com/hosted/index/view-entry/ks/"
    assert url.startswith(prefix)
    parsed = parse_ks(url.removeprefix(prefix), ADMIN_SECRET)
    assert (parsed.session_type, parsed.user_id, parsed.expiry) == (0, "discord-9", int(NOW) + 900)
    assert parsed.privileges == {
        "actionslimit": "-1",
        "userId": "discord-9",
        "entryId": "0_abcd1234",
        "firstName": "Eve role adminRole",
        "lastName": "a b",
        "role": "viewerRole",
    }
    assert fake.requests == []


@pytest.mark.parametrize(
    "base",
    [
        "1234567.kaf.kaltura.com",
        "https://1234567.kaf.kaltura.com",
        "HTTPS://1234567.KAF.kaltura.com/",
        " 1234567.kaf.kaltura.com ",
    ],
)
def test_kaf_base_with_or_without_scheme(base: str) -> None:
    assert kaf_join_url(base, "djJ8abc=") == "https://1234567.kaf.kaltura.com/hosted/index/view-entry/ks/djJ8abc="


@pytest.mark.parametrize(
    "base",
    [
        "",
        "http://1234567.kaf.kaltura.com",
        "javascript://x",
        "kaf.example.com/evil",
        "kaf.example.com?next=evil.com",
        "kaf.example.com#frag",
        "user@evil.example",
        "kaf.example.com@evil.example",
        "kaf.example.com\\evil",
        "https://",
        "kaf..example.com",
        "-kaf.example.com",
        "kaf.example.com//",
    ],
)
def test_kaf_base_must_be_a_bare_host(base: str) -> None:
    with pytest.raises(ValueError):
        kaf_join_url(base, "djJ8abc=")


@pytest.mark.parametrize("ks", ["", "abc/def", "abc?x", "a b"])
def test_user_ks_must_be_url_safe(ks: str) -> None:
    with pytest.raises(ValueError):
        kaf_join_url("kaf.example.com", ks)


def test_kaf_base_url_defaults_to_the_partner_host(rooms: KalturaRooms) -> None:
    assert default_kaf_base_url(555) == "555.kaf.kaltura.com"
    url = rooms.join_url("0_abcd1234", user_id="u", first_name="a", last_name="b", moderator=False)
    assert url.startswith("https://1234567.kaf.kaltura.com/hosted/index/view-entry/ks/")
