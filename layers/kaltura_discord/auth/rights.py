"""Whether the member behind a token may still do what the token asks: their standing in the server now.

A token is minted for a member who has Manage Server at that moment. They may lose the permission, or leave the
server, long before the token expires, and Discord then refuses them the commands; the token must follow. So every
API request (except giving the token back) looks at the member's current membership, and a write
(``meetings:write``, ``config:write``) at their current permissions too, from Discord's REST API with the bot
token: the member (``GET /guilds/{guild.id}/members/{user.id}``), the server's roles
(``GET /guilds/{guild.id}/roles``) and its owner (``GET /guilds/{guild.id}``).

Permissions are computed as Discord's permissions page does (``compute_base_permissions``): the owner has all;
otherwise the @everyone role's permissions (the role whose id is the server's), OR'd with those of every role the
member has; Administrator implies all. A member in timeout keeps only View Channel and Read Message History,
unless they are the owner or an administrator ("Permissions For Timed Out Members"). Only server-level
permissions matter: the API acts on a server, not in a channel, so channel overwrites do not apply.

Answers are kept per container for at most ``MEMBER_RIGHTS_CACHE_SECONDS`` (300, the ceiling): a member who loses
the permission loses it over the API within five minutes. Failures are not kept.

When Discord does not answer, a write is refused (503, fail closed: a write is what a former admin must not do),
while a read goes ahead on the token's own claims (fail open: the token's record was checked, and reading meetings
is what any member may do). docs/api.md says so.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Final, Protocol

from kaltura_discord import settings
from kaltura_discord.auth.expiring import Expiring
from kaltura_discord.logs import get_logger

if TYPE_CHECKING:
    from kaltura_discord.auth.tokens import ApiClaims

log = get_logger(__name__)

ADMINISTRATOR: Final = 1 << 3
MANAGE_GUILD: Final = 1 << 5
VIEW_CHANNEL: Final = 1 << 10
READ_MESSAGE_HISTORY: Final = 1 << 16
ALL_PERMISSIONS: Final = (1 << 64) - 1
"""Every bit Discord may define: what the owner and administrators have."""
TIMED_OUT_PERMISSIONS: Final = VIEW_CHANNEL | READ_MESSAGE_HISTORY
WRITE_SCOPES: Final = frozenset({"meetings:write", "config:write"})
CACHE_SETTING: Final = "MEMBER_RIGHTS_CACHE_SECONDS"
MAX_CACHE_SECONDS: Final = 300
CACHE_ENTRIES: Final = 10_000


@dataclass(frozen=True)
class GuildSnapshot:
    """What decides permissions server-wide: the owner, and each role's permission bits (by role id)."""

    guild_id: str
    owner_id: str
    role_permissions: Mapping[str, int]
    preferred_locale: str | None = None
    """The server's language (Discord's ``preferred_locale``): for what the bot writes about a meeting started or
    scheduled over the REST API, as an interaction's ``guild_locale`` is for one started from Discord."""


@dataclass(frozen=True)
class MemberSnapshot:
    user_id: str
    role_ids: tuple[str, ...]
    timed_out_until: float | None = None
    """Unix time the member's timeout ends (``communication_disabled_until``), or None."""


@dataclass(frozen=True)
class MemberRights:
    present: bool
    permissions: int = 0
    role_ids: tuple[str, ...] = ()
    guild_locale: str | None = None

    @property
    def manages_server(self) -> bool:
        return self.present and bool(self.permissions & (MANAGE_GUILD | ADMINISTRATOR))


ABSENT: Final = MemberRights(present=False)


def base_permissions(guild: GuildSnapshot, member: MemberSnapshot, now: float) -> int:
    """Discord's ``compute_base_permissions``, plus the timeout rule. Roles the server no longer has count as none."""
    if member.user_id == guild.owner_id:
        return ALL_PERMISSIONS
    permissions = guild.role_permissions.get(guild.guild_id, 0)
    for role_id in member.role_ids:
        permissions |= guild.role_permissions.get(role_id, 0)
    if permissions & ADMINISTRATOR:
        return ALL_PERMISSIONS
    if member.timed_out_until is not None and member.timed_out_until > now:
        return permissions & TIMED_OUT_PERMISSIONS
    return permissions


