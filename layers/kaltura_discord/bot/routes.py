"""Which handler answers which interaction. Handlers are named as strings and imported on first use."""

from __future__ import annotations

from kaltura_discord.discord.router import Router


def build_router() -> Router:
    router = Router()
    router.command("kaltura-help", "kaltura_discord.bot.help:kaltura_help")
    router.command("kaltura-status", "kaltura_discord.bot.status:kaltura_status")
    return router
