"""Normalised command payloads, their hashes, the committed manifest, and the compatibility rules.

- :func:`normalise` turns a payload we send, or a command Discord returns, into one canonical form: ids, versions
  and other server-set fields dropped, Discord's defaults (``null``, ``false``, empty lists, ``required: false``,
  ``type: 1``, empty localizations) removed, permissions as a string. Two commands are the same when their
  normalised forms are equal.
- ``config/commands.manifest.json`` records each command's version and the hash of its normalised payload;
  :func:`check_manifest` fails when the definitions changed but the manifest was not regenerated.
- ``config/commands.released.json`` is the snapshot of the last release (payloads included);
  :func:`compatibility_problems` says which version bump a change needs (see docs/versioning.md).

Localizations (``name_localizations``, ``description_localizations``) are part of the payload: registration sends
them again when a translation changed, and a change of wording in any language is a patch, like the English
description. Interactions always carry the default (English) names, so a translated name never breaks a handler.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path
from typing import Any

from kaltura_discord.commands.definitions import CommandDefinition

MANIFEST_FORMAT = 1
REGENERATE_HINT = "python scripts/generate_command_docs.py --write"

_SERVER_FIELDS = frozenset(
    {"id", "application_id", "version", "guild_id", "name_localized", "description_localized", "dm_permission"}
)
_GLOBAL_ONLY_FIELDS = frozenset({"contexts", "integration_types"})
_TOP_LEVEL_DEFAULTS: dict[str, Any] = {"type": 1, "nsfw": False}
_OPTION_DEFAULTS: dict[str, Any] = {"required": False, "autocomplete": False}
LOCALIZATION_FIELDS = ("name_localizations", "description_localizations")


# -- normalising ---------------------------------------------------------------------------------------------------


def _is_default(value: Any) -> bool:
    return value is None or value is False or value in ([], {})


def _normalise_option(option: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in option.items():
        if key in ("name_localized", "description_localized") or _is_default(value):
            continue
        if key in _OPTION_DEFAULTS and value == _OPTION_DEFAULTS[key]:
            continue
        if key == "options":
            out[key] = [_normalise_option(child) for child in value]
        elif key == "choices":
            out[key] = [{k: v for k, v in choice.items() if not _is_default(v)} for choice in value]
        elif key == "channel_types":
            out[key] = sorted(value)
        else:
            out[key] = value
    return out


def normalise(payload: Mapping[str, Any], *, guild: bool = False) -> dict[str, Any]:
    """The canonical form of one command, from our payload or from Discord's answer.

    With ``guild=True``, ``contexts`` and ``integration_types`` are dropped too: Discord applies them only to
    global commands.
    """
    out: dict[str, Any] = {}
    for key, value in payload.items():
        if key in _SERVER_FIELDS or (guild and key in _GLOBAL_ONLY_FIELDS) or _is_default(value):
            continue
        if key in _TOP_LEVEL_DEFAULTS and value == _TOP_LEVEL_DEFAULTS[key]:
            continue
        if key == "options":
            out[key] = [_normalise_option(option) for option in value]
        elif key == "default_member_permissions":
            out[key] = str(value)
        elif key in _GLOBAL_ONLY_FIELDS:
            out[key] = sorted(value)
        else:
            out[key] = value
    return out


def canonical_json(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def payload_hash(normalised: Mapping[str, Any]) -> str:
    return "sha256:" + hashlib.sha256(canonical_json(normalised).encode()).hexdigest()


def definition_hash(definition: CommandDefinition) -> str:
    return payload_hash(normalise(definition.to_discord()))


# -- comparing with what is registered -------------------------------------------------------------------------------


@dataclass(frozen=True)
class CommandDiff:
    added: tuple[str, ...]
    changed: tuple[tuple[str, tuple[str, ...]], ...]
    """(command, the fields or option paths that differ)."""
    removed: tuple[str, ...]

    @property
    def empty(self) -> bool:
        return not (self.added or self.changed or self.removed)

    def lines(self) -> list[str]:
        out = [f"+ /{name} (new)" for name in self.added]
        out += [f"~ /{name}: {', '.join(fields)}" for name, fields in self.changed]
        out += [f"- /{name} (no longer defined)" for name in self.removed]
        return out


def _differences(before: Any, after: Any, path: str) -> list[str]:
    if isinstance(before, Mapping) and isinstance(after, Mapping):
        found: list[str] = []
        for key in sorted(set(before) | set(after)):
            if before.get(key) != after.get(key):
                if key == "options" and isinstance(before.get(key), list) and isinstance(after.get(key), list):
                    found.extend(_option_differences(before[key], after[key], f"{path}.options" if path else "options"))
                else:
                    found.append(f"{path}.{key}" if path else key)
        return found
    return [path] if before != after else []


def _option_differences(before: list[Any], after: list[Any], path: str) -> list[str]:
    names_before = [option.get("name") for option in before]
    names_after = [option.get("name") for option in after]
    if names_before != names_after:
        return [f"{path} ({', '.join(map(str, names_before))} -> {', '.join(map(str, names_after))})"]
    found: list[str] = []
    for old, new in zip(before, after, strict=True):
        found.extend(_differences(old, new, f"{path}[{old.get('name')}]"))
    return found


def _label(item: Mapping[str, Any]) -> str:
    """Names are unique per command type; a bulk overwrite replaces user and message commands too."""
    kind = item.get("type") or 1
    return str(item["name"]) if kind == 1 else f"{item['name']} (type {kind} command)"


def diff(
    desired: Sequence[Mapping[str, Any]], registered: Sequence[Mapping[str, Any]], *, guild: bool = False
) -> CommandDiff:
    """What a bulk overwrite with ``desired`` would change in ``registered`` (both as sent / as returned)."""
    want = {_label(item): normalise(item, guild=guild) for item in desired}
    have = {_label(item): normalise(item, guild=guild) for item in registered}
    changed = tuple(
        (name, tuple(_differences(have[name], want[name], "")))
        for name in want
        if name in have and have[name] != want[name]
    )
    return CommandDiff(
        added=tuple(name for name in want if name not in have),
        changed=changed,
        removed=tuple(name for name in have if name not in want),
    )


# -- the manifest ------------------------------------------------------------------------------------------------------


def build_manifest(commands: Iterable[CommandDefinition]) -> dict[str, Any]:
    return {
        "format": MANIFEST_FORMAT,
        "generated_by": REGENERATE_HINT,
        "commands": {
            definition.name: {"version": definition.version, "hash": definition_hash(definition)}
            for definition in sorted(commands, key=lambda item: item.name)
        },
    }


def build_release_snapshot(commands: Iterable[CommandDefinition]) -> dict[str, Any]:
    """What ``config/commands.released.json`` holds: versions, payloads and deprecations at a release."""
    return {
        "format": MANIFEST_FORMAT,
        "generated_by": "python scripts/generate_command_docs.py --release",
        "commands": {
            definition.name: {
                "version": definition.version,
                "deprecated": definition.deprecated is not None,
                "payload": normalise(definition.to_discord()),
            }
            for definition in sorted(commands, key=lambda item: item.name)
        },
    }


def dump(document: Mapping[str, Any]) -> str:
    return json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_json(path: Path, document: Mapping[str, Any]) -> bool:
    """Write ``document`` if it differs from the file; True when the file changed."""
    text = dump(document)
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return False
    path.write_text(text, encoding="utf-8")
    return True


def check_manifest(commands: Iterable[CommandDefinition], path: Path) -> list[str]:
    """Why the committed manifest at ``path`` does not match the definitions (empty when it does)."""
    if not path.is_file():
        return [f"{path.name} is missing: run {REGENERATE_HINT}"]
    try:
        committed = json.loads(path.read_text(encoding="utf-8")).get("commands", {})
    except (ValueError, AttributeError):
        return [f"{path.name} is not a manifest: run {REGENERATE_HINT}"]
    expected = build_manifest(commands)["commands"]
    problems: list[str] = []
    for name, entry in expected.items():
        recorded = committed.get(name)
        if recorded is None:
            problems.append(f"/{name} is defined but not in the manifest")
        elif recorded.get("version") != entry["version"]:
            problems.append(f"/{name} is version {entry['version']} but the manifest says {recorded.get('version')}")
        elif recorded.get("hash") != entry["hash"]:
            problems.append(f"/{name} changed (hash {entry['hash'][:19]}…) but the manifest was not regenerated")
    problems += [f"/{name} is in the manifest but no longer defined" for name in committed if name not in expected]
    return [f"{problem}: run {REGENERATE_HINT}" for problem in problems]


# -- compatibility -----------------------------------------------------------------------------------------------------


class Bump(IntEnum):
    NONE = 0
    PATCH = 1
    MINOR = 2
    MAJOR = 3

    @property
    def label(self) -> str:
        return self.name.lower()


@dataclass(frozen=True)
class Change:
    bump: Bump
    what: str


def parse_version(version: str) -> tuple[int, int, int]:
    major, minor, patch = (int(part) for part in version.split("."))
    return major, minor, patch


def bump_between(old: str, new: str) -> Bump | None:
    """The bump from ``old`` to ``new``; None when ``new`` is lower than ``old``."""
    before, after = parse_version(old), parse_version(new)
    if after < before:
        return None
    if after[0] > before[0]:
        return Bump.MAJOR
    if after[1] > before[1]:
        return Bump.MINOR
    if after[2] > before[2]:
        return Bump.PATCH
    return Bump.NONE


def next_version(old: str, bump: Bump) -> str:
    major, minor, patch = parse_version(old)
    if bump is Bump.MAJOR:
        return f"{major + 1}.0.0"
    if bump is Bump.MINOR:
        return f"{major}.{minor + 1}.0"
    if bump is Bump.PATCH:
        return f"{major}.{minor}.{patch + 1}"
    return old


def _compare_permissions(before: Any, after: Any) -> list[Change]:
    """None lets everyone in; "0" only administrators; otherwise a member needs every bit."""
    if before == after:
        return []
    if before is None:
        tighter = True
    elif after is None:
        tighter = False
    elif int(after) == 0 or int(before) == 0:
        tighter = int(after) == 0
    else:
        tighter = bool(int(after) & ~int(before))
    if tighter:
        return [Change(Bump.MAJOR, f"default_member_permissions now shut out members ({before} -> {after})")]
    return [Change(Bump.MINOR, f"default_member_permissions now let more members in ({before} -> {after})")]


def _compare_options(before: list[Any], after: list[Any], path: str) -> list[Change]:
    changes: list[Change] = []
    old = {option["name"]: option for option in before}
    new = {option["name"]: option for option in after}
    for name in old:
        if name not in new:
            changes.append(Change(Bump.MAJOR, f"option {path}{name} was removed or renamed"))
    for name, option in new.items():
        where = f"{path}{name}"
        if name not in old:
            if option.get("required"):
                changes.append(Change(Bump.MAJOR, f"required option {where} was added"))
            else:
                changes.append(Change(Bump.MINOR, f"optional option {where} was added"))
            continue
        changes.extend(_compare_option(old[name], option, where))
    if [name for name in old if name in new] != [name for name in new if name in old]:
        changes.append(Change(Bump.PATCH, f"options under {path or 'the command'} were reordered"))
    return changes


def _compare_localizations(old: Mapping[str, Any], new: Mapping[str, Any], what: str) -> list[Change]:
    """A translation added, reworded or removed: the words shown in some language changed, nothing else."""
    return [
        Change(Bump.PATCH, f"{what} {key.replace('_', ' ')} changed")
        for key in LOCALIZATION_FIELDS
        if (old.get(key) or {}) != (new.get(key) or {})
    ]


def _compare_option(old: Mapping[str, Any], new: Mapping[str, Any], where: str) -> list[Change]:
    changes: list[Change] = []
    if old.get("type") != new.get("type"):
        return [Change(Bump.MAJOR, f"option {where} changed type from {old.get('type')} to {new.get('type')}")]
    changes.extend(_compare_localizations(old, new, f"option {where}"))
    if bool(old.get("required")) != bool(new.get("required")):
        if new.get("required"):
            changes.append(Change(Bump.MAJOR, f"option {where} became required"))
        else:
            changes.append(Change(Bump.MINOR, f"option {where} became optional"))
    changes.extend(_compare_choices(old.get("choices") or [], new.get("choices") or [], where))
    if bool(old.get("autocomplete")) != bool(new.get("autocomplete")):
        changes.append(
            Change(Bump.MINOR, f"option {where} turned autocomplete {'on' if new.get('autocomplete') else 'off'}")
        )
    for key, tighter_when_higher in (
        ("min_length", True),
        ("max_length", False),
        ("min_value", True),
        ("max_value", False),
    ):
        before, after = old.get(key), new.get(key)
        if before == after:
            continue
        tightened = after is not None and (before is None or (after > before) == tighter_when_higher)
        if tightened:
            changes.append(Change(Bump.MAJOR, f"option {where} {key} tightened from {before} to {after}"))
        else:
            changes.append(Change(Bump.MINOR, f"option {where} {key} relaxed from {before} to {after}"))
    if old.get("description") != new.get("description"):
        changes.append(Change(Bump.PATCH, f"option {where} description changed"))
    if old.get("options") or new.get("options"):
        changes.extend(_compare_options(old.get("options") or [], new.get("options") or [], f"{where} > "))
    return changes


def _compare_choices(before: list[Any], after: list[Any], where: str) -> list[Change]:
    if not before and after:
        return [Change(Bump.MAJOR, f"option {where} now only accepts fixed choices")]
    if before and not after:
        return [Change(Bump.MINOR, f"option {where} no longer restricts values to choices")]
    old = {json.dumps(choice.get("value")): choice for choice in before}
    new = {json.dumps(choice.get("value")): choice for choice in after}
    changes = [Change(Bump.MAJOR, f"option {where} choice {value} was removed") for value in old if value not in new]
    changes += [Change(Bump.MINOR, f"option {where} choice {value} was added") for value in new if value not in old]
    changes += [
        Change(Bump.PATCH, f"option {where} choice {value} was renamed")
        for value in new
        if value in old and old[value].get("name") != new[value].get("name")
    ]
    changes += [
        Change(Bump.PATCH, f"option {where} choice {value} name localizations changed")
        for value in new
        if value in old and (old[value].get("name_localizations") or {}) != (new[value].get("name_localizations") or {})
    ]
    if [v for v in old if v in new] != [v for v in new if v in old]:
        changes.append(Change(Bump.PATCH, f"option {where} choices were reordered"))
    return changes


def _compare_set(key: str, before: Any, after: Any) -> list[Change]:
    old, new = set(before or ()), set(after or ())
    if old == new:
        return []
    if old - new:
        return [Change(Bump.MAJOR, f"{key} no longer include {sorted(old - new)}")]
    return [Change(Bump.MINOR, f"{key} now also include {sorted(new - old)}")]


def classify(before: Mapping[str, Any], after: Mapping[str, Any]) -> list[Change]:
    """Every change from one normalised payload to another, each with the bump it needs."""
    changes: list[Change] = []
    if before.get("type", 1) != after.get("type", 1):
        changes.append(Change(Bump.MAJOR, "command type changed"))
    changes.extend(
        _compare_permissions(before.get("default_member_permissions"), after.get("default_member_permissions"))
    )
    for key in ("contexts", "integration_types"):
        changes.extend(_compare_set(key, before.get(key), after.get(key)))
    if bool(before.get("nsfw")) != bool(after.get("nsfw")):
        changes.append(Change(Bump.MAJOR if after.get("nsfw") else Bump.MINOR, "nsfw changed"))
    if before.get("description") != after.get("description"):
        changes.append(Change(Bump.PATCH, "description changed"))
    changes.extend(_compare_localizations(before, after, "the command's"))
    changes.extend(_compare_options(list(before.get("options") or []), list(after.get("options") or []), ""))
    known = {"type", "name", "description", "options", "default_member_permissions", "contexts", "integration_types"}
    known |= set(LOCALIZATION_FIELDS)
    for key in sorted((set(before) | set(after)) - known - {"nsfw"}):
        if before.get(key) != after.get(key):
            changes.append(Change(Bump.MINOR, f"{key} changed"))
    return changes


def required_bump(changes: Iterable[Change]) -> Bump:
    return max((change.bump for change in changes), default=Bump.NONE)


def compatibility_problems(released: Mapping[str, Any], commands: Iterable[CommandDefinition]) -> list[str]:
    """Changes since the release snapshot ``released`` whose version bump is missing or too small."""
    previous: Mapping[str, Any] = released.get("commands", {})
    current = {definition.name: definition for definition in commands}
    problems: list[str] = []
    for name, entry in previous.items():
        if name not in current and not entry.get("deprecated"):
            problems.append(
                f"/{name} was removed (or renamed) without first being deprecated: a breaking change. Keep it, "
                f"mark it deprecated with a replacement and release that, then remove it in a later release"
            )
    for name, definition in current.items():
        if name not in previous:
            continue
        old_version = str(previous[name]["version"])
        changes = classify(previous[name]["payload"], normalise(definition.to_discord()))
        if definition.deprecated is not None and not previous[name].get("deprecated"):
            changes.append(Change(Bump.MINOR, "the command was deprecated"))
        if definition.deprecated is None and previous[name].get("deprecated"):
            changes.append(Change(Bump.MINOR, "the deprecation was withdrawn"))
        needed = required_bump(changes)
        made = bump_between(old_version, definition.version)
        if made is None:
            problems.append(f"/{name} version {definition.version} is lower than the released {old_version}")
        elif made < needed:
            reasons = "; ".join(change.what for change in changes if change.bump == needed)
            problems.append(
                f"/{name} needs a {needed.label} version bump ({old_version} -> {next_version(old_version, needed)}),"
                f" got {'no bump' if made is Bump.NONE else 'a ' + made.label + ' bump'} to {definition.version}:"
                f" {reasons}"
            )
    return problems


def load_json(path: Path) -> dict[str, Any]:
    value = json.loads(path.read_text(encoding="utf-8"))
    if not isinstance(value, dict):
        raise ValueError(f"{path} does not hold a JSON object")
    return value
