"""``POST /v1/kaltura/notifications`` and ``GET /v1/meetings/{id}/attendance`` through the Lambda handler, on moto's
DynamoDB, the Kaltura sandbox and the Discord stand-in."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from kaltura_discord.api.lambda_adapter import LambdaHandler
from kaltura_discord.bot import attendance, recordings
from kaltura_discord.kaltura.notifications import sign
from kaltura_discord.local.discord_standin import DiscordStandIn
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from kaltura_discord.scheduler import install_scheduler
from tests.unit.api.client import LambdaClient
from tests.unit.auth.support import GUILD, OTHER_USER

pytestmark = pytest.mark.integration

Mint = Callable[..., str]
SECRET = "notification-secret-for-tests-0123"
CHANNEL = "1000000000000000222"
FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.fixture
def client(handler: LambdaHandler, api_backends: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[LambdaClient]:
    monkeypatch.setenv("KALTURA_NOTIFICATION_SECRET", SECRET)
    recordings.install()
    attendance.install(None)
    scheduled: list[tuple[str, float, dict[str, Any]]] = []

    class Recorded:
        def schedule(self, name: str, at: float, job: dict[str, Any]) -> None:
            scheduled.append((name, at, job))

        def cancel(self, name: str) -> None:
            return

    install_scheduler(Recorded())
    yield LambdaClient(handler)
    install_scheduler(None)
    recordings.install()


def signed(body: bytes, secret: str = SECRET, algorithm: str = "sha256") -> dict[str, str]:
    return {**FORM, "x-kaltura-signature": sign(secret, body, algorithm), "x-kaltura-hash-algo": algorithm}


def ended_meeting(client: LambdaClient, mint: Mint, discord: DiscordStandIn) -> tuple[str, str]:
    host = mint()
    discord.add_channel(CHANNEL, GUILD)
    configured = client.patch("/v1/config", json_body={"notifications": {"channel_id": CHANNEL}}, token=host)
    assert configured.status == 200
    meeting_id = client.post("/v1/meetings", json_body={"type": "meeting", "title": "API sync"}, token=host).json()[
        "data"
    ]["id"]
    guest = mint("meetings:read", user_id=OTHER_USER)
    for _ in range(2):
        link = client.post(f"/v1/meetings/{meeting_id}/join", token=guest).json()["data"]["url"]
        assert client.get(link).status == 302
    assert client.delete(f"/v1/meetings/{meeting_id}", token=host).status == 200
    return meeting_id, host


def test_attendance_is_for_the_host_and_moderators(client: LambdaClient, mint: Mint, discord: DiscordStandIn) -> None:
    meeting_id, host = ended_meeting(client, mint, discord)
    refused = client.get(f"/v1/meetings/{meeting_id}/attendance", token=mint("meetings:read", user_id=OTHER_USER))
    assert (refused.status, refused.error_code) == (403, "forbidden")
    answer = client.get(f"/v1/meetings/{meeting_id}/attendance", token=host)
    assert answer.status == 200
    data = answer.json()["data"]
    assert data["count"] == 1 and data["meeting_id"] == meeting_id
    [guest] = data["attendees"]
    assert (guest["user_id"], guest["role"], guest["host"], guest["moderator"], guest["opens"]) == (
        OTHER_USER,
        "viewer",
        False,
        False,
        2,
    )
    assert guest["first_opened_at"] <= guest["last_opened_at"]
    missing = client.get("/v1/meetings/aaaaaaaaaa/attendance", token=host)
    assert (missing.status, missing.error_code) == (404, "meeting_not_found")
    assert client.get(f"/v1/meetings/{meeting_id}/attendance").status == 401


def test_a_signed_notification_posts_once_and_anything_else_posts_nothing(
    client: LambdaClient, mint: Mint, sandbox: KalturaSandbox, discord: DiscordStandIn
) -> None:
    meeting_id, _ = ended_meeting(client, mint, discord)
    [room] = [r for r in sandbox.rooms if r.get("referenceId") == meeting_id]
    entry = sandbox.add_recording(room["id"], duration=1500, notify=False)["entry"]
    body = f"trigger_status=2&entry_id={entry['id']}&entry_name=API+sync&entry_status=2".encode()
    path = "/v1/kaltura/notifications"

    for headers in (
        FORM,  # no signature at all
        signed(body, "another-secret"),
        signed(body, algorithm="sha1"),
        {**signed(body), "x-kaltura-hash-algo": "sha512"},
        signed(body + b"&extra=1"),
    ):
        refused = client.post(path, content=body, headers=headers)
        assert (refused.status, refused.error_code) == (401, "invalid_signature")
    assert discord.calls("POST", f"/channels/{CHANNEL}/messages") == []
    assert sandbox.call_count("baseentry") == 0  # refused before anything was looked up

    posted = client.post(path, content=body, headers=signed(body))
    assert posted.status == 200 and posted.json()["data"] == {"outcome": "posted", "entry_id": entry["id"]}
    again = client.post(path, content=body, headers=signed(body))
    assert again.status == 200 and again.json()["data"]["outcome"] == "duplicate"
    reworded = b"entry_id=" + entry["id"].encode() + b"&entry_status=2"  # another notification, same recording
    assert client.post(path, content=reworded, headers=signed(reworded)).json()["data"]["outcome"] == "duplicate"
    [message] = discord.calls("POST", f"/channels/{CHANNEL}/messages")
    assert entry["id"] in message.body["content"] and "25 min" in message.body["content"]
    assert "message_reference" not in message.body  # started over the API: no card to reply to

    nonsense = b"hello=world"
    unreadable = client.post(path, content=nonsense, headers=signed(nonsense))
    assert (unreadable.status, unreadable.error_code) == (422, "invalid_notification")
    other = b"entry_id=0_unrelat1&entry_status=2"
    assert client.post(path, content=other, headers=signed(other)).json()["data"]["outcome"] == "ignored"


def test_kaltura_down_or_discord_failing_answers_503_so_kaltura_sends_again(
    client: LambdaClient, mint: Mint, sandbox: KalturaSandbox, discord: DiscordStandIn
) -> None:
    meeting_id, _ = ended_meeting(client, mint, discord)
    [room] = [r for r in sandbox.rooms if r.get("referenceId") == meeting_id]
    entry = sandbox.add_recording(room["id"], duration=60, notify=False)["entry"]
    body = f"entry_id={entry['id']}&entry_status=2".encode()
    sandbox.fail_next(3, service="baseentry", action="get")
    down = client.post("/v1/kaltura/notifications", content=body, headers=signed(body))
    assert (down.status, down.error_code) == (503, "backend_unavailable")
    discord.fail_next(rf"/channels/{CHANNEL}/messages$", status=403, times=1)  # refused: not retried
    gone = client.post("/v1/kaltura/notifications", content=body, headers=signed(body))
    assert (gone.status, gone.error_code) == (503, "discord_unavailable")
    retried = client.post("/v1/kaltura/notifications", content=body, headers=signed(body))
    assert retried.status == 200 and retried.json()["data"]["outcome"] == "posted"
