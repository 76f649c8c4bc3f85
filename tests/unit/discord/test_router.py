from __future__ import annotations

import pytest

from kaltura_discord.discord import responses
from kaltura_discord.discord.interaction import Interaction
from kaltura_discord.discord.router import Router, UnknownRoute
from tests.support.interactions import interaction

pytestmark = pytest.mark.unit


def named(name: str):
    def handler(_: Interaction) -> responses.InteractionResponse:
        return responses.ephemeral(name)

    return handler


@pytest.fixture
def router() -> Router:
    router = Router()
    router.command("cfg", named("view"), "view")
    router.command("cfg", named("set"), "set")
    router.command("grp", named("group-leaf"), "group", "leaf")
    router.command("flat", named("flat"))
    router.component("meeting-join", named("join-button"))
    router.autocomplete("cfg", "key", named("key-complete"))
    router.modal("feedback", named("modal"))
    return router


def route(router: Router, payload: dict) -> str:
    return router.find(Interaction(payload))(Interaction(payload)).data["content"]  # type: ignore[index]


def test_commands_route_by_name_and_subcommand(router: Router) -> None:
    sub = {"name": "set", "type": 1, "options": [{"name": "key", "type": 3, "value": "a"}]}
    assert route(router, interaction(2, {"name": "cfg", "options": [sub]})) == "set"
    group = {"name": "group", "type": 2, "options": [{"name": "leaf", "type": 1, "options": []}]}
    assert route(router, interaction(2, {"name": "grp", "options": [group]})) == "group-leaf"
    assert (
        route(router, interaction(2, {"name": "flat", "options": [{"name": "x", "type": 3, "value": "1"}]})) == "flat"
    )


def test_subcommand_options_are_the_leaf_options(router: Router) -> None:
    sub = {"name": "set", "type": 1, "options": [{"name": "key", "type": 3, "value": "a", "focused": True}]}
    parsed = Interaction(interaction(4, {"name": "cfg", "options": [sub]}))
    assert parsed.subcommand == ("set",)
    assert parsed.options == {"key": "a"}
    assert parsed.focused_option == "key"
    assert route(router, parsed.raw) == "key-complete"


def test_components_and_modals_route_by_custom_id_prefix(router: Router) -> None:
    assert route(router, interaction(3, {"custom_id": "meeting-join:abc", "component_type": 2})) == "join-button"
    assert route(router, interaction(5, {"custom_id": "feedback:1", "components": []})) == "modal"


@pytest.mark.parametrize(
    "payload",
    [
        interaction(2, {"name": "cfg", "options": []}),
        interaction(2, {"name": "missing"}),
        interaction(3, {"custom_id": "meeting-joinx:abc"}),
        interaction(4, {"name": "cfg", "options": [{"name": "other", "type": 3, "value": "", "focused": True}]}),
    ],
)
def test_unmatched_interactions_raise_unknown_route(router: Router, payload: dict) -> None:
    with pytest.raises(UnknownRoute):
        router.find(Interaction(payload))


def test_string_handlers_are_imported_lazily_once() -> None:
    router = Router()
    router.command("kaltura-help", "kaltura_discord.bot.help:kaltura_help")
    payload = interaction(2, {"name": "kaltura-help"})
    first = router.find(Interaction(payload))
    assert first is router.find(Interaction(payload))
    assert first.__name__ == "kaltura_help"


def test_member_permissions_honour_administrator() -> None:
    admin = Interaction(interaction(permissions=1 << 3))
    manager = Interaction(interaction(permissions=1 << 5))
    nobody = Interaction(interaction(permissions=1 << 10))
    assert admin.has_permission(1 << 5) and manager.has_permission(1 << 5)
    assert not nobody.has_permission(1 << 5)


def test_modal_submit_values_by_custom_id() -> None:
    rows = [
        {"type": 1, "components": [{"type": 4, "custom_id": "title", "value": "Retro"}]},
        {"type": 1, "components": [{"type": 4, "custom_id": "notes", "value": None}]},
    ]
    submitted = Interaction(interaction(5, {"custom_id": "feedback:1", "components": rows}))
    assert submitted.modal_values() == {"title": "Retro", "notes": ""}
