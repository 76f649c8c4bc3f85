"""Ed25519 verification of Discord's request signatures, done before anything reads the body."""

from __future__ import annotations

import time
from collections.abc import Callable

from nacl.bindings import crypto_sign_open
from nacl.exceptions import BadSignatureError, CryptoError

from kaltura_discord.settings import ConfigurationError

MAX_CLOCK_SKEW_SECONDS = 300
_SIGNATURE_HEX_LENGTH = 128
_MAX_TIMESTAMP_DIGITS = 12


def parse_public_key(hex_key: str) -> bytes:
    try:
        key = bytes.fromhex(hex_key)
    except ValueError:
        raise ConfigurationError("setting DISCORD_PUBLIC_KEY must be hex") from None
    if len(key) != 32:
        raise ConfigurationError("setting DISCORD_PUBLIC_KEY must be 32 bytes (64 hex characters)")
    return key


class SignatureVerifier:
    """Checks ``X-Signature-Ed25519`` over ``X-Signature-Timestamp + body`` and the timestamp's freshness."""

    __slots__ = ("_clock", "_key", "_max_skew")

    def __init__(
        self,
        public_key_hex: str,
        max_skew_seconds: int = MAX_CLOCK_SKEW_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._key = parse_public_key(public_key_hex)
        self._max_skew = max_skew_seconds
        self._clock = clock

    def verify(self, signature_hex: str | None, timestamp: str | None, body: bytes) -> bool:
        if not signature_hex or not timestamp or len(signature_hex) != _SIGNATURE_HEX_LENGTH:
            return False
        if not (timestamp.isascii() and timestamp.isdigit()) or len(timestamp) > _MAX_TIMESTAMP_DIGITS:
            return False
        if abs(self._clock() - int(timestamp)) > self._max_skew:
            return False
        try:
            signature = bytes.fromhex(signature_hex)
        except ValueError:
            return False
        try:
            crypto_sign_open(signature + timestamp.encode() + body, self._key)
        except (BadSignatureError, CryptoError, ValueError, TypeError):
            return False
        return True
