from __future__ import annotations

import dataclasses
import subprocess
import sys
from typing import Any

import pytest

from kaltura_discord.commands import COMMANDS, Choice, CommandDefinition, Deprecation, Option, deprecation_notice, get
from kaltura_discord.commands.definitions import INTEGER, STRING, SUB_COMMAND
from kaltura_discord.config.model import GuildConfig

pytestmark = pytest.mark.unit


def _option(command: str, *path: str) -> Option:
    definition = get(command)
    assert definition is not None
    options = definition.options
    found: Option | None = None
    for name in path:
        found = next(option for option in options if option.name == name)
        options = found.options
    assert found is not None
    return found


def test_the_nine_commands_in_order() -> None:
    assert [c.name for c in COMMANDS] == [
        "kaltura-help",
        "kaltura-status",
        "kaltura-start",
        "kaltura-schedule",
        "kaltura-join",
        "kaltura-list",
        "kaltura-end",
        "kaltura-config",
        "kaltura-token",
    ]
    for command in COMMANDS:
        assert command.contexts == (0,) and command.integration_types == (0,)
        versions = {"kaltura-config": "1.1.0", "kaltura-token": "2.0.0", "kaltura-schedule": "1.0.0"}
        assert command.version == versions.get(command.name, "1.0.1")  # 1.0.1: translations (issue 15)
        assert command.version.startswith(("1.", "2."))
        assert command.deprecated is None


def test_get_by_name() -> None:
    assert get("kaltura-start") is COMMANDS[2]
    assert get("/kaltura-start") is None
    assert get("nope") is None


def test_permissions() -> None:
    restricted = {c.name for c in COMMANDS if c.default_member_permissions == "32"}
    assert restricted == {"kaltura-status", "kaltura-config", "kaltura-token"}
    assert all(c.default_member_permissions is None for c in COMMANDS if c.name not in restricted)


def test_start_options() -> None:
    definition = get("kaltura-start")
    assert definition is not None
    assert [(o.name, o.type, o.required) for o in definition.options] == [
        ("type", STRING, True),
        ("title", STRING, True),
        ("description", STRING, False),
    ]
    assert _option("kaltura-start", "type").choices == (
        Choice("Meeting", "meeting"),
        Choice("Webinar", "webinar"),
        Choice("Classroom", "classroom"),
    )
    title = _option("kaltura-start", "title")
    assert (title.min_length, title.max_length) == (3, 100)
    assert _option("kaltura-start", "description").max_length == 500


@pytest.mark.parametrize("command", ["kaltura-join", "kaltura-end"])
def test_meeting_option_autocompletes(command: str) -> None:
    meeting = _option(command, "meeting")
    assert (meeting.type, meeting.required, meeting.autocomplete, meeting.choices) == (STRING, True, True, ())


def test_config_subcommands() -> None:
    definition = get("kaltura-config")
    assert definition is not None
    assert [(o.name, o.type) for o in definition.options] == [
        ("view", SUB_COMMAND),
        ("set", SUB_COMMAND),
        ("reset", SUB_COMMAND),
    ]
    view = _option("kaltura-config", "view", "section")
    assert not view.required
    sections = list(GuildConfig.model_fields)
    assert [c.value for c in view.choices] == sections
    key, value = _option("kaltura-config", "set", "key"), _option("kaltura-config", "set", "value")
    assert key.required and key.autocomplete and value.required and value.autocomplete
    assert value.max_length == 2000
    reset = _option("kaltura-config", "reset", "section")
    assert reset.required
    assert [c.value for c in reset.choices] == [*sections, "all"]


def test_token_subcommands_and_options() -> None:
    definition = get("kaltura-token")
    assert definition is not None
    assert [(o.name, o.type) for o in definition.options] == [
        ("create", SUB_COMMAND),
        ("list", SUB_COMMAND),
        ("revoke", SUB_COMMAND),
    ]
    scopes = _option("kaltura-token", "create", "scopes")
    assert not scopes.required
    assert [c.value for c in scopes.choices] == [
        "meetings:read",
        "meetings:read meetings:write",
        "meetings:read meetings:write config:write",
    ]
    lifetime = _option("kaltura-token", "create", "lifetime_hours")
    assert (lifetime.type, lifetime.required, lifetime.min_value, lifetime.max_value) == (INTEGER, False, 1, 720)
    assert _option("kaltura-token", "list").options == ()
    token = _option("kaltura-token", "revoke", "token")
    assert (token.type, token.required, token.autocomplete, token.choices) == (STRING, True, True, ())
    assert definition.migration is not None and "/kaltura-token create" in definition.migration


def without_localizations(payload: Any) -> Any:
    """The payload as it was before translations (they are checked in tests/unit/test_i18n.py)."""
    if isinstance(payload, list):
        return [without_localizations(item) for item in payload]
    if isinstance(payload, dict):
        return {
            key: without_localizations(value)
            for key, value in payload.items()
            if key not in ("name_localizations", "description_localizations")
        }
    return payload


def test_to_discord_payload_shape() -> None:
    config = get("kaltura-config")
    assert config is not None
    payload = config.to_discord()
    assert payload["type"] == 1
    assert payload["default_member_permissions"] == 32
    assert payload["contexts"] == [0] and payload["integration_types"] == [0]
    reset = without_localizations(payload["options"][2])
    assert reset == {
        "type": 1,
        "name": "reset",
        "description": "Put a section back to its defaults",
        "options": [
            {
                "type": 3,
                "name": "section",
                "description": "The section to reset",
                "required": True,
                "choices": [
                    {"name": "Notifications", "value": "notifications"},
                    {"name": "Commands", "value": "commands"},
                    {"name": "Roles", "value": "roles"},
                    {"name": "Kaltura", "value": "kaltura"},
                    {"name": "Meetings", "value": "meetings"},
                    {"name": "Share", "value": "share"},
                    {"name": "All", "value": "all"},
                ],
            }
        ],
    }
    help_payload = COMMANDS[0].to_discord()
    assert help_payload["options"] == [] and help_payload["default_member_permissions"] is None
    lifetime = without_localizations(get("kaltura-token").to_discord()["options"][0]["options"][1])  # type: ignore[union-attr]
    assert lifetime == {
        "type": 4,
        "name": "lifetime_hours",
        "description": lifetime["description"],
        "min_value": 1,
        "max_value": 720,
    }


def test_definitions_are_immutable() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        COMMANDS[0].name = "other"  # type: ignore[misc]


def test_deprecation_notice() -> None:
    assert deprecation_notice(COMMANDS[0]) is None
    old = CommandDefinition(
        name="kaltura-meetings",
        description="Old listing",
        version="1.3.0",
        deprecated=Deprecation(message="It was renamed.", replacement="kaltura-list"),
    )
    notice = deprecation_notice(old)
    assert notice == (
        "`/kaltura-meetings` is deprecated and will be removed in a future version. It was renamed."
        " Use `/kaltura-list` instead."
    )
    bare = dataclasses.replace(old, deprecated=Deprecation(message="No longer needed.", replacement=None))
    assert deprecation_notice(bare) == (
        "`/kaltura-meetings` is deprecated and will be removed in a future version. No longer needed."
    )


def test_import_is_stdlib_only() -> None:
    code = (
        "import sys, kaltura_discord.commands as c; "
        "print(sorted(m for m in ('httpx', 'pydantic', 'jsonschema', 'boto3') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
