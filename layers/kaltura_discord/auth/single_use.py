"""Single use of join tokens: the token's ``jti`` is recorded with a conditional write before the link is honoured,
so a replayed (or concurrently opened) link finds the record and is refused. Records expire through the table's
TTL (``expires_at``) shortly after the token itself, which by then no longer verifies anyway.
"""

from __future__ import annotations

from typing import Any, Protocol

from kaltura_discord.storage import dynamodb

RECORD_GRACE_SECONDS = 3600


class UseLedger(Protocol):
    def claim(self, token_id: str, expires_at: int) -> bool: ...

    def release(self, token_id: str) -> None: ...


class DynamoUseLedger(dynamodb.TableAdapter):
    """``pk = JTI#<jti>, sk = JTI``; one item per join token that was used."""

    @staticmethod
    def _key(token_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"JTI#{token_id}"}, "sk": {"S": "JTI"}}

    def claim(self, token_id: str, expires_at: int) -> bool:
        """True for the first use of ``token_id``; False when it was used before."""
        return self.put_if_absent({**self._key(token_id), "expires_at": {"N": str(expires_at + RECORD_GRACE_SECONDS)}})

    def release(self, token_id: str) -> None:
        """Give a use back when nothing was handed out for it (Kaltura did not answer)."""
        self.client.delete_item(TableName=self.table, Key=self._key(token_id))
