"""Secrets from Secrets Manager (moto's server over loopback), cached, and bounded on the interactions path."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from kaltura_discord import deadline, settings
from kaltura_discord.aws import ServiceUnavailable

pytestmark = pytest.mark.integration


@pytest.fixture
def secret(dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    import boto3

    client: Any = boto3.client("secretsmanager", endpoint_url=dynamodb_endpoint)
    name = "kaltura-discord-test"
    client.create_secret(Name=name, SecretString=json.dumps({"DISCORD_BOT_TOKEN": "from-the-secret"}))
    monkeypatch.setenv("AWS_ENDPOINT_URL_SECRETS_MANAGER", dynamodb_endpoint)  # moto's one server speaks both
    monkeypatch.setenv("SECRETS_ID", name)
    monkeypatch.delenv("DISCORD_BOT_TOKEN", raising=False)
    store = settings._SecretStore()
    monkeypatch.setattr(settings, "secrets", store)
    yield name
    client.delete_secret(SecretId=name, ForceDeleteWithoutRecovery=True)


def test_a_secret_is_read_once_and_cached(secret: str) -> None:
    assert settings.secrets.get("DISCORD_BOT_TOKEN") == "from-the-secret"
    assert settings.secrets.get("KALTURA_ADMIN_SECRET") is None


def test_on_the_interactions_path_a_cold_read_fits_the_deadline(secret: str) -> None:
    with deadline.scope(deadline.Deadline.after(0.2)), pytest.raises(ServiceUnavailable):
        settings.secrets.get("DISCORD_BOT_TOKEN")  # no time left: no call, a clear failure
    with deadline.scope(deadline.Deadline.after(3.0)):
        assert settings.secrets.get("DISCORD_BOT_TOKEN") == "from-the-secret"
