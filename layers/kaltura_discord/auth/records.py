"""The record of every API token, and the check a token passes each time it is used.

A token's signature only proves that this service minted it; its record says whether it still counts. That is what
lets a server's admins see the tokens in circulation and take one back without rotating the signing key (which
would kill every token of every server):

- ``/kaltura-token create`` writes the record before it shows the token: its ``jti``, the guild, the member who
  minted it, the scopes and the expiry. The table's TTL removes it an hour after the token expires.
- ``/kaltura-token revoke`` and ``DELETE /v1/tokens/self`` mark it revoked (the record stays, saying who revoked
  it and when, until the TTL removes it).
- :class:`TokenGate` checks the record on use. A token without one (revoked, or minted before tokens were
  recorded) is refused with ``token_revoked``.

Item: ``pk = GUILD#<guild id>``, ``sk = TOKEN#<jti>``. Kept under the guild, a server's tokens are listed with one
query, and a token's record is read with the guild its own verified claims name, so no token can reach another
server's records.

Stdlib and the DynamoDB adapter only: the interactions path (``/kaltura-token list`` and ``revoke``) imports this.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final, Protocol

from kaltura_discord import settings
from kaltura_discord.auth.expiring import Expiring
from kaltura_discord.auth.tokens import SCOPES, ApiClaims, Scope, revoked, short_id
from kaltura_discord.storage import dynamodb

if TYPE_CHECKING:
    from kaltura_discord.auth.keys import KeyRing
    from kaltura_discord.auth.tokens import IssuedToken

RECORD_GRACE_SECONDS: Final = 3600
"""Records outlive their token by this much (a token is still accepted for 30 s of leeway past ``exp``)."""
CACHE_SETTING: Final = "TOKEN_STATE_CACHE_SECONDS"
MAX_CACHE_SECONDS: Final = 60
"""The longest a revoked token may keep working in a warm container: the issue's promise, and the ceiling."""
CACHE_ENTRIES: Final = 10_000
MIN_PREFIX_LENGTH: Final = 4
MAX_QUERY_PAGES: Final = 20
ALL: Final = "all"


@dataclass(frozen=True)
class TokenRecord:
    token_id: str
    guild_id: str
    user_id: str
    """The member who minted the token, and whom it acts as."""
    user_name: str
    scopes: tuple[str, ...]
    issued_at: int
    expires_at: int
    revoked_at: int | None = None
    revoked_by: str | None = None

    @property
    def short_id(self) -> str:
        return short_id(self.token_id)

    def live(self, now: float) -> bool:
        return self.revoked_at is None and now < self.expires_at


class TokenRecordError(Exception):
    """The one error type of token records that a person can act on (the storage's own failures stay its own)."""


class AmbiguousToken(TokenRecordError):
    """A short id that more than one live token of the server starts with."""


class TokenRecords(Protocol):
    def add(self, record: TokenRecord) -> None: ...

    def get(self, guild_id: str, token_id: str) -> TokenRecord | None: ...

    def guild_tokens(self, guild_id: str, prefix: str = "") -> list[TokenRecord]: ...

    def revoke(self, guild_id: str, token_id: str, *, by: str, at: int) -> bool: ...


