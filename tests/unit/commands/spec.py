"""Validators from Discord's OpenAPI description in ../shared (callers get the path from the `shared` fixture)."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

_BASE = "urn:discord-openapi"
GLOBAL_COMMANDS = "/applications/{application_id}/commands"
GUILD_COMMANDS = "/applications/{application_id}/guilds/{guild_id}/commands"


@lru_cache(maxsize=2)
def _registry(openapi: Path) -> tuple[Registry, dict[str, Any]]:
    document = json.loads(openapi.read_text(encoding="utf-8"))
    resource = Resource.from_contents(document, default_specification=DRAFT202012)
    return Registry().with_resource(_BASE, resource), document


def _pointer(*parts: str) -> str:
    return "#/" + "/".join(part.replace("~", "~0").replace("/", "~1") for part in parts)


def _validator(shared: Path, pointer: str) -> Draft202012Validator:
    registry, _ = _registry(shared / "discord" / "openapi.json")
    return Draft202012Validator({"$ref": _BASE + pointer}, registry=registry)


def bulk_overwrite_validator(shared: Path, route: str = GLOBAL_COMMANDS) -> Draft202012Validator:
    """The request body schema of ``PUT route`` (an array of ``ApplicationCommandUpdateRequest``)."""
    pointer = _pointer("paths", route, "put", "requestBody", "content", "application/json", "schema")
    return _validator(shared, pointer)


def schema_validator(shared: Path, name: str) -> Draft202012Validator:
    """``components/schemas/<name>``."""
    return _validator(shared, _pointer("components", "schemas", name))


def errors(validator: Draft202012Validator, instance: Any) -> list[str]:
    return [f"{'/'.join(map(str, error.absolute_path))}: {error.message}" for error in validator.iter_errors(instance)]
