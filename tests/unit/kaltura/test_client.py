from __future__ import annotations

import hashlib
import json
from collections.abc import Callable

import httpx
import pytest

from kaltura_discord import deadline, settings
from kaltura_discord.kaltura import (
    AdminSecret,
    AppToken,
    KalturaClient,
    KalturaError,
    KalturaUnavailable,
    build_privileges,
    client_from_settings,
    get_client,
    parse_ks,
    reset_client,
)

from .conftest import ADMIN_SECRET, NOW, PARTNER_ID, SERVICE_URL, Clock, FakeKaltura, api_exception

pytestmark = pytest.mark.unit

MakeClient = Callable[..., KalturaClient]


def test_request_shape_follows_the_json_transport(fake: FakeKaltura, make_client: MakeClient) -> None:
    client = make_client()
    result = client.call("room_room", "get", {"roomId": "0_abc"}, retry=True)

    assert result["id"] == "0_abc"
    (request,) = fake.requests
    assert request.method == "POST"
    assert str(request.url) == f"{SERVICE_URL}/api_v3/service/room_room/action/get"
    assert request.headers["Content-Type"] == "application/json"
    body = json.loads(request.content)
    assert body["format"] == 1
    assert body["roomId"] == "0_abc"
    assert body["clientTag"].startswith("kaltura-discord:")
    session = parse_ks(body["ks"], ADMIN_SECRET)
    assert session.partner_id == PARTNER_ID
    assert session.session_type == 2
    assert session.privileges == {"disableentitlement": ""}
    assert session.expiry == int(NOW) + 3600


def test_admin_session_is_cached_until_shortly_before_expiry(
    fake: FakeKaltura, make_client: MakeClient, clock: Clock
) -> None:
    client = make_client()
    client.call("room_room", "get", {"roomId": "0_abc"})
    clock.now += 3000
    client.call("room_room", "get", {"roomId": "0_abc"})
    clock.now += 400
    client.call("room_room", "get", {"roomId": "0_abc"})
    first, second, third = (body["ks"] for body in fake.bodies)
    assert first == second
    assert third != second
    assert parse_ks(third, ADMIN_SECRET).expiry == int(clock.now) + 3600


def test_api_exception_is_raised_whatever_the_http_status(fake: FakeKaltura, make_client: MakeClient) -> None:
    fake.reply(
        api_exception("ENTRY_ID_NOT_FOUND", 'Entry id "0_x" not found', ENTRY_ID="0_x"),
        httpx.Response(500, json=api_exception("INTERNAL_SERVER_ERROR")),
    )
    client = make_client()
    with pytest.raises(KalturaError) as first:
        client.call("room_room", "get", {"roomId": "0_x"}, retry=True)
    assert first.value.code == "ENTRY_ID_NOT_FOUND" and first.value.arguments == {"ENTRY_ID": "0_x"}
    with pytest.raises(KalturaError) as second:
        client.call("room_room", "get", {"roomId": "0_x"}, retry=True)
    assert second.value.code == "INTERNAL_SERVER_ERROR"
    assert not isinstance(second.value, KalturaUnavailable)
    assert len(fake.requests) == 2


def test_reads_retry_5xx_with_bounded_jittered_backoff(
    fake: FakeKaltura, make_client: MakeClient, sleeps: list[float]
) -> None:
    fake.reply(*[httpx.Response(503, text="<html>busy</html>")] * 5)
    with pytest.raises(KalturaUnavailable) as caught:
        make_client().call("room_room", "get", {"roomId": "0_abc"}, retry=True)
    assert caught.value.code == "HTTP_503"
    assert len(fake.requests) == 3
    assert sleeps == [0.25, 0.5]


def test_backoff_is_capped(fake: FakeKaltura, make_client: MakeClient, sleeps: list[float]) -> None:
    fake.reply(*[httpx.Response(502)] * 6)
    with pytest.raises(KalturaUnavailable):
        make_client(max_attempts=6, backoff_max=1.0).call("room_room", "list", retry=True)
    assert sleeps == [0.25, 0.5, 1.0, 1.0, 1.0]


