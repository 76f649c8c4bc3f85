"""The API's DynamoDB records on moto's server: idempotency keys and single-use join tokens (conditional writes)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest

from kaltura_discord.api.idempotency import LOCK_SECONDS, DynamoIdempotencyStore
from kaltura_discord.auth.single_use import RECORD_GRACE_SECONDS, DynamoUseLedger
from kaltura_discord.storage import dynamodb

pytestmark = pytest.mark.integration

GUILD = "1000000000000000100"


class Clock:
    def __init__(self) -> None:
        self.now = 1_800_000_000.0

    def __call__(self) -> float:
        return self.now


def test_an_idempotency_key_is_owned_once_then_replayed(table_name: str) -> None:
    store = DynamoIdempotencyStore(clock=Clock())
    assert store.begin(GUILD, "key", "fp") is None
    in_progress = store.begin(GUILD, "key", "fp")
    assert in_progress is not None and in_progress.state == "in_progress"
    store.complete(GUILD, "key", 201, '{"data": 1}')
    done = store.begin(GUILD, "key", "other-fp")
    assert done is not None
    assert (done.state, done.status, done.body, done.fingerprint) == ("completed", 201, '{"data": 1}', "fp")
    item = dynamodb.get_client().get_item(
        TableName=table_name, Key={"pk": {"S": f"GUILD#{GUILD}"}, "sk": {"S": "IDEMPOTENCY#key"}}
    )["Item"]
    assert int(item["expires_at"]["N"]) == 1_800_000_000 + 24 * 3600
    assert "locked_until" not in item


def test_an_abandoned_or_stale_attempt_frees_the_key(table_name: str) -> None:
    clock = Clock()
    store = DynamoIdempotencyStore(clock=clock)
    assert store.begin(GUILD, "key", "fp") is None
    store.abandon(GUILD, "key")
    assert store.begin(GUILD, "key", "fp") is None

    clock.now += LOCK_SECONDS + 1
    other_body = store.begin(GUILD, "key", "another-fp")
    assert other_body is not None and other_body.fingerprint == "fp"
    assert store.begin(GUILD, "key", "fp") is None, "a crashed attempt's lock lapses for the same request"


def test_concurrent_first_uses_of_a_key_have_one_owner(table_name: str) -> None:
    store = DynamoIdempotencyStore()
    barrier = threading.Barrier(8)

    def attempt(_: int) -> bool:
        barrier.wait()
        return store.begin(GUILD, "race", "fp") is None

    with ThreadPoolExecutor(8) as pool:
        owners = list(pool.map(attempt, range(8)))
    assert owners.count(True) == 1


def test_a_join_token_is_used_once_even_under_concurrency(table_name: str) -> None:
    ledger = DynamoUseLedger()
    barrier = threading.Barrier(8)

    def use(_: int) -> bool:
        barrier.wait()
        return ledger.claim("jti-1", 1_800_000_300)

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(use, range(8)))
    assert results.count(True) == 1
    assert ledger.claim("jti-1", 1_800_000_300) is False
    item = dynamodb.get_client().get_item(TableName=table_name, Key={"pk": {"S": "JTI#jti-1"}, "sk": {"S": "JTI"}})[
        "Item"
    ]
    assert int(item["expires_at"]["N"]) == 1_800_000_300 + RECORD_GRACE_SECONDS

    ledger.release("jti-1")
    assert ledger.claim("jti-1", 1_800_000_300) is True
