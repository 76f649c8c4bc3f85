"""The API in-process against moto's DynamoDB (a fresh table from template.yaml) and the local Kaltura sandbox."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest

from kaltura_discord.api.backends import set_backends
from kaltura_discord.auth.keys import clear_keyring
from kaltura_discord.auth.tokens import mint_api_token, parse_scopes
from kaltura_discord.config import set_config_service
from kaltura_discord.local.kaltura_sandbox import KalturaSandbox
from tests.unit.auth.support import ALL_SCOPES, GUILD, KEYS_JSON, USER


@pytest.fixture
def api_backends(table_name: str, sandbox: KalturaSandbox, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """The deployed wiring (DynamoDB stores, Kaltura rooms), built from the environment on first use."""
    monkeypatch.setenv("JWT_SIGNING_KEYS", KEYS_JSON)
    monkeypatch.delenv("JWT_ISSUER", raising=False)
    clear_keyring()
    set_backends(None)
    set_config_service(None)
    yield table_name
    set_backends(None)
    set_config_service(None)
    clear_keyring()


@pytest.fixture
def mint() -> Callable[..., str]:
    def make(scopes: str = ALL_SCOPES, *, guild_id: str = GUILD, user_id: str = USER) -> str:
        return mint_api_token(
            guild_id=guild_id, user_id=user_id, display_name="Integration", role_ids=(), scopes=parse_scopes(scopes)
        ).token

    return make
