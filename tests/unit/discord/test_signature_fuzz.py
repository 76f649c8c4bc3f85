"""Thousands of random and mutated signatures and bodies: every one is refused with 401, none with 5xx."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaltura_discord.bot.interactions import InteractionsApp
from kaltura_discord.local.signing import sign
from tests.support.interactions import PUBLIC_KEY_HEX, SIGNING_KEY, command, v1_event, v2_event

pytestmark = pytest.mark.unit

APP = InteractionsApp(PUBLIC_KEY_HEX)
VALID_BODY = json.dumps(command("kaltura-help")).encode()
VALID_HEADERS = sign(SIGNING_KEY, VALID_BODY)
FUZZ = settings(max_examples=1500, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@pytest.fixture(scope="module", autouse=True)
def _signed_when_the_tests_run() -> None:
    """Sign again as this module's tests start: the verifier refuses timestamps more than 5 minutes old, and a full
    run reaches these tests later than that after collecting them."""
    VALID_HEADERS.update(sign(SIGNING_KEY, VALID_BODY))


@FUZZ
@given(signature=st.text(max_size=200), timestamp=st.text(max_size=20), body=st.binary(max_size=300))
def test_random_headers_and_bodies_are_401(signature: str, timestamp: str, body: bytes) -> None:
    headers = {"X-Signature-Ed25519": signature, "X-Signature-Timestamp": timestamp}
    assert APP.handle(v2_event(body, headers, base64_body=True))["statusCode"] == 401


@FUZZ
@given(position=st.integers(0, 127), replacement=st.sampled_from("0123456789abcdefABCDEFxyz -"))
def test_mutated_signature_is_401(position: int, replacement: str) -> None:
    signature = VALID_HEADERS["X-Signature-Ed25519"]
    mutated = signature[:position] + replacement + signature[position + 1 :]
    headers = {**VALID_HEADERS, "X-Signature-Ed25519": mutated}
    expected = 200 if mutated.lower() == signature else 401
    assert APP.handle(v1_event(VALID_BODY, headers))["statusCode"] == expected


@FUZZ
@given(position=st.integers(0, len(VALID_BODY) - 1), byte=st.integers(0, 255))
def test_mutated_body_is_401(position: int, byte: int) -> None:
    body = VALID_BODY[:position] + bytes([byte]) + VALID_BODY[position + 1 :]
    expected = 200 if body == VALID_BODY else 401
    assert APP.handle(v2_event(body, VALID_HEADERS, base64_body=True))["statusCode"] == expected
