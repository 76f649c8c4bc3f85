"""``/v1``: meetings, join links, the guild configuration, Kaltura's notifications and attendance."""

from kaltura_discord.api.versions.v1 import kaltura_routes  # noqa: F401 - registers its routes on VERSION
from kaltura_discord.api.versions.v1.routes import VERSION

__all__ = ["VERSION"]
