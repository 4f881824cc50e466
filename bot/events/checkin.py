"""Check-in on the day: the organiser opens it, members confirm their arrival (a button, or the short
code shown at the venue), the organiser marks who came without a phone. Only a seated registration to
the event itself counts; the attendance rate is present / seated registrations (households)."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from bot.clock import Clock, from_db, to_db
from bot.db import Database, Row, from_row
from bot.errors import UserError
from bot.events.models import Event, Manager, Registration, RegistrationStatus
from bot.events.store import EventStore

# No 0/O, 1/I/L, 5/S, 2/Z, 8/B, U/V: a code read aloud or on a screen across the room is typed right.
CODE_ALPHABET = "ACDEFGHJKMNPQRTWXY34679"
CODE_LENGTH = 5
_SEPARATORS = re.compile(r"[\s\-_.]+")


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str) -> str:
    """As the member typed it, in any case, with spaces or dashes: « ac d-3f » is « ACD3F »."""
    return _SEPARATORS.sub("", typed).upper()


class CheckinState(BaseModel):
    event_id: int
    code: str
    opened_by: int | None
    opened_at: datetime
    closed_at: datetime | None

    @property
    def open(self) -> bool:
        return self.closed_at is None


@dataclass(frozen=True)
class Attendance:
    """Households (registrations) and people (seats): seated, and present among them."""

    seated: int
    present: int
    seated_people: int
    present_people: int

    @property
    def rate(self) -> float | None:
        return self.present / self.seated if self.seated else None


@dataclass(frozen=True)
class Desk:
    """The organiser's view of the check-in: its state, the rate, and who is seated but not yet here."""

    event: Event
    state: CheckinState | None
    attendance: Attendance
    absent: tuple[Registration, ...]


class CheckinStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def state(self, event_id: int) -> CheckinState | None:
        row = await self.db.fetchone("SELECT * FROM event_checkin WHERE event_id = ?", (event_id,))
        return _state(row) if row else None

    async def by_code(self, code: str) -> CheckinState | None:
        """The open check-in with this code, else the last closed one that had it."""
        row = await self.db.fetchone(
            "SELECT * FROM event_checkin WHERE code = ? ORDER BY closed_at IS NOT NULL, closed_at DESC LIMIT 1", (code,)
        )
        return _state(row) if row else None

    async def open(self, event_id: int, user_id: int, now: datetime) -> CheckinState:
        """Open (or reopen with a fresh code); an open check-in keeps its code. Codes of open check-ins
        differ, so a code alone names its event."""
        async with self.db.transaction():
            # A code is drawn, then checked against every open check-in: openings (rare) go one at a time.
            await self.db.hold_key("checkin_codes", 0)
            current = await self.state(event_id)
            if current is not None and current.open:
                return current
            # Reopened, it gets a code other than the one that may have been seen outside.
            taken = {current.code} if current is not None else set()
            code = new_code()
            while code in taken or await self.db.fetchone(
                "SELECT 1 FROM event_checkin WHERE code = ? AND closed_at IS NULL", (code,)
            ):
                code = new_code()
            await self.db.execute(
                "INSERT INTO event_checkin (event_id, code, opened_by, opened_at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (event_id) DO UPDATE SET code = excluded.code, opened_by = excluded.opened_by,"
                " opened_at = excluded.opened_at, closed_at = NULL",
                (event_id, code, user_id, to_db(now)),
            )
        state = await self.state(event_id)
        assert state is not None
        return state

    async def close(self, event_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE event_checkin SET closed_at = ? WHERE event_id = ? AND closed_at IS NULL", (to_db(now), event_id)
        )

    async def mark(self, registration_id: int, by_user_id: int, now: datetime) -> bool:
        """True when this marks the arrival, False when it was already noted."""
        row = await self.db.fetchone(
            "UPDATE registrations SET checked_in_at = ?, checked_in_by = ? WHERE id = ? AND checked_in_at IS NULL"
            " RETURNING id",
            (to_db(now), by_user_id, registration_id),
        )
        return row is not None

    async def attendance(self, event_id: int) -> Attendance:
        row = await self.db.fetchone(
            "SELECT COUNT(*) AS seated, COALESCE(SUM(r.seats), 0) AS seated_people,"
            " COUNT(r.checked_in_at) AS present,"
            " COALESCE(SUM(CASE WHEN r.checked_in_at IS NULL THEN 0 ELSE r.seats END), 0) AS present_people"
            " FROM registrations r WHERE r.event_id = ? AND r.session_id IS NULL AND r.status = ?",
            (event_id, RegistrationStatus.confirmed.value),
        )
        assert row is not None
        return Attendance(row["seated"], row["present"], row["seated_people"], row["present_people"])

    async def absent_ids(self, event_id: int, limit: int) -> list[int]:
        """Seated registrations to the event not yet marked present, in order of registration."""
        rows = await self.db.fetchall(
            "SELECT r.id FROM registrations r WHERE r.event_id = ? AND r.session_id IS NULL AND r.status = ?"
            " AND r.checked_in_at IS NULL"
            " ORDER BY r.created_at, r.id LIMIT ?",
            (event_id, RegistrationStatus.confirmed.value, limit),
        )
        return [row["id"] for row in rows]


