"""Lambda entry point for POST /interactions (API Gateway HTTP API)."""

from kaltura_discord.bot.interactions import get_app

handler = get_app().handle
