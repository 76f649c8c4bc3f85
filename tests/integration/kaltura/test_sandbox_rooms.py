from __future__ import annotations

import threading
import time
from collections.abc import Callable

import httpx
import pytest

from kaltura_discord.kaltura import (
    AdminSecret,
    KalturaClient,
    KalturaError,
    KalturaRooms,
    KalturaUnavailable,
    Pager,
    build_privileges,
    generate_ks,
)
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox

from .conftest import ADMIN_SECRET, PARTNER_ID

pytestmark = pytest.mark.integration

MakeClient = Callable[..., KalturaClient]


def raw(
    sandbox: KalturaSandbox, service: str, action: str, body: object, content_type: str = "application/json"
) -> httpx.Response:
    import json

    with httpx.Client(timeout=5.0) as http:
        return http.post(
            f"{sandbox.url}/api_v3/service/{service}/action/{action}",
            content=json.dumps(body).encode(),
            headers={"Content-Type": content_type},
        )


def admin_ks(**overrides: object) -> str:
    args: dict[str, object] = {
        "secret": ADMIN_SECRET,
        "partner_id": PARTNER_ID,
        "user_id": "tester",
        "session_type": 2,
        "expiry": 600,
    }
    args.update(overrides)
    return generate_ks(**args)  # type: ignore[arg-type]


def test_room_lifecycle(sandbox: KalturaSandbox, rooms: KalturaRooms) -> None:
    template = sandbox.seed_room("Webinar template")
    room = rooms.add_room(
        "Standup",
        description="daily",
        template_room_entry_id=template,
        tags=["discord"],
        user_id="discord-1",
        reference_id="m-1",
    )
    assert room.id.startswith("0_") and len(room.id) == 10
    assert (room.room_type, room.template_room_entry_id, room.user_id, room.tags) == (
        1,
        template,
        "discord-1",
        ("discord",),
    )
    assert rooms.get_room(room.id) == room

    listed = rooms.list_rooms({"referenceIdEqual": "m-1"})
    assert [r.id for r in listed.rooms] == [room.id] and listed.total_count == 1

    updated = rooms.update_room(room.id, {"name": "Standup (ended)", "description": "done"})
    assert (updated.name, updated.description, updated.reference_id) == ("Standup (ended)", "done", "m-1")
    assert (sandbox.room(room.id) or {}).get("name") == "Standup (ended)"

    rooms.delete_room(room.id)
    assert sandbox.room(room.id) is None
    with pytest.raises(KalturaError) as caught:
        rooms.get_room(room.id)
    assert caught.value.code == "ENTRY_ID_NOT_FOUND" and caught.value.arguments == {"ENTRY_ID": room.id}
    rooms.delete_room(room.id, missing_ok=True)


def test_a_start_costs_one_round_trip_with_the_admin_secret(sandbox: KalturaSandbox, rooms: KalturaRooms) -> None:
    room = rooms.add_room("Standup")
    rooms.join_url(
        room.id, user_id="discord-1", first_name="A", last_name="B", moderator=True, kaf_base_url="kaf.example.com"
    )
    assert sandbox.calls == {"room_room.add": 1}


def test_list_pages_newest_first(sandbox: KalturaSandbox, rooms: KalturaRooms) -> None:
    ids = [rooms.add_room(f"room {i}").id for i in range(5)]
    first = rooms.list_rooms(pager=Pager(page_size=2, page_index=1))
    third = rooms.list_rooms(pager=Pager(page_size=2, page_index=3))
    assert first.total_count == 5
    assert [r.id for r in first.rooms] == ids[::-1][:2]
    assert [r.id for r in third.rooms] == ids[:1]
    oldest = rooms.list_rooms({"orderBy": "+createdAt"}, Pager(page_size=1))
    assert [r.id for r in oldest.rooms] == ids[:1]


def test_unknown_template_is_entry_not_found(rooms: KalturaRooms) -> None:
    with pytest.raises(KalturaError) as caught:
        rooms.add_room("x", template_room_entry_id="0_missing0")
    assert caught.value.code == "ENTRY_ID_NOT_FOUND"


