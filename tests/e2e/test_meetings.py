"""Meetings end to end: the local stack over HTTP, the Kaltura sandbox and the Discord stand-in."""

from __future__ import annotations

import json
import time
from typing import Any

import pytest

from kaltura_discord.kaltura import parse_ks
from kaltura_discord.local.stack import SANDBOX_ADMIN_SECRET
from tests.e2e.conftest import RunningStack
from tests.support.interactions import GUILD_ID, command, interaction

pytestmark = pytest.mark.e2e

HOST, VIEWER, STRANGER = "1000000000000000301", "1000000000000000302", "1000000000000000303"


def start(stack: RunningStack, title: str, user: str = HOST, guild: str | None = None) -> dict[str, Any]:
    options = [{"name": "type", "type": 3, "value": "meeting"}, {"name": "title", "type": 3, "value": title}]
    extra = {"guild_id": guild} if guild else {}
    payload = command("kaltura-start", options, user_id=user, **extra)
    answer = stack.post(payload).json()
    assert answer == {"type": 5}
    [edit] = stack.wait_for_calls(payload["token"])
    return {"payload": payload, "edit": edit}


def meeting_id_of(edit: dict[str, Any]) -> str:
    join_button = edit["body"]["components"][0]["components"][0]
    assert join_button["label"] == "Join"
    return str(join_button["custom_id"]).split(":", 1)[1]


KS_V2_PREFIX = "djJ8"  # base64 of "v2|": what every Kaltura session starts with


def join(stack: RunningStack, meeting_id: str, user: str) -> dict[str, Any]:
    """``/kaltura-join``: answered at once, ephemerally, with a link to this deployment's redirect."""
    payload = command("kaltura-join", [{"name": "meeting", "type": 3, "value": meeting_id}], user_id=user)
    response = stack.post(payload)
    answer = response.json()
    assert answer["type"] == 4 and answer["data"]["flags"] == 64
    assert KS_V2_PREFIX not in response.text
    return dict(answer["data"])


def link_of(stack: RunningStack, join_body: dict[str, Any]) -> str:
    url = str(join_body["components"][0]["components"][0]["url"])
    assert url.startswith(str(stack.state["api_base_url"]) + "/join/")
    return url


def open_link(stack: RunningStack, url: str) -> dict[str, str]:
    """Open the link as a browser does: one 302 to KAF, whose session was minted just now."""
    opened = stack.http.get(url, headers={"Accept": "text/html"})
    assert opened.status_code == 302, opened.text
    location = opened.headers["location"]
    assert location.startswith("https://") and "/hosted/index/view-entry/ks/" in location
    parsed = parse_ks(location.rsplit("/ks/", 1)[1], SANDBOX_ADMIN_SECRET)
    assert parsed.session_type == 0
    assert 0 < parsed.expiry - time.time() <= 60
    assert parsed.fields["actionslimit"] == "-1"
    return parsed.fields


def ks_fields(stack: RunningStack, join_body: dict[str, Any]) -> dict[str, str]:
    return open_link(stack, link_of(stack, join_body))


def assert_no_session_reached_discord(stack: RunningStack) -> None:
    assert all(KS_V2_PREFIX not in json.dumps(call["body"]) for call in stack.discord_calls())


def test_start_join_end_flow(stack: RunningStack) -> None:
    started = start(stack, "Weekly *sync* @everyone")
    edit = started["edit"]
    assert edit["method"] == "PATCH"
    embed = edit["body"]["embeds"][0]
    assert embed["title"] == "Weekly *sync* @everyone"
    assert {f["name"]: f["value"] for f in embed["fields"]}["Host"] == f"<@{HOST}>"
    assert [b["label"] for b in edit["body"]["components"][0]["components"]] == ["Join", "Share", "End"]
    assert edit["body"]["allowed_mentions"] == {"parse": []}
    meeting_id = meeting_id_of(edit)

    viewer_link = link_of(stack, join(stack, meeting_id, VIEWER))
    viewer = open_link(stack, viewer_link)
    assert (viewer["userId"], viewer["role"]) == (f"discord-{VIEWER}", "viewerRole")
    again = stack.http.get(viewer_link, headers={"Accept": "text/html"})
    assert again.status_code == 410 and "used already" in again.text
    assert again.headers["cache-control"] == "no-store" and KS_V2_PREFIX not in again.text
    host = ks_fields(stack, join(stack, meeting_id, HOST))
    assert (host["userId"], host["role"]) == (f"discord-{HOST}", "adminRole")
    assert viewer["entryId"] == host["entryId"] and viewer["entryId"].startswith("0_")
    pressed = interaction(3, {"custom_id": f"meeting-join:{meeting_id}", "component_type": 2}, user_id=VIEWER)
    button = stack.post(pressed).json()
    assert button["type"] == 4 and button["data"]["flags"] == 64
    assert open_link(stack, link_of(stack, button["data"]))["userId"] == f"discord-{VIEWER}"
    unopened = link_of(stack, join(stack, meeting_id, VIEWER))

    refused = stack.post(
        command("kaltura-end", [{"name": "meeting", "type": 3, "value": meeting_id}], user_id=STRANGER)
    ).json()
    assert refused["type"] == 4 and refused["data"]["flags"] == 64
    assert "host" in refused["data"]["content"]

    end_payload = command("kaltura-end", [{"name": "meeting", "type": 3, "value": meeting_id}], user_id=HOST)
    assert stack.post(end_payload).json() == {"type": 5, "data": {"flags": 64}}
    [ended] = stack.wait_for_calls(end_payload["token"])
    assert "Ended" in ended["body"]["content"]
    message_edits = stack.wait_for(lambda c: c["method"] == "PATCH" and "/channels/" in c["path"])
    assert message_edits and message_edits[-1]["body"]["embeds"][0]["fields"][2]["value"] == "Ended"

    after = join(stack, meeting_id, VIEWER)
    assert "has ended" in after["content"]
    assert not after.get("components")
    late = stack.http.get(unopened, headers={"Accept": "text/html"})
    assert late.status_code == 409 and "has ended" in late.text
    assert_no_session_reached_discord(stack)

    again = stack.post(
        command("kaltura-end", [{"name": "meeting", "type": 3, "value": meeting_id}], user_id=HOST)
    ).json()
    assert "already ended" in again["data"]["content"]


