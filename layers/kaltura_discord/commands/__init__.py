"""Slash commands: one definition per command (``definitions``), Discord's limits (``validator``), the versioned
manifest and compatibility rules (``manifest``) and the generated reference page (``docs``).

Only ``definitions`` is imported here; it is stdlib-only, so the interaction path pays nothing for the rest.
"""

from kaltura_discord.commands.definitions import (
    COMMANDS,
    Choice,
    CommandDefinition,
    Deprecation,
    Option,
    deprecation_notice,
    get,
)

__all__ = ["COMMANDS", "Choice", "CommandDefinition", "Deprecation", "Option", "deprecation_notice", "get"]
