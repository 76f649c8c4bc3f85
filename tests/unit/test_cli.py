"""The `kaltura-discord` console script declared in pyproject.toml: it exists, `--help` works, and each subcommand
reaches the code the matching script in scripts/ runs."""

from __future__ import annotations

import importlib
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from kaltura_discord import cli

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]


def test_the_declared_entry_point_is_this_main() -> None:
    scripts = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]["scripts"]
    module_name, _, function = scripts["kaltura-discord"].partition(":")
    assert getattr(importlib.import_module(module_name), function) is cli.main


def test_the_installed_console_script_prints_its_help() -> None:
    script = shutil.which("kaltura-discord", path=str(Path(sys.executable).parent))
    assert script is not None, "kaltura-discord is not installed next to this Python: run `make venv`"
    result = subprocess.run([script, "--help"], capture_output=True, text=True, check=False, timeout=60)
    assert result.returncode == 0, result.stderr
    for name in ("run", "send", "register", "check-kaltura", "bench"):
        assert f"\n  {name} " in result.stdout


def test_no_command_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main([]) == 2
    assert "usage: kaltura-discord" in capsys.readouterr().err
    assert cli.main(["nope"]) == 2
    assert "unknown command 'nope'" in capsys.readouterr().err


@pytest.mark.parametrize("name", ["run", "send", "register", "check-kaltura"])
def test_every_subcommand_has_its_own_help(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as finished:
        cli.main([name, "--help"])
    assert finished.value.code == 0
    assert f"usage: kaltura-discord {name}" in capsys.readouterr().out


def test_register_runs_the_registration(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.delenv("DISCORD_APPLICATION_ID", raising=False)
    monkeypatch.delenv("SECRETS_ID", raising=False)
    assert cli.main(["register", "--scope", "global", "--dry-run"]) == 2  # its exit code for a missing setting
    assert "missing required setting DISCORD_APPLICATION_ID" in capsys.readouterr().err


def test_the_scripts_are_the_same_commands() -> None:
    from tests.unit.commands.loader import load_script

    assert load_script("register_commands").main is importlib.import_module("kaltura_discord.cli.register").main
    assert load_script("check_kaltura").main is importlib.import_module("kaltura_discord.cli.check_kaltura").main


def test_bench_needs_a_source_checkout(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(cli, "REPO", tmp_path)
    assert cli.main(["bench"]) == 2
    assert "needs a source checkout" in capsys.readouterr().err
    assert (REPO / "scripts" / "bench.py").is_file() and cli.REPO != REPO
