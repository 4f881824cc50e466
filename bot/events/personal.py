"""A member's personal calendar: a subscription address on the HTTP side (bot/web.py) holding only the
events they registered for (a place on the waiting list marked as such), read afresh at each poll so it
follows their registrations.

The address carries a long random token, never a Discord id. Only the token's SHA-256 fingerprint is
kept: a copy of the database opens nobody's feed, and the address can be shown once, when made — a
member who lost it asks for a new one, which closes the old."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.clock import Clock, from_db, to_db
from bot.db import Database
from bot.events.store import EventStore
from bot.ics import to_ics

FEED_PATH = "/agenda/perso/{token}.ics"
KEPT_AFTER = timedelta(days=30)  # an event stays in the feed a month after it ends
FEED_LIMIT = 500


def fingerprint(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


class PersonalCalendarStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def replace(self, user_id: int, token_hash: str, now: datetime) -> None:
        await self.db.execute(
            "INSERT INTO calendar_tokens (user_id, token_hash, created_at) VALUES (?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET token_hash = excluded.token_hash, created_at = excluded.created_at",
            (user_id, token_hash, to_db(now)),
        )

    async def created_at(self, user_id: int) -> datetime | None:
        row = await self.db.fetchone("SELECT created_at FROM calendar_tokens WHERE user_id = ?", (user_id,))
        return from_db(row["created_at"]) if row else None

    async def owner(self, token_hash: str) -> int | None:
        row = await self.db.fetchone("SELECT user_id FROM calendar_tokens WHERE token_hash = ?", (token_hash,))
        return int(row["user_id"]) if row else None

    async def revoke(self, user_id: int) -> None:
        await self.db.execute("DELETE FROM calendar_tokens WHERE user_id = ?", (user_id,))

    async def registered(self, user_id: int, since: datetime) -> list[tuple[int, bool]]:
        """The events a member registered for (to the event or one of its workshops) that end after
        `since`, soonest first, each with whether every place they hold there is on the waiting list."""
        rows = await self.db.fetchall(
            "SELECT r.event_id, MIN(CASE WHEN r.status = 'attente' THEN 1 ELSE 0 END) AS waiting FROM registrations r"
            " JOIN events e ON e.id = r.event_id WHERE r.user_id = ? AND e.ends_at > ?"
            " GROUP BY r.event_id ORDER BY MIN(e.starts_at), r.event_id LIMIT ?",
            (user_id, to_db(since), FEED_LIMIT),
        )
        return [(int(row["event_id"]), bool(row["waiting"])) for row in rows]


class PersonalCalendar:
    def __init__(
        self, store: PersonalCalendarStore, events: EventStore, clock: Clock, zone: ZoneInfo, public_url: str | None
    ) -> None:
        self.store = store
        self.events = events
        self.clock = clock
        self.zone = zone
        self.public_url = public_url  # None: no HTTP side reachable by members (WEB_PORT or PUBLIC_URL unset)

    @property
    def served(self) -> bool:
        return self.public_url is not None

    def address(self, token: str) -> str:
        assert self.public_url is not None
        return self.public_url + FEED_PATH.format(token=token)

    async def issue(self, user_id: int) -> str:
        """A new address for the member; the one they had stops answering."""
        token = secrets.token_urlsafe(32)
        await self.store.replace(user_id, fingerprint(token), self.clock())
        return token

    async def issued_at(self, user_id: int) -> datetime | None:
        return await self.store.created_at(user_id)

    async def revoke(self, user_id: int) -> None:
        await self.store.revoke(user_id)

    async def feed(self, token: str) -> bytes | None:
        """The calendar behind an address; None when no member holds it (revoked, or never made)."""
        user_id = await self.store.owner(fingerprint(token))
        return None if user_id is None else await self.file(user_id)

    async def file(self, user_id: int) -> bytes:
        now = self.clock()
        registered = await self.store.registered(user_id, now - KEPT_AFTER)
        events = await self.events.get_many([event_id for event_id, _ in registered])
        waiting = {event_id for event_id, on_list in registered if on_list}
        return to_ics(events, self.zone, now=now, name="Mes événements — habitat participatif", waiting=waiting)
