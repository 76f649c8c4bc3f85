"""Invalid overrides are rejected with one human sentence per problem: the dotted key and what is allowed."""

from __future__ import annotations

from typing import Any

import pytest

from kaltura_discord.config import ConfigError, ConfigValidationError, effective_config, get_defaults
from tests.support.fakes import CHANNEL, ROLE_A, ROLE_B

pytestmark = pytest.mark.unit


def problems(overrides: dict[str, Any]) -> tuple[str, ...]:
    with pytest.raises(ConfigValidationError) as caught:
        effective_config(overrides)
    assert isinstance(caught.value, ConfigError)
    text = str(caught.value)
    for leak in ("pydantic", "Input should", "errors.pydantic.dev", "validation error", "type="):
        assert leak not in text
    return caught.value.problems


@pytest.mark.parametrize(
    ("overrides", "expected"),
    [
        ({"roles": {"default": "owner"}}, "roles.default must be one of viewer, moderator, admin (got 'owner')"),
        (
            {"roles": {"mapping": {ROLE_A: "boss"}}},
            f"roles.mapping.{ROLE_A} must be one of viewer, moderator, admin (got 'boss')",
        ),
        (
            {"kaltura": {"end_action": "explode"}},
            "kaltura.end_action must be one of none, update, delete (got 'explode')",
        ),
        (
            {"notifications": {"enabled": "yes"}},
            "notifications.enabled must be true or false (also on/off, yes/no) (got 'yes')",
        ),
        (
            {"kaltura": {"join_link_ttl_seconds": 59}},
            "kaltura.join_link_ttl_seconds must be a whole number from 60 to 86400 (got 59)",
        ),
        (
            {"kaltura": {"join_link_ttl_seconds": 86401}},
            "kaltura.join_link_ttl_seconds must be a whole number from 60 to 86400 (got 86401)",
        ),
        (
            {"kaltura": {"join_link_ttl_seconds": "900"}},
            "kaltura.join_link_ttl_seconds must be a whole number from 60 to 86400 (got '900')",
        ),
        (
            {"kaltura": {"join_link_ttl_seconds": True}},
            "kaltura.join_link_ttl_seconds must be a whole number from 60 to 86400 (got true)",
        ),
        (
            {"notifications": {"channel_id": 123456789012345678}},
            "notifications.channel_id must be a Discord id (17-20 digits), or none (got 123456789012345678)",
        ),
        (
            {"kaltura": {"template_room_ids": {"webinar": "0_abc'; drop"}}},
            "kaltura.template_room_ids.webinar must be a Kaltura entry id like 0_abc12345, or none",
        ),
        ({"share": "hello"}, "share must be a group of settings: share.template (got 'hello')"),
        (
            {"commands": {"kaltura-start": {"allowed_role_ids": [ROLE_A, "12"]}}},
            "commands.kaltura-start.allowed_role_ids: item 2 ('12') is not a Discord role id (17-20 digits)",
        ),
    ],
)
def test_wrong_values_name_the_key_and_what_is_allowed(overrides: dict[str, Any], expected: str) -> None:
    assert any(problem.startswith(expected) for problem in problems(overrides)), problems(overrides)


def test_unknown_key_is_rejected_with_a_suggestion_and_the_real_keys() -> None:
    (problem,) = problems({"roles": {"defualt": "admin"}})
    assert (
        problem
        == "roles.defualt is not a setting (did you mean roles.default?); roles has: roles.mapping, roles.default"
    )


def test_unknown_section_lists_the_sections() -> None:
    (problem,) = problems({"sahre": {"template": "x"}})
    assert "sahre is not a setting (did you mean share?)" in problem
    assert "notifications, commands, roles, kaltura, meetings, share" in problem


def test_mapping_keys_must_be_role_ids() -> None:
    (problem,) = problems({"roles": {"mapping": {"moderators": "moderator"}}})
    assert (
        problem
        == "roles.mapping.moderators is not a setting: keys under roles.mapping are Discord role ids (17-20 digits)"
    )


def test_kaltura_config_cannot_be_disabled() -> None:
    (problem,) = problems({"commands": {"kaltura-config": {"enabled": False}}})
    assert "kaltura-config cannot be disabled" in problem


