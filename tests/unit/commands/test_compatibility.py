from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from kaltura_discord.commands import COMMANDS, CommandDefinition, Deprecation, Option, get
from kaltura_discord.commands.definitions import INTEGER, STRING
from kaltura_discord.commands.manifest import (
    Bump,
    build_release_snapshot,
    bump_between,
    classify,
    compatibility_problems,
    load_json,
    next_version,
    normalise,
    required_bump,
)

pytestmark = pytest.mark.unit

RELEASED = Path(__file__).resolve().parents[3] / "config" / "commands.released.json"

BEFORE: dict[str, Any] = {
    "name": "demo",
    "description": "Demo",
    "default_member_permissions": "32",
    "contexts": [0],
    "integration_types": [0],
    "options": [
        {
            "type": 3,
            "name": "kind",
            "description": "Kind",
            "required": True,
            "choices": [{"name": "A", "value": "a"}, {"name": "B", "value": "b"}],
        },
        {"type": 3, "name": "title", "description": "Title", "min_length": 3, "max_length": 100},
        {"type": 4, "name": "hours", "description": "Hours", "min_value": 1, "max_value": 720},
        {"type": 3, "name": "free", "description": "Free text", "autocomplete": True},
    ],
}

Edit = Callable[[dict[str, Any]], object]


def _opt(payload: dict[str, Any], name: str) -> dict[str, Any]:
    return next(option for option in payload["options"] if option["name"] == name)


CASES: list[tuple[str, Edit, Bump]] = [
    ("nothing", lambda p: None, Bump.NONE),
    ("command description", lambda p: p.update(description="Better words"), Bump.PATCH),
    ("option description", lambda p: _opt(p, "title").update(description="The title"), Bump.PATCH),
    ("choice display name", lambda p: _opt(p, "kind")["choices"][0].update(name="Alpha"), Bump.PATCH),
    ("options reordered", lambda p: p["options"].insert(1, p["options"].pop(2)), Bump.PATCH),
    ("command translated", lambda p: p.update(description_localizations={"de": "Vorführung"}), Bump.PATCH),
    ("command name translated", lambda p: p.update(name_localizations={"fr": "démo"}), Bump.PATCH),
    (
        "option translation reworded",
        lambda p: _opt(p, "title").update(description_localizations={"ja": "タイトル"}),
        Bump.PATCH,
    ),
    ("option name translated", lambda p: _opt(p, "title").update(name_localizations={"de": "titel"}), Bump.PATCH),
    (
        "choice translated",
        lambda p: _opt(p, "kind")["choices"][0].update(name_localizations={"es-ES": "Alfa"}),
        Bump.PATCH,
    ),
    ("optional option added", lambda p: p["options"].append({"type": 5, "name": "x", "description": "X"}), Bump.MINOR),
    ("choice added", lambda p: _opt(p, "kind")["choices"].append({"name": "C", "value": "c"}), Bump.MINOR),
    ("option made optional", lambda p: _opt(p, "kind").pop("required"), Bump.MINOR),
    ("max_length raised", lambda p: _opt(p, "title").update(max_length=200), Bump.MINOR),
    ("min_value removed", lambda p: _opt(p, "hours").pop("min_value"), Bump.MINOR),
    ("choices dropped entirely", lambda p: _opt(p, "kind").pop("choices"), Bump.MINOR),
    ("autocomplete turned off", lambda p: _opt(p, "free").pop("autocomplete"), Bump.MINOR),
    ("permissions relaxed", lambda p: p.pop("default_member_permissions"), Bump.MINOR),
    ("context added", lambda p: p.update(contexts=[0, 1]), Bump.MINOR),
    ("option removed", lambda p: p["options"].pop(), Bump.MAJOR),
    ("option renamed", lambda p: _opt(p, "title").update(name="name"), Bump.MAJOR),
    ("option made required", lambda p: _opt(p, "title").update(required=True), Bump.MAJOR),
    (
        "required option added",
        lambda p: p["options"].insert(1, {"type": 3, "name": "y", "description": "Y", "required": True}),
        Bump.MAJOR,
    ),
    ("choice removed", lambda p: _opt(p, "kind")["choices"].pop(), Bump.MAJOR),
    ("choice value changed", lambda p: _opt(p, "kind")["choices"][0].update(value="aa"), Bump.MAJOR),
    ("option type changed", lambda p: _opt(p, "title").update(type=4), Bump.MAJOR),
    ("choices imposed", lambda p: _opt(p, "title").update(choices=[{"name": "X", "value": "x"}]), Bump.MAJOR),
    ("max_length lowered", lambda p: _opt(p, "title").update(max_length=50), Bump.MAJOR),
    ("min_length raised", lambda p: _opt(p, "title").update(min_length=5), Bump.MAJOR),
    ("max_length imposed", lambda p: _opt(p, "free").update(max_length=10), Bump.MAJOR),
    ("permissions tightened", lambda p: p.update(default_member_permissions="40"), Bump.MAJOR),
    ("admins only", lambda p: p.update(default_member_permissions="0"), Bump.MAJOR),
    ("context removed", lambda p: p.update(contexts=[1]), Bump.MAJOR),
    ("marked nsfw", lambda p: p.update(nsfw=True), Bump.MAJOR),
    ("description and option removed", lambda p: (p.update(description="X"), p["options"].pop()), Bump.MAJOR),
]