def test_autocomplete_list_and_paging(stack: RunningStack) -> None:
    guild = "1000000000000000999"
    # Seven hosts: one member may start only 5 meetings an hour by default (meetings.max_starts_per_member_per_hour).
    ids = [
        meeting_id_of(start(stack, f"Paging test {n}", user=f"10000000000000004{n:02d}", guild=guild)["edit"])
        for n in range(7)
    ]
    typed = {"name": "meeting", "type": 3, "value": "paging test", "focused": True}
    choices = stack.post(command("kaltura-join", [typed], guild_id=guild) | {"type": 4}).json()
    assert choices["type"] == 8
    assert {c["value"] for c in choices["data"]["choices"]} == set(ids)
    assert choices["data"]["choices"][0]["name"].startswith("Paging test 6")

    listing = stack.post(command("kaltura-list", guild_id=guild)).json()
    assert listing["type"] == 4 and listing["data"]["flags"] == 64
    first_page = listing["data"]
    assert first_page["embeds"][0]["title"] == "Live meetings (7)"
    assert len(first_page["components"][0]["components"]) == 5
    previous, following = first_page["components"][-1]["components"]
    assert previous["disabled"] is True and following["disabled"] is False

    pressed = interaction(3, {"custom_id": following["custom_id"], "component_type": 2}, guild_id=guild)
    second = stack.post(pressed).json()
    assert second["type"] == 7
    assert len(second["data"]["components"][0]["components"]) == 2
    assert second["data"]["embeds"][0]["footer"]["text"] == "Page 2 of 2"


def test_meeting_from_another_guild_is_not_found(stack: RunningStack) -> None:
    meeting_id = meeting_id_of(start(stack, "Private meeting", guild="1000000000000000777")["edit"])
    body = join(stack, meeting_id, VIEWER)
    assert "couldn't find that meeting" in body["content"]


def test_bad_title_is_refused_before_any_work(stack: RunningStack) -> None:
    options = [{"name": "type", "type": 3, "value": "meeting"}, {"name": "title", "type": 3, "value": "  x "}]
    payload = command("kaltura-start", options)
    answer = stack.post(payload).json()
    assert answer["type"] == 4 and answer["data"]["flags"] == 64
    assert "3 to 100 characters" in answer["data"]["content"]
    assert stack.discord_calls(payload["token"]) == []


def test_share_posts_public_message_without_mentions(stack: RunningStack) -> None:
    meeting_id = meeting_id_of(start(stack, "@here Share me")["edit"])
    pressed = interaction(3, {"custom_id": f"meeting-share:{meeting_id}", "component_type": 2})
    assert stack.post(pressed).json() == {"type": 5}
    [shared] = stack.wait_for_calls(pressed["token"])
    assert shared["method"] == "PATCH" and "flags" not in shared["body"]
    assert shared["body"]["allowed_mentions"] == {"parse": []}
    assert "@here" not in shared["body"]["content"]
    assert shared["body"]["components"][0]["components"][0]["custom_id"] == f"meeting-join:{meeting_id}"


# --- app-token mode -----------------------------------------------------------------------------------------


