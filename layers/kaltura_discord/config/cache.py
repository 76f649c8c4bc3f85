"""Per-container cache of each guild's effective config, and the service the handlers call.

A warm lookup is a dict lookup and a monotonic-clock comparison: no DynamoDB call. Entries live
CONFIG_CACHE_TTL_SECONDS (60; 0 turns caching off), at most CONFIG_CACHE_MAX_GUILDS guilds are kept (1000,
least recently used evicted). A failed read is never cached. Writes made through this service replace
the entry with what was written, so the person who changed a setting sees it at once; other containers
see it within the TTL.

Degraded, not broken: when a refresh fails because the store is unavailable, the last good copy is served for up
to ``STALE_SECONDS`` (15 min) after it was read, and the fact is logged once per outage, not per request.
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Mapping
from typing import Any, Final

from kaltura_discord import settings
from kaltura_discord.config.errors import ConfigConflict, ConfigUnavailable
from kaltura_discord.config.model import GuildConfig, KalturaRole
from kaltura_discord.config.store import (
    MAX_WRITE_ATTEMPTS,
    AuditEntry,
    ChangeFn,
    ConfigChange,
    ConfigStore,
    DynamoConfigTable,
    LoadedConfig,
)
from kaltura_discord.logs import get_logger

DEFAULT_TTL_SECONDS: Final = 60
DEFAULT_MAX_GUILDS: Final = 1000
STALE_SECONDS: Final = 15 * 60

_log = get_logger(__name__)

_Entry = tuple[GuildConfig, float, int, float]  # config, expires at (monotonic), version, read at


class ConfigService:
    """Effective config per guild (cached) plus the write operations that keep the cache coherent."""

    def __init__(
        self,
        store: ConfigStore,
        *,
        ttl_seconds: float | None = None,
        max_guilds: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        ttl = settings.integer("CONFIG_CACHE_TTL_SECONDS", DEFAULT_TTL_SECONDS) if ttl_seconds is None else ttl_seconds
        size = settings.integer("CONFIG_CACHE_MAX_GUILDS", DEFAULT_MAX_GUILDS) if max_guilds is None else max_guilds
        if ttl < 0:
            raise settings.ConfigurationError("setting CONFIG_CACHE_TTL_SECONDS must be 0 or more")
        if size < 1:
            raise settings.ConfigurationError("setting CONFIG_CACHE_MAX_GUILDS must be 1 or more")
        self._store = store
        self._ttl = float(ttl)
        self._max_guilds = size
        self._clock = clock
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        self._lock = threading.Lock()
        self._serving_stale = False

    @property
    def store(self) -> ConfigStore:
        return self._store

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, guild_id: str | None) -> GuildConfig:
        """The guild's effective config: from the cache when fresh, else one DynamoDB read.

        No guild (a DM) has nothing to override: the defaults, without a read.
        """
        if not guild_id:
            return self._store.defaults.config
        with self._lock:
            entry = self._entries.get(guild_id)
            if entry is not None and self._clock() < entry[1]:
                self._entries.move_to_end(guild_id)
                return entry[0]
        try:
            return self.load(guild_id).config
        except ConfigUnavailable:
            if entry is None or self._clock() - entry[3] > STALE_SECONDS:
                raise
            if not self._serving_stale:
                self._serving_stale = True
                _log.warning(
                    "config store unavailable; serving the last good settings",
                    extra={"guild_id": guild_id, "max_stale_s": STALE_SECONDS},
                )
            return entry[0]

    def load(self, guild_id: str) -> LoadedConfig:
        """A fresh read (also refreshing the cache); includes the version and any ignored overrides."""
        loaded = self._store.load(guild_id)
        self._serving_stale = False
        self._remember(guild_id, loaded.config, loaded.version)
        return loaded

    def kaltura_role_for(self, guild_id: str | None, member_role_ids: Iterable[str]) -> KalturaRole:
        return self.get(guild_id).kaltura_role_for(member_role_ids)

    def invalidate(self, guild_id: str | None = None) -> None:
        """Forget one guild (or every guild): the next lookup reads DynamoDB."""
        with self._lock:
            if guild_id is None:
                self._entries.clear()
            else:
                self._entries.pop(guild_id, None)

    def get_overrides(self, guild_id: str) -> tuple[dict[str, Any], int]:
        """What the guild changed and its version (uncached: for showing and editing)."""
        return self._store.get_overrides(guild_id)

    def set_value(
        self, guild_id: str, key: str, text: str, *, actor_id: str, expected_version: int | None = None
    ) -> ConfigChange:
        """``/kaltura-config set``: parse, validate, write with its audit record, refresh the cache."""
        return self._write(
            guild_id,
            lambda: self._store.set_value(guild_id, key, text, actor_id=actor_id, expected_version=expected_version),
        )

    def reset(
        self, guild_id: str, path: str | None = None, *, actor_id: str, expected_version: int | None = None
    ) -> ConfigChange:
        """``/kaltura-config reset``: everything (None), a section, a group or one key back to the defaults."""
        return self._write(
            guild_id,
            lambda: self._store.reset(guild_id, path, actor_id=actor_id, expected_version=expected_version),
        )

    def update(
        self,
        guild_id: str,
        change: ChangeFn | Mapping[str, Any],
        *,
        actor_id: str,
        summary: str,
        expected_version: int | None = None,
        max_attempts: int = MAX_WRITE_ATTEMPTS,
    ) -> ConfigChange:
        return self._write(
            guild_id,
            lambda: self._store.update(
                guild_id,
                change,
                actor_id=actor_id,
                summary=summary,
                expected_version=expected_version,
                max_attempts=max_attempts,
            ),
        )

    def history(self, guild_id: str, limit: int = 20) -> list[AuditEntry]:
        return self._store.history(guild_id, limit)

    def _write(self, guild_id: str, write: Callable[[], ConfigChange]) -> ConfigChange:
        try:
            change = write()
        except ConfigConflict:
            self.invalidate(guild_id)  # someone else wrote: what we hold is stale
            raise
        if change.changed:
            self._remember(guild_id, change.config, change.version)
        return change

    def _remember(self, guild_id: str, config: GuildConfig, version: int) -> None:
        if self._ttl <= 0:
            return
        now = self._clock()
        with self._lock:
            current = self._entries.get(guild_id)
            if current is not None and current[2] > version and now < current[1]:
                return  # a newer version is already cached (two threads raced)
            self._entries[guild_id] = (config, now + self._ttl, version, now)
            self._entries.move_to_end(guild_id)
            while len(self._entries) > self._max_guilds:
                self._entries.popitem(last=False)


_service: ConfigService | None = None
_service_lock = threading.Lock()


def config_service() -> ConfigService:
    """The container's service, built on first use (DynamoDB table from TABLE_NAME)."""
    global _service  # noqa: PLW0603 - one per container, by design
    service = _service
    if service is None:
        with _service_lock:
            if _service is None:
                _service = ConfigService(ConfigStore(DynamoConfigTable()))
            service = _service
    return service


def set_config_service(service: ConfigService | None) -> None:
    """Replace (or with None, drop) the container's service: for tests and the local stack."""
    global _service  # noqa: PLW0603
    with _service_lock:
        _service = service


def get_config(guild_id: str | None) -> GuildConfig:
    """The guild's effective config (the defaults when there is no guild); what handlers and meetings call."""
    return (_service or config_service()).get(guild_id)
