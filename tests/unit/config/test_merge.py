from __future__ import annotations

import copy

import pytest

from kaltura_discord.config import get_defaults
from kaltura_discord.config.merge import (
    changed_keys,
    deep_merge,
    effective_config,
    effective_config_lenient,
    flatten,
    remove_path,
    set_path,
)
from tests.support.fakes import CHANNEL, ROLE_A, ROLE_B

pytestmark = pytest.mark.unit


def test_dicts_merge_recursively_and_scalars_replace() -> None:
    base = {"a": {"x": 1, "y": {"p": 1, "q": 2}}, "b": 1}
    merged = deep_merge(base, {"a": {"y": {"q": 3}}, "b": 2})
    assert merged == {"a": {"x": 1, "y": {"p": 1, "q": 3}}, "b": 2}


def test_lists_replace_instead_of_appending() -> None:
    merged = deep_merge({"ids": ["1", "2"]}, {"ids": ["3"]})
    assert merged == {"ids": ["3"]}


def test_a_scalar_override_replaces_a_group_and_vice_versa() -> None:
    assert deep_merge({"a": {"x": 1}}, {"a": 5}) == {"a": 5}
    assert deep_merge({"a": 5}, {"a": {"x": 1}}) == {"a": {"x": 1}}


def test_merge_neither_modifies_nor_shares_its_inputs() -> None:
    base = {"a": {"ids": ["1"]}}
    override = {"a": {"more": ["2"]}}
    snapshot = copy.deepcopy((base, override))
    merged = deep_merge(base, override)
    merged["a"]["ids"].append("x")
    merged["a"]["more"].append("y")
    assert (base, override) == snapshot


def test_set_path_creates_groups_and_leaves_the_input_alone() -> None:
    original = {"roles": {"default": "viewer"}}
    updated = set_path(original, f"roles.mapping.{ROLE_A}", "admin")
    assert updated == {"roles": {"default": "viewer", "mapping": {ROLE_A: "admin"}}}
    assert original == {"roles": {"default": "viewer"}}


def test_remove_path_prunes_groups_left_empty() -> None:
    overrides = {"roles": {"mapping": {ROLE_A: "admin"}}, "kaltura": {"end_action": "delete"}}
    result, removed = remove_path(overrides, f"roles.mapping.{ROLE_A}")
    assert removed and result == {"kaltura": {"end_action": "delete"}}
    result, removed = remove_path(overrides, "roles.mapping.999")
    assert not removed and result == overrides
    assert remove_path(overrides, None) == ({}, True)
    assert remove_path({}, None) == ({}, False)


def test_changed_keys_lists_added_removed_and_changed_leaves() -> None:
    before = {"roles": {"mapping": {ROLE_A: "admin"}, "default": "viewer"}, "kaltura": {"end_action": "none"}}
    after = {"roles": {"mapping": {ROLE_B: "admin"}, "default": "viewer"}, "kaltura": {"end_action": "delete"}}
    assert changed_keys(before, after) == (
        "kaltura.end_action",
        f"roles.mapping.{ROLE_A}",
        f"roles.mapping.{ROLE_B}",
    )
    assert flatten({"a": {"b": [1]}, "c": {}}) == {"a.b": [1], "c": {}}


def test_effective_config_is_defaults_plus_overrides() -> None:
    defaults = get_defaults()
    config = effective_config(
        {
            "notifications": {"enabled": True, "channel_id": CHANNEL, "meeting_ended": False},
            "roles": {"mapping": {ROLE_A: "moderator"}},
        }
    )
    assert config.notifications.enabled is True
    assert config.notifications.channel_for("meeting_started") == CHANNEL
    assert config.notifications.channel_for("meeting_ended") is None
    # Untouched keys keep their defaults, including siblings of overridden keys.
    assert config.notifications.templates == defaults.config.notifications.templates
    assert config.roles.default == defaults.config.roles.default
    assert config.roles.mapping == {ROLE_A: "moderator"}


def test_empty_overrides_give_the_defaults_object() -> None:
    assert effective_config({}) is get_defaults().config


def test_lenient_read_ignores_only_the_overrides_that_no_longer_validate() -> None:
    stored = {
        "kaltura": {"end_action": "explode", "join_link_ttl_seconds": 120},
        "roles": {"mapping": {"not-a-role": "admin", ROLE_A: "admin"}},
        "retired_section": {"x": 1},
    }
    config, ignored = effective_config_lenient(stored)
    assert set(ignored) == {"kaltura.end_action", "roles.mapping.not-a-role", "retired_section"}
    assert config.kaltura.join_link_ttl_seconds == 120
    assert config.kaltura.end_action == get_defaults().config.kaltura.end_action
    assert config.roles.mapping == {ROLE_A: "admin"}


def test_lenient_read_drops_a_cross_field_problem_by_its_section() -> None:
    config, ignored = effective_config_lenient({"notifications": {"enabled": True}})
    assert ignored == ("notifications",)
    assert config.notifications.enabled is False
