"""In-memory stand-ins shared by tests and the benchmark: the config store's table and a monotonic clock."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Mapping
from typing import Any

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
