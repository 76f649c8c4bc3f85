"""Lambda entry point for deferred interaction work (asynchronous invoke)."""

from kaltura_discord.bot.worker import handler

__all__ = ["handler"]
