"""The events store. A registration is a household's: "we will be 3" takes 3 seats. With a capacity,
who does not fit waits, in order; when seats free up, they go down the waiting list to each household
that fits, and one that does not fit yet keeps its place. A household larger than the whole capacity
is refused at once. Every change runs in one transaction, so concurrent registrations never exceed
the capacity."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, Unpack

from bot.clock import from_db, to_db
from bot.db import Database, Row, Where, from_row, marks
from bot.errors import Plural, UserError
from bot.events.models import (
    MAX_SEATS,
    Event,
    EventDraft,
    EventFilters,
    EventStatus,
    Interest,
    Outcome,
    Registration,
    RegistrationStatus,
    Session,
    SessionDraft,
    Signup,
)
from bot.geo import Geography, bounding_box, distance_km

PROJECT_NAME = "(SELECT nom FROM projects p WHERE p.id = e.project_id) AS project_name"


class EventStore:
    def __init__(self, db: Database, geo: Geography) -> None:
        self.db = db
        self.geo = geo

    # ----------------------------------------------------------------- events

    async def create(
        self,
        draft: EventDraft,
        occurrences: Sequence[tuple[datetime, datetime]],
        *,
        announce_channel_id: int | None = None,
    ) -> list[Event]:
        """One event per occurrence (a series shares the first one's id); the first is the one
        announced in `announce_channel_id`, its card's channel."""
        commune = self.geo.commune(draft.code_insee) if draft.code_insee else None
        if draft.code_insee and commune is None:
            raise UserError("Je ne trouve pas la commune « {commune} ».", commune=draft.code_insee)
        now = to_db(self.db.clock())
        ids: list[int] = []
        async with self.db.transaction():
            for starts_at, ends_at in occurrences:
                event_id = await self.db.insert(
                    "INSERT INTO events (guild_id, kind, title, description, starts_at, ends_at, code_insee, address,"
                    " commune, departement, region, lat, lon, online_url, capacity, organiser_id, series_id,"
                    " created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
                    " RETURNING id",
                    (
                        draft.guild_id, draft.kind.value, draft.title, draft.description, to_db(starts_at),
                        to_db(ends_at), draft.code_insee, draft.address, commune.nom if commune else None,
                        commune.departement if commune else None, commune.region if commune else None,
                        commune.lat if commune else None, commune.lon if commune else None, draft.online_url,
                        draft.capacity, draft.organiser_id, ids[0] if ids else None, now, now,
                    ),
                )  # fmt: skip
                ids.append(event_id)
            if announce_channel_id is not None:
                await self.db.execute(
                    "UPDATE events SET announce_channel_id = ? WHERE id = ?", (announce_channel_id, ids[0])
                )
            if len(ids) > 1:
                await self.db.execute("UPDATE events SET series_id = ? WHERE id = ?", (ids[0], ids[0]))
            if draft.project_id is not None:
                await self.db.execute(
                    f"UPDATE events SET project_id = ? WHERE id IN ({marks(ids)})", (draft.project_id, *ids)
                )
        return await self.get_many(ids)

    async def get(self, event_id: int) -> Event | None:
        found = await self.get_many([event_id])
        return found[0] if found else None

    async def must_get(self, event_id: int) -> Event:
        event = await self.get(event_id)
        if event is None:
            raise UserError("Cet événement n'existe pas.")
        return event

    async def plain(self, event_id: int) -> Event:
        """An event without its head counts (`seats_taken` and `waiting` left at 0), for the flows that
        do not show them: counting the seats of a plenary of 3,000 at each registration or reminder
        would cost more than the rest of it."""
        row = await self.db.fetchone(
            f"SELECT *, {PROJECT_NAME}, 0 AS seats_taken, 0 AS waiting, 0 AS interested FROM events e WHERE id = ?",
            (event_id,),
        )
        if row is None:
            raise UserError("Cet événement n'existe pas.")
        return _event(row)

    async def get_many(self, ids: Sequence[int]) -> list[Event]:
        if not ids:
            return []
        rows = await self.db.fetchall(
            f"SELECT e.*, {PROJECT_NAME},"
            " COALESCE((SELECT SUM(seats) FROM registrations r WHERE r.event_id = e.id AND r.session_id IS NULL"
            "   AND r.status = 'inscrit'), 0) AS seats_taken,"
            " (SELECT COUNT(*) FROM registrations r WHERE r.event_id = e.id AND r.session_id IS NULL"
            "   AND r.status = 'attente') AS waiting,"
            " (SELECT COUNT(*) FROM event_interests i WHERE i.event_id = e.id) AS interested"
            f" FROM events e WHERE e.id IN ({marks(ids)})",
            tuple(ids),
        )
        by_id = {row["id"]: _event(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def update(self, event_id: int, **changes: Any) -> tuple[Event, list[Registration]]:
        """Change an event; a larger capacity moves the waiting list up (who moved up is returned)."""
        allowed = {"title", "description", "starts_at", "ends_at", "code_insee", "address", "online_url", "capacity"}
        if set(changes) - allowed:
            raise ValueError(f"unknown event fields: {sorted(set(changes) - allowed)}")
        async with self.db.transaction():
            await self.db.hold("events", event_id)
            current = await self.must_get(event_id)
            if current.cancelled:
                raise UserError("Cet événement est annulé.")
            draft = EventDraft.model_validate(current.model_dump(include=set(EventDraft.model_fields)) | changes)
            if draft.capacity is not None and draft.capacity < current.seats_taken:
                taken = Plural("{n} place déjà réservée", "{n} places déjà réservées", current.seats_taken)
                raise UserError("{reservees} : la capacité ne peut pas descendre en dessous.", reservees=taken)
            commune = self.geo.commune(draft.code_insee) if draft.code_insee else None
            await self.db.execute(
                "UPDATE events SET title = ?, description = ?, starts_at = ?, ends_at = ?, code_insee = ?, address = ?,"
                " commune = ?, departement = ?, region = ?, lat = ?, lon = ?, online_url = ?, capacity = ?,"
                " updated_at = ? WHERE id = ?",
                (
                    draft.title, draft.description, to_db(draft.starts_at), to_db(draft.ends_at), draft.code_insee,
                    draft.address, commune.nom if commune else None, commune.departement if commune else None,
                    commune.region if commune else None, commune.lat if commune else None,
                    commune.lon if commune else None, draft.online_url, draft.capacity, to_db(self.db.clock()),
                    event_id,
                ),
            )  # fmt: skip
            promoted = await self._promote(event_id, None)
        return await self.must_get(event_id), promoted

    async def cancel(self, event_id: int, reason: str) -> tuple[Event, list[Registration]]:
        """Cancel an event; returns everyone registered (confirmed or waiting) to tell them."""
        async with self.db.transaction():
            await self.db.hold("events", event_id)
            current = await self.must_get(event_id)
            if current.cancelled:
                raise UserError("Cet événement est déjà annulé.")
            await self.db.execute(
                "UPDATE events SET status = ?, cancel_reason = ?, updated_at = ? WHERE id = ?",
                (EventStatus.cancelled.value, reason, to_db(self.db.clock()), event_id),
            )
            registrations = await self.participants(event_id, sessions=True)
        return await self.must_get(event_id), registrations

    async def set_discord_event(self, event_id: int, discord_event_id: int) -> None:
        await self.db.execute("UPDATE events SET discord_event_id = ? WHERE id = ?", (discord_event_id, event_id))

    async def without_discord_event(self, guild_id: int, now: datetime) -> list[Event]:
        """A server's events still to come that have no Discord event (its creation failed, or the bot
        stopped before it). An association's agenda brings hundreds: they stay in the bot's agenda only."""
        rows = await self.db.fetchall(
            "SELECT id FROM events WHERE guild_id = ? AND status = ? AND starts_at > ? AND discord_event_id IS NULL"
            " AND source_uid IS NULL ORDER BY starts_at",
            (guild_id, EventStatus.planned.value, to_db(now)),
        )
        return await self.get_many([row["id"] for row in rows])

    async def set_card(self, event_id: int, message_id: int) -> None:
        """The message the event's card became in its announcement channel."""
        await self.db.execute("UPDATE events SET announce_message_id = ? WHERE id = ?", (message_id, event_id))

    async def forget_card(self, event_id: int) -> None:
        """The card was never posted, or is gone (channel or message deleted): nothing left to rewrite."""
        await self.db.execute(
            "UPDATE events SET announce_channel_id = NULL, announce_message_id = NULL WHERE id = ?", (event_id,)
        )

    async def upcoming(self, filters: EventFilters, now: datetime, limit: int = 500) -> list[Event]:
        """Events not yet over and not cancelled, soonest first."""
        where = Where("e.status = 'prevu'")
        where.add("e.ends_at > ?", to_db(now))
        if filters.kind is not None:
            where.add("e.kind = ?", filters.kind.value)
        if filters.departement:
            where.add("e.departement = ?", filters.departement)
        if filters.departements:
            shown = f"e.departement IN ({marks(filters.departements)})"
            where.add(f"({shown} OR (e.departement IS NULL AND e.region = ?))", *filters.departements, filters.region)
        if filters.online is not None:
            where.add("e.online_url IS NOT NULL" if filters.online else "e.code_insee IS NOT NULL")
        if filters.user_id is not None:
            where.add(
                "EXISTS (SELECT 1 FROM registrations r WHERE r.event_id = e.id AND r.user_id = ?)", filters.user_id
            )
        if filters.near is not None:
            box = bounding_box(*filters.near, filters.radius_km)
            where.add("e.lat BETWEEN ? AND ? AND e.lon BETWEEN ? AND ?", *box)
        rows = await self.db.fetchall(
            f"SELECT e.id, e.lat, e.lon FROM events e WHERE {where} ORDER BY e.starts_at, e.id LIMIT ?",
            (*where.params, limit),
        )
        ids = [
            row["id"]
            for row in rows
            if filters.near is None or distance_km(*filters.near, row["lat"], row["lon"]) <= filters.radius_km
        ]
        return await self.get_many(ids)

    async def titles_like(self, typed: str, now: datetime, *, organiser_id: int | None = None) -> list[Event]:
        """Upcoming events whose title holds `typed` (an organiser's own when given), for autocomplete."""
        where = Where("status = 'prevu'")
        where.add("ends_at > ?", to_db(now))
        where.add("title LIKE ?", f"%{typed.strip()}%")
        if organiser_id is not None:
            where.add("organiser_id = ?", organiser_id)
        rows = await self.db.fetchall(f"SELECT id FROM events WHERE {where} ORDER BY starts_at LIMIT 25", where.params)
        return await self.get_many([row["id"] for row in rows])

    async def of_project(self, project_id: int, now: datetime, limit: int = 3) -> list[Event]:
        """A project's coming events (its open days…), soonest first."""
        rows = await self.db.fetchall(
            "SELECT id FROM events WHERE project_id = ? AND status = 'prevu' AND ends_at > ?"
            " ORDER BY starts_at, id LIMIT ?",
            (project_id, to_db(now), limit),
        )
        return await self.get_many([row["id"] for row in rows])

    # ----------------------------------------------------------------- sessions

    async def add_session(self, event_id: int, draft: SessionDraft) -> Session:
        event = await self.plain(event_id)
        if event.cancelled:
            raise UserError("Cet événement est annulé.")
        if not event.starts_at <= draft.starts_at < draft.ends_at <= event.ends_at:
            raise UserError("Un atelier se tient pendant l'événement, et finit après avoir commencé.")
        session_id = await self.db.insert(
            "INSERT INTO event_sessions (event_id, title, starts_at, ends_at, place, capacity)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (event_id, draft.title, to_db(draft.starts_at), to_db(draft.ends_at), draft.place, draft.capacity),
        )
        return (await self.sessions(event_id, only=session_id))[0]

    async def sessions(self, event_id: int, *, only: int | None = None) -> list[Session]:
        where = Where()
        where.add("s.event_id = ?", event_id)
        if only is not None:
            where.add("s.id = ?", only)
        rows = await self.db.fetchall(
            "SELECT s.*, COALESCE((SELECT SUM(seats) FROM registrations r WHERE r.session_id = s.id"
            f" AND r.status = 'inscrit'), 0) AS seats_taken FROM event_sessions s WHERE {where}"
            " ORDER BY s.starts_at, s.id",
            where.params,
        )
        return [
            from_row(Session, row, starts_at=from_db(row["starts_at"]), ends_at=from_db(row["ends_at"])) for row in rows
        ]

    # ----------------------------------------------------------------- registrations

    async def register(self, event_id: int, *, seats: int, **signup: Unpack[Signup]) -> Outcome:
        """Register a household, or update its registration (never a second row). A household larger
        than the whole capacity is refused at once: it could only wait forever."""
        user_id, guest_name = signup.get("user_id"), signup.get("guest_name")
        session_id, registered_by = signup.get("session_id"), signup.get("registered_by")
        remind, locale = signup.get("remind", True), signup.get("locale", "fr")
        if not 1 <= seats <= MAX_SEATS:
            raise UserError("Une inscription compte de 1 à {n} personnes.", n=MAX_SEATS)
        if (user_id is None) == (guest_name is None):
            raise ValueError("a registration is for a member or for a named guest")
        now = self.db.clock()
        async with self.db.transaction():
            # Seats are counted, then taken: concurrent registrations to one event go one after the other.
            await self.db.hold("events", event_id)
            event = await self.plain(event_id)
            if event.cancelled:
                raise UserError("Cet événement est annulé.")
            if event.ends_at <= now:
                raise UserError("Cet événement est terminé.")
            if not event.signup:  # an association's event, registration at its own link
                raise UserError(
                    "On s'inscrit à « {titre} » auprès de l'association : {lien}",
                    titre=event.title, lien=event.registration_url or event.source_name or "",
                )  # fmt: skip
            capacity = event.capacity
            if session_id is not None:
                found = await self.sessions(event_id, only=session_id)
                if not found:
                    raise UserError("Cet atelier n'existe pas.")
                capacity = found[0].capacity
            if capacity is not None and seats > capacity:
                raise UserError(
                    "« {titre} » compte {capacite} places en tout : une inscription de {n} personnes ne peut "
                    "pas y tenir. Écrivez à l'organisateur·ice pour trouver une solution.",
                    titre=event.title,
                    capacite=capacity,
                    n=seats,
                )
            existing = await self._existing(event_id, session_id, user_id) if user_id is not None else None
            # Without a capacity nobody waits: no seats to count, no line to move.
            taken = await self._seats_taken(event_id, session_id) if capacity is not None else 0
            promoted: list[Registration] = []
            if existing is None:
                # After every change, no waiting household fits in the seats left (see _promote): a
                # newcomer who fits overtakes nobody who could have had the seat, and one who waits
                # frees none, so the line need not move.
                fits = capacity is None or taken + seats <= capacity
                row = await self.db.fetchone(
                    "INSERT INTO registrations (event_id, session_id, user_id, guest_name, seats, status, remind,"
                    " locale, registered_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING *",
                    (
                        event_id, session_id, user_id, guest_name, seats,
                        (RegistrationStatus.confirmed if fits else RegistrationStatus.waiting).value,
                        int(remind), locale, registered_by, to_db(now),
                    ),
                )  # fmt: skip
                assert row is not None
                registration = _registration(row)
            else:
                if not existing.waiting and capacity is not None and taken - existing.seats + seats > capacity:
                    raise UserError(
                        "Plus assez de places pour passer à {n} personnes ; "
                        "votre inscription pour {avant} reste valable.",
                        n=seats,
                        avant=existing.seats,
                    )
                await self.db.execute(
                    "UPDATE registrations SET seats = ?, remind = ?, locale = ? WHERE id = ?",
                    (seats, int(remind), locale, existing.id),
                )
                # Fewer seats free some; a waiting household that shrank may fit now.
                promoted = await self._promote(event_id, session_id) if capacity is not None else []
                registration = await self._registration(existing.id)
            if user_id is not None:  # who registers is no longer merely interested
                await self.db.execute(
                    "DELETE FROM event_interests WHERE event_id = ? AND user_id = ?", (event_id, user_id)
                )
            position = await self._position(registration) if registration.waiting else None
        return Outcome(event, registration, position, tuple(promoted), existing is None)

    async def unregister(self, registration_id: int) -> list[Registration]:
        """Remove a registration; returns those who moved up from the waiting list."""
        async with self.db.transaction():
            registration = await self._registration(registration_id)
            await self.db.hold("events", registration.event_id)
            await self.db.execute("DELETE FROM registrations WHERE id = ?", (registration_id,))
            return await self._promote(registration.event_id, registration.session_id)

    async def registration_by_id(self, registration_id: int) -> Registration | None:
        row = await self.db.fetchone("SELECT * FROM registrations WHERE id = ?", (registration_id,))
        return _registration(row) if row else None

    async def for_reminder(self, registration_id: int) -> tuple[Registration, Event, Session | None] | None:
        """A registration with its event and workshop, without the head counts a reminder does not show
        (counting seats for each of 3,000 reminders of one plenary would cost more than sending them)."""
        registration = await self.registration_by_id(registration_id)
        if registration is None:
            return None
        event = await self.plain(registration.event_id)
        session = None
        if registration.session_id is not None:
            found = await self.sessions(registration.event_id, only=registration.session_id)
            session = found[0] if found else None
        return registration, event, session

    async def confirm(self, registration_id: int) -> None:
        """« Je viens toujours », after a change of date or place."""
        await self.db.execute(
            "UPDATE registrations SET confirmed_at = ? WHERE id = ?", (to_db(self.db.clock()), registration_id)
        )

    async def ask_again(self, event_id: int) -> None:
        """A new change of date or place: earlier « Je viens toujours » answered about the event as it was."""
        await self.db.execute("UPDATE registrations SET confirmed_at = NULL WHERE event_id = ?", (event_id,))
        await self.db.execute("UPDATE event_interests SET confirmed_at = NULL WHERE event_id = ?", (event_id,))

    async def note_dm_closed(self, registration_id: int) -> None:
        await self.db.execute("UPDATE registrations SET dm_closed = 1 WHERE id = ?", (registration_id,))

    async def registration_of(self, event_id: int, user_id: int, session_id: int | None = None) -> Registration | None:
        return await self._existing(event_id, session_id, user_id)

    async def participants(self, event_id: int, *, sessions: bool = False) -> list[Registration]:
        """Confirmed first, then the waiting list in order."""
        workshops = "" if sessions else " AND session_id IS NULL"
        rows = await self.db.fetchall(
            f"SELECT * FROM registrations WHERE event_id = ?{workshops} ORDER BY status = 'attente', created_at, id",
            (event_id,),
        )
        return [_registration(row) for row in rows]

    async def _existing(self, event_id: int, session_id: int | None, user_id: int | None) -> Registration | None:
        row = await self.db.fetchone(
            "SELECT * FROM registrations WHERE event_id = ? AND COALESCE(session_id, 0) = ? AND user_id = ?",
            (event_id, session_id or 0, user_id),
        )
        return _registration(row) if row else None

    async def _registration(self, registration_id: int) -> Registration:
        row = await self.db.fetchone("SELECT * FROM registrations WHERE id = ?", (registration_id,))
        if row is None:
            raise UserError("Cette inscription n'existe plus.")
        return _registration(row)

    async def _seats_taken(self, event_id: int, session_id: int | None) -> int:
        row = await self.db.fetchone(
            "SELECT COALESCE(SUM(seats), 0) FROM registrations WHERE event_id = ? AND session_id IS NOT DISTINCT FROM ?"
            " AND status = 'inscrit'",
            (event_id, session_id),
        )
        return int(row[0]) if row else 0

    async def _capacity(self, event_id: int, session_id: int | None) -> int | None:
        if session_id is None:
            row = await self.db.fetchone("SELECT capacity FROM events WHERE id = ?", (event_id,))
        else:
            row = await self.db.fetchone("SELECT capacity FROM event_sessions WHERE id = ?", (session_id,))
        return row["capacity"] if row else None

    async def _position(self, registration: Registration) -> int:
        row = await self.db.fetchone(
            "SELECT COUNT(*) FROM registrations WHERE event_id = ? AND session_id IS NOT DISTINCT FROM ?"
            " AND status = 'attente' AND (created_at < ? OR (created_at = ? AND id <= ?))",
            (
                registration.event_id, registration.session_id, to_db(registration.created_at),
                to_db(registration.created_at), registration.id,
            ),
        )  # fmt: skip
        return int(row[0]) if row else 1

    async def _promote(self, event_id: int, session_id: int | None) -> list[Registration]:
        """Freed seats go down the waiting list in order to each household that fits; one that does not
        fit yet keeps its place, and nobody behind it waits for it."""
        capacity = await self._capacity(event_id, session_id)
        free = None if capacity is None else capacity - await self._seats_taken(event_id, session_id)
        if free is not None and free <= 0:
            return []  # a full event: the line of a plenary of 3,000 is not read at each registration
        where = Where("status = 'attente'")
        where.add("event_id = ?", event_id)
        where.add("session_id IS NOT DISTINCT FROM ?", session_id)
        if free is not None:
            where.add("seats <= ?", free)
        rows = await self.db.fetchall(
            f"SELECT * FROM registrations WHERE {where} ORDER BY created_at, id", where.params
        )
        promoted = []
        for row in rows:
            waiting = _registration(row)
            if free is not None and waiting.seats > free:
                continue
            await self.db.execute(
                "UPDATE registrations SET status = ? WHERE id = ?", (RegistrationStatus.confirmed.value, waiting.id)
            )
            free = None if free is None else free - waiting.seats
            promoted.append(waiting.model_copy(update={"status": RegistrationStatus.confirmed}))
        return promoted

    # ----------------------------------------------------------------- interest

    async def interest_of(self, event_id: int, user_id: int) -> Interest | None:
        row = await self.db.fetchone(
            "SELECT * FROM event_interests WHERE event_id = ? AND user_id = ?", (event_id, user_id)
        )
        return _interest(row) if row else None

    async def add_interest(self, event_id: int, user_id: int, locale: str) -> None:
        await self.db.execute(
            "INSERT INTO event_interests (event_id, user_id, locale, created_at) VALUES (?, ?, ?, ?)",
            (event_id, user_id, locale, to_db(self.db.clock())),
        )

    async def remind_interest(self, event_id: int, user_id: int) -> Interest | None:
        """The interested member asks for reminders; None when they no longer follow the event."""
        await self.db.execute(
            "UPDATE event_interests SET remind = 1 WHERE event_id = ? AND user_id = ?", (event_id, user_id)
        )
        return await self.interest_of(event_id, user_id)

    async def withdraw_interest(self, event_id: int, user_id: int) -> bool:
        """False when there was none."""
        before = await self.interest_of(event_id, user_id)
        await self.db.execute("DELETE FROM event_interests WHERE event_id = ? AND user_id = ?", (event_id, user_id))
        return before is not None

    async def confirm_interest(self, event_id: int, user_id: int) -> bool:
        """« Je viens toujours » from an interested member, after a change; False when there was none."""
        before = await self.interest_of(event_id, user_id)
        await self.db.execute(
            "UPDATE event_interests SET confirmed_at = ? WHERE event_id = ? AND user_id = ?",
            (to_db(self.db.clock()), event_id, user_id),
        )
        return before is not None

    async def interests(self, event_id: int) -> list[Interest]:
        """The members interested in an event, oldest first (a registered member is not among them)."""
        rows = await self.db.fetchall(
            "SELECT * FROM event_interests WHERE event_id = ? ORDER BY created_at, user_id", (event_id,)
        )
        return [_interest(row) for row in rows]

    # ----------------------------------------------------------------- members' own reminder delays

    async def member_offsets(self, user_id: int) -> tuple[int, ...] | None:
        """A member's own delays; () means no reminders at all; None means the server's."""
        rows = await self.db.fetchall(
            "SELECT minutes FROM member_reminder_offsets WHERE user_id = ? ORDER BY minutes DESC", (user_id,)
        )
        if not rows:
            return None
        return tuple(row["minutes"] for row in rows if row["minutes"] > 0)

    async def set_member_offsets(self, user_id: int, offsets: tuple[int, ...] | None) -> None:
        """None: back to the server's delays; (): no reminders (stored as a single 0)."""
        async with self.db.transaction():
            await self.db.execute("DELETE FROM member_reminder_offsets WHERE user_id = ?", (user_id,))
            if offsets is not None:
                await self.db.execute_many(
                    "INSERT INTO member_reminder_offsets (user_id, minutes) VALUES (?, ?)",
                    [(user_id, minutes) for minutes in offsets or (0,)],
                )

    async def times_of(self, registration: Registration, event: Event) -> tuple[datetime, datetime]:
        """When the thing registered for takes place: the workshop's times, or the event's."""
        if registration.session_id is not None:
            [session] = await self.sessions(registration.event_id, only=registration.session_id)
            return session.starts_at, session.ends_at
        return event.starts_at, event.ends_at

    async def upcoming_registrations(self, user_id: int, now: datetime) -> list[tuple[Registration, Event]]:
        """A member's registrations to events not yet begun, with their event."""
        rows = await self.db.fetchall(
            "SELECT r.* FROM registrations r JOIN events e ON e.id = r.event_id"
            " WHERE r.user_id = ? AND e.status = 'prevu' AND e.starts_at > ? ORDER BY e.starts_at",
            (user_id, to_db(now)),
        )
        registrations = [_registration(row) for row in rows]
        events = {e.id: e for e in await self.get_many(sorted({r.event_id for r in registrations}))}
        return [(r, events[r.event_id]) for r in registrations]


def _event(row: Row) -> Event:
    return from_row(Event, row, starts_at=from_db(row["starts_at"]), ends_at=from_db(row["ends_at"]))


def _registration(row: Row) -> Registration:
    confirmed = from_db(row["confirmed_at"]) if row["confirmed_at"] else None
    return from_row(Registration, row, created_at=from_db(row["created_at"]), confirmed_at=confirmed)


def _interest(row: Row) -> Interest:
    confirmed = from_db(row["confirmed_at"]) if row["confirmed_at"] else None
    return from_row(Interest, row, created_at=from_db(row["created_at"]), confirmed_at=confirmed)
