"""ConfigStore's rules (validate first, optimistic locking, retry, audit) against an in-memory table."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from kaltura_discord.config import ConfigConflict, ConfigStore, ConfigValidationError
from kaltura_discord.config import store as store_module
from tests.support.fakes import ACTOR, CHANNEL, GUILD, ROLE_A, ROLE_B, MemoryConfigTable

pytestmark = pytest.mark.unit

NOW = datetime(2030, 1, 2, 3, 4, 5, 678901, tzinfo=UTC)


@pytest.fixture
def table() -> MemoryConfigTable:
    return MemoryConfigTable()


@pytest.fixture
def store(table: MemoryConfigTable) -> ConfigStore:
    return ConfigStore(table, now=lambda: NOW)


def test_a_guild_without_overrides_is_version_zero(store: ConfigStore) -> None:
    assert store.get_overrides(GUILD) == ({}, 0)


def test_set_value_stores_the_override_and_an_audit_record(store: ConfigStore, table: MemoryConfigTable) -> None:
    change = store.set_value(GUILD, "kaltura.end_action", "delete", actor_id=ACTOR)
    assert change.changed and change.version == 1
    assert change.config.kaltura.end_action == "delete"
    assert store.get_overrides(GUILD) == ({"kaltura": {"end_action": "delete"}}, 1)
    (audit,) = table.audit[GUILD]
    assert audit.actor_id == ACTOR
    assert audit.action == "set"
    assert audit.summary == 'set kaltura.end_action = "delete"'
    assert audit.changed_keys == ("kaltura.end_action",)
    assert (audit.before, audit.after, audit.version) == ({}, {"kaltura": {"end_action": "delete"}}, 1)
    assert audit.at == "2030-01-02T03:04:05.678901Z"
    assert audit.expires_at == int((NOW + timedelta(days=90)).timestamp())
    assert audit.sort_key.startswith("AUDIT#2030-01-02T03:04:05.678901Z#")


def test_successive_changes_keep_earlier_ones(store: ConfigStore) -> None:
    store.set_value(GUILD, f"roles.mapping.{ROLE_A}", "admin", actor_id=ACTOR)
    change = store.set_value(GUILD, f"roles.mapping.{ROLE_B}", "moderator", actor_id=ACTOR)
    assert change.version == 2
    assert change.overrides == {"roles": {"mapping": {ROLE_A: "admin", ROLE_B: "moderator"}}}
    assert change.audit is not None and change.audit.before == {"roles": {"mapping": {ROLE_A: "admin"}}}


@pytest.mark.parametrize(
    ("key", "text"),
    [
        ("kaltura.end_action", "explode"),
        ("notifications.enabled", "true"),  # valid alone, but no channel is set: cross-field rule
        ("share.template", "{title.__class__}"),
        ("nonsense.key", "1"),
    ],
)
def test_invalid_input_writes_nothing(store: ConfigStore, table: MemoryConfigTable, key: str, text: str) -> None:
    with pytest.raises(ConfigValidationError):
        store.set_value(GUILD, key, text, actor_id=ACTOR)
    assert table.writes == 0
    assert table.audit == {}
    assert store.get_overrides(GUILD) == ({}, 0)


def test_a_replacement_document_is_validated_before_writing(store: ConfigStore, table: MemoryConfigTable) -> None:
    with pytest.raises(ConfigValidationError, match=re.escape("roles.default must be one of")):
        store.update(GUILD, {"roles": {"default": "root"}}, actor_id=ACTOR, summary="import")
    with pytest.raises(ConfigValidationError, match="JSON object"):
        store.update(GUILD, lambda _: ["not", "a", "dict"], actor_id=ACTOR, summary="x")  # type: ignore[arg-type,return-value]
    assert table.writes == 0


def test_stale_expected_version_is_a_conflict_and_is_not_retried(store: ConfigStore, table: MemoryConfigTable) -> None:
    store.set_value(GUILD, "kaltura.end_action", "update", actor_id=ACTOR)
    reads_before = table.reads
    with pytest.raises(ConfigConflict, match="try again"):
        store.set_value(GUILD, "kaltura.end_action", "delete", actor_id=ACTOR, expected_version=0)
    assert table.reads == reads_before + 1
    assert store.get_overrides(GUILD) == ({"kaltura": {"end_action": "update"}}, 1)


def test_matching_expected_version_writes(store: ConfigStore) -> None:
    store.set_value(GUILD, "kaltura.end_action", "update", actor_id=ACTOR)
    change = store.set_value(GUILD, "kaltura.end_action", "delete", actor_id=ACTOR, expected_version=1)
    assert change.version == 2


def test_a_change_function_is_re_applied_after_losing_a_race(store: ConfigStore, table: MemoryConfigTable) -> None:
    table.before_write = lambda: table.put(GUILD, {"roles": {"mapping": {ROLE_A: "admin"}}}, 1)
    change = store.set_value(GUILD, f"roles.mapping.{ROLE_B}", "moderator", actor_id=ACTOR)
    assert change.version == 2
    assert change.overrides == {"roles": {"mapping": {ROLE_A: "admin", ROLE_B: "moderator"}}}
    assert change.audit is not None and change.audit.before == {"roles": {"mapping": {ROLE_A: "admin"}}}
    assert len(table.audit[GUILD]) == 1


def test_twenty_concurrent_writers_on_twenty_keys_all_succeed(table: MemoryConfigTable) -> None:
    """Each lost race re-reads and re-applies: nothing they change overlaps, so none is refused."""
    import threading

    store = ConfigStore(table, now=lambda: NOW, sleep=lambda _: None)
    roles = [str(1_000_000_000_000_000_000 + n) for n in range(20)]
    start, errors = threading.Barrier(20), []

    def set_one(role: str) -> None:
        start.wait()
        try:
            store.set_value(GUILD, f"roles.mapping.{role}", "moderator", actor_id=ACTOR)
        except ConfigConflict as exc:
            errors.append(exc)

    threads = [threading.Thread(target=set_one, args=(role,)) for role in roles]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    overrides, version = store.get_overrides(GUILD)
    assert set(overrides["roles"]["mapping"]) == set(roles) and version == 20


def test_a_lost_race_on_the_same_key_is_a_conflict(table: MemoryConfigTable) -> None:
    store = ConfigStore(table, now=lambda: NOW, sleep=lambda _: None)
    table.before_write = lambda: table.put(GUILD, {"roles": {"default": "admin"}}, 1)
    with pytest.raises(ConfigConflict):
        store.set_value(GUILD, "roles.default", "moderator", actor_id=ACTOR)
    assert store.get_overrides(GUILD) == ({"roles": {"default": "admin"}}, 1)


def test_with_retries_disabled_a_lost_race_is_reported(store: ConfigStore, table: MemoryConfigTable) -> None:
    table.before_write = lambda: table.put(GUILD, {"roles": {"default": "admin"}}, 1)
    with pytest.raises(ConfigConflict):
        store.update(
            GUILD,
            lambda o: {**o, "kaltura": {"end_action": "delete"}},
            actor_id=ACTOR,
            summary="x",
            max_attempts=1,
        )
    assert store.get_overrides(GUILD) == ({"roles": {"default": "admin"}}, 1)
    assert table.audit == {}


def test_a_fixed_document_is_never_re_applied_over_someone_elses_change(
    store: ConfigStore, table: MemoryConfigTable
) -> None:
    table.before_write = lambda: table.put(GUILD, {"roles": {"default": "admin"}}, 1)
    with pytest.raises(ConfigConflict):
        store.update(GUILD, {"kaltura": {"end_action": "delete"}}, actor_id=ACTOR, summary="import", max_attempts=5)
    assert store.get_overrides(GUILD) == ({"roles": {"default": "admin"}}, 1)


def test_a_change_that_changes_nothing_writes_nothing(store: ConfigStore, table: MemoryConfigTable) -> None:
    store.set_value(GUILD, "kaltura.end_action", "delete", actor_id=ACTOR)
    change = store.set_value(GUILD, "kaltura.end_action", "delete", actor_id=ACTOR)
    assert not change.changed and change.version == 1 and change.changed_keys == ()
    assert table.writes == 1


def test_reset_a_key_a_section_or_everything(store: ConfigStore, table: MemoryConfigTable) -> None:
    store.update(
        GUILD,
        {
            "roles": {"mapping": {ROLE_A: "admin", ROLE_B: "viewer"}, "default": "moderator"},
            "kaltura": {"end_action": "delete"},
        },
        actor_id=ACTOR,
        summary="import",
    )
    change = store.reset(GUILD, f"roles.mapping.{ROLE_A}", actor_id=ACTOR)
    assert change.overrides["roles"]["mapping"] == {ROLE_B: "viewer"}
    assert change.audit is not None and change.audit.action == "reset"
    assert change.audit.summary == f"reset roles.mapping.{ROLE_A}"
    change = store.reset(GUILD, "Roles", actor_id=ACTOR)
    assert change.overrides == {"kaltura": {"end_action": "delete"}}
    assert change.config.roles.default == "viewer"
    change = store.reset(GUILD, None, actor_id=ACTOR)
    assert change.overrides == {} and change.version == 4
    assert change.audit is not None and change.audit.summary == "reset all settings"
    assert not store.reset(GUILD, None, actor_id=ACTOR).changed


def test_reset_rejects_unknown_paths_and_resets_that_leave_an_invalid_config(
    store: ConfigStore, table: MemoryConfigTable
) -> None:
    with pytest.raises(ConfigValidationError, match="did you mean roles"):
        store.reset(GUILD, "rolez", actor_id=ACTOR)
    store.update(GUILD, {"notifications": {"enabled": True, "channel_id": CHANNEL}}, actor_id=ACTOR, summary="x")
    writes = table.writes
    with pytest.raises(ConfigValidationError, match="no channel"):
        store.reset(GUILD, "notifications.channel_id", actor_id=ACTOR)
    assert table.writes == writes


def test_guild_and_actor_ids_are_checked(store: ConfigStore) -> None:
    with pytest.raises(ConfigValidationError, match="guild id"):
        store.get_overrides("GUILD#1")
    with pytest.raises(ConfigValidationError, match="actor id"):
        store.set_value(GUILD, "kaltura.end_action", "delete", actor_id="")


def test_oversized_overrides_are_rejected_before_writing(
    store: ConfigStore, table: MemoryConfigTable, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(store_module, "MAX_OVERRIDES_BYTES", 50)
    with pytest.raises(ConfigValidationError, match="larger than"):
        store.set_value(GUILD, "share.template", "x" * 100, actor_id=ACTOR)
    assert table.writes == 0


def test_load_ignores_stored_overrides_that_no_longer_validate(
    store: ConfigStore, table: MemoryConfigTable, caplog: pytest.LogCaptureFixture
) -> None:
    table.put(GUILD, {"kaltura": {"end_action": "archive", "join_link_ttl_seconds": 120}}, 3)
    logger = logging.getLogger("kaltura_discord")
    logger.addHandler(caplog.handler)
    try:
        loaded = store.load(GUILD)
    finally:
        logger.removeHandler(caplog.handler)
    assert loaded.ignored == ("kaltura.end_action",)
    assert loaded.version == 3
    assert loaded.config.kaltura.join_link_ttl_seconds == 120
    assert any(getattr(r, "ignored_keys", None) == ["kaltura.end_action"] for r in caplog.records)


def test_history_is_newest_first(table: MemoryConfigTable) -> None:
    times = iter([NOW, NOW + timedelta(seconds=1), NOW + timedelta(seconds=2)])
    timed = ConfigStore(table, now=lambda: next(times))
    for value in ("none", "update", "delete"):
        timed.set_value(GUILD, "kaltura.end_action", value, actor_id=ACTOR)
    entries: list[Any] = timed.history(GUILD, limit=2)
    assert [entry.after["kaltura"]["end_action"] for entry in entries] == ["delete", "update"]