def test_app_token_mode_joins_through_the_user_token(apptoken_stack: RunningStack) -> None:
    """The stack made its two tokens with appToken.add as docs/kaltura.md says, and holds no admin secret."""
    stack = apptoken_stack
    assert stack.state["kaltura_session_mode"] == "apptoken"
    meeting_id = meeting_id_of(start(stack, "Token meeting")["edit"])
    fields = ks_fields(stack, join(stack, meeting_id, VIEWER))
    assert (fields["userId"], fields["role"]) == (f"discord-{VIEWER}", "viewerRole")
    tokens = {token["id"]: token for token in stack.sandbox_state()["app_tokens"]}
    assert fields["apptoken"] in tokens and tokens[fields["apptoken"]]["session_type"] == 0
    assert stack.sandbox_state()["calls"]["apptoken.startSession"] >= 2  # admin session, then the join
    host = ks_fields(stack, join(stack, meeting_id, HOST))
    assert host["role"] == "adminRole" and host["entryId"] == fields["entryId"]
    assert_no_session_reached_discord(stack)


# --- Kaltura failing behind the worker (the sandbox's fault control) ------------------------------------------


def meeting_record(stack: RunningStack, interaction_id: str) -> dict[str, Any] | None:
    import boto3

    from kaltura_discord.meetings.model import meeting_id_for

    client = boto3.client(
        "dynamodb",
        endpoint_url=stack.state["dynamodb_endpoint"],
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )
    key = {"pk": {"S": f"GUILD#{GUILD_ID}"}, "sk": {"S": f"MEETING#{meeting_id_for(interaction_id)}"}}
    item: dict[str, Any] | None = client.get_item(TableName=stack.state["table_name"], Key=key).get("Item")
    return item


def rooms_for(stack: RunningStack, interaction_id: str) -> list[dict[str, Any]]:
    from kaltura_discord.meetings.model import meeting_id_for

    reference = meeting_id_for(interaction_id)
    return [room for room in stack.sandbox_state()["rooms"] if room.get("referenceId") == reference]


def start_payload(title: str) -> dict[str, Any]:
    options = [{"name": "type", "type": 3, "value": "meeting"}, {"name": "title", "type": 3, "value": title}]
    return command("kaltura-start", options, user_id=HOST)


def test_a_lost_answer_on_room_add_ends_with_one_room_and_a_live_meeting(stack: RunningStack) -> None:
    stack.inject_kaltura_fault("lost_answer", "room_room", "add")
    payload = start_payload("Lost answer")
    assert stack.post(payload).json() == {"type": 5}
    [edit] = stack.wait_for_calls(payload["token"])
    assert edit["method"] == "PATCH" and [b["label"] for b in edit["body"]["components"][0]["components"]] == [
        "Join",
        "Share",
        "End",
    ]
    [room] = rooms_for(stack, payload["id"])
    assert room["status"] == 7
    record = meeting_record(stack, payload["id"])
    assert record is not None and record["status"]["S"] == "active" and record["room_id"]["S"] == room["id"]


def test_a_kaltura_refusal_leaves_no_room_and_no_record(stack: RunningStack) -> None:
    stack.inject_kaltura_fault("error", "room_room", "add", code="ENTRY_ID_NOT_FOUND")
    payload = start_payload("Refused")
    assert stack.post(payload).json() == {"type": 5}
    calls = stack.wait_for_calls(payload["token"], count=2)
    assert [c["method"] for c in calls] == ["DELETE", "POST"]
    assert calls[1]["body"]["flags"] == 64 and "Kaltura refused" in calls[1]["body"]["content"]
    assert rooms_for(stack, payload["id"]) == []
    assert meeting_record(stack, payload["id"]) is None


def test_a_kaltura_hang_tells_the_person(stack: RunningStack) -> None:
    stack.inject_kaltura_fault("hang", "room_room", "add", seconds=0.5)
    payload = start_payload("Hung")
    assert stack.post(payload).json() == {"type": 5}
    calls = stack.wait_for_calls(payload["token"], count=2)
    assert calls[1]["body"]["flags"] == 64 and "did not answer in time" in calls[1]["body"]["content"]
    assert rooms_for(stack, payload["id"]) == []
    record = meeting_record(stack, payload["id"])
    assert record is not None and record["status"]["S"] == "failed"  # never listed; it expires
    listing = stack.post(command("kaltura-list")).json()["data"]
    assert "Hung" not in json.dumps(listing)


def test_status_finds_the_rooms(stack: RunningStack) -> None:
    start(stack, "Counted room")
    payload = command("kaltura-status", permissions=1 << 5)
    assert stack.post(payload).json() == {"type": 5, "data": {"flags": 64}}
    [edit] = stack.wait_for_calls(payload["token"])
    line = next(line for line in edit["body"]["content"].splitlines() if "Kaltura" in line and "ok" in line)
    count = int(line.split(" rooms")[0].rsplit(" ", 1)[1])
    assert count >= 1
