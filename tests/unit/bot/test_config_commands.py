"""/kaltura-config through the dispatcher, with the guild configuration in memory."""

from __future__ import annotations

from typing import Any

import pytest

from kaltura_discord.bot.dispatch import handle_interaction
from kaltura_discord.config import get_config
from kaltura_discord.discord.interaction import Interaction
from tests.support.fakes import MemoryConfigTable
from tests.support.interactions import GUILD_ID, MANAGE_GUILD, command, interaction

pytestmark = pytest.mark.unit
ADMINISTRATOR = 1 << 3


def config_command(sub: str, permissions: int = MANAGE_GUILD, **options: str) -> dict[str, Any]:
    leaf = [{"name": k, "type": 3, "value": v} for k, v in options.items()]
    return command("kaltura-config", [{"name": sub, "type": 1, "options": leaf}], permissions=permissions)


def run(payload: dict[str, Any]) -> dict[str, Any]:
    return handle_interaction(Interaction(payload)).to_dict()


def test_member_without_manage_server_is_refused_and_nothing_is_written(memory_config: MemoryConfigTable) -> None:
    answer = run(config_command("set", permissions=1 << 11, key="commands.kaltura-list.enabled", value="false"))
    assert answer["data"]["flags"] == 64 and "Manage Server" in answer["data"]["content"]
    assert memory_config.writes == 0


def test_administrator_counts_as_manage_server(memory_config: MemoryConfigTable) -> None:
    answer = run(config_command("set", permissions=ADMINISTRATOR, key="roles.default", value="moderator"))
    assert "Saved `roles.default`" in answer["data"]["content"]
    assert get_config(GUILD_ID).roles.default == "moderator"


def test_disabling_a_command_takes_effect_on_the_next_interaction(memory_config: MemoryConfigTable) -> None:
    assert run(command("kaltura-help"))["data"].get("embeds")
    run(config_command("set", key="commands.kaltura-help.enabled", value="off"))
    refused = run(command("kaltura-help"))
    assert refused["data"]["flags"] == 64
    assert "disabled on this server" in refused["data"]["content"]


@pytest.mark.parametrize(
    ("key", "value", "expected"),
    [
        ("commands.kaltura-nope.enabled", "true", "kaltura-nope"),
        ("kaltura.join_link_ttl_seconds", "ten", "join_link_ttl_seconds"),
        ("roles.default", "overlord", "viewer, moderator, admin"),
        ("share.template", "Hi {0.__class__}", "{"),
        ("share.template", "Hi {title.__class__}", "{"),
        ("share.template", "Join {nope}", "nope"),
        ("share.template", "x" * 2001, "2000"),
    ],
)
def test_bad_input_is_refused_clearly_and_nothing_is_written(
    memory_config: MemoryConfigTable, key: str, value: str, expected: str
) -> None:
    answer = run(config_command("set", key=key, value=value))
    content = answer["data"]["content"]
    assert answer["data"]["flags"] == 64
    assert content.startswith("That change was not saved") and expected in content
    assert memory_config.writes == 0


def test_reset_asks_for_confirmation_then_resets(memory_config: MemoryConfigTable) -> None:
    run(config_command("set", key="roles.default", value="admin"))
    prompt = run(config_command("reset", section="roles"))
    buttons = prompt["data"]["components"][0]["components"]
    assert [b["label"] for b in buttons] == ["Reset", "Cancel"]
    assert get_config(GUILD_ID).roles.default == "admin"

    pressed = interaction(3, {"custom_id": buttons[0]["custom_id"], "component_type": 2}, permissions=MANAGE_GUILD)
    done = run(pressed)
    assert done["type"] == 7 and "back to the defaults" in done["data"]["content"]
    assert get_config(GUILD_ID).roles.default == "viewer"


def test_reset_button_pressed_by_non_admin_is_refused(memory_config: MemoryConfigTable) -> None:
    run(config_command("set", key="roles.default", value="admin"))
    pressed = interaction(3, {"custom_id": "config-reset:all:yes", "component_type": 2}, permissions=0)
    answer = run(pressed)
    assert answer["type"] == 4 and "Manage Server" in answer["data"]["content"]
    assert get_config(GUILD_ID).roles.default == "admin"


def test_key_and_value_autocomplete(memory_config: MemoryConfigTable) -> None:
    typed = [{"name": "key", "type": 3, "value": "roles.def", "focused": True}]
    payload = command("kaltura-config", [{"name": "set", "type": 1, "options": typed}], permissions=MANAGE_GUILD)
    payload["type"] = 4
    assert run(payload)["data"]["choices"] == [{"name": "roles.default", "value": "roles.default"}]
    values = [
        {"name": "key", "type": 3, "value": "roles.default"},
        {"name": "value", "type": 3, "value": "", "focused": True},
    ]
    payload = command("kaltura-config", [{"name": "set", "type": 1, "options": values}], permissions=MANAGE_GUILD)
    payload["type"] = 4
    assert [c["value"] for c in run(payload)["data"]["choices"]] == ["viewer", "moderator", "admin"]


def test_view_shows_a_section_with_its_version(memory_config: MemoryConfigTable) -> None:
    run(config_command("set", key="roles.default", value="moderator"))
    content = run(config_command("view", section="roles"))["data"]["content"]
    assert "(version 1)" in content and '"default": "moderator"' in content and "`roles.default`" in content
