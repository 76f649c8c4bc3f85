"""scripts/register_commands.py against the Discord stand-in on loopback."""

from __future__ import annotations

import itertools
import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from kaltura_discord.commands import COMMANDS
from kaltura_discord.commands.manifest import normalise
from kaltura_discord.local.discord_standin import DiscordStandIn, RecordedCall
from tests.unit.commands.loader import SCRIPTS, load_script
from tests.unit.commands.spec import GLOBAL_COMMANDS, GUILD_COMMANDS, bulk_overwrite_validator, errors, schema_validator

pytestmark = pytest.mark.integration

register_commands = load_script("register_commands")

REPO = Path(__file__).resolve().parents[3]
GUILD = "1300000000000000000"
TOKEN = "standin-bot-token-0123456789"
_APP_IDS = itertools.count(1100000000000000000)


@dataclass
class Discord:
    """One stand-in for the module; each test gets its own application id, so nothing leaks between tests."""

    server: DiscordStandIn
    app: str

    def route(self, method: str, guild: str | None = None) -> str:
        return f"^{method} {self.path(guild)}$"

    def path(self, guild: str | None = None) -> str:
        return f"/applications/{self.app}" + (f"/guilds/{guild}" if guild else "") + "/commands"

    def calls(self, method: str) -> list[RecordedCall]:
        return [call for call in self.server.calls(method) if call.path.startswith(f"/applications/{self.app}/")]

    def registered(self, guild: str | None = None) -> list[dict[str, Any]]:
        return self.server.registered_commands(self.app, guild)

    def seed(self, commands: list[dict[str, Any]], guild: str | None = None) -> None:
        url = self.server.api_base_url + self.path(guild)
        response = httpx.put(url, json=commands, headers={"Authorization": f"Bot {TOKEN}"})
        assert response.status_code == 200
        self.server.clear()


@pytest.fixture(scope="module")
def _server() -> Iterator[DiscordStandIn]:
    server = DiscordStandIn(bot_token=TOKEN).start()
    yield server
    server.stop()


@pytest.fixture
def discord(_server: DiscordStandIn, monkeypatch: pytest.MonkeyPatch) -> Discord:
    app = str(next(_APP_IDS))
    monkeypatch.setenv("DISCORD_API_BASE_URL", _server.api_base_url)
    monkeypatch.setenv("DISCORD_APPLICATION_ID", app)
    monkeypatch.setenv("DISCORD_BOT_TOKEN", TOKEN)
    _server.clear()
    return Discord(_server, app)


class Sleeps(list[float]):
    def __call__(self, seconds: float) -> None:
        self.append(seconds)


def run(*argv: str, sleeps: Sleeps | None = None) -> int:
    return int(register_commands.main(list(argv), sleep=sleeps if sleeps is not None else Sleeps()))


def desired() -> list[dict[str, Any]]:
    return [definition.to_discord() for definition in COMMANDS]


def assert_no_token(captured: pytest.CaptureFixture[str]) -> tuple[str, str]:
    out, err = captured.readouterr()
    assert TOKEN not in out and TOKEN not in err
    return out, err


