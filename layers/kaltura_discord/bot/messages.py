"""Texts the bot says in more than one place, written once so the same fault always reads the same."""

from __future__ import annotations

from typing import Final

STORAGE_SLOW: Final = (
    "The bot's storage is not answering quickly enough right now, so nothing was done. Please try again in a minute."
)
SETTINGS_UNREADABLE: Final = (
    "I couldn't read this server's bot settings just now, so nothing was done. Please try again in a minute."
)
SETTINGS_NOT_SAVED: Final = (
    "The bot's storage is not answering right now, so the settings were not changed. Please try again in a minute."
)
DISPATCH_FAILED: Final = (
    "I couldn't hand that over to be done just now, so nothing was done. Please try again in a moment."
)
