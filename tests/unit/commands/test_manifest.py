from __future__ import annotations

import copy
import dataclasses
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaltura_discord import i18n
from kaltura_discord.commands import COMMANDS, Choice, Option, get
from kaltura_discord.commands.definitions import STRING
from kaltura_discord.commands.manifest import (
    build_manifest,
    check_manifest,
    definition_hash,
    diff,
    normalise,
    write_json,
)

pytestmark = pytest.mark.unit

REPO_ROOT = Path(__file__).resolve().parents[3]
MANIFEST = REPO_ROOT / "config" / "commands.manifest.json"


def _as_discord_returns(payload: dict[str, Any], *, guild: str | None = None) -> dict[str, Any]:
    """A command the way Discord's GET answers: server fields, defaults, string permissions, null localizations."""

    def option(value: dict[str, Any]) -> dict[str, Any]:
        out = {"name_localizations": None, "description_localizations": None, "required": False, **value}
        if out["type"] in (1, 2):
            del out["required"]
        if "choices" in value:
            out["choices"] = [{"name_localizations": None, **choice} for choice in value["choices"]]
        if "options" in value:
            out["options"] = [option(child) for child in value["options"]]
        return out

    stored = {
        "id": "1200000000000000001",
        "application_id": "1100000000000000000",
        "version": "1200000000000000002",
        "name_localizations": None,
        "description_localizations": None,
        "nsfw": False,
        "dm_permission": True,
        **payload,
        "default_member_permissions": None
        if payload.get("default_member_permissions") is None
        else str(payload["default_member_permissions"]),
        "options": [option(value) for value in payload.get("options", [])],
    }
    if guild is not None:
        stored.update(guild_id=guild, contexts=None, integration_types=[0])
        del stored["dm_permission"]
    return stored


def test_normalise_drops_discord_defaults_and_server_fields() -> None:
    for definition in COMMANDS:
        sent = definition.to_discord()
        assert normalise(_as_discord_returns(sent)) == normalise(sent)
        assert normalise(_as_discord_returns(sent, guild="42"), guild=True) == normalise(sent, guild=True)


def test_normalised_form_is_minimal() -> None:
    status = get("kaltura-status")
    assert status is not None
    translated = {
        "name_localizations": i18n.localizations(status.name, i18n.NAME),
        "description_localizations": i18n.localizations(status.description, i18n.DESCRIPTION),
    }
    assert normalise(status.to_discord()) == {
        "name": "kaltura-status",
        "description": status.description,
        **translated,
        "default_member_permissions": "32",
        "contexts": [0],
        "integration_types": [0],
    }
    assert normalise(status.to_discord(), guild=True) == {
        "name": "kaltura-status",
        "description": status.description,
        **translated,
        "default_member_permissions": "32",
    }


def test_normalise_keeps_what_matters() -> None:
    sent = get("kaltura-start").to_discord()  # type: ignore[union-attr]
    for mutate in (
        lambda p: p.update(description="Other"),
        lambda p: p["options"][1].update(max_length=99),
        lambda p: p["options"][0]["choices"].pop(),
        lambda p: p["options"][2].update(required=True),
        lambda p: p.update(default_member_permissions="0"),
        lambda p: p.update(contexts=[0, 1]),
        lambda p: p.update(nsfw=True),
        lambda p: p["options"].reverse(),
        lambda p: p["options"][1].update(min_length=0),
    ):
        changed = copy.deepcopy(sent)
        mutate(changed)
        assert normalise(changed) != normalise(sent)


_NOISE = st.fixed_dictionaries(
    {},
    optional={
        "id": st.just("1"),
        "version": st.just("2"),
        "application_id": st.just("3"),
        "name_localizations": st.sampled_from([None, {}]),
        "description_localizations": st.sampled_from([None, {}]),
        "nsfw": st.just(False),
        "dm_permission": st.booleans(),
        "type": st.just(1),
        "name_localized": st.just("x"),
    },
)


@given(index=st.integers(0, len(COMMANDS) - 1), noise=_NOISE, option_noise=st.booleans())
def test_normalise_ignores_any_mix_of_defaults(index: int, noise: dict[str, Any], option_noise: bool) -> None:
    sent = COMMANDS[index].to_discord()
    noisy = {**copy.deepcopy(sent), **{key: value for key, value in noise.items() if key not in sent}}
    if option_noise:
        for option in noisy["options"]:
            option.setdefault("autocomplete", False)
            option.setdefault("description_localizations", None)
    assert normalise(noisy) == normalise(sent)
    assert normalise(normalise(noisy)) == normalise(sent)


