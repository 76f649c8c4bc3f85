from __future__ import annotations

from typing import Any

import pytest

from kaltura_discord.config import ConfigValidationError, effective_config, get_defaults, parse_value
from kaltura_discord.config.keys import settable_keys, spec_for, suggest_keys, suggest_values
from kaltura_discord.config.merge import flatten, set_path
from kaltura_discord.config.model import CONFIGURABLE_COMMANDS
from tests.support.fakes import ROLE_A, ROLE_B

pytestmark = pytest.mark.unit


def test_every_default_leaf_is_a_listed_key_and_every_listed_key_exists() -> None:
    listed = {spec.key for spec in settable_keys()}
    leaves = set(flatten(get_defaults().data))
    leaves.discard("roles.mapping")  # an empty group in the defaults; its entries are roles.mapping.<role_id>
    assert leaves | {"roles.mapping.<role_id>"} == listed
    for command in CONFIGURABLE_COMMANDS:
        assert f"commands.{command}.enabled" in listed
    assert not any("kaltura-config" in key for key in listed)


def test_every_listed_key_can_be_set_to_its_default_text() -> None:
    """The parser and the model agree: the default, typed back in, parses and validates."""
    defaults = get_defaults().data
    for spec in settable_keys():
        if "<role_id>" in spec.key:
            continue
        default: Any = flatten(defaults)[spec.key]
        text = (
            ",".join(default)
            if isinstance(default, list)
            else "none"
            if default is None
            else str(default).lower()
            if isinstance(default, bool)
            else str(default)
        )
        value = parse_value(spec.key, text)
        assert value == default, spec.key
        effective_config(set_path({}, spec.key, value))


@pytest.mark.parametrize(
    ("key", "text", "expected"),
    [
        ("notifications.enabled", "true", True),
        ("notifications.enabled", " On ", True),
        ("notifications.enabled", "YES", True),
        ("notifications.enabled", "off", False),
        ("notifications.enabled", "no", False),
        ("kaltura.join_link_ttl_seconds", "3600", 3600),
        ("kaltura.join_link_ttl_seconds", "86_400", 86400),
        ("kaltura.end_action", "Delete", "delete"),
        (f"roles.mapping.{ROLE_A}", "moderator", "moderator"),
        ("roles.default", "ADMIN", "admin"),
        ("notifications.channel_id", "400000000000000001", "400000000000000001"),
        ("notifications.channel_id", "<#400000000000000001>", "400000000000000001"),
        ("notifications.channel_id", "none", None),
        ("commands.kaltura-end.allowed_role_ids", f"{ROLE_A}, <@&{ROLE_B}>,{ROLE_A}", [ROLE_A, ROLE_B]),
        ("commands.kaltura-end.allowed_role_ids", f"{ROLE_A} {ROLE_B}", [ROLE_A, ROLE_B]),
        ("commands.kaltura-end.allowed_role_ids", "none", []),
        ("kaltura.template_room_ids.meeting", "0_abc12345", "0_abc12345"),
        ("kaltura.template_room_ids.meeting", "none", ""),
        ("kaltura.kaf_base_url", "1234567.KAF.Kaltura.com", "1234567.kaf.kaltura.com"),
        ("share.template", "**{title}**\\nJoin: {join_hint}", "**{title}**\nJoin: {join_hint}"),
        ("  Roles.Default ", "viewer", "viewer"),
    ],
)
def test_parse_value_turns_typed_text_into_the_stored_type(key: str, text: str, expected: Any) -> None:
    value = parse_value(key, text)
    assert value == expected
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("key", "text", "message"),
    [
        ("notifications.enabled", "maybe", "notifications.enabled must be true or false"),
        (
            "kaltura.join_link_ttl_seconds",
            "15m",
            "kaltura.join_link_ttl_seconds must be a whole number from 60 to 86400",
        ),
        ("kaltura.join_link_ttl_seconds", "10", "(got 10)"),
        ("kaltura.end_action", "archive", "kaltura.end_action must be one of none, update, delete (got 'archive')"),
        ("roles.default", "owner", "roles.default must be one of viewer, moderator, admin"),
        (
            "roles.mapping.42",
            "admin",
            "roles.mapping.42 is not a setting: keys under roles.mapping are Discord role ids",
        ),
        ("notifications.channel_id", "#general", "notifications.channel_id must be a Discord id (17-20 digits)"),
        ("commands.kaltura-end.allowed_role_ids", f"{ROLE_A},@Staff", "'@Staff' is not a role id"),
        ("kaltura.kaf_base_url", "https://1234.kaf.kaltura.com", "no https://"),
        ("kaltura.kaf_base_url", "kaf.evil.example", "must be a host under kaltura.com"),
        ("share.template", "{title.__class__}", "share.template contains {title.__class__}, which is not allowed"),
        ("share.template", "{duration}", "share.template uses unknown placeholder {duration}"),
        ("roles", "admin", "roles is a group of settings; set one of: roles.mapping, roles.default"),
        ("roles.mapping", "admin", "roles.mapping is a group of settings"),
        ("kaltura.join_link_ttl", "60", "did you mean kaltura.join_link_ttl_seconds?"),
        ("commands.kaltura-config.enabled", "false", "kaltura-config cannot be disabled"),
        ("roles.default.extra", "x", "roles.default.extra is not a setting: roles.default is a single value"),
    ],
)
def test_parse_value_errors_are_clear(key: str, text: str, message: str) -> None:
    with pytest.raises(ConfigValidationError) as caught:
        parse_value(key, text)
    assert message in str(caught.value)


def test_role_id_lists_are_capped() -> None:
    ids = ",".join(str(300000000000000000 + n) for n in range(101))
    with pytest.raises(ConfigValidationError, match="at most 100"):
        parse_value("commands.kaltura-start.allowed_role_ids", ids)


def test_key_autocomplete_prefers_prefix_matches_and_caps_at_25() -> None:
    found = [spec.key for spec in suggest_keys("roles")]
    assert found == ["roles.mapping.<role_id>", "roles.default", "notifications.allowed_mentions.roles"]
    assert len(suggest_keys("")) == 25
    contains = [spec.key for spec in suggest_keys("ttl")]
    assert contains == ["kaltura.join_link_ttl_seconds"]


def test_value_autocomplete_offers_enumerations() -> None:
    assert suggest_values("kaltura.end_action") == ["none", "update", "delete"]
    assert suggest_values(f"roles.mapping.{ROLE_A}", "mo") == ["moderator"]
    assert suggest_values("notifications.enabled") == ["true", "false"]
    assert suggest_values("notifications.channel_id") == ["none"]
    assert suggest_values("share.template") == []
    assert suggest_values("nope") == []


def test_specs_carry_what_autocomplete_and_help_need() -> None:
    spec = spec_for("kaltura.join_link_ttl_seconds")
    assert spec is not None and (spec.minimum, spec.maximum, spec.kind) == (60, 86400, "integer")
    template = spec_for("notifications.templates.meeting_ended")
    assert template is not None and template.placeholders == (
        "title",
        "type",
        "host",
        "id",
        "ended_by",
        "duration",
        "attendees",
    )
    entry = spec_for(f"roles.mapping.{ROLE_A}")
    assert (
        entry is not None
        and entry.key == "roles.mapping.<role_id>"
        and entry.choices == ("viewer", "moderator", "admin")
    )
    assert spec_for("roles.mapping.not-an-id") is None
    assert all(spec.description for spec in settable_keys())
