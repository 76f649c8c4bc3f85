from __future__ import annotations

import base64

import pytest
from hypothesis import given
from hypothesis import strategies as st

from kaltura_discord.kaltura.ks import (
    InvalidKs,
    Privileges,
    SessionType,
    build_privileges,
    generate_ks,
    join_privileges,
    ks_partner_id,
    parse_ks,
    privilege_fields,
    sanitize_value,
)

pytestmark = pytest.mark.unit

SECRET = "0123456789abcdef0123456789abcdef"
KNOWN_KS = (
    "djJ8MTIzNDU2N3wmLnFpGTgPM-0fsvyypxPD-rd8Aft8ImPeGy_PraorOqmyXHU9JpNECn3z82wjsEVYSkgqH9NgeZsU4AHdbLAtMpt6cPE9XhTD9"
    "-d4J2-t6rS7lvJX_JKLKvPQjNNPMpA="
)


def known(**overrides: object) -> str:
    args: dict[str, object] = {
        "secret": SECRET,
        "partner_id": 1234567,
        "user_id": "bot-user",
        "session_type": SessionType.USER,
        "expiry": 3600,
        "privileges": "privacycontext:abc,sview:*",
        "clock": lambda: 1_700_000_000,
        "random_bytes": bytes,
    }
    args.update(overrides)
    return generate_ks(**args)  # type: ignore[arg-type]


def test_known_vector_is_reproduced_byte_for_byte() -> None:
    assert known() == KNOWN_KS


def test_known_vector_reads_back_with_ordered_fields() -> None:
    parsed = parse_ks(KNOWN_KS, SECRET)
    assert parsed.partner_id == 1234567
    assert list(parsed.fields.items()) == [
        ("privacycontext", "abc"),
        ("sview", "*"),
        ("_e", "1700003600"),
        ("_t", "0"),
        ("_u", "bot-user"),
    ]
    assert (parsed.expiry, parsed.session_type, parsed.user_id) == (1700003600, 0, "bot-user")
    assert parsed.privileges == {"privacycontext": "abc", "sview": "*"}
    assert parsed.is_expired(1700003601) and not parsed.is_expired(1700003600)


def test_privileges_object_gives_the_same_ks_as_the_string() -> None:
    privileges = build_privileges({"privacycontext": "abc"}).with_("sview", "x")
    assert str(privileges) == "privacycontext:abc,sview:x"
    assert known(privileges=privileges) == known(privileges="privacycontext:abc,sview:x")


def test_randomness_changes_the_ks_but_not_its_content() -> None:
    first, second = known(random_bytes=lambda n: b"\x01" * n), known(random_bytes=lambda n: b"\x02" * n)
    assert first != second
    assert parse_ks(first, SECRET).fields == parse_ks(second, SECRET).fields


def test_official_privilege_parsing_rules() -> None:
    assert privilege_fields(" a:1 , *, b , c:x:y, a:2,,") == {"a": "2", "all": "*", "b": "", "c": "x:y"}


def test_reserved_fields_always_come_from_the_arguments() -> None:
    ks = known(privileges="_u:admin,_t:2,_e:9999999999")
    parsed = parse_ks(ks, SECRET)
    assert (parsed.user_id, parsed.session_type, parsed.expiry) == ("bot-user", 0, 1700003600)


@pytest.mark.parametrize("length", range(1, 40))
def test_round_trip_across_padding_boundaries(length: int) -> None:
    user = "u" * length
    parsed = parse_ks(known(user_id=user, privileges=""), SECRET)
    assert parsed.user_id == user and parsed.privileges == {}


def test_wrong_secret_is_rejected() -> None:
    with pytest.raises(InvalidKs):
        parse_ks(KNOWN_KS, "another-secret")


def test_tampered_ciphertext_is_rejected() -> None:
    raw = bytearray(base64.urlsafe_b64decode(KNOWN_KS))
    raw[-1] ^= 0x01
    with pytest.raises(InvalidKs):
        parse_ks(base64.urlsafe_b64encode(bytes(raw)).decode(), SECRET)


