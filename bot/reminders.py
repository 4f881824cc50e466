"""What is due when, and delivering it exactly once (rule 4 of the house).

Reminders before an event and scheduled announcements are rows. Delivery is claim → send → mark:
a row is claimed (`claimed_at`) before it is sent, sent with a nonce derived from its id (Discord
returns the first message for a repeated nonce), then marked. A claim left by a crash is taken
again once its lease is over, with the same nonce: a restart never sends twice and never forgets.
The lease is shorter than Discord's nonce window, so a retried send is always recognised.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from bot.clock import Clock, from_db, to_db
from bot.dates import format_time, format_when, local_to_utc
from bot.db import Database
from bot.errors import UserError
from bot.i18n import gettext
from bot.notify import Button, Delivery, Notifier, Outgoing
from bot.recurrence import Frequency, Rule

if TYPE_CHECKING:
    from bot.events import Registration

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
LATE_ANNOUNCEMENT = timedelta(hours=1)  # a recurring announcement later than this waits for its next turn
LATE_ONE_OFF = timedelta(hours=24)
BATCH = 500


@dataclass(frozen=True)
class ReminderPolicy:
    """When a member is reminded: offsets before the start, and the server's quiet hours."""

    offsets: tuple[int, ...]
    zone: ZoneInfo
    quiet_start: int = 22
    quiet_end: int = 8

    def in_quiet_hours(self, moment: datetime) -> bool:
        hour = moment.astimezone(self.zone).hour
        if self.quiet_start == self.quiet_end:
            return False
        if self.quiet_start > self.quiet_end:
            return hour >= self.quiet_start or hour < self.quiet_end
        return self.quiet_start <= hour < self.quiet_end

    def due_at(self, starts_at: datetime, ends_at: datetime, offset_minutes: int) -> datetime:
        """`offset` before the start; in quiet hours, the next morning instead, unless the event is
        over by then (a late reminder beats none)."""
        due = starts_at - timedelta(minutes=offset_minutes)
        if not self.in_quiet_hours(due):
            return due
        local = due.astimezone(self.zone)
        day = local.date() if local.hour < self.quiet_end else local.date() + timedelta(days=1)
        morning = local_to_utc(day, time(self.quiet_end), self.zone)
        return morning if morning < ends_at else due


@dataclass(frozen=True)
class DueReminder:
    id: int
    registration_id: int
    user_id: int
    locale: str
    offset_minutes: int
    due_at: datetime
    title: str
    starts_at: datetime
    ends_at: datetime
    place: str | None
    online_url: str | None
    session_title: str | None
    zone: ZoneInfo


async def _next_due(db: Database, table: str, live: str, column: str) -> datetime | None:
    """The soonest moment a row of `table` may be taken: its due time, or the end of a claim's lease
    (a claim left by a crash must not make the scheduler spin until it expires)."""
    row = await db.fetchone(
        f"SELECT (SELECT MIN({column}) FROM {table} WHERE {live} AND claimed_at IS NULL),"
        f" (SELECT MIN(claimed_at) FROM {table} WHERE {live} AND claimed_at IS NOT NULL)"
    )
    if row is None:
        return None
    candidates = [from_db(row[0])] if row[0] else []
    if row[1]:
        candidates.append(from_db(row[1]) + LEASE)
    return min(candidates, default=None)


class ReminderStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def schedule(
        self, registration: Registration, starts_at: datetime, ends_at: datetime, policy: ReminderPolicy | None
    ) -> None:
        """(Re)create a registration's pending reminders; None removes them (the member opted out)."""
        now = self.db.clock()
        await self.db.execute(
            "DELETE FROM reminders WHERE registration_id = ? AND status = 'attente'", (registration.id,)
        )
        if policy is None or registration.dm_closed:
            return
        rows = []
        for offset in policy.offsets:
            due = policy.due_at(starts_at, ends_at, offset)
            if due > now:
                rows.append((registration.id, offset, to_db(due)))
        await self.db.execute_many(
            "INSERT INTO reminders (registration_id, offset_minutes, due_at) VALUES (?, ?, ?)"
            " ON CONFLICT (registration_id, offset_minutes) DO UPDATE SET due_at = excluded.due_at,"
            " status = 'attente', attempts = 0, claimed_at = NULL, sent_at = NULL",
            rows,
        )

    async def reschedule_event(
        self, event_id: int, starts_at: datetime, policy: ReminderPolicy, ends_at: datetime
    ) -> None:
        """The event moved: each reminder of its registrants is due again relative to the new time."""
        now = self.db.clock()
        rows = await self.db.fetchall(
            "SELECT r.id, r.offset_minutes FROM reminders r JOIN registrations g ON g.id = r.registration_id"
            " WHERE g.event_id = ? AND g.session_id IS NULL AND r.status IN ('attente', 'envoye', 'manque')",
            (event_id,),
        )
        for row in rows:
            due = policy.due_at(starts_at, ends_at, row["offset_minutes"])
            status = "attente" if due > now else "manque"
            await self.db.execute(
                "UPDATE reminders SET due_at = ?, status = ?, attempts = 0, claimed_at = NULL, sent_at = NULL"
                " WHERE id = ?",
                (to_db(due), status, row["id"]),
            )

    async def cancel_event(self, event_id: int) -> None:
        await self.db.execute(
            "UPDATE reminders SET status = 'annule' WHERE status = 'attente' AND registration_id IN"
            " (SELECT id FROM registrations WHERE event_id = ?)",
            (event_id,),
        )

    async def next_due(self) -> datetime | None:
        return await _next_due(self.db, "reminders", "status = 'attente'", "due_at")

    async def due(self, now: datetime, limit: int = BATCH) -> list[DueReminder]:
        rows = await self.db.fetchall(
            "SELECT r.id, r.registration_id, r.offset_minutes, r.due_at, g.user_id, g.locale,"
            " e.title, COALESCE(s.starts_at, e.starts_at) AS starts_at, COALESCE(s.ends_at, e.ends_at) AS ends_at,"
            " COALESCE(s.place, e.commune || ' (' || e.departement || ')') AS place, e.online_url,"
            " s.title AS session_title,"
            " COALESCE(gs.timezone, 'Europe/Paris') AS timezone"
            " FROM reminders r JOIN registrations g ON g.id = r.registration_id JOIN events e ON e.id = g.event_id"
            " LEFT JOIN event_sessions s ON s.id = g.session_id LEFT JOIN guild_settings gs ON gs.guild_id = e.guild_id"
            " WHERE r.status = 'attente' AND r.due_at <= ? AND (r.claimed_at IS NULL OR r.claimed_at < ?)"
            " AND g.user_id IS NOT NULL ORDER BY r.due_at, r.id LIMIT ?",
            (to_db(now), to_db(now - LEASE), limit),
        )
        return [
            DueReminder(
                id=row["id"],
                registration_id=row["registration_id"],
                user_id=row["user_id"],
                locale=row["locale"],
                offset_minutes=row["offset_minutes"],
                due_at=from_db(row["due_at"]),
                title=row["title"],
                starts_at=from_db(row["starts_at"]),
                ends_at=from_db(row["ends_at"]),
                place=row["place"],
                online_url=row["online_url"],
                session_title=row["session_title"],
                zone=ZoneInfo(row["timezone"]),
            )
            for row in rows
        ]

    async def claim(self, reminder_id: int, now: datetime) -> bool:
        return await self.db.claim("reminders", reminder_id, now, LEASE, live="status = 'attente'")

    async def mark(self, reminder: DueReminder, delivery: Delivery, now: datetime) -> None:
        async with self.db.transaction():
            if delivery is Delivery.SENT:
                await self.db.execute(
                    "UPDATE reminders SET status = 'envoye', sent_at = ?, claimed_at = NULL WHERE id = ?",
                    (to_db(now), reminder.id),
                )
            elif delivery is Delivery.CLOSED:
                # The member's DMs are closed: note it, and stop trying for this registration.
                await self.db.execute(
                    "UPDATE registrations SET dm_closed = 1 WHERE id = ?", (reminder.registration_id,)
                )
                await self.db.execute(
                    "UPDATE reminders SET status = CASE WHEN id = ? THEN 'echec' ELSE 'annule' END, claimed_at = NULL"
                    " WHERE registration_id = ? AND status = 'attente'",
                    (reminder.id, reminder.registration_id),
                )
            else:
                await self.db.execute(
                    "UPDATE reminders SET attempts = attempts + 1, claimed_at = NULL,"
                    " status = CASE WHEN attempts + 1 >= ? THEN 'echec' ELSE 'attente' END,"
                    " due_at = ? WHERE id = ?",
                    (MAX_ATTEMPTS, to_db(now + timedelta(minutes=1)), reminder.id),
                )

    async def mark_missed(self, reminder_id: int) -> None:
        await self.db.execute(
            "UPDATE reminders SET status = 'manque', claimed_at = NULL WHERE id = ? AND status = 'attente'",
            (reminder_id,),
        )

    async def counts(self) -> dict[str, int]:
        rows = await self.db.fetchall("SELECT status, COUNT(*) AS n FROM reminders GROUP BY status")
        return {row["status"]: row["n"] for row in rows}


