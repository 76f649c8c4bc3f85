from __future__ import annotations

import pytest

from kaltura_discord.discord import responses
from kaltura_discord.text import escape_markdown

pytestmark = pytest.mark.unit


def test_every_message_defaults_to_no_mentions() -> None:
    assert responses.message("hi").data["allowed_mentions"] == {"parse": []}  # type: ignore[index]
    assert responses.update_message("hi").data["allowed_mentions"] == {"parse": []}  # type: ignore[index]
    assert responses.message_body("x")["allowed_mentions"] == {"parse": []}


def test_handlers_may_ask_for_more_mentions() -> None:
    policy = {"parse": ["everyone"]}
    assert responses.message("@everyone", allowed_mentions=policy).data["allowed_mentions"] == policy  # type: ignore[index]


def test_ephemeral_sets_flag_64() -> None:
    assert responses.ephemeral("x").to_dict() == {
        "type": 4,
        "data": {"allowed_mentions": {"parse": []}, "content": "x", "flags": 64},
    }


@pytest.mark.parametrize(
    ("response", "expected"),
    [
        (responses.pong(), {"type": 1}),
        (responses.deferred_message(), {"type": 5}),
        (responses.deferred_message(ephemeral=True), {"type": 5, "data": {"flags": 64}}),
        (responses.deferred_update(), {"type": 6}),
    ],
)
def test_callback_shapes(response: responses.InteractionResponse, expected: dict) -> None:
    assert response.to_dict() == expected


def test_content_is_capped_at_2000_characters() -> None:
    content = responses.message("x" * 5000).data["content"]  # type: ignore[index]
    assert len(content) == 2000 and content.endswith("\u2026")


def test_autocomplete_keeps_at_most_25_choices_and_caps_names() -> None:
    data = responses.autocomplete(("n" * 150, str(i)) for i in range(40)).data
    assert data is not None
    assert len(data["choices"]) == 25
    assert all(len(c["name"]) == 100 for c in data["choices"])


def test_button_needs_exactly_one_target() -> None:
    with pytest.raises(ValueError, match="either"):
        responses.button("x")
    with pytest.raises(ValueError, match="either"):
        responses.button("x", custom_id="a", url="https://x")
    assert responses.button("Open", url="https://example.com")["style"] == responses.ButtonStyle.LINK


@pytest.mark.parametrize(
    ("raw", "must_not_contain"),
    [("@everyone hi", "@everyone"), ("<@&123> ping", "<@&"), ("**bold** `code`", "**"), ("@here", "@here")],
)
def test_escape_markdown_neutralises_markup_and_mentions(raw: str, must_not_contain: str) -> None:
    assert must_not_contain not in escape_markdown(raw)


def test_escape_markdown_neutralises_masked_links() -> None:
    escaped = escape_markdown("[Re-join here](https://phish.example)")
    assert "[Re-join here](" not in escaped
