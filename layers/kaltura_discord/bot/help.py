"""``/kaltura-help``: what the bot can do, with each command's version, from the command definitions."""

from __future__ import annotations

from functools import cache

from kaltura_discord import __version__
from kaltura_discord.commands.definitions import COMMANDS
from kaltura_discord.discord import responses
from kaltura_discord.discord.interaction import Interaction
from kaltura_discord.discord.responses import InteractionResponse


@cache
def help_embed() -> dict[str, object]:
    lines = []
    for command in COMMANDS:
        note = " *(deprecated)*" if command.deprecated else ""
        lines.append(f"**/{command.name}** `v{command.version}`{note}\n{command.description}")
    return {
        "title": "Kaltura meetings in Discord",
        "description": "\n\n".join(lines),
        "color": 0x006EFA,
        "footer": {"text": f"kaltura-discord {__version__}"},
    }


@cache
def help_response() -> InteractionResponse:
    return responses.message(embeds=[help_embed()], ephemeral=True)


def kaltura_help(_interaction: Interaction) -> InteractionResponse:
    return help_response()
