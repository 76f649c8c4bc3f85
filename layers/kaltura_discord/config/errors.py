"""The one error family of the guild-configuration boundary.

Every message is written for the person who typed the command: it names the dotted key and what is
allowed, and never carries a pydantic or boto3 dump. Handlers can show ``str(error)`` as it is.
"""

from __future__ import annotations

from collections.abc import Iterable


class ConfigError(Exception):
    """Base of every error raised by ``kaltura_discord.config``."""


class ConfigValidationError(ConfigError, ValueError):
    """Input was rejected before anything was written; ``problems`` holds one line per problem."""

    def __init__(self, problems: str | Iterable[str]) -> None:
        self.problems: tuple[str, ...] = (problems,) if isinstance(problems, str) else tuple(problems)
        if not self.problems:
            self.problems = ("invalid configuration",)
        if len(self.problems) == 1:
            message = self.problems[0]
        else:
            message = f"{len(self.problems)} problems: " + "; ".join(self.problems)
        super().__init__(message)


class ConfigConflict(ConfigError):
    """Someone else changed the configuration between our read and our write (optimistic lock lost)."""

    def __init__(self, guild_id: str, expected_version: int) -> None:
        self.guild_id = guild_id
        self.expected_version = expected_version
        super().__init__(
            "the configuration was changed by someone else at the same time; nothing was saved, please try again"
        )


class ConfigUnavailable(ConfigError):
    """The configuration store could not be reached or answered with an error; retrying later may work."""