def test_a_retry_that_succeeds_returns_the_result(fake: FakeKaltura, make_client: MakeClient) -> None:
    fake.reply(httpx.Response(503), httpx.ReadTimeout, {"objectType": "KalturaRoomEntry", "id": "0_ok", "roomType": 1})
    assert make_client().call("room_room", "get", {"roomId": "0_ok"}, retry=True)["id"] == "0_ok"
    assert len(fake.requests) == 3


@pytest.mark.parametrize(
    "failure", [httpx.Response(503), httpx.Response(429), httpx.ReadTimeout, httpx.RemoteProtocolError]
)
def test_non_idempotent_calls_are_not_repeated_once_sent(
    fake: FakeKaltura, make_client: MakeClient, sleeps: list[float], failure: object
) -> None:
    fake.reply(failure)
    with pytest.raises(KalturaUnavailable) as caught:
        make_client().call("room_room", "add", {"entry": {"objectType": "KalturaRoomEntry", "roomType": 1}})
    assert caught.value.request_sent
    assert len(fake.requests) == 1
    assert sleeps == []


@pytest.mark.parametrize("failure", [httpx.ConnectError, httpx.ConnectTimeout])
def test_non_idempotent_calls_are_repeated_when_the_request_never_left(
    fake: FakeKaltura, make_client: MakeClient, failure: type[httpx.RequestError]
) -> None:
    fake.reply(failure, failure)
    result = make_client().call("room_room", "add", {"entry": {"objectType": "KalturaRoomEntry", "roomType": 1}})
    assert result["id"] == "0_abc"
    assert len(fake.requests) == 3


def test_timeouts_and_connection_errors_are_unavailable(fake: FakeKaltura, make_client: MakeClient) -> None:
    fake.reply(*[httpx.ReadTimeout] * 3, *[httpx.ConnectError] * 3)
    client = make_client()
    with pytest.raises(KalturaUnavailable) as timeout:
        client.call("room_room", "get", {"roomId": "0_abc"}, retry=True)
    with pytest.raises(KalturaUnavailable) as refused:
        client.call("room_room", "get", {"roomId": "0_abc"}, retry=True)
    assert (timeout.value.code, refused.value.code) == ("TIMEOUT", "CONNECTION_ERROR")
    assert len(fake.requests) == 6


def test_under_a_deadline_each_attempt_gets_the_time_left_and_no_retry_outlives_it(
    fake: FakeKaltura, make_client: MakeClient, sleeps: list[float]
) -> None:
    monotonic = Clock(100.0)

    def slow_503(request: httpx.Request) -> httpx.Response:
        monotonic.now += 0.5  # each attempt takes half a second
        return httpx.Response(503)

    fake.reply(slow_503, slow_503, slow_503)
    # 2.5 s left: the deadline's 0.3 s reserve and the 1 s kept for the aftermath leave Kaltura 1.2 s
    with deadline.scope(deadline.Deadline(102.5, clock=monotonic)), pytest.raises(KalturaUnavailable):
        make_client().call("room_room", "get", {"roomId": "0_abc"}, retry=True)
    first, second = (request.extensions["timeout"] for request in fake.requests)  # no third: 0.2 s was left
    assert (first["connect"], first["read"]) == pytest.approx((0.4, 0.8))
    assert (second["connect"], second["read"]) == pytest.approx((0.7 / 3, 0.7 * 2 / 3))
    assert sleeps == [0.25]


def test_with_no_time_left_nothing_is_sent(fake: FakeKaltura, make_client: MakeClient, sleeps: list[float]) -> None:
    monotonic = Clock(100.0)
    with deadline.scope(deadline.Deadline(101.2, clock=monotonic)), pytest.raises(KalturaUnavailable) as caught:
        make_client().call("room_room", "add", {"entry": {"objectType": "KalturaRoomEntry", "roomType": 1}})
    assert (caught.value.code, caught.value.request_sent) == ("TIMEOUT", False)
    assert fake.requests == [] and sleeps == []
    make_client().call("room_room", "get", {"roomId": "0_abc"})  # without a deadline: the client's own timeouts
    assert fake.requests[0].extensions["timeout"]["read"] == 5.0