def test_join_ks_is_accepted_by_the_partner_and_carries_the_person(
    sandbox: KalturaSandbox, rooms: KalturaRooms
) -> None:
    room = rooms.add_room("Standup")
    url = rooms.join_url(
        room.id,
        user_id="discord-5",
        first_name="x,role:adminRole",
        last_name="a:b",
        moderator=False,
        kaf_base_url="kaf.example.com",
    )
    session = sandbox.inspect_ks(url.rsplit("/", 1)[1])
    assert session.partner_id == PARTNER_ID and session.session_type == 0
    assert session.privileges["role"] == "viewerRole" and session.privileges["entryId"] == room.id
    assert set(session.privileges) == {"actionslimit", "userId", "entryId", "firstName", "lastName", "role"}


def test_a_join_ks_is_useless_for_api_calls(sandbox: KalturaSandbox, rooms: KalturaRooms) -> None:
    """actionslimit:-1 does not mean "unlimited": the server refuses such a KS for every call."""
    room_id = sandbox.seed_room("x")
    url = rooms.join_url(room_id, user_id="discord-5", first_name="A", last_name="B", moderator=True)
    join_ks = url.rsplit("/", 1)[1]
    for service, action, params in (
        ("room_room", "get", {"roomId": room_id}),
        ("room_room", "list", {}),
        ("room_room", "delete", {"roomId": room_id}),
    ):
        with pytest.raises(KalturaError) as caught:
            rooms.client.call(service, action, params, ks=join_ks)
        assert caught.value.code == "INVALID_ACTIONS_LIMIT"
    assert sandbox.room(room_id) is not None


def test_user_sessions_may_use_rooms_they_own(sandbox: KalturaSandbox, client: KalturaClient) -> None:
    """deployment/permissions/service.room.room.ini grants room_room to user sessions, with ownership checks."""
    others = sandbox.seed_room("someone else's")
    user_ks = client.user_ks("discord-5", build_privileges({"sview": "*"}))
    mine = client.call("room_room", "add", {"entry": {"objectType": "KalturaRoomEntry", "roomType": 1}}, ks=user_ks)
    assert (mine["userId"], mine["status"]) == ("discord-5", 7)
    assert client.call("room_room", "get", {"roomId": others}, ks=user_ks)["id"] == others
    renamed = {"roomId": mine["id"], "room": {"objectType": "KalturaRoomEntry", "name": "renamed"}}
    assert client.call("room_room", "update", renamed, ks=user_ks)["name"] == "renamed"
    with pytest.raises(KalturaError) as caught:
        client.call("room_room", "delete", {"roomId": others}, ks=user_ks)
    assert (caught.value.code, caught.value.arguments["ERR_CODE"]) == ("INVALID_KS", "-4")
    with pytest.raises(KalturaError) as naming:
        entry = {"objectType": "KalturaRoomEntry", "roomType": 1, "userId": "discord-6"}
        client.call("room_room", "add", {"entry": entry}, ks=user_ks)
    assert naming.value.code == "INVALID_KS"
    editor = client.user_ks("discord-7", build_privileges({"edit": others}))
    client.call("room_room", "delete", {"roomId": others}, ks=editor)
    assert sandbox.room(others) is None


# --- transport rules ----------------------------------------------------------------------------------------


def test_body_is_ignored_unless_content_type_is_exactly_json(sandbox: KalturaSandbox) -> None:
    room_id = sandbox.seed_room("x")
    body = {"ks": admin_ks(), "format": 1, "roomId": room_id}
    good = raw(sandbox, "room_room", "get", body)
    assert good.headers["Content-Type"] == "application/json" and good.json()["id"] == room_id
    for content_type in ("application/json; charset=utf-8", "text/plain", "application/x-www-form-urlencoded"):
        ignored = raw(sandbox, "room_room", "get", body, content_type)
        assert ignored.status_code == 200
        assert ignored.text.startswith("<?xml") and "<code>MISSING_KS</code>" in ignored.text


def test_without_format_1_the_answer_is_xml(sandbox: KalturaSandbox) -> None:
    room_id = sandbox.seed_room("x")
    answer = raw(sandbox, "room_room", "get", {"ks": admin_ks(), "roomId": room_id})
    assert answer.text.startswith("<?xml") and f"<id>{room_id}</id>" in answer.text


