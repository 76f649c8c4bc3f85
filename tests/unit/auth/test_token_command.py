"""/kaltura-token: only Manage Server members get a token, only they see it, and it says what it may do."""

from __future__ import annotations

import io
import logging
import re
import time
from collections.abc import Iterator
from typing import Any

import pytest

from kaltura_discord.auth.keys import clear_keyring
from kaltura_discord.auth.tokens import verify_api_token
from kaltura_discord.bot.dispatch import handle_interaction
from kaltura_discord.config import config_service
from kaltura_discord.discord.interaction import Interaction
from kaltura_discord.logs import JsonFormatter
from tests.support.interactions import GUILD_ID, USER_ID, command
from tests.unit.auth.support import KEYS_JSON

pytestmark = pytest.mark.unit

MANAGE_GUILD, ADMINISTRATOR = 1 << 5, 1 << 3
MAPPED_ROLE, UNMAPPED_ROLE = "1000000000000000501", "1000000000000000502"


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JWT_SIGNING_KEYS", KEYS_JSON)
    monkeypatch.delenv("API_BASE_URL", raising=False)
    clear_keyring()
    yield
    clear_keyring()


def run(options: list[dict[str, Any]] | None = None, **kwargs: Any) -> dict[str, Any]:
    kwargs.setdefault("permissions", MANAGE_GUILD)
    return handle_interaction(Interaction(command("kaltura-token", options, **kwargs))).to_dict()


def test_a_replayed_request_mints_no_second_token() -> None:
    payload = command("kaltura-token", None, permissions=MANAGE_GUILD)
    first = handle_interaction(Interaction(payload)).to_dict()
    replay = handle_interaction(Interaction(payload)).to_dict()
    assert token_of(first)
    assert "already handled" in replay["data"]["content"] and "```" not in replay["data"]["content"]


def token_of(answer: dict[str, Any]) -> str:
    data = answer["data"]
    text = data.get("content", "") + "".join(e.get("description", "") for e in data.get("embeds", []))
    found = re.search(r"```\n([A-Za-z0-9_.-]+)\n```", text)
    assert found, text
    return found.group(1)


def test_a_manage_server_member_gets_a_read_token_for_a_day_by_default() -> None:
    answer = run()
    assert answer["type"] == 4 and answer["data"]["flags"] == 64
    assert answer["data"]["allowed_mentions"] == {"parse": []}
    claims = verify_api_token(token_of(answer))
    assert (claims.guild_id, claims.user_id, claims.display_name) == (GUILD_ID, USER_ID, "Test User")
    assert claims.scopes == {"meetings:read"}
    assert abs(claims.expires_at - (time.time() + 24 * 3600)) < 60
    assert f"<t:{claims.expires_at}:f>" in answer["data"]["content"]
    assert "`meetings:read`" in answer["data"]["content"]


def test_chosen_scopes_and_lifetime_and_the_administrator_permission() -> None:
    options = [
        {"name": "scopes", "type": 3, "value": "meetings:read meetings:write config:write"},
        {"name": "lifetime_hours", "type": 4, "value": 720},
    ]
    claims = verify_api_token(token_of(run(options, permissions=ADMINISTRATOR)))
    assert claims.scopes == {"meetings:read", "meetings:write", "config:write"}
    assert abs(claims.expires_at - (time.time() + 720 * 3600)) < 60


@pytest.mark.parametrize(
    ("options", "kwargs", "needle"),
    [
        (None, {"permissions": 0}, "Manage Server"),
        (None, {"permissions": 1 << 4}, "Manage Server"),
        ([{"name": "lifetime_hours", "type": 4, "value": 721}], {}, "1 to 720"),
        ([{"name": "lifetime_hours", "type": 4, "value": 0}], {}, "1 to 720"),
        ([{"name": "lifetime_hours", "type": 4, "value": "24"}], {}, "1 to 720"),
        ([{"name": "scopes", "type": 3, "value": "config:write"}], {}, "from the list"),
    ],
)
def test_refusals_carry_no_token(options: list[dict[str, Any]] | None, kwargs: dict[str, Any], needle: str) -> None:
    answer = run(options, **kwargs)
    assert answer["data"]["flags"] == 64
    assert needle in answer["data"]["content"]
    assert "```" not in answer["data"]["content"]


def test_outside_a_server() -> None:
    payload = command("kaltura-token", permissions=MANAGE_GUILD)
    payload.pop("guild_id")
    answer = handle_interaction(Interaction(payload)).to_dict()
    assert "server" in answer["data"]["content"] and "```" not in answer["data"]["content"]


def test_the_server_can_switch_the_command_off() -> None:
    config_service().update(
        GUILD_ID, {"commands": {"kaltura-token": {"enabled": False}}}, actor_id=USER_ID, summary="test"
    )
    assert "disabled" in run()["data"]["content"]


def test_the_token_carries_only_roles_the_settings_refer_to() -> None:
    config_service().update(
        GUILD_ID, {"roles": {"mapping": {MAPPED_ROLE: "moderator"}}}, actor_id=USER_ID, summary="test"
    )
    claims = verify_api_token(token_of(run(roles=[MAPPED_ROLE, UNMAPPED_ROLE])))
    assert claims.role_ids == (MAPPED_ROLE,)


def test_without_signing_keys_the_member_is_told_and_the_operator_sees_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_SIGNING_KEYS")
    clear_keyring()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger("kaltura_discord").addHandler(handler)
    try:
        payload = command("kaltura-token", None, permissions=MANAGE_GUILD)
        answer = handle_interaction(Interaction(payload, "https://api.example.test")).to_dict()
    finally:
        logging.getLogger("kaltura_discord").removeHandler(handler)
    assert "not set up" in answer["data"]["content"]
    assert "JWT_SIGNING_KEYS" in stream.getvalue()


def test_the_token_is_not_logged(monkeypatch: pytest.MonkeyPatch) -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger("kaltura_discord").addHandler(handler)
    try:
        payload = command("kaltura-token", None, permissions=MANAGE_GUILD)
        answer = handle_interaction(Interaction(payload, "https://api.example.test")).to_dict()
    finally:
        logging.getLogger("kaltura_discord").removeHandler(handler)
    token = token_of(answer)
    assert token not in stream.getvalue()
    assert "API token minted" in stream.getvalue()
    assert "`https://api.example.test/v1`" in answer["data"]["content"]
