"""Token records on moto's DynamoDB: written once under the guild with a TTL, listed by prefix, revoked once."""

from __future__ import annotations

import pytest

from kaltura_discord.auth.records import RECORD_GRACE_SECONDS, DynamoTokenRecords, TokenRecord, TokenRegistry
from kaltura_discord.storage import dynamodb

pytestmark = pytest.mark.integration

GUILD, OTHER_GUILD = "1000000000000000100", "1000000000000000777"
USER = "1000000000000000300"


def record(token_id: str, guild_id: str = GUILD, expires_at: int = 1_800_003_600) -> TokenRecord:
    return TokenRecord(token_id, guild_id, USER, "Ada", ("meetings:read", "config:write"), 1_800_000_000, expires_at)


def test_a_record_round_trips_and_expires_after_its_token(table_name: str) -> None:
    records = DynamoTokenRecords()
    records.add(record("a" * 32))
    assert records.get(GUILD, "a" * 32) == record("a" * 32)
    assert records.get(OTHER_GUILD, "a" * 32) is None, "read under the token's own guild only"
    item = dynamodb.get_client().get_item(
        TableName=table_name, Key={"pk": {"S": f"GUILD#{GUILD}"}, "sk": {"S": f"TOKEN#{'a' * 32}"}}
    )["Item"]
    assert int(item["expires_at"]["N"]) == 1_800_003_600 + RECORD_GRACE_SECONDS
    assert item["kind"]["S"] == "api_token" and "token" not in item
    with pytest.raises(RuntimeError, match="twice"):
        records.add(record("a" * 32))


def test_a_guilds_records_are_listed_by_prefix(table_name: str) -> None:
    records = DynamoTokenRecords()
    for token_id in ("ab" + "0" * 30, "ab" + "1" * 30, "cd" + "0" * 30):
        records.add(record(token_id))
    records.add(record("ab" + "2" * 30, guild_id=OTHER_GUILD))
    assert len(records.guild_tokens(GUILD)) == 3
    assert sorted(r.token_id for r in records.guild_tokens(GUILD, "ab")) == ["ab" + "0" * 30, "ab" + "1" * 30]
    assert records.guild_tokens(GUILD, "ef") == []


def test_revoking_is_conditional(table_name: str) -> None:
    records = DynamoTokenRecords()
    records.add(record("b" * 32))
    assert records.revoke(GUILD, "b" * 32, by=USER, at=1_800_000_100) is True
    assert records.revoke(GUILD, "b" * 32, by="someone else", at=1_800_000_200) is False
    assert records.revoke(GUILD, "c" * 32, by=USER, at=1_800_000_200) is False, "no record, nothing created"
    assert records.get(GUILD, "c" * 32) is None
    revoked = records.get(GUILD, "b" * 32)
    assert revoked is not None and (revoked.revoked_at, revoked.revoked_by) == (1_800_000_100, USER)


def test_the_registry_on_dynamodb(table_name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    from kaltura_discord.auth.keys import clear_keyring
    from tests.unit.auth.support import KEYS_JSON

    monkeypatch.setenv("JWT_SIGNING_KEYS", KEYS_JSON)
    clear_keyring()
    registry = TokenRegistry(DynamoTokenRecords())
    issued = [
        registry.issue(
            guild_id=GUILD,
            user_id=USER,
            display_name="Ada",
            role_ids=(),
            scopes=("meetings:read",),
            lifetime_seconds=3600 * (n + 1),
        )
        for n in range(3)
    ]
    assert [r.token_id for r in registry.live(GUILD)] == [i.token_id for i in issued], "soonest to expire first"
    [gone] = registry.revoke(GUILD, issued[1].token_id[:8], by=USER)
    assert gone.token_id == issued[1].token_id
    assert [r.token_id for r in registry.live(GUILD)] == [issued[0].token_id, issued[2].token_id]
    assert len(registry.revoke(GUILD, "all", by=USER)) == 2
    assert registry.live(GUILD) == []
    clear_keyring()