def test_invalid_ks_renews_the_admin_session_once(fake: FakeKaltura, make_client: MakeClient) -> None:
    fake.reply(api_exception("INVALID_KS"), {"objectType": "KalturaRoomEntry", "id": "0_abc", "roomType": 1})
    client = make_client()
    assert client.call("room_room", "get", {"roomId": "0_abc"})["id"] == "0_abc"
    first, second = (body["ks"] for body in fake.bodies)
    assert first != second
    client.call("room_room", "get", {"roomId": "0_abc"})
    assert fake.bodies[2]["ks"] == second


def test_invalid_ks_twice_gives_up_without_leaking_the_ks(fake: FakeKaltura, make_client: MakeClient) -> None:
    def echo(request: httpx.Request) -> httpx.Response:
        ks = json.loads(request.content)["ks"]
        return httpx.Response(200, json=api_exception("INVALID_KS", f'Invalid KS "{ks}". Error "-5,EXPIRED"', KS=ks))

    fake.reply(echo, echo, echo)
    with pytest.raises(KalturaError) as caught:
        make_client().call("room_room", "add", {"entry": {"objectType": "KalturaRoomEntry", "roomType": 1}})
    assert caught.value.code == "INVALID_KS"
    assert len(fake.requests) == 2
    text = str(caught.value) + repr(caught.value.arguments)
    for body in fake.bodies:
        assert body["ks"] not in text
    assert ADMIN_SECRET not in text
    assert "-5,EXPIRED" in text


def test_invalid_ks_with_an_explicit_ks_is_not_renewed(fake: FakeKaltura, make_client: MakeClient) -> None:
    fake.reply(api_exception("INVALID_KS"))
    with pytest.raises(KalturaError):
        make_client().call("room_room", "get", {"roomId": "0_abc"}, ks="djJ8given")
    assert len(fake.requests) == 1 and fake.bodies[0]["ks"] == "djJ8given"


def test_unauthenticated_call_sends_no_ks(fake: FakeKaltura, make_client: MakeClient) -> None:
    fake.reply({"objectType": "KalturaStartWidgetSessionResponse", "ks": "w"})
    make_client().call("session", "startWidgetSession", {"widgetId": "_1"}, authenticated=False)
    assert "ks" not in fake.bodies[0]


@pytest.mark.parametrize(
    ("response", "code"),
    [
        (httpx.Response(200, text="<?xml version='1.0'?><xml/>"), "INVALID_RESPONSE"),
        (httpx.Response(404, text="not found"), "HTTP_404"),
        (httpx.Response(403, json={"message": "forbidden"}), "HTTP_403"),
    ],
)
def test_other_failures_are_kaltura_errors_not_retried(
    fake: FakeKaltura, make_client: MakeClient, response: httpx.Response, code: str
) -> None:
    fake.reply(response, response)
    with pytest.raises(KalturaError) as caught:
        make_client().call("room_room", "get", {"roomId": "0_abc"}, retry=True)
    assert caught.value.code == code and not caught.value.retryable
    assert len(fake.requests) == 1


def test_void_results_are_none(fake: FakeKaltura, make_client: MakeClient) -> None:
    fake.reply(httpx.Response(200, text=""), httpx.Response(200, text="null"))
    client = make_client()
    assert client.call("room_room", "delete", {"roomId": "0_abc"}) is None
    assert client.call("room_room", "delete", {"roomId": "0_abc"}) is None


@pytest.mark.parametrize(("service", "action"), [("room_room/../x", "get"), ("room_room", "get?x=1"), ("", "get")])
def test_service_and_action_cannot_alter_the_path(make_client: MakeClient, service: str, action: str) -> None:
    with pytest.raises(ValueError):
        make_client().call(service, action)


# --- user sessions ----------------------------------------------------------------------------------------


