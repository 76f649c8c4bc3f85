"""Meetings over HTTP through the Lambda handler, on moto's DynamoDB and the Kaltura sandbox: one room per
idempotent create, a join link that signs its owner in once, settings written with their audit record."""

from __future__ import annotations

import time
from collections.abc import Callable

import pytest

from kaltura_discord.config import ConfigService, ConfigStore, DynamoConfigTable
from kaltura_discord.kaltura import parse_ks
from kaltura_discord.local.discord_standin import DiscordStandIn
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from kaltura_discord.meetings.repository import MeetingRepository
from tests.integration.conftest import SANDBOX_SECRET
from tests.unit.api.client import LambdaClient
from tests.unit.auth.support import GUILD, OTHER_USER, USER

pytestmark = pytest.mark.integration

Mint = Callable[..., str]
NOTIFY_CHANNEL = "1000000000000000888"


def test_start_join_once_and_end(client: LambdaClient, mint: Mint, sandbox: KalturaSandbox) -> None:
    host = mint()
    body = {"type": "webinar", "title": "Quarterly review"}
    first = client.post("/v1/meetings", json_body=body, token=host, headers={"Idempotency-Key": "retry-1"})
    again = client.post("/v1/meetings", json_body=body, token=host, headers={"Idempotency-Key": "retry-1"})
    assert (first.status, again.status) == (201, 201) and again.json() == first.json()
    assert sandbox.calls == {"room_room.add": 1}
    [room] = sandbox.rooms
    meeting_id = first.json()["data"]["id"]
    assert room["referenceId"] == meeting_id and f"discord-guild-{GUILD}" in room["tags"]

    link = client.post(f"/v1/meetings/{meeting_id}/join", token=mint(user_id=OTHER_USER)).json()["data"]["url"]
    opened = client.get(link)
    assert opened.status == 302
    location = opened.headers["location"]
    assert location.startswith(f"https://{sandbox.partner_id}.kaf.kaltura.com/hosted/index/view-entry/ks/")
    ks = parse_ks(location.rsplit("/ks/", 1)[1], SANDBOX_SECRET)
    assert (ks.fields["userId"], ks.fields["role"], ks.fields["entryId"]) == (
        f"discord-{OTHER_USER}",
        "viewerRole",
        room["id"],
    )
    assert 50 <= ks.expiry - time.time() <= 60  # minted as the link is opened, for KAF only
    assert ks.fields["actionslimit"] == "-1"
    replay = client.get(link)
    assert (replay.status, replay.error_code) == (410, "join_link_used")

    ended = client.delete(f"/v1/meetings/{meeting_id}", token=host)
    assert ended.status == 200 and ended.json()["data"]["status"] == "ended"
    listed = client.get("/v1/meetings", params={"status": "ended"}, token=host).json()["data"]["items"]
    assert [m["id"] for m in listed] == [meeting_id]


def test_settings_are_stored_with_their_audit_record(client: LambdaClient, mint: Mint, table_name: str) -> None:
    token = mint()
    changed = client.patch(
        "/v1/config", json_body={"kaltura": {"join_link_ttl_seconds": 600}}, headers={"If-Match": '"0"'}, token=token
    )
    assert changed.status == 200 and changed.headers["etag"] == '"1"'
    other_container = ConfigService(ConfigStore(DynamoConfigTable(table_name)))
    assert other_container.get(GUILD).kaltura.join_link_ttl_seconds == 600
    [audit] = other_container.history(GUILD)
    assert (audit.actor_id, audit.changed_keys) == (USER, ("kaltura.join_link_ttl_seconds",))
    stale = client.patch(
        "/v1/config", json_body={"kaltura": {"join_link_ttl_seconds": 700}}, headers={"If-Match": '"0"'}, token=token
    )
    assert (stale.status, stale.error_code) == (412, "precondition_failed")
    assert other_container.load(GUILD).version == 1


def test_kaltura_not_answering_leaves_nothing_half_done(
    client: LambdaClient, mint: Mint, sandbox: KalturaSandbox
) -> None:
    sandbox.fail_next(status=503, service="room_room", action="add")
    failed = client.post("/v1/meetings", json_body={"type": "meeting", "title": "Refused"}, token=mint())
    assert failed.status == 503 and failed.error_code == "backend_unavailable"
    assert client.get("/v1/meetings", params={"status": "all"}, token=mint()).json()["data"]["total"] == 0


def test_a_meeting_started_over_http_is_announced_in_the_servers_language(
    client: LambdaClient, mint: Mint, discord: DiscordStandIn, table_name: str
) -> None:
    """No interaction tells the API the server's language: the member-rights look-up reads the server anyway, and
    its ``preferred_locale`` is kept with the meeting, as ``guild_locale`` is for a start from Discord."""
    discord.set_guild(GUILD, owner_id=USER, preferred_locale="fr")
    discord.add_channel(NOTIFY_CHANNEL, GUILD)
    token = mint()
    settings = {"notifications": {"enabled": True, "channel_id": NOTIFY_CHANNEL}}
    assert client.patch("/v1/config", json_body=settings, headers={"If-Match": '"0"'}, token=token).status == 200
    started = client.post("/v1/meetings", json_body={"type": "webinar", "title": "Revue"}, token=token)
    assert started.status == 201
    [notice] = discord.channel_messages(NOTIFY_CHANNEL)
    assert notice["content"].startswith("**Revue** (Webinaire) a commencé, animé par Integration.")
    meeting = MeetingRepository().get(GUILD, started.json()["data"]["id"])
    assert meeting.guild_locale == "fr"  # what is written about it later (the end, the recording) is French too
