"""Routes an interaction to its handler: commands by name and subcommand, components and modals by
``custom_id`` prefix (the text before the first ``:``), autocomplete by command and focused option.

Handlers may be given as ``"module:function"`` strings, imported on first use, so that building the
router costs nothing on the PING path.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from typing import Union

from kaltura_discord.discord.interaction import Interaction, InteractionType
from kaltura_discord.discord.responses import InteractionResponse

Handler = Callable[[Interaction], InteractionResponse]
HandlerRef = Union[Handler, str]  # noqa: UP007 - runtime alias


class UserFacingError(Exception):
    """An error whose message is written for the person who used the command; shown ephemerally.

    The message may be a :class:`kaltura_discord.i18n.Message` (``lazy_gettext(...)``): whoever shows it (the
    dispatcher, the worker) translates it into the member's language."""

    @property
    def text(self) -> str:
        """The message as raised (a lazy :class:`~kaltura_discord.i18n.Message` stays one)."""
        first = self.args[0] if self.args else ""
        return first if isinstance(first, str) else str(self)


class UnknownRoute(LookupError):
    """No handler matches the interaction."""


def _resolve(ref: HandlerRef) -> Handler:
    if callable(ref):
        return ref
    module_name, _, attribute = ref.partition(":")
    handler: Handler = getattr(importlib.import_module(module_name), attribute)
    return handler


class Router:
    def __init__(self) -> None:
        self._commands: dict[tuple[str, tuple[str, ...]], HandlerRef] = {}
        self._components: dict[str, HandlerRef] = {}
        self._autocomplete: dict[tuple[str, str], HandlerRef] = {}
        self._modals: dict[str, HandlerRef] = {}
        self._resolved: dict[int, Handler] = {}

    def command(self, name: str, handler: HandlerRef, *subcommand: str) -> None:
        self._commands[(name, tuple(subcommand))] = handler

    def component(self, prefix: str, handler: HandlerRef) -> None:
        self._components[prefix] = handler

    def autocomplete(self, command: str, option: str, handler: HandlerRef) -> None:
        self._autocomplete[(command, option)] = handler

    def modal(self, prefix: str, handler: HandlerRef) -> None:
        self._modals[prefix] = handler

    def find(self, interaction: Interaction) -> Handler:
        kind = interaction.type
        ref: HandlerRef | None
        if kind == InteractionType.APPLICATION_COMMAND:
            ref = self._commands.get((interaction.command_name, interaction.subcommand))
        elif kind == InteractionType.MESSAGE_COMPONENT:
            ref = self._components.get(interaction.custom_id.partition(":")[0])
        elif kind == InteractionType.AUTOCOMPLETE:
            ref = self._autocomplete.get((interaction.command_name, interaction.focused_option or ""))
        elif kind == InteractionType.MODAL_SUBMIT:
            ref = self._modals.get(interaction.custom_id.partition(":")[0])
        else:
            ref = None
        if ref is None:
            raise UnknownRoute(f"no handler for interaction type {kind}")
        cached = self._resolved.get(id(ref))
        if cached is None:
            cached = self._resolved[id(ref)] = _resolve(ref)
        return cached
