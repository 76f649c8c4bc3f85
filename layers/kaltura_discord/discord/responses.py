"""The one response builder: interaction callbacks (types 1, 4-9), message bodies and components.

Every message carries ``allowed_mentions: {"parse": []}`` unless the caller passes another policy, so text
from a person can never ping a crowd.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

EPHEMERAL = 1 << 6
NO_MENTIONS: dict[str, Any] = {"parse": []}
MAX_CONTENT_LENGTH = 2000
MAX_AUTOCOMPLETE_CHOICES = 25
MAX_CHOICE_NAME_LENGTH = 100


class CallbackType:
    PONG = 1
    CHANNEL_MESSAGE = 4
    DEFERRED_CHANNEL_MESSAGE = 5
    DEFERRED_UPDATE_MESSAGE = 6
    UPDATE_MESSAGE = 7
    AUTOCOMPLETE_RESULT = 8
    MODAL = 9


class ButtonStyle:
    PRIMARY = 1
    SECONDARY = 2
    SUCCESS = 3
    DANGER = 4
    LINK = 5


@dataclass(frozen=True)
class InteractionResponse:
    """A callback body. Treat ``data`` as read-only: a response may be a constant served many times."""

    type: int
    data: dict[str, Any] | None = None
    _json: str | None = field(default=None, init=False, repr=False, compare=False)

    def to_dict(self) -> dict[str, Any]:
        return {"type": self.type} if self.data is None else {"type": self.type, "data": self.data}

    def to_json(self) -> str:
        """Serialised once per instance, so a constant response (help) costs no encoding when served again."""
        if self._json is None:
            object.__setattr__(self, "_json", json.dumps(self.to_dict(), separators=(",", ":")))
        return self._json  # type: ignore[return-value]


def truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "\u2026"


def message_body(
    content: str | None = None,
    *,
    embeds: Sequence[dict[str, Any]] | None = None,
    components: Sequence[dict[str, Any]] | None = None,
    ephemeral: bool = False,
    allowed_mentions: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A message payload usable as a callback's data, a webhook edit or a channel message."""
    body: dict[str, Any] = {"allowed_mentions": allowed_mentions if allowed_mentions is not None else NO_MENTIONS}
    if content is not None:
        body["content"] = truncate(content, MAX_CONTENT_LENGTH)
    if embeds is not None:
        body["embeds"] = list(embeds)
    if components is not None:
        body["components"] = list(components)
    if ephemeral:
        body["flags"] = EPHEMERAL
    return body


def pong() -> InteractionResponse:
    return InteractionResponse(CallbackType.PONG)


def message(
    content: str | None = None,
    *,
    embeds: Sequence[dict[str, Any]] | None = None,
    components: Sequence[dict[str, Any]] | None = None,
    ephemeral: bool = False,
    allowed_mentions: dict[str, Any] | None = None,
) -> InteractionResponse:
    body = message_body(
        content, embeds=embeds, components=components, ephemeral=ephemeral, allowed_mentions=allowed_mentions
    )
    return InteractionResponse(CallbackType.CHANNEL_MESSAGE, body)


def ephemeral(content: str) -> InteractionResponse:
    return message(content, ephemeral=True)


def deferred_message(*, ephemeral: bool = False) -> InteractionResponse:
    return InteractionResponse(CallbackType.DEFERRED_CHANNEL_MESSAGE, {"flags": EPHEMERAL} if ephemeral else None)


def deferred_update() -> InteractionResponse:
    return InteractionResponse(CallbackType.DEFERRED_UPDATE_MESSAGE)


def update_message(
    content: str | None = None,
    *,
    embeds: Sequence[dict[str, Any]] | None = None,
    components: Sequence[dict[str, Any]] | None = None,
    allowed_mentions: dict[str, Any] | None = None,
) -> InteractionResponse:
    body = message_body(content, embeds=embeds, components=components, allowed_mentions=allowed_mentions)
    return InteractionResponse(CallbackType.UPDATE_MESSAGE, body)


def autocomplete(choices: Iterable[tuple[str, str | int]]) -> InteractionResponse:
    """At most 25 choices, names cut to Discord's 100 characters."""
    items: list[dict[str, Any]] = []
    for name, value in choices:
        if len(items) == MAX_AUTOCOMPLETE_CHOICES:
            break
        items.append({"name": truncate(name, MAX_CHOICE_NAME_LENGTH) or "-", "value": value})
    return InteractionResponse(CallbackType.AUTOCOMPLETE_RESULT, {"choices": items})


def modal(custom_id: str, title: str, components: Sequence[dict[str, Any]]) -> InteractionResponse:
    return InteractionResponse(
        CallbackType.MODAL, {"custom_id": custom_id, "title": truncate(title, 45), "components": list(components)}
    )


def button(
    label: str, *, custom_id: str | None = None, url: str | None = None, style: int = ButtonStyle.PRIMARY
) -> dict[str, Any]:
    if (custom_id is None) == (url is None):
        raise ValueError("a button has either a custom_id or a url")
    item: dict[str, Any] = {"type": 2, "label": truncate(label, 80)}
    if url is not None:
        item.update(style=ButtonStyle.LINK, url=url)
    else:
        item.update(style=style, custom_id=custom_id)
    return item


def action_row(*components: dict[str, Any]) -> dict[str, Any]:
    return {"type": 1, "components": list(components)}


def text_input(
    custom_id: str, label: str, *, paragraph: bool = False, required: bool = True, max_length: int = 4000
) -> dict[str, Any]:
    return action_row(
        {
            "type": 4,
            "custom_id": custom_id,
            "label": truncate(label, 45),
            "style": 2 if paragraph else 1,
            "required": required,
            "max_length": max_length,
        }
    )
