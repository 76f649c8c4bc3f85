"""The sandbox fails where the Kaltura server fails: each rule here names the server file it was read from.

These are the rules that hid two defects while the sandbox was kinder than the server (room lists forced to
READY, app-token privileges dropped); a sandbox that forgets one of them turns a test of the product green for
the wrong reason.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import Any

import httpx
import pytest

from kaltura_discord.kaltura import AdminSecret, AppToken, KalturaClient, KalturaError, KalturaUnavailable, generate_ks
from kaltura_discord.kaltura.app_tokens import create_deployment_tokens
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox

from .conftest import ADMIN_SECRET, PARTNER_ID

pytestmark = pytest.mark.integration

MakeClient = Callable[..., KalturaClient]


def call(sandbox: KalturaSandbox, service: str, action: str, **params: Any) -> Any:
    """One JSON call as the official clients make it (format=1, exact content type)."""
    with httpx.Client(timeout=5.0) as http:
        answer = http.post(
            f"{sandbox.url}/api_v3/service/{service}/action/{action}",
            content=json.dumps({"format": 1, **params}).encode(),
            headers={"Content-Type": "application/json"},
        )
    return answer.json()


def admin_ks(**overrides: Any) -> str:
    args: dict[str, Any] = {"secret": ADMIN_SECRET, "partner_id": PARTNER_ID, "user_id": "admin", "session_type": 2}
    args.update({"expiry": 600, **overrides})
    return generate_ks(**args)


def add_room(sandbox: KalturaSandbox, **entry: Any) -> dict[str, Any]:
    result: dict[str, Any] = call(
        sandbox, "room_room", "add", ks=admin_ks(), entry={"objectType": "KalturaRoomEntry", "roomType": 1, **entry}
    )
    return result


def listed(sandbox: KalturaSandbox, **conditions: Any) -> list[str]:
    answer = call(
        sandbox, "room_room", "list", ks=admin_ks(), filter={"objectType": "KalturaRoomEntryFilter", **conditions}
    )
    return [room["id"] for room in answer["objects"]]


# --- rooms: plugins/room/services/RoomService.php, KalturaBaseEntryFilter.php --------------------------------


def test_a_new_room_is_no_content_and_a_plain_list_shows_only_ready_rooms(sandbox: KalturaSandbox) -> None:
    ready = sandbox.seed_room("an older room")
    new = add_room(sandbox, referenceId="m-1")
    assert new["status"] == 7
    assert listed(sandbox) == [ready]
    assert listed(sandbox, referenceIdEqual="m-1") == []
    assert listed(sandbox, referenceIdEqual="m-1", statusIn="2,7") == [new["id"]]
    assert listed(sandbox, idEqual=new["id"]) == [new["id"]]  # idEqual lifts the default status
    assert listed(sandbox, idIn=new["id"]) == []  # idIn does not (only idEqual skips setDefaultStatus)
    assert listed(sandbox, statusEqual=7) == [new["id"]]
    assert listed(sandbox, statusNotIn="2") == [new["id"]]
    assert listed(sandbox, statusNotEqual=7) == [ready]


def test_room_type_filter_and_unknown_status_values(sandbox: KalturaSandbox) -> None:
    room = add_room(sandbox)
    breakout = add_room(sandbox, roomType=2)
    assert listed(sandbox, roomTypeEqual=2, statusIn="7") == [breakout["id"]]
    assert listed(sandbox, roomTypeEqual=1, statusIn="7") == [room["id"]]
    refused = call(sandbox, "room_room", "list", ks=admin_ks(), filter={"statusIn": "7,99"})
    assert (refused["code"], refused["args"]["ENUM_VAL"]) == ("INVALID_ENUM_VALUE", "99")


def test_page_size_is_clamped_to_500_not_refused(sandbox: KalturaSandbox) -> None:
    for number in range(501):
        sandbox.seed_room(f"room {number}")
    answer = call(sandbox, "room_room", "list", ks=admin_ks(), pager={"pageSize": 1000})
    assert (len(answer["objects"]), answer["totalCount"]) == (500, 501)


def test_templates_must_be_rooms_and_reference_ids_two_characters(sandbox: KalturaSandbox) -> None:
    media = sandbox.seed_entry()
    not_a_room = add_room(sandbox, templateRoomEntryId=media)
    assert (not_a_room["code"], not_a_room["args"]) == ("INVALID_FIELD_VALUE", {"FIELD_NAME": "templateRoomEntryId"})
    missing = add_room(sandbox, templateRoomEntryId="0_nothere1")
    assert (missing["code"], missing["message"]) == ("ENTRY_ID_NOT_FOUND", 'Entry id "0_nothere1" not found')
    short = add_room(sandbox, referenceId="x")
    assert (short["code"], short["args"]) == (
        "PROPERTY_VALIDATION_MIN_LENGTH",
        {"PROP_NAME": "KalturaRoomEntry::referenceId", "MIN_LEN": "2"},
    )
    assert sandbox.rooms == []
    template = sandbox.seed_room("webinar template")
    assert add_room(sandbox, templateRoomEntryId=template)["templateRoomEntryId"] == template


# --- sessions: kSessionBase.class.php, kSessionUtils.class.php, KalturaErrors.php -----------------------------


@pytest.mark.parametrize("limit", ["-1", "0", "x"])
def test_a_ks_with_actionslimit_not_positive_is_refused_for_every_call(sandbox: KalturaSandbox, limit: str) -> None:
    room = sandbox.seed_room("x")
    ks = admin_ks(privileges=f"actionslimit:{limit}")
    for service, action, params in (
        ("room_room", "get", {"roomId": room}),
        ("room_room", "list", {}),
        ("apptoken", "add", {"appToken": {"objectType": "KalturaAppToken"}}),
    ):
        answer = call(sandbox, service, action, ks=ks, **params)
        assert (answer["code"], answer["message"], answer["args"]) == (
            "INVALID_ACTIONS_LIMIT",
            "Invalid actions limit",
            [],
        )
    assert call(sandbox, "room_room", "get", ks=admin_ks(privileges="actionslimit:5"), roomId=room)["id"] == room


def test_error_texts_and_arguments_as_the_server_sends_them(sandbox: KalturaSandbox) -> None:
    expired = admin_ks(expiry=-10)
    invalid = call(sandbox, "room_room", "list", ks=expired)
    assert invalid["message"] == f'Invalid KS "{expired}", Error "-5,EXPIRED"'
    assert invalid["args"] == {"KSID": expired, "ERR_CODE": "-5", "ERR_DESC": "EXPIRED"}
    widget = call(sandbox, "session", "startWidgetSession", widgetId=f"_{PARTNER_ID}")["ks"]
    forbidden = call(sandbox, "room_room", "add", ks=widget, entry={"roomType": 1})
    assert (forbidden["code"], forbidden["args"]) == ("SERVICE_FORBIDDEN", {"SERVICE": "room_room->add"})
    assert forbidden["message"] == "The access to service [room_room->add] is forbidden"
    assert call(sandbox, "room_room", "list")["args"] == []  # MISSING_KS has no arguments
    unknown = call(sandbox, "room_room", "end", ks=admin_ks())
    assert unknown["args"] == {"ACTION_NAME": "end", "SERVICE_NAME": "room_room"}


def test_apptoken_start_session_drops_server_privileges_and_lets_the_token_win(sandbox: KalturaSandbox) -> None:
    """AppTokenService::startSessionAction with kSessionUtils::retrieveAllowedAppSessionPrivileges."""
    token = sandbox.add_app_token(
        session_type=0, session_privileges="actionslimit:-1,role:viewerRole", session_duration=60
    )
    widget = call(sandbox, "session", "startWidgetSession", widgetId=f"_{PARTNER_ID}")["ks"]
    from kaltura_discord.kaltura.client import HASH_TYPES

    info = call(
        sandbox,
        "apptoken",
        "startSession",
        ks=widget,
        id=token.id,
        tokenHash=HASH_TYPES["SHA1"]((widget + token.token).encode()).hexdigest(),
        type=2,
        userId="discord-5",
        expiry=3600,
        sessionPrivileges="actionslimit:100,setrole:9,role:adminRole,entryId:0_room1,privacycontext:x",
    )
    assert (
        info["privileges"]
        == f"sessionid:{token.id},apptoken:{token.id},actionslimit:-1,role:viewerRole,entryId:0_room1"
    )
    assert (info["sessionType"], info["userId"]) == (0, "discord-5")
    assert info["expiry"] - time.time() <= 60  # the token's shorter duration wins
    session = sandbox.inspect_ks(info["ks"])
    assert session.privileges["role"] == "viewerRole" and "setrole" not in session.privileges


def test_app_tokens_made_with_apptoken_add_work_as_the_docs_say(
    sandbox: KalturaSandbox, make_client: MakeClient
) -> None:
    """The two tokens of docs/kaltura.md, made over HTTP with appToken.add (an ADMIN session only)."""
    with make_client(AdminSecret(ADMIN_SECRET)) as admin_client:
        admin, user = create_deployment_tokens(admin_client)
    stored = {token.id: token for token in sandbox.app_tokens}
    assert (stored[user.id].session_type, stored[user.id].session_privileges) == (0, "actionslimit:-1")
    assert stored[user.id].session_user_id is None and stored[admin.id].session_type == 2
    client = make_client(
        AppToken(admin.id, admin.token, admin.hash_type), user_token=AppToken(user.id, user.token, user.hash_type)
    )
    from kaltura_discord.kaltura import KalturaRooms

    rooms = KalturaRooms(client)
    room = rooms.add_room("with tokens")
    assert rooms.list_rooms({"referenceIdEqual": "nope"}).rooms == ()
    url = rooms.join_url(room.id, user_id="discord-9", first_name="A", last_name="B", moderator=False)
    fields = sandbox.inspect_ks(url.rsplit("/", 1)[1]).privileges
    assert (fields["actionslimit"], fields["entryId"], fields["role"]) == ("-1", room.id, "viewerRole")
    user_ks = client.user_ks("discord-9", rooms_join_privileges(room.id))
    assert call(sandbox, "apptoken", "add", ks=user_ks, appToken={})["code"] == "INVALID_ACTIONS_LIMIT"
    plain_user = generate_ks(ADMIN_SECRET, PARTNER_ID, "someone", 0, 600)
    assert call(sandbox, "apptoken", "add", ks=plain_user, appToken={})["code"] == "SERVICE_FORBIDDEN"


def rooms_join_privileges(room_id: str) -> Any:
    from kaltura_discord.kaltura import join_privileges

    return join_privileges(user_id="discord-9", room_id=room_id, first_name="A", last_name="B", moderator=False)


# --- faults, in-process and over the control route ------------------------------------------------------------


def test_a_lost_answer_performs_the_action_and_a_hang_does_not(sandbox: KalturaSandbox, client: KalturaClient) -> None:
    from kaltura_discord.kaltura import KalturaRooms

    rooms = KalturaRooms(client)
    sandbox.inject("lost_answer", service="room_room", action="add")
    with pytest.raises(KalturaUnavailable):
        rooms.add_room("lost", reference_id="lost-1")
    assert [r.id for r in rooms.list_rooms({"referenceIdEqual": "lost-1"}).rooms] == [sandbox.rooms[0]["id"]]
    sandbox.inject("hang", service="room_room", action="add", seconds=0.2)
    with pytest.raises(KalturaUnavailable):
        rooms.add_room("hung", reference_id="hung-1")
    assert rooms.list_rooms({"referenceIdEqual": "hung-1"}).rooms == ()
    sandbox.inject("reset", service="room_room", action="add")
    with pytest.raises(KalturaUnavailable):
        rooms.add_room("reset", reference_id="reset-1")
    sandbox.inject("error", service="room_room", action="add", code="SERVICE_FORBIDDEN")
    with pytest.raises(KalturaError) as refused:
        rooms.add_room("refused", reference_id="refused-1")
    assert refused.value.code == "SERVICE_FORBIDDEN" and not isinstance(refused.value, KalturaUnavailable)
    assert len(sandbox.rooms) == 1


def test_faults_can_be_set_over_http_for_the_local_stack(sandbox: KalturaSandbox) -> None:
    with httpx.Client(timeout=5.0) as http:
        created = http.post(
            f"{sandbox.url}/_sandbox/faults", json={"kind": "status", "status": 502, "service": "room_room"}
        )
        assert created.status_code == 201
        assert http.post(f"{sandbox.url}/_sandbox/faults", json={"kind": "explode"}).status_code == 400
        state = http.get(f"{sandbox.url}/_sandbox/state").json()
        assert state["faults"][0]["kind"] == "status" and state["partner_id"] == PARTNER_ID
        failed = http.post(
            f"{sandbox.url}/api_v3/service/room_room/action/list",
            content=json.dumps({"format": 1, "ks": admin_ks()}).encode(),
            headers={"Content-Type": "application/json"},
        )
        assert failed.status_code == 502 and failed.headers["content-type"] == "text/html"
        assert http.delete(f"{sandbox.url}/_sandbox/faults").json() == {"cleared": True}
        assert http.get(f"{sandbox.url}/_sandbox/state").json()["calls"] == {"room_room.list": 1}
        assert http.get(f"{sandbox.url}/_sandbox/nothing").status_code == 404
