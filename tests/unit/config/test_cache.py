from __future__ import annotations

import pytest

from kaltura_discord import settings
from kaltura_discord.config import (
    ConfigConflict,
    ConfigService,
    ConfigStore,
    ConfigUnavailable,
    ConfigValidationError,
    get_config,
    get_defaults,
    set_config_service,
)
from kaltura_discord.config.store import StoredOverrides
from tests.support.fakes import ACTOR, GUILD, OTHER_GUILD, ROLE_A, FakeClock, MemoryConfigTable

pytestmark = pytest.mark.unit

THIRD_GUILD = "100000000000000003"


@pytest.fixture
def table() -> MemoryConfigTable:
    return MemoryConfigTable()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def service(table: MemoryConfigTable, clock: FakeClock) -> ConfigService:
    return ConfigService(ConfigStore(table), ttl_seconds=60, max_guilds=1000, clock=clock)


def test_a_warm_lookup_does_not_read_until_the_ttl_expires(
    service: ConfigService, table: MemoryConfigTable, clock: FakeClock
) -> None:
    first = service.get(GUILD)
    assert table.reads == 1
    clock.advance(59.999)
    assert service.get(GUILD) is first
    assert table.reads == 1
    clock.advance(0.001)  # exactly the TTL: expired
    service.get(GUILD)
    assert table.reads == 2


def test_another_containers_write_is_seen_after_the_ttl(
    service: ConfigService, table: MemoryConfigTable, clock: FakeClock
) -> None:
    assert service.get(GUILD).kaltura.end_action == "none"
    table.put(GUILD, {"kaltura": {"end_action": "delete"}}, 1)
    assert service.get(GUILD).kaltura.end_action == "none"
    clock.advance(60)
    assert service.get(GUILD).kaltura.end_action == "delete"


def test_local_writes_are_visible_at_once_without_another_read(
    service: ConfigService, table: MemoryConfigTable
) -> None:
    service.get(GUILD)
    change = service.set_value(GUILD, "kaltura.end_action", "delete", actor_id=ACTOR)
    reads = table.reads
    assert service.get(GUILD) is change.config
    assert service.get(GUILD).kaltura.end_action == "delete"
    assert table.reads == reads
    service.reset(GUILD, "kaltura", actor_id=ACTOR)
    assert service.get(GUILD).kaltura.end_action == "none"


def test_a_lost_race_drops_the_cached_entry(service: ConfigService, table: MemoryConfigTable) -> None:
    service.get(GUILD)
    table.put(GUILD, {"kaltura": {"end_action": "update"}}, 1)
    with pytest.raises(ConfigConflict):
        service.set_value(GUILD, "kaltura.end_action", "delete", actor_id=ACTOR, expected_version=0)
    assert service.get(GUILD).kaltura.end_action == "update"


def test_a_failed_read_is_not_cached(service: ConfigService, table: MemoryConfigTable) -> None:
    table.fail_next_reads = 1
    with pytest.raises(ConfigUnavailable):
        service.get(GUILD)
    assert len(service) == 0
    assert service.get(GUILD) is get_defaults().config
    assert table.reads == 2
    service.get(GUILD)
    assert table.reads == 2


