from __future__ import annotations

import pickle

import pytest

from kaltura_discord.kaltura.errors import KalturaError, KalturaUnavailable, scrub

pytestmark = pytest.mark.unit

KS = "djJ8MTIzNDU2N3wmLnFpGTgPM-0fsvyypxPD-rd8Aft8ImPeGy_PraorOqmyXHU9JpNECn3z82wjsEVYSkgqH9NgeZsU4AHdbLAtMpA="


def test_kaltura_echoing_a_ks_does_not_leak_it() -> None:
    error = KalturaError.from_api_exception(
        {
            "objectType": "KalturaAPIException",
            "code": "INVALID_KS",
            "message": f'Invalid KS "{KS}". Error "-5,EXPIRED"',
            "args": {"KS": KS, "ERR_CODE": -5},
        }
    )
    assert error.code == "INVALID_KS"
    assert KS not in str(error) and KS not in repr(error) and KS not in str(error.arguments)
    assert error.arguments == {"KS": "[redacted]", "ERR_CODE": "-5"}
    assert 'Error "-5,EXPIRED"' in error.message


def test_given_secrets_are_removed_even_when_not_ks_shaped() -> None:
    error = KalturaError(
        "START_SESSION_ERROR",
        "bad secret s3cr3t-value for partner",
        {"SECRET": "s3cr3t-value"},
        secrets=["s3cr3t-value", ""],
    )
    assert "s3cr3t-value" not in str(error)
    assert error.arguments["SECRET"] == "[redacted]"


def test_php_empty_args_array_is_accepted() -> None:
    error = KalturaError.from_api_exception(
        {"objectType": "KalturaAPIException", "code": "X", "message": "m", "args": []}
    )
    assert error.arguments == {}
    assert str(error) == "X: m"


def test_unavailable_is_a_retryable_kaltura_error() -> None:
    error = KalturaUnavailable("HTTP_503", "down", request_sent=False)
    assert isinstance(error, KalturaError)
    assert error.retryable and not KalturaError("X").retryable
    assert error.request_sent is False


def test_error_survives_pickling_with_python_args_intact() -> None:
    error = KalturaError("ENTRY_ID_NOT_FOUND", "missing", {"ENTRY_ID": "0_x"})
    assert error.args == ("ENTRY_ID_NOT_FOUND: missing",)
    copy = pickle.loads(pickle.dumps(error))
    assert (copy.code, copy.message, copy.arguments, str(copy)) == (
        error.code,
        error.message,
        error.arguments,
        str(error),
    )
    unavailable = pickle.loads(pickle.dumps(KalturaUnavailable("TIMEOUT", "slow", request_sent=False)))
    assert type(unavailable) is KalturaUnavailable and unavailable.request_sent is False


def test_scrub_handles_ks_in_any_position() -> None:
    assert scrub(f"a {KS} b {KS}") == "a [redacted] b [redacted]"
