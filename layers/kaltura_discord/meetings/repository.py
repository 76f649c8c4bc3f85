"""Meetings in DynamoDB, all in the guild's partition (``pk = GUILD#<guild>``), so a meeting id from another
guild simply is not found:

- ``sk = MEETING#<id>``: the meeting. Ended and failed meetings expire (TTL) after their retention.
- ``pk = GUILD#<guild>#LIVE``, ``sk = <created ms>#<id>``: the index of live meetings, a copy of what a list
  shows, in a partition of its own. It is written in the same transaction that makes a meeting live and deleted
  in the one that ends it, so listing, paging and autocomplete read live meetings only (one Query per page,
  newest first), however many ended ones the guild has (its own partition also keeps it apart from the guild's
  history for a hot guild, and for moto, whose queries walk the whole partition).
- ``sk = COUNT#live``: how many meetings are live, kept in those same transactions; activating is conditional
  on it being under the server's ``meetings.max_active``, so two concurrent starts cannot both take the last slot.
- ``pk = GUILD#<guild>#SCHEDULED``, ``sk = <start>#<id>``: the index of scheduled meetings not started yet,
  soonest first, and ``sk = COUNT#scheduled`` their number (``meetings.max_scheduled``), kept in the transactions
  that schedule, start and cancel one.
- ``sk = STARTS#<user>#<hour>``: starts by one member in one clock hour (``max_starts_per_member_per_hour``),
  counted with a conditional update; expires after two hours.
- ``sk = SHARED#<meeting>#<user>``: when a member may share a meeting again (``share_cooldown_seconds``).
- ``sk = ATTEND#<meeting>#<user>`` (who opened a join link, :mod:`.attendance`) and
  ``sk = RECORDING#<meeting>#<entry>`` (a recording's message, posted once, :mod:`.recordings`), kept as long as
  the meeting; outside the guild's partition, ``pk = ROOM#<room>`` (which meeting a Kaltura room is) and
  ``pk = KALTURA#NOTIFICATION#<body hash>`` (a Kaltura notification already handled), also in :mod:`.recordings`.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from typing import Any, Literal, get_args

from kaltura_discord.i18n import lazy_gettext
from kaltura_discord.meetings.model import (
    Meeting,
    MeetingAlreadyEnded,
    MeetingLimitReached,
    MeetingNotFound,
    MeetingStatus,
)
from kaltura_discord.storage import dynamodb
from kaltura_discord.text import escape_markdown

ENDED_RETENTION_SECONDS = 90 * 24 * 3600
FAILED_RETENTION_SECONDS = 7 * 24 * 3600
HOUR = 3600
COUNT_KEY = "COUNT#live"
SCHEDULED_COUNT_KEY = "COUNT#scheduled"
MISSED_START_SECONDS = 3600
"""A scheduled meeting not started this long after its start never will be: the worker drops a fire that late."""
_LIVE_FIELDS = (
    "meeting_id",
    "title",
    "type",
    "host_id",
    "host_name",
    "created_at",
    "description",
    "room_id",
    "scheduled_start",
    "scheduled_end",
    "event_id",
    "channel_id",
)
_STATUSES = frozenset(get_args(MeetingStatus))
_OPTIONAL_TEXT = (
    "room_id",
    "channel_id",
    "message_id",
    "ended_by",
    "description",
    "cleanup_pending",
    "event_id",
    "guild_locale",
)
_OPTIONAL_NUMBERS = ("ended_at", "scheduled_start", "scheduled_end")


def _key(guild_id: str, meeting_id: str) -> dict[str, Any]:
    return {"pk": {"S": f"GUILD#{guild_id}"}, "sk": {"S": f"MEETING#{meeting_id}"}}


def _item_key(guild_id: str, sort_key: str) -> dict[str, Any]:
    return {"pk": {"S": f"GUILD#{guild_id}"}, "sk": {"S": sort_key}}


def live_partition(guild_id: str) -> str:
    return f"GUILD#{guild_id}#LIVE"


def _live_sort_key(created_at: float, meeting_id: str) -> str:
    return f"{round(created_at * 1000):015d}#{meeting_id}"


def _live_key(guild_id: str, sort_key: str) -> dict[str, Any]:
    return {"pk": {"S": live_partition(guild_id)}, "sk": {"S": sort_key}}


def scheduled_partition(guild_id: str) -> str:
    return f"GUILD#{guild_id}#SCHEDULED"


def _scheduled_key(meeting: Meeting) -> dict[str, Any]:
    start = int(meeting.scheduled_start or 0)
    return {"pk": {"S": scheduled_partition(meeting.guild_id)}, "sk": {"S": f"{start:011d}#{meeting.meeting_id}"}}


def encode_cursor(sort_key: str) -> str:
    """An opaque, URL- and custom_id-safe cursor for a position in the live index."""
    return base64.urlsafe_b64encode(sort_key.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> str | None:
    """The index position a cursor names, or None for anything that is not one of ours."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    created, _, meeting_id = text.partition("#")
    if not (created.isdigit() and len(created) == 15 and len(meeting_id) == 10 and meeting_id.isalnum()):
        return None
    return text