def test_user_ks_is_generated_locally_with_the_privileges(fake: FakeKaltura, make_client: MakeClient) -> None:
    ks = make_client().user_ks("discord-7", build_privileges({"entryId": "0_abc", "role": "viewerRole"}), 600)
    parsed = parse_ks(ks, ADMIN_SECRET)
    assert (parsed.session_type, parsed.user_id, parsed.expiry) == (0, "discord-7", int(NOW) + 600)
    assert parsed.privileges == {"entryId": "0_abc", "role": "viewerRole"}
    assert fake.requests == []


def test_user_ks_refuses_raw_privilege_strings(make_client: MakeClient) -> None:
    with pytest.raises(TypeError):
        make_client().user_ks("u", "role:adminRole")  # type: ignore[arg-type]


# --- app tokens -------------------------------------------------------------------------------------------


@pytest.mark.parametrize("hash_type", ["SHA1", "md5", "SHA256", "sha512"])
def test_app_token_session_is_started_with_the_token_hash(
    fake: FakeKaltura, make_client: MakeClient, hash_type: str
) -> None:
    fake.reply(
        {"objectType": "KalturaStartWidgetSessionResponse", "partnerId": PARTNER_ID, "ks": "WIDGET-KS", "userId": "0"},
        {"objectType": "KalturaSessionInfo", "ks": "APP-KS", "expiry": int(NOW) + 7200, "sessionType": 2},
        {"objectType": "KalturaRoomEntry", "id": "0_a", "roomType": 1},
        {"objectType": "KalturaRoomEntry", "id": "0_b", "roomType": 1},
    )
    client = make_client(AppToken(id="0_tok", token="TOKEN", hash_type=hash_type, user_id="bot"))
    client.call("room_room", "get", {"roomId": "0_a"})
    client.call("room_room", "get", {"roomId": "0_b"})

    assert fake.paths == [
        "/api_v3/service/session/action/startWidgetSession",
        "/api_v3/service/apptoken/action/startSession",
        "/api_v3/service/room_room/action/get",
        "/api_v3/service/room_room/action/get",
    ]
    widget, start, get_a, get_b = fake.bodies
    assert widget["widgetId"] == f"_{PARTNER_ID}" and "ks" not in widget
    expected = hashlib.new(hash_type.lower(), b"WIDGET-KSTOKEN").hexdigest()
    assert start["tokenHash"] == expected
    assert start["ks"] == "WIDGET-KS"
    assert (start["id"], start["type"], start["userId"]) == ("0_tok", 2, "bot")
    assert get_a["ks"] == get_b["ks"] == "APP-KS"


def test_app_token_session_renews_on_invalid_ks(fake: FakeKaltura, make_client: MakeClient) -> None:
    fake.reply(
        {"ks": "W1", "objectType": "KalturaStartWidgetSessionResponse"},
        {"ks": "S1", "expiry": int(NOW) + 7200, "objectType": "KalturaSessionInfo"},
        api_exception("INVALID_KS"),
        {"ks": "S2", "expiry": int(NOW) + 7200, "objectType": "KalturaSessionInfo"},
        {"objectType": "KalturaRoomEntry", "id": "0_a", "roomType": 1},
    )
    make_client(AppToken(id="t", token="x")).call("room_room", "get", {"roomId": "0_a"})
    assert [b.get("ks") for b in fake.bodies] == [None, "W1", "S1", "W1", "S2"]


def test_rejected_widget_ks_is_replaced_once(fake: FakeKaltura, make_client: MakeClient) -> None:
    fake.reply(
        {"ks": "W1"},
        api_exception("INVALID_KS"),
        {"ks": "W2"},
        {"ks": "S1", "objectType": "KalturaSessionInfo"},
        {"objectType": "KalturaRoomEntry", "id": "0_a", "roomType": 1},
    )
    make_client(AppToken(id="t", token="x")).call("room_room", "get", {"roomId": "0_a"})
    assert [b.get("ks") for b in fake.bodies] == [None, "W1", None, "W2", "S1"]
    assert fake.bodies[3]["tokenHash"] == hashlib.sha1(b"W2x").hexdigest()


