#!/usr/bin/env python3
"""Build the live-meeting index of an existing table (once, when upgrading from a release before it).

    TABLE_NAME=kaltura-discord-Table-XXXX python scripts/migrate_live_index.py

It scans the table once (read capacity: one pass over every item) and prints each guild's live meetings. Safe to
run again and while the bot runs. See docs/scaling.md ("Upgrading an existing table").
"""

from __future__ import annotations

import sys

from kaltura_discord.meetings.migrations import backfill_live_index
from kaltura_discord.meetings.repository import MeetingRepository
from kaltura_discord.settings import ConfigurationError


def main() -> int:
    try:
        counts = backfill_live_index(MeetingRepository())
    except ConfigurationError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    for guild_id, count in counts.items():
        print(f"guild {guild_id}: {count} live meetings indexed")
    print(f"done: {len(counts)} guilds with live meetings")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
