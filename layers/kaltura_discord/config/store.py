"""Guild configuration storage: one DynamoDB item per guild, optimistic locking, an audit record per change.

``ConfigStore`` is the domain side (validate, diff, retry, build the audit record) and knows no AWS SDK;
``DynamoConfigTable`` is the adapter that writes the config item and its audit record in one transaction.
boto3 is imported only when the first DynamoDB call is made.

Items (table from TABLE_NAME):

- ``pk = GUILD#<id>, sk = CONFIG``: ``overrides`` (JSON text of the guild's overrides), ``version`` (int,
  +1 per change; an absent item is version 0), ``updated_at``, ``updated_by``.
- ``pk = GUILD#<id>, sk = AUDIT#<iso time>#<uuid>``: who, when, what (summary and changed keys), the
  overrides before and after, the new version, and ``expires_at`` (table TTL, 90 days by default).
"""

from __future__ import annotations

import contextlib
import copy
import json
import random
import time
import uuid
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, Final, Protocol

from kaltura_discord.config.defaults import Defaults, get_defaults
from kaltura_discord.config.errors import ConfigConflict, ConfigUnavailable, ConfigValidationError
from kaltura_discord.config.keys import catalog, parse_value, unknown_key_message
from kaltura_discord.config.merge import changed_keys, effective_config, effective_config_lenient, remove_path, set_path
from kaltura_discord.config.model import GuildConfig, is_snowflake
from kaltura_discord.logs import get_logger
from kaltura_discord.storage import dynamodb

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient
    from mypy_boto3_dynamodb.type_defs import AttributeValueTypeDef, PutTypeDef

CONFIG_SK: Final = "CONFIG"
AUDIT_SK_PREFIX: Final = "AUDIT#"
AUDIT_RETENTION_DAYS: Final = 90
MAX_OVERRIDES_BYTES: Final = 150_000
"""Keeps before + after of an audit record well under DynamoDB's 400 KB item limit."""
MAX_SUMMARY_CHARS: Final = 300
MAX_WRITE_ATTEMPTS: Final = 25
"""Each lost race means another writer got through, so with n writers at once none loses more than n - 1."""

ChangeFn = Callable[[dict[str, Any]], Mapping[str, Any]]

_log = get_logger("kaltura_discord.config.store")


def guild_pk(guild_id: str) -> str:
    return f"GUILD#{guild_id}"


def _dumps(value: Any) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _utcnow() -> datetime:
    return datetime.now(UTC)


