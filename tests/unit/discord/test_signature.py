from __future__ import annotations

import pytest

from kaltura_discord.discord.signature import SignatureVerifier
from kaltura_discord.settings import ConfigurationError
from tests.support.interactions import PUBLIC_KEY_HEX, SIGNING_KEY

pytestmark = pytest.mark.unit

NOW = 1_700_000_000
BODY = b'{"type":1}'


def signed(body: bytes = BODY, ts: str = str(NOW)) -> tuple[str, str]:
    return SIGNING_KEY.sign(ts.encode() + body).signature.hex(), ts


@pytest.fixture
def verifier() -> SignatureVerifier:
    return SignatureVerifier(PUBLIC_KEY_HEX, clock=lambda: NOW)


def test_valid_signature_is_accepted(verifier: SignatureVerifier) -> None:
    sig, ts = signed()
    assert verifier.verify(sig, ts, BODY)


def test_uppercase_hex_signature_is_accepted(verifier: SignatureVerifier) -> None:
    sig, ts = signed()
    assert verifier.verify(sig.upper(), ts, BODY)


@pytest.mark.parametrize(
    ("mutate", "reason"),
    [
        (lambda s, t, b: (None, t, b), "missing signature"),
        (lambda s, t, b: (s, None, b), "missing timestamp"),
        (lambda s, t, b: ("", t, b), "empty signature"),
        (lambda s, t, b: ("zz" + s[2:], t, b), "non-hex signature"),
        (lambda s, t, b: (s[:-2], t, b), "short signature"),
        (lambda s, t, b: (s + "00", t, b), "long signature"),
        (lambda s, t, b: (s[:-1] + ("0" if s[-1] != "0" else "1"), t, b), "flipped bit"),
        (lambda s, t, b: (s, t, b + b" "), "body changed"),
        (lambda s, t, b: (s, str(int(t) + 1), b), "timestamp changed"),
        (lambda s, t, b: (s, "+" + t, b), "signed timestamp form"),
        (lambda s, t, b: (s, t + "\u0661", b), "non-ascii digit"),
    ],
)
def test_bad_input_is_rejected(verifier: SignatureVerifier, mutate, reason: str) -> None:
    sig, ts = signed()
    assert not verifier.verify(*mutate(sig, ts, BODY)), reason


def test_signature_by_another_key_is_rejected(verifier: SignatureVerifier) -> None:
    from nacl.signing import SigningKey

    other = SigningKey.generate()
    sig = other.sign(str(NOW).encode() + BODY).signature.hex()
    assert not verifier.verify(sig, str(NOW), BODY)


@pytest.mark.parametrize(("offset", "accepted"), [(-300, True), (300, True), (-301, False), (301, False)])
def test_timestamp_must_be_within_five_minutes(offset: int, accepted: bool) -> None:
    ts = str(NOW + offset)
    sig, _ = signed(ts=ts)
    verifier = SignatureVerifier(PUBLIC_KEY_HEX, clock=lambda: NOW)
    assert verifier.verify(sig, ts, BODY) is accepted


@pytest.mark.parametrize("key", ["not-hex", "ab" * 31, "ab" * 33, ""])
def test_malformed_public_key_fails_at_start_naming_the_setting(key: str) -> None:
    with pytest.raises(ConfigurationError, match="DISCORD_PUBLIC_KEY"):
        SignatureVerifier(key)
