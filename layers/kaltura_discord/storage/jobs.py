"""The job ledger: one record per interaction id, claimed with a conditional write before any work, so a
duplicated asynchronous invoke never acts twice. Records expire through the table's TTL.
"""

from __future__ import annotations

import json
from typing import Any

from kaltura_discord.storage import dynamodb

JOB_RECORD_TTL_SECONDS = 2 * 24 * 3600


class JobLedger(dynamodb.TableAdapter):
    @staticmethod
    def _key(interaction_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"JOB#{interaction_id}"}, "sk": {"S": "JOB"}}

    def claim(self, interaction_id: str, kind: str) -> bool:
        """True when this call is the first for the interaction; False when a record already exists."""
        now = int(self._clock())
        return self.put_if_absent(
            {
                **self._key(interaction_id),
                "kind": {"S": kind},
                "status": {"S": "in_progress"},
                "started_at": {"N": str(now)},
                "expires_at": {"N": str(now + JOB_RECORD_TTL_SECONDS)},
            }
        )

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