@dataclass(frozen=True, slots=True)
class StoredOverrides:
    overrides: dict[str, Any]
    version: int


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One change: written in the same transaction as the config item it describes."""

    guild_id: str
    audit_id: str
    at: str
    actor_id: str
    action: str
    summary: str
    changed_keys: tuple[str, ...]
    before: dict[str, Any]
    after: dict[str, Any]
    version: int
    expires_at: int

    @property
    def sort_key(self) -> str:
        return f"{AUDIT_SK_PREFIX}{self.at}#{self.audit_id}"


@dataclass(frozen=True, slots=True)
class LoadedConfig:
    """What a read produced: the effective config, the version it came from, and overrides it ignored."""

    config: GuildConfig
    version: int
    overrides: dict[str, Any]
    ignored: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class ConfigChange:
    """The outcome of update/set/reset. ``audit`` is None when nothing changed (and nothing was written)."""

    guild_id: str
    version: int
    overrides: dict[str, Any]
    config: GuildConfig
    changed_keys: tuple[str, ...]
    audit: AuditEntry | None

    @property
    def changed(self) -> bool:
        return self.audit is not None


class ConfigTable(Protocol):
    """Persistence the store needs; ``write`` must raise ConfigConflict when the version moved."""

    def read(self, guild_id: str) -> StoredOverrides: ...

    def write(self, guild_id: str, overrides: Mapping[str, Any], expected_version: int, audit: AuditEntry) -> None: ...

    def history(self, guild_id: str, limit: int) -> list[AuditEntry]: ...


def _check_guild(guild_id: str) -> None:
    if not is_snowflake(guild_id):
        raise ConfigValidationError(f"guild id must be a Discord id (17-20 digits), got {guild_id!r:.40}")


def _check_reset_path(path: str) -> None:
    if path in catalog():
        return
    parent, _, last = path.rpartition(".")
    spec = catalog().get(parent)
    if spec is not None and spec.kind == "mapping" and is_snowflake(last):
        return
    raise ConfigValidationError(unknown_key_message(path))


class ConfigStore:
    """Read, validate and change a guild's overrides; every change is checked before anything is written."""

    def __init__(
        self,
        table: ConfigTable,
        *,
        defaults: Defaults | None = None,
        now: Callable[[], datetime] = _utcnow,
        retention_days: int = AUDIT_RETENTION_DAYS,
        sleep: Callable[[float], None] = time.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._table = table
        self._defaults = defaults
        self._now = now
        self._retention_seconds = retention_days * 86400
        self._sleep = sleep
        self._rng = rng or random.Random()

    @staticmethod
    def _time_for_another_attempt() -> bool:
        """On the interactions path a retry must still fit the first answer's deadline."""
        from kaltura_discord import deadline

        bound = deadline.current()
        return bound is None or bound.budget() >= 0.3

    @property
    def defaults(self) -> Defaults:
        return self._defaults or get_defaults()

    def get_overrides(self, guild_id: str) -> tuple[dict[str, Any], int]:
        """The guild's overrides and their version (0 and ``{}`` for a guild that never changed anything)."""
        _check_guild(guild_id)
        stored = self._table.read(guild_id)
        return stored.overrides, stored.version

    def load(self, guild_id: str) -> LoadedConfig:
        """Effective config for reads; overrides that no longer validate are ignored and logged, not fatal."""
        overrides, version = self.get_overrides(guild_id)
        config, ignored = effective_config_lenient(overrides, self.defaults)
        if ignored:
            _log.warning(
                "ignoring stored overrides that no longer validate",
                extra={"guild_id": guild_id, "ignored_keys": list(ignored), "config_version": version},
            )
        return LoadedConfig(config=config, version=version, overrides=overrides, ignored=ignored)

    def update(
        self,
        guild_id: str,
        change: ChangeFn | Mapping[str, Any],
        *,
        actor_id: str,
        summary: str,
        expected_version: int | None = None,
        max_attempts: int = MAX_WRITE_ATTEMPTS,
        action: str = "update",
    ) -> ConfigChange:
        """Apply ``change`` (a function of the current overrides, or the complete new overrides).

        The write is conditional on the version read (or ``expected_version`` when given). A lost race
        re-reads and re-applies a change function (up to ``max_attempts`` times, within the deadline) unless the
        other writers changed a key this change changes too: writers on different keys never refuse each other.
        A fixed document or an explicit ``expected_version`` is never re-applied over someone else's change.
        Raises ConfigValidationError (nothing written) or ConfigConflict (nothing written; try again).
        """
        _check_guild(guild_id)
        if not actor_id or len(actor_id) > 64:
            raise ConfigValidationError("actor id must be 1-64 characters")
        attempts = max(1, max_attempts) if callable(change) and expected_version is None else 1
        touched_by_others: tuple[str, ...] = ()
        for attempt in range(1, attempts + 1):
            stored = self._table.read(guild_id)
            if expected_version is not None and stored.version != expected_version:
                raise ConfigConflict(guild_id, expected_version)
            before = stored.overrides
            proposed = change(copy.deepcopy(before)) if callable(change) else change
            if not isinstance(proposed, Mapping):
                raise ConfigValidationError("the configuration must be a JSON object of sections")
            after = copy.deepcopy(dict(proposed))
            config = effective_config(after, self.defaults)
            if len(_dumps(after).encode()) > MAX_OVERRIDES_BYTES:
                raise ConfigValidationError(f"the configuration is larger than {MAX_OVERRIDES_BYTES // 1000} KB")
            keys = changed_keys(before, after)
            if set(keys) & set(touched_by_others):
                raise ConfigConflict(guild_id, expected_version if expected_version is not None else -1)
            if not keys:
                return ConfigChange(guild_id, stored.version, before, config, (), None)
            audit = self._audit(
                guild_id=guild_id,
                actor_id=actor_id,
                action=action,
                summary=summary,
                keys=keys,
                before=before,
                after=after,
                version=stored.version + 1,
            )
            try:
                self._table.write(guild_id, after, stored.version, audit)
            except ConfigConflict:
                if attempt >= attempts or not self._time_for_another_attempt():
                    raise
                # Someone else wrote first. Only a change to the same keys is a real conflict: find what they
                # changed, and re-apply ours on top of theirs unless it overlaps.
                current = self._table.read(guild_id)
                touched_by_others = (*touched_by_others, *changed_keys(before, current.overrides))
                _log.info("config write lost a race; retrying", extra={"guild_id": guild_id, "attempt": attempt})
                self._sleep(self._rng.uniform(0.0, min(0.2, 0.01 * 2**attempt)))
                continue
            return ConfigChange(guild_id, audit.version, after, config, keys, audit)
        raise AssertionError("unreachable")  # pragma: no cover

    def set_value(
        self,
        guild_id: str,
        key: str,
        text: str,
        *,
        actor_id: str,
        expected_version: int | None = None,
        max_attempts: int = MAX_WRITE_ATTEMPTS,
    ) -> ConfigChange:
        """``/kaltura-config set key value``: parse what was typed for ``key`` and store it."""
        key = key.strip().lower()
        value = parse_value(key, text)
        return self.update(
            guild_id,
            lambda overrides: set_path(overrides, key, value),
            actor_id=actor_id,
            summary=f"set {key} = {_dumps(value)}"[:MAX_SUMMARY_CHARS],
            expected_version=expected_version,
            max_attempts=max_attempts,
            action="set",
        )

    def reset(
        self,
        guild_id: str,
        path: str | None = None,
        *,
        actor_id: str,
        summary: str | None = None,
        expected_version: int | None = None,
        max_attempts: int = MAX_WRITE_ATTEMPTS,
    ) -> ConfigChange:
        """Back to the defaults: everything (``None``), a section, a group or one key."""
        if path is not None:
            path = path.strip().lower()
            _check_reset_path(path)
        target = path
        return self.update(
            guild_id,
            lambda overrides: remove_path(overrides, target)[0],
            actor_id=actor_id,
            summary=summary or f"reset {target or 'all settings'}",
            expected_version=expected_version,
            max_attempts=max_attempts,
            action="reset",
        )

    def history(self, guild_id: str, limit: int = 20) -> list[AuditEntry]:
        """Latest changes first (records expire after the retention period)."""
        _check_guild(guild_id)
        return self._table.history(guild_id, max(1, min(limit, 100)))

    def _audit(
        self,
        *,
        guild_id: str,
        actor_id: str,
        action: str,
        summary: str,
        keys: tuple[str, ...],
        before: dict[str, Any],
        after: dict[str, Any],
        version: int,
    ) -> AuditEntry:
        now = self._now().astimezone(UTC)
        return AuditEntry(
            guild_id=guild_id,
            audit_id=uuid.uuid4().hex,
            at=now.isoformat(timespec="microseconds").replace("+00:00", "Z"),
            actor_id=actor_id,
            action=action,
            summary=summary[:MAX_SUMMARY_CHARS],
            changed_keys=keys,
            before=before,
            after=after,
            version=version,
            expires_at=int(now.timestamp()) + self._retention_seconds,
        )


def _s(value: str) -> AttributeValueTypeDef:
    return {"S": value}


def _n(value: int) -> AttributeValueTypeDef:
    return {"N": str(value)}


class DynamoConfigTable:
    """The DynamoDB adapter; the container's client is fetched on first use (boto3 stays out of the PING path)."""

    def __init__(self, table_name: str | None = None, client: DynamoDBClient | None = None) -> None:
        self._table_name = table_name
        self._client = client

    @property
    def table_name(self) -> str:
        if self._table_name is None:
            self._table_name = dynamodb.table_name()
        return self._table_name

    @property
    def client(self) -> DynamoDBClient:
        if self._client is None:
            self._client = dynamodb.get_client()
        return self._client

    def _key(self, guild_id: str, sort_key: str) -> dict[str, AttributeValueTypeDef]:
        return {"pk": _s(guild_pk(guild_id)), "sk": _s(sort_key)}

    def read(self, guild_id: str) -> StoredOverrides:
        with _translate_errors(guild_id):
            response = self.client.get_item(
                TableName=self.table_name,
                Key=self._key(guild_id, CONFIG_SK),
                ConsistentRead=True,
                ProjectionExpression="#o, #v",
                ExpressionAttributeNames={"#o": "overrides", "#v": "version"},
            )
        item = response.get("Item")
        if not item:
            return StoredOverrides({}, 0)
        version = int(item.get("version", {}).get("N", "0"))
        try:
            overrides = json.loads(item.get("overrides", {}).get("S", "{}"))
        except json.JSONDecodeError:
            overrides = None
        if not isinstance(overrides, dict):
            # Unreadable: act as if empty; the next change overwrites it (conditional on this version).
            _log.error("stored overrides are unreadable", extra={"guild_id": guild_id, "config_version": version})
            overrides = {}
        return StoredOverrides(overrides, version)

    def write(self, guild_id: str, overrides: Mapping[str, Any], expected_version: int, audit: AuditEntry) -> None:
        config_item: dict[str, AttributeValueTypeDef] = {
            **self._key(guild_id, CONFIG_SK),
            "overrides": _s(_dumps(overrides)),
            "version": _n(audit.version),
            "updated_at": _s(audit.at),
            "updated_by": _s(audit.actor_id),
        }
        config_put: PutTypeDef = {"TableName": self.table_name, "Item": config_item}
        if expected_version == 0:
            config_put["ConditionExpression"] = "attribute_not_exists(pk)"
        else:
            config_put["ConditionExpression"] = "#v = :expected"
            config_put["ExpressionAttributeNames"] = {"#v": "version"}
            config_put["ExpressionAttributeValues"] = {":expected": _n(expected_version)}
        audit_item: dict[str, AttributeValueTypeDef] = {
            **self._key(guild_id, audit.sort_key),
            "kind": _s("config_audit"),
            "audit_id": _s(audit.audit_id),
            "at": _s(audit.at),
            "actor_id": _s(audit.actor_id),
            "action": _s(audit.action),
            "summary": _s(audit.summary),
            "changed_keys": {"L": [_s(key) for key in audit.changed_keys]},
            "before": _s(_dumps(audit.before)),
            "after": _s(_dumps(audit.after)),
            "version": _n(audit.version),
            "expires_at": _n(audit.expires_at),
        }
        with _translate_errors(guild_id, expected_version):
            self.client.transact_write_items(
                TransactItems=[
                    {"Put": config_put},
                    {
                        "Put": {
                            "TableName": self.table_name,
                            "Item": audit_item,
                            "ConditionExpression": "attribute_not_exists(sk)",
                        }
                    },
                ]
            )

    def history(self, guild_id: str, limit: int) -> list[AuditEntry]:
        with _translate_errors(guild_id):
            response = self.client.query(
                TableName=self.table_name,
                KeyConditionExpression="pk = :pk AND begins_with(sk, :prefix)",
                ExpressionAttributeValues={":pk": _s(guild_pk(guild_id)), ":prefix": _s(AUDIT_SK_PREFIX)},
                ScanIndexForward=False,
                Limit=limit,
            )
        return [_audit_from_item(guild_id, item) for item in response.get("Items", [])]


def _audit_from_item(guild_id: str, item: Mapping[str, Any]) -> AuditEntry:
    def text(name: str) -> str:
        return str(item.get(name, {}).get("S", ""))

    def number(name: str) -> int:
        return int(item.get(name, {}).get("N", "0"))

    return AuditEntry(
        guild_id=guild_id,
        audit_id=text("audit_id"),
        at=text("at"),
        actor_id=text("actor_id"),
        action=text("action"),
        summary=text("summary"),
        changed_keys=tuple(str(entry.get("S", "")) for entry in item.get("changed_keys", {}).get("L", [])),
        before=json.loads(text("before") or "{}"),
        after=json.loads(text("after") or "{}"),
        version=number("version"),
        expires_at=number("expires_at"),
    )


@contextlib.contextmanager
def _translate_errors(guild_id: str, expected_version: int = -1) -> Iterator[None]:
    """Map botocore failures to the boundary's errors: lost condition -> ConfigConflict, else ConfigUnavailable."""
    try:
        yield
    except Exception as exc:
        from botocore.exceptions import BotoCoreError, ClientError

        from kaltura_discord.aws import ServiceUnavailable

        if isinstance(exc, ServiceUnavailable):
            pass  # the breaker logged the outage once
        elif isinstance(exc, ClientError):
            code = exc.response.get("Error", {}).get("Code", "")
            reasons = {reason.get("Code") for reason in exc.response.get("CancellationReasons", [])}
            if code in {"ConditionalCheckFailedException", "TransactionConflictException"} or reasons & {
                "ConditionalCheckFailed",
                "TransactionConflict",
            }:
                raise ConfigConflict(guild_id, expected_version) from None
            _log.warning("config store call failed", extra={"guild_id": guild_id, "error_code": code})
        elif isinstance(exc, BotoCoreError):
            _log.warning("config store unreachable", extra={"guild_id": guild_id, "error": type(exc).__name__})
        else:
            raise
        raise ConfigUnavailable("the configuration store is unavailable right now; please try again shortly") from exc