def test_an_expired_entry_is_served_stale_for_fifteen_minutes_when_the_refresh_fails(
    service: ConfigService, table: MemoryConfigTable, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    table.put(GUILD, {"roles": {"default": "moderator"}}, 1)
    good = service.get(GUILD)
    clock.advance(61)
    table.fail_next_reads = 3
    assert service.get(GUILD) is good  # the last good copy, not the defaults
    clock.advance(60)
    assert service.get(GUILD) is good
    assert [r.message for r in caplog.records].count("config store unavailable; serving the last good settings") == 1
    reads = table.reads
    assert service.get(GUILD) is good and table.reads == reads + 1  # each request still tries once
    table.put(GUILD, {"roles": {"default": "admin"}}, 2)
    assert service.get(GUILD).roles.default == "admin"  # back: fresh again


def test_a_stale_entry_older_than_fifteen_minutes_is_not_served(
    service: ConfigService, table: MemoryConfigTable, clock: FakeClock
) -> None:
    service.get(GUILD)
    clock.advance(15 * 60 + 1)
    table.fail_next_reads = 1
    with pytest.raises(ConfigUnavailable):
        service.get(GUILD)


def test_least_recently_used_guild_is_evicted(table: MemoryConfigTable, clock: FakeClock) -> None:
    service = ConfigService(ConfigStore(table), ttl_seconds=60, max_guilds=2, clock=clock)
    service.get(GUILD)
    service.get(OTHER_GUILD)
    service.get(GUILD)  # GUILD is now the most recently used
    service.get(THIRD_GUILD)  # evicts OTHER_GUILD
    assert len(service) == 2
    reads = table.reads
    service.get(GUILD)
    service.get(THIRD_GUILD)
    assert table.reads == reads
    service.get(OTHER_GUILD)
    assert table.reads == reads + 1


def test_an_older_read_does_not_replace_a_newer_cached_version(
    service: ConfigService, table: MemoryConfigTable
) -> None:
    change = service.set_value(GUILD, "kaltura.end_action", "delete", actor_id=ACTOR)
    table.stale_reads = StoredOverrides({}, 0)  # e.g. a read that started before our write
    service.load(GUILD)
    assert service.get(GUILD) is change.config


def test_invalidate_forces_a_read(service: ConfigService, table: MemoryConfigTable) -> None:
    service.get(GUILD)
    service.get(OTHER_GUILD)
    service.invalidate(GUILD)
    service.get(GUILD)
    service.get(OTHER_GUILD)
    assert table.reads == 3
    service.invalidate()
    assert len(service) == 0


def test_ttl_zero_disables_caching(table: MemoryConfigTable, clock: FakeClock) -> None:
    service = ConfigService(ConfigStore(table), ttl_seconds=0, clock=clock)
    for _ in range(3):
        service.get(GUILD)
    assert table.reads == 3


def test_ttl_and_size_come_from_the_environment(monkeypatch: pytest.MonkeyPatch, table: MemoryConfigTable) -> None:
    clock = FakeClock()
    monkeypatch.setenv("CONFIG_CACHE_TTL_SECONDS", "5")
    monkeypatch.setenv("CONFIG_CACHE_MAX_GUILDS", "1")
    service = ConfigService(ConfigStore(table), clock=clock)
    service.get(GUILD)
    service.get(OTHER_GUILD)
    assert len(service) == 1
    clock.advance(4.9)
    service.get(OTHER_GUILD)
    assert table.reads == 2
    clock.advance(0.1)
    service.get(OTHER_GUILD)
    assert table.reads == 3
    monkeypatch.setenv("CONFIG_CACHE_TTL_SECONDS", "-1")
    with pytest.raises(settings.ConfigurationError, match="CONFIG_CACHE_TTL_SECONDS"):
        ConfigService(ConfigStore(table))
    monkeypatch.setenv("CONFIG_CACHE_TTL_SECONDS", "soon")
    with pytest.raises(settings.ConfigurationError, match="CONFIG_CACHE_TTL_SECONDS"):
        ConfigService(ConfigStore(table))


def test_warm_lookups_read_the_table_once_and_share_one_config(table: MemoryConfigTable) -> None:
    """How fast a warm lookup is, is `make bench`'s "Warm effective-config lookup" (target < 5 µs)."""
    service = ConfigService(ConfigStore(table), ttl_seconds=60)
    set_config_service(service)
    try:
        first = get_config(GUILD)
        later = [get_config(GUILD) for _ in range(1_000)]
    finally:
        set_config_service(None)
    assert table.reads == 1
    assert all(config is first for config in later)


def test_role_lookup_through_the_service(service: ConfigService) -> None:
    assert service.kaltura_role_for(GUILD, [ROLE_A]) == "viewer"
    service.set_value(GUILD, f"roles.mapping.{ROLE_A}", "admin", actor_id=ACTOR)
    assert service.kaltura_role_for(GUILD, [ROLE_A]) == "admin"


def test_no_guild_gets_the_defaults_without_a_read(service: ConfigService, table: MemoryConfigTable) -> None:
    assert service.get(None) is get_defaults().config
    assert service.get("") is get_defaults().config
    assert table.reads == 0
    assert len(service) == 0


def test_a_malformed_guild_id_is_refused_not_cached(service: ConfigService, table: MemoryConfigTable) -> None:
    with pytest.raises(ConfigValidationError, match="guild id"):
        service.get("GUILD#1")
    assert table.reads == 0 and len(service) == 0
