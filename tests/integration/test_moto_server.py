"""The local DynamoDB (moto's server as the stack embeds it) keeps DynamoDB's rules where moto alone does not:
one request at a time (atomic conditional writes), and a Query that reads only the queried partition."""

from __future__ import annotations

import threading
from typing import Any

import boto3
import pytest

pytestmark = pytest.mark.integration


@pytest.fixture
def client(table_name: str, dynamodb_endpoint: str) -> Any:
    return boto3.client("dynamodb", endpoint_url=dynamodb_endpoint)


def put(client: Any, table: str, pk: str, sk: str, **attributes: str) -> None:
    item = {"pk": {"S": pk}, "sk": {"S": sk}, **{k: {"S": v} for k, v in attributes.items()}}
    client.put_item(TableName=table, Item=item)


def test_queries_answer_as_dynamodb_does_reading_one_partition(client: Any, table_name: str) -> None:
    for guild in ("A", "B", "C"):
        for n in range(30):
            put(client, table_name, f"GUILD#{guild}", f"MEETING#{n:03d}", colour="red" if n % 3 else "blue")
    base = {
        "TableName": table_name,
        "KeyConditionExpression": "pk = :pk",
        "ExpressionAttributeValues": {":pk": {"S": "GUILD#B"}},
    }
    every = client.query(**base)
    assert [i["sk"]["S"] for i in every["Items"]] == [f"MEETING#{n:03d}" for n in range(30)]
    assert every["ScannedCount"] == 30  # the other guilds' 60 items are not read
    newest = client.query(**base, ScanIndexForward=False, Limit=4)
    assert [i["sk"]["S"] for i in newest["Items"]] == ["MEETING#029", "MEETING#028", "MEETING#027", "MEETING#026"]
    after = client.query(**base, ScanIndexForward=False, Limit=2, ExclusiveStartKey=newest["LastEvaluatedKey"])
    assert [i["sk"]["S"] for i in after["Items"]] == ["MEETING#025", "MEETING#024"]
    filtered = client.query(
        TableName=table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
        FilterExpression="colour = :c",
        ExpressionAttributeValues={":pk": {"S": "GUILD#C"}, ":p": {"S": "MEETING#01"}, ":c": {"S": "blue"}},
    )
    assert [i["sk"]["S"] for i in filtered["Items"]] == ["MEETING#012", "MEETING#015", "MEETING#018"]
    assert client.query(**{**base, "ExpressionAttributeValues": {":pk": {"S": "GUILD#none"}}})["Items"] == []


def test_conditional_writes_racing_for_one_slot_cannot_both_win(client: Any, table_name: str) -> None:
    client.put_item(TableName=table_name, Item={"pk": {"S": "GUILD#A"}, "sk": {"S": "COUNT"}, "n": {"N": "0"}})
    barrier, wins = threading.Barrier(8), []

    def take_the_last_slot(k: int) -> None:
        barrier.wait()
        try:
            client.transact_write_items(
                TransactItems=[
                    {"Put": {"TableName": table_name, "Item": {"pk": {"S": "GUILD#A"}, "sk": {"S": f"LIVE#{k}"}}}},
                    {
                        "Update": {
                            "TableName": table_name,
                            "Key": {"pk": {"S": "GUILD#A"}, "sk": {"S": "COUNT"}},
                            "UpdateExpression": "SET n = n + :one",
                            "ConditionExpression": "n < :max",
                            "ExpressionAttributeValues": {":one": {"N": "1"}, ":max": {"N": "1"}},
                        }
                    },
                ]
            )
            wins.append(k)
        except client.exceptions.TransactionCanceledException:
            pass

    threads = [threading.Thread(target=take_the_last_slot, args=(k,)) for k in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(wins) == 1
    live = client.query(
        TableName=table_name,
        KeyConditionExpression="pk = :pk AND begins_with(sk, :p)",
        ExpressionAttributeValues={":pk": {"S": "GUILD#A"}, ":p": {"S": "LIVE#"}},
    )
    assert [i["sk"]["S"] for i in live["Items"]] == [f"LIVE#{wins[0]}"]  # nothing of the losers was kept
