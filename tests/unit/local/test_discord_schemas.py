"""The schemas the Discord stand-in validates with are Discord's own (scripts/vendor_discord_schemas.py)."""

from __future__ import annotations

import json
from pathlib import Path

from tests.unit.commands.loader import load_script

vendor = load_script("vendor_discord_schemas")


def test_the_vendored_schemas_match_discords_document(shared: Path) -> None:
    document = json.loads((shared / "discord" / "openapi.json").read_text(encoding="utf-8"))
    vendored = json.loads(vendor.TARGET.read_text(encoding="utf-8"))
    assert vendored == vendor.extract(document), "run: python scripts/vendor_discord_schemas.py"
    assert set(vendor.ROOTS) <= set(vendored["components"]["schemas"])