class DynamoTokenRecords(dynamodb.TableAdapter):
    """Token records in the single table (see the module docstring for the item)."""

    @staticmethod
    def _key(guild_id: str, token_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"GUILD#{guild_id}"}, "sk": {"S": f"TOKEN#{token_id}"}}

    def add(self, record: TokenRecord) -> None:
        item: dict[str, Any] = {
            **self._key(record.guild_id, record.token_id),
            "kind": {"S": "api_token"},
            "user_id": {"S": record.user_id},
            "user_name": {"S": record.user_name or "Member"},
            "scopes": {"S": " ".join(record.scopes)},
            "issued_at": {"N": str(record.issued_at)},
            "token_expires_at": {"N": str(record.expires_at)},
            "expires_at": {"N": str(record.expires_at + RECORD_GRACE_SECONDS)},
        }
        if not self.put_if_absent(item):
            raise RuntimeError("a token id was minted twice")  # 128 random bits: a bug, never a coincidence

    def get(self, guild_id: str, token_id: str) -> TokenRecord | None:
        """Read consistently: a token used the moment it was minted must find its record."""
        item = self.client.get_item(TableName=self.table, Key=self._key(guild_id, token_id), ConsistentRead=True).get(
            "Item"
        )
        return _from_item(guild_id, item) if item else None

    def guild_tokens(self, guild_id: str, prefix: str = "") -> list[TokenRecord]:
        """The server's records (live or not), those whose id starts with ``prefix`` when given."""
        found: list[TokenRecord] = []
        start: dict[str, Any] | None = None
        for _ in range(MAX_QUERY_PAGES):
            request: dict[str, Any] = {
                "TableName": self.table,
                "KeyConditionExpression": "pk = :pk AND begins_with(sk, :sk)",
                "ExpressionAttributeValues": {":pk": {"S": f"GUILD#{guild_id}"}, ":sk": {"S": f"TOKEN#{prefix}"}},
                "ConsistentRead": True,
            }
            if start is not None:
                request["ExclusiveStartKey"] = start
            page = self.client.query(**request)
            found.extend(_from_item(guild_id, item) for item in page.get("Items", []))
            start = page.get("LastEvaluatedKey")
            if not start:
                break
        return found

    def revoke(self, guild_id: str, token_id: str, *, by: str, at: int) -> bool:
        """True when this call revoked it; False when it was revoked already or has no record."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key=self._key(guild_id, token_id),
                UpdateExpression="SET revoked_at = :at, revoked_by = :by",
                ConditionExpression="attribute_exists(pk) AND attribute_not_exists(revoked_at)",
                ExpressionAttributeValues={":at": {"N": str(at)}, ":by": {"S": by}},
            )
        except Exception as exc:
            if dynamodb.is_conditional_check_failure(exc):
                return False
            raise
        return True


def _from_item(guild_id: str, item: dict[str, Any]) -> TokenRecord:
    return TokenRecord(
        token_id=item["sk"]["S"].removeprefix("TOKEN#"),
        guild_id=guild_id,
        user_id=item["user_id"]["S"],
        user_name=item.get("user_name", {}).get("S", "Member"),
        scopes=tuple(item["scopes"]["S"].split()),
        issued_at=int(item["issued_at"]["N"]),
        expires_at=int(item["token_expires_at"]["N"]),
        revoked_at=int(item["revoked_at"]["N"]) if "revoked_at" in item else None,
        revoked_by=item["revoked_by"]["S"] if "revoked_by" in item else None,
    )


class TokenRegistry:
    """What ``/kaltura-token`` does with records: mint and record, list the live ones, revoke."""

    def __init__(self, records: TokenRecords, clock: Callable[[], float] = time.time) -> None:
        self.records = records
        self._clock = clock

    def issue(
        self,
        *,
        guild_id: str,
        user_id: str,
        display_name: str,
        role_ids: Iterable[str],
        scopes: Iterable[Scope],
        lifetime_seconds: int,
        keyring: KeyRing | None = None,
    ) -> IssuedToken:
        """Mint a token and record it; the token exists for its holder only once the record does."""
        from kaltura_discord.auth.tokens import mint_api_token

        chosen = tuple(scopes)
        now = int(self._clock())
        issued = mint_api_token(
            guild_id=guild_id,
            user_id=user_id,
            display_name=display_name,
            role_ids=role_ids,
            scopes=chosen,
            lifetime_seconds=lifetime_seconds,
            now=now,
            keyring=keyring,
        )
        record = TokenRecord(
            token_id=issued.token_id,
            guild_id=guild_id,
            user_id=user_id,
            user_name=display_name[:100],
            scopes=tuple(scope for scope in SCOPES if scope in chosen),
            issued_at=now,
            expires_at=issued.expires_at,
        )
        self.records.add(record)
        return issued

    def live(self, guild_id: str, prefix: str = "") -> list[TokenRecord]:
        """The server's tokens that still work, soonest to expire first."""
        now = self._clock()
        found = [record for record in self.records.guild_tokens(guild_id, prefix) if record.live(now)]
        return sorted(found, key=lambda record: (record.expires_at, record.token_id))

    def revoke(self, guild_id: str, which: str, *, by: str) -> list[TokenRecord]:
        """Revoke the live token whose id starts with ``which`` (a short id), or every live one (``all``).

        Returns what this call revoked: empty when nothing matched. A prefix shared by several live tokens raises
        :class:`AmbiguousToken` and revokes nothing.
        """
        which = which.strip().lower()
        if which == ALL:
            targets = self.live(guild_id)
        else:
            if not (MIN_PREFIX_LENGTH <= len(which) <= 64 and all(c in "0123456789abcdef" for c in which)):
                return []
            targets = self.live(guild_id, which)
            if len(targets) > 1:
                raise AmbiguousToken(
                    f"More than one live token starts with `{which}`: give more of its id (from the list)."
                )
        now = int(self._clock())
        done = []
        for record in targets:
            if self.records.revoke(guild_id, record.token_id, by=by, at=now):
                done.append(replace(record, revoked_at=now, revoked_by=by))
        return done