def test_hash_is_stable_and_sensitive() -> None:
    start = get("kaltura-start")
    assert start is not None
    assert definition_hash(start) == definition_hash(dataclasses.replace(start))
    assert definition_hash(start) != definition_hash(dataclasses.replace(start, description="Start something"))
    # the version is not part of the payload, so it does not change the hash
    assert definition_hash(start) == definition_hash(dataclasses.replace(start, version="9.9.9"))
    assert definition_hash(start).startswith("sha256:") and len(definition_hash(start)) == 7 + 64


def test_diff_reports_added_changed_removed() -> None:
    desired = [c.to_discord() for c in COMMANDS]
    registered = [_as_discord_returns(p) for p in desired]
    assert diff(desired, registered).empty
    registered = [r for r in registered if r["name"] != "kaltura-token"]
    start = next(r for r in registered if r["name"] == "kaltura-start")
    start["options"][1]["max_length"] = 50
    start["description"] = "old"
    registered.append(_as_discord_returns({"name": "kaltura-old", "description": "Gone", "type": 1}))
    result = diff(desired, registered)
    assert result.added == ("kaltura-token",)
    assert result.removed == ("kaltura-old",)
    assert result.changed == (("kaltura-start", ("description", "options[title].max_length")),)
    assert result.lines() == [
        "+ /kaltura-token (new)",
        "~ /kaltura-start: description, options[title].max_length",
        "- /kaltura-old (no longer defined)",
    ]


def test_diff_tells_command_types_apart() -> None:
    desired = [c.to_discord() for c in COMMANDS]
    user_command = {"id": "9", "name": "kaltura-help", "type": 2, "description": ""}
    registered = [_as_discord_returns(p) for p in desired] + [user_command]
    assert diff(desired, registered).lines() == ["- /kaltura-help (type 2 command) (no longer defined)"]


def test_diff_in_guild_scope_ignores_contexts() -> None:
    desired = [c.to_discord() for c in COMMANDS]
    registered = [_as_discord_returns(p, guild="42") for p in desired]
    assert not diff(desired, registered).empty  # contexts null vs [0]: differs globally...
    assert diff(desired, registered, guild=True).empty  # ...but Discord ignores them on guild commands


def test_committed_manifest_is_in_step() -> None:
    assert check_manifest(COMMANDS, MANIFEST) == []
    committed = json.loads(MANIFEST.read_text(encoding="utf-8"))
    assert committed == build_manifest(COMMANDS)


def test_check_manifest_fails_when_not_regenerated(tmp_path: Path) -> None:
    path = tmp_path / "commands.manifest.json"
    assert check_manifest(COMMANDS, path) == [
        "commands.manifest.json is missing: run python scripts/generate_command_docs.py --write"
    ]
    assert write_json(path, build_manifest(COMMANDS)) is True
    assert write_json(path, build_manifest(COMMANDS)) is False
    assert check_manifest(COMMANDS, path) == []

    start = get("kaltura-start")
    assert start is not None
    edited = dataclasses.replace(start, options=(*start.options, Option("extra", "More", STRING)))
    changed = [edited if c.name == "kaltura-start" else c for c in COMMANDS]
    (problem,) = check_manifest(changed, path)
    assert problem.startswith("/kaltura-start changed (hash sha256:")
    assert problem.endswith("but the manifest was not regenerated: run python scripts/generate_command_docs.py --write")

    bumped = [dataclasses.replace(c, version="1.1.0") if c.name == "kaltura-start" else c for c in changed]
    assert check_manifest(bumped, path) == [
        "/kaltura-start is version 1.1.0 but the manifest says 1.0.1: run "
        "python scripts/generate_command_docs.py --write"
    ]
    fewer = [c for c in COMMANDS if c.name != "kaltura-help"]
    assert check_manifest(fewer, path) == [
        "/kaltura-help is in the manifest but no longer defined: run python scripts/generate_command_docs.py --write"
    ]
    extra = dataclasses.replace(
        COMMANDS[0], name="kaltura-new", options=(Option("x", "y", STRING, choices=(Choice("a", "a"),)),)
    )
    assert check_manifest([*COMMANDS, extra], path) == [
        "/kaltura-new is defined but not in the manifest: run python scripts/generate_command_docs.py --write"
    ]
