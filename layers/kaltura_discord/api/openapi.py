"""The OpenAPI document: FastAPI's, plus the schemas that routes reference by ``$ref`` instead of building a
pydantic field for each at start-up (response bodies, the error envelope). Built only when the document is asked
for, so the function's cold start does not pay for schemas that only the documentation reads.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pydantic import BaseModel, Field
from pydantic.json_schema import models_json_schema

if TYPE_CHECKING:
    from fastapi import FastAPI

REF_TEMPLATE = "#/components/schemas/{model}"


class ErrorDetail(BaseModel):
    field: str = Field(description="Where the problem is: body.title, query.page, header.if-match, a config key...")
    message: str


class Error(BaseModel):
    code: str = Field(description="Stable, machine-readable: clients branch on this, never on the message.")
    message: str = Field(description="For people; may change between releases.")
    details: list[ErrorDetail] | None = Field(default=None, description="Per-field problems, when there are any.")


class ErrorResponse(BaseModel):
    version: str = Field(description="Semantic version of the API that answered.")
    error: Error


def build(app: FastAPI, models: list[type[BaseModel]]) -> dict[str, Any]:
    """FastAPI's document with ``models`` (and what they refer to) added under ``components/schemas``."""
    from fastapi import FastAPI as _FastAPI

    document = _FastAPI.openapi(app)
    schemas: dict[str, Any] = document.setdefault("components", {}).setdefault("schemas", {})
    wanted = [(model, "serialization") for model in dict.fromkeys([ErrorResponse, *models])]
    _, definitions = models_json_schema(wanted, ref_template=REF_TEMPLATE)  # type: ignore[arg-type]
    for name, schema in definitions.get("$defs", {}).items():
        if name in schemas and schemas[name] != schema:
            raise ValueError(f"two different schemas are named {name} in the OpenAPI document")
        schemas[name] = schema
    return document
