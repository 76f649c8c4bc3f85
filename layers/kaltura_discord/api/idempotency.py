"""``Idempotency-Key`` for creates: a retried request returns the first one's response and acts once.

One record per (guild, caller, key), written with a conditional put before any work, as the job ledger does:
``pk = GUILD#<guild>, sk = IDEMPOTENCY#<sha256 of caller and key>``. It holds a fingerprint of the request body,
``in_progress`` (with a lock that lapses after ``LOCK_SECONDS``, so a crashed attempt does not block the key for
good), then the stored response. Records expire through the table's TTL after ``RECORD_SECONDS``.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from kaltura_discord.storage import dynamodb

LOCK_SECONDS = 15
RECORD_SECONDS = 24 * 3600
_ATTEMPTS = 3


def key_hash(user_id: str, key: str) -> str:
    """Keys are the caller's: two members using the same key do not collide."""
    return hashlib.sha256(f"{user_id}\n{key}".encode()).hexdigest()


@dataclass(frozen=True)
class Previous:
    """What an earlier request with the same key left behind."""

    fingerprint: str
    state: Literal["in_progress", "completed"]
    status: int | None = None
    body: str | None = None


class IdempotencyStore(Protocol):
    def begin(self, guild_id: str, key: str, fingerprint: str) -> Previous | None:
        """None when this request owns the key now; otherwise what is already there."""
        ...

    def complete(self, guild_id: str, key: str, status: int, body: str) -> None: ...

    def abandon(self, guild_id: str, key: str) -> None: ...


class DynamoIdempotencyStore(dynamodb.TableAdapter):
    """``pk = GUILD#<guild>, sk = IDEMPOTENCY#<key>``: the first outcome of a create, returned to its retries."""

    @staticmethod
    def _key(guild_id: str, key: str) -> dict[str, Any]:
        return {"pk": {"S": f"GUILD#{guild_id}"}, "sk": {"S": f"IDEMPOTENCY#{key}"}}

    def begin(self, guild_id: str, key: str, fingerprint: str) -> Previous | None:
        for _ in range(_ATTEMPTS):
            now = int(self._clock())
            try:
                self.client.put_item(
                    TableName=self.table,
                    Item={
                        **self._key(guild_id, key),
                        "state": {"S": "in_progress"},
                        "fingerprint": {"S": fingerprint},
                        "locked_until": {"N": str(now + LOCK_SECONDS)},
                        "expires_at": {"N": str(now + RECORD_SECONDS)},
                    },
                    ConditionExpression=(
                        "attribute_not_exists(pk) OR "
                        "(#state = :in_progress AND locked_until < :now AND fingerprint = :fingerprint)"
                    ),
                    ExpressionAttributeNames={"#state": "state"},
                    ExpressionAttributeValues={
                        ":in_progress": {"S": "in_progress"},
                        ":now": {"N": str(now)},
                        ":fingerprint": {"S": fingerprint},
                    },
                )
            except Exception as exc:
                if not dynamodb.is_conditional_check_failure(exc):
                    raise
            else:
                return None
            item = self.client.get_item(TableName=self.table, Key=self._key(guild_id, key), ConsistentRead=True).get(
                "Item"
            )
            if item:
                completed = item["state"]["S"] == "completed"
                return Previous(
                    fingerprint=item["fingerprint"]["S"],
                    state="completed" if completed else "in_progress",
                    status=int(item["status"]["N"]) if completed else None,
                    body=item["body"]["S"] if completed else None,
                )
        raise RuntimeError("idempotency record kept changing")  # pragma: no cover - three races in a row

    def complete(self, guild_id: str, key: str, status: int, body: str) -> None:
        self.client.update_item(
            TableName=self.table,
            Key=self._key(guild_id, key),
            UpdateExpression="SET #state = :completed, #status = :status, body = :body REMOVE locked_until",
            ExpressionAttributeNames={"#state": "state", "#status": "status"},
            ExpressionAttributeValues={
                ":completed": {"S": "completed"},
                ":status": {"N": str(status)},
                ":body": {"S": body},
            },
        )

    def abandon(self, guild_id: str, key: str) -> None:
        """The attempt failed: free the key so a retry runs again (the domain keeps its own state)."""
        self.client.delete_item(TableName=self.table, Key=self._key(guild_id, key))
