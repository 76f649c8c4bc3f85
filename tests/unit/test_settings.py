from __future__ import annotations

import json
from typing import Any

import pytest

from kaltura_discord import settings

pytestmark = pytest.mark.unit


def test_missing_required_setting_names_it_in_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("TABLE_NAME", raising=False)
    with pytest.raises(settings.ConfigurationError) as caught:
        settings.required("TABLE_NAME")
    assert str(caught.value) == "missing required setting TABLE_NAME"


def test_secret_from_environment_wins(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_BOT_TOKEN", "from-env")
    assert settings.secrets.get("DISCORD_BOT_TOKEN") == "from-env"


def test_unknown_secret_names_are_refused() -> None:
    with pytest.raises(KeyError):
        settings.secrets.get("AWS_SECRET_ACCESS_KEY")


def test_secrets_manager_values_keep_json_objects_as_json(monkeypatch: pytest.MonkeyPatch) -> None:
    keys = {"current": "k1", "keys": {"k1": "ab" * 32}}
    store: Any = settings._SecretStore()
    monkeypatch.setattr(store, "_from_secrets_manager", lambda: {"JWT_SIGNING_KEYS": keys, "DISCORD_BOT_TOKEN": ""})
    monkeypatch.delenv("JWT_SIGNING_KEYS", raising=False)
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    assert json.loads(store.get("JWT_SIGNING_KEYS")) == keys
    assert store.get("DISCORD_BOT_TOKEN") is None
    with pytest.raises(settings.ConfigurationError, match="DISCORD_BOT_TOKEN"):
        store.require("DISCORD_BOT_TOKEN")
