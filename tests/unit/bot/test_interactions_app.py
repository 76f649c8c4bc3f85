"""The interactions handler end to end in-process: Lambda event in, Lambda response out."""

from __future__ import annotations

import io
import json
import logging
from typing import Any

import pytest

from kaltura_discord.bot.dispatch import handle_interaction
from kaltura_discord.bot.interactions import InteractionsApp
from kaltura_discord.commands.definitions import COMMANDS
from kaltura_discord.discord import responses
from kaltura_discord.discord.interaction import Interaction
from kaltura_discord.discord.router import Router, UserFacingError
from kaltura_discord.logs import JsonFormatter
from tests.support.interactions import PUBLIC_KEY_HEX, command, interaction, signed_event, v1_event, v2_event

pytestmark = pytest.mark.unit


@pytest.fixture
def app() -> InteractionsApp:
    return InteractionsApp(PUBLIC_KEY_HEX)


def body(result: dict[str, Any]) -> Any:
    return json.loads(result["body"])


def test_ping_answers_pong_as_json(app: InteractionsApp) -> None:
    result = app.handle(signed_event({"type": 1, "id": "1", "application_id": "1", "token": "t"}))
    assert result["statusCode"] == 200
    assert result["headers"]["content-type"] == "application/json"
    assert body(result) == {"type": 1}


@pytest.mark.parametrize("base64_body", [False, True])
def test_ping_through_rest_api_v1_event(app: InteractionsApp, base64_body: bool) -> None:
    result = app.handle(v1_event(b'{"type":1}', base64_body=base64_body))
    assert (result["statusCode"], body(result)) == (200, {"type": 1})


def test_bad_signature_is_401_with_small_json_body(app: InteractionsApp) -> None:
    event = signed_event({"type": 1})
    event["body"] = event["body"].replace("1", "2")
    result = app.handle(event)
    assert result["statusCode"] == 401
    assert body(result) == {"error": "invalid request signature"}


def test_unsigned_request_is_401_before_the_body_is_parsed(app: InteractionsApp) -> None:
    result = app.handle(v2_event(b"this is not json", {}))
    assert result["statusCode"] == 401


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(b"{not json", "body is not valid JSON"), (b"[1, 2]", "body is not a JSON object"), (b"\xff\xfe", None)],
)
def test_verified_but_malformed_body_is_400(app: InteractionsApp, raw: bytes, reason: str | None) -> None:
    event = v2_event(raw, base64_body=True)
    result = app.handle(event)
    assert result["statusCode"] == 400
    if reason:
        assert body(result)["error"] == reason


@pytest.mark.parametrize("kind", [0, 6, 99, "2", None])
def test_unknown_interaction_type_is_400(app: InteractionsApp, kind: Any) -> None:
    assert app.handle(signed_event({"type": kind}))["statusCode"] == 400


def test_help_lists_every_command_with_its_version(app: InteractionsApp) -> None:
    result = body(app.handle(signed_event(command("kaltura-help"))))
    assert result["type"] == 4
    assert result["data"]["flags"] == 64
    assert result["data"]["allowed_mentions"] == {"parse": []}
    description = result["data"]["embeds"][0]["description"]
    for definition in COMMANDS:
        assert f"/{definition.name}** `v{definition.version}`" in description


def test_unknown_command_gets_an_ephemeral_explanation(app: InteractionsApp) -> None:
    result = body(app.handle(signed_event(command("no-such-command"))))
    assert result["type"] == 4
    assert result["data"]["flags"] == 64
    assert "/kaltura-help" in result["data"]["content"]


def _router_with(handler: Any) -> Router:
    router = Router()
    router.command("boom", handler)
    router.autocomplete("boom", "q", handler)
    return router


