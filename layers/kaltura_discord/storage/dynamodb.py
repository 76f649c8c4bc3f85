"""The container's DynamoDB client and table name (boto3 honours AWS_ENDPOINT_URL_DYNAMODB by itself).

The client is a :class:`~kaltura_discord.aws.BoundedClient`: on the interactions path (a deadline is set) each
call fits the time left and a dead table fails fast; elsewhere it is an ordinary client with standard retries.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, cast

from kaltura_discord import settings

if TYPE_CHECKING:
    from mypy_boto3_dynamodb import DynamoDBClient

    from kaltura_discord.aws import BoundedClient

_client: BoundedClient | None = None


def _standard_client() -> DynamoDBClient:
    import boto3
    from botocore.config import Config

    config = Config(connect_timeout=2, read_timeout=3, retries={"max_attempts": 3, "mode": "standard"})
    return boto3.client("dynamodb", config=config)


def bounded_client() -> BoundedClient:
    global _client  # noqa: PLW0603 - one client per container
    if _client is None:
        from kaltura_discord.aws import BoundedClient

        _client = BoundedClient("dynamodb", _standard_client)
    return _client


def get_client() -> DynamoDBClient:
    return cast("DynamoDBClient", bounded_client())


def table_name() -> str:
    return settings.required("TABLE_NAME")


def reset() -> None:
    """Forget the client (tests that point boto3 at another endpoint)."""
    global _client  # noqa: PLW0603
    _client = None


def is_conditional_check_failure(exc: Exception) -> bool:
    response = getattr(exc, "response", None)
    if not isinstance(response, dict):
        return False
    code = response.get("Error", {}).get("Code")
    if code == "ConditionalCheckFailedException":
        return True
    reasons = response.get("CancellationReasons") or []
    return code == "TransactionCanceledException" and any(r.get("Code") == "ConditionalCheckFailed" for r in reasons)


class TableAdapter:
    """Base of the DynamoDB adapters: the container's client and the table, fetched on first use, and a clock."""

    def __init__(
        self, client: DynamoDBClient | None = None, table: str | None = None, clock: Callable[[], float] = time.time
    ) -> None:
        self._client = client
        self._table = table
        self._clock = clock

    @property
    def client(self) -> DynamoDBClient:
        if self._client is None:
            self._client = get_client()
        return self._client

    @property
    def table(self) -> str:
        if self._table is None:
            self._table = table_name()
        return self._table

    def put_if_absent(self, item: dict[str, Any]) -> bool:
        """Write ``item`` unless one with its key exists; False when it already did (a repeat)."""
        try:
            self.client.put_item(TableName=self.table, Item=item, ConditionExpression="attribute_not_exists(pk)")
        except Exception as exc:
            if is_conditional_check_failure(exc):
                return False
            raise
        return True
