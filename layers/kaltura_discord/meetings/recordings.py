"""A meeting's recordings: which room a recording belongs to, and the once-only record of posting it.

DynamoDB items (the meetings table; see :mod:`.repository` for the rest of the design):

- ``pk = ROOM#<room id>``, ``sk = ROOM``: which guild and meeting a Kaltura room is, written when the meeting ends
  (a notification names only the recorded entry, whose ``rootEntryId`` is the room). It expires with the meeting.
  Without it (a notification that arrives before the end) the room itself is read back: its ``referenceId`` is the
  meeting id and its tag ``discord-guild-<id>`` the guild.
- ``pk = GUILD#<guild>``, ``sk = RECORDING#<meeting>#<entry>``: a recording's message. It is claimed (``posting``)
  before the message is sent and marked ``posted`` after, so a second notification, a repeated one or the poll
  finds it and posts nothing; a claim whose post failed is given back; one left by a crash is taken over after
  :data:`CLAIM_STALE_SECONDS` (the message's nonce stops a duplicate within Discord's few minutes).
- ``pk = KALTURA#NOTIFICATION#<sha256 of the body>``, ``sk = NOTIFICATION``: a notification already handled,
  answered at once when Kaltura sends it again (it retries until it gets a 200). Kept a week.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from kaltura_discord.meetings.model import Meeting
from kaltura_discord.meetings.repository import ENDED_RETENTION_SECONDS
from kaltura_discord.storage import dynamodb

POLL_MINUTES: tuple[int, ...] = (5, 15, 30, 60, 120, 240)
"""When to look for the recording after the meeting ended (minutes): a few hours, backing off; the poll stops at
the first try that finds one."""
CLAIM_STALE_SECONDS = 120
NOTIFICATION_RETENTION_SECONDS = 7 * 24 * 3600
GUILD_TAG_PREFIX = "discord-guild-"

Outcome = Literal["posted", "duplicate", "off", "no_channel", "ignored"]


@dataclass(frozen=True)
class Recording:
    """A room's recorded entry as the meetings domain needs it."""

    entry_id: str
    room_id: str
    name: str
    duration: int | None
    ready: bool


@dataclass(frozen=True)
class RoomOwner:
    guild_id: str
    meeting_id: str


class RecordingSource(Protocol):
    """What the domain asks Kaltura (:class:`~kaltura_discord.meetings.kaltura_recordings.KalturaRecordingSource`)."""

    def recording(self, entry_id: str) -> Recording | None:
        """The entry, if it is some room's recorded entry (``rootEntryId`` set); None otherwise or if gone."""

    def recordings_of(self, room_id: str) -> Sequence[Recording]:
        """The room's READY recordings, oldest first."""

    def room_owner(self, room_id: str) -> RoomOwner | None:
        """The meeting a room was made for, from the room itself (``referenceId`` and the guild tag)."""


