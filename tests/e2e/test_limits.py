"""The default limits through `make run`: a member's sixth start in an hour, a server's 21st live meeting, a Share
pressed twice, each refused with a clear message, also when the starts arrive at the same moment."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

from tests.e2e.conftest import RunningStack
from tests.support.interactions import command, interaction

pytestmark = pytest.mark.e2e


def start_payload(title: str, user: str, guild: str) -> dict[str, Any]:
    options = [{"name": "type", "type": 3, "value": "meeting"}, {"name": "title", "type": 3, "value": title}]
    return command("kaltura-start", options, user_id=user, guild_id=guild)


def outcome(stack: RunningStack, payload: dict[str, Any]) -> str:
    """'started', or the text of the private refusal."""
    first = stack.wait_for_calls(payload["token"])
    if first and first[0]["method"] == "PATCH" and first[0]["body"].get("embeds"):
        return "started"
    calls = stack.wait_for_calls(payload["token"], count=2)
    return str(calls[-1]["body"].get("content", ""))


def start_all(stack: RunningStack, payloads: list[dict[str, Any]]) -> list[str]:
    with ThreadPoolExecutor(max_workers=len(payloads)) as pool:
        answers = list(pool.map(lambda p: stack.post(p).json(), payloads))
    assert all(answer == {"type": 5} for answer in answers)
    return [outcome(stack, payload) for payload in payloads]


def test_a_members_sixth_start_in_an_hour_is_refused(stack: RunningStack) -> None:
    guild, member = "1000000000000000661", "1000000000000000662"
    outcomes = start_all(stack, [start_payload(f"Mine {n}", member, guild) for n in range(6)])
    assert outcomes.count("started") == 5
    [refusal] = [o for o in outcomes if o != "started"]
    assert "5 meetings this hour" in refusal and "<t:" in refusal


def test_a_servers_21st_live_meeting_is_refused(stack: RunningStack) -> None:
    guild = "1000000000000000671"
    payloads = [start_payload(f"Ours {n}", f"10000000000000007{n:02d}", guild) for n in range(22)]
    outcomes = start_all(stack, payloads)
    assert outcomes.count("started") == 20
    assert all("already has 20 live meetings" in o for o in outcomes if o != "started")
    listing = stack.post(command("kaltura-list", guild_id=guild)).json()["data"]
    assert listing["embeds"][0]["title"] == "Live meetings (20)"
    rooms = [r for r in stack.sandbox_state()["rooms"] if f"discord-guild-{guild}" in r.get("tags", "")]
    assert len(rooms) == 20  # no room kept for the refused ones


def test_share_twice_in_a_row_is_refused_the_second_time(stack: RunningStack) -> None:
    guild, member = "1000000000000000681", "1000000000000000682"
    payload = start_payload("Shared", member, guild)
    assert start_all(stack, [payload]) == ["started"]
    card = stack.wait_for_calls(payload["token"])[0]["body"]
    share_id = card["components"][0]["components"][1]["custom_id"]
    press = {"custom_id": share_id, "component_type": 2}
    assert stack.post(interaction(3, press, user_id=member, guild_id=guild)).json() == {"type": 5}
    again = stack.post(interaction(3, press, user_id=member, guild_id=guild)).json()
    assert again["type"] == 4 and again["data"]["flags"] == 64 and "share it again" in again["data"]["content"]
