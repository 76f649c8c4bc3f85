"""The Discord stand-in's scheduled events hold to Discord's rules (docs/guild-scheduled-event.mdx, openapi.json)."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from kaltura_discord.local.discord_scheduled_events import MAX_UNCOMPLETED_EVENTS
from kaltura_discord.local.discord_standin import DiscordStandIn

pytestmark = [pytest.mark.integration, pytest.mark.contract]

GUILD = "1000000000000000100"
TOKEN = "standin-token"
NOW = 1_796_000_000.0


class Clock:
    def __init__(self) -> None:
        self.now = NOW

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def standin(clock: Clock) -> Iterator[DiscordStandIn]:
    server = DiscordStandIn(bot_token=TOKEN, clock=clock).start()
    yield server
    server.stop()


def iso(offset: float) -> str:
    return dt.datetime.fromtimestamp(NOW + offset, tz=dt.UTC).isoformat()


def body(**changes: Any) -> dict[str, Any]:
    return {
        "name": "Town hall",
        "privacy_level": 2,
        "entity_type": 3,
        "scheduled_start_time": iso(600),
        "scheduled_end_time": iso(4200),
        "entity_metadata": {"location": "Kaltura webinar · /kaltura-join abc123"},
        **changes,
    }


def call(standin: DiscordStandIn, method: str, path: str, payload: Any = None) -> httpx.Response:
    url = f"{standin.api_base_url}/guilds/{GUILD}/scheduled-events{path}"
    return httpx.request(method, url, json=payload, headers={"Authorization": f"Bot {TOKEN}"})


def test_created_event_is_an_external_response_with_every_required_field(standin: DiscordStandIn, shared: Path) -> None:
    from tests.support import openapi

    created = call(standin, "POST", "", body())
    assert created.status_code == 200
    assert openapi.errors(shared, "ExternalScheduledEventResponse", created.json()) == []
    assert created.json()["status"] == 1 and created.json()["channel_id"] is None


@pytest.mark.parametrize(
    ("changes", "complaint"),
    [
        ({"privacy_level": 1}, "privacy_level"),
        ({"entity_metadata": {"location": "x" * 101}}, "too long"),
        ({"entity_metadata": {"location": ""}}, "location"),
        ({"entity_metadata": {}}, "location"),
        ({"scheduled_end_time": None}, "scheduled_end_time"),
        ({"name": ""}, "name"),
        ({"name": "n" * 101}, "too long"),
        ({"description": "d" * 1001}, "too long"),
        ({"channel_id": "1000000000000000200"}, "channel_id"),
        ({"scheduled_start_time": iso(-60)}, "in the past"),
        ({"scheduled_end_time": iso(300)}, "after"),
        ({"entity_type": 2}, "EXTERNAL"),
        ({"unexpected": 1, "name": 5}, "name"),
    ],
)
def test_bodies_discord_would_refuse_are_400_invalid_form_body(
    standin: DiscordStandIn, changes: dict[str, Any], complaint: str
) -> None:
    refused = call(standin, "POST", "", body(**changes))
    assert refused.status_code == 400 and refused.json()["code"] == 50035
    assert complaint in json.dumps(refused.json())
    assert standin.scheduled_events(GUILD) == []


def test_status_moves_only_along_discords_transitions(standin: DiscordStandIn) -> None:
    event_id = call(standin, "POST", "", body()).json()["id"]
    assert call(standin, "PATCH", f"/{event_id}", {"status": 3}).status_code == 400  # SCHEDULED -/-> COMPLETED
    assert call(standin, "PATCH", f"/{event_id}", {"status": 2}).json()["status"] == 2
    assert call(standin, "PATCH", f"/{event_id}", {"status": 4}).status_code == 400  # ACTIVE -/-> CANCELED
    assert call(standin, "PATCH", f"/{event_id}", {"status": 3}).json()["status"] == 3
    assert call(standin, "PATCH", f"/{event_id}", {"status": 2}).status_code == 400  # COMPLETED is final
    assert call(standin, "PATCH", f"/{event_id}", {"name": "Renamed"}).status_code == 400


def test_external_events_start_and_end_by_themselves(standin: DiscordStandIn, clock: Clock) -> None:
    event_id = call(standin, "POST", "", body()).json()["id"]
    clock.now = NOW + 600
    assert call(standin, "GET", f"/{event_id}").json()["status"] == 2
    clock.now = NOW + 4200
    assert call(standin, "GET", f"/{event_id}").json()["status"] == 3
    assert call(standin, "GET", "").json() == []  # the list shows scheduled and active events only


def test_deleted_events_are_unknown_and_cancelled_ones_leave_the_list(standin: DiscordStandIn) -> None:
    first = call(standin, "POST", "", body()).json()["id"]
    second = call(standin, "POST", "", body(name="Second")).json()["id"]
    assert call(standin, "DELETE", f"/{first}").status_code == 204
    gone = call(standin, "GET", f"/{first}")
    assert gone.status_code == 404 and gone.json()["code"] == 10070
    assert call(standin, "PATCH", f"/{second}", {"status": 4}).json()["status"] == 4
    assert call(standin, "GET", "").json() == []


def test_at_most_a_hundred_upcoming_events_per_server(standin: DiscordStandIn) -> None:
    for number in range(MAX_UNCOMPLETED_EVENTS):
        assert call(standin, "POST", "", body(name=f"Event {number}")).status_code == 200
    refused = call(standin, "POST", "", body(name="One too many"))
    assert refused.status_code == 400 and refused.json()["code"] == 30038


def test_without_create_or_manage_events_the_bot_is_refused(standin: DiscordStandIn) -> None:
    event_id = call(standin, "POST", "", body()).json()["id"]
    standin.set_bot_permissions(GUILD, 1 << 11)
    for method, path, payload in (("POST", "", body()), ("PATCH", f"/{event_id}", {"status": 4})):
        refused = call(standin, method, path, payload)
        assert refused.status_code == 403 and refused.json()["code"] == 50013
    assert call(standin, "GET", f"/{event_id}").status_code == 200  # reading needs no permission
    standin.set_bot_permissions(GUILD, 1 << 33)  # MANAGE_EVENTS: may change the bot's events, not create one
    assert call(standin, "POST", "", body()).status_code == 403
    assert call(standin, "PATCH", f"/{event_id}", {"name": "Renamed"}).status_code == 200
    standin.set_bot_permissions(GUILD, 1 << 44)  # CREATE_EVENTS
    assert call(standin, "PATCH", f"/{event_id}", {"status": 4}).status_code == 200
    assert call(standin, "POST", "", body()).status_code == 200


def test_the_routes_need_the_bot_token(standin: DiscordStandIn) -> None:
    url = f"{standin.api_base_url}/guilds/{GUILD}/scheduled-events"
    assert httpx.post(url, json=body()).status_code == 401


def test_control_routes_read_every_event_and_set_the_bots_permissions(standin: DiscordStandIn) -> None:
    call(standin, "POST", "", body())
    listed = httpx.get(f"{standin.url}/_standin/guilds/{GUILD}/scheduled-events").json()
    assert [event["name"] for event in listed] == ["Town hall"]
    put = httpx.put(f"{standin.url}/_standin/guilds/{GUILD}/bot-permissions", json={"permissions": "2048"})
    assert put.status_code == 204
    assert call(standin, "POST", "", body()).status_code == 403