def cache_seconds() -> int:
    """``TOKEN_STATE_CACHE_SECONDS``: how long a container trusts what it last read about a token (0-60, 60)."""
    value = settings.integer(CACHE_SETTING, MAX_CACHE_SECONDS)
    if not 0 <= value <= MAX_CACHE_SECONDS:
        raise settings.ConfigurationError(f"{CACHE_SETTING} must be 0 to {MAX_CACHE_SECONDS} seconds, got {value}")
    return value


class TokenGate:
    """Refuses a verified token unless its record says it still counts.

    The answer for each token is kept for ``ttl_seconds`` (at most 60), so a busy client costs one read a minute
    per container, and a revocation reaches every warm container within that time. Unknown tokens are remembered
    too (the read is consistent, so "no record" is the truth, not a lag); storage failures are not remembered.
    """

    def __init__(
        self,
        records: TokenRecords,
        ttl_seconds: float = MAX_CACHE_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        max_entries: int = CACHE_ENTRIES,
    ) -> None:
        if not 0 <= ttl_seconds <= MAX_CACHE_SECONDS:
            raise ValueError(f"the token cache keeps answers 0 to {MAX_CACHE_SECONDS} seconds")
        self.records = records
        self.ttl_seconds = ttl_seconds
        self._wall_clock = wall_clock
        self._answers: Expiring[bool] = Expiring(ttl_seconds, max_entries, clock)

    def check(self, claims: ApiClaims) -> None:
        """Return quietly for a token on record and not revoked; raise ``token_revoked`` otherwise."""
        if not self._valid(claims):
            raise revoked()

    def _valid(self, claims: ApiClaims) -> bool:
        def read() -> bool:
            record = self.records.get(claims.guild_id, claims.token_id)
            return bool(
                record is not None
                and record.revoked_at is None
                and record.user_id == claims.user_id
                and claims.scopes <= set(record.scopes)
            )

        return self._answers.get((claims.token_id,), read)

    def revoke_own(self, claims: ApiClaims) -> TokenRecord:
        """The holder gives the token back (``DELETE /v1/tokens/self``); refused at once in this container."""
        record = self.records.get(claims.guild_id, claims.token_id)
        if record is None or record.user_id != claims.user_id:
            raise revoked()
        now = int(self._wall_clock())
        if not self.records.revoke(claims.guild_id, claims.token_id, by=claims.user_id, at=now):
            raise revoked()
        self._answers.put((claims.token_id,), False)
        return replace(record, revoked_at=now, revoked_by=claims.user_id)


_registry: TokenRegistry | None = None


def get_registry() -> TokenRegistry:
    """The container's registry (DynamoDB, TABLE_NAME), made on first use; tests install another."""
    global _registry  # noqa: PLW0603 - one per container
    if _registry is None:
        _registry = TokenRegistry(DynamoTokenRecords())
    return _registry


def set_registry(registry: TokenRegistry | None) -> None:
    global _registry  # noqa: PLW0603
    _registry = registry