def test_app_token_errors_surface_with_their_code(fake: FakeKaltura, make_client: MakeClient) -> None:
    fake.reply({"ks": "W1"}, api_exception("INVALID_APP_TOKEN_HASH", "Invalid application token hash"))
    with pytest.raises(KalturaError) as caught:
        make_client(AppToken(id="t", token="x")).call("room_room", "list")
    assert caught.value.code == "INVALID_APP_TOKEN_HASH"


def test_app_token_mode_without_a_user_token_cannot_mint_user_sessions(
    fake: FakeKaltura, make_client: MakeClient
) -> None:
    with pytest.raises(settings.ConfigurationError, match="KALTURA_USER_APP_TOKEN_ID"):
        make_client(AppToken(id="t", token="x")).user_ks("u", build_privileges({"role": "viewerRole"}))
    assert fake.requests == []


JOIN = build_privileges(
    [("userId", "discord-7"), ("entryId", "0_abc"), ("firstName", "A,role:adminRole"), ("role", "viewerRole")]
)


def session_info(**overrides: object) -> dict[str, object]:
    info: dict[str, object] = {
        "objectType": "KalturaSessionInfo",
        "ks": "USER-KS",
        "userId": "discord-7",
        "sessionType": 0,
        # What apptoken.startSession answers for a USER token made as docs/kaltura.md says: its id twice, its own
        # actionslimit:-1, then the requested privileges that are not server privileges.
        "privileges": f"sessionid:user,apptoken:user,actionslimit:-1,{JOIN}",
        "expiry": int(NOW) + 60,
    }
    info.update(overrides)
    return info


def test_user_token_mints_a_join_session(fake: FakeKaltura, make_client: MakeClient) -> None:
    fake.reply({"ks": "W1"}, session_info(), session_info(ks="USER-KS-2"))
    client = make_client(AppToken(id="admin", token="x"), user_token=AppToken(id="user", token="y", hash_type="SHA256"))
    assert client.user_ks("discord-7", JOIN, 60) == "USER-KS"
    assert client.user_ks("discord-7", JOIN, 60) == "USER-KS-2"
    assert fake.paths.count("/api_v3/service/session/action/startWidgetSession") == 1
    start = fake.bodies[1]
    assert (start["id"], start["type"], start["userId"], start["expiry"]) == ("user", 0, "discord-7", 60)
    assert start["sessionPrivileges"] == "userId:discord-7,entryId:0_abc,firstName:A role adminRole,role:viewerRole"
    assert start["tokenHash"] == hashlib.sha256(b"W1y").hexdigest()


def test_what_the_server_adds_or_drops_does_not_refuse_a_good_session(
    fake: FakeKaltura, make_client: MakeClient
) -> None:
    """No exact echo: the server's own prefix, a token privilege such as setrole, and names in another order."""
    granted = "sessionid:user,apptoken:user,actionslimit:-1,setrole:7,role:viewerRole,entryId:0_abc,userId:discord-7"
    fake.reply({"ks": "W1"}, session_info(privileges=granted))
    client = make_client(AppToken(id="admin", token="x"), user_token=AppToken(id="user", token="y"))
    assert client.user_ks("discord-7", JOIN, 60) == "USER-KS"


@pytest.mark.parametrize(
    "overridden",
    [
        {"sessionType": 2},
        {"userId": "someone-else"},
        {"privileges": str(JOIN)},
        {"privileges": f"actionslimit:10,{JOIN}"},
        {"privileges": "actionslimit:-1,userId:discord-7,entryId:0_abc,role:adminRole,firstName:A role adminRole"},
        {"privileges": "actionslimit:-1,entryId:0_other,userId:discord-7,role:viewerRole"},
        {"privileges": None},
    ],
    ids=["admin type", "other user", "no actionslimit", "positive actionslimit", "other role", "other room", "none"],
)
def test_join_session_overridden_by_the_token_is_never_handed_out(
    fake: FakeKaltura, make_client: MakeClient, overridden: dict[str, object]
) -> None:
    fake.reply({"ks": "W1"}, session_info(**overridden))
    client = make_client(AppToken(id="admin", token="x"), user_token=AppToken(id="user", token="y"))
    with pytest.raises(KalturaError) as caught:
        client.user_ks("discord-7", JOIN, 60)
    assert caught.value.code == "USER_SESSION_REJECTED"
    assert "USER-KS" not in str(caught.value)


