"""The defaults every guild starts from: ``config/default_config.json``.

In the repository the file under ``config/`` is read, so editing it takes effect at once; a Lambda layer
has no ``config/`` directory, so the package ships a copy (``kaltura_discord/data/default_config.json``,
kept identical by ``scripts/generate_config_schema.py`` and a test).
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

from kaltura_discord.config.errors import ConfigValidationError
from kaltura_discord.config.keys import validate_config
from kaltura_discord.config.model import GuildConfig

REPO_ROOT = Path(__file__).resolve().parents[3]
REPO_DEFAULTS_PATH = REPO_ROOT / "config" / "default_config.json"
PACKAGE_DEFAULTS_NAME = "data/default_config.json"


@dataclass(frozen=True, slots=True)
class Defaults:
    """The raw defaults (merged with overrides; never mutated) and their validated form."""

    data: dict[str, Any]
    config: GuildConfig
    source: str


def _in_repository() -> bool:
    # parents[3] of an installed layer is e.g. /opt: only trust it when it is really this repository.
    return (REPO_ROOT / "pyproject.toml").is_file() and REPO_DEFAULTS_PATH.is_file()


def package_defaults_text() -> str:
    return resources.files("kaltura_discord").joinpath(PACKAGE_DEFAULTS_NAME).read_text(encoding="utf-8")


def parse_defaults(text: str, source: str) -> Defaults:
    """Validate a complete defaults document; a broken file fails loudly at first use, naming the key."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigValidationError(f"{source} is not valid JSON: {exc}") from None
    if not isinstance(data, dict):
        raise ConfigValidationError(f"{source} must hold a JSON object")
    try:
        config = validate_config(data)
    except ConfigValidationError as exc:
        raise ConfigValidationError([f"{source}: {problem}" for problem in exc.problems]) from None
    return Defaults(data=data, config=config, source=source)


def load_defaults(path: Path | None = None) -> Defaults:
    """Defaults from ``path``, else the repository's file when running from a checkout, else the package copy."""
    if path is None and _in_repository():
        path = REPO_DEFAULTS_PATH
    if path is not None:
        return parse_defaults(path.read_text(encoding="utf-8"), str(path))
    return parse_defaults(package_defaults_text(), f"kaltura_discord/{PACKAGE_DEFAULTS_NAME}")


@functools.cache
def get_defaults() -> Defaults:
    """Loaded once per container."""
    return load_defaults()