def test_every_problem_is_reported_at_once() -> None:
    found = problems({"roles": {"default": "x"}, "kaltura": {"end_action": "y"}, "bogus": 1})
    assert len(found) == 3
    assert [p.split(" ")[0] for p in found] == ["roles.default", "kaltura.end_action", "bogus"]


def test_enabled_notifications_need_a_channel_for_every_enabled_type() -> None:
    (problem,) = problems({"notifications": {"enabled": True, "channels": {"meeting_started": CHANNEL}}})
    assert "meeting_ended, meeting_shared, meeting_reminder have no channel" in problem
    config = effective_config(
        {
            "notifications": {
                "enabled": True,
                "channels": {"meeting_started": CHANNEL},
                "meeting_ended": False,
                "meeting_shared": False,
                "meeting_reminder": False,
            }
        }
    )
    assert config.notifications.channel_for("meeting_started") == CHANNEL


@pytest.mark.parametrize(
    "host",
    [
        "https://1234.kaf.kaltura.com",
        "1234.kaf.kaltura.com/hosted",
        "1234.kaf.kaltura.com:443",
        "evil.com@1234.kaf.kaltura.com",
        "1234.KAF.kaltura.com",
        "1234.kaf.kaltura.com?x=1",
        "1234.kaf.kaltura.com#x",
        "127.0.0.1",
        "1234.kaf.kaltura.com.evil.com",
        "evilkaltura.com",
        "1234.kaf.kaltura.com ",
        " javascript:alert(1)",
    ],
)
def test_kaf_base_url_rejects_schemes_paths_ports_and_foreign_domains(host: str) -> None:
    (problem,) = problems({"kaltura": {"kaf_base_url": host}})
    assert problem.startswith("kaltura.kaf_base_url must be")


def test_kaf_base_url_accepts_hosts_under_allowed_domains(monkeypatch: pytest.MonkeyPatch) -> None:
    config = effective_config({"kaltura": {"kaf_base_url": "1234567.kaf.kaltura.com"}})
    assert config.kaltura.kaf_host("999") == "1234567.kaf.kaltura.com"
    assert get_defaults().config.kaltura.kaf_host("999") == "999.kaf.kaltura.com"
    monkeypatch.setenv("KAF_ALLOWED_HOST_SUFFIXES", "example.edu, kaltura.com")
    assert effective_config({"kaltura": {"kaf_base_url": "kaf.example.edu"}}).kaltura.kaf_base_url == "kaf.example.edu"


def test_kaltura_role_is_the_highest_mapped_role_else_the_default() -> None:
    config = effective_config({"roles": {"mapping": {ROLE_A: "moderator", ROLE_B: "admin"}, "default": "viewer"}})
    assert config.kaltura_role_for([]) == "viewer"
    assert config.kaltura_role_for(["999999999999999999"]) == "viewer"
    assert config.kaltura_role_for([ROLE_A]) == "moderator"
    assert config.kaltura_role_for([ROLE_A, ROLE_B]) == "admin"
    assert config.kaltura_role_for([ROLE_B, ROLE_A]) == "admin"
    demoting = effective_config({"roles": {"mapping": {ROLE_A: "viewer"}, "default": "moderator"}})
    assert demoting.kaltura_role_for([ROLE_A]) == "viewer"  # a mapped role wins over the default
    assert demoting.kaltura_role_for([ROLE_B]) == "moderator"


def test_command_policy_enabled_and_role_restriction() -> None:
    config = effective_config(
        {"commands": {"kaltura-end": {"allowed_role_ids": [ROLE_A]}, "kaltura-token": {"enabled": False}}}
    )
    assert config.commands.policy("kaltura-start").allows([])
    assert not config.commands.policy("kaltura-end").allows([ROLE_B])
    assert config.commands.policy("kaltura-end").allows([ROLE_B, ROLE_A])
    assert not config.commands.policy("kaltura-token").allows([ROLE_A])
    assert config.commands.policy("kaltura-config").allows([])
    with pytest.raises(KeyError):
        config.commands.policy("kaltura-unknown")


def test_effective_config_is_frozen() -> None:
    config = get_defaults().config
    with pytest.raises(ValueError, match="frozen"):
        config.roles.default = "admin"
    assert isinstance(config.commands.policy("kaltura-start").allowed_role_ids, tuple)