@pytest.mark.parametrize(("edit", "expected"), [(e, b) for _, e, b in CASES], ids=[c[0] for c in CASES])
def test_rule_checker(edit: Edit, expected: Bump) -> None:
    after = copy.deepcopy(BEFORE)
    edit(after)
    changes = classify(BEFORE, after)
    assert required_bump(changes) is expected, [c.what for c in changes]
    if expected is Bump.NONE:
        assert changes == []


def test_permissions_from_everyone_to_restricted_is_major() -> None:
    everyone = {k: v for k, v in BEFORE.items() if k != "default_member_permissions"}
    assert required_bump(classify(everyone, BEFORE)) is Bump.MAJOR
    assert required_bump(classify({**BEFORE, "default_member_permissions": "0"}, BEFORE)) is Bump.MINOR


def test_subcommand_options_are_compared_too() -> None:
    config = get("kaltura-config")
    assert config is not None
    before = normalise(config.to_discord())
    after = copy.deepcopy(before)
    after["options"][1]["options"][1]["max_length"] = 100
    changes = classify(before, after)
    assert [(c.bump, c.what) for c in changes] == [
        (Bump.MAJOR, "option set > value max_length tightened from 2000 to 100")
    ]


@pytest.mark.parametrize(
    ("old", "new", "bump"),
    [
        ("1.0.0", "1.0.0", Bump.NONE),
        ("1.0.0", "1.0.1", Bump.PATCH),
        ("1.0.9", "1.1.0", Bump.MINOR),
        ("1.9.9", "2.0.0", Bump.MAJOR),
        ("1.2.3", "1.10.0", Bump.MINOR),
        ("1.2.3", "1.2.2", None),
        ("2.0.0", "1.9.9", None),
    ],
)
def test_bump_between(old: str, new: str, bump: Bump | None) -> None:
    assert bump_between(old, new) is bump


def test_next_version() -> None:
    assert [next_version("1.4.2", b) for b in Bump] == ["1.4.2", "1.4.3", "1.5.0", "2.0.0"]


# -- against a release snapshot --------------------------------------------------------------------------------------

DEMO = CommandDefinition(
    name="demo",
    description="Demo",
    version="1.2.3",
    options=(Option("title", "Title", STRING, required=True), Option("hours", "Hours", INTEGER)),
)


def _problems(before: list[CommandDefinition], after: list[CommandDefinition]) -> list[str]:
    return compatibility_problems(build_release_snapshot(before), after)


def test_unchanged_needs_nothing() -> None:
    assert _problems([DEMO], [DEMO]) == []


def test_change_without_bump_says_which_bump() -> None:
    edited = dataclasses.replace(DEMO, options=DEMO.options[:1])
    assert _problems([DEMO], [edited]) == [
        "/demo needs a major version bump (1.2.3 -> 2.0.0), got no bump to 1.2.3: option hours was removed or renamed"
    ]


def test_too_small_a_bump_fails() -> None:
    edited = dataclasses.replace(
        DEMO, version="1.3.0", options=(DEMO.options[0], dataclasses.replace(DEMO.options[1], required=True))
    )
    assert _problems([DEMO], [edited]) == [
        "/demo needs a major version bump (1.2.3 -> 2.0.0), got a minor bump to 1.3.0: option hours became required"
    ]
    described = dataclasses.replace(DEMO, description="Better")
    assert _problems([DEMO], [described]) == [
        "/demo needs a patch version bump (1.2.3 -> 1.2.4), got no bump to 1.2.3: description changed"
    ]


def test_right_or_bigger_bump_passes() -> None:
    added = (*DEMO.options, Option("note", "Note", STRING))
    assert _problems([DEMO], [dataclasses.replace(DEMO, version="1.3.0", options=added)]) == []
    assert _problems([DEMO], [dataclasses.replace(DEMO, version="2.0.0", options=added)]) == []
    assert _problems([DEMO], [dataclasses.replace(DEMO, version="1.2.4", description="Better")]) == []


def test_version_going_backwards_fails() -> None:
    assert _problems([DEMO], [dataclasses.replace(DEMO, version="1.2.2")]) == [
        "/demo version 1.2.2 is lower than the released 1.2.3"
    ]


def test_deprecating_is_a_minor_change() -> None:
    other = dataclasses.replace(DEMO, name="other", version="1.0.0")
    deprecated = dataclasses.replace(DEMO, deprecated=Deprecation("Use /other.", "other"))
    (problem,) = _problems([DEMO, other], [deprecated, other])
    assert problem.startswith("/demo needs a minor version bump (1.2.3 -> 1.3.0)")
    assert _problems([DEMO, other], [dataclasses.replace(deprecated, version="1.3.0"), other]) == []


def test_removing_a_command_needs_a_deprecated_release_first() -> None:
    other = dataclasses.replace(DEMO, name="other", version="1.0.0")
    (problem,) = _problems([DEMO, other], [other])
    assert problem.startswith("/demo was removed (or renamed) without first being deprecated")
    deprecated = dataclasses.replace(DEMO, version="1.3.0", deprecated=Deprecation("Use /other.", "other"))
    assert _problems([deprecated, other], [other]) == []


def test_new_commands_are_fine() -> None:
    assert _problems([DEMO], [DEMO, dataclasses.replace(DEMO, name="fresh", version="1.0.0")]) == []


def test_current_definitions_against_the_last_release() -> None:
    """The gate: a change to a released command must carry the version bump its kind of change needs."""
    assert compatibility_problems(load_json(RELEASED), COMMANDS) == []
