"""The job ledger: one record per interaction id, claimed with a conditional write before any work, so a
duplicated asynchronous invoke (or a replayed signed request) never acts twice. Records expire through the
table's TTL.

- The worker **claims** a job before running it. The claim carries a claim id, so a claim whose answer was lost
  and is sent again recognises its own record instead of mistaking itself for a duplicate.
- The interactions function **abandons** a job it could not hand over: if the worker never claimed it, the record
  makes sure it never runs late; if the worker already did, the hand-off did work after all.
- Handlers with a side effect on the interactions path (``/kaltura-token``, ``/kaltura-config set``) record the
  interaction **once**: a replayed request is refused.
"""

from __future__ import annotations

import json
from typing import Any, Literal

from kaltura_discord.storage import dynamodb

JOB_RECORD_TTL_SECONDS = 2 * 24 * 3600
Abandoned = Literal["abandoned", "already_claimed"]


class JobLedger(dynamodb.TableAdapter):
    @staticmethod
    def _key(interaction_id: str) -> dict[str, Any]:
        return {"pk": {"S": f"JOB#{interaction_id}"}, "sk": {"S": "JOB"}}

    def _record(self, interaction_id: str, kind: str, status: str, claim_id: str = "") -> dict[str, Any]:
        now = int(self._clock())
        item = {
            **self._key(interaction_id),
            "kind": {"S": kind},
            "status": {"S": status},
            "started_at": {"N": str(now)},
            "expires_at": {"N": str(now + JOB_RECORD_TTL_SECONDS)},
        }
        if claim_id:
            item["claim_id"] = {"S": claim_id}
        return item

    def claim(self, interaction_id: str, kind: str, claim_id: str = "") -> bool:
        """True when this call (or an earlier attempt of the same ``claim_id``) owns the job; False when someone
        else claimed it, or the interactions function abandoned it."""
        if self.put_if_absent(self._record(interaction_id, kind, "in_progress", claim_id)):
            return True
        return bool(claim_id) and (self.get(interaction_id) or {}).get("claim_id") == claim_id

    def abandon(self, interaction_id: str, kind: str) -> Abandoned:
        """Make sure a job that could not be handed over never runs, unless the worker already has it."""
        if self.put_if_absent(self._record(interaction_id, kind, "abandoned")):
            return "abandoned"
        return "already_claimed"

    def once(self, interaction_id: str, kind: str) -> bool:
        """True the first time an interaction acts; False for a replay of the same signed request."""
        return self.put_if_absent(self._record(interaction_id, kind, "handled"))

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
            "claim_id": item.get("claim_id", {}).get("S", ""),
            "outcome": json.loads(item["outcome"]["S"]) if "outcome" in item else None,
        }


_ledger: JobLedger | None = None


def get_ledger() -> JobLedger:
    """The container's ledger (DynamoDB, TABLE_NAME), made on first use; tests install another."""
    global _ledger  # noqa: PLW0603 - one per container
    if _ledger is None:
        _ledger = JobLedger()
    return _ledger


def set_ledger(ledger: JobLedger | None) -> None:
    global _ledger  # noqa: PLW0603
    _ledger = ledger
