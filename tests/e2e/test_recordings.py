"""Recordings posted back and attendance, end to end through ``make run``: the Kaltura sandbox (a recording appears
and its signed notification is sent to the stack, or the poll finds it), the scheduler stand-in (fast-forwarded),
the Discord stand-in."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import RunningStack
from tests.e2e.test_meetings import join, link_of, meeting_id_of, open_link, start
from tests.support.interactions import command
from tests.support.openapi import errors

pytestmark = pytest.mark.e2e

HOST, GUEST, OTHER = "1000000000000000501", "1000000000000000502", "1000000000000000503"
KAF_HOST = "1234567.kaf.kaltura.com"  # the sandbox's partner: {partner id}.kaf.kaltura.com


def room_of(stack: RunningStack, meeting_id: str) -> str:
    [room] = [r for r in stack.sandbox_state()["rooms"] if r.get("referenceId") == meeting_id]
    return str(room["id"])


def end(stack: RunningStack, meeting_id: str) -> str:
    payload = command("kaltura-end", [{"name": "meeting", "type": 3, "value": meeting_id}], user_id=HOST)
    assert stack.post(payload).json() == {"type": 5, "data": {"flags": 64}}
    [reply] = stack.wait_for_calls(payload["token"])
    return str(reply["body"]["content"])


def is_recording_message(call: dict[str, Any], entry_id: str) -> bool:
    return call["method"] == "POST" and "/channels/" in call["path"] and entry_id in str(call["body"].get("content"))


def recording_messages(stack: RunningStack, entry_id: str) -> list[dict[str, Any]]:
    return [call for call in stack.discord_calls() if is_recording_message(call, entry_id)]


def fast_forward(stack: RunningStack, seconds: float) -> dict[str, Any]:
    """Fire now what the scheduler stand-in would fire within ``seconds`` (``POST /_local/schedules``)."""
    answer = stack.http.post(schedules_url(stack), json={"until": time.time() + seconds})
    assert answer.status_code == 200, answer.text
    fired: dict[str, Any] = answer.json()
    return fired


def schedules_url(stack: RunningStack) -> str:
    return stack.interactions_url.removesuffix("/interactions") + "/_local/schedules"


def add_recording(stack: RunningStack, room_id: str, duration: int, *, notify: bool) -> dict[str, Any]:
    answer = stack.http.post(
        f"{stack.sandbox_url}/_sandbox/recordings", json={"room_id": room_id, "duration": duration, "notify": notify}
    )
    assert answer.status_code == 201, answer.text
    created: dict[str, Any] = answer.json()
    return created


def notifications_url(stack: RunningStack) -> str:
    return f"{stack.state['api_base_url']}/kaltura/notifications"


def test_a_signed_notification_posts_the_recording_once_and_a_bad_signature_nothing(
    stack: RunningStack, shared: Path
) -> None:
    meeting_id = meeting_id_of(start(stack, "Recorded sync", user=HOST)["edit"])
    for member in (GUEST, OTHER, GUEST):  # the host hands out links; two distinct members open three of them
        open_link(stack, link_of(stack, join(stack, meeting_id, member)))
    assert "2 people joined." in end(stack, meeting_id)  # the ended message says how many joined
    room_id = room_of(stack, meeting_id)

    forged = stack.http.post(
        notifications_url(stack),
        content=b"entry_id=0_forged01&entry_status=2",
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-KALTURA-SIGNATURE": "0" * 64},
    )
    assert forged.status_code == 401 and forged.json()["error"]["code"] == "invalid_signature"

    created = add_recording(stack, room_id, 3725, notify=True)
    entry_id = created["entry"]["id"]
    [sent] = created["notifications"]  # what the sandbox, as Kaltura, sent to the stack and what it answered
    assert sent["status"] == 200 and json.loads(sent["answer"])["data"]["outcome"] == "posted"
    [message] = stack.wait_for(lambda call: is_recording_message(call, entry_id))
    body = message["body"]
    assert f"https://{KAF_HOST}/media/t/{entry_id}" in body["content"] and "1 h 2 min" in body["content"]
    assert "djJ8" not in body["content"]  # a link to the entry page, never a session
    assert body["message_reference"]["fail_if_not_exists"] is False  # a reply to the meeting's card
    assert body["enforce_nonce"] is True and body["allowed_mentions"] == {"parse": []}
    assert errors(shared, "MessageCreateRequest", body) == []

    again = stack.http.post(notifications_url(stack), content=sent["body"].encode(), headers=sent["headers"])
    assert again.status_code == 200 and again.json()["data"]["outcome"] == "duplicate"
    tampered = stack.http.post(
        notifications_url(stack), content=sent["body"].encode() + b"&x=1", headers=sent["headers"]
    )
    assert tampered.status_code == 401
    fast_forward(stack, 301)  # the poll, five minutes after the end, finds it posted already
    assert len(recording_messages(stack, entry_id)) == 1  # neither the repeat nor the poll posted it again


def test_the_poll_posts_the_recording_once_when_no_notification_came(stack: RunningStack) -> None:
    meeting_id = meeting_id_of(start(stack, "Polled sync", user=HOST)["edit"])
    assert "Nobody opened a join link." in end(stack, meeting_id)
    entry_id = add_recording(stack, room_of(stack, meeting_id), 1800, notify=False)["entry"]["id"]
    assert recording_messages(stack, entry_id) == []

    assert fast_forward(stack, 301)["fired"] >= 1  # five minutes after the end: the first look
    [message] = stack.wait_for(lambda call: is_recording_message(call, entry_id))
    assert "30 min" in message["body"]["content"]
    pending = stack.http.get(schedules_url(stack)).json()["pending"]
    assert not [p for p in pending if meeting_id in p["name"]]  # it found one: no further attempt
    fast_forward(stack, 301)
    assert len(recording_messages(stack, entry_id)) == 1
