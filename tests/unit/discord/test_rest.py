from __future__ import annotations

import json

import httpx
import pytest

from kaltura_discord.discord.rest import DiscordError, DiscordRest

pytestmark = pytest.mark.unit


class FakeTime:
    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds


def rest_with(answers: list[httpx.Response], time: FakeTime, token: str | None = "bot-token"):
    seen: list[httpx.Request] = []

    def handle(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return answers.pop(0)

    client = httpx.Client(transport=httpx.MockTransport(handle))
    rest = DiscordRest(
        "https://discord.test/api/v10", "42", bot_token=lambda: token, client=client, sleep=time.sleep, clock=time.clock
    )
    return rest, seen


def test_edit_original_patches_the_webhook_message() -> None:
    time = FakeTime()
    rest, seen = rest_with([httpx.Response(200, json={"id": "1"})], time)
    assert rest.edit_original("tok", {"content": "done"}) == {"id": "1"}
    assert seen[0].method == "PATCH"
    assert seen[0].url.path == "/api/v10/webhooks/42/tok/messages/@original"
    assert json.loads(seen[0].content) == {"content": "done"}
    assert "authorization" not in seen[0].headers


def test_429_waits_retry_after_then_succeeds() -> None:
    time = FakeTime()
    limited = httpx.Response(429, json={"retry_after": 1.5, "global": False, "message": "slow down"})
    rest, seen = rest_with([limited, httpx.Response(200, json={"id": "1"})], time)
    rest.edit_original("tok", {"content": "x"}, deadline=time.now + 60)
    assert len(seen) == 2
    assert 1.5 <= time.slept[0] < 1.6


def test_429_beyond_the_deadline_gives_up_cleanly() -> None:
    time = FakeTime()
    limited = httpx.Response(429, json={"retry_after": 30}, headers={"Retry-After": "30"})
    rest, seen = rest_with([limited], time)
    with pytest.raises(DiscordError, match="rate limiting"):
        rest.edit_original("tok", {"content": "x"}, deadline=time.now + 10)
    assert len(seen) == 1 and time.slept == []


def test_a_request_deadline_shortens_the_callers_and_its_default() -> None:
    from kaltura_discord import deadline

    time = FakeTime()
    limited = httpx.Response(429, json={"retry_after": 5}, headers={"Retry-After": "5"})
    rest, seen = rest_with([limited, httpx.Response(200, json={"id": "1"})], time)
    with deadline.scope(deadline.Deadline(1004.3, clock=time.clock)):  # a REST API request: 4 s left for calls
        with pytest.raises(DiscordError, match="rate limiting"):
            rest.edit_original("tok", {"content": "x"})  # no deadline of its own would have waited the 5 s
        assert time.slept == []
        rest.edit_original("tok", {"content": "x"}, deadline=time.now + 60)
    assert seen[-1].extensions["timeout"]["read"] <= 4.0


def test_404_is_never_retried() -> None:
    time = FakeTime()
    rest, seen = rest_with([httpx.Response(404, json={"code": 10015, "message": "Unknown Webhook"})], time)
    with pytest.raises(DiscordError) as caught:
        rest.edit_original("tok", {"content": "x"})
    assert caught.value.not_found and caught.value.code == 10015
    assert len(seen) == 1


def test_server_errors_retry_a_bounded_number_of_times() -> None:
    time = FakeTime()
    rest, seen = rest_with([httpx.Response(502) for _ in range(10)], time)
    with pytest.raises(DiscordError, match="502"):
        rest.followup("tok", {"content": "x"}, deadline=time.now + 600)
    assert len(seen) == 4


def test_channel_message_uses_the_bot_token() -> None:
    time = FakeTime()
    rest, seen = rest_with([httpx.Response(200, json={"id": "9"})], time)
    rest.create_message("77", {"content": "hi"})
    assert seen[0].headers["authorization"] == "Bot bot-token"


def test_channel_message_without_bot_token_is_a_clear_error() -> None:
    time = FakeTime()
    rest, seen = rest_with([], time, token=None)
    with pytest.raises(DiscordError, match="DISCORD_BOT_TOKEN"):
        rest.create_message("77", {"content": "hi"})
    assert seen == []
