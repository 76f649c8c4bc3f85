from __future__ import annotations

import gettext
import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from kaltura_discord import i18n
from kaltura_discord.config import ConfigValidationError, effective_config, get_defaults
from kaltura_discord.config.model import AllowedMentions
from kaltura_discord.config.templates import (
    MAX_MESSAGE_LENGTH,
    PLACEHOLDERS,
    SAMPLE_VALUES,
    TEMPLATE_KINDS,
    TemplateError,
    escape_value,
    render_for,
    render_template,
    validate_template,
)
from tests.support.fakes import CHANNEL, ROLE_A, ROLE_B

pytestmark = pytest.mark.unit

# What Discord would turn into a ping or a live mention.
PINGS = re.compile(r"@(?:everyone|here)|<@[!&]?[0-9]+>|<#[0-9]+>")
ALL_VALUES = {name: f"<{name}>" for names in PLACEHOLDERS.values() for name in names}


def values_for(kind: str, **overrides: str) -> dict[str, str]:
    return {name: overrides.get(name, SAMPLE_VALUES[name]) for name in PLACEHOLDERS[kind]}  # type: ignore[index]


def everyone_and(*roles: str) -> AllowedMentions:
    return AllowedMentions.model_validate_json(f'{{"everyone": true, "roles": {list(roles)!r}}}'.replace("'", '"'))


@pytest.mark.parametrize(
    "template",
    [
        "{0.__class__}",
        "{title.__class__}",
        "{title.__class__.__mro__}",
        "{title!r}",
        "{title!s}",
        "{title:>99999}",
        "{title[0]}",
        "{0}",
        "{}",
        "{ title }",
        "{__import__}",
    ],
)
def test_anything_but_a_plain_listed_name_is_rejected_when_saved(template: str) -> None:
    with pytest.raises(TemplateError, match=r"not allowed|unknown placeholder"):
        validate_template(f"Hello {template}", "meeting_started")


def test_unknown_placeholder_is_rejected_with_the_allowed_list() -> None:
    with pytest.raises(TemplateError) as caught:
        validate_template("{title} by {shared_by}", "meeting_started")
    assert str(caught.value) == (
        "uses unknown placeholder {shared_by}; allowed here: {title}, {type}, {host}, {id}, {join_hint}"
    )
    validate_template("{title} by {shared_by}", "meeting_shared")  # allowed for that kind


@pytest.mark.parametrize("template", ["{title", "oops { here", "{ti{tle}", ""])
def test_unclosed_braces_and_empty_templates_are_rejected(template: str) -> None:
    with pytest.raises(TemplateError):
        validate_template(template, "share")


def test_over_long_templates_are_rejected_when_saved_through_the_config() -> None:
    validate_template("x" * MAX_MESSAGE_LENGTH, "share")
    with pytest.raises(TemplateError, match="2001 characters"):
        validate_template("x" * (MAX_MESSAGE_LENGTH + 1), "share")
    with pytest.raises(ConfigValidationError, match=re.escape("share.template is 2001 characters long; at most 2000")):
        effective_config({"share": {"template": "x" * 2001}})


def test_invalid_templates_are_rejected_by_the_config_naming_the_key() -> None:
    with pytest.raises(ConfigValidationError) as caught:
        effective_config({"notifications": {"templates": {"meeting_ended": "{title:>99999}"}}})
    assert str(caught.value).startswith("notifications.templates.meeting_ended contains {title:>99999}")


def test_doubled_braces_are_literal_and_a_lone_closing_brace_is_text() -> None:
    rendered = render_template("{{title}} is {title} }} }", "share", values_for("share", title="T"))
    assert rendered.content == "{title} is T } }"


def test_rendering_never_interprets_values() -> None:
    rendered = render_template("{title}", "share", values_for("share", title="{0.__class__} {host}"))
    assert rendered.content == r"{0.\_\_class\_\_} {host}"


def test_values_are_escaped_for_markdown_and_kept_on_one_line() -> None:
    assert escape_value("*b* _i_ ~s~ `c` |sp| > q # h - l [x](y)") == (
        r"\*b\* \_i\_ \~s\~ \`c\` \|sp\| \> q \# h \- l \[x\]\(y\)"
    )
    assert escape_value("a\\b") == "a\\\\b"
    assert escape_value("one\ntwo\r\nthree") == "one two three"


def test_template_markdown_is_kept_while_values_are_escaped() -> None:
    rendered = render_template("**{title}**", "share", values_for("share", title="*x*"))
    assert rendered.content == r"**\*x\***"


def test_default_policy_pings_nobody_even_for_literal_mentions() -> None:
    rendered = render_template(f"@everyone <@&{ROLE_A}> {{title}}", "share", values_for("share"))
    assert rendered.allowed_mentions == {"parse": []}
    config = get_defaults().config
    assert render_for(config, "share", values_for("share")).allowed_mentions == {"parse": []}


def test_allowed_literal_mentions_ping_but_values_never_do() -> None:
    template = f"@here {{title}} <@&{ROLE_A}> <@&{ROLE_B}> @{{host}} <@&{{id}}>"
    rendered = render_template(
        template,
        "share",
        values_for("share", title=f"@everyone <@&{ROLE_B}>", host="everyone", id=ROLE_B),
        mentions=everyone_and(ROLE_A),
    )
    assert rendered.allowed_mentions == {"parse": ["everyone"], "roles": [ROLE_A]}
    # Only the template's own text forms mentions.
    assert PINGS.findall(rendered.content) == ["@here", f"<@&{ROLE_A}>", f"<@&{ROLE_B}>"]


def test_everyone_is_not_parsed_when_the_template_does_not_write_it() -> None:
    rendered = render_template("{title}", "share", values_for("share", title="@everyone"), mentions=everyone_and())
    assert rendered.allowed_mentions == {"parse": []}
    assert PINGS.search(rendered.content) is None


