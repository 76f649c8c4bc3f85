"""Meetings in DynamoDB: ``pk = GUILD#<guild>``, ``sk = MEETING#<id>``, so listing a guild's meetings is one
query and a meeting id from another guild simply is not found. Ended and failed meetings expire (TTL).
"""

from __future__ import annotations

from typing import Any, get_args

from kaltura_discord.meetings.model import Meeting, MeetingAlreadyEnded, MeetingNotFound, MeetingStatus
from kaltura_discord.storage import dynamodb
from kaltura_discord.text import escape_markdown

ENDED_RETENTION_SECONDS = 90 * 24 * 3600
FAILED_RETENTION_SECONDS = 7 * 24 * 3600
_STATUSES = frozenset(get_args(MeetingStatus))
_OPTIONAL_TEXT = ("room_id", "channel_id", "message_id", "ended_by", "description", "cleanup_pending")


def _key(guild_id: str, meeting_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"GUILD#{guild_id}"}, "sk": {"S": f"MEETING#{meeting_id}"}}


def _to_item(meeting: Meeting) -> dict[str, Any]:
    item: dict[str, Any] = {
        **_key(meeting.guild_id, meeting.meeting_id),
        "meeting_id": {"S": meeting.meeting_id},
        "title": {"S": meeting.title},
        "type": {"S": meeting.type},
        "status": {"S": meeting.status},
        "host_id": {"S": meeting.host_id},
        "host_name": {"S": meeting.host_name},
        "created_at": {"N": f"{meeting.created_at:.3f}"},
    }
    for name in _OPTIONAL_TEXT:
        value = getattr(meeting, name)
        if value:
            item[name] = {"S": value}
    if meeting.ended_at is not None:
        item["ended_at"] = {"N": str(meeting.ended_at)}
    return item


def _from_item(item: dict[str, Any]) -> Meeting:
    def text(name: str) -> str | None:
        value = item.get(name, {}).get("S")
        return str(value) if value is not None else None

    status = text("status") or "failed"
    return Meeting(
        guild_id=str(item["pk"]["S"]).removeprefix("GUILD#"),
        meeting_id=str(item["meeting_id"]["S"]),
        title=str(item["title"]["S"]),
        type=item["type"]["S"],
        host_id=str(item["host_id"]["S"]),
        host_name=str(item["host_name"]["S"]),
        created_at=float(item["created_at"]["N"]),
        status=status if status in _STATUSES else "failed",  # type: ignore[arg-type]
        description=text("description") or "",
        room_id=text("room_id"),
        channel_id=text("channel_id"),
        message_id=text("message_id"),
        ended_at=int(item["ended_at"]["N"]) if "ended_at" in item else None,
        ended_by=text("ended_by"),
        cleanup_pending=text("cleanup_pending"),
    )


