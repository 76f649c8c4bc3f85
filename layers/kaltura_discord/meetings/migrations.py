"""Building the live-meeting index for a table written before it existed (the 0.x releases).

Meetings made live before the index have a ``MEETING#`` item and nothing else, so they would be missing from
``/kaltura-list`` and not counted against ``meetings.max_active``. :func:`backfill_live_index` scans the table
once, adds each live meeting's ``LIVE#`` item and sets each guild's ``COUNT#live`` to the number of its live
meetings. It is safe to run again (it writes the same items) and while the bot runs: a meeting that starts or
ends meanwhile keeps its own transaction's result, because the count is recomputed from the index afterwards.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from kaltura_discord.meetings.repository import COUNT_KEY, MeetingRepository, _from_item, live_partition


def backfill_live_index(repository: MeetingRepository) -> dict[str, int]:
    """Index every live meeting and recount each guild; returns the live count per guild."""
    client, table = repository.client, repository.table
    kwargs: dict[str, Any] = {
        "TableName": table,
        "FilterExpression": "begins_with(sk, :meeting) AND #status = :active",
        "ExpressionAttributeNames": {"#status": "status"},
        "ExpressionAttributeValues": {":meeting": {"S": "MEETING#"}, ":active": {"S": "active"}},
    }
    guilds: set[str] = set()
    while True:
        page = client.scan(**kwargs)
        for item in page.get("Items", []):
            meeting = _from_item(item)
            client.put_item(TableName=table, Item=repository._live_item(meeting))
            guilds.add(meeting.guild_id)
        if "LastEvaluatedKey" not in page:
            break
        kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
    counts: Counter[str] = Counter()
    for guild_id in sorted(guilds):
        live = client.query(
            TableName=table,
            KeyConditionExpression="pk = :pk",
            ExpressionAttributeValues={":pk": {"S": live_partition(guild_id)}},
            Select="COUNT",
            ConsistentRead=True,
        )
        counts[guild_id] = int(live.get("Count", 0))
        client.put_item(
            TableName=table,
            Item={"pk": {"S": f"GUILD#{guild_id}"}, "sk": {"S": COUNT_KEY}, "count": {"N": str(counts[guild_id])}},
        )
    return dict(counts)