def reminder_message(reminder: DueReminder) -> Outgoing:
    """The DM a registrant gets: what, when, where (or the link), and a way to cancel."""
    locale = reminder.locale
    when = format_when(reminder.starts_at, reminder.zone, locale)
    title = reminder.title if reminder.session_title is None else f"{reminder.title} — {reminder.session_title}"
    lines = [
        gettext(
            "Quand : {quand} (jusqu'à {fin})",
            locale,
            quand=when,
            fin=format_time(reminder.ends_at, reminder.zone, locale),
        )
    ]
    if reminder.place:
        lines.append(gettext("Où : {lieu}", locale, lieu=reminder.place))
    if reminder.online_url:
        lines.append(gettext("Lien : {lien}", locale, lien=reminder.online_url))
    return Outgoing(
        content=gettext("⏰ Rappel : vous êtes inscrit·e à « {titre} ».", locale, titre=title),
        title=title,
        lines=tuple(lines),
        buttons=(Button(gettext("Je ne viens plus", locale), f"evt:quitter:{reminder.registration_id}", "danger"),),
    )


class ReminderService:
    def __init__(self, store: ReminderStore, notifier: Notifier, clock: Clock) -> None:
        self.store = store
        self.notifier = notifier
        self.clock = clock

    async def next_due(self) -> datetime | None:
        return await self.store.next_due()

    async def run_due(self) -> int:
        """Send every reminder that is due; returns how many went out."""
        sent = 0
        while batch := await self.store.due(self.clock()):
            progressed = False
            for reminder in batch:
                now = self.clock()
                if reminder.starts_at <= now:
                    await self.store.mark_missed(reminder.id)  # the event began while the bot was away
                    progressed = True
                    continue
                if not await self.store.claim(reminder.id, now):
                    continue
                progressed = True
                delivery = await self.notifier.dm(
                    reminder.user_id, reminder_message(reminder), nonce=f"rappel-{reminder.id}"
                )
                await self.store.mark(reminder, delivery, self.clock())
                sent += delivery is Delivery.SENT
            if not progressed:
                break
        return sent


# ---------------------------------------------------------------------- scheduled announcements

WEEKDAY_BITS = 7


@dataclass(frozen=True)
class Announcement:
    id: int
    guild_id: int
    channel_id: int
    author_id: int
    content: str
    role_id: int | None
    rule: Rule
    next_at: datetime | None
    sent_count: int
    active: bool


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
        return await _next_due(self.db, "announcements", "active = 1", "next_at")

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


class AnnouncementService:
    def __init__(self, store: AnnouncementStore, notifier: Notifier, clock: Clock) -> None:
        self.store = store
        self.notifier = notifier
        self.clock = clock

    async def next_due(self) -> datetime | None:
        return await self.store.next_due()

    async def run_due(self) -> int:
        sent = 0
        for announcement in await self.store.due(self.clock()):
            now = self.clock()
            assert announcement.next_at is not None
            late = now - announcement.next_at
            recurring = announcement.rule.frequency is not Frequency.once
            if late > (LATE_ANNOUNCEMENT if recurring else LATE_ONE_OFF):
                # The bot was away: an old occurrence is not worth posting now.
                log.info("annonce %s : occurrence de %s manquée", announcement.id, announcement.next_at)
                await self.store.advance(announcement, sent=False, after=now)
                continue
            if not await self.store.claim(announcement.id, now):
                continue
            # One nonce per occurrence (at most 25 characters, as Discord allows).
            nonce = f"a{announcement.id}-{int(announcement.next_at.timestamp())}"
            delivery = await self.notifier.post(
                announcement.channel_id,
                Outgoing(content=announcement.content),
                nonce=nonce,
                mention_role_id=announcement.role_id,
            )
            if delivery is Delivery.SENT:
                await self.store.advance(announcement, sent=True, after=max(now, announcement.next_at))
                sent += 1
            elif delivery is Delivery.CLOSED:
                log.warning(
                    "annonce %s : salon %s inaccessible, annonce suspendue", announcement.id, announcement.channel_id
                )
                await self.store.deactivate(announcement.id)
            else:
                await self.store.retry_later(announcement, now)
        return sent
