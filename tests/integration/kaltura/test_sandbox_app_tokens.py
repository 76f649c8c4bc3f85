from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable

import httpx
import pytest

from kaltura_discord import settings
from kaltura_discord.kaltura import AppToken, KalturaClient, KalturaError, KalturaRooms, build_privileges
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox

pytestmark = pytest.mark.integration

MakeClient = Callable[..., KalturaClient]


@pytest.mark.parametrize("hash_type", ["SHA1", "MD5", "SHA256", "SHA512"])
def test_app_token_session_then_cached(sandbox: KalturaSandbox, make_client: MakeClient, hash_type: str) -> None:
    token = sandbox.add_app_token(hash_type=hash_type, session_user_id="kaltura-discord-bot")
    rooms = KalturaRooms(make_client(AppToken(id=token.id, token=token.token, hash_type=hash_type)))
    rooms.add_room("first")
    rooms.add_room("second")
    assert sandbox.calls == {"session.startWidgetSession": 1, "apptoken.startSession": 1, "room_room.add": 2}
    assert {room["userId"] for room in sandbox.rooms} == {"kaltura-discord-bot"}
    session_ks = sandbox.requests[-1].params["ks"]
    assert sandbox.inspect_ks(session_ks).session_type == 2


def test_wrong_hash_type_is_invalid_hash(sandbox: KalturaSandbox, make_client: MakeClient) -> None:
    token = sandbox.add_app_token(hash_type="SHA256")
    client = make_client(AppToken(id=token.id, token=token.token, hash_type="SHA1"))
    with pytest.raises(KalturaError) as caught:
        KalturaRooms(client).list_rooms()
    assert caught.value.code == "INVALID_APP_TOKEN_HASH"
    assert token.token not in str(caught.value)


@pytest.mark.parametrize(
    ("setup", "code"),
    [
        ({"active": False}, "APP_TOKEN_NOT_ACTIVE"),
        ({"expiry": 1}, "APP_TOKEN_EXPIRED"),
    ],
)
def test_unusable_tokens(sandbox: KalturaSandbox, make_client: MakeClient, setup: dict[str, object], code: str) -> None:
    token = sandbox.add_app_token(**setup)  # type: ignore[arg-type]
    with pytest.raises(KalturaError) as caught:
        KalturaRooms(make_client(AppToken(id=token.id, token=token.token))).list_rooms()
    assert caught.value.code == code


def test_unknown_token(make_client: MakeClient) -> None:
    with pytest.raises(KalturaError) as caught:
        KalturaRooms(make_client(AppToken(id="0_nothere", token="x"))).list_rooms()
    assert caught.value.code == "APP_TOKEN_ID_NOT_FOUND"


def test_token_session_type_wins(sandbox: KalturaSandbox, make_client: MakeClient) -> None:
    """The client asks for an ADMIN session; a token fixed to USER gives a USER one, which may not delete a room
    it does not own (the server's ownership check)."""
    token = sandbox.add_app_token(session_type=0, session_user_id="someone")
    rooms = KalturaRooms(make_client(AppToken(id=token.id, token=token.token)))
    seeded = sandbox.seed_room("the admin's room")
    with pytest.raises(KalturaError) as caught:
        rooms.delete_room(seeded)
    assert caught.value.code == "INVALID_KS" and caught.value.arguments["ERR_DESC"] == "INVALID_TYPE"
    assert sandbox.inspect_ks(sandbox.requests[-1].params["ks"]).session_type == 0
    assert sandbox.room(seeded) is not None


def test_widget_ks_alone_cannot_manage_rooms(sandbox: KalturaSandbox, client: KalturaClient) -> None:
    widget = client.call("session", "startWidgetSession", {"widgetId": f"_{sandbox.partner_id}"}, authenticated=False)
    with pytest.raises(KalturaError) as caught:
        client.call("room_room", "list", ks=widget["ks"])
    assert caught.value.code == "SERVICE_FORBIDDEN"
    with pytest.raises(KalturaError) as wrong:
        client.call("session", "startWidgetSession", {"widgetId": "_1"}, authenticated=False)
    assert wrong.value.code == "INVALID_WIDGET_ID"