def test_first_run_sends_one_put(discord: Discord, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--scope", "global") == 0
    puts = discord.calls("PUT")
    assert len(puts) == 1 and puts[0].path == discord.path()
    assert puts[0].body == desired()
    assert [normalise(c) for c in discord.registered()] == [normalise(c) for c in desired()]
    out, _ = assert_no_token(capsys)
    assert "+ /kaltura-help (new)" in out and "+ /kaltura-token (new)" in out
    assert f"Applied with one bulk overwrite: {len(COMMANDS)} added, 0 changed, 0 removed." in out


def test_no_change_means_no_put(discord: Discord, capsys: pytest.CaptureFixture[str]) -> None:
    discord.seed(desired())
    assert run("--scope", "global") == 0
    assert discord.calls("PUT") == []
    (get,) = discord.calls("GET")
    assert get.path == discord.path()
    out, _ = assert_no_token(capsys)
    assert f"Up to date: the {len(COMMANDS)} registered command(s) match the definitions. Nothing sent." in out


def outdated() -> list[dict[str, Any]]:
    old = desired()
    old[2]["description"] = "An older description"
    old = [c for c in old if c["name"] != "kaltura-token"]
    old.append({"name": "kaltura-legacy", "description": "Gone", "type": 1})
    return old


def test_a_change_sends_exactly_one_put(discord: Discord, capsys: pytest.CaptureFixture[str]) -> None:
    discord.seed(outdated())
    assert run("--scope", "global") == 0
    (put,) = discord.calls("PUT")
    assert put.body == desired()
    assert [c["name"] for c in discord.registered()] == [c.name for c in COMMANDS]
    out, _ = assert_no_token(capsys)
    assert "+ /kaltura-token (new)" in out
    assert "~ /kaltura-start: description" in out
    assert "- /kaltura-legacy (no longer defined)" in out
    assert "1 added, 1 changed, 1 removed" in out
    discord.server.clear()
    assert run("--scope", "global") == 0
    assert discord.calls("PUT") == []


def test_the_released_shape_of_a_command_is_replaced_by_its_new_major(
    discord: Discord, capsys: pytest.CaptureFixture[str]
) -> None:
    """What the last release registered (config/commands.released.json): /kaltura-token 1.x, flat options. Its 2.0.0
    subcommands are one change, found and sent once; after that nothing differs."""
    released = json.loads((REPO / "config" / "commands.released.json").read_text(encoding="utf-8"))["commands"]
    discord.seed([released[c.name]["payload"] if c.name in released else c.to_discord() for c in COMMANDS])
    assert run("--scope", "global") == 0
    (put,) = discord.calls("PUT")
    assert put.body == desired()
    out, _ = assert_no_token(capsys)
    assert (
        "~ /kaltura-token: description, description_localizations, name_localizations, "
        "options (scopes, lifetime_hours -> create, list, revoke)"
    ) in out
    token = next(c for c in discord.registered() if c["name"] == "kaltura-token")
    assert [(o["name"], o["type"]) for o in token["options"]] == [("create", 1), ("list", 1), ("revoke", 1)]
    discord.server.clear()
    assert run("--scope", "global") == 0
    assert discord.calls("PUT") == []


def test_dry_run_sends_nothing(discord: Discord, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--scope", "global", "--dry-run") == 0
    assert discord.calls("PUT") == []
    assert discord.registered() == []
    out, _ = assert_no_token(capsys)
    assert (
        f"Dry run: would send one bulk overwrite ({len(COMMANDS)} added, 0 changed, 0 removed). Nothing was sent."
        in out
    )


def test_guild_scope(discord: Discord) -> None:
    assert run("--guild-id", GUILD) == 0
    (put,) = discord.calls("PUT")
    assert put.path == discord.path(GUILD)
    assert discord.registered() == []
    discord.server.clear()
    # Discord keeps contexts null on guild commands; that must not look like a difference
    assert run("--scope", "guild", "--guild-id", GUILD) == 0
    assert discord.calls("PUT") == []


def test_429_waits_as_told_then_succeeds(discord: Discord, capsys: pytest.CaptureFixture[str]) -> None:
    discord.server.rate_limit_next(discord.route("PUT"), retry_after=0.013)
    sleeps = Sleeps()
    assert run("--scope", "global", sleeps=sleeps) == 0
    assert sleeps == [0.013]
    assert [c.status for c in discord.calls("PUT")] == [429, 200]
    assert len(discord.registered()) == len(COMMANDS)
    out, _ = assert_no_token(capsys)
    assert "rate limited (user): waiting 0.013 s before retrying" in out


def test_429_with_headers_only(discord: Discord) -> None:
    discord.server.fail_next(
        discord.route("GET"), 429, body=None, headers={"Retry-After": "1", "X-RateLimit-Reset-After": "0.25"}
    )
    sleeps = Sleeps()
    assert run("--scope", "global", sleeps=sleeps) == 0
    assert sleeps == [0.25]
    assert [c.status for c in discord.calls("GET")] == [429, 200]


def test_429_retries_are_bounded(discord: Discord, capsys: pytest.CaptureFixture[str]) -> None:
    discord.server.rate_limit_next(discord.route("PUT"), retry_after=0.01, times=10)
    sleeps = Sleeps()
    assert run("--scope", "global", "--max-attempts", "3", sleeps=sleeps) == 4
    assert len(discord.calls("PUT")) == 3 and len(sleeps) == 2
    _, err = assert_no_token(capsys)
    assert "still failing after 3 attempts" in err


def test_429_longer_than_max_wait_stops_without_waiting(discord: Discord, capsys: pytest.CaptureFixture[str]) -> None:
    discord.server.rate_limit_next(discord.route("PUT"), retry_after=120.5)
    sleeps = Sleeps()
    assert run("--scope", "global", "--max-wait", "30", sleeps=sleeps) == 4
    assert sleeps == []
    assert "rate limited for 120.5 s, more than --max-wait 30 s" in assert_no_token(capsys)[1]


def test_401_is_a_clean_auth_failure(
    discord: Discord, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "wrong-" + TOKEN)
    assert run("--scope", "global") == 3
    assert discord.calls("PUT") == []
    out, err = capsys.readouterr()
    assert "Discord refused the bot token (401" in err and "DISCORD_BOT_TOKEN" in err
    assert "wrong-" + TOKEN not in out + err
    assert "Traceback" not in err


def test_403_is_an_auth_failure(discord: Discord, capsys: pytest.CaptureFixture[str]) -> None:
    discord.server.fail_next(discord.route("GET", GUILD), 403, body={"code": 50001, "message": "Missing Access"})
    assert run("--guild-id", GUILD) == 3
    assert "Discord denied access (403 Missing Access)" in assert_no_token(capsys)[1]


def test_400_reports_discords_errors(discord: Discord, capsys: pytest.CaptureFixture[str]) -> None:
    body = {"code": 50035, "message": "Invalid Form Body", "errors": {"0": {"name": {"_errors": [{"code": "X"}]}}}}
    discord.server.fail_next(discord.route("PUT"), 400, body=body)
    assert run("--scope", "global") == 4
    _, err = assert_no_token(capsys)
    assert 'Discord answered 400: Invalid Form Body {"0":{"name":{"_errors":[{"code":"X"}]}}}' in err


def test_server_errors_are_retried(discord: Discord) -> None:
    discord.server.fail_next(discord.route("GET"), 502, body={"message": "Bad Gateway"}, times=2)
    sleeps = Sleeps()
    assert run("--scope", "global", sleeps=sleeps) == 0
    assert [c.status for c in discord.calls("GET")] == [502, 502, 200]
    assert len(sleeps) == 2


def test_unreachable_discord_is_exit_4(
    discord: Discord, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    monkeypatch.setenv("DISCORD_API_BASE_URL", f"http://127.0.0.1:{port}/api/v10")
    sleeps = Sleeps()
    assert run("--scope", "global", "--max-attempts", "2", sleeps=sleeps) == 4
    assert len(sleeps) == 1
    assert "could not reach Discord (ConnectError)" in assert_no_token(capsys)[1]


def test_as_a_process_401_exits_3_without_traceback(discord: Discord) -> None:
    env = {**os.environ, "DISCORD_BOT_TOKEN": "not-the-token-abc", "PYTHONWARNINGS": "error"}
    result = subprocess.run(
        [sys.executable, str(SCRIPTS / "register_commands.py"), "--scope", "global"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("error: Discord refused the bot token (401")
    assert "not-the-token-abc" not in result.stdout + result.stderr


@pytest.mark.contract
@pytest.mark.parametrize("guild", [None, GUILD], ids=["global", "guild"])
def test_put_body_and_stored_commands_match_openapi(discord: Discord, shared: Path, guild: str | None) -> None:
    discord.seed(outdated(), guild)
    assert run(*(["--guild-id", guild] if guild else ["--scope", "global"])) == 0
    (put,) = discord.calls("PUT")
    route = GUILD_COMMANDS if guild else GLOBAL_COMMANDS
    assert errors(bulk_overwrite_validator(shared, route), put.body) == []
    response_validator = schema_validator(shared, "ApplicationCommandResponse")
    assert [e for c in discord.registered(guild) for e in errors(response_validator, c)] == []
