"""Validate payloads against schemas in Discord's OpenAPI document (../shared/discord/openapi.json)."""

from __future__ import annotations

import functools
import json
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

_URI = "urn:discord-openapi"


@functools.cache
def _registry(path: Path) -> Registry:
    document = json.loads(path.read_text(encoding="utf-8"))
    return Registry().with_resource(_URI, Resource.from_contents(document, default_specification=DRAFT202012))


def validator(shared: Path, schema_name: str) -> Draft202012Validator:
    registry = _registry(shared / "discord" / "openapi.json")
    return Draft202012Validator({"$ref": f"{_URI}#/components/schemas/{schema_name}"}, registry=registry)


def errors(shared: Path, schema_name: str, instance: Any) -> list[str]:
    return [f"{list(e.absolute_path)}: {e.message}" for e in validator(shared, schema_name).iter_errors(instance)]