def test_missing_room_type_and_parameters(sandbox: KalturaSandbox) -> None:
    no_type = raw(
        sandbox,
        "room_room",
        "add",
        {"ks": admin_ks(), "format": 1, "entry": {"objectType": "KalturaRoomEntry", "name": "x"}},
    )
    assert no_type.status_code == 200
    assert no_type.json()["objectType"] == "KalturaAPIException"
    assert no_type.json()["code"] == "PROPERTY_VALIDATION_CANNOT_BE_NULL"
    no_entry = raw(sandbox, "room_room", "add", {"ks": admin_ks(), "format": 1})
    assert (no_entry.json()["code"], no_entry.json()["args"]) == (
        "MISSING_MANDATORY_PARAMETER",
        {"PARAM_NAME": "entry"},
    )
    bad_type = raw(sandbox, "room_room", "add", {"ks": admin_ks(), "format": 1, "entry": {"roomType": 7}})
    assert bad_type.json()["code"] == "INVALID_ENUM_VALUE"
    assert sandbox.rooms == []


def test_fields_the_sandbox_does_not_emulate_are_refused(sandbox: KalturaSandbox) -> None:
    answer = raw(
        sandbox, "room_room", "add", {"ks": admin_ks(), "format": 1, "entry": {"roomType": 1, "partnerData": "x"}}
    )
    assert answer.json()["code"] == "SANDBOX_UNSUPPORTED_PROPERTY"
    listed = raw(
        sandbox, "room_room", "list", {"ks": admin_ks(), "format": 1, "filter": {"categoriesIdsMatchAnd": "2"}}
    )
    assert listed.json()["code"] == "SANDBOX_UNSUPPORTED_FILTER"


@pytest.mark.parametrize("field", ["status", "createdAt", "creatorId", "partnerId"])
def test_read_only_fields_cannot_be_updated(sandbox: KalturaSandbox, field: str) -> None:
    room_id = sandbox.seed_room("x")
    before = sandbox.room(room_id)
    body = {"ks": admin_ks(), "format": 1, "roomId": room_id, "room": {field: 2}}
    answer = raw(sandbox, "room_room", "update", body).json()
    assert (answer["code"], answer["args"]) == (
        "PROPERTY_VALIDATION_NOT_UPDATABLE",
        {"PROP_NAME": f"KalturaRoomEntry::{field}"},
    )
    assert sandbox.room(room_id) == before


@pytest.mark.parametrize(
    ("service", "action", "code"),
    [
        ("room_room", "end", "ACTION_DOES_NOT_EXISTS"),
        ("virtualevent", "end", "SERVICE_DOES_NOT_EXISTS"),
        ("multirequest", "x", "SERVICE_DOES_NOT_EXISTS"),
    ],
)
def test_unknown_service_or_action(client: KalturaClient, service: str, action: str, code: str) -> None:
    with pytest.raises(KalturaError) as caught:
        client.call(service, action)
    assert caught.value.code == code


# --- sessions -----------------------------------------------------------------------------------------------


def test_expired_admin_ks_is_invalid_and_renewed_only_once(sandbox: KalturaSandbox, make_client: MakeClient) -> None:
    room_id = sandbox.seed_room("x")
    stale = make_client(clock=lambda: time.time() - 7200)
    with pytest.raises(KalturaError) as caught:
        stale.call("room_room", "get", {"roomId": room_id}, retry=True)
    assert caught.value.code == "INVALID_KS"
    assert "-5,EXPIRED" in caught.value.message
    assert sandbox.call_count("room_room", "get") == 2
    sent = [r.params["ks"] for r in sandbox.requests]
    assert all(ks not in str(caught.value) + repr(caught.value.arguments) for ks in sent)
    assert caught.value.arguments["KSID"] == "[redacted]"
    assert caught.value.message.startswith('Invalid KS "[redacted]", Error "-5,EXPIRED"')


def test_revoked_admin_session_is_renewed_transparently(sandbox: KalturaSandbox, client: KalturaClient) -> None:
    room_id = sandbox.seed_room("x")
    client.call("room_room", "get", {"roomId": room_id})
    sandbox.invalidate_sessions()
    sandbox.reset_calls()
    assert client.call("room_room", "get", {"roomId": room_id})["id"] == room_id
    first, second = (r.params["ks"] for r in sandbox.requests)
    assert first != second and sandbox.call_count() == 2


@pytest.mark.parametrize(
    "ks",
    [
        "",
        "not-a-ks",
        generate_ks("another-secret", PARTNER_ID, "x", 2, 600),
        generate_ks(ADMIN_SECRET, 999, "x", 2, 600),
    ],
)
def test_bad_ks_is_rejected(sandbox: KalturaSandbox, ks: str) -> None:
    answer = raw(sandbox, "room_room", "list", {"ks": ks, "format": 1})
    assert answer.json()["code"] == ("MISSING_KS" if not ks else "INVALID_KS")


