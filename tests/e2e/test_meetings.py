"""Meetings end to end: the local stack over HTTP, the Kaltura sandbox and the Discord stand-in."""

from __future__ import annotations

from typing import Any

import pytest

from kaltura_discord.kaltura import parse_ks
from kaltura_discord.local.stack import SANDBOX_ADMIN_SECRET
from tests.e2e.conftest import RunningStack
from tests.support.interactions import command, interaction

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


def join(stack: RunningStack, meeting_id: str, user: str) -> dict[str, Any]:
    payload = command("kaltura-join", [{"name": "meeting", "type": 3, "value": meeting_id}], user_id=user)
    assert stack.post(payload).json() == {"type": 5, "data": {"flags": 64}}
    [edit] = stack.wait_for_calls(payload["token"])
    return dict(edit["body"])


def ks_fields(join_body: dict[str, Any]) -> dict[str, str]:
    url = join_body["components"][0]["components"][0]["url"]
    assert url.startswith("https://") and "/hosted/index/view-entry/ks/" in url
    parsed = parse_ks(url.rsplit("/ks/", 1)[1], SANDBOX_ADMIN_SECRET)
    assert parsed.session_type == 0
    return parsed.fields


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

    viewer = ks_fields(join(stack, meeting_id, VIEWER))
    assert (viewer["userId"], viewer["role"]) == (f"discord-{VIEWER}", "viewerRole")
    host = ks_fields(join(stack, meeting_id, HOST))
    assert (host["userId"], host["role"]) == (f"discord-{HOST}", "adminRole")
    assert viewer["entryId"] == host["entryId"] and viewer["entryId"].startswith("0_")

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

    again = stack.post(
        command("kaltura-end", [{"name": "meeting", "type": 3, "value": meeting_id}], user_id=HOST)
    ).json()
    assert "already ended" in again["data"]["content"]


def test_autocomplete_list_and_paging(stack: RunningStack) -> None:
    guild = "1000000000000000999"
    ids = [meeting_id_of(start(stack, f"Paging test {n}", guild=guild)["edit"]) for n in range(7)]
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
    previous, following = first_page["components"][1]["components"]
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
