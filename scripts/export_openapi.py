#!/usr/bin/env python3
"""Export the REST API's OpenAPI document, as the app itself generates it, to docs/api/openapi.json.

    python scripts/export_openapi.py            # write it
    python scripts/export_openapi.py --check    # exit 1 when the file is stale (the tests run this check)

The document is what schemathesis tests the API against and what docs/api.md is checked against, so a route
changed without re-exporting fails `make test`.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUTPUT = ROOT / "docs" / "api" / "openapi.json"


def render() -> str:
    from kaltura_discord.api.app import create_app

    return json.dumps(create_app().openapi(), indent=2, ensure_ascii=False) + "\n"


def is_stale(path: Path = OUTPUT) -> bool:
    return not path.is_file() or path.read_text(encoding="utf-8") != render()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--check", action="store_true", help="fail instead of writing when the file is stale")
    args = parser.parse_args(argv)
    if args.check:
        if is_stale():
            print(f"{OUTPUT.relative_to(ROOT)} is stale: run python scripts/export_openapi.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    OUTPUT.write_text(render(), encoding="utf-8")
    print(f"wrote {OUTPUT.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
