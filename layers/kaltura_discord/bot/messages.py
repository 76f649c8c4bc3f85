"""Texts the bot says in more than one place, written once so the same fault always reads the same.

Each is a lazy :class:`~kaltura_discord.i18n.Message`: as a ``str`` it reads in English, and whoever shows it
translates it (``i18n.for_reply(interaction).render(STORAGE_SLOW)``; a ``UserFacingError`` carrying one is
translated by the dispatcher and the worker).
"""

from __future__ import annotations

from typing import Final

from kaltura_discord.i18n import lazy_gettext

STORAGE_SLOW: Final = lazy_gettext(
    "The bot's storage is not answering quickly enough right now, so nothing was done. Please try again in a minute."
)
SETTINGS_UNREADABLE: Final = lazy_gettext(
    "I couldn't read this server's bot settings just now, so nothing was done. Please try again in a minute."
)
SETTINGS_NOT_SAVED: Final = lazy_gettext(
    "The bot's storage is not answering right now, so the settings were not changed. Please try again in a minute."
)
DISPATCH_FAILED: Final = lazy_gettext(
    "I couldn't hand that over to be done just now, so nothing was done. Please try again in a moment."
)
