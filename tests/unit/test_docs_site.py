"""The docs site works offline: Mermaid is a local copy loaded by the pages that draw a diagram, the diagrams'
labels survive Mermaid's parser, and the REST API reference is rendered from docs/api/openapi.json."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
import yaml

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[2]
DOCS = REPO / "docs"
MKDOCS = DOCS / "mkdocs" / "mkdocs.yml"
MERMAID = DOCS / "assets" / "javascripts" / "mermaid.min.js"
MERMAID_VERSION = "11.17.2"
FENCE = re.compile(r"```mermaid\n(.*?)```", re.DOTALL)


def _hook() -> ModuleType:
    path = DOCS / "mkdocs" / "hooks" / "openapi_reference.py"
    spec = importlib.util.spec_from_file_location("_openapi_reference_hook", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _config() -> dict[str, Any]:
    class Loader(yaml.SafeLoader):
        pass

    Loader.add_multi_constructor("tag:yaml.org,2002:python/", lambda loader, suffix, node: None)
    loaded: dict[str, Any] = yaml.load(MKDOCS.read_text(encoding="utf-8"), Loader=Loader)
    return loaded


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("site")
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    command = [sys.executable, "-m", "mkdocs", "build", "--strict", "--quiet", "-f", str(MKDOCS), "-d", str(out)]
    subprocess.run(command, check=True, env=env, cwd=REPO, timeout=120)
    return out


def test_the_local_mermaid_is_the_whole_library_with_its_licence() -> None:
    text = MERMAID.read_text(encoding="utf-8")
    assert len(text) > 1_000_000
    assert text.rstrip().endswith('globalThis["mermaid"] = globalThis.__esbuild_esm_mermaid_nm["mermaid"].default;')
    licence = (MERMAID.parent / "mermaid.LICENSE.txt").read_text(encoding="utf-8")
    assert "The MIT License" in licence and "Knut Sveidqvist" in licence
    assert f"Mermaid]({'https://mermaid.js.org'}) {MERMAID_VERSION}" in (MERMAID.parent / "README.md").read_text()


def test_the_theme_defines_mermaid_before_material_would_fetch_it() -> None:
    config = _config()
    assert config["theme"]["custom_dir"] == "overrides"
    override = (MKDOCS.parent / "overrides" / "main.html").read_text(encoding="utf-8")
    assert "assets/javascripts/mermaid.min.js" in override
    assert "{% block libs %}" in override  # a blocking script in <head>: defined before DOMContentLoaded
    assert not re.search(r"https?://", override)
    assert not config.get("extra_javascript")


def test_pages_with_a_diagram_load_the_local_copy_and_no_page_loads_a_cdn(site: Path) -> None:
    with_diagram = []
    for page in site.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        scripts = re.findall(r'<script[^>]+src="([^"]+)"', html)
        assert not [src for src in scripts if src.startswith(("http:", "https:", "//"))], page
        if 'class="mermaid"' in html:
            with_diagram.append(page.relative_to(site).as_posix())
            assert any(src.endswith("assets/javascripts/mermaid.min.js") for src in scripts), page
        else:
            assert not any("mermaid" in src for src in scripts), f"{page}: 3.5 MB for no diagram"
    assert "architecture/index.html" in with_diagram
    assert (site / "assets" / "javascripts" / "mermaid.min.js").is_file()


def test_diagram_labels_keep_their_text_through_mermaids_parser() -> None:
    """Mermaid's sequence-diagram grammar ends a message at `#` (and `;`), and treats `<...>` as HTML: those need
    its entity codes (#35; #lt; #gt; #59;)."""
    found = 0
    for page in sorted(DOCS.glob("*.md")):
        for block in FENCE.findall(page.read_text(encoding="utf-8")):
            found += 1
            for line in block.splitlines():
                if line.strip().startswith("%%"):
                    continue  # a Mermaid comment
                bare = re.sub(r"#\w+;", "", line)
                assert "#" not in bare and ";" not in bare, f"{page.name}: {line.strip()}"
                _, colon, label = bare.partition(":")
                assert not (colon and re.search(r"<[A-Za-z]", label)), f"{page.name}: {line.strip()}"
    assert found >= 1


def test_the_api_reference_page_covers_every_operation_and_schema() -> None:
    hook = _hook()
    spec = json.loads((DOCS / "api" / "openapi.json").read_text(encoding="utf-8"))
    page = hook.render(spec)
    for path, operations in spec["paths"].items():
        for method in operations:
            if method in hook.METHODS:
                assert f"### {method.upper()} `{path}`" in page
                for status in operations[method].get("responses", {}):
                    assert f"| {status} |" in page
    for name in spec["components"]["schemas"]:
        assert f"### {name} {{#schema-{name.lower()}}}" in page
    for link in set(re.findall(r"\(#(schema-[a-z0-9]+)\)", page)):
        assert f"{{#{link}}}" in page, f"dangling schema link {link}"


def test_the_reference_renders_types_readably() -> None:
    hook = _hook()
    assert hook.type_of({"$ref": "#/components/schemas/MeetingView"}) == "[MeetingView](#schema-meetingview)"
    assert hook.type_of({"anyOf": [{"type": "string", "format": "date-time"}, {"type": "null"}]}) == (
        "string (date-time) or null"
    )
    assert hook.type_of({"type": "array", "items": {"type": "integer"}}) == "list of integer"
    assert hook.type_of({"enum": ["a", "b"]}) == '`"a"` or `"b"`'
    assert hook._cell("a | b\nc") == "a \\| b c"


def test_the_site_has_the_api_reference_in_its_navigation(site: Path) -> None:
    nav = _config()["nav"]
    (api,) = [entry["REST API"] for entry in nav if isinstance(entry, dict) and "REST API" in entry]
    assert {"Reference": "api-reference.md"} in api
    html = (site / "api-reference" / "index.html").read_text(encoding="utf-8")
    assert 'id="schema-meetingview"' in html and "/v1/meetings" in html
    assert "<table>" in html
