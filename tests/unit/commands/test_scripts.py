from __future__ import annotations

import dataclasses
from pathlib import Path

import httpx
import pytest

from kaltura_discord.commands import COMMANDS
from tests.unit.commands.loader import load_script

pytestmark = pytest.mark.unit

register_commands = load_script("register_commands")
generate_command_docs = load_script("generate_command_docs")


@pytest.fixture(autouse=True)
def _credentials(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_APPLICATION_ID", "1100000000000000000")
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "unit-test-token")


@pytest.mark.parametrize(
    ("body", "headers", "expected"),
    [
        ({"retry_after": 0.25, "global": False}, {"Retry-After": "1", "X-RateLimit-Reset-After": "0.5"}, 0.25),
        (None, {"Retry-After": "3", "X-RateLimit-Reset-After": "2.5"}, 2.5),
        (None, {"Retry-After": "3"}, 3.0),
        ({"message": "x"}, {"Retry-After": "soon"}, None),
        (None, {}, None),
    ],
)
def test_retry_after(body: object, headers: dict[str, str], expected: float | None) -> None:
    response = (
        httpx.Response(429, json=body, headers=headers) if body is not None else httpx.Response(429, headers=headers)
    )
    assert register_commands.retry_after_seconds(response) == expected


@pytest.mark.parametrize(
    "argv",
    [
        [],
        ["--scope", "global", "--guild-id", "123456789012345678"],
        ["--scope", "guild"],
        ["--guild-id", "abc"],
        ["--scope", "everywhere"],
        ["--scope", "global", "--max-attempts", "0"],
    ],
)
def test_usage_errors_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        register_commands.main(argv)
    assert raised.value.code == register_commands.EXIT_USAGE == 2
    assert "usage:" in capsys.readouterr().err


@pytest.mark.parametrize("missing", ["DISCORD_APPLICATION_ID", "DISCORD_BOT_TOKEN"])
def test_missing_setting_exits_2_before_any_request(
    missing: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv(missing)
    assert register_commands.main(["--scope", "global"]) == 2
    err = capsys.readouterr().err
    assert f"missing required setting {missing}" in err
    assert "Traceback" not in err


def test_bad_application_id_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DISCORD_APPLICATION_ID", "my-app")
    assert register_commands.main(["--scope", "global"]) == 2
    assert "DISCORD_APPLICATION_ID must be the application id" in capsys.readouterr().err


def test_invalid_definitions_exit_2_before_any_request(capsys: pytest.CaptureFixture[str]) -> None:
    broken = [*COMMANDS[1:], dataclasses.replace(COMMANDS[0], name="Kaltura Help")]
    code = register_commands.register(broken, guild_id=None, dry_run=False, sleep=pytest.fail)
    assert code == 2
    err = capsys.readouterr().err
    assert "nothing was sent" in err
    assert "/Kaltura Help: name 'Kaltura Help' has characters outside" in err


def test_generated_files_are_in_step(capsys: pytest.CaptureFixture[str]) -> None:
    assert generate_command_docs.check(COMMANDS) == []
    assert generate_command_docs.main(["--check"]) == 0
    assert "commands: in step" in capsys.readouterr().out


def test_write_then_check_in_a_fresh_tree(tmp_path: Path) -> None:
    (tmp_path / "docs").mkdir()
    (tmp_path / "config").mkdir()
    problems = generate_command_docs.check(COMMANDS, tmp_path)
    assert any("commands.manifest.json is missing" in p for p in problems)
    assert any("docs/commands.md is stale" in p for p in problems)
    written = generate_command_docs.write(COMMANDS, tmp_path)
    assert sorted(p.name for p in written) == ["commands.manifest.json", "commands.md"]
    assert generate_command_docs.check(COMMANDS, tmp_path) == []
    assert generate_command_docs.write(COMMANDS, tmp_path) == []
    edited = [dataclasses.replace(c, description="Changed") if c.name == "kaltura-list" else c for c in COMMANDS]
    assert len(generate_command_docs.check(edited, tmp_path)) == 2  # manifest hash and the page


def test_unreadable_secret_exits_2(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    def unreachable(name: str) -> str:
        raise ConnectionError("could not connect to the endpoint URL")

    monkeypatch.setattr(register_commands.settings.secrets, "require", unreachable)
    assert register_commands.main(["--scope", "global"]) == 2
    err = capsys.readouterr().err
    assert "could not read DISCORD_BOT_TOKEN from the SECRETS_ID secret (ConnectionError)" in err
    assert "Traceback" not in err