@dataclass(frozen=True)
class LivePage:
    """One page of live meetings, newest first, with cursors to the pages either side (None at the ends)."""

    meetings: list[Meeting]
    total: int
    newer: str | None
    older: str | None


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
    for name in _OPTIONAL_NUMBERS:
        value = getattr(meeting, name)
        if value is not None:
            item[name] = {"N": str(int(value))}
    return item


def _from_item(item: dict[str, Any]) -> Meeting:
    def text(name: str) -> str | None:
        value = item.get(name, {}).get("S")
        return str(value) if value is not None else None

    status = text("status") or "failed"
    return Meeting(
        guild_id=text("guild_id") or str(item["pk"]["S"]).removeprefix("GUILD#"),
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
        scheduled_start=int(item["scheduled_start"]["N"]) if "scheduled_start" in item else None,
        scheduled_end=int(item["scheduled_end"]["N"]) if "scheduled_end" in item else None,
        event_id=text("event_id"),
        ended_by=text("ended_by"),
        cleanup_pending=text("cleanup_pending"),
        guild_locale=text("guild_locale"),
    )


class MeetingRepository(dynamodb.TableAdapter):
    def get(self, guild_id: str, meeting_id: str) -> Meeting:
        item = self.client.get_item(TableName=self.table, Key=_key(guild_id, meeting_id), ConsistentRead=True).get(
            "Item"
        )
        if not item:
            raise MeetingNotFound(lazy_gettext("I couldn't find that meeting in this server. Pick one from the list."))
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

    def activate(self, meeting: Meeting, room_id: str, *, max_active: int | None = None) -> Meeting:
        """``creating``/``failed`` -> ``active`` with its room, its entry in the live index and one more live
        meeting counted, in one transaction: a concurrent activation returns the winner; a server already at
        ``max_active`` raises :class:`MeetingLimitReached` and nothing changes."""
        live = meeting.with_changes(status="active", room_id=room_id)
        count_condition = "attribute_not_exists(#count) OR #count < :max" if max_active is not None else None
        count_update: Any = {
            "TableName": self.table,
            "Key": _item_key(meeting.guild_id, COUNT_KEY),
            "UpdateExpression": "SET #count = if_not_exists(#count, :zero) + :one",
            "ExpressionAttributeNames": {"#count": "count"},
            "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}},
        }
        if count_condition is not None:
            count_update["ConditionExpression"] = count_condition
            count_update["ExpressionAttributeValues"][":max"] = {"N": str(max_active)}
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Update": {
                            "TableName": self.table,
                            "Key": _key(meeting.guild_id, meeting.meeting_id),
                            "UpdateExpression": "SET #status = :active, room_id = :room REMOVE failure, expires_at",
                            "ConditionExpression": "#status IN (:creating, :failed)",
                            "ExpressionAttributeNames": {"#status": "status"},
                            "ExpressionAttributeValues": {
                                ":active": {"S": "active"},
                                ":creating": {"S": "creating"},
                                ":failed": {"S": "failed"},
                                ":room": {"S": room_id},
                            },
                        }
                    },
                    {"Put": {"TableName": self.table, "Item": self._live_item(live)}},
                    {"Update": count_update},
                ]
            )
        except Exception as exc:
            reasons = _cancellation_reasons(exc)
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return self.get(meeting.guild_id, meeting.meeting_id)
            if reasons[2:3] == ["ConditionalCheckFailed"]:
                raise MeetingLimitReached(
                    lazy_gettext(
                        "This server already has {max} live meetings, the most it allows. End one (`/kaltura-end`) "
                        "and try again.",
                        max=max_active or 0,
                    )
                ) from None
            raise
        return live

    def _live_item(self, meeting: Meeting) -> dict[str, Any]:
        item = _to_item(meeting)
        entry = {name: item[name] for name in _LIVE_FIELDS if name in item}
        sort_key = _live_sort_key(meeting.created_at, meeting.meeting_id)
        return {
            **_live_key(meeting.guild_id, sort_key),
            **entry,
            "guild_id": {"S": meeting.guild_id},
            "status": {"S": "active"},
        }

    def count_live(self, guild_id: str) -> int:
        item = self.client.get_item(TableName=self.table, Key=_item_key(guild_id, COUNT_KEY), ConsistentRead=True).get(
            "Item"
        )
        return max(0, int(item["count"]["N"])) if item and "count" in item else 0

    def list_live(
        self, guild_id: str, limit: int, cursor: str | None = None, direction: Literal["older", "newer"] = "older"
    ) -> LivePage:
        """One page of the live index (``limit`` + 1 items read, to know whether another page follows)."""
        position = decode_cursor(cursor) if cursor else None
        kwargs: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk",
            "ExpressionAttributeValues": {":pk": {"S": live_partition(guild_id)}},
            "ScanIndexForward": position is not None and direction == "newer",
            "Limit": limit + 1,
            "ConsistentRead": True,
        }
        if position is not None:
            kwargs["ExclusiveStartKey"] = _live_key(guild_id, position)
        items = self.client.query(**kwargs).get("Items", [])
        more = len(items) > limit
        items = items[:limit]
        if kwargs["ScanIndexForward"]:
            items.reverse()
        meetings = [_from_item(item) for item in items]
        keys = [str(item["sk"]["S"]) for item in items]
        going_newer = position is not None and direction == "newer"
        newer = encode_cursor(keys[0]) if keys and (position is not None and (not going_newer or more)) else None
        older = encode_cursor(keys[-1]) if keys and (going_newer or more) else None
        return LivePage(meetings, self.count_live(guild_id), newer, older)

    def all_live(self, guild_id: str, limit: int = 200) -> list[Meeting]:
        """Every live meeting, newest first (bounded by the server's ``max_active``, never by its history)."""
        return self.list_live(guild_id, limit).meetings

    def reserve_start(self, guild_id: str, user_id: str, max_per_hour: int) -> int:
        """Count one more start by this member in this clock hour; raises :class:`MeetingLimitReached` (with the
        time the next slot frees) when they already made ``max_per_hour``. Returns the hour counted in."""
        now = int(self._clock())
        hour = now - now % HOUR
        try:
            self.client.update_item(
                TableName=self.table,
                Key=_item_key(guild_id, f"STARTS#{user_id}#{hour}"),
                UpdateExpression="SET #count = if_not_exists(#count, :zero) + :one, expires_at = :expires",
                ConditionExpression="attribute_not_exists(#count) OR #count < :max",
                ExpressionAttributeNames={"#count": "count"},
                ExpressionAttributeValues={
                    ":zero": {"N": "0"},
                    ":one": {"N": "1"},
                    ":max": {"N": str(max_per_hour)},
                    ":expires": {"N": str(hour + 2 * HOUR)},
                },
            )
        except Exception as exc:
            if not dynamodb.is_conditional_check_failure(exc):
                raise
            raise MeetingLimitReached(
                lazy_gettext(
                    "You have started {max} meetings this hour, the most this server allows per member. You can "
                    "start another <t:{at}:R>.",
                    max=max_per_hour,
                    at=str(hour + HOUR),
                ),
                retry_at=hour + HOUR,
            ) from None
        return hour

    def release_start(self, guild_id: str, user_id: str, hour: int) -> None:
        """Give a start back when nothing was started (Kaltura refused, or its answer was lost and no room kept)."""
        self.client.update_item(
            TableName=self.table,
            Key=_item_key(guild_id, f"STARTS#{user_id}#{hour}"),
            UpdateExpression="SET #count = #count - :one",
            ConditionExpression="#count > :zero",
            ExpressionAttributeNames={"#count": "count"},
            ExpressionAttributeValues={":zero": {"N": "0"}, ":one": {"N": "1"}},
        )

    def claim_share(self, guild_id: str, meeting_id: str, user_id: str, cooldown: int) -> int | None:
        """Record a share; None when allowed now, else when this member may share this meeting again."""
        if cooldown <= 0:
            return None
        now = int(self._clock())
        try:
            self.client.put_item(
                TableName=self.table,
                Item={
                    **_item_key(guild_id, f"SHARED#{meeting_id}#{user_id}"),
                    "expires_at": {"N": str(now + cooldown)},
                },
                ConditionExpression="attribute_not_exists(pk) OR expires_at <= :now",
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
        except Exception as exc:
            if not dynamodb.is_conditional_check_failure(exc):
                raise
            item = self.client.get_item(
                TableName=self.table, Key=_item_key(guild_id, f"SHARED#{meeting_id}#{user_id}"), ConsistentRead=True
            ).get("Item")
            return int(item["expires_at"]["N"]) if item else now + cooldown
        return None

    def mark_failed(self, meeting: Meeting, reason: str) -> None:
        """Keep the record (its id is the room's referenceId) so an operator can reconcile; it expires. A record
        that is gone (the late-room sweep took it) is not written again as a stub."""
        try:
            self.client.update_item(
                TableName=self.table,
                Key=_key(meeting.guild_id, meeting.meeting_id),
                UpdateExpression="SET #status = :failed, failure = :reason, expires_at = :expires",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={
                    ":failed": {"S": "failed"},
                    ":reason": {"S": reason[:500]},
                    ":expires": {"N": str(int(self._clock()) + FAILED_RETENTION_SECONDS)},
                },
            )
        except Exception as exc:
            if not dynamodb.is_conditional_check_failure(exc):
                raise

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

    def remove_failed(self, meeting: Meeting) -> bool:
        """Remove the record of a start that failed, only while it is ``failed``: False when a repeated start
        adopted its room meanwhile (or it is gone)."""
        try:
            self.client.delete_item(
                TableName=self.table,
                Key=_key(meeting.guild_id, meeting.meeting_id),
                ConditionExpression="#status = :failed",
                ExpressionAttributeNames={"#status": "status"},
                ExpressionAttributeValues={":failed": {"S": "failed"}},
            )
        except Exception as exc:
            if not dynamodb.is_conditional_check_failure(exc):
                raise
            return False
        return True

    def set_message(self, meeting: Meeting, channel_id: str, message_id: str) -> None:
        self.client.update_item(
            TableName=self.table,
            Key=_key(meeting.guild_id, meeting.meeting_id),
            UpdateExpression="SET channel_id = :channel, message_id = :message",
            ExpressionAttributeValues={":channel": {"S": channel_id}, ":message": {"S": message_id}},
        )

    def end(self, meeting: Meeting, ended_by: str) -> Meeting:
        """Active -> ended, out of the live index, one fewer live meeting counted: one transaction, conditional
        on the meeting being live, so ending twice is a clear "already ended"."""
        now = int(self._clock())
        guild_id, meeting_id = meeting.guild_id, meeting.meeting_id
        live_key = _live_key(guild_id, _live_sort_key(meeting.created_at, meeting_id))
        uncount: Any = {
            "TableName": self.table,
            "Key": _item_key(guild_id, COUNT_KEY),
            "UpdateExpression": "SET #count = #count - :one",
            "ConditionExpression": "#count > :zero",
            "ExpressionAttributeNames": {"#count": "count"},
            "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}},
        }
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {"Update": self._end_update(meeting, ended_by, now)},
                    {"Delete": {"TableName": self.table, "Key": live_key}},
                    {"Update": uncount},
                ]
            )
        except Exception as exc:
            reasons = _cancellation_reasons(exc)
            if reasons[:1] == ["ConditionalCheckFailed"]:
                current = self.get(guild_id, meeting_id)
                if current.status == "ended":
                    raise MeetingAlreadyEnded(
                        lazy_gettext("**{title}** has already ended.", title=escape_markdown(current.title))
                    ) from None
                raise MeetingNotFound(lazy_gettext("That meeting is not running.")) from None
            if reasons[2:3] != ["ConditionalCheckFailed"]:
                raise
            # Nothing counted (a meeting made live before the index existed): end it, uncounted.
            self.client.transact_write_items(
                TransactItems=[
                    {"Update": self._end_update(meeting, ended_by, now)},
                    {"Delete": {"TableName": self.table, "Key": live_key}},
                ]
            )
        return meeting.with_changes(status="ended", ended_at=now, ended_by=ended_by)

    def _end_update(
        self, meeting: Meeting, ended_by: str, now: int, *, was: str = "active", becomes: str = "ended"
    ) -> Any:
        """``was`` -> ``becomes`` (ended, or cancelled before it started), who did it and when, kept for the
        ended meetings' retention; conditional on the meeting still being ``was``."""
        return {
            "TableName": self.table,
            "Key": _key(meeting.guild_id, meeting.meeting_id),
            "UpdateExpression": "SET #status = :becomes, ended_at = :now, ended_by = :by, expires_at = :expires",
            "ConditionExpression": "#status = :was",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":becomes": {"S": becomes},
                ":was": {"S": was},
                ":now": {"N": str(now)},
                ":by": {"S": ended_by},
                ":expires": {"N": str(now + ENDED_RETENTION_SECONDS)},
            },
        }

    # -- scheduled meetings ------------------------------------------------------------------------------------

    def schedule(self, meeting: Meeting, *, max_scheduled: int) -> bool:
        """Write a scheduled meeting, its entry in the scheduled index and one more counted, in one transaction;
        False when it exists already (a repeated job). :class:`MeetingLimitReached` when the server already has
        ``max_scheduled`` upcoming."""
        item = _to_item(meeting)
        entry = {name: item[name] for name in _LIVE_FIELDS if name in item}
        # Should its start never be carried out (a lost fire), the record and its entry still go in the end.
        expires = {"N": str(int(meeting.scheduled_end or meeting.created_at) + FAILED_RETENTION_SECONDS)}
        item["expires_at"] = entry["expires_at"] = expires
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": item,
                            "ConditionExpression": "attribute_not_exists(pk)",
                        }
                    },
                    {
                        "Put": {
                            "TableName": self.table,
                            "Item": {
                                **_scheduled_key(meeting),
                                **entry,
                                "guild_id": {"S": meeting.guild_id},
                                "status": {"S": "scheduled"},
                            },
                        }
                    },
                    {"Update": self._count_change(meeting.guild_id, SCHEDULED_COUNT_KEY, +1, limit=max_scheduled)},
                ]
            )
        except Exception as exc:
            reasons = _cancellation_reasons(exc)
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return False
            if reasons[2:3] == ["ConditionalCheckFailed"]:
                raise MeetingLimitReached(
                    lazy_gettext(
                        "This server already has {max} scheduled meetings, the most it allows. Cancel one "
                        "(`/kaltura-end`) or wait until one has started.",
                        max=max_scheduled,
                    )
                ) from None
            raise
        return True

    def _count_change(self, guild_id: str, key: str, step: int, *, limit: int | None = None) -> Any:
        update: Any = {
            "TableName": self.table,
            "Key": _item_key(guild_id, key),
            "ExpressionAttributeNames": {"#count": "count"},
            "ExpressionAttributeValues": {":zero": {"N": "0"}, ":one": {"N": "1"}},
        }
        if step > 0:
            update["UpdateExpression"] = "SET #count = if_not_exists(#count, :zero) + :one"
            if limit is not None:
                update["ConditionExpression"] = "attribute_not_exists(#count) OR #count < :max"
                update["ExpressionAttributeValues"][":max"] = {"N": str(limit)}
        else:
            update["UpdateExpression"] = "SET #count = #count - :one"
            update["ConditionExpression"] = "#count > :zero"
        return update

    def _leave_schedule(self, meeting: Meeting, update: Any) -> Meeting | None:
        """``update`` (conditional on the meeting being ``scheduled``), the index entry removed and one fewer
        counted, in one transaction; the current record when the meeting was no longer scheduled, else None."""
        try:
            self.client.transact_write_items(
                TransactItems=[
                    {"Update": update},
                    {"Delete": {"TableName": self.table, "Key": _scheduled_key(meeting)}},
                    {"Update": self._count_change(meeting.guild_id, SCHEDULED_COUNT_KEY, -1)},
                ]
            )
        except Exception as exc:
            reasons = _cancellation_reasons(exc)
            if reasons[:1] == ["ConditionalCheckFailed"]:
                return self.get(meeting.guild_id, meeting.meeting_id)
            if reasons[2:3] != ["ConditionalCheckFailed"]:
                raise
            self.client.transact_write_items(  # the count was already 0: leave it
                TransactItems=[
                    {"Update": update},
                    {"Delete": {"TableName": self.table, "Key": _scheduled_key(meeting)}},
                ]
            )
        return None

    def begin_scheduled(self, meeting: Meeting) -> Meeting:
        """``scheduled`` -> ``creating`` (then started as any meeting is), out of the scheduled index. Returns the
        record to start from; when it was no longer scheduled (a second fire, a cancel), the record as it is."""
        now = int(self._clock())
        update = {
            "TableName": self.table,
            "Key": _key(meeting.guild_id, meeting.meeting_id),
            "UpdateExpression": "SET #status = :creating, expires_at = :expires",
            "ConditionExpression": "#status = :scheduled",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":creating": {"S": "creating"},
                ":scheduled": {"S": "scheduled"},
                ":expires": {"N": str(now + FAILED_RETENTION_SECONDS)},
            },
        }
        current = self._leave_schedule(meeting, update)
        return current if current is not None else meeting.with_changes(status="creating")

    def cancel_scheduled(self, meeting: Meeting, cancelled_by: str) -> Meeting:
        """``scheduled`` -> ``cancelled`` (kept like an ended meeting), out of the scheduled index. A meeting that
        is no longer scheduled is returned as it is now (it started meanwhile, or was cancelled already)."""
        now = int(self._clock())
        update = self._end_update(meeting, cancelled_by, now, was="scheduled", becomes="cancelled")
        current = self._leave_schedule(meeting, update)
        if current is not None:
            return current
        return meeting.with_changes(status="cancelled", ended_at=now, ended_by=cancelled_by)

    def remove_scheduled(self, meeting: Meeting) -> None:
        """Undo :meth:`schedule` entirely (its Discord event or its schedules could not be made)."""
        update = {
            "TableName": self.table,
            "Key": _key(meeting.guild_id, meeting.meeting_id),
            "UpdateExpression": "SET #status = :failed, expires_at = :now",
            "ConditionExpression": "#status = :scheduled",
            "ExpressionAttributeNames": {"#status": "status"},
            "ExpressionAttributeValues": {
                ":failed": {"S": "failed"},
                ":scheduled": {"S": "scheduled"},
                ":now": {"N": str(int(self._clock()))},
            },
        }
        if self._leave_schedule(meeting, update) is None:
            self.delete(meeting)

    def set_event(self, meeting: Meeting, event_id: str) -> None:
        """The Discord event announcing the meeting, on the record and its index entry."""
        for key in (_key(meeting.guild_id, meeting.meeting_id), _scheduled_key(meeting)):
            self.client.update_item(
                TableName=self.table,
                Key=key,
                UpdateExpression="SET event_id = :event",
                ConditionExpression="attribute_exists(pk)",
                ExpressionAttributeValues={":event": {"S": event_id}},
            )

    def count_scheduled(self, guild_id: str) -> int:
        item = self.client.get_item(
            TableName=self.table, Key=_item_key(guild_id, SCHEDULED_COUNT_KEY), ConsistentRead=True
        ).get("Item")
        return max(0, int(item["count"]["N"])) if item and "count" in item else 0

    def list_scheduled(self, guild_id: str, limit: int = 25, *, missed: bool = False) -> list[Meeting]:
        """The next ``limit`` scheduled meetings, soonest first (one Query of the scheduled index). Meetings whose
        start passed more than :data:`MISSED_START_SECONDS` ago without starting (their fire was lost) are left
        out, or, with ``missed``, are the ones listed."""
        boundary = {"S": f"{int(self._clock()) - MISSED_START_SECONDS:011d}"}
        items = self.client.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk < :boundary" if missed else "pk = :pk AND sk >= :boundary",
            ExpressionAttributeValues={":pk": {"S": scheduled_partition(guild_id)}, ":boundary": boundary},
            ScanIndexForward=True,
            Limit=limit,
            ConsistentRead=True,
        ).get("Items", [])
        return [_from_item({**item, "status": {"S": "scheduled"}}) for item in items]

    def list_guild(self, guild_id: str, status: MeetingStatus | None = "active") -> list[Meeting]:
        """Every meeting record of the guild, newest first (one query, paginated by DynamoDB if large). It reads the
        guild's whole history: for live meetings use :meth:`list_live`; this serves ended ones (the REST API's
        ``status=ended``) and the migration that builds the live index."""
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


def _cancellation_reasons(exc: Exception) -> list[str]:
    """The per-item codes of a cancelled transaction ("None" for the items that were fine)."""
    response = getattr(exc, "response", None)
    if not isinstance(response, dict) or response.get("Error", {}).get("Code") != "TransactionCanceledException":
        return []
    return [str(reason.get("Code", "None")) for reason in response.get("CancellationReasons", [])]
