"""The scheduled announcements store: each announcement's rule; its next occurrence is a ledger row
(`announcement:ID`), read here to show when it comes next."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.announcements.models import WEEKDAY_BITS, Announcement
from bot.clock import from_db, to_db
from bot.db import Database, Where, from_row
from bot.recurrence import Frequency, Rule

# The announcement with the due time of its pending occurrence, if any.
SELECT = (
    "SELECT a.*, (SELECT MIN(o.due_at) FROM outbox o WHERE o.subject = 'announcement:' || a.id"
    " AND o.status = 'pending') AS next_at FROM announcements a"
)


class AnnouncementStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self, *, guild_id: int, channel_id: int, author_id: int, content: str, role_id: int | None, rule: Rule
    ) -> int:
        return await self.db.insert(
            "INSERT INTO announcements (guild_id, channel_id, author_id, content, role_id, rule, weekdays, monthday,"
            " nth, at_hour, at_minute, timezone, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
            " RETURNING id",
            (
                guild_id, channel_id, author_id, content, role_id, rule.frequency.value,
                sum(1 << day for day in rule.weekdays), rule.monthday, rule.nth, rule.at.hour, rule.at.minute,
                str(rule.zone), to_db(self.db.clock()),
            ),
        )  # fmt: skip

    async def get(self, announcement_id: int) -> Announcement | None:
        row = await self.db.fetchone(f"{SELECT} WHERE a.id = ?", (announcement_id,))
        return _announcement(row) if row else None

    async def of_guild(self, guild_id: int) -> list[Announcement]:
        rows = await self.db.fetchall(
            f"{SELECT} WHERE a.guild_id = ? AND a.active = 1 ORDER BY next_at, a.id", (guild_id,)
        )
        return [_announcement(row) for row in rows]

    async def deactivate(self, announcement_id: int, guild_id: int | None = None) -> bool:
        where = Where("active = 1")
        where.add("id = ?", announcement_id)
        if guild_id is not None:
            where.add("guild_id = ?", guild_id)
        changed = await self.db.update(f"UPDATE announcements SET active = 0 WHERE {where}", where.params)
        return changed == 1

    async def record_sent(self, announcement_id: int, occurrence: datetime) -> None:
        await self.db.execute(
            "UPDATE announcements SET sent_count = sent_count + 1, last_sent_at = ? WHERE id = ?",
            (to_db(occurrence), announcement_id),
        )


def _announcement(row: Any) -> Announcement:
    next_at = from_db(row["next_at"]) if row["next_at"] else None
    zone = ZoneInfo(row["timezone"])
    start = next_at.astimezone(zone).date() if next_at else from_db(row["created_at"]).astimezone(zone).date()
    rule = Rule(
        frequency=Frequency(row["rule"]),
        at=time(row["at_hour"], row["at_minute"]),
        zone=zone,
        start=start,
        weekdays=frozenset(day for day in range(WEEKDAY_BITS) if row["weekdays"] >> day & 1),
        monthday=row["monthday"],
        nth=row["nth"],
    )
    return from_row(Announcement, row, rule=rule, next_at=next_at, active=bool(row["active"]))
