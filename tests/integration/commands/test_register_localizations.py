"""Registration with localizations, against the Discord stand-in: the dry run shows them, Discord stores them, a
translation that changed is sent again and one that did not is not."""

from __future__ import annotations

import copy
import json
from typing import Any

import pytest

from kaltura_discord.commands import COMMANDS
from tests.integration.commands import test_register_commands as registering
from tests.integration.commands.test_register_commands import Discord, assert_no_token, desired, run

pytestmark = pytest.mark.integration

# The stand-in and the per-test application, as test_register_commands sets them up.
_server = registering._server
discord = registering.discord


def english_only(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def strip(item: dict[str, Any]) -> dict[str, Any]:
        kept = {k: v for k, v in item.items() if k not in ("name_localizations", "description_localizations")}
        for key in ("options", "choices"):
            if key in kept:
                kept[key] = [strip(child) for child in kept[key]]
        return kept

    return [strip(payload) for payload in payloads]


def test_the_dry_run_shows_the_localized_bodies(discord: Discord, capsys: pytest.CaptureFixture[str]) -> None:
    assert run("--scope", "global", "--dry-run") == 0
    assert discord.calls("PUT") == []
    out, _ = assert_no_token(capsys)
    start = out.index("The body of the bulk overwrite (PUT), localizations included:\n") + len(
        "The body of the bulk overwrite (PUT), localizations included:\n"
    )
    shown = json.JSONDecoder().raw_decode(out[start:])[0]
    assert shown == desired()
    assert '"de": "kaltura-hilfe"' in out and '"ja": "このボットでできること"' in out


def test_localizations_are_stored_and_a_second_run_sends_nothing(discord: Discord) -> None:
    assert run("--scope", "global") == 0
    help_command = next(c for c in discord.registered() if c["name"] == "kaltura-help")
    assert help_command["name_localizations"]["de"] == "kaltura-hilfe"
    assert help_command["description_localizations"]["ja"] == "このボットでできること"
    discord.server.clear()
    assert run("--scope", "global") == 0
    assert discord.calls("PUT") == []


def test_commands_registered_without_translations_are_sent_again(
    discord: Discord, capsys: pytest.CaptureFixture[str]
) -> None:
    discord.seed(english_only(desired()))
    assert run("--scope", "global") == 0
    (put,) = discord.calls("PUT")
    assert put.body == desired()
    out, _ = assert_no_token(capsys)
    assert "~ /kaltura-help: description_localizations, name_localizations" in out
    assert f"0 added, {len(COMMANDS)} changed, 0 removed" in out


def test_a_reworded_translation_is_one_change(discord: Discord, capsys: pytest.CaptureFixture[str]) -> None:
    registered = copy.deepcopy(desired())
    registered[0]["description_localizations"]["fr"] = "Ce que fait ce bot"
    discord.seed(registered)
    assert run("--scope", "global") == 0
    out, _ = assert_no_token(capsys)
    assert "~ /kaltura-help: description_localizations" in out and "0 added, 1 changed, 0 removed" in out


def test_discord_leaves_the_dictionaries_out_unless_asked(discord: Discord) -> None:
    import httpx

    from tests.integration.commands.test_register_commands import TOKEN

    discord.seed(desired())
    url = discord.server.api_base_url + discord.path()
    plain = httpx.get(url, headers={"Authorization": f"Bot {TOKEN}"}).json()
    full = httpx.get(url, params={"with_localizations": "true"}, headers={"Authorization": f"Bot {TOKEN}"}).json()
    assert "name_localizations" not in plain[0] and full[0]["name_localizations"]["fr"] == "kaltura-aide"
