"""Fixtures shared by every kind of test: moto's DynamoDB server, tables built from template.yaml, ../shared."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]

# Credentials and region for boto3 against moto; never real ones.
os.environ.setdefault("AWS_ACCESS_KEY_ID", "testing")
os.environ.setdefault("AWS_SECRET_ACCESS_KEY", "testing")
os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
for _name in ("AWS_PROFILE", "SECRETS_ID"):
    os.environ.pop(_name, None)


def shared_dir() -> Path:
    """``../shared`` beside the checkout, or wherever KALTURA_DISCORD_SHARED_DIR points."""
    return Path(os.environ.get("KALTURA_DISCORD_SHARED_DIR", str(REPO_ROOT.parent / "shared"))).resolve()


@pytest.fixture(scope="session")
def shared() -> Path:
    path = shared_dir()
    if not (path / "discord" / "openapi.json").is_file():
        pytest.skip(f"reference data not found at {path} (set KALTURA_DISCORD_SHARED_DIR to the shared/ folder)")
    return path


@pytest.fixture(scope="session")
def dynamodb_endpoint() -> Iterator[str]:
    from kaltura_discord.local.moto_server import EmbeddedDynamoDB

    server = EmbeddedDynamoDB().start()
    previous = os.environ.get("AWS_ENDPOINT_URL_DYNAMODB")
    os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = server.endpoint_url
    yield server.endpoint_url
    if previous is None:
        os.environ.pop("AWS_ENDPOINT_URL_DYNAMODB", None)
    else:
        os.environ["AWS_ENDPOINT_URL_DYNAMODB"] = previous
    server.stop()


@pytest.fixture
def table_name(dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch) -> str:
    """A fresh table per test, created from template.yaml on moto's server; TABLE_NAME points at it."""
    import boto3

    from kaltura_discord.local.tables import create_table

    name = f"test-{uuid.uuid4().hex[:12]}"
    client: Any = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint)
    create_table(client, name)
    monkeypatch.setenv("TABLE_NAME", name)
    return name
