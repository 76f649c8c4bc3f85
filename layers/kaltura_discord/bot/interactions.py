"""The interactions endpoint: Lambda event -> signature check -> parse -> route -> handler -> response.

Only what PING needs is imported here; the router and the handlers are loaded on the first real
interaction, and each handler module imports its own heavier dependencies lazily.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from kaltura_discord import settings
from kaltura_discord.discord.http_events import MalformedEvent, from_lambda_event, lambda_response
from kaltura_discord.discord.signature import SignatureVerifier

_PONG = lambda_response(200, '{"type":1}')
_UNAUTHORIZED = '{"error":"invalid request signature"}'
_KNOWN_TYPES = frozenset({2, 3, 4, 5})


def _bad_request(reason: str) -> dict[str, Any]:
    return lambda_response(400, json.dumps({"error": reason}))


class InteractionsApp:
    def __init__(
        self,
        public_key_hex: str,
        dispatch: Callable[[dict[str, Any], str | None], str] | None = None,
        *,
        public_base_url: str | None = None,
    ) -> None:
        self._verifier = SignatureVerifier(public_key_hex)
        self._dispatch = dispatch
        self._public_base_url = public_base_url

    def handle(self, event: dict[str, Any], context: Any = None) -> dict[str, Any]:
        try:
            request = from_lambda_event(event)
        except MalformedEvent:
            return _bad_request("malformed request body")
        headers = request.headers
        if not self._verifier.verify(
            headers.get("x-signature-ed25519"), headers.get("x-signature-timestamp"), request.body
        ):
            return lambda_response(401, _UNAUTHORIZED)
        try:
            payload = json.loads(request.body)
        except (ValueError, RecursionError):
            return _bad_request("body is not valid JSON")
        if not isinstance(payload, dict):
            return _bad_request("body is not a JSON object")
        kind = payload.get("type")
        if kind == 1:
            return _PONG
        if kind not in _KNOWN_TYPES:
            return _bad_request("unknown interaction type")
        if self._dispatch is None:
            from kaltura_discord.bot.dispatch import dispatch

            self._dispatch = dispatch
        from kaltura_discord import deadline, logs

        base_url = settings.public_base_url(request.domain_name, self._public_base_url)
        interaction_id = payload.get("id")
        with (
            logs.request_context(
                request_id=logs.lambda_request_id(context),
                api_request_id=logs.api_request_id(event),
                interaction_id=interaction_id if isinstance(interaction_id, str) else None,
            ),
            deadline.scope(deadline.Deadline.for_first_answer(context)),
        ):
            logs.get_logger(__name__).debug("interaction received", extra={"interaction_type": kind})
            return lambda_response(200, self._dispatch(payload, base_url))


_app: InteractionsApp | None = None


def get_app() -> InteractionsApp:
    """The container's app; reading DISCORD_PUBLIC_KEY (and PUBLIC_BASE_URL) here makes a bad setting fail at start."""
    global _app  # noqa: PLW0603 - one per container
    if _app is None:
        _app = InteractionsApp(
            settings.required("DISCORD_PUBLIC_KEY"), public_base_url=settings.configured_public_base_url()
        )
    return _app


def handler(event: dict[str, Any], context: Any = None) -> dict[str, Any]:
    return get_app().handle(event, context)
