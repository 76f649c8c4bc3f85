"""MkDocs hook: the REST API reference page, rendered from docs/api/openapi.json at every build.

The page (api-reference.md in the site) is made from the exported schema itself, so it cannot drift from the API
and needs nothing at view time: plain Markdown tables, no JavaScript renderer, no CDN. Nothing is committed for
it; `python docs/mkdocs/hooks/openapi_reference.py` prints the Markdown to look at.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

SPEC = Path(__file__).resolve().parents[2] / "api" / "openapi.json"
PAGE = "api-reference.md"
METHODS = ("get", "post", "put", "patch", "delete")


def _cell(text: Any) -> str:
    """Text fit for one Markdown table cell."""
    return " ".join(str(text).split()).replace("|", "\\|") if text not in (None, "") else ""


def _anchor(name: str) -> str:
    return "schema-" + name.lower()


def _ref_name(ref: str) -> str:
    return ref.rsplit("/", 1)[-1]


def type_of(schema: dict[str, Any]) -> str:
    """A short, readable type: ``string (date-time)``, ``list of [Meeting](#schema-meeting)``, ``"a" or "b"``."""
    if "$ref" in schema:
        name = _ref_name(schema["$ref"])
        return f"[{name}](#{_anchor(name)})"
    for combinator in ("anyOf", "oneOf"):
        if combinator in schema:
            parts = [type_of(option) for option in schema[combinator]]
            return " or ".join(dict.fromkeys(parts))
    if "allOf" in schema:
        return " and ".join(type_of(part) for part in schema["allOf"])
    if "const" in schema:
        return f"`{json.dumps(schema['const'])}`"
    if "enum" in schema:
        return " or ".join(f"`{json.dumps(value)}`" for value in schema["enum"])
    kind = schema.get("type", "any")
    if kind == "array":
        return f"list of {type_of(schema.get('items', {}))}"
    if kind == "object" and "additionalProperties" in schema and isinstance(schema["additionalProperties"], dict):
        return f"object of {type_of(schema['additionalProperties'])}"
    return f"{kind} ({schema['format']})" if "format" in schema else str(kind)


def _limits(schema: dict[str, Any]) -> str:
    notes = []
    for key, label in (("minLength", "min length"), ("maxLength", "max length"), ("minimum", "min"),
                       ("maximum", "max"), ("pattern", "pattern")):  # fmt: skip
        if key in schema:
            notes.append(f"{label} `{schema[key]}`")
    if "default" in schema:
        notes.append(f"default `{json.dumps(schema['default'])}`")
    return ", ".join(notes)


def _describe(schema: dict[str, Any], description: str | None = None) -> str:
    text = _cell(description or schema.get("description"))
    limits = _limits(schema)
    return f"{text} ({limits})" if text and limits else text or limits


def _body_schema(content: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    for media_type, body in content.items():
        return media_type, body.get("schema", {})
    return None


def render_operation(path: str, method: str, operation: dict[str, Any], schemes: dict[str, Any]) -> list[str]:
    lines = [f"### {method.upper()} `{path}`", ""]
    if operation.get("summary"):
        lines += [operation["summary"], ""]
    if operation.get("description"):
        lines += [operation["description"].strip(), ""]
    security = operation.get("security")
    if security:
        names = sorted({name for requirement in security for name in requirement})
        how = ", ".join(f"`{name}` ({schemes.get(name, {}).get('scheme', 'token')})" for name in names)
        lines += [f"**Authentication:** {how}.", ""]
    else:
        lines += ["**Authentication:** none.", ""]
    parameters = operation.get("parameters", [])
    if parameters:
        lines += ["| Parameter | In | Required | Type | Description |", "|---|---|---|---|---|"]
        for parameter in parameters:
            schema = parameter.get("schema", {})
            required = "yes" if parameter.get("required") else "no"
            description = _describe(schema, parameter.get("description"))
            lines.append(
                f"| `{parameter['name']}` | {parameter['in']} | {required} | {type_of(schema)} | {description} |"
            )
        lines.append("")
    body = operation.get("requestBody")
    if body:
        found = _body_schema(body.get("content", {}))
        if found:
            media_type, schema = found
            required = " (required)" if body.get("required") else ""
            lines += [f"**Request body**{required}: {type_of(schema)}, `{media_type}`.", ""]
    responses = operation.get("responses", {})
    if responses:
        lines += ["| Status | Meaning | Body |", "|---|---|---|"]
        for status, response in responses.items():
            found = _body_schema(response.get("content", {}))
            shape = type_of(found[1]) if found else ""
            lines.append(f"| {status} | {_cell(response.get('description'))} | {shape} |")
        lines.append("")
    return lines


def render_schema(name: str, schema: dict[str, Any]) -> list[str]:
    lines = [f"### {name} {{#{_anchor(name)}}}", ""]
    if schema.get("description"):
        lines += [_cell(schema["description"]), ""]
    properties = schema.get("properties")
    if not properties:
        return [*lines, f"Type: {type_of(schema)}.", ""]
    required = set(schema.get("required", []))
    lines += ["| Field | Type | Required | Description |", "|---|---|---|---|"]
    for field, definition in properties.items():
        lines.append(
            f"| `{field}` | {type_of(definition)} | {'yes' if field in required else 'no'} | {_describe(definition)} |"
        )
    if schema.get("additionalProperties") is False:
        lines += ["", "Other fields are refused."]
    return [*lines, ""]


def render(spec: dict[str, Any]) -> str:
    info = spec.get("info", {})
    schemes = spec.get("components", {}).get("securitySchemes", {})
    lines = [
        "# REST API reference",
        "",
        f"{info.get('title', 'API')}, version {info.get('version', '?')}: rendered from the OpenAPI document the",
        "app exports ([`openapi.json`](api/openapi.json), OpenAPI " + str(spec.get("openapi", "3")) + "). The guide,",
        "with examples and the error codes, is [REST API](api.md).",
        "",
    ]
    if info.get("description"):
        lines += [info["description"].strip(), ""]
    for name, scheme in schemes.items():
        lines += [
            f"**`{name}`:** {scheme.get('type')} {scheme.get('scheme', '')}. {_cell(scheme.get('description'))}",
            "",
        ]
    lines += ["## Endpoints", ""]
    for path, operations in spec.get("paths", {}).items():
        for method in METHODS:
            if method in operations:
                lines += render_operation(path, method, operations[method], schemes)
    schemas = spec.get("components", {}).get("schemas", {})
    if schemas:
        lines += ["## Schemas", ""]
        for name in sorted(schemas):
            lines += render_schema(name, schemas[name])
    return "\n".join(lines).rstrip() + "\n"


def load(path: Path = SPEC) -> dict[str, Any]:
    spec: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return spec


def on_files(files: Any, config: Any) -> Any:
    """Add the generated page to the site (MkDocs 1.6's generated files: nothing is written into docs/)."""
    from mkdocs.structure.files import File

    files.append(File.generated(config, PAGE, content=render(load())))
    return files


if __name__ == "__main__":
    sys.stdout.write(render(load()))
