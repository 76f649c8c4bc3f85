from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from kaltura_discord.commands import COMMANDS, CommandDefinition, Deprecation, get
from kaltura_discord.commands.definitions import SUB_COMMAND
from kaltura_discord.commands.docs import permission_text, render

pytestmark = pytest.mark.unit

PAGE = Path(__file__).resolve().parents[3] / "docs" / "commands.md"


def test_committed_page_is_not_stale() -> None:
    assert PAGE.read_text(encoding="utf-8") == render(COMMANDS), (
        "docs/commands.md is stale: run python scripts/generate_command_docs.py --write"
    )


def test_every_command_option_permission_and_version_is_documented() -> None:
    page = render(COMMANDS)
    for definition in COMMANDS:
        assert f"## `/{definition.name}` {{#{definition.name}}}" in page
        assert definition.description in page
        section = page.split(f"## `/{definition.name}`", 1)[1].split("\n## ", 1)[0]
        assert f"- Version: **{definition.version}**" in section
        assert f"- Who can use it: {permission_text(definition.default_member_permissions)}" in section
        stack = list(definition.options)
        while stack:
            option = stack.pop()
            shown = f"`/{definition.name} {option.name}`" if option.type == SUB_COMMAND else f"| `{option.name}` |"
            assert shown in section, (definition.name, option.name)
            assert option.description in section
            stack.extend(option.options)


def test_option_details() -> None:
    page = render(COMMANDS)
    assert "| `title` | string | yes | The session's title | 3-100 characters |" in page
    assert "| `description` | string | no | What the session is about | at most 500 characters |" in page
    assert "Usage: `/kaltura-start type:… title:… [description:…]`" in page
    assert "### `/kaltura-config set` {#kaltura-config-set}" in page
    assert "Usage: `/kaltura-config set key:… value:…`" in page
    assert (
        "| `lifetime_hours` | integer | no | Hours until the token expires (1-720; at most 24 when it can change "
        "settings) | 1 to 720 |"
    ) in page
    assert "### `/kaltura-token revoke` {#kaltura-token-revoke}" in page
    assert '!!! note "Changed in 2.0.0"' in page and "`/kaltura-token create`" in page
    assert "Meeting (`meeting`), Webinar (`webinar`), Classroom (`classroom`)" in page
    assert "one of Read meetings (`meetings:read`)" in page


def test_permission_text() -> None:
    assert permission_text(None) == "everyone"
    assert permission_text("0") == "administrators only"
    assert permission_text("32") == "Manage Server"
    assert permission_text(str(32 | 8)) == "Administrator + Manage Server"
    assert permission_text(str(1 << 40 | 32)) == "Manage Server + permission bit 40"


def test_deprecated_command_is_flagged() -> None:
    old = CommandDefinition(
        name="kaltura-meetings",
        description="List meetings (old name)",
        version="1.1.0",
        deprecated=Deprecation("Renamed.", "kaltura-list"),
    )
    page = render([*COMMANDS, old])
    assert "| [`/kaltura-meetings`](#kaltura-meetings) (deprecated) |" in page
    assert '!!! warning "Deprecated"' in page
    assert (
        "    `/kaltura-meetings` is deprecated and will be removed in a future version. Renamed. Use `/kaltura-list`"
        in page
    )


def test_pipes_in_descriptions_do_not_break_tables() -> None:
    start = get("kaltura-start")
    assert start is not None
    piped = dataclasses.replace(start, description="Start | go")
    assert "| Start \\| go |" in render([piped])
