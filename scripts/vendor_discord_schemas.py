"""Copy the schemas the Discord stand-in validates with out of Discord's OpenAPI document.

    python scripts/vendor_discord_schemas.py [--shared ../shared]

The stand-in (``kaltura_discord.local``) checks the bodies it receives against Discord's own schemas, and a user's
clone has no ``../shared``: so the schemas it needs, and every schema they reference, are kept in
``layers/kaltura_discord/local/discord_schemas.json`` (Discord's document is MIT-licensed; see
``../shared/discord/LICENSE-openapi-MIT``). ``tests/unit/local/test_discord_schemas.py`` fails when the copy and
the document disagree.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
TARGET = REPO / "layers" / "kaltura_discord" / "local" / "discord_schemas.json"
ROOTS = ("ExternalScheduledEventCreateRequest", "ExternalScheduledEventPatchRequestPartial")


def extract(document: dict[str, Any], roots: tuple[str, ...] = ROOTS) -> dict[str, Any]:
    """The named schemas and their ``$ref`` closure, with refs kept as ``#/components/schemas/...``."""
    schemas = document["components"]["schemas"]
    found: dict[str, Any] = {}
    pending = list(roots)
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found[name] = schemas[name]
        pending.extend(_refs(schemas[name]))
    return {
        "source": "discord/discord-api-spec openapi.json (MIT), components/schemas",
        "info_version": document.get("info", {}).get("version"),
        "components": {"schemas": dict(sorted(found.items()))},
    }


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = []
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/components/schemas/"):
            found.append(ref.rsplit("/", 1)[1])
        for value in node.values():
            found.extend(_refs(value))
        return found
    if isinstance(node, list):
        return [ref for item in node for ref in _refs(item)]
    return []


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shared", type=Path, default=REPO.parent / "shared")
    args = parser.parse_args()
    document = json.loads((args.shared / "discord" / "openapi.json").read_text(encoding="utf-8"))
    TARGET.write_text(json.dumps(extract(document), indent=1, sort_keys=True) + "\n", encoding="utf-8")
    print(f"wrote {TARGET.relative_to(REPO)}")


if __name__ == "__main__":
    main()
