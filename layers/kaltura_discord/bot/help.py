"""``/kaltura-help``: what the bot can do, with each command's version, from the command definitions, in the
member's language (built once per language and container)."""

from __future__ import annotations

from functools import cache

from kaltura_discord import __version__, i18n
from kaltura_discord.commands.definitions import COMMANDS
from kaltura_discord.discord import responses
from kaltura_discord.discord.interaction import Interaction
from kaltura_discord.discord.responses import InteractionResponse


@cache
def help_embed(locale: str = i18n.SOURCE_LOCALE) -> dict[str, object]:
    """The embed in ``locale`` (a served locale: see :func:`kaltura_discord.i18n.resolve`). A command whose name
    is translated shows both names: the member's client lists the translated one, replies quote the English one."""
    t = i18n.translator(locale)
    lines = []
    for command in COMMANDS:
        note = " " + t.gettext("*(deprecated)*") if command.deprecated else ""
        localized = t.lookup(command.name, i18n.NAME)
        name = f"**/{localized}** (`/{command.name}`)" if localized != command.name else f"**/{command.name}**"
        description = t.lookup(command.description, i18n.DESCRIPTION)
        lines.append(f"{name} `v{command.version}`{note}\n{description}")
    return {
        "title": t.gettext("Kaltura meetings in Discord"),
        "description": "\n\n".join(lines),
        "color": 0x006EFA,
        "footer": {"text": f"kaltura-discord {__version__}"},
    }


@cache
def help_response(locale: str = i18n.SOURCE_LOCALE) -> InteractionResponse:
    return responses.message(embeds=[help_embed(locale)], ephemeral=True)


def kaltura_help(interaction: Interaction) -> InteractionResponse:
    return help_response(i18n.for_reply(interaction).locale)
