"""Overrides -> effective config: deep merge over the defaults, and edits of the sparse overrides document.

Overrides hold only what a guild changed. Dicts merge recursively; lists and scalars replace (a role list
set by a guild is the whole list, not an addition to the default one).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from kaltura_discord.config.defaults import Defaults, get_defaults
from kaltura_discord.config.keys import validate_config
from kaltura_discord.config.model import GuildConfig

MAX_LENIENT_PASSES = 32


def deep_merge(base: Mapping[str, Any], override: Mapping[str, Any]) -> dict[str, Any]:
    """A new dict: ``override`` over ``base``; neither input is modified or shared with the result."""
    merged: dict[str, Any] = copy.deepcopy(dict(base))
    for key, value in override.items():
        current = merged.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            merged[key] = deep_merge(current, value)
        else:
            merged[key] = copy.deepcopy(value)
    return merged


def set_path(overrides: Mapping[str, Any], key: str, value: Any) -> dict[str, Any]:
    """A copy of ``overrides`` with the dotted ``key`` set (intermediate groups are created)."""
    result = copy.deepcopy(dict(overrides))
    node = result
    *parents, last = key.split(".")
    for part in parents:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[last] = copy.deepcopy(value)
    return result


def remove_path(overrides: Mapping[str, Any], key: str | None) -> tuple[dict[str, Any], bool]:
    """A copy without the dotted ``key`` (None: without anything), pruning groups left empty; and whether
    something was removed."""
    if key is None:
        return {}, bool(overrides)
    result = copy.deepcopy(dict(overrides))
    trail: list[tuple[dict[str, Any], str]] = []
    node: Any = result
    for part in key.split("."):
        if not isinstance(node, dict) or part not in node:
            return result, False
        trail.append((node, part))
        node = node[part]
    parent, last = trail[-1]
    del parent[last]
    for parent, part in reversed(trail[:-1]):
        if parent[part] != {}:
            break
        del parent[part]
    return result, True


def flatten(data: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Dotted leaf keys -> values (lists are leaves; an empty group is kept as ``{}``)."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        dotted = f"{prefix}.{key}" if prefix else str(key)
        if isinstance(value, Mapping) and value:
            flat.update(flatten(value, dotted))
        else:
            flat[dotted] = value
    return flat


def changed_keys(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[str, ...]:
    """Dotted keys whose override was added, removed or changed."""
    old, new = flatten(before), flatten(after)
    return tuple(sorted(key for key in old.keys() | new.keys() if old.get(key, _MISSING) != new.get(key, _MISSING)))


_MISSING = object()


def effective_config(overrides: Mapping[str, Any], defaults: Defaults | None = None) -> GuildConfig:
    """Strict: defaults + overrides, or ConfigValidationError naming every bad key (used before a write)."""
    base = defaults or get_defaults()
    if not overrides:
        return base.config
    return validate_config(deep_merge(base.data, overrides))


def _override_path(loc: tuple[str | int, ...], overrides: Mapping[str, Any]) -> list[str]:
    """The longest prefix of an error location that exists in the overrides."""
    path: list[str] = []
    node: Any = overrides
    for part in loc:
        if not isinstance(node, Mapping) or str(part) not in node:
            break
        path.append(str(part))
        node = node[str(part)]
    return path


def effective_config_lenient(
    overrides: Mapping[str, Any], defaults: Defaults | None = None
) -> tuple[GuildConfig, tuple[str, ...]]:
    """For reads: stored overrides that no longer validate (a new release changed the rules) are ignored
    key by key instead of breaking the guild; returns the config and the dotted keys that were ignored."""
    base = defaults or get_defaults()
    if not overrides:
        return base.config, ()
    current = copy.deepcopy(dict(overrides))
    ignored: list[str] = []
    for _ in range(MAX_LENIENT_PASSES):
        try:
            payload = json.dumps(deep_merge(base.data, current), allow_nan=False)
        except (TypeError, ValueError):
            break
        try:
            return GuildConfig.model_validate_json(payload), tuple(ignored)
        except ValidationError as exc:
            paths = {".".join(p) for p in (_override_path(e["loc"], current) for e in exc.errors()) if p}
        if not paths:
            break
        for path in sorted(paths):
            current, _ = remove_path(current, path)
            ignored.append(path)
    return base.config, ("*",)
