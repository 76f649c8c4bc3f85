"""Kaltura Session (KS) v2: local generation and reading back, plus safe privilege strings.

Generation follows the official clients byte for byte (see ``shared/kaltura/README.md``), so an admin or user KS
costs no network round trip. ``cryptography`` is imported on first use to keep importing this module cheap.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import os
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from enum import IntEnum
from urllib.parse import parse_qsl, urlencode

FIELD_EXPIRY = "_e"
FIELD_TYPE = "_t"
FIELD_USER = "_u"
RESERVED_FIELDS = frozenset({FIELD_EXPIRY, FIELD_TYPE, FIELD_USER})

_RANDOM_SIZE = 16
_SHA1_SIZE = 20
_BLOCK = 16

Clock = Callable[[], float]
RandomBytes = Callable[[int], bytes]


class SessionType(IntEnum):
    USER = 0
    ADMIN = 2


class InvalidKs(ValueError):
    """A KS could not be read with the given secret (malformed, wrong partner secret, failed hash)."""


# --- privileges ---------------------------------------------------------------------------------------------

_KEY = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_UNSAFE_IN_VALUE = re.compile(r"[,:/*\x00-\x1f\x7f]")
_SPACES = re.compile(r"\s+")
_ID = re.compile(r"^[^,:/*\s\x00-\x1f\x7f]{1,128}$")
_ENTRY_ID = re.compile(r"^[0-9]+_[0-9A-Za-z]{1,32}$")
MAX_VALUE_LENGTH = 128


def sanitize_value(value: object) -> str:
    """Make untrusted text safe as one privilege value.

    ``,`` would start another privilege (``x,role:adminRole``), ``:`` splits key from value, ``/`` joins several
    values and a bare ``*`` means "everything"; all become spaces, control characters go, whitespace collapses.
    """
    text = _UNSAFE_IN_VALUE.sub(" ", str(value))
    return _SPACES.sub(" ", text).strip()[:MAX_VALUE_LENGTH].strip()


def validate_id(value: str, what: str = "id") -> str:
    """Identifiers must arrive exact: refuse (rather than quietly alter) one that would need sanitising."""
    if not _ID.fullmatch(value):
        raise ValueError(f"{what} {value!r} is empty, too long or contains a privilege separator")
    return value


def validate_entry_id(value: str) -> str:
    if not _ENTRY_ID.fullmatch(value):
        raise ValueError(f"not a Kaltura entry id: {value!r}")
    return value


@dataclass(frozen=True)
class Privileges:
    """An ordered set of KS privileges whose values are sanitised on the way in.

    Keys come from code and are validated; values may come from people and cannot add or override a privilege.
    A sequence value becomes several values joined with ``/`` (Kaltura's convention).
    """

    items: tuple[tuple[str, str], ...] = ()

    def with_(self, key: str, value: object | Iterable[object] = "") -> Privileges:
        if not _KEY.fullmatch(key):
            raise ValueError(f"invalid privilege key {key!r}")
        if isinstance(value, (list, tuple, set, frozenset)):
            text = "/".join(v for v in (sanitize_value(item) for item in value) if v)
        else:
            text = sanitize_value(value)
        kept = tuple((k, v) for k, v in self.items if k != key)
        return Privileges((*kept, (key, text)))

    def get(self, key: str) -> str | None:
        return dict(self.items).get(key)

    def to_string(self) -> str:
        return ",".join(f"{key}:{value}" if value else key for key, value in self.items)

    def __str__(self) -> str:
        return self.to_string()


def build_privileges(pairs: Mapping[str, object] | Iterable[tuple[str, object]]) -> Privileges:
    """``build_privileges({"userId": uid, "firstName": untrusted})`` -> :class:`Privileges`."""
    privileges = Privileges()
    for key, value in pairs.items() if isinstance(pairs, Mapping) else pairs:
        privileges = privileges.with_(key, value)
    return privileges


def join_privileges(*, user_id: str, room_id: str, first_name: str, last_name: str, moderator: bool) -> Privileges:
    """Privileges of the user KS that lets one person into one room (``adminRole`` for hosts)."""
    return build_privileges(
        [
            ("actionslimit", "-1"),
            ("userId", validate_id(user_id, "user id")),
            ("entryId", validate_entry_id(room_id)),
            ("firstName", first_name),
            ("lastName", last_name),
            ("role", "adminRole" if moderator else "viewerRole"),
        ]
    )


# --- the KS itself -----------------------------------------------------------------------------------------


def _aes_key(secret: str) -> bytes:
    return hashlib.sha1(secret.encode()).digest()[:_BLOCK]  # noqa: S324 - Kaltura's KS format


def _aes_cbc(secret: str, data: bytes, *, encrypt: bool) -> bytes:
    """AES-128-CBC, key from SHA-1 of the secret, zero IV, no padding (callers zero-pad)."""
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    cipher = Cipher(algorithms.AES(_aes_key(secret)), modes.CBC(bytes(_BLOCK)))
    context = cipher.encryptor() if encrypt else cipher.decryptor()
    return context.update(data) + context.finalize()


def privilege_fields(privileges: str) -> dict[str, str]:
    """The official parse: split on ``,``, trim, ``*`` is ``all:*``, split on the first ``:``, last key wins."""
    fields: dict[str, str] = {}
    for raw in privileges.split(","):
        privilege = raw.strip()
        if not privilege:
            continue
        if privilege == "*":
            privilege = "all:*"
        key, _, value = privilege.partition(":")
        fields[key] = value
    return fields


def generate_ks(
    secret: str,
    partner_id: int | str,
    user_id: str,
    session_type: int,
    expiry: int,
    *,
    privileges: str | Privileges = "",
    clock: Clock = time.time,
    random_bytes: RandomBytes = os.urandom,
) -> str:
    """A KS v2 exactly as the official clients build it; ``expiry`` is in seconds from ``clock()``."""
    fields = privilege_fields(str(privileges))
    fields[FIELD_EXPIRY] = str(int(clock()) + int(expiry))
    fields[FIELD_TYPE] = str(int(session_type))
    fields[FIELD_USER] = str(user_id)
    message = random_bytes(_RANDOM_SIZE) + urlencode(fields).encode()
    message = hashlib.sha1(message).digest() + message  # noqa: S324 - Kaltura's KS format
    if len(message) % _BLOCK:
        message += b"\0" * (_BLOCK - len(message) % _BLOCK)
    encrypted = _aes_cbc(secret, message, encrypt=True)
    return base64.urlsafe_b64encode(f"v2|{partner_id}|".encode() + encrypted).decode()


@dataclass(frozen=True)
class ParsedKs:
    """A KS read back: partner, and the ordered fields including ``_e``/``_t``/``_u``."""

    partner_id: int
    fields: dict[str, str]

    @property
    def expiry(self) -> int:
        return int(self.fields.get(FIELD_EXPIRY, "0") or 0)

    @property
    def session_type(self) -> int:
        return int(self.fields.get(FIELD_TYPE, "0") or 0)

    @property
    def user_id(self) -> str:
        return self.fields.get(FIELD_USER, "")

    @property
    def privileges(self) -> dict[str, str]:
        return {k: v for k, v in self.fields.items() if k not in RESERVED_FIELDS}

    def is_expired(self, now: float) -> bool:
        return self.expiry < int(now)


def ks_partner_id(ks: str) -> int:
    """The partner id in a v2 KS's clear-text header, without decrypting anything."""
    return _split(ks)[0]


def _split(ks: str) -> tuple[int, bytes]:
    try:
        decoded = base64.urlsafe_b64decode(ks.encode("ascii"))
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise InvalidKs("not base64") from None
    parts = decoded.split(b"|", 2)
    if len(parts) != 3 or parts[0] != b"v2":
        raise InvalidKs("not a v2 KS")
    try:
        partner_id = int(parts[1])
    except ValueError:
        raise InvalidKs("bad partner id") from None
    if not parts[2] or len(parts[2]) % _BLOCK:
        raise InvalidKs("bad ciphertext length")
    return partner_id, parts[2]


def parse_ks(ks: str, secret: str) -> ParsedKs:
    """Decrypt and verify a v2 KS with the partner's secret; raises :class:`InvalidKs`."""
    partner_id, encrypted = _split(ks)
    message = _aes_cbc(secret, encrypted, encrypt=False).rstrip(b"\0")
    digest, rest = message[:_SHA1_SIZE], message[_SHA1_SIZE:]
    if len(rest) < _RANDOM_SIZE or hashlib.sha1(rest).digest() != digest:  # noqa: S324 - Kaltura's KS format
        raise InvalidKs("signature mismatch")
    try:
        text = rest[_RANDOM_SIZE:].decode("ascii")
    except UnicodeDecodeError:
        raise InvalidKs("fields are not URL-encoded text") from None
    fields = dict(parse_qsl(text, keep_blank_values=True))
    if not fields.keys() >= RESERVED_FIELDS:
        raise InvalidKs("missing _e/_t/_u")
    return ParsedKs(partner_id=partner_id, fields=fields)
