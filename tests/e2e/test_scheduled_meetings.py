"""Scheduled meetings through ``make run``: /kaltura-schedule, its Discord event, the reminder, the start at its
time (the local scheduler, fast-forwarded over HTTP), /kaltura-end completing the event, and cancelling one."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import RunningStack
from tests.support import openapi
from tests.support.interactions import MANAGE_GUILD, command

pytestmark = pytest.mark.e2e

GUILD = "1000000000000000851"
CHANNEL = "1000000000000000852"
HOST = "1000000000000000853"


def configure(stack: RunningStack) -> None:
    stack.http.post(f"{stack.standin_root}/_standin/channels", json={"id": CHANNEL, "guild_id": GUILD})
    for key, value in (("notifications.channel_id", CHANNEL), ("notifications.enabled", "on")):
        options = [{"name": "key", "type": 3, "value": key}, {"name": "value", "type": 3, "value": value}]
        sub = [{"name": "set", "type": 1, "options": options}]
        answer = stack.post(command("kaltura-config", sub, permissions=MANAGE_GUILD, guild_id=GUILD)).json()
        assert "Saved" in str(answer) or "already had that value" in str(answer)


def schedule(stack: RunningStack, title: str, start: str = "in 2m") -> tuple[dict[str, Any], dict[str, Any]]:
    options = [
        {"name": "type", "type": 3, "value": "meeting"},
        {"name": "title", "type": 3, "value": title},
        {"name": "start", "type": 3, "value": start},
        {"name": "duration", "type": 4, "value": 30},
    ]
    payload = command("kaltura-schedule", options, user_id=HOST, guild_id=GUILD)
    assert stack.post(payload).json() == {"type": 5}
    [card] = stack.wait_for_calls(payload["token"])
    return payload, card


def meeting_id_of(card: dict[str, Any]) -> str:
    [cancel] = [c for c in card["body"]["components"][0]["components"] if c.get("label") == "Cancel"]
    return str(cancel["custom_id"]).split(":", 1)[1]


def events(stack: RunningStack) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = stack.http.get(
        f"{stack.standin_root}/_standin/guilds/{GUILD}/scheduled-events"
    ).json()
    return found


def fast_forward(stack: RunningStack, until: float) -> int:
    url = stack.interactions_url.removesuffix("/interactions") + "/_local/schedules"
    fired: int = stack.http.post(url, json={"until": until}).json()["fired"]
    return fired


def pending_for(stack: RunningStack, meeting_id: str) -> list[str]:
    url = stack.interactions_url.removesuffix("/interactions") + "/_local/schedules"
    return [p["kind"] for p in stack.http.get(url).json()["pending"] if meeting_id in p["name"]]


def posted(stack: RunningStack, text: str) -> list[dict[str, Any]]:
    return [
        c
        for c in stack.discord_calls()
        if c["method"] == "POST" and c["path"] == f"/channels/{CHANNEL}/messages" and text in c["body"]["content"]
    ]


def test_a_scheduled_meeting_is_announced_reminded_started_and_completed(stack: RunningStack, shared: Path) -> None:
    configure(stack)
    payload, card = schedule(stack, "Roadmap review")
    meeting_id = meeting_id_of(card)
    fields = {f["name"]: f["value"] for f in card["body"]["embeds"][0]["fields"]}
    start = int(fields["Starts"].split(":")[1])
    assert abs(start - (time.time() + 120)) < 30 and fields["Duration"] == "30 min"

    [event] = events(stack)
    assert event["status"] == 1 and event["entity_type"] == 3
    assert f"https://discord.com/events/{GUILD}/{event['id']}" in str(card["body"]["components"])
    [create] = [c for c in stack.discord_calls() if c["method"] == "POST" and c["path"].endswith("/scheduled-events")]
    assert openapi.errors(shared, "ExternalScheduledEventCreateRequest", create["body"]) == []

    # The reminder (10 minutes before, so right away for a start 2 minutes ahead), then the start.
    assert sorted(pending_for(stack, meeting_id)) == ["meeting_reminder", "meeting_scheduled_start"]
    assert fast_forward(stack, time.time() + 30) >= 1
    [reminder] = posted(stack, "Roadmap review")
    assert f"<t:{start}:R>" in reminder["body"]["content"] and reminder["body"]["allowed_mentions"] == {"parse": []}
    rooms = [r for r in stack.sandbox_state()["rooms"] if r.get("referenceId") == meeting_id]
    assert rooms == []

    assert pending_for(stack, meeting_id) == ["meeting_scheduled_start"]
    assert fast_forward(stack, start + 1) >= 1
    rooms = [r for r in stack.sandbox_state()["rooms"] if r.get("referenceId") == meeting_id]
    assert len(rooms) == 1
    assert events(stack)[0]["status"] == 2
    assert len(posted(stack, "has started")) == 1
    assert pending_for(stack, meeting_id) == []  # each schedule ran once

    end = command("kaltura-end", [{"name": "meeting", "type": 3, "value": meeting_id}], user_id=HOST, guild_id=GUILD)
    assert stack.post(end).json()["type"] == 5
    stack.wait_for_calls(end["token"])
    assert events(stack)[0]["status"] == 3
    assert len([r for r in stack.sandbox_state()["rooms"] if r.get("referenceId") == meeting_id]) == 1
    assert payload["guild_id"] == GUILD


def test_cancelling_before_the_start_cancels_the_event_and_nothing_starts(stack: RunningStack) -> None:
    configure(stack)
    _, card = schedule(stack, "Cancelled social", start="in 3h")
    meeting_id = meeting_id_of(card)
    [event] = [e for e in events(stack) if e["name"] == "Cancelled social"]
    press = command("kaltura-end", [{"name": "meeting", "type": 3, "value": meeting_id}], user_id=HOST, guild_id=GUILD)
    assert stack.post(press).json()["type"] == 5
    [reply] = stack.wait_for_calls(press["token"])
    assert reply["body"]["content"].startswith("Cancelled **Cancelled social**")
    [event] = [e for e in events(stack) if e["id"] == event["id"]]
    assert event["status"] == 4
    assert pending_for(stack, meeting_id) == []  # its reminder and start were removed
    fast_forward(stack, time.time() + 4 * 3600)
    assert [r for r in stack.sandbox_state()["rooms"] if r.get("referenceId") == meeting_id] == []
