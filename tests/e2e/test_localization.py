"""The member's language through the local stack (`make run`), and scripts/send_interaction.py --locale."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.e2e.conftest import REPO, RunningStack
from tests.support.interactions import MANAGE_GUILD, command

pytestmark = pytest.mark.e2e


def speaking(payload: dict[str, Any], locale: str, guild_locale: str = "en-US") -> dict[str, Any]:
    return {**payload, "locale": locale, "guild_locale": guild_locale}


def test_help_in_german_and_in_english_for_an_unshipped_language(stack: RunningStack) -> None:
    german = stack.post(speaking(command("kaltura-help"), "de")).json()["data"]["embeds"][0]
    italian = stack.post(speaking(command("kaltura-help"), "it")).json()["data"]["embeds"][0]
    assert german["title"] == "Kaltura-Meetings in Discord"
    assert "**/kaltura-hilfe** (`/kaltura-help`)" in german["description"]
    assert italian["title"] == "Kaltura meetings in Discord"


def test_a_refusal_in_german(stack: RunningStack) -> None:
    answer = stack.post(speaking(command("kaltura-status", permissions=0), "de")).json()
    assert answer["data"]["content"].startswith("Nur Mitglieder mit der Berechtigung „Server verwalten“")


def test_the_deferred_answer_is_in_the_language_of_the_interaction(stack: RunningStack) -> None:
    payload = speaking(command("kaltura-status", permissions=MANAGE_GUILD), "it", guild_locale="fr")
    assert stack.post(payload).json()["type"] == 5
    [edit] = stack.wait_for_calls(payload["token"])
    assert "Stockage (DynamoDB)\u00a0: ok (" in edit["body"]["content"]  # French: a no-break space before ":"


def test_send_interaction_takes_the_locales(stack: RunningStack, tmp_path: Path) -> None:
    (tmp_path / "stack.json").write_text(json.dumps(stack.state))
    (tmp_path / "dev-signing-key.hex").write_text(bytes(stack.key).hex())

    def send(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "scripts/send_interaction.py", *args, "--state-dir", str(tmp_path)],
            cwd=REPO,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        return result.stdout

    assert "Kaltura-Meetings in Discord" in send("kaltura-help", "--locale", "de")
    assert "このボットでできること" in send("kaltura-help", "--locale", "it", "--guild-locale", "ja")
    assert "Kaltura meetings in Discord" in send("kaltura-help", "--locale", "it")
