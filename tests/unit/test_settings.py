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


class _CountingSecretsClient:
    def __init__(self, value: dict[str, str]) -> None:
        self.value = value
        self.calls = 0

    def get_secret_value(self, **kwargs: Any) -> dict[str, Any]:
        self.calls += 1
        return {"SecretString": json.dumps(self.value)}


def test_one_cache_in_front_of_secrets_manager(monkeypatch: pytest.MonkeyPatch) -> None:
    """The store's own cache is the only one: a read within SECRETS_MAX_AGE_SECONDS makes no call, a later one
    reads the secret again (nothing underneath keeps an older copy)."""
    now = [1000.0]
    monkeypatch.setattr(settings.time, "monotonic", lambda: now[0])
    monkeypatch.setenv("SECRETS_ID", "kaltura-discord")
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    client = _CountingSecretsClient({"DISCORD_BOT_TOKEN": "first"})
    store: Any = settings._SecretStore()
    store._secrets_client = client
    assert store.get("DISCORD_BOT_TOKEN") == "first"
    client.value = {"DISCORD_BOT_TOKEN": "rotated"}
    now[0] += settings.SECRETS_MAX_AGE_SECONDS - 1
    assert store.get("DISCORD_BOT_TOKEN") == "first"
    assert client.calls == 1
    now[0] += 2
    assert store.get("DISCORD_BOT_TOKEN") == "rotated"
    assert client.calls == 2


def test_the_secret_store_does_not_use_powertools() -> None:
    import inspect

    assert "powertools" not in inspect.getsource(settings)