def notification_digest(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class RecordingStore(dynamodb.TableAdapter):
    # --- which meeting a room is -------------------------------------------------------------------------

    def remember_room(self, meeting: Meeting) -> None:
        if not meeting.room_id:
            return
        expires = int(meeting.ended_at or self._clock()) + ENDED_RETENTION_SECONDS
        self.client.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": f"ROOM#{meeting.room_id}"},
                "sk": {"S": "ROOM"},
                "guild_id": {"S": meeting.guild_id},
                "meeting_id": {"S": meeting.meeting_id},
                "expires_at": {"N": str(expires)},
            },
        )

    def room_owner(self, room_id: str) -> RoomOwner | None:
        item = self.client.get_item(
            TableName=self.table, Key={"pk": {"S": f"ROOM#{room_id}"}, "sk": {"S": "ROOM"}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return None
        return RoomOwner(str(item["guild_id"]["S"]), str(item["meeting_id"]["S"]))

    # --- posting a recording once ------------------------------------------------------------------------

    @staticmethod
    def _key(meeting: Meeting, entry_id: str) -> dict[str, dict[str, str]]:
        return {"pk": {"S": f"GUILD#{meeting.guild_id}"}, "sk": {"S": f"RECORDING#{meeting.meeting_id}#{entry_id}"}}

    def claim(self, meeting: Meeting, entry_id: str) -> bool:
        """Take the right to post this recording; False when it was posted, or another post is under way."""
        now = int(self._clock())
        expires = int(meeting.ended_at or now) + ENDED_RETENTION_SECONDS
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    **self._key(meeting, entry_id),
                    "entry_id": {"S": entry_id},
                    "state": {"S": "posting"},
                    "claimed_at": {"N": str(now)},
                    "expires_at": {"N": str(expires)},
                },
                ConditionExpression="attribute_not_exists(pk) OR (#state = :posting AND claimed_at < :stale)",
                ExpressionAttributeNames={"#state": "state"},
                ExpressionAttributeValues={
                    ":posting": {"S": "posting"},
                    ":stale": {"N": str(now - CLAIM_STALE_SECONDS)},
                },
            )
        except Exception as exc:
            if dynamodb.is_conditional_check_failure(exc):
                return False
            raise
        return True

    def mark_posted(self, meeting: Meeting, entry_id: str, channel_id: str, message_id: str) -> None:
        self.client.update_item(
            TableName=self.table,
            Key=self._key(meeting, entry_id),
            UpdateExpression="SET #state = :posted, channel_id = :channel, message_id = :message, posted_at = :now",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={
                ":posted": {"S": "posted"},
                ":channel": {"S": channel_id},
                ":message": {"S": message_id or "0"},
                ":now": {"N": str(int(self._clock()))},
            },
        )

    def release(self, meeting: Meeting, entry_id: str) -> None:
        """Give a claim back after a post that failed, so the next notification or poll tries again."""
        self.client.delete_item(
            TableName=self.table,
            Key=self._key(meeting, entry_id),
            ConditionExpression="#state = :posting",
            ExpressionAttributeNames={"#state": "state"},
            ExpressionAttributeValues={":posting": {"S": "posting"}},
        )

    def posted(self, meeting: Meeting, entry_id: str) -> bool:
        item = self.client.get_item(TableName=self.table, Key=self._key(meeting, entry_id), ConsistentRead=True).get(
            "Item"
        )
        return item is not None and item.get("state", {}).get("S") == "posted"

    # --- notifications already handled -------------------------------------------------------------------

    @staticmethod
    def _notification_key(digest: str) -> dict[str, dict[str, str]]:
        return {"pk": {"S": f"KALTURA#NOTIFICATION#{digest}"}, "sk": {"S": "NOTIFICATION"}}

    def notification_seen(self, digest: str) -> str | None:
        """The outcome recorded for a notification with this body, or None when it is new."""
        item = self.client.get_item(TableName=self.table, Key=self._notification_key(digest), ConsistentRead=True).get(
            "Item"
        )
        return str(item["outcome"]["S"]) if item and "outcome" in item else None

    def remember_notification(self, digest: str, outcome: str) -> None:
        self.client.put_item(
            TableName=self.table,
            Item={
                **self._notification_key(digest),
                "outcome": {"S": outcome},
                "expires_at": {"N": str(int(self._clock()) + NOTIFICATION_RETENTION_SECONDS)},
            },
        )


def owner_from_room(reference_id: str | None, tags: Sequence[str]) -> RoomOwner | None:
    """The meeting a room names: its ``referenceId`` (the meeting id) and its ``discord-guild-<id>`` tag."""
    guilds = [tag.removeprefix(GUILD_TAG_PREFIX) for tag in tags if tag.startswith(GUILD_TAG_PREFIX)]
    if not reference_id or len(guilds) != 1 or not guilds[0].isdigit():
        return None
    return RoomOwner(guilds[0], reference_id)
