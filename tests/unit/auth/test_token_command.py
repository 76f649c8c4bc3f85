"""/kaltura-token create: only Manage Server members get a token, only they see it, it says what it may do, it
lives no longer than its scopes allow, and it is recorded. (list and revoke: test_token_records.py.)"""

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
from tests.support.fakes import MemoryTokenRecords
from tests.support.interactions import GUILD_ID, USER_ID, command
from tests.unit.auth.support import KEYS_JSON

pytestmark = pytest.mark.unit

MANAGE_GUILD, ADMINISTRATOR = 1 << 5, 1 << 3
MAPPED_ROLE, UNMAPPED_ROLE = "1000000000000000501", "1000000000000000502"
ALL_SCOPES = "meetings:read meetings:write config:write"


@pytest.fixture(autouse=True)
def keys(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("JWT_SIGNING_KEYS", KEYS_JSON)
    monkeypatch.delenv("API_BASE_URL", raising=False)
    clear_keyring()
    yield
    clear_keyring()


def create_payload(options: list[dict[str, Any]] | None = None, **kwargs: Any) -> dict[str, Any]:
    """``/kaltura-token create`` as Discord sends it: the options under the subcommand."""
    kwargs.setdefault("permissions", MANAGE_GUILD)
    return command("kaltura-token", [{"name": "create", "type": 1, "options": options or []}], **kwargs)


def run(options: list[dict[str, Any]] | None = None, **kwargs: Any) -> dict[str, Any]:
    return handle_interaction(Interaction(create_payload(options, **kwargs))).to_dict()


def scopes(value: str) -> dict[str, Any]:
    return {"name": "scopes", "type": 3, "value": value}


def hours(value: object) -> dict[str, Any]:
    return {"name": "lifetime_hours", "type": 4, "value": value}


def token_of(answer: dict[str, Any]) -> str:
    data = answer["data"]
    text = data.get("content", "") + "".join(e.get("description", "") for e in data.get("embeds", []))
    found = re.search(r"```\n([A-Za-z0-9_.-]+)\n```", text)
    assert found, text
    return found.group(1)


def test_a_replayed_request_mints_no_second_token(memory_tokens: MemoryTokenRecords) -> None:
    payload = create_payload()
    first = handle_interaction(Interaction(payload)).to_dict()
    replay = handle_interaction(Interaction(payload)).to_dict()
    assert token_of(first)
    assert "already handled" in replay["data"]["content"] and "```" not in replay["data"]["content"]
    assert len(memory_tokens.items) == 1


def test_a_manage_server_member_gets_a_read_token_for_a_day_by_default(memory_tokens: MemoryTokenRecords) -> None:
    answer = run()
    assert answer["type"] == 4 and answer["data"]["flags"] == 64
    assert answer["data"]["allowed_mentions"] == {"parse": []}
    claims = verify_api_token(token_of(answer))
    assert (claims.guild_id, claims.user_id, claims.display_name) == (GUILD_ID, USER_ID, "Test User")
    assert claims.scopes == {"meetings:read"}
    assert abs(claims.expires_at - (time.time() + 24 * 3600)) < 60
    assert f"<t:{claims.expires_at}:f>" in answer["data"]["content"]
    assert "`meetings:read`" in answer["data"]["content"]
    assert f"`{claims.token_id[:8]}`" in answer["data"]["content"], "the short id, to find it in the list later"


def test_the_token_is_recorded_before_it_is_shown(memory_tokens: MemoryTokenRecords) -> None:
    claims = verify_api_token(token_of(run([scopes("meetings:read meetings:write")])))
    record = memory_tokens.items[(GUILD_ID, claims.token_id)]
    assert (record.user_id, record.user_name, record.scopes) == (
        USER_ID,
        "Test User",
        ("meetings:read", "meetings:write"),
    )
    assert (record.issued_at, record.expires_at, record.revoked_at) == (claims.issued_at, claims.expires_at, None)


def test_no_record_no_token(memory_tokens: MemoryTokenRecords) -> None:
    """Storage down: the member hears so, and no token exists that could never be revoked."""
    memory_tokens.failure = memory_tokens.outage()
    answer = run()
    assert "storage" in answer["data"]["content"] and "```" not in answer["data"]["content"]


def test_read_and_write_tokens_may_live_720_hours_with_the_administrator_permission() -> None:
    claims = verify_api_token(token_of(run([scopes("meetings:read meetings:write"), hours(720)], permissions=8)))
    assert claims.scopes == {"meetings:read", "meetings:write"}
    assert abs(claims.expires_at - (time.time() + 720 * 3600)) < 60


def test_a_settings_token_lives_a_day_at_most() -> None:
    claims = verify_api_token(token_of(run([scopes(ALL_SCOPES)])))
    assert claims.scopes == {"meetings:read", "meetings:write", "config:write"}
    assert abs(claims.expires_at - (time.time() + 24 * 3600)) < 60
    refused = run([scopes(ALL_SCOPES), hours(25)])["data"]["content"]
    assert "at most 24 hours" in refused and "```" not in refused


def test_the_server_may_shorten_settings_tokens_further() -> None:
    config_service().update(
        GUILD_ID, {"commands": {"kaltura-token": {"config_write_max_hours": 8}}}, actor_id=USER_ID, summary="test"
    )
    by_default = verify_api_token(token_of(run([scopes(ALL_SCOPES)])))
    assert abs(by_default.expires_at - (time.time() + 8 * 3600)) < 60
    refused = run([scopes(ALL_SCOPES), hours(9)])["data"]["content"]
    assert "config_write_max_hours" in refused and "8 hours" in refused and "```" not in refused
    other_scopes = verify_api_token(token_of(run([scopes("meetings:read"), hours(100)])))
    assert abs(other_scopes.expires_at - (time.time() + 100 * 3600)) < 60


@pytest.mark.parametrize(
    ("options", "kwargs", "needle"),
    [
        (None, {"permissions": 0}, "Manage Server"),
        (None, {"permissions": 1 << 4}, "Manage Server"),
        ([hours(721)], {}, "1 to 720"),
        ([hours(0)], {}, "1 to 720"),
        ([hours("24")], {}, "1 to 720"),
        ([scopes("config:write")], {}, "from the list"),
    ],
)
def test_refusals_carry_no_token(
    options: list[dict[str, Any]] | None, kwargs: dict[str, Any], needle: str, memory_tokens: MemoryTokenRecords
) -> None:
    answer = run(options, **kwargs)
    assert answer["data"]["flags"] == 64
    assert needle in answer["data"]["content"]
    assert "```" not in answer["data"]["content"]
    assert memory_tokens.items == {}


def test_outside_a_server() -> None:
    payload = create_payload()
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


def test_the_old_shape_still_mints_and_says_what_changed(memory_tokens: MemoryTokenRecords) -> None:
    """A Discord client that has not refreshed its commands sends the 1.x shape: options at the top level."""
    payload = command("kaltura-token", [scopes("meetings:read meetings:write"), hours(2)], permissions=MANAGE_GUILD)
    answer = handle_interaction(Interaction(payload)).to_dict()
    claims = verify_api_token(token_of(answer))
    assert claims.scopes == {"meetings:read", "meetings:write"}
    assert abs(claims.expires_at - (time.time() + 2 * 3600)) < 60
    text = answer["data"]["content"] + "".join(e.get("description", "") for e in answer["data"].get("embeds", []))
    assert "old form of `/kaltura-token`" in text and "`/kaltura-token create`" in text
    assert len(answer["data"]["content"]) <= 2000
    assert len(memory_tokens.items) == 1


def test_the_new_shape_carries_no_notice() -> None:
    assert "old form" not in run()["data"]["content"]


def test_without_signing_keys_the_member_is_told_and_the_operator_sees_why(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("JWT_SIGNING_KEYS")
    clear_keyring()
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger("kaltura_discord").addHandler(handler)
    try:
        answer = handle_interaction(Interaction(create_payload(), "https://api.example.test")).to_dict()
    finally:
        logging.getLogger("kaltura_discord").removeHandler(handler)
    assert "not set up" in answer["data"]["content"]
    assert "JWT_SIGNING_KEYS" in stream.getvalue()


def test_the_token_is_not_logged() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logging.getLogger("kaltura_discord").addHandler(handler)
    try:
        answer = handle_interaction(Interaction(create_payload(), "https://api.example.test")).to_dict()
    finally:
        logging.getLogger("kaltura_discord").removeHandler(handler)
    token = token_of(answer)
    assert token not in stream.getvalue()
    assert "API token minted" in stream.getvalue()
    assert "`https://api.example.test/v1`" in answer["data"]["content"]
