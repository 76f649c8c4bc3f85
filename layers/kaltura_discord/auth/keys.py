"""The keys that sign API and join tokens, read from the secret ``JWT_SIGNING_KEYS``.

The secret is a JSON object naming the key that signs new tokens and every key that may still verify one::

    {"current": "2026-07", "keys": {"2026-07": "<key>", "2026-01": "<key>"}}

A key is an Ed25519 private key: its 32-byte seed as 64 hex characters, or a PKCS#8 PEM block. In the Secrets
Manager secret (itself a JSON object of settings) the document is a string value, encoded once more. Tokens carry
their key's id in the ``kid`` header, so rotating is: add a key, make it ``current``, and remove the old one once
the longest-lived token signed with it has expired (720 hours). Key ids are 1-64 characters of ``A-Z a-z 0-9 . _ -``.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kaltura_discord import settings
from kaltura_discord.settings import ConfigurationError

if TYPE_CHECKING:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

SECRET_NAME = "JWT_SIGNING_KEYS"  # noqa: S105 - the name of the secret, not its value
KID_PATTERN = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
DEV_KEYS_FILE = "dev-jwt-keys.json"


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private_key: Ed25519PrivateKey
    public_key: Ed25519PublicKey


def _load_private_key(kid: str, material: Any) -> Ed25519PrivateKey:
    """Never echoes the material: a message about a key names only its id."""
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    problem = f"{SECRET_NAME}: key {kid!r} must be an Ed25519 seed (64 hex characters) or a PKCS#8 PEM private key"
    if not isinstance(material, str):
        raise ConfigurationError(problem)
    text = material.strip()
    if text.startswith("-----BEGIN"):
        try:
            loaded = serialization.load_pem_private_key(text.encode(), password=None)
        except (ValueError, TypeError):
            raise ConfigurationError(problem) from None
        if not isinstance(loaded, Ed25519PrivateKey):
            raise ConfigurationError(problem)
        return loaded
    if not re.fullmatch(r"[0-9a-fA-F]{64}", text):
        raise ConfigurationError(problem)
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(text))


class KeyRing:
    """The current signing key and every key that still verifies, by ``kid``."""

    def __init__(self, current: str, keys: dict[str, SigningKey]) -> None:
        if current not in keys:
            raise ConfigurationError(f"{SECRET_NAME}: 'current' names key {current!r}, which is not under 'keys'")
        self._current = keys[current]
        self._keys = dict(keys)

    @classmethod
    def from_json(cls, text: str) -> KeyRing:
        try:
            document = json.loads(text)
        except ValueError:
            hint = " (inside the secret's JSON, give it as a string)" if text.startswith("{'") else ""
            raise ConfigurationError(f"{SECRET_NAME} is not a JSON object{hint}") from None
        if not isinstance(document, dict) or not isinstance(document.get("keys"), dict) or not document["keys"]:
            raise ConfigurationError(
                f'{SECRET_NAME} must look like {{"current": "<kid>", "keys": {{"<kid>": "<key>"}}}}'
            )
        current = document.get("current")
        if not isinstance(current, str):
            raise ConfigurationError(f"{SECRET_NAME}: 'current' must name one of its keys")
        keys: dict[str, SigningKey] = {}
        for kid, material in document["keys"].items():
            if not KID_PATTERN.fullmatch(kid):
                raise ConfigurationError(f"{SECRET_NAME}: key id {kid[:64]!r} must be 1-64 of A-Z a-z 0-9 . _ -")
            private_key = _load_private_key(kid, material)
            keys[kid] = SigningKey(kid, private_key, private_key.public_key())
        return cls(current, keys)

    @property
    def current(self) -> SigningKey:
        return self._current

    def public_key(self, kid: str) -> Ed25519PublicKey | None:
        key = self._keys.get(kid)
        return key.public_key if key is not None else None

    @property
    def kids(self) -> tuple[str, ...]:
        return tuple(self._keys)


class _KeyRingCache:
    """Parsed once per secret value: a rotated secret (settings re-reads it every few minutes) takes effect."""

    def __init__(self) -> None:
        self._text: str | None = None
        self._ring: KeyRing | None = None
        self._lock = threading.Lock()

    def get(self) -> KeyRing:
        text = settings.secrets.require(SECRET_NAME)
        with self._lock:
            if self._ring is None or text != self._text:
                self._ring, self._text = KeyRing.from_json(text), text
            return self._ring

    def clear(self) -> None:
        with self._lock:
            self._ring, self._text = None, None


_cache = _KeyRingCache()


def get_keyring() -> KeyRing:
    return _cache.get()


def clear_keyring() -> None:
    _cache.clear()


def new_keys_json(kid: str | None = None) -> str:
    """A fresh one-key secret value (for ``make run`` and for operators creating the secret)."""
    name = kid or time.strftime("%Y-%m-%d")
    return json.dumps({"current": name, "keys": {name: secrets.token_hex(32)}})


def load_or_create_dev_keys(directory: Path) -> str:
    """The local stack's development keys, kept under ``.local/`` so tokens survive a restart."""
    path = directory / DEV_KEYS_FILE
    if path.is_file():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    text = new_keys_json("dev")
    path.write_text(text)
    path.chmod(0o600)
    return text
