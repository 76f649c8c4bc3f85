"""JWT_SIGNING_KEYS: parsing, rotation by kid, clear messages that never echo key material, dev keys."""

from __future__ import annotations

import json
import stat
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization

from kaltura_discord.auth.keys import KeyRing, clear_keyring, get_keyring, load_or_create_dev_keys, new_keys_json
from kaltura_discord.auth.tokens import mint_api_token, verify_api_token
from kaltura_discord.settings import ConfigurationError
from tests.unit.auth.support import CURRENT_SEED, GUILD, KEYS_JSON, PREVIOUS_SEED, USER, ed25519_key

pytestmark = pytest.mark.unit


@pytest.fixture(autouse=True)
def _fresh_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.delenv("JWT_SIGNING_KEYS", raising=False)
    clear_keyring()
    yield
    clear_keyring()


def mint(ring: KeyRing) -> str:
    return mint_api_token(
        guild_id=GUILD, user_id=USER, display_name="x", role_ids=(), scopes=["meetings:read"], keyring=ring
    ).token


def test_the_current_key_signs_and_every_listed_key_verifies() -> None:
    ring = KeyRing.from_json(KEYS_JSON)
    assert ring.current.kid == "k2" and set(ring.kids) == {"k1", "k2"}
    old_ring = KeyRing.from_json(json.dumps({"current": "k1", "keys": {"k1": PREVIOUS_SEED}}))
    old_token = mint(old_ring)
    assert verify_api_token(old_token, keyring=ring).user_id == USER
    retired = KeyRing.from_json(json.dumps({"current": "k2", "keys": {"k2": CURRENT_SEED}}))
    with pytest.raises(Exception, match="not issued by this service"):
        verify_api_token(old_token, keyring=retired)


def test_pem_keys_are_accepted() -> None:
    pem = (
        ed25519_key(CURRENT_SEED)
        .private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
        .decode()
    )
    ring = KeyRing.from_json(json.dumps({"current": "pem", "keys": {"pem": pem}}))
    hex_ring = KeyRing.from_json(json.dumps({"current": "pem", "keys": {"pem": CURRENT_SEED}}))
    assert verify_api_token(mint(ring), keyring=hex_ring).guild_id == GUILD


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("not json", "is not a JSON object"),
        ("{'current': 'k'}", "give it as a string"),
        ("[]", "must look like"),
        ('{"current": "k", "keys": {}}', "must look like"),
        ('{"keys": {"k": "' + CURRENT_SEED + '"}}', "'current' must name"),
        ('{"current": "k9", "keys": {"k": "' + CURRENT_SEED + '"}}', "not under 'keys'"),
        ('{"current": "a b", "keys": {"a b": "' + CURRENT_SEED + '"}}', "key id"),
        ('{"current": "k", "keys": {"k": "0123456789abcdef-s3cr3t-material"}}', "Ed25519 seed"),
        ('{"current": "k", "keys": {"k": 12345}}', "Ed25519 seed"),
        ('{"current": "k", "keys": {"k": "-----BEGIN PRIVATE KEY-----\\ns3cr3t\\n-----END PRIVATE KEY-----"}}', "PEM"),
    ],
)
def test_malformed_documents_say_what_is_wrong_without_the_material(text: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message) as raised:
        KeyRing.from_json(text)
    assert "s3cr3t" not in str(raised.value)


def test_the_keyring_follows_the_secret(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ConfigurationError, match="JWT_SIGNING_KEYS"):
        get_keyring()
    monkeypatch.setenv("JWT_SIGNING_KEYS", KEYS_JSON)
    first = get_keyring()
    assert get_keyring() is first
    monkeypatch.setenv("JWT_SIGNING_KEYS", json.dumps({"current": "k1", "keys": {"k1": PREVIOUS_SEED}}))
    assert get_keyring().current.kid == "k1"


def test_new_documents_are_usable() -> None:
    ring = KeyRing.from_json(new_keys_json("2026-07"))
    assert ring.current.kid == "2026-07"
    assert verify_api_token(mint(ring), keyring=ring).user_id == USER


def test_development_keys_are_created_once_and_private(tmp_path: Path) -> None:
    first = load_or_create_dev_keys(tmp_path)
    assert load_or_create_dev_keys(tmp_path) == first
    path = tmp_path / "dev-jwt-keys.json"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert KeyRing.from_json(first).current.kid == "dev"
