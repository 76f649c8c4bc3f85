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


def test_a_german_member_starts_a_meeting_in_a_german_server_and_reads_german(stack: RunningStack) -> None:
    """The card (the server's language), the join link and the end's reply (the member's): all German."""
    guild, member = "1000000000000000691", "1000000000000000692"
    options = [{"name": "type", "type": 3, "value": "meeting"}, {"name": "title", "type": 3, "value": "Planung"}]
    started = speaking(command("kaltura-start", options, user_id=member, guild_id=guild), "de", guild_locale="de")
    assert stack.post(started).json() == {"type": 5}
    [card] = stack.wait_for_calls(started["token"])
    fields = {field["name"]: field["value"] for field in card["body"]["embeds"][0]["fields"]}
    assert fields == {"Art": "Meeting", "Host": f"<@{member}>", "Status": "Live"}
    buttons = card["body"]["components"][0]["components"]
    assert [button["label"] for button in buttons] == ["Beitreten", "Teilen", "Beenden"]
    meeting_id = str(buttons[0]["custom_id"]).split(":", 1)[1]

    picked = [{"name": "meeting", "type": 3, "value": meeting_id}]
    joined = stack.post(speaking(command("kaltura-join", picked, user_id=member, guild_id=guild), "de")).json()
    assert joined["data"]["content"].startswith("Dein persönlicher Link zu **Planung**.")
    assert joined["data"]["components"][0]["components"][0]["label"] == "Meeting öffnen"

    ended = speaking(command("kaltura-end", picked, user_id=member, guild_id=guild), "de")
    assert stack.post(ended).json()["type"] == 5
    [reply] = stack.wait_for_calls(ended["token"])
    assert reply["body"]["content"].startswith("**Planung** wurde beendet.")
