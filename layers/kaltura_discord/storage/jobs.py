"""The job ledger: one record per interaction id, claimed with a conditional write before any work, so a
duplicated asynchronous invoke never acts twice. Records expire through the table's TTL.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from kaltura_discord.storage import dynamodb

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

JOB_RECORD_TTL_SECONDS = 2 * 24 * 3600


class JobLedger:
    def __init__(
        self,
        client: DynamoDBClient | None = None,
        table: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._client = client
        self._table = table
        self._clock = clock

    @property
    def client(self) -> DynamoDBClient:
        if self._client is None:
            self._client = dynamodb.get_client()
        return self._client

    @property
    def table(self) -> str:
        if self._table is None:
            self._table = dynamodb.table_name()
        return self._table

    @staticmethod
    def _key(interaction_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"JOB#{interaction_id}"}, "sk": {"S": "JOB"}}

    def claim(self, interaction_id: str, kind: str) -> bool:
        """True when this call is the first for the interaction; False when a record already exists."""
        now = int(self._clock())
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    **self._key(interaction_id),
                    "kind": {"S": kind},
                    "status": {"S": "in_progress"},
                    "started_at": {"N": str(now)},
                    "expires_at": {"N": str(now + JOB_RECORD_TTL_SECONDS)},
                },
                ConditionExpression="attribute_not_exists(pk)",
            )
        except Exception as exc:
            if dynamodb.is_conditional_check_failure(exc):
                return False
            raise
        return True

    def complete(self, interaction_id: str, status: str, outcome: dict[str, Any] | None = None) -> None:
        self.client.update_item(
            TableName=self.table,
            Key=self._key(interaction_id),
            UpdateExpression="SET #status = :status, finished_at = :now, outcome = :outcome",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":status": {"S": status},
                ":now": {"N": str(int(self._clock()))},
                ":outcome": {"S": json.dumps(outcome or {}, separators=(",", ":"))},
            },
        )

    def get(self, interaction_id: str) -> dict[str, Any] | None:
        item = self.client.get_item(TableName=self.table, Key=self._key(interaction_id), ConsistentRead=True).get(
            "Item"
        )
        if not item:
            return None
        return {
            "kind": item["kind"]["S"],
            "status": item["status"]["S"],
            "outcome": json.loads(item["outcome"]["S"]) if "outcome" in item else None,
        }
