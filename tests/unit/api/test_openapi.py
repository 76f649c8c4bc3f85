"""The exported OpenAPI document is current, docs/api.md covers it, and the function's cold path stays lean."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.unit.commands.loader import load_script

pytestmark = pytest.mark.unit

ROOT = Path(__file__).resolve().parents[3]
DOCS = ROOT / "docs" / "api.md"
export_openapi = load_script("export_openapi")


def document() -> dict[str, object]:
    loaded: dict[str, object] = json.loads((ROOT / "docs" / "api" / "openapi.json").read_text(encoding="utf-8"))
    return loaded


def test_the_exported_document_is_current() -> None:
    assert not export_openapi.is_stale(), "docs/api/openapi.json is stale: run python scripts/export_openapi.py"


def test_every_operation_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    paths = document()["paths"]
    assert isinstance(paths, dict)
    for path, operations in paths.items():
        for method in operations:
            heading = f"### `{method.upper()} {path}`"
            assert heading in text, f"docs/api.md has no section {heading}"


def test_every_error_code_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    sources = [*(ROOT / "layers/kaltura_discord/api").rglob("*.py"), ROOT / "layers/kaltura_discord/auth/tokens.py"]
    codes: set[str] = set()
    for source in sources:
        content = source.read_text(encoding="utf-8")
        codes.update(re.findall(r'ApiError\(\s*\d{3},\s*"([a-z_]+)"', content))
        codes.update(re.findall(r'TokenError\(\s*"([a-z_]+)"', content))
    assert {"invalid_token", "join_link_used", "precondition_failed", "idempotency_key_reused"} <= codes
    missing = sorted(code for code in codes if f"`{code}`" not in text)
    assert not missing, f"docs/api.md does not explain {missing}"


def test_every_scope_is_documented() -> None:
    text = DOCS.read_text(encoding="utf-8")
    for scope in ("meetings:read", "meetings:write", "config:write"):
        assert f"| `{scope}` |" in text


def test_importing_the_function_loads_nothing_the_cold_path_does_not_need() -> None:
    """Tokens, storage, Kaltura and the guild configuration are loaded by the first request that needs them."""
    probe = (
        "import runpy, sys, json; runpy.run_path('functions/api/app.py'); "
        "print(json.dumps(sorted(m for m in sys.modules)))"
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True, timeout=60
    )
    loaded = set(json.loads(result.stdout))
    heavy = {"jwt", "cryptography", "boto3", "botocore", "httpx", "kaltura_discord.config", "kaltura_discord.kaltura"}
    assert not heavy & loaded, sorted(heavy & loaded)
