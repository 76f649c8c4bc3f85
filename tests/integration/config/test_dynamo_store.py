"""DynamoConfigTable + ConfigStore against moto's DynamoDB server (table built from template.yaml)."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import boto3
import pytest

from kaltura_discord.config import (
    AuditEntry,
    ConfigConflict,
    ConfigStore,
    ConfigUnavailable,
    ConfigValidationError,
    DynamoConfigTable,
)
from kaltura_discord.config.merge import set_path
from tests.integration.config.clients import AtomicCalls

pytestmark = pytest.mark.integration

GUILD = "100000000000000001"
ACTOR = "200000000000000001"
ROLE_A = "300000000000000001"
THREADS = 20


@pytest.fixture
def client(dynamodb_endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=dynamodb_endpoint)


@pytest.fixture
def store(table_name: str) -> ConfigStore:
    return ConfigStore(DynamoConfigTable())  # TABLE_NAME and the endpoint come from the environment


def items(client: Any, table_name: str, guild_id: str = GUILD) -> dict[str, dict[str, Any]]:
    response = client.query(
        TableName=table_name,
        KeyConditionExpression="pk = :pk",
        ExpressionAttributeValues={":pk": {"S": f"GUILD#{guild_id}"}},
        ConsistentRead=True,
    )
    return {item["sk"]["S"]: item for item in response["Items"]}


def audit_items(client: Any, table_name: str) -> list[dict[str, Any]]:
    return [item for sk, item in items(client, table_name).items() if sk.startswith("AUDIT#")]


def test_round_trip_and_item_layout(store: ConfigStore, client: Any, table_name: str) -> None:
    assert store.get_overrides(GUILD) == ({}, 0)
    before = int(time.time())
    change = store.set_value(GUILD, f"roles.mapping.{ROLE_A}", "admin", actor_id=ACTOR)
    assert store.get_overrides(GUILD) == ({"roles": {"mapping": {ROLE_A: "admin"}}}, 1)
    stored = items(client, table_name)
    config_item = stored["CONFIG"]
    assert config_item["version"] == {"N": "1"}
    assert config_item["updated_by"] == {"S": ACTOR}
    (audit,) = audit_items(client, table_name)
    assert change.audit is not None and audit["sk"]["S"] == change.audit.sort_key
    assert audit["actor_id"] == {"S": ACTOR}
    assert audit["action"] == {"S": "set"}
    assert audit["changed_keys"] == {"L": [{"S": f"roles.mapping.{ROLE_A}"}]}
    assert audit["before"] == {"S": "{}"}
    assert audit["after"]["S"] == '{"roles":{"mapping":{"' + ROLE_A + '":"admin"}}}'
    ninety_days = 90 * 86400
    assert before + ninety_days <= int(audit["expires_at"]["N"]) <= int(time.time()) + ninety_days


def test_a_conflicting_write_writes_neither_the_config_nor_its_audit_record(
    store: ConfigStore, client: Any, table_name: str
) -> None:
    """The audit Put is valid on its own: only a shared transaction explains why it is absent."""
    store.set_value(GUILD, "kaltura.end_action", "update", actor_id=ACTOR)
    table = DynamoConfigTable()
    stale = ConfigStore(table)
    with pytest.raises(ConfigConflict):
        stale.update(GUILD, {"kaltura": {"end_action": "delete"}}, actor_id=ACTOR, summary="x", expected_version=0)
    # Bypass the store's own version check: the condition in DynamoDB must refuse the write by itself.
    audit = AuditEntry(
        guild_id=GUILD,
        audit_id="0" * 32,
        at="2030-01-01T00:00:00.000000Z",
        actor_id=ACTOR,
        action="update",
        summary="stale",
        changed_keys=("kaltura.end_action",),
        before={},
        after={"kaltura": {"end_action": "delete"}},
        version=1,
        expires_at=int(time.time()) + 60,
    )
    with pytest.raises(ConfigConflict):
        table.write(GUILD, {"kaltura": {"end_action": "delete"}}, 0, audit)
    with pytest.raises(ConfigConflict):
        table.write(GUILD, {"kaltura": {"end_action": "delete"}}, 7, audit)
    assert store.get_overrides(GUILD) == ({"kaltura": {"end_action": "update"}}, 1)
    assert len(audit_items(client, table_name)) == 1


def test_expected_version_guards_the_write(store: ConfigStore) -> None:
    store.set_value(GUILD, "kaltura.end_action", "update", actor_id=ACTOR)
    with pytest.raises(ConfigConflict):
        store.set_value(GUILD, "kaltura.end_action", "delete", actor_id=ACTOR, expected_version=0)
    assert store.set_value(GUILD, "kaltura.end_action", "delete", actor_id=ACTOR, expected_version=1).version == 2


def test_invalid_input_writes_nothing(store: ConfigStore, client: Any, table_name: str) -> None:
    with pytest.raises(ConfigValidationError):
        store.set_value(GUILD, "kaltura.join_link_ttl_seconds", "5", actor_id=ACTOR)
    with pytest.raises(ConfigValidationError):
        store.update(GUILD, {"roles": {"default": "root"}}, actor_id=ACTOR, summary="import")
    assert items(client, table_name) == {}


def test_reset_is_audited_and_history_is_newest_first(store: ConfigStore) -> None:
    store.set_value(GUILD, "kaltura.end_action", "delete", actor_id=ACTOR)
    store.set_value(GUILD, "roles.default", "moderator", actor_id=ACTOR)
    change = store.reset(GUILD, "kaltura", actor_id=ACTOR)
    assert change.overrides == {"roles": {"default": "moderator"}} and change.version == 3
    history = store.history(GUILD, limit=10)
    assert [entry.action for entry in history] == ["reset", "set", "set"]
    assert [entry.version for entry in history] == [3, 2, 1]
    assert history[0].before == {"kaltura": {"end_action": "delete"}, "roles": {"default": "moderator"}}
    assert history[0].changed_keys == ("kaltura.end_action",)
    assert [entry.version for entry in store.history(GUILD, limit=1)] == [3]


def test_a_missing_table_is_unavailable_not_a_boto_error(
    dynamodb_endpoint: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TABLE_NAME", "no-such-table")
    store = ConfigStore(DynamoConfigTable())
    with pytest.raises(ConfigUnavailable) as caught:
        store.get_overrides(GUILD)
    assert "ResourceNotFound" not in str(caught.value)


@pytest.fixture
def atomic_store(table_name: str, dynamodb_endpoint: str) -> ConfigStore:
    """For the concurrency tests: see AtomicCalls for why moto needs it."""
    return ConfigStore(DynamoConfigTable(client=AtomicCalls(boto3.client("dynamodb", endpoint_url=dynamodb_endpoint))))


def run_together(work: list[Callable[[], None]]) -> list[BaseException | None]:
    """Start every callable at the same moment; collect what each raised (None: succeeded)."""
    start = threading.Barrier(len(work), timeout=30)
    outcomes: list[BaseException | None] = [None] * len(work)

    def run(index: int) -> None:
        start.wait()
        try:
            work[index]()
        except BaseException as exc:
            outcomes[index] = exc

    threads = [threading.Thread(target=run, args=(index,)) for index in range(len(work))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not any(thread.is_alive() for thread in threads)
    return outcomes


def role(index: int) -> str:
    return str(300000000000000100 + index)


def add_role(
    store: ConfigStore, index: int, *, max_attempts: int, before_write: Callable[[], object] | None = None
) -> Callable[[], None]:
    """A job that maps a different role per thread (different keys of the same guild's config)."""

    def change(overrides: dict[str, Any]) -> dict[str, Any]:
        if before_write is not None:
            before_write()
        return set_path(overrides, f"roles.mapping.{role(index)}", "moderator")

    def job() -> None:
        store.update(GUILD, change, actor_id=ACTOR, summary=f"thread {index}", max_attempts=max_attempts)

    return job


def test_concurrent_updates_to_different_keys_are_never_lost_silently(
    atomic_store: ConfigStore, client: Any, table_name: str
) -> None:
    store = atomic_store
    outcomes = run_together([add_role(store, index, max_attempts=1) for index in range(THREADS)])
    unexpected = [exc for exc in outcomes if exc is not None and not isinstance(exc, ConfigConflict)]
    assert unexpected == []
    won = {role(index) for index, exc in enumerate(outcomes) if exc is None}
    lost = {role(index) for index, exc in enumerate(outcomes) if isinstance(exc, ConfigConflict)}
    assert won and len(won) + len(lost) == THREADS
    overrides, version = store.get_overrides(GUILD)
    assert set(overrides["roles"]["mapping"]) == won
    assert version == len(won)
    assert len(audit_items(client, table_name)) == len(won)


def test_when_all_read_the_same_version_exactly_one_wins(atomic_store: ConfigStore) -> None:
    """Every thread reads version 0 before any writes: the conditional write must let only one through."""
    store = atomic_store
    have_read = threading.Barrier(THREADS, timeout=30)
    jobs = [add_role(store, index, max_attempts=1, before_write=have_read.wait) for index in range(THREADS)]
    outcomes = run_together(jobs)
    assert sum(exc is None for exc in outcomes) == 1
    assert sum(isinstance(exc, ConfigConflict) for exc in outcomes) == THREADS - 1
    overrides, version = store.get_overrides(GUILD)
    assert version == 1 and len(overrides["roles"]["mapping"]) == 1


def test_with_retries_every_concurrent_update_lands(atomic_store: ConfigStore) -> None:
    store = atomic_store
    outcomes = run_together([add_role(store, index, max_attempts=THREADS * 2) for index in range(THREADS)])
    assert outcomes == [None] * THREADS
    overrides, version = store.get_overrides(GUILD)
    assert set(overrides["roles"]["mapping"]) == {role(index) for index in range(THREADS)}
    assert version == THREADS
