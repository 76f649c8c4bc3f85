"""Everything the endpoint sends to Discord validates against Discord's own OpenAPI document."""

from __future__ import annotations

from pathlib import Path

import pytest

from kaltura_discord.bot.help import kaltura_help
from kaltura_discord.discord import responses
from kaltura_discord.discord.interaction import Interaction
from tests.support.interactions import command
from tests.support.openapi import errors

pytestmark = [pytest.mark.unit, pytest.mark.contract]

SCHEMA_BY_TYPE = {
    1: "PongInteractionCallbackRequest",
    4: "CreateMessageInteractionCallbackRequest",
    5: "CreateMessageInteractionCallbackRequest",
    6: "UpdateMessageInteractionCallbackRequest",
    7: "UpdateMessageInteractionCallbackRequest",
    8: "ApplicationCommandAutocompleteCallbackRequest",
    9: "ModalInteractionCallbackRequest",
}

BUTTONS = [
    responses.action_row(
        responses.button("Join", custom_id="meeting-join:abc"),
        responses.button("End", custom_id="meeting-end:abc", style=responses.ButtonStyle.DANGER),
        responses.button("Docs", url="https://example.com/docs"),
    )
]
EMBED = {"title": "Weekly sync", "description": "A meeting", "fields": [{"name": "Host", "value": "x", "inline": True}]}

CASES = {
    "pong": responses.pong(),
    "message": responses.message("hello", embeds=[EMBED], components=BUTTONS),
    "ephemeral": responses.ephemeral("only you"),
    "deferred": responses.deferred_message(),
    "deferred-ephemeral": responses.deferred_message(ephemeral=True),
    "deferred-update": responses.deferred_update(),
    "update": responses.update_message("changed", components=BUTTONS),
    "autocomplete-string": responses.autocomplete([("Weekly sync (abc)", "abc")]),
    "autocomplete-int": responses.autocomplete([("One hour", 1)]),
    "autocomplete-empty": responses.autocomplete([]),
    "modal": responses.modal("feedback:1", "Tell us more", [responses.text_input("text", "Text", paragraph=True)]),
    "help": kaltura_help(Interaction(command("kaltura-help"))),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_callback_validates_against_spec(shared: Path, name: str) -> None:
    payload = CASES[name].to_dict()
    assert errors(shared, SCHEMA_BY_TYPE[payload["type"]], payload) == []


def test_followup_edit_body_validates_against_spec(shared: Path) -> None:
    body = responses.message_body("done", embeds=[EMBED], components=BUTTONS)
    assert errors(shared, "IncomingWebhookUpdateRequestPartial", body) == []


def test_validator_catches_a_broken_payload(shared: Path) -> None:
    broken = {"type": 4, "data": {"content": "x" * 2001, "allowed_mentions": {"parse": ["nobody"]}}}
    assert len(errors(shared, "CreateMessageInteractionCallbackRequest", broken)) >= 1