class MeetingRepository(dynamodb.TableAdapter):
    def get(self, guild_id: str, meeting_id: str) -> Meeting:
        item = self.client.get_item(TableName=self.table, Key=_key(guild_id, meeting_id), ConsistentRead=True).get(
            "Item"
        )
        if not item:
            raise MeetingNotFound("I couldn't find that meeting in this server. Pick one from the list.")
        return _from_item(item)

    def find(self, guild_id: str, meeting_id: str) -> Meeting | None:
        try:
            return self.get(guild_id, meeting_id)
        except MeetingNotFound:
            return None

    def create(self, meeting: Meeting) -> bool:
        """Write a new record; False when one with this id already exists (a repeated job). A ``creating`` record
        expires like a failed one unless activation makes it live, so a start that died midway is not kept forever."""
        item = _to_item(meeting)
        item["expires_at"] = {"N": str(int(self._clock()) + FAILED_RETENTION_SECONDS)}
        return self.put_if_absent(item)

    def activate(self, meeting: Meeting, room_id: str) -> Meeting:
        """``creating``/``failed`` -> ``active`` with its room; a concurrent activation returns the winner."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key=_key(meeting.guild_id, meeting.meeting_id),
                UpdateExpression="SET #status = :active, room_id = :room REMOVE failure, expires_at",
                ConditionExpression="#status IN (:creating, :failed)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":active": {"S": "active"},
                    ":creating": {"S": "creating"},
                    ":failed": {"S": "failed"},
                    ":room": {"S": room_id},
                },
            )
        except Exception as exc:
            if not dynamodb.is_conditional_check_failure(exc):
                raise
            return self.get(meeting.guild_id, meeting.meeting_id)
        return meeting.with_changes(status="active", room_id=room_id)

    def mark_failed(self, meeting: Meeting, reason: str) -> None:
        """Keep the record (its id is the room's referenceId) so an operator can reconcile; it expires."""
        self.client.update_item(
            TableName=self.table,
            Key=_key(meeting.guild_id, meeting.meeting_id),
            UpdateExpression="SET #status = :failed, failure = :reason, expires_at = :expires",
            ExpressionAttributeNames={"#status": "status"},
            ExpressionAttributeValues={
                ":failed": {"S": "failed"},
                ":reason": {"S": reason[:500]},
                ":expires": {"N": str(int(self._clock()) + FAILED_RETENTION_SECONDS)},
            },
        )

    def set_cleanup_pending(self, meeting: Meeting, end_action: str) -> None:
        self.client.update_item(
            TableName=self.table,
            Key=_key(meeting.guild_id, meeting.meeting_id),
            UpdateExpression="SET cleanup_pending = :action",
            ExpressionAttributeValues={":action": {"S": end_action}},
        )

    def clear_cleanup_pending(self, meeting: Meeting) -> None:
        self.client.update_item(
            TableName=self.table,
            Key=_key(meeting.guild_id, meeting.meeting_id),
            UpdateExpression="REMOVE cleanup_pending",
        )

    def delete(self, meeting: Meeting) -> None:
        self.client.delete_item(TableName=self.table, Key=_key(meeting.guild_id, meeting.meeting_id))

    def set_message(self, meeting: Meeting, channel_id: str, message_id: str) -> None:
        self.client.update_item(
            TableName=self.table,
            Key=_key(meeting.guild_id, meeting.meeting_id),
            UpdateExpression="SET channel_id = :channel, message_id = :message",
            ExpressionAttributeValues={":channel": {"S": channel_id}, ":message": {"S": message_id}},
        )

    def end(self, guild_id: str, meeting_id: str, ended_by: str) -> Meeting:
        """Active -> ended with one conditional write: ending twice is a clear "already ended"."""
        now = int(self._clock())
        try:
            result = self.client.update_item(
                TableName=self.table,
                Key=_key(guild_id, meeting_id),
                UpdateExpression="SET #status = :ended, ended_at = :now, ended_by = :by, expires_at = :expires",
                ConditionExpression="#status = :active",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":ended": {"S": "ended"},
                    ":active": {"S": "active"},
                    ":now": {"N": str(now)},
                    ":by": {"S": ended_by},
                    ":expires": {"N": str(now + ENDED_RETENTION_SECONDS)},
                },
                ReturnValues="ALL_NEW",
            )
        except Exception as exc:
            if not dynamodb.is_conditional_check_failure(exc):
                raise
            current = self.get(guild_id, meeting_id)
            if current.status == "ended":
                raise MeetingAlreadyEnded(f"**{escape_markdown(current.title)}** has already ended.") from None
            raise MeetingNotFound("That meeting is not running.") from None
        return _from_item(result["Attributes"])

    def list_guild(self, guild_id: str, status: MeetingStatus | None = "active") -> list[Meeting]:
        """The guild's meetings, newest first (one query, paginated by DynamoDB if large)."""
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {":pk": {"S": f"GUILD#{guild_id}"}, ":prefix": {"S": "MEETING#"}},
        }
        if status is not None:
            kwargs["FilterExpression"] = "#status = :status"
            kwargs["ExpressionAttributeNames"] = {"#status": "status"}
            kwargs["ExpressionAttributeValues"][":status"] = {"S": status}
        meetings: list[Meeting] = []
        while True:
            page = self.client.query(**kwargs)
            meetings.extend(_from_item(item) for item in page.get("Items", []))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        meetings.sort(key=lambda m: (m.created_at, m.meeting_id), reverse=True)
        return meetings
