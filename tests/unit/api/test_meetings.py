"""Meetings over HTTP: list, get, start (idempotent), end, join links; the guild's command switches apply."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

from kaltura_discord.api.idempotency import Previous
from kaltura_discord.config import config_service
from kaltura_discord.meetings.service import RoomGatewayError
from tests.unit.api.client import LambdaClient, Reply
from tests.unit.api.fakes import KAF_HOST, MemoryBackends
from tests.unit.auth.support import GUILD, OTHER_USER, USER

pytestmark = pytest.mark.unit

MODERATOR_ROLE = "1000000000000000500"
Mint = Callable[..., str]


def start(client: LambdaClient, token: str, title: str = "Weekly sync", **headers: str) -> Reply:
    return client.post("/v1/meetings", json_body={"type": "meeting", "title": title}, token=token, headers=headers)


def configure(overrides: dict[str, Any]) -> None:
    config_service().update(GUILD, overrides, actor_id=USER, summary="test")


def test_start_answers_201_with_the_meeting_and_its_location(client: LambdaClient, mint: Mint) -> None:
    answer = start(client, mint(name="Ada Lovelace"))
    assert answer.status == 201
    body = answer.json()
    assert body["version"] == "1.2.0"
    meeting = body["data"]
    assert answer.headers["location"] == f"/v1/meetings/{meeting['id']}"
    assert meeting["title"] == "Weekly sync" and meeting["status"] == "active"
    assert meeting["host"] == {"id": USER, "name": "Ada Lovelace"}
    assert meeting["created_at"].endswith("Z") and meeting["ended_at"] is None
    assert answer.headers["cache-control"] == "no-store"


def test_list_get_and_filters(client: LambdaClient, mint: Mint) -> None:
    token = mint()
    ids = [start(client, token, f"Meeting {n}").json()["data"]["id"] for n in range(5)]
    client.delete(f"/v1/meetings/{ids[0]}", token=token)

    active = client.get("/v1/meetings", token=token).json()["data"]
    assert [m["id"] for m in active["items"]] == ids[:0:-1]
    assert (active["total"], active["page"], active["next_page"]) == (4, 1, None)
    ended = client.get("/v1/meetings", params={"status": "ended"}, token=token).json()["data"]
    assert [m["id"] for m in ended["items"]] == [ids[0]]
    assert client.get("/v1/meetings", params={"status": "all"}, token=token).json()["data"]["total"] == 5

    first = client.get("/v1/meetings", params={"page_size": 2}, token=token).json()["data"]
    last = client.get("/v1/meetings", params={"page_size": 2, "page": 2}, token=token).json()["data"]
    assert first["next_page"] == 2 and last["next_page"] is None
    assert [m["id"] for m in first["items"] + last["items"]] == ids[:0:-1]
    beyond = client.get("/v1/meetings", params={"page": 9}, token=token).json()["data"]
    assert beyond["items"] == [] and beyond["total"] == 4

    one = client.get(f"/v1/meetings/{ids[1]}", token=token)
    assert one.status == 200 and one.json()["data"]["title"] == "Meeting 1"


@pytest.mark.parametrize(
    ("params", "field"),
    [({"page": 0}, "query.page"), ({"page_size": 101}, "query.page_size"), ({"status": "failed"}, "query.status")],
)
def test_bad_query_parameters_are_422(client: LambdaClient, mint: Mint, params: dict[str, Any], field: str) -> None:
    answer = client.get("/v1/meetings", params=params, token=mint())
    assert (answer.status, answer.error_code) == (422, "validation_failed")
    assert answer.json()["error"]["details"][0]["field"] == field


def test_unknown_and_malformed_meeting_ids(client: LambdaClient, mint: Mint) -> None:
    missing = client.get("/v1/meetings/abcdefghij", token=mint())
    assert (missing.status, missing.error_code) == (404, "meeting_not_found")
    malformed = client.get("/v1/meetings/NOT-AN-ID", token=mint())
    assert (malformed.status, malformed.error_code) == (422, "validation_failed")


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"type": "meeting", "title": "   x   "}, 422, "invalid_meeting"),
        ({"type": "meeting", "title": "ab"}, 422, "validation_failed"),
        ({"type": "party", "title": "Weekly"}, 422, "validation_failed"),
        ({"type": "meeting", "title": "Weekly", "room_id": "0_x"}, 422, "validation_failed"),
        ({"type": "meeting", "title": "x" * 101}, 422, "validation_failed"),
        ({"type": "meeting", "title": "Weekly", "description": "d" * 501}, 422, "validation_failed"),
        ({"type": "meeting", "title": "Lone \ud800 surrogate"}, 422, "validation_failed"),
        ([], 422, "validation_failed"),
    ],
)
def test_invalid_meetings_are_refused(
    client: LambdaClient, mint: Mint, memory: MemoryBackends, body: Any, status: int, code: str
) -> None:
    raw = json.dumps(body).encode()
    answer = client.post("/v1/meetings", content=raw, headers={"content-type": "application/json"}, token=mint())
    assert (answer.status, answer.error_code) == (status, code)
    assert memory.rooms.rooms == {}


def test_malformed_json_is_400(client: LambdaClient, mint: Mint) -> None:
    answer = client.post(
        "/v1/meetings", content=b'{"type": ', headers={"content-type": "application/json"}, token=mint()
    )
    assert (answer.status, answer.error_code) == (400, "malformed_body")


def test_a_retried_create_returns_the_first_response_and_makes_one_room(
    client: LambdaClient, mint: Mint, memory: MemoryBackends
) -> None:
    token = mint()
    first = start(client, token, **{"Idempotency-Key": "0b3c7c3e-retry"})
    again = start(client, token, **{"Idempotency-Key": "0b3c7c3e-retry"})
    assert (first.status, again.status) == (201, 201)
    assert again.json() == first.json()
    assert again.headers["idempotent-replayed"] == "true" and "idempotent-replayed" not in first.headers
    assert again.headers["location"] == first.headers["location"]
    assert len(memory.rooms.rooms) == 1

    other_member = start(client, mint(user_id=OTHER_USER), **{"Idempotency-Key": "0b3c7c3e-retry"})
    assert other_member.json()["data"]["id"] != first.json()["data"]["id"]
    assert len(memory.rooms.rooms) == 2


def test_the_same_key_with_another_body_is_refused(client: LambdaClient, mint: Mint) -> None:
    token = mint()
    start(client, token, "First title", **{"Idempotency-Key": "k-1"})
    answer = start(client, token, "Second title", **{"Idempotency-Key": "k-1"})
    assert (answer.status, answer.error_code) == (422, "idempotency_key_reused")


def test_a_key_still_in_progress_is_409(client: LambdaClient, mint: Mint, memory: MemoryBackends) -> None:
    token = mint()
    assert start(client, token, **{"Idempotency-Key": "k-2"}).status == 201
    [(key, record)] = memory.idempotency.records.items()
    memory.idempotency.records[key] = Previous(record.fingerprint, "in_progress")
    answer = start(client, token, **{"Idempotency-Key": "k-2"})
    assert (answer.status, answer.error_code) == (409, "request_in_progress")
    assert answer.headers["retry-after"] == "1"


def test_a_failed_create_frees_its_key(
    client: LambdaClient, mint: Mint, memory: MemoryBackends, monkeypatch: pytest.MonkeyPatch
) -> None:
    token = mint()

    def refuse(*_args: Any, **_kwargs: Any) -> str:
        raise RoomGatewayError("no", "TEMPLATE_NOT_FOUND")

    with monkeypatch.context() as patched:
        patched.setattr(memory.rooms, "create_room", refuse)
        failed = start(client, token, **{"Idempotency-Key": "k-3"})
    assert (failed.status, failed.error_code) == (503, "backend_unavailable")
    assert "TEMPLATE_NOT_FOUND" in failed.json()["error"]["message"]
    assert memory.idempotency.records == {}
    assert start(client, token, **{"Idempotency-Key": "k-3"}).status == 201


@pytest.mark.parametrize("key", ["", "has space", "\u00e9t\u00e9", "k" * 256])
def test_malformed_idempotency_keys(client: LambdaClient, mint: Mint, key: str) -> None:
    answer = start(client, mint(), **{"Idempotency-Key": key})
    assert (answer.status, answer.error_code) == (422, "validation_failed")


def test_end_is_for_the_host_or_moderators(client: LambdaClient, mint: Mint, memory: MemoryBackends) -> None:
    configure({"roles": {"mapping": {MODERATOR_ROLE: "moderator"}}, "kaltura": {"end_action": "update"}})
    host = mint()
    meeting_id = start(client, host).json()["data"]["id"]

    stranger = client.delete(f"/v1/meetings/{meeting_id}", token=mint(user_id=OTHER_USER))
    assert (stranger.status, stranger.error_code) == (403, "forbidden")
    assert stranger.json()["error"]["message"] == (  # English, whatever languages the bot speaks in Discord
        "Only the meeting's host or a Kaltura moderator or admin of this server can end it."
    )

    moderator = client.delete(f"/v1/meetings/{meeting_id}", token=mint(user_id=OTHER_USER, roles=(MODERATOR_ROLE,)))
    assert moderator.status == 200
    ended = moderator.json()["data"]
    assert (ended["status"], ended["ended_by"]) == ("ended", OTHER_USER)
    [room] = memory.rooms.rooms.values()
    assert room["ended"] is True

    twice = client.delete(f"/v1/meetings/{meeting_id}", token=host)
    assert (twice.status, twice.error_code) == (409, "meeting_ended")
    assert "**" not in twice.json()["error"]["message"]


def test_join_links_carry_the_members_role(client: LambdaClient, mint: Mint, memory: MemoryBackends) -> None:
    host = mint()
    meeting_id = start(client, host).json()["data"]["id"]

    link = client.post(f"/v1/meetings/{meeting_id}/join", token=mint(user_id=OTHER_USER)).json()["data"]
    assert link["url"].startswith("https://api.test/v1/join/")
    assert link["meeting"]["id"] == meeting_id and link["expires_at"].endswith("Z")
    opened = client.get(link["url"])
    assert opened.status == 302
    assert opened.headers["location"].startswith(f"https://{KAF_HOST}/hosted/index/view-entry/ks/")
    assert opened.headers["referrer-policy"] == "no-referrer"
    assert opened.headers["cache-control"] == "no-store"

    client.get(client.post(f"/v1/meetings/{meeting_id}/join", token=host).json()["data"]["url"])
    viewer, hosting = memory.rooms.joins
    assert (viewer["user_id"], viewer["moderator"]) == (f"discord-{OTHER_USER}", False)
    assert (hosting["user_id"], hosting["moderator"]) == (f"discord-{USER}", True)


def test_a_link_lives_as_long_as_the_servers_join_links(client: LambdaClient, mint: Mint) -> None:
    import datetime as dt

    token = mint()
    meeting_id = start(client, token).json()["data"]["id"]
    link = client.post(f"/v1/meetings/{meeting_id}/join", token=token).json()["data"]
    expires = dt.datetime.fromisoformat(link["expires_at"].replace("Z", "+00:00")).timestamp()
    assert 890 <= expires - dt.datetime.now(dt.UTC).timestamp() <= 900  # kaltura.join_link_ttl_seconds


def test_a_forged_host_header_does_not_choose_where_links_point(client: LambdaClient, mint: Mint) -> None:
    token = mint()
    meeting_id = start(client, token).json()["data"]["id"]
    forged = client.post(f"/v1/meetings/{meeting_id}/join", token=token, headers={"host": "evil.example"})
    assert forged.json()["data"]["url"].startswith("https://api.test/v1/join/")


BROWSER = {"accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"}


def test_a_browser_is_told_in_a_page_why_a_link_does_not_open(
    client: LambdaClient, mint: Mint, memory: MemoryBackends
) -> None:
    token = mint()
    meeting_id = start(client, token).json()["data"]["id"]
    url = client.post(f"/v1/meetings/{meeting_id}/join", token=token).json()["data"]["url"]
    memory.rooms.unavailable = True
    down = client.get(url, headers=BROWSER)
    assert down.status == 503 and down.headers["content-type"].startswith("text/html")
    assert "<title>" in down.text and '<html lang="en">' in down.text and "try it again" in down.text
    memory.rooms.unavailable = False
    assert client.get(url, headers=BROWSER).status == 302
    used = client.get(url, headers=BROWSER)
    assert used.status == 410 and "used already" in used.text and "/kaltura-join" in used.text
    assert used.headers["cache-control"] == "no-store"
    assert "ks/" not in used.text and "error" not in used.json_or_none()
    bogus = client.get("/v1/join/not-a-token", headers=BROWSER)
    assert bogus.status == 401 and "not valid" in bogus.text and "www-authenticate" not in bogus.headers
    client.delete(f"/v1/meetings/{meeting_id}", token=token)
    fresh = client.post(f"/v1/meetings/{start(client, token).json()['data']['id']}/join", token=token)
    assert fresh.status == 200
    api_client = client.get(url)
    assert api_client.headers["content-type"].startswith("application/json") and api_client.status == 410


def test_join_after_the_end(client: LambdaClient, mint: Mint) -> None:
    token = mint()
    meeting_id = start(client, token).json()["data"]["id"]
    url = client.post(f"/v1/meetings/{meeting_id}/join", token=token).json()["data"]["url"]
    client.delete(f"/v1/meetings/{meeting_id}", token=token)

    refused = client.post(f"/v1/meetings/{meeting_id}/join", token=token)
    assert (refused.status, refused.error_code) == (409, "meeting_ended")
    late = client.get(url)
    assert (late.status, late.error_code) == (409, "meeting_ended")


def test_a_link_survives_kaltura_not_answering(client: LambdaClient, mint: Mint, memory: MemoryBackends) -> None:
    token = mint()
    meeting_id = start(client, token).json()["data"]["id"]
    url = client.post(f"/v1/meetings/{meeting_id}/join", token=token).json()["data"]["url"]
    memory.rooms.unavailable = True
    failed = client.get(url)
    assert (failed.status, failed.error_code) == (503, "backend_unavailable")
    assert failed.headers["retry-after"]
    memory.rooms.unavailable = False
    assert client.get(url).status == 302
    assert client.get(url).status == 410


@pytest.mark.parametrize(
    ("command", "method", "path"),
    [
        ("kaltura-start", "POST", "/v1/meetings"),
        ("kaltura-list", "GET", "/v1/meetings"),
        ("kaltura-end", "DELETE", "/v1/meetings/{id}"),
        ("kaltura-join", "POST", "/v1/meetings/{id}/join"),
    ],
)
def test_the_guilds_command_switches_apply(
    client: LambdaClient, mint: Mint, command: str, method: str, path: str
) -> None:
    token = mint()
    meeting_id = start(client, token).json()["data"]["id"]
    body = {"type": "meeting", "title": "Another"} if method == "POST" and "join" not in path else None
    url = path.format(id=meeting_id)

    configure({"commands": {command: {"enabled": False}}})
    off = client.request(method, url, json_body=body, token=token)
    assert (off.status, off.error_code) == (403, "command_disabled")

    configure({"commands": {command: {"allowed_role_ids": [MODERATOR_ROLE]}}})
    limited = client.request(method, url, json_body=body, token=token)
    assert (limited.status, limited.error_code) == (403, "forbidden")
    allowed = client.request(method, url, json_body=body, token=mint(roles=(MODERATOR_ROLE,)))
    assert allowed.status in (200, 201)
