"""Our KS v2 generator against the official Kaltura Python client (PyPI ``KalturaApiClient``, a dev-only dependency).

``KalturaClient.generateSessionV2`` (a static method of ``KalturaClient.Client.KalturaClient``) reads the clock
through the ``time`` module and 16 random bytes through ``Crypto.Random.get_random_bytes``, both looked up as globals
of ``KalturaClient.Client``; the tests replace those two globals (only in that module) with pinned stand-ins, and
hand the same instant and bytes to ``generate_ks(clock=..., random_bytes=...)``.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass
from types import SimpleNamespace

import pytest
from KalturaClient import Client as official_module
from KalturaClient import KalturaClient as OfficialClient

from kaltura_discord.kaltura.ks import generate_ks, parse_ks

pytestmark = pytest.mark.unit

README_SECRET = "0123456789abcdef0123456789abcdef"
README_KS = (
    "djJ8MTIzNDU2N3wmLnFpGTgPM-0fsvyypxPD-rd8Aft8ImPeGy_PraorOqmyXHU9JpNECn3z82wjsEVYSkgqH9NgeZsU4AHdbLAtMpt6cPE9XhTD9"
    "-d4J2-t6rS7lvJX_JKLKvPQjNNPMpA="
)

PRIVILEGE_KEYS = (
    "sview",
    "privacycontext",
    "userId",
    "actionslimit",
    "entryId",
    "role",
    "firstName",
    "lastName",
    "edit",
    "list",
    "setrole",
    "disableentitlement",
)
# Values never contain "," or ":" (those would start another privilege); "/" and "*" are Kaltura's own syntax.
VALUE_ALPHABET = string.ascii_letters + string.digits + "-_.*/@ é"
USER_ALPHABET = string.ascii_letters + string.digits + "-_.@+ =&%é"
SECRET_ALPHABET = string.ascii_letters + string.digits + string.punctuation + "éß"
VECTOR_COUNT = 300


@dataclass(frozen=True)
class Vector:
    secret: str
    partner_id: int
    user_id: str
    session_type: int
    now: float
    expiry: int
    privileges: str
    random: bytes


def _text(rng: random.Random, alphabet: str, length: int) -> str:
    return "".join(rng.choice(alphabet) for _ in range(length))


def _privileges(rng: random.Random) -> str:
    """Up to 6 privileges, with the awkward cases the official parse handles: ``*``, bare keys, repeated keys
    (last wins), blanks around items, empty items."""
    items: list[str] = []
    for _ in range(rng.randint(0, 6)):
        roll = rng.random()
        if roll < 0.08:
            items.append("*")
        elif roll < 0.16:
            items.append("")
        else:
            key = rng.choice(PRIVILEGE_KEYS)
            if roll < 0.28:
                items.append(key)
            else:
                value = _text(rng, VALUE_ALPHABET, rng.randint(0, 20))
                items.append(f"{key}:{value}")
        if rng.random() < 0.15:
            items[-1] = f" {items[-1]}  "
    return ",".join(items)


def _vectors(seed: int, count: int) -> list[Vector]:
    rng = random.Random(seed)
    return [
        Vector(
            secret=_text(rng, SECRET_ALPHABET, rng.choice((16, 32, 32, 40, rng.randint(1, 64)))),
            partner_id=rng.randint(100, 99_999_999),
            user_id=_text(rng, USER_ALPHABET, rng.randint(0, 24)),
            session_type=rng.choice((0, 2)),
            now=rng.uniform(1_500_000_000, 2_100_000_000),
            expiry=rng.choice((0, 60, 3600, 86400, rng.randint(1, 10_000_000))),
            privileges=_privileges(rng),
            random=rng.randbytes(16),
        )
        for _ in range(count)
    ]


VECTORS = _vectors(20231010, VECTOR_COUNT)


def official_ks(monkeypatch: pytest.MonkeyPatch, vector: Vector) -> str:
    """The official client's KS v2 with its clock and random source pinned to the vector's."""
    requested: list[int] = []

    def random_bytes(size: int) -> bytes:
        requested.append(size)
        return vector.random[:size]

    monkeypatch.setattr(official_module, "time", SimpleNamespace(time=lambda: vector.now))
    monkeypatch.setattr(official_module, "Random", SimpleNamespace(get_random_bytes=random_bytes))
    ks = OfficialClient.generateSessionV2(
        vector.secret, vector.user_id, vector.session_type, vector.partner_id, vector.expiry, vector.privileges
    )
    assert requested == [16], "the official client did not draw its randomness from the pinned source"
    assert isinstance(ks, bytes)
    return ks.decode("ascii")


def our_ks(vector: Vector) -> str:
    requested: list[int] = []

    def random_bytes(size: int) -> bytes:
        requested.append(size)
        return vector.random[:size]

    ks = generate_ks(
        vector.secret,
        vector.partner_id,
        vector.user_id,
        vector.session_type,
        vector.expiry,
        privileges=vector.privileges,
        clock=lambda: vector.now,
        random_bytes=random_bytes,
    )
    assert requested == [16]
    return ks


def test_vectors_cover_the_awkward_cases() -> None:
    """Guard against a generator change that quietly stops exercising what the comparison is for."""
    privileges = [v.privileges for v in VECTORS]
    assert len(set(VECTORS)) == VECTOR_COUNT
    assert {v.session_type for v in VECTORS} == {0, 2}
    assert any(v.expiry == 0 for v in VECTORS)
    assert any(v.now != int(v.now) for v in VECTORS)
    assert any(p == "" for p in privileges)
    assert any("*" in p.split(",") for p in privileges)
    assert any(",," in p or p.startswith(",") or p.endswith(",") for p in privileges)
    assert any(" " in p for p in privileges)
    assert any("é" in v.user_id or "&" in v.user_id or " " in v.user_id for v in VECTORS)
    repeated = 0
    for p in privileges:
        keys = [item.strip().split(":", 1)[0] for item in p.split(",") if item.strip()]
        repeated += len(keys) != len(set(keys))
    assert repeated >= 10


@pytest.mark.parametrize("vector", VECTORS, ids=[f"v{i:03d}" for i in range(VECTOR_COUNT)])
def test_generate_ks_matches_the_official_client(monkeypatch: pytest.MonkeyPatch, vector: Vector) -> None:
    expected = official_ks(monkeypatch, vector)
    assert our_ks(vector) == expected, vector
    parsed = parse_ks(expected, vector.secret)
    assert parsed.partner_id == vector.partner_id
    assert parsed.user_id == vector.user_id
    assert parsed.session_type == vector.session_type
    assert parsed.expiry == int(vector.now) + vector.expiry


def test_pinning_is_what_makes_them_equal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Different random bytes or a different second give a different KS on both sides, so equality above is not
    an accident of a constant output."""
    vector = VECTORS[0]
    other_random = Vector(**{**vector.__dict__, "random": bytes(b ^ 0xFF for b in vector.random)})
    later = Vector(**{**vector.__dict__, "now": vector.now + 1})
    kss = {official_ks(monkeypatch, v) for v in (vector, other_random, later)}
    assert len(kss) == 3
    assert {our_ks(v) for v in (vector, other_random, later)} == kss


@pytest.mark.parametrize("generator", ["official", "ours"])
def test_readme_known_vector(monkeypatch: pytest.MonkeyPatch, generator: str) -> None:
    vector = Vector(
        secret=README_SECRET,
        partner_id=1234567,
        user_id="bot-user",
        session_type=0,
        now=1_700_000_000,
        expiry=3600,
        privileges="privacycontext:abc,sview:*",
        random=bytes(16),
    )
    ks = official_ks(monkeypatch, vector) if generator == "official" else our_ks(vector)
    assert ks == README_KS
    assert parse_ks(ks, README_SECRET).fields == {
        "privacycontext": "abc",
        "sview": "*",
        "_e": "1700003600",
        "_t": "0",
        "_u": "bot-user",
    }
