"""``/v1``: meetings, join links and the guild configuration."""

from kaltura_discord.api.versions.v1.routes import VERSION

__all__ = ["VERSION"]