class RightsUnavailable(Exception):
    """Discord did not answer (or not usefully) in the time there was: the member's standing is unknown."""


class AccessRefused(Exception):
    """The member behind a token may not do this any more; ``code`` is stable, the message is for people."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


class GuildDirectory(Protocol):
    """Where the member's standing is read from (Discord; tests and the stand-in provide others)."""

    def guild(self, guild_id: str) -> GuildSnapshot | None:
        """None when the bot cannot see the server any more (removed from it, or the server is gone)."""
        ...

    def member(self, guild_id: str, user_id: str) -> MemberSnapshot | None:
        """None when the user is not a member of the server."""
        ...


def cache_seconds() -> int:
    """``MEMBER_RIGHTS_CACHE_SECONDS``: how long a container trusts what Discord last said (0-300, 300)."""
    value = settings.integer(CACHE_SETTING, MAX_CACHE_SECONDS)
    if not 0 <= value <= MAX_CACHE_SECONDS:
        raise settings.ConfigurationError(f"{CACHE_SETTING} must be 0 to {MAX_CACHE_SECONDS} seconds, got {value}")
    return value


class MemberRightsService:
    """The member's current rights in a server, from a :class:`GuildDirectory`, remembered for ``ttl_seconds``.

    The server's roles and owner are remembered per server and the member per member, so many members of one
    server cost one roles read every few minutes, not one each.
    """

    def __init__(
        self,
        directory: GuildDirectory,
        ttl_seconds: float = MAX_CACHE_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        max_entries: int = CACHE_ENTRIES,
    ) -> None:
        if not 0 <= ttl_seconds <= MAX_CACHE_SECONDS:
            raise ValueError(f"member rights are kept 0 to {MAX_CACHE_SECONDS} seconds")
        self.directory = directory
        self._wall_clock = wall_clock
        self._guilds: Expiring[GuildSnapshot | None] = Expiring(ttl_seconds, max_entries, clock)
        self._members: Expiring[MemberSnapshot | None] = Expiring(ttl_seconds, max_entries, clock)

    def rights(self, guild_id: str, user_id: str) -> MemberRights:
        """The member's rights now (within the cache time); :class:`RightsUnavailable` when Discord is unreachable."""
        member = self._members.get((guild_id, user_id), lambda: self.directory.member(guild_id, user_id))
        if member is None:
            return ABSENT
        guild = self._guilds.get((guild_id,), lambda: self.directory.guild(guild_id))
        if guild is None:
            return ABSENT
        permissions = base_permissions(guild, member, self._wall_clock())
        return MemberRights(True, permissions, member.role_ids, guild.preferred_locale)

    def authorize(self, claims: ApiClaims, scope: str) -> ApiClaims:
        """The claims to act on, with the member's current roles; :class:`AccessRefused` when they may not.

        Writes need the member present with Manage Server (or Administrator, or ownership) and fail closed when
        Discord does not answer; reads need them present and fail open, on the token's own claims.
        """
        write = scope in WRITE_SCOPES
        try:
            rights = self.rights(claims.guild_id, claims.user_id)
        except RightsUnavailable as exc:
            if write:
                raise
            log.warning(
                "member rights unknown; read allowed on the token's claims",
                extra={"guild_id": claims.guild_id, "user_id": claims.user_id, "error": str(exc)},
            )
            return claims
        if not rights.present:
            raise AccessRefused(
                "not_a_member",
                "The member this token acts as is no longer in this server (or the bot was removed from it), "
                "so the token no longer works here.",
            )
        if write and not rights.manages_server:
            raise AccessRefused(
                "missing_permission",
                "The member this token acts as no longer has the Manage Server permission here, so the token "
                "can no longer change anything. Reading still works.",
            )
        return replace(claims, role_ids=rights.role_ids, guild_locale=rights.guild_locale)
