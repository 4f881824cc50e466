"""The scheduled announcements store."""

from __future__ import annotations

from datetime import datetime, time
from typing import Any
from zoneinfo import ZoneInfo

from bot.announcements.models import WEEKDAY_BITS, Announcement
from bot.clock import from_db, to_db
from bot.db import Database
from bot.errors import UserError
from bot.events.reminders import log
from bot.outbox import BATCH, LEASE, MAX_ATTEMPTS, next_due_in
from bot.recurrence import Frequency, Rule


class AnnouncementStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def create(
        self,
        *,
        guild_id: int,
        channel_id: int,
        author_id: int,
        content: str,
        role_id: int | None,
        rule: Rule,
        first: datetime,
    ) -> Announcement:
        now = self.db.clock()
        if first <= now:
            raise UserError("La première diffusion doit être dans le futur.")
        announcement_id = await self.db.execute(
            "INSERT INTO announcements (guild_id, channel_id, author_id, content, role_id, rule, weekdays, monthday,"
            " nth, at_hour, at_minute, timezone, next_at, created_at) VALUES"
            " (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                guild_id, channel_id, author_id, content, role_id, rule.frequency.value,
                sum(1 << day for day in rule.weekdays), rule.monthday, rule.nth, rule.at.hour, rule.at.minute,
                str(rule.zone), to_db(first), to_db(now),
            ),
        )  # fmt: skip
        found = await self.get(announcement_id)
        assert found is not None
        return found

    async def get(self, announcement_id: int) -> Announcement | None:
        row = await self.db.fetchone("SELECT * FROM announcements WHERE id = ?", (announcement_id,))
        return _announcement(row) if row else None

    async def of_guild(self, guild_id: int) -> list[Announcement]:
        rows = await self.db.fetchall(
            "SELECT * FROM announcements WHERE guild_id = ? AND active = 1 ORDER BY next_at, id", (guild_id,)
        )
        return [_announcement(row) for row in rows]

    async def cancel(self, announcement_id: int, guild_id: int) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE announcements SET active = 0 WHERE id = ? AND guild_id = ? AND active = 1",
                (announcement_id, guild_id),
            )
            return cursor.rowcount == 1

    async def next_due(self) -> datetime | None:
        return await next_due_in(self.db, "announcements", "active = 1", "next_at")

    async def due(self, now: datetime) -> list[Announcement]:
        rows = await self.db.fetchall(
            "SELECT * FROM announcements WHERE active = 1 AND next_at <= ? AND (claimed_at IS NULL OR claimed_at < ?)"
            " ORDER BY next_at, id LIMIT ?",
            (to_db(now), to_db(now - LEASE), BATCH),
        )
        return [_announcement(row) for row in rows]

    async def claim(self, announcement_id: int, now: datetime) -> bool:
        return await self.db.claim("announcements", announcement_id, now, LEASE, live="active = 1")

    async def advance(self, announcement: Announcement, *, sent: bool, after: datetime) -> None:
        """Move to the next occurrence after `after` (or retire a one-off)."""
        following = None if announcement.rule.frequency is Frequency.once else announcement.rule.next_after(after)
        await self.db.execute(
            "UPDATE announcements SET next_at = ?, active = ?, claimed_at = NULL, attempts = 0,"
            " sent_count = sent_count + ?, last_sent_at = CASE WHEN ? THEN next_at ELSE last_sent_at END WHERE id = ?",
            (
                to_db(following) if following else None,
                int(following is not None),
                int(sent),
                int(sent),
                announcement.id,
            ),
        )

    async def retry_later(self, announcement: Announcement, now: datetime) -> None:
        await self.db.execute(
            "UPDATE announcements SET claimed_at = NULL, attempts = attempts + 1 WHERE id = ?", (announcement.id,)
        )
        row = await self.db.fetchone("SELECT attempts FROM announcements WHERE id = ?", (announcement.id,))
        if row and row["attempts"] >= MAX_ATTEMPTS:
            log.warning("annonce %s : %d échecs, occurrence abandonnée", announcement.id, MAX_ATTEMPTS)
            await self.advance(announcement, sent=False, after=now)

    async def deactivate(self, announcement_id: int) -> None:
        await self.db.execute("UPDATE announcements SET active = 0, claimed_at = NULL WHERE id = ?", (announcement_id,))


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
    return Announcement(
        id=row["id"],
        guild_id=row["guild_id"],
        channel_id=row["channel_id"],
        author_id=row["author_id"],
        content=row["content"],
        role_id=row["role_id"],
        rule=rule,
        next_at=next_at,
        sent_count=row["sent_count"],
        active=bool(row["active"]),
    )
