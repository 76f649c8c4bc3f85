"""``/kaltura-status``: a deferred health check of the bot's storage and its Kaltura account."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from kaltura_discord import __version__
from kaltura_discord.bot.jobs import Job, defer
from kaltura_discord.discord import responses
from kaltura_discord.discord.interaction import MANAGE_GUILD, Interaction
from kaltura_discord.discord.responses import InteractionResponse
from kaltura_discord.discord.rest import DiscordRest
from kaltura_discord.discord.router import UserFacingError
from kaltura_discord.storage import dynamodb


def kaltura_status(interaction: Interaction) -> InteractionResponse:
    if not interaction.has_permission(MANAGE_GUILD):
        raise UserFacingError("Only members with the Manage Server permission can check the bot's status.")
    return defer(interaction, "status", ephemeral=True)


def _check(name: str, probe: Callable[[], str | None]) -> str:
    """One line per dependency; the error's code or type is shown, never its text (it may carry a session)."""
    started = time.perf_counter()
    try:
        detail = probe()
    except Exception as exc:
        reason = getattr(exc, "code", None) or type(exc).__name__
        return f"\u274c {name}: unreachable ({reason})"
    extra = f", {detail}" if detail else ""
    return f"\u2705 {name}: ok ({(time.perf_counter() - started) * 1000:.0f} ms{extra})"


def _storage() -> None:
    dynamodb.get_client().describe_table(TableName=dynamodb.table_name())


def _kaltura() -> str:
    """A session and one cheap read: proves the credentials, the service URL and the room plugin. The list
    carries the status filter (as every room list does), so rooms that were just added are counted."""
    from kaltura_discord.kaltura import KalturaRooms, Pager

    found = KalturaRooms().list_rooms(pager=Pager(page_size=1))
    return f"{found.total_count} rooms on the account"


def run_status(_job: Job, _discord: DiscordRest) -> dict[str, Any]:
    lines = [f"**kaltura-discord {__version__}**", _check("Storage (DynamoDB)", _storage), _check("Kaltura", _kaltura)]
    return responses.message_body("\n".join(lines))