def test_handler_exception_becomes_ephemeral_message_without_trace(caplog: pytest.LogCaptureFixture) -> None:
    def explode(_: Interaction) -> responses.InteractionResponse:
        raise RuntimeError("secret internals at line 42")

    payload = command("boom")
    result = handle_interaction(Interaction(payload), _router_with(explode)).to_dict()
    assert result["type"] == 4 and result["data"]["flags"] == 64
    content = result["data"]["content"]
    assert "secret internals" not in content and "Traceback" not in content
    assert payload["id"] in content


def test_user_facing_error_is_shown_as_written() -> None:
    def refuse(_: Interaction) -> responses.InteractionResponse:
        raise UserFacingError("You can't do that here.")

    result = handle_interaction(Interaction(command("boom")), _router_with(refuse)).to_dict()
    assert result["data"] == {"allowed_mentions": {"parse": []}, "content": "You can't do that here.", "flags": 64}


def test_autocomplete_failure_answers_empty_choices() -> None:
    def explode(_: Interaction) -> responses.InteractionResponse:
        raise RuntimeError("x")

    payload = interaction(4, {"name": "boom", "options": [{"name": "q", "type": 3, "value": "a", "focused": True}]})
    assert handle_interaction(Interaction(payload), _router_with(explode)).to_dict() == {
        "type": 8,
        "data": {"choices": []},
    }


def test_logs_carry_interaction_id_but_never_the_token() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("kaltura_discord")
    logger.addHandler(handler)
    try:
        payload = command("kaltura-help", token="very-secret-interaction-token")
        InteractionsApp(PUBLIC_KEY_HEX).handle(signed_event(payload))
    finally:
        logger.removeHandler(handler)
    logged = stream.getvalue()
    assert "very-secret-interaction-token" not in logged
    entry = json.loads(logged.strip().splitlines()[-1])
    assert (entry["interaction_id"], entry["interaction_type"]) == (payload["id"], 2)


def test_secret_looking_fields_are_redacted() -> None:
    record = logging.LogRecord("kaltura_discord.x", logging.INFO, "", 0, "m", None, None)
    record.bot_token = "abc"
    record.admin_secret = "def"
    record.interaction_id = "123"
    entry = json.loads(JsonFormatter().format(record))
    assert entry["bot_token"] == entry["admin_secret"] == "[redacted]"
    assert entry["interaction_id"] == "123"


def test_a_signed_body_nested_deeper_than_json_can_parse_is_400(app: InteractionsApp) -> None:
    raw = b'{"type": 2, "data": ' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    result = app.handle(v2_event(raw))
    assert result["statusCode"] == 400


@pytest.mark.parametrize("permissions", ["-1", "-8", "1e3", "0x20", "", None, True, "   32", "\uff13\uff12"])
def test_a_permission_bitfield_that_is_not_a_decimal_count_is_no_permission(permissions: object) -> None:
    payload = command("kaltura-token")
    payload["member"]["permissions"] = permissions
    assert Interaction(payload).permissions == 0
    answer = handle_interaction(Interaction(payload)).to_dict()
    assert "Manage Server" in answer["data"]["content"]


def test_join_links_point_at_the_address_api_gateway_named(
    app: InteractionsApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str | None] = []

    def dispatch(_payload: dict[str, Any], base_url: str | None) -> str:
        seen.append(base_url)
        return '{"type":4}'

    event = signed_event(command("kaltura-help"))
    event["requestContext"]["domainName"] = "abc123.execute-api.eu-west-1.amazonaws.com"
    event["headers"]["host"] = "evil.example"
    InteractionsApp(PUBLIC_KEY_HEX, dispatch).handle(event)
    InteractionsApp(PUBLIC_KEY_HEX, dispatch, public_base_url="https://bot.example.org").handle(event)
    del event["requestContext"]["domainName"]
    InteractionsApp(PUBLIC_KEY_HEX, dispatch).handle(event)
    assert seen == ["https://abc123.execute-api.eu-west-1.amazonaws.com", "https://bot.example.org", None]
