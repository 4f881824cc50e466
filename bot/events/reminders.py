"""Reminders before an event: when each registrant is reminded (offsets, quiet hours) and the DM."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from bot.clock import Clock, from_db, to_db
from bot.dates import format_time, format_when, local_to_utc
from bot.db import Database
from bot.i18n import gettext
from bot.notify import Button, Delivery, Notifier, Outgoing
from bot.outbox import BATCH, LEASE, MAX_ATTEMPTS, next_due_in

if TYPE_CHECKING:
    from bot.events.models import Registration


log = logging.getLogger(__name__)


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
        return await next_due_in(self.db, "reminders", "status = 'attente'", "due_at")

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