def test_app_token_mode_without_user_token_refuses_join_links(sandbox: KalturaSandbox, make_client: MakeClient) -> None:
    token = sandbox.add_app_token()
    client = make_client(AppToken(id=token.id, token=token.token))
    with pytest.raises(settings.ConfigurationError):
        client.user_ks("discord-1", build_privileges({"role": "viewerRole"}))


def test_join_links_from_a_user_token(sandbox: KalturaSandbox, make_client: MakeClient) -> None:
    """The USER token as docs/kaltura.md says to create it: actionslimit comes from the token, since the server
    drops it from the request; the person, room and role come from the request."""
    admin = sandbox.add_app_token()
    user = sandbox.add_app_token(session_type=0, hash_type="SHA512", session_privileges="actionslimit:-1")
    client = make_client(AppToken(id=admin.id, token=admin.token), user_token=AppToken(user.id, user.token, "SHA512"))
    rooms = KalturaRooms(client)
    room = rooms.add_room("Standup")
    sandbox.reset_calls()
    url = rooms.join_url(
        room.id,
        user_id="discord-5",
        first_name="x,role:adminRole",
        last_name="B",
        moderator=False,
        kaf_base_url="kaf.example.com",
    )
    assert sandbox.calls == {"apptoken.startSession": 1}
    session = sandbox.inspect_ks(url.rsplit("/", 1)[1])
    assert (session.session_type, session.user_id) == (0, "discord-5")
    assert session.expiry - time.time() <= 60
    assert session.privileges == {
        "sessionid": user.id,
        "apptoken": user.id,
        "actionslimit": "-1",
        "userId": "discord-5",
        "entryId": room.id,
        "firstName": "x role adminRole",
        "lastName": "B",
        "role": "viewerRole",
    }


@pytest.mark.parametrize(
    "fixed",
    [
        {"session_type": 2, "session_privileges": "actionslimit:-1"},
        {"session_type": None, "session_user_id": "shared-user", "session_privileges": "actionslimit:-1"},
        {"session_type": 0, "session_privileges": "actionslimit:-1,role:viewerRole"},
        {"session_type": 0, "session_privileges": "actionslimit:-1,entryId:0_another1"},
        {"session_type": 0},
        {"session_type": 0, "session_privileges": "actionslimit:5"},
    ],
    ids=["admin type", "fixed user", "fixed role", "fixed room", "no actionslimit", "positive actionslimit"],
)
def test_user_token_that_fixes_the_session_is_refused(
    sandbox: KalturaSandbox, make_client: MakeClient, fixed: dict[str, object]
) -> None:
    admin = sandbox.add_app_token()
    user = sandbox.add_app_token(**fixed)  # type: ignore[arg-type]
    client = make_client(AppToken(id=admin.id, token=admin.token), user_token=AppToken(user.id, user.token))
    room_id = sandbox.seed_room("x")
    with pytest.raises(KalturaError) as caught:
        KalturaRooms(client).join_url(room_id, user_id="discord-5", first_name="A", last_name="B", moderator=True)
    assert caught.value.code == "USER_SESSION_REJECTED"


def test_runnable_prints_its_url_and_serves() -> None:
    command = [
        sys.executable,
        "-m",
        "kaltura_discord.local.kaltura_sandbox",
        "--port",
        "0",
        "--partner-id",
        "4242",
        "--admin-secret",
        "cli-secret",
        "--app-token",
        "0_cli:tok:SHA256",
    ]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            assert url.startswith("http://127.0.0.1:")
            with KalturaClient(url, 4242, AppToken(id="0_cli", token="tok", hash_type="SHA256")) as client:
                assert KalturaRooms(client).list_rooms().total_count == 0
            assert httpx.get(f"{url}/nothing", timeout=5).status_code == 404
        finally:
            process.terminate()
            process.wait(timeout=10)
