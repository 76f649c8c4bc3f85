from __future__ import annotations

import boto3
import pytest

from kaltura_discord.local.tables import table_properties

pytestmark = pytest.mark.integration


def test_table_from_template_has_keys_and_ttl(table_name: str, dynamodb_endpoint: str) -> None:
    client = boto3.client("dynamodb", endpoint_url=dynamodb_endpoint)
    described = client.describe_table(TableName=table_name)["Table"]
    assert {k["AttributeName"]: k["KeyType"] for k in described["KeySchema"]} == {"pk": "HASH", "sk": "RANGE"}
    ttl = client.describe_time_to_live(TableName=table_name)["TimeToLiveDescription"]
    assert ttl["AttributeName"] == table_properties()["TimeToLiveSpecification"]["AttributeName"] == "expires_at"
