"""Kaltura's HTTP notifications: the signature as the server computes it, the bodies it sends, the template set-up."""

from __future__ import annotations

import hashlib
import json
import struct

import pytest

from kaltura_discord.kaltura import notifications
from kaltura_discord.kaltura.entries import Entry
from kaltura_discord.kaltura.notifications import InvalidNotification, parse, sign, verify

pytestmark = pytest.mark.unit

SECRET = "0123456789abcdef0123456789abcdef"
BODY = b"trigger_status=2&entry_id=0_ab12cd34&entry_name=Weekly+sync+%28recording%29&entry_status=2"


def test_the_signature_is_the_hex_hash_of_the_secret_followed_by_the_body() -> None:
    assert sign(SECRET, BODY) == hashlib.sha256(SECRET.encode() + BODY).hexdigest()
    assert sign(SECRET, BODY, "sha1") == hashlib.sha1(SECRET.encode() + BODY).hexdigest()
    assert verify(SECRET, BODY, sign(SECRET, BODY))
    assert verify(SECRET, BODY, sign(SECRET, BODY), "sha256")
    assert verify(SECRET, BODY, sign(SECRET, BODY).upper(), "SHA256")
    assert verify(SECRET, BODY, sign(SECRET, BODY, "sha512"), "sha512")


@pytest.mark.parametrize(
    ("signature", "algorithm"),
    [
        (None, None),
        ("", None),
        ("0" * 64, None),
        ("not hex at all, not even close to a signature", None),
        (hashlib.sha256(b"other-secret" + BODY).hexdigest(), None),
        (hashlib.sha256(BODY + SECRET.encode()).hexdigest(), None),  # body then secret is not what Kaltura does
        (hashlib.sha1(SECRET.encode() + BODY).hexdigest(), "sha1"),  # the server's default algorithm: refused
        (hashlib.sha256(SECRET.encode() + BODY).hexdigest(), "md5"),
        (hashlib.sha256(SECRET.encode() + BODY).hexdigest(), "sha512"),  # the header names another algorithm
    ],
)
def test_wrong_missing_or_weak_signatures_are_refused(signature: str | None, algorithm: str | None) -> None:
    assert not verify(SECRET, BODY, signature, algorithm)


def test_no_secret_verifies_nothing() -> None:
    assert not verify("", BODY, hashlib.sha256(BODY).hexdigest())


def test_form_fields_name_the_entry() -> None:
    found = parse(BODY, "application/x-www-form-urlencoded")
    assert (found.entry_id, found.status, found.job_id) == ("0_ab12cd34", 2, None)
    assert parse(BODY, None).entry_id == "0_ab12cd34"


def test_a_kaltura_http_notification_names_the_entry_as_json_or_in_a_data_field() -> None:
    notification = {
        "object": {"id": "0_ab12cd34", "status": 2, "rootEntryId": "0_room1234", "objectType": "KalturaMediaEntry"},
        "eventObjectType": 1,
        "eventNotificationJobId": 33578094492,
        "templateId": 26970222,
        "eventType": 3,
        "objectType": "KalturaHttpNotification",
    }
    raw = json.dumps(notification)
    as_json = parse(raw.encode(), "application/json; charset=utf-8")
    assert (as_json.entry_id, as_json.status, as_json.job_id) == ("0_ab12cd34", 2, "33578094492")
    # KalturaHttpNotificationObjectData::getData returns "data=$data" without URL-encoding it
    assert parse(f"data={raw}".encode(), "application/x-www-form-urlencoded").entry_id == "0_ab12cd34"
    from urllib.parse import quote_plus

    assert parse(f"data={quote_plus(raw)}".encode(), None).entry_id == "0_ab12cd34"


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"entry_name=x&entry_status=2",
        b"entry_id=../../etc&entry_status=2",
        b"entry_id=0_ab12cd34&entry_id=0_other123",  # a field twice: refused, never guessed at
        b"entry_id=0_ab12cd34\x00",
        b"\xff\xfeentry_id=0_ab12cd34",
        b'{"object": []}',
        b"{not json",
        b'data={"object": {"id": 42}}',
    ],
)
def test_bodies_that_name_no_entry_are_refused(body: bytes) -> None:
    with pytest.raises(InvalidNotification):
        parse(body, None)


def test_a_length_extension_of_a_signed_body_is_refused() -> None:
    """SHA-256(secret || body) lets anyone who saw one signed body sign body || padding || more without the secret;
    the padding always holds 0x80 and NUL bytes, which no notification body has."""
    length = len(SECRET) + len(BODY)
    padding = b"\x80" + b"\x00" * ((55 - length) % 64) + struct.pack(">Q", length * 8)
    with pytest.raises(InvalidNotification):
        parse(BODY + padding + b"&entry_id=0_forged00", None)


def test_the_set_up_clones_the_entry_ready_template_with_form_fields_and_sha256() -> None:
    url = notifications.notifications_url("https://api.example.com/")
    assert url == "https://api.example.com/v1/kaltura/notifications"
    calls = [call.describe() for call in notifications.planned_calls(url)]
    assert [c["call"].rsplit(".", 1)[1] for c in calls] == ["list", "listTemplates", "clone", "updateStatus"]
    assert all(c["call"].startswith("eventnotification_eventnotificationtemplate.") for c in calls)
    assert calls[1]["params"]["filter"]["systemNameEqual"] == "HTTP_ENTRY_STATUS_EQUALS"
    template = calls[2]["params"]["eventNotificationTemplate"]
    assert template == {
        "objectType": "KalturaHttpNotificationTemplate",
        "name": "kaltura-discord: recording ready",
        "systemName": "KALTURA_DISCORD_RECORDING_READY",
        "description": "Tells kaltura-discord that an entry (a meeting's recording) is ready.",
        "url": url,
        "method": 2,
        "data": {"objectType": "KalturaHttpNotificationDataFields"},
        "secureHashingAlgo": 2,
    }
    assert calls[3]["params"]["status"] == 2


def test_entries_are_read_as_kaltura_answers_them() -> None:
    media = Entry.from_api(
        {"id": "0_ab12cd34", "status": 2, "rootEntryId": "0_room1234", "msDuration": 90500, "name": "Rec"}
    )
    assert (media.duration, media.root_entry_id, media.is_ready) == (90, "0_room1234", True)
    assert Entry.from_api({"id": "0_x1", "duration": True, "status": "7"}).duration is None
    assert Entry.from_api({"id": "0_x1", "status": "7"}).status == 7
    with pytest.raises(Exception, match="KalturaBaseEntry"):
        Entry.from_api({"objectType": "KalturaAPIException"})


def test_a_raw_data_field_keeps_json_that_form_decoding_would_break() -> None:
    raw = json.dumps(
        {"object": {"id": "0_ab12cd34", "name": "Q&A + demo 100%"}, "objectType": "KalturaHttpNotification"}
    )
    assert parse(f"data={raw}".encode(), "application/x-www-form-urlencoded").entry_id == "0_ab12cd34"
