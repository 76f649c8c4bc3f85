"""Every settable dotted key, read from the model's JSON schema, and the text <-> value rules for them.

The same catalog serves ``/kaltura-config set key value`` (autocomplete of keys and enumerated values,
parsing what a person typed) and the human messages of validation errors, so a key's description, its
allowed values and its error message can never disagree.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal

from pydantic import ValidationError
from pydantic_core import ErrorDetails

from kaltura_discord.config.errors import ConfigValidationError
from kaltura_discord.config.model import ALWAYS_ON_COMMANDS, GuildConfig, check_kaf_host, check_url_template
from kaltura_discord.config.templates import TemplateError, TemplateKind, validate_template

KeyKind = Literal[
    "section",
    "mapping",
    "boolean",
    "integer",
    "choice",
    "snowflake",
    "role_ids",
    "entry_id",
    "host",
    "template",
    "url_template",
]
LEAF_KINDS: Final = frozenset(
    {"boolean", "integer", "choice", "snowflake", "role_ids", "entry_id", "host", "template", "url_template"}
)
TRUE_WORDS: Final = frozenset({"true", "on", "yes", "y", "1", "enable", "enabled"})
FALSE_WORDS: Final = frozenset({"false", "off", "no", "n", "0", "disable", "disabled"})
NONE_WORDS: Final = frozenset({"", "none", "null", "-", "empty", "clear"})
MAPPING_PLACEHOLDER: Final = "<role_id>"

_MENTION_WRAPPER = re.compile(r"^<(?:@&|@!?|#)([0-9]+)>$")
_INTEGER = re.compile(r"^[+-]?[0-9][0-9_]*$")


@dataclass(frozen=True, slots=True)
class KeySpec:
    """One dotted key: how to parse it and what to tell a person about it."""

    key: str
    kind: KeyKind
    description: str
    expected: str
    choices: tuple[str, ...] = ()
    nullable: bool = False
    minimum: int | None = None
    maximum: int | None = None
    pattern: str | None = None
    max_length: int | None = None
    max_items: int | None = None
    placeholders: tuple[str, ...] = ()
    template_kind: TemplateKind | None = None
    key_pattern: str | None = None
    children: tuple[str, ...] = ()

    @property
    def settable(self) -> bool:
        return self.kind in LEAF_KINDS

    @property
    def value_choices(self) -> tuple[str, ...]:
        """Values worth offering in autocomplete (enumerations, booleans, 'none')."""
        if self.kind == "choice":
            return self.choices
        if self.kind == "boolean":
            return ("true", "false")
        if self.nullable or self.kind in {"role_ids", "entry_id", "host", "url_template"}:
            return ("none",)
        return ()


def _resolve(node: Mapping[str, Any], defs: Mapping[str, Any]) -> dict[str, Any]:
    """Inline a ``$ref`` (keeping the referring node's own keywords, e.g. its description)."""
    merged = dict(node)
    while "$ref" in merged:
        target = defs[str(merged.pop("$ref")).rsplit("/", 1)[-1]]
        merged = {**target, **merged}
    return merged


def _expected(kind: KeyKind, node: Mapping[str, Any], nullable: bool, key: str) -> str:
    none = ", or none" if nullable else ""
    if kind == "boolean":
        return "true or false (also on/off, yes/no)"
    if kind == "integer":
        return f"a whole number from {node.get('minimum')} to {node.get('maximum')}"
    if kind == "choice":
        return "one of " + ", ".join(node["enum"])
    if kind == "snowflake":
        return "a Discord id (17-20 digits)" + none
    if kind == "role_ids":
        return (
            "a comma-separated list of Discord role ids (17-20 digits each), "
            f"at most {node.get('maxItems')}, or none for an empty list"
        )
    if kind == "entry_id":
        return "a Kaltura entry id like 0_abc12345, or none"
    if kind == "host":
        return "a host name like 1234567.kaf.kaltura.com (no https://, no path, no port), or none"
    if kind == "url_template":
        return "an https:// address containing {entry_id} (and, if you like, {kaf_host}), or none"
    if kind == "template":
        placeholders = ", ".join("{" + name + "}" for name in node.get("x-placeholders", []))
        return f"a message of 1-{node.get('maxLength')} characters using only the placeholders {placeholders}"
    raise AssertionError(key)


def _leaf(key: str, node: dict[str, Any], description: str, key_pattern: str | None) -> KeySpec:
    nullable = False
    if "anyOf" in node:
        options = [option for option in node["anyOf"] if option.get("type") != "null"]
        nullable = len(options) < len(node["anyOf"])
        if len(options) != 1:
            raise TypeError(f"{key}: unions other than X | None are not supported by the key list")
        node = {**{k: v for k, v in node.items() if k != "anyOf"}, **options[0]}
    tagged = node.get("x-kind")
    kind: KeyKind
    if node.get("type") == "boolean":
        kind = "boolean"
    elif node.get("type") == "integer":
        kind = "integer"
    elif node.get("type") == "string" and "enum" in node:
        kind = "choice"
    elif node.get("type") == "array" and node.get("items", {}).get("x-kind") == "snowflake":
        kind = "role_ids"
    elif node.get("type") == "string" and tagged in {"snowflake", "entry_id", "host", "template", "url_template"}:
        kind = tagged
    else:
        raise TypeError(f"{key}: the key list has no parser for this schema; teach config/keys.py about it")
    return KeySpec(
        key=key,
        kind=kind,
        description=description,
        expected=_expected(kind, node, nullable, key),
        choices=tuple(node.get("enum", ())),
        nullable=nullable,
        minimum=node.get("minimum"),
        maximum=node.get("maximum"),
        pattern=node.get("pattern") or node.get("items", {}).get("pattern"),
        max_length=node.get("maxLength"),
        max_items=node.get("maxItems"),
        placeholders=tuple(node.get("x-placeholders", ())),
        template_kind=node.get("x-template-kind"),
        key_pattern=key_pattern,
    )


def _walk(
    node: Mapping[str, Any], key: str, defs: Mapping[str, Any], out: dict[str, KeySpec], key_pattern: str | None
) -> None:
    resolved = _resolve(node, defs)
    description = str(resolved.get("description", "")).strip()
    if "properties" in resolved:
        names = tuple(resolved["properties"])
        children = tuple(f"{key}.{name}" if key else name for name in names)
        if key:
            out[key] = KeySpec(
                key, "section", description, "a group of settings: " + ", ".join(children), children=children
            )
        for name, child in resolved["properties"].items():
            _walk(child, f"{key}.{name}" if key else name, defs, out, None)
        return
    if "patternProperties" in resolved:
        ((pattern, value_schema),) = resolved["patternProperties"].items()
        child = f"{key}.{MAPPING_PLACEHOLDER}"
        _walk({"description": description, **value_schema}, child, defs, out, pattern)
        out[key] = KeySpec(
            key,
            "mapping",
            description,
            f"entries {child} = {out[child].expected.removeprefix('one of ')}",
            pattern=pattern,
            max_items=resolved.get("maxProperties"),
            children=(child,),
        )
        return
    out[key] = _leaf(key, resolved, description, key_pattern)


@functools.cache
def catalog() -> Mapping[str, KeySpec]:
    """Every key (sections, mappings and settable leaves) in schema order."""
    schema = GuildConfig.model_json_schema()
    out: dict[str, KeySpec] = {}
    _walk(schema, "", schema.get("$defs", {}), out, None)
    return out


def sections() -> tuple[str, ...]:
    return tuple(key for key in catalog() if "." not in key)


def settable_keys() -> list[KeySpec]:
    """Every key ``/kaltura-config set`` accepts; ``roles.mapping.<role_id>`` stands for one entry per role."""
    return [spec for spec in catalog().values() if spec.settable]


def spec_for(key: str) -> KeySpec | None:
    """The spec of a concrete dotted key (``roles.mapping.123...`` resolves to the mapping entry's spec)."""
    specs = catalog()
    found = specs.get(key)
    if found is not None:
        return found
    parent, _, last = key.rpartition(".")
    parent_spec = specs.get(parent)
    if parent_spec is None or parent_spec.kind != "mapping" or parent_spec.pattern is None:
        return None
    return specs[f"{parent}.{MAPPING_PLACEHOLDER}"] if re.fullmatch(parent_spec.pattern, last) else None


def suggest_keys(typed: str, limit: int = 25) -> list[KeySpec]:
    """Settable keys for autocomplete: prefix matches first, then keys containing the text."""
    text = typed.strip().lower()
    keys = settable_keys()
    starts = [spec for spec in keys if spec.key.startswith(text)]
    contains = [spec for spec in keys if text in spec.key and spec not in starts]
    return (starts + contains)[:limit]


def suggest_values(key: str, typed: str = "", limit: int = 25) -> list[str]:
    spec = spec_for(key.strip().lower())
    if spec is None:
        return []
    text = typed.strip().lower()
    return [choice for choice in spec.value_choices if choice.startswith(text)][:limit]


def _nearest_known(key: str) -> tuple[str, KeySpec | None]:
    parent = key
    while parent:
        parent = parent.rpartition(".")[0]
        spec = catalog().get(parent)
        if spec is not None or not parent:
            return parent, spec
    return "", None


def unknown_key_message(key: str) -> str:
    """Why ``key`` is not a setting, and what exists next to it."""
    parts = key.split(".")
    if len(parts) >= 2 and parts[0] == "commands" and parts[1] in ALWAYS_ON_COMMANDS:
        return f"{key}: {parts[1]} cannot be disabled or restricted (the Manage Server permission controls it)"
    parent, parent_spec = _nearest_known(key)
    if parent_spec is not None and parent_spec.kind == "mapping":
        return f"{key} is not a setting: keys under {parent} are Discord role ids (17-20 digits)"
    if parent_spec is not None and parent_spec.settable:
        return f"{key} is not a setting: {parent} is a single value ({parent_spec.expected})"
    siblings = parent_spec.children if parent_spec is not None else sections()
    rest = key[len(parent) + 1 :] if parent else key
    wanted = f"{parent}.{rest.split('.')[0]}" if parent else rest.split(".")[0]
    close = difflib.get_close_matches(wanted, siblings, n=1, cutoff=0.6)
    hint = f" (did you mean {close[0]}?)" if close else ""
    where = parent or "the top level"
    return f"{key} is not a setting{hint}; {where} has: {', '.join(siblings)}"


def resolve_key(key: str) -> KeySpec:
    """The spec of a settable key, or a ConfigValidationError saying what exists instead."""
    spec = spec_for(key)
    if spec is None:
        raise ConfigValidationError(unknown_key_message(key))
    if not spec.settable:
        raise ConfigValidationError(f"{key} is a group of settings; set one of: {', '.join(spec.children)}")
    return spec


def _id_from(text: str) -> str:
    match = _MENTION_WRAPPER.fullmatch(text)
    return match.group(1) if match else text


def _check_pattern(spec: KeySpec, key: str, value: str, shown: str | None = None) -> None:
    if spec.pattern is not None and re.fullmatch(spec.pattern, value) is None:
        raise ConfigValidationError(f"{key} must be {spec.expected} (got {_shown(shown or value)})")


def _parse_url_template(spec: KeySpec, key: str, raw: str) -> str:
    if raw.strip().lower() in NONE_WORDS:
        return ""
    _check_pattern(spec, key, raw, raw)
    try:
        check_url_template(raw)
    except ValueError as exc:
        raise ConfigValidationError(f"{key}: {exc}") from None
    return raw


def parse_value(key: str, text: str) -> Any:
    """Turn what a person typed into the JSON value stored for ``key``.

    Booleans accept true/false/on/off/yes/no; lists are comma-separated; ``none`` clears optional values;
    ids may be pasted as mentions (``<@&id>``, ``<#id>``); in templates ``\\n`` starts a new line.
    """
    key = key.strip().lower()
    spec = resolve_key(key)
    raw = text.strip()
    lowered = raw.lower()
    if spec.kind == "boolean":
        if lowered in TRUE_WORDS:
            return True
        if lowered in FALSE_WORDS:
            return False
        raise ConfigValidationError(f"{key} must be {spec.expected} (got {_shown(raw)})")
    if spec.kind == "integer":
        if not _INTEGER.fullmatch(raw):
            raise ConfigValidationError(f"{key} must be {spec.expected} (got {_shown(raw)})")
        number = int(raw)
        if (spec.minimum is not None and number < spec.minimum) or (spec.maximum is not None and number > spec.maximum):
            raise ConfigValidationError(f"{key} must be {spec.expected} (got {number})")
        return number
    if spec.kind == "choice":
        if lowered not in spec.choices:
            raise ConfigValidationError(f"{key} must be {spec.expected} (got {_shown(raw)})")
        return lowered
    if spec.kind == "snowflake":
        if spec.nullable and lowered in NONE_WORDS:
            return None
        value = _id_from(raw)
        _check_pattern(spec, key, value, raw)
        return value
    if spec.kind == "role_ids":
        if lowered in NONE_WORDS:
            return []
        ids: list[str] = []
        for part in re.split(r"[,\s]+", raw):
            if not part:
                continue
            value = _id_from(part)
            if spec.pattern is not None and re.fullmatch(spec.pattern, value) is None:
                raise ConfigValidationError(f"{key} must be {spec.expected}; {_shown(part)} is not a role id")
            if value not in ids:
                ids.append(value)
        if spec.max_items is not None and len(ids) > spec.max_items:
            raise ConfigValidationError(f"{key} must be {spec.expected} (got {len(ids)} ids)")
        return ids
    if spec.kind == "url_template":
        return _parse_url_template(spec, key, raw)
    if spec.kind in {"entry_id", "host"}:
        if lowered in NONE_WORDS:
            return ""
        value = raw if spec.kind == "entry_id" else lowered
        _check_pattern(spec, key, value, raw)
        if spec.kind == "host":
            try:
                check_kaf_host(value)
            except ValueError as exc:
                raise ConfigValidationError(f"{key} {exc}") from None
        return value
    # template: a slash-command option cannot hold a line break, so \n stands for one.
    assert spec.template_kind is not None
    value = raw.replace("\\n", "\n")
    try:
        validate_template(value, spec.template_kind)
    except TemplateError as exc:
        raise ConfigValidationError(f"{key} {exc}") from None
    return value


def _shown(value: Any) -> str:
    if isinstance(value, Mapping):
        return "a group of settings"
    if isinstance(value, list | tuple):
        return "a list"
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 42 else text[:40] + "…"


def _key_of(loc: Sequence[str | int]) -> tuple[str, int | None, bool]:
    """Dotted key, list index (if the error is about one item) and whether a mapping key was wrong."""
    parts = list(loc)
    is_key = bool(parts) and parts[-1] == "[key]"
    if is_key:
        parts.pop()
    index: int | None = None
    tail = parts[-1] if parts else None
    if isinstance(tail, int):
        index = tail
        parts.pop()
    names = [str(part) for part in parts]
    return ".".join(names), index, is_key


def describe_error(error: ErrorDetails) -> str:
    """One human sentence for one pydantic error: the dotted key and what is allowed there."""
    key, index, is_key = _key_of(error["loc"])
    kind = error["type"]
    if not key:
        return "the configuration must be a JSON object of sections: " + ", ".join(sections())
    if is_key:
        return unknown_key_message(f"{key.rpartition('.')[0]}.{error['input']}")
    if kind == "extra_forbidden":
        return unknown_key_message(key)
    spec = spec_for(key)
    if spec is None:
        return unknown_key_message(key)
    if kind == "value_error":
        reason = str(error.get("ctx", {}).get("error", error["msg"]))
        return reason if not spec.settable else f"{key} {reason}"
    if kind == "missing":
        return f"{key} is missing; it must be {spec.expected}"
    if kind in {"too_long", "too_short"} and spec.kind == "mapping":
        return f"{key} can hold at most {spec.max_items} entries"
    if kind == "string_too_long" and spec.max_length is not None:
        return f"{key} is {len(str(error['input']))} characters long; at most {spec.max_length} are allowed"
    if kind == "string_too_short":
        return f"{key} must not be empty; it must be {spec.expected}"
    if index is not None:
        what = "a Discord role id (17-20 digits)" if spec.kind == "role_ids" else f"valid ({spec.expected})"
        return f"{key}: item {index + 1} ({_shown(error['input'])}) is not {what}"
    return f"{key} must be {spec.expected} (got {_shown(error['input'])})"


MAX_PROBLEMS: Final = 20
"""A refusal lists at most this many problems (and how many more there were): a body of 40,000 unknown keys is
answered in linear time and a few hundred bytes, not in seconds and megabytes."""


def describe_errors(errors: Sequence[ErrorDetails]) -> list[str]:
    """Distinct messages in order, at most ``MAX_PROBLEMS`` of them; each error is described only until then."""
    messages: dict[str, None] = {}
    described = 0
    for error in errors:
        if len(messages) >= MAX_PROBLEMS:
            break
        messages.setdefault(describe_error(error))
        described += 1
    found = list(messages)
    if described < len(errors):
        found.append(f"... and {len(errors) - described} more problems")
    return found


def validate_config(data: Mapping[str, Any]) -> GuildConfig:
    """A complete config (defaults already merged) -> GuildConfig, or ConfigValidationError in plain words."""
    try:
        payload = json.dumps(data, allow_nan=False, ensure_ascii=False)
    except (TypeError, ValueError):
        raise ConfigValidationError("the configuration must contain only plain JSON values") from None
    try:
        return GuildConfig.model_validate_json(payload)
    except ValidationError as exc:
        raise ConfigValidationError(describe_errors(exc.errors(include_url=False))) from None
