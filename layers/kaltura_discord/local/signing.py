"""A development Ed25519 key pair kept under .local/, and signing the way Discord signs."""

from __future__ import annotations

import os
import secrets
import time
from pathlib import Path

from nacl.signing import SigningKey

from kaltura_discord.local.tables import REPO_ROOT

DISCORD_EPOCH_MS = 1_420_070_400_000


def state_dir() -> Path:
    return Path(os.environ.get("LOCAL_STATE_DIR") or REPO_ROOT / ".local")


def load_or_create_signing_key(directory: Path | None = None) -> SigningKey:
    path = (directory or state_dir()) / "dev-signing-key.hex"
    if path.is_file():
        return SigningKey(bytes.fromhex(path.read_text().strip()))
    path.parent.mkdir(parents=True, exist_ok=True)
    key = SigningKey.generate()
    path.write_text(bytes(key).hex())
    path.chmod(0o600)
    return key


def public_key_hex(key: SigningKey) -> str:
    return bytes(key.verify_key).hex()


def sign(key: SigningKey, body: bytes, timestamp: str | None = None) -> dict[str, str]:
    """The two headers Discord sends with every interaction."""
    stamp = timestamp or str(int(time.time()))
    signature = key.sign(stamp.encode() + body).signature.hex()
    return {"X-Signature-Ed25519": signature, "X-Signature-Timestamp": stamp}


def new_snowflake(at: float | None = None) -> str:
    """An id shaped like Discord's, encoding its creation time (the worker reads the token's age from it)."""
    millis = int((at if at is not None else time.time()) * 1000) - DISCORD_EPOCH_MS
    return str((millis << 22) | secrets.randbits(22))
