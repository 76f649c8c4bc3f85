from __future__ import annotations

import pytest

from kaltura_discord.discord.http_events import MalformedEvent, from_lambda_event
from tests.support.interactions import v1_event, v2_event

pytestmark = pytest.mark.unit

BODY = '{"type":1,"name":"caf\u00e9"}'.encode()


@pytest.mark.parametrize("builder", [v1_event, v2_event])
@pytest.mark.parametrize("base64_body", [False, True])
def test_body_is_the_exact_bytes_received(builder, base64_body: bool) -> None:
    request = from_lambda_event(builder(BODY, {"X-Signature-Ed25519": "ab"}, base64_body=base64_body))
    assert request.body == BODY
    assert request.method == "POST"
    assert request.path == "/interactions"


def test_header_names_are_case_insensitive() -> None:
    event = v1_event(BODY, {"X-SIGNATURE-ED25519": "ab", "x-Signature-Timestamp": "1"})
    request = from_lambda_event(event)
    assert request.header("x-signature-ed25519") == "ab"
    assert request.header("x-signature-timestamp") == "1"


def test_invalid_base64_is_a_malformed_event() -> None:
    event = v2_event(BODY, {}, base64_body=True)
    event["body"] = "%%%not base64"
    with pytest.raises(MalformedEvent):
        from_lambda_event(event)


def test_missing_body_and_headers_give_empty_values() -> None:
    request = from_lambda_event({"version": "2.0", "requestContext": {"http": {"method": "post"}}})
    assert request.body == b""
    assert request.headers == {}
    assert request.method == "POST"
