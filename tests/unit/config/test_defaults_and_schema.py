"""The defaults file, its packaged copy, config/schema.json and docs/configuration.md stay in step."""

from __future__ import annotations

import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import jsonschema
import pytest

from kaltura_discord.config import ConfigValidationError, defaults, get_defaults, load_defaults
from kaltura_discord.config import docs as config_docs
from kaltura_discord.config.keys import settable_keys

pytestmark = pytest.mark.unit

REPO = Path(__file__).resolve().parents[3]
PACKAGE_DIR = REPO / "layers" / "kaltura_discord"


def load_script() -> ModuleType:
    spec = importlib.util.spec_from_file_location("generate_config_schema", REPO / "scripts/generate_config_schema.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_packaged_defaults_are_identical_to_the_repository_file() -> None:
    assert (PACKAGE_DIR / "data/default_config.json").read_bytes() == (REPO / "config/default_config.json").read_bytes()


def test_generated_files_are_fresh() -> None:
    stale = config_docs.stale_files(REPO)
    assert stale == [], f"run {config_docs.REGENERATE_HINT}"
    assert load_script().main(["--check"]) == 0


def test_check_mode_reports_a_stale_schema_and_writes_nothing(tmp_path: Path) -> None:
    for relative in (config_docs.DEFAULTS_FILE, config_docs.SCHEMA_FILE, config_docs.DOCS_FILE):
        (tmp_path / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy(REPO / relative, tmp_path / relative)
    (tmp_path / config_docs.PACKAGE_DEFAULTS_FILE).parent.mkdir(parents=True)
    shutil.copy(REPO / config_docs.PACKAGE_DEFAULTS_FILE, tmp_path / config_docs.PACKAGE_DEFAULTS_FILE)
    script = load_script()
    assert script.main(["--check"], root=tmp_path) == 0

    defaults_file = tmp_path / config_docs.DEFAULTS_FILE
    data = json.loads(defaults_file.read_text())
    data["kaltura"]["join_link_ttl_seconds"] = 1200
    defaults_file.write_text(json.dumps(data, indent=2) + "\n")
    schema_before = (tmp_path / config_docs.SCHEMA_FILE).read_text()
    assert script.main(["--check"], root=tmp_path) == 1
    assert set(config_docs.stale_files(tmp_path)) == {
        config_docs.SCHEMA_FILE,
        config_docs.DOCS_FILE,
        config_docs.PACKAGE_DEFAULTS_FILE,
    }
    assert (tmp_path / config_docs.SCHEMA_FILE).read_text() == schema_before

    assert script.main([], root=tmp_path) == 0
    assert config_docs.stale_files(tmp_path) == []
    assert "| `1200` |" in (tmp_path / config_docs.DOCS_FILE).read_text()


def test_schema_accepts_the_defaults_and_rejects_what_the_model_rejects() -> None:
    schema = json.loads((REPO / config_docs.SCHEMA_FILE).read_text())
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    data = get_defaults().data
    assert list(validator.iter_errors(data)) == []
    for path, bad in [
        (("roles", "default"), "owner"),
        (("roles", "mapping"), {"staff": "admin"}),
        (("kaltura", "join_link_ttl_seconds"), 30),
        (("kaltura", "kaf_base_url"), "https://x.kaltura.com/"),
        (("notifications", "channel_id"), "123"),
        (("share", "extra"), "x"),
    ]:
        broken = json.loads(json.dumps(data))
        broken[path[0]][path[1]] = bad
        assert list(validator.iter_errors(broken)), path


def test_docs_list_every_key_with_its_default() -> None:
    page = (REPO / config_docs.DOCS_FILE).read_text()
    for spec in settable_keys():
        assert f"| `{spec.key}` |" in page
    assert "| `kaltura.join_link_ttl_seconds` | a whole number from 60 to 86400 | `900` |" in page


def test_defaults_come_from_the_package_when_the_repository_file_is_absent(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(defaults, "REPO_DEFAULTS_PATH", tmp_path / "missing.json")
    loaded = load_defaults()
    assert loaded.source == "kaltura_discord/data/default_config.json"
    assert loaded.data == get_defaults().data


def test_defaults_load_inside_a_layer_without_the_repository(tmp_path: Path) -> None:
    """A layer is /opt/python/kaltura_discord: no config/ or pyproject.toml above it."""
    site = tmp_path / "opt" / "python"
    shutil.copytree(PACKAGE_DIR, site / "kaltura_discord", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "opt" / "config").mkdir()
    (tmp_path / "opt" / "config" / "default_config.json").write_text("{}")  # a stray file must not be used
    code = (
        "import kaltura_discord.config as c, kaltura_discord;"
        "d = c.get_defaults(); print(kaltura_discord.__file__); print(d.source); print(d.config.roles.default)"
    )
    env = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True)
    module_file, source, role = result.stdout.split()
    assert module_file.startswith(str(site))
    assert source == "kaltura_discord/data/default_config.json"
    assert role == "viewer"


def test_a_broken_defaults_file_fails_loudly_naming_the_key(tmp_path: Path) -> None:
    data = json.loads((REPO / "config/default_config.json").read_text())
    data["roles"]["default"] = "owner"
    path = tmp_path / "default_config.json"
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigValidationError, match=re.escape("roles.default must be one of viewer, moderator, admin")):
        load_defaults(path)
    del data["roles"]["default"]
    path.write_text(json.dumps(data))
    with pytest.raises(ConfigValidationError, match=re.escape("roles.default is missing")):
        load_defaults(path)


def test_importing_the_config_package_does_not_import_boto3() -> None:
    code = (
        "import sys, kaltura_discord.config as c; c.get_defaults();"
        "print(sorted(m for m in ('boto3', 'botocore') if m in sys.modules))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"
