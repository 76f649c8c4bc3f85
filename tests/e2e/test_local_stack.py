"""The local stack over HTTP, with interactions signed the way Discord signs them."""

from __future__ import annotations

import json

import pytest

from kaltura_discord.commands.definitions import COMMANDS
from tests.e2e.conftest import RunningStack
from tests.support.interactions import MANAGE_GUILD, command

pytestmark = pytest.mark.e2e


def test_banner_names_the_url_public_key_and_sandbox(stack: RunningStack) -> None:
    banner = "".join(stack.output)
    assert stack.interactions_url in banner
    assert stack.state["public_key"] in banner
    assert "KALTURA SANDBOX" in banner
    assert stack.key.verify_key.encode().hex() == stack.state["public_key"]


def test_ping_is_answered_with_pong(stack: RunningStack) -> None:
    response = stack.post({"type": 1, "id": "1", "application_id": "1", "token": "t"})
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == {"type": 1}


def test_bad_signature_is_401(stack: RunningStack) -> None:
    body = json.dumps({"type": 1}).encode()
    headers = {"X-Signature-Ed25519": "00" * 64, "X-Signature-Timestamp": "1700000000"}
    response = stack.post(body, headers)
    assert response.status_code == 401
    assert response.json() == {"error": "invalid request signature"}


def test_verified_garbage_is_400(stack: RunningStack) -> None:
    assert stack.post(b"{oops").status_code == 400


def test_help_answers_ephemerally_with_versions(stack: RunningStack) -> None:
    response = stack.post(command("kaltura-help"))
    answer = response.json()
    assert (response.status_code, answer["type"], answer["data"]["flags"]) == (200, 4, 64)
    description = answer["data"]["embeds"][0]["description"]
    assert all(f"v{c.version}" in description for c in COMMANDS)


def test_deferred_status_is_edited_through_the_discord_standin(stack: RunningStack) -> None:
    payload = command("kaltura-status", permissions=MANAGE_GUILD)
    response = stack.post(payload)
    assert response.json() == {"type": 5, "data": {"flags": 64}}
    [edit] = stack.wait_for_calls(payload["token"])
    assert edit["method"] == "PATCH"
    assert edit["path"].endswith(f"/webhooks/{stack.state['application_id']}/{payload['token']}/messages/@original")
    assert "Storage (DynamoDB): ok" in edit["body"]["content"]
    assert "Kaltura: ok" in edit["body"]["content"]


def test_status_refused_without_manage_server(stack: RunningStack) -> None:
    payload = command("kaltura-status", permissions=0)
    answer = stack.post(payload).json()
    assert answer["type"] == 4 and answer["data"]["flags"] == 64
    assert "Manage Server" in answer["data"]["content"]
    assert stack.discord_calls(payload["token"]) == []