def test_render_for_uses_the_guilds_template_and_mention_policy() -> None:
    config = effective_config(
        {
            "notifications": {
                "enabled": True,
                "channel_id": CHANNEL,
                "templates": {"meeting_started": f"<@&{ROLE_A}> {{title}} started"},
                "allowed_mentions": {"roles": [ROLE_A]},
            }
        }
    )
    rendered = render_for(config, "meeting_started", values_for("meeting_started", title="Standup"))
    assert rendered.as_payload() == {
        "content": f"<@&{ROLE_A}> Standup started",
        "allowed_mentions": {"parse": [], "roles": [ROLE_A]},
    }


def test_result_is_capped_at_2000_characters() -> None:
    rendered = render_template("{title}!", "share", values_for("share", title="a" * 5000))
    assert len(rendered.content) == MAX_MESSAGE_LENGTH
    assert rendered.content.endswith("…")


def test_cap_never_leaves_a_dangling_escape() -> None:
    title = "a" * 1997 + "*" * 10  # escaping doubles the stars; the cut lands inside an escape pair
    rendered = render_template("{title}", "share", values_for("share", title=title))
    assert len(rendered.content) <= MAX_MESSAGE_LENGTH
    assert not rendered.content[:-1].endswith("\\") or rendered.content[:-1].endswith("\\\\")


def test_a_missing_value_is_a_caller_bug() -> None:
    with pytest.raises(KeyError):
        render_template("{title} {host}", "share", {"title": "x"})


def test_links_the_bot_builds_are_not_escaped_but_anything_else_is() -> None:
    from kaltura_discord.config.templates import render_template

    template = "{title}: {recording_url}"
    values = {**values_for("recording_ready"), "title": "a_b"}
    good = render_template(template, "recording_ready", {**values, "recording_url": "https://k.example/media/t/0_ab_c"})
    assert good.content == "a\\_b: https://k.example/media/t/0_ab_c"
    odd = render_template(template, "recording_ready", {**values, "recording_url": "javascript:@everyone_x"})
    assert "https" not in odd.content and "\\_x" in odd.content and odd.allowed_mentions == {"parse": []}


def test_default_templates_are_valid_and_render() -> None:
    config = get_defaults().config
    for kind in TEMPLATE_KINDS:
        rendered = render_for(config, kind, values_for(kind))
        assert SAMPLE_VALUES["host"] in rendered.content or kind in ("meeting_ended", "recording_ready")
        assert "{" not in rendered.content


@pytest.mark.parametrize("locale", i18n.SHIPPED)
def test_a_default_template_is_in_the_channels_language_and_keeps_the_rules(locale: str) -> None:
    config, t = get_defaults().config, i18n.translator(locale)
    for kind in TEMPLATE_KINDS:
        english = render_for(config, kind, values_for(kind)).content
        translated = render_for(config, kind, values_for(kind), t)
        assert translated.content != english, (locale, kind)
        assert "{" not in translated.content and SAMPLE_VALUES["title"] in translated.content
        assert translated.allowed_mentions == {"parse": []}
        validate_template(
            t.lookup(getattr(config.notifications.templates, kind, config.share.template), i18n.TEMPLATE), kind
        )


def test_a_template_an_admin_wrote_stays_as_written_in_any_language() -> None:
    config = effective_config({"notifications": {"templates": {"meeting_started": "{title} läuft jetzt"}}})
    rendered = render_for(
        config, "meeting_started", values_for("meeting_started", title="Standup"), i18n.translator("fr")
    )
    assert rendered.content == "Standup läuft jetzt"


def test_a_translation_that_breaks_the_template_rules_falls_back_to_the_english_default(
    caplog: pytest.LogCaptureFixture,
) -> None:
    class Broken(gettext.NullTranslations):
        def pgettext(self, context: str, message: str) -> str:
            return "**{title}** {everyone_but_not_a_placeholder}"

    config = get_defaults().config
    rendered = render_for(config, "share", values_for("share", title="Standup"), i18n.Translator("de", Broken()))
    assert rendered.content == render_for(config, "share", values_for("share", title="Standup")).content
    assert "broken translated template" in caplog.text


unsafe_text = st.text(alphabet=st.sampled_from(list("@<>&#!:*_~`|\\[]()\n everyonhr0123456789")), max_size=60)


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(title=unsafe_text, host=unsafe_text, id_=unsafe_text, hint=unsafe_text)
def test_no_value_can_ever_form_a_mention(title: str, host: str, id_: str, hint: str) -> None:
    template = "@{title}<@&{id}><#{host}>{type}<@{join_hint}> {title}{host}"
    values = {"title": title, "type": "", "host": host, "id": id_, "join_hint": hint, "shared_by": ""}
    rendered = render_template(template, "share", values, mentions=everyone_and(ROLE_A))
    assert PINGS.search(rendered.content) is None
    assert rendered.allowed_mentions == {"parse": []}
    assert "\n" not in rendered.content


@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture], deadline=None)
@given(template=st.text(alphabet=st.sampled_from(list("{}titleshd!r:0._ax")), max_size=40))
def test_any_text_either_validates_and_renders_or_is_rejected_cleanly(template: str) -> None:
    try:
        validate_template(template, "share")
    except TemplateError:
        return

    def reference(match: re.Match[str]) -> str:
        token = match.group(0)
        return token[0] if token in {"{{", "}}"} else escape_value(ALL_VALUES[match.group(1)])

    rendered = render_template(template, "share", ALL_VALUES)
    assert rendered.content == re.sub(r"\{\{|\}\}|\{([a-z_]+)\}", reference, template)