@pytest.mark.parametrize("bad", ["", "not base64 !", base64.urlsafe_b64encode(b"v1|123|abc").decode(), "djJ8"])
def test_malformed_ks_is_rejected(bad: str) -> None:
    with pytest.raises(InvalidKs):
        parse_ks(bad, SECRET)


def test_partner_id_is_readable_without_the_secret() -> None:
    assert ks_partner_id(KNOWN_KS) == 1234567


# --- privilege injection ----------------------------------------------------------------------------------


def parsed_join(first: str, last: str) -> dict[str, str]:
    privileges = join_privileges(
        user_id="discord-42", room_id="0_abcd1234", first_name=first, last_name=last, moderator=False
    )
    return parse_ks(known(privileges=privileges), SECRET).privileges


def test_join_privileges_have_the_documented_shape() -> None:
    privileges = join_privileges(
        user_id="discord-42", room_id="0_abcd1234", first_name="Ada", last_name="Lovelace", moderator=True
    )
    assert str(privileges) == (
        "actionslimit:-1,userId:discord-42,entryId:0_abcd1234,firstName:Ada,lastName:Lovelace,role:adminRole"
    )


@pytest.mark.parametrize(
    ("first", "last"),
    [
        ("x,role:adminRole", "a:b"),
        ("x", ",role:adminRole"),
        ("*", "y,*"),
        ("x,entryId:0_other,userId:boss", "z"),
        ("x", "y/0_other"),
        ("x\nrole:adminRole", "\x00"),
    ],
)
def test_display_names_cannot_inject_or_override_privileges(first: str, last: str) -> None:
    privileges = parsed_join(first, last)
    assert list(privileges) == ["actionslimit", "userId", "entryId", "firstName", "lastName", "role"]
    assert privileges["role"] == "viewerRole"
    assert privileges["entryId"] == "0_abcd1234"
    assert privileges["userId"] == "discord-42"
    assert "all" not in privileges


def test_sanitised_names_stay_readable() -> None:
    assert parsed_join("x,role:adminRole", "a:b")["firstName"] == "x role adminRole"
    assert parsed_join("Zoë  O'Brien", "李")["firstName"] == "Zoë O'Brien"
    assert parsed_join("Zoë", "李")["lastName"] == "李"


@given(st.text(max_size=60), st.text(max_size=60))
def test_no_display_name_can_add_a_privilege(first: str, last: str) -> None:
    privileges = parsed_join(first, last)
    assert list(privileges) == ["actionslimit", "userId", "entryId", "firstName", "lastName", "role"]
    assert privileges["role"] == "viewerRole"
    assert privileges["firstName"] == sanitize_value(first)


@pytest.mark.parametrize("user_id", ["", "a,b", "a:b", "a b", "*", "a/b", "x" * 200])
def test_ids_are_refused_rather_than_altered(user_id: str) -> None:
    with pytest.raises(ValueError):
        join_privileges(user_id=user_id, room_id="0_abcd1234", first_name="a", last_name="b", moderator=False)


@pytest.mark.parametrize("room_id", ["", "0_abc,role:adminRole", "*", "abc", "0_"])
def test_room_ids_must_be_entry_ids(room_id: str) -> None:
    with pytest.raises(ValueError):
        join_privileges(user_id="u", room_id=room_id, first_name="a", last_name="b", moderator=False)


@pytest.mark.parametrize("key", ["", "a:b", "a,b", "_u", "*", "9x"])
def test_privilege_keys_are_validated(key: str) -> None:
    with pytest.raises(ValueError):
        Privileges().with_(key, "v")


def test_several_values_join_with_slash_and_a_key_is_set_once() -> None:
    privileges = build_privileges([("sview", ["0_a", "0_b/0_c"]), ("role", "viewerRole"), ("role", "adminRole")])
    assert str(privileges) == "sview:0_a/0_b 0_c,role:adminRole"