def test_session_start_needs_the_right_secret(sandbox: KalturaSandbox) -> None:
    ks = raw(
        sandbox,
        "session",
        "start",
        {"format": 1, "secret": ADMIN_SECRET, "partnerId": PARTNER_ID, "type": 2, "userId": "u"},
    )
    assert sandbox.inspect_ks(ks.json()).session_type == 2
    wrong = raw(sandbox, "session", "start", {"format": 1, "secret": "nope", "partnerId": PARTNER_ID, "type": 2})
    assert wrong.json()["code"] == "START_SESSION_ERROR"
    assert "nope" not in wrong.text


# --- outages ------------------------------------------------------------------------------------------------


def test_5xx_reads_retry_a_bounded_number_of_times(
    sandbox: KalturaSandbox, rooms: KalturaRooms, sleeps: list[float]
) -> None:
    room_id = sandbox.seed_room("x")
    sandbox.fail_next(10, status=503)
    with pytest.raises(KalturaUnavailable) as caught:
        rooms.get_room(room_id)
    assert caught.value.code == "HTTP_503"
    assert sandbox.call_count("room_room", "get") == 3
    assert len(sleeps) == 2


def test_5xx_once_then_success(sandbox: KalturaSandbox, rooms: KalturaRooms) -> None:
    room_id = sandbox.seed_room("x")
    sandbox.fail_next(1, status=502, action="get")
    assert rooms.get_room(room_id).id == room_id
    assert sandbox.call_count("room_room", "get") == 2


def test_5xx_on_add_is_not_retried(sandbox: KalturaSandbox, rooms: KalturaRooms, sleeps: list[float]) -> None:
    sandbox.fail_next(10, status=500)
    with pytest.raises(KalturaUnavailable):
        rooms.add_room("Standup")
    assert sandbox.call_count("room_room", "add") == 1
    assert sleeps == [] and sandbox.rooms == []


def test_timeout_is_unavailable_quickly(sandbox: KalturaSandbox, make_client: MakeClient) -> None:
    rooms = KalturaRooms(make_client(read_timeout=0.2))
    room_id = sandbox.seed_room("x")
    sandbox.hang_next(10, seconds=30)
    started = time.monotonic()
    with pytest.raises(KalturaUnavailable) as read:
        rooms.get_room(room_id)
    with pytest.raises(KalturaUnavailable) as add:
        rooms.add_room("Standup")
    assert time.monotonic() - started < 10
    assert (read.value.code, add.value.code) == ("TIMEOUT", "TIMEOUT")
    assert sandbox.call_count("room_room", "get") == 3
    assert sandbox.call_count("room_room", "add") == 1


def test_unreachable_kaltura_is_unavailable(make_client: MakeClient, sleeps: list[float]) -> None:
    from kaltura_discord.local.moto_server import free_port

    client = KalturaClient(
        f"http://127.0.0.1:{free_port()}", PARTNER_ID, AdminSecret(ADMIN_SECRET), sleep=sleeps.append
    )
    with client, pytest.raises(KalturaUnavailable) as caught:
        KalturaRooms(client).add_room("x")
    assert caught.value.code == "CONNECTION_ERROR" and not caught.value.request_sent
    assert len(sleeps) == 2


def test_stop_releases_idle_keep_alive_and_hanging_requests() -> None:
    threads_before = set(threading.enumerate())
    sandbox = KalturaSandbox(partner_id=PARTNER_ID, admin_secret=ADMIN_SECRET).start()
    client = KalturaClient(sandbox.url, PARTNER_ID, AdminSecret(ADMIN_SECRET), read_timeout=0.2, max_attempts=1)
    try:
        KalturaRooms(client).list_rooms()
        sandbox.hang_next(1, seconds=60)
        with pytest.raises(KalturaUnavailable):
            KalturaRooms(client).list_rooms()
        stopper = threading.Thread(target=sandbox.stop, daemon=True)
        stopper.start()
        stopper.join(5)
        assert not stopper.is_alive()
        assert set(threading.enumerate()) - threads_before == set()
    finally:
        client.close()
        sandbox.stop()
