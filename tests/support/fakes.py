"""In-memory stand-ins shared by tests and the benchmark: the config store's table, a monotonic clock, the job
ledger, token records and Discord's view of servers and members."""

from __future__ import annotations

import dataclasses
import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

from kaltura_discord.auth.records import TokenRecord
from kaltura_discord.auth.rights import GuildSnapshot, MemberSnapshot, RightsUnavailable
from kaltura_discord.aws import ServiceUnavailable
from kaltura_discord.config.errors import ConfigConflict, ConfigUnavailable
from kaltura_discord.config.store import AuditEntry, StoredOverrides
from kaltura_discord.storage.jobs import JobLedger

GUILD = "100000000000000001"
OTHER_GUILD = "100000000000000002"
ACTOR = "200000000000000001"
ROLE_A = "300000000000000001"
ROLE_B = "300000000000000002"
CHANNEL = "400000000000000001"


class MemoryConfigTable:
    """Behaves like DynamoConfigTable: versioned conditional writes, audit written with the change or not at all."""

    def __init__(self) -> None:
        self.items: dict[str, tuple[str, int]] = {}
        self.audit: dict[str, list[AuditEntry]] = {}
        self.reads = 0
        self.writes = 0
        self.fail_next_reads = 0
        self.stale_reads: StoredOverrides | None = None
        self.before_write: Callable[[], None] | None = None
        self._lock = threading.Lock()

    def read(self, guild_id: str) -> StoredOverrides:
        self.reads += 1
        if self.fail_next_reads:
            self.fail_next_reads -= 1
            raise ConfigUnavailable("the configuration store is unavailable right now; please try again shortly")
        if self.stale_reads is not None:
            return self.stale_reads
        text, version = self.items.get(guild_id, ("{}", 0))
        return StoredOverrides(json.loads(text), version)

    def write(self, guild_id: str, overrides: Mapping[str, Any], expected_version: int, audit: AuditEntry) -> None:
        hook, self.before_write = self.before_write, None
        if hook is not None:
            hook()
        with self._lock:
            current = self.items.get(guild_id, ("{}", 0))[1]
            if current != expected_version:
                raise ConfigConflict(guild_id, expected_version)
            self.writes += 1
            self.items[guild_id] = (json.dumps(overrides), audit.version)
            self.audit.setdefault(guild_id, []).append(audit)

    def history(self, guild_id: str, limit: int) -> list[AuditEntry]:
        return sorted(self.audit.get(guild_id, []), key=lambda entry: entry.sort_key, reverse=True)[:limit]

    def put(self, guild_id: str, overrides: Mapping[str, Any], version: int) -> None:
        """Simulate a write made by another container (no audit, no cache of ours involved)."""
        self.items[guild_id] = (json.dumps(overrides), version)


class FakeClock:
    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class MemoryJobLedger(JobLedger):
    """The job ledger's rules (first write wins, a claim recognises its own id) in memory, for unit tests."""

    def __init__(self) -> None:
        super().__init__(client=None, table="memory")
        self.records: dict[str, dict[str, Any]] = {}
        self._records_lock = threading.Lock()

    def put_if_absent(self, item: dict[str, Any]) -> bool:
        key = str(item["pk"]["S"]).removeprefix("JOB#")
        with self._records_lock:
            if key in self.records:
                return False
            self.records[key] = {name: next(iter(value.values())) for name, value in item.items()}
        return True

    def get(self, interaction_id: str) -> dict[str, Any] | None:
        record = self.records.get(interaction_id)
        if record is None:
            return None
        claim_id = record.get("claim_id", "")
        return {"kind": record["kind"], "status": record["status"], "claim_id": claim_id, "outcome": None}

    def complete(self, interaction_id: str, status: str, outcome: dict[str, Any] | None = None) -> None:
        self.records[interaction_id]["status"] = status


class MemoryTokenRecords:
    """Token records with DynamoDB's rules (a record is written once; revoking needs a live record), in memory."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], TokenRecord] = {}
        self.reads = 0
        self.failure: Exception | None = None
        """Raised by every call while set: ``outage()`` as on the interactions path, a botocore error elsewhere."""
        self._lock = threading.Lock()

    @staticmethod
    def outage() -> Exception:
        return ServiceUnavailable("dynamodb", "injected outage")

    def _check(self) -> None:
        if self.failure is not None:
            raise self.failure

    def add(self, record: TokenRecord) -> None:
        self._check()
        with self._lock:
            key = (record.guild_id, record.token_id)
            if key in self.items:
                raise RuntimeError("a token id was minted twice")
            self.items[key] = record

    def get(self, guild_id: str, token_id: str) -> TokenRecord | None:
        self._check()
        self.reads += 1
        return self.items.get((guild_id, token_id))

    def guild_tokens(self, guild_id: str, prefix: str = "") -> list[TokenRecord]:
        self._check()
        return [r for (g, t), r in self.items.items() if g == guild_id and t.startswith(prefix)]

    def revoke(self, guild_id: str, token_id: str, *, by: str, at: int) -> bool:
        self._check()
        with self._lock:
            record = self.items.get((guild_id, token_id))
            if record is None or record.revoked_at is not None:
                return False
            self.items[(guild_id, token_id)] = dataclasses.replace(record, revoked_at=at, revoked_by=by)
        return True


MANAGE_GUILD_BIT = 1 << 5


class MemoryGuildDirectory:
    """Servers, roles and members as Discord would describe them.

    A server nobody set up is an open one: anyone asked about is a member (with the roles :meth:`set_member` gave
    them, else none), and @everyone has Manage Server, so tests about other things need no set-up.
    :meth:`set_guild` makes a server strict: only members added with :meth:`set_member` exist, with the roles'
    permissions.
    """

    def __init__(self) -> None:
        self.guilds: dict[str, GuildSnapshot] = {}
        self.members: dict[tuple[str, str], MemberSnapshot] = {}
        self.unreachable = False
        self.lookups: list[tuple[str, ...]] = []

    def set_guild(self, guild_id: str, owner_id: str, roles: Mapping[str, int] | None = None) -> None:
        self.guilds[guild_id] = GuildSnapshot(guild_id, owner_id, dict(roles or {guild_id: 0}))

    def set_member(self, guild_id: str, user_id: str, *roles: str, timed_out_until: float | None = None) -> None:
        self.members[(guild_id, user_id)] = MemberSnapshot(user_id, tuple(roles), timed_out_until)

    def remove_member(self, guild_id: str, user_id: str) -> None:
        self.members.pop((guild_id, user_id), None)

    def _reach(self) -> None:
        if self.unreachable:
            raise RightsUnavailable("Discord could not be reached (injected)")

    def guild(self, guild_id: str) -> GuildSnapshot | None:
        self._reach()
        self.lookups.append(("guild", guild_id))
        if guild_id in self.guilds:
            return self.guilds[guild_id]
        return GuildSnapshot(guild_id, "0", {guild_id: MANAGE_GUILD_BIT})

    def member(self, guild_id: str, user_id: str) -> MemberSnapshot | None:
        self._reach()
        self.lookups.append(("member", guild_id, user_id))
        known = self.members.get((guild_id, user_id))
        if guild_id not in self.guilds:
            return known or MemberSnapshot(user_id, ())
        return known
