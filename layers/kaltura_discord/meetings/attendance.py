"""Who joined a meeting: the distinct members who opened a join link, kept with the meeting.

Recorded when a join link is opened and its redirect decided (``GET /v1/join/{token}``): one item per member and
meeting, in the guild's partition beside the meeting (``sk = ATTEND#<meeting>#<user>``), with the first and last
open, how many times, and the role the join token carried (the host and Kaltura moderators/admins join with the
moderator role). Items live as long as the meeting's record: while it is live, 90 days from the last open; when it
ends, :meth:`AttendanceStore.retain_with` gives them the ended meeting's expiry.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kaltura_discord.i18n import Message, lazy_ngettext
from kaltura_discord.meetings.model import Meeting
from kaltura_discord.meetings.repository import ENDED_RETENTION_SECONDS
from kaltura_discord.storage import dynamodb

MAX_ATTENDEES_READ = 2000
"""A bound on what one read returns (and on the pages it takes); a meeting's attendance is far smaller."""


def _prefix(meeting_id: str) -> str:
    return f"ATTEND#{meeting_id}#"


@dataclass(frozen=True)
class Attendee:
    user_id: str
    display_name: str
    role: str
    """The Kaltura role the join token carried: viewer, moderator or admin."""
    host: bool
    first_open: int
    last_open: int
    opens: int

    @property
    def moderates(self) -> bool:
        return self.host or self.role in ("moderator", "admin")


def _attendee(item: dict[str, Any]) -> Attendee:
    def number(name: str) -> int:
        return int(item.get(name, {}).get("N", "0"))

    return Attendee(
        user_id=str(item["user_id"]["S"]),
        display_name=str(item.get("display_name", {}).get("S", "")),
        role=str(item.get("role", {}).get("S", "viewer")),
        host=bool(item.get("host", {}).get("BOOL", False)),
        first_open=number("first_open"),
        last_open=number("last_open"),
        opens=number("opens"),
    )


class AttendanceStore(dynamodb.TableAdapter):
    def record_open(self, meeting: Meeting, user_id: str, display_name: str, role: str) -> None:
        """One more open by this member: the first open is kept, the last and the count move on."""
        now = int(self._clock())
        self.client.update_item(
            TableName=self.table,
            Key={"pk": {"S": f"GUILD#{meeting.guild_id}"}, "sk": {"S": _prefix(meeting.meeting_id) + user_id}},
            UpdateExpression=(
                "SET user_id = :user, display_name = :name, #role = :role, host = :host, "
                "first_open = if_not_exists(first_open, :now), last_open = :now, expires_at = :expires "
                "ADD opens :one"
            ),
            ExpressionAttributeNames={"#role": "role"},
            ExpressionAttributeValues={
                ":user": {"S": user_id},
                ":name": {"S": display_name[:100] or user_id},
                ":role": {"S": role},
                ":host": {"BOOL": user_id == meeting.host_id},
                ":now": {"N": str(now)},
                ":expires": {"N": str(now + ENDED_RETENTION_SECONDS)},
                ":one": {"N": "1"},
            },
        )

    def _query(self, meeting: Meeting, **extra: Any) -> list[dict[str, Any]]:
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND begins_with(sk, :prefix)",
            "ExpressionAttributeValues": {
                ":pk": {"S": f"GUILD#{meeting.guild_id}"},
                ":prefix": {"S": _prefix(meeting.meeting_id)},
            },
            "ConsistentRead": True,
            **extra,
        }
        pages: list[dict[str, Any]] = []
        read = 0
        while read < MAX_ATTENDEES_READ:
            page = self.client.query(**kwargs)
            pages.append(dict(page))
            read += int(page.get("Count", 0))
            if "LastEvaluatedKey" not in page:
                break
            kwargs["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        return pages

    def attendees(self, meeting: Meeting) -> list[Attendee]:
        """Everyone who opened a link, in the order they first did."""
        items = [item for page in self._query(meeting) for item in page.get("Items", [])]
        found = [_attendee(item) for item in items[:MAX_ATTENDEES_READ]]
        return sorted(found, key=lambda a: (a.first_open, a.user_id))

    def count(self, meeting: Meeting) -> int:
        """How many distinct members opened a link (a ``Select=COUNT`` query: no item is read back)."""
        return min(sum(int(page.get("Count", 0)) for page in self._query(meeting, Select="COUNT")), MAX_ATTENDEES_READ)

    def retain_with(self, meeting: Meeting) -> int:
        """Give the attendance the ended meeting's expiry (``ended_at`` + its retention); returns the items moved."""
        if meeting.ended_at is None:
            return 0
        expires = str(int(meeting.ended_at) + ENDED_RETENTION_SECONDS)
        moved = 0
        for page in self._query(meeting, ProjectionExpression="pk, sk"):
            for item in page.get("Items", []):
                self.client.update_item(
                    TableName=self.table,
                    Key={"pk": item["pk"], "sk": item["sk"]},
                    UpdateExpression="SET expires_at = :expires",
                    ExpressionAttributeValues={":expires": {"N": expires}},
                )
                moved += 1
        return moved


def people(count: int) -> Message:
    """``1 person`` / ``3 people`` (in English as a ``str``; ``t.render(people(n))`` in a member's language)."""
    return lazy_ngettext("{n} person", "{n} people", count)