def test_unknown_hash_type_is_a_configuration_error() -> None:
    with pytest.raises(settings.ConfigurationError, match="hash type"):
        AppToken(id="t", token="x", hash_type="CRC32")


def test_credentials_do_not_show_secrets_in_repr() -> None:
    assert "s3cret" not in repr(AdminSecret("s3cret")) + repr(AppToken("id", "s3cret"))


# --- the per-container default ----------------------------------------------------------------------------


def test_default_client_is_built_once_from_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KALTURA_PARTNER_ID", "42")
    monkeypatch.setenv("KALTURA_ADMIN_SECRET", "abc")
    monkeypatch.setenv("KALTURA_SERVICE_URL", "https://api.example.test/")
    monkeypatch.delenv("KALTURA_APP_TOKEN_ID", raising=False)
    client = get_client()
    assert get_client() is client
    assert (client.service_url, client.partner_id) == ("https://api.example.test", 42)
    assert client.credentials == AdminSecret("abc")
    timeout = client._http.timeout
    assert (timeout.connect, timeout.read) == (3.0, 10.0)
    reset_client()
    assert get_client() is not client


def test_app_token_mode_is_chosen_by_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KALTURA_PARTNER_ID", "42")
    monkeypatch.setenv("KALTURA_APP_TOKEN_ID", "0_tok")
    monkeypatch.setenv("KALTURA_APP_TOKEN", "tok")
    monkeypatch.setenv("KALTURA_APP_TOKEN_HASH_TYPE", "SHA256")
    monkeypatch.delenv("KALTURA_ADMIN_SECRET", raising=False)
    monkeypatch.delenv("KALTURA_USER_APP_TOKEN_ID", raising=False)
    with client_from_settings() as client:
        assert client.credentials == AppToken(id="0_tok", token="tok", hash_type="SHA256")
        assert client.user_token is None


def test_user_app_token_from_configuration(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("KALTURA_PARTNER_ID", "42")
    monkeypatch.setenv("KALTURA_APP_TOKEN_ID", "0_tok")
    monkeypatch.setenv("KALTURA_APP_TOKEN", "tok")
    monkeypatch.setenv("KALTURA_USER_APP_TOKEN_ID", "0_user")
    monkeypatch.setenv("KALTURA_USER_APP_TOKEN", "utok")
    if "KALTURA_USER_APP_TOKEN" not in settings.SECRET_NAMES:
        with pytest.raises(settings.ConfigurationError, match="SECRET_NAMES"):
            client_from_settings()
        return
    with client_from_settings() as client:
        assert client.user_token == AppToken(id="0_user", token="utok")


@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({"KALTURA_ADMIN_SECRET": "abc"}, "KALTURA_PARTNER_ID"),
        ({"KALTURA_PARTNER_ID": "12x", "KALTURA_ADMIN_SECRET": "abc"}, "KALTURA_PARTNER_ID"),
        ({"KALTURA_PARTNER_ID": "1"}, "KALTURA_ADMIN_SECRET"),
        ({"KALTURA_PARTNER_ID": "1", "KALTURA_APP_TOKEN_ID": "t"}, "KALTURA_APP_TOKEN"),
    ],
)
def test_missing_settings_are_named(monkeypatch: pytest.MonkeyPatch, env: dict[str, str], missing: str) -> None:
    for name in ("KALTURA_PARTNER_ID", "KALTURA_ADMIN_SECRET", "KALTURA_APP_TOKEN_ID", "KALTURA_APP_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    with pytest.raises(settings.ConfigurationError, match=missing):
        client_from_settings()