class CheckinService:
    def __init__(self, store: CheckinStore, events: EventStore, clock: Clock) -> None:
        self.store = store
        self.events = events
        self.clock = clock

    async def open(self, event_id: int, *, by: Manager) -> Desk:
        event = await self._managed(event_id, by)
        if event.cancelled:
            raise UserError("Cet événement est annulé.")
        await self.store.open(event_id, by.user_id, self.clock())
        return await self.desk(event_id, by=by)

    async def close(self, event_id: int, *, by: Manager) -> Desk:
        await self._managed(event_id, by)
        await self.store.close(event_id, self.clock())
        return await self.desk(event_id, by=by)

    async def desk(self, event_id: int, *, by: Manager, shown: int = 25) -> Desk:
        event = await self._managed(event_id, by)
        absent = [await self.events.registration_by_id(i) for i in await self.store.absent_ids(event_id, shown)]
        return Desk(
            event,
            await self.store.state(event_id),
            await self.store.attendance(event_id),
            tuple(r for r in absent if r is not None),
        )

    async def arrive(self, event_id: int, user_id: int) -> tuple[Event, bool]:
        """The member says they are here (the button): only while check-in is open, only if seated."""
        event = await self.events.plain(event_id)
        state = await self.store.state(event_id)
        if state is None or not state.open:
            raise UserError("L'accueil de « {titre} » n'est pas ouvert.", titre=event.title)
        return event, await self._seated_arrives(event, user_id)

    async def arrive_with_code(self, typed: str, user_id: int) -> tuple[Event, bool]:
        """The member types the code shown at the venue; it names the event."""
        state = await self.store.by_code(normalise_code(typed))
        if state is None:
            raise UserError("Le code « {code} » ne correspond à aucun accueil : vérifiez-le à l'entrée.", code=typed)
        event = await self.events.plain(state.event_id)
        if not state.open:
            raise UserError("L'accueil de « {titre} » est fermé.", titre=event.title)
        return event, await self._seated_arrives(event, user_id)

    async def mark(self, event_id: int, registration_ids: list[int], *, by: Manager) -> Desk:
        """The organiser marks registrations present (open or not: a list is fixed after the day too)."""
        await self._managed(event_id, by)
        for registration_id in registration_ids:
            registration = await self.events.registration_by_id(registration_id)
            if registration is None or registration.event_id != event_id or registration.session_id is not None:
                raise UserError("Cette inscription n'existe plus.")
            if registration.waiting:
                raise UserError("Cette personne est sur la liste d'attente : elle n'a pas de place.")
            await self.store.mark(registration_id, by.user_id, self.clock())
        return await self.desk(event_id, by=by)

    async def mark_member(self, event_id: int, user_id: int, *, by: Manager) -> Desk:
        registration = await self.events.registration_of(event_id, user_id)
        if registration is None:
            raise UserError("Ce membre n'est pas inscrit à cet événement.")
        return await self.mark(event_id, [registration.id], by=by)

    async def attendance(self, event_id: int) -> Attendance:
        return await self.store.attendance(event_id)

    async def _seated_arrives(self, event: Event, user_id: int) -> bool:
        registration = await self.events.registration_of(event.id, user_id)
        if registration is None:
            raise UserError("Vous n'êtes pas inscrit·e à « {titre} ».", titre=event.title)
        if registration.waiting:
            raise UserError(
                "Vous êtes sur la liste d'attente de « {titre} » : voyez l'accueil pour une place.", titre=event.title
            )
        return await self.store.mark(registration.id, user_id, self.clock())

    async def _managed(self, event_id: int, by: Manager) -> Event:
        event = await self.events.plain(event_id)
        if not by.may_manage(event):
            raise UserError("Seuls l'organisateur de l'événement et les modérateurs du serveur peuvent le gérer.")
        return event


def _state(row: Row) -> CheckinState:
    closed = row["closed_at"]
    return from_row(
        CheckinState, row, opened_at=from_db(row["opened_at"]), closed_at=from_db(closed) if closed else None
    )
