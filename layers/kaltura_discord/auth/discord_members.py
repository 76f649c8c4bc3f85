"""The :class:`~kaltura_discord.auth.rights.GuildDirectory` over Discord's REST API, with the bot token.

Each look-up gets a short deadline of its own (within the REST API request's, which the Discord client applies
too): a Discord that does not answer within it counts as unreachable, and a write waiting on it is refused rather
than left hanging.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Final

from kaltura_discord.auth.rights import GuildSnapshot, MemberSnapshot, RightsUnavailable
from kaltura_discord.discord.rest import DiscordError

if TYPE_CHECKING:
    from kaltura_discord.discord.rest import DiscordRest

LOOKUP_SECONDS: Final = 3.0
UNKNOWN_GUILD: Final = 10004
UNKNOWN_MEMBER: Final = 10007
UNKNOWN_USER: Final = 10013
MISSING_ACCESS: Final = 50001


def _permissions(value: Any) -> int:
    """A role's bitfield is a decimal string; anything else grants nothing."""
    text = str(value) if isinstance(value, (str, int)) and not isinstance(value, bool) else ""
    return int(text) if text.isascii() and text.isdigit() else 0


def _timestamp(value: Any) -> float | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return (moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)).timestamp()


class DiscordGuildDirectory:
    def __init__(
        self,
        rest: DiscordRest | None = None,
        *,
        lookup_seconds: float = LOOKUP_SECONDS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._rest = rest
        self._lookup_seconds = lookup_seconds
        self._clock = clock

    @property
    def rest(self) -> DiscordRest:
        if self._rest is None:
            from kaltura_discord.discord.rest import get_rest

            self._rest = get_rest()
        return self._rest

    def _deadline(self) -> float:
        return self._clock() + self._lookup_seconds

    def member(self, guild_id: str, user_id: str) -> MemberSnapshot | None:
        try:
            found = self.rest.get_guild_member(guild_id, user_id, deadline=self._deadline())
        except DiscordError as exc:
            if _gone(exc, UNKNOWN_MEMBER, UNKNOWN_USER, UNKNOWN_GUILD):
                return None
            raise RightsUnavailable(str(exc)) from None
        roles = found.get("roles")
        role_ids = tuple(str(role) for role in roles) if isinstance(roles, list) else ()
        return MemberSnapshot(user_id, role_ids, _timestamp(found.get("communication_disabled_until")))

    def guild(self, guild_id: str) -> GuildSnapshot | None:
        try:
            until = self._deadline()
            found = self.rest.get_guild(guild_id, deadline=until)
            roles = self.rest.get_guild_roles(guild_id, deadline=until)
        except DiscordError as exc:
            if _gone(exc, UNKNOWN_GUILD):
                return None
            raise RightsUnavailable(str(exc)) from None
        owner = found.get("owner_id")
        if not isinstance(owner, str) or not owner:
            raise RightsUnavailable("Discord's answer for the server named no owner")
        permissions = {str(role.get("id")): _permissions(role.get("permissions")) for role in roles}
        locale = found.get("preferred_locale")
        return GuildSnapshot(guild_id, owner, permissions, locale if isinstance(locale, str) and locale else None)


def _gone(error: DiscordError, *codes: int) -> bool:
    """An answer that says "not there": the member left, or the bot can no longer see the server."""
    return (error.status == 404 and error.code in codes) or (error.status == 403 and error.code == MISSING_ACCESS)
