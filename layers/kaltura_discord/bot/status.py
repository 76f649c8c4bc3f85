"""``/kaltura-status``: a deferred health check of the bot's storage and its Kaltura account."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kaltura_discord import __version__, i18n
from kaltura_discord.bot.jobs import Job, defer
from kaltura_discord.discord import responses
from kaltura_discord.discord.interaction import MANAGE_GUILD, Interaction
from kaltura_discord.discord.responses import InteractionResponse
from kaltura_discord.discord.rest import DiscordRest
from kaltura_discord.discord.router import UserFacingError
from kaltura_discord.i18n import Translator, lazy_gettext
from kaltura_discord.storage import dynamodb


def kaltura_status(interaction: Interaction) -> InteractionResponse:
    if not interaction.has_permission(MANAGE_GUILD):
        raise UserFacingError(
            lazy_gettext("Only members with the Manage Server permission can check the bot's status.")
        )
    return defer(interaction, "status", ephemeral=True)


def _check(t: Translator, name: str, probe: Callable[[Translator], str | None]) -> str:
    """One line per dependency; the error's code or type is shown, never its text (it may carry a session)."""
    started = time.perf_counter()
    try:
        detail = probe(t)
    except Exception as exc:
        reason = str(getattr(exc, "code", None) or type(exc).__name__)
        return "\u274c " + t.gettext("{name}: unreachable ({reason})", name=name, reason=reason)
    ms = round((time.perf_counter() - started) * 1000)
    if detail:
        return "\u2705 " + t.gettext("{name}: ok ({ms} ms, {detail})", name=name, ms=ms, detail=detail)
    return "\u2705 " + t.gettext("{name}: ok ({ms} ms)", name=name, ms=ms)


def _storage(_t: Translator) -> None:
    dynamodb.get_client().describe_table(TableName=dynamodb.table_name())


def _kaltura(t: Translator) -> str:
    """A session and one cheap read: proves the credentials, the service URL and the room plugin. The list
    carries the status filter (as every room list does), so rooms that were just added are counted."""
    from kaltura_discord.kaltura import KalturaRooms, Pager

    found = KalturaRooms().list_rooms(pager=Pager(page_size=1))
    return t.ngettext("{n} room on the account", "{n} rooms on the account", found.total_count)


def run_status(job: Job, _discord: DiscordRest) -> dict[str, Any]:
    """In the language of the member who asked (the job carries the interaction's locales)."""
    t = i18n.for_reply(job)
    lines = [
        f"**kaltura-discord {__version__}**",
        _check(t, t.gettext("Storage (DynamoDB)"), _storage),
        _check(t, "Kaltura", _kaltura),
    ]
    return responses.message_body("\n".join(lines))
