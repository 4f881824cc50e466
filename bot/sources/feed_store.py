"""The SQL of calendar feeds: the servers' subscriptions, where each read stands, and the events a
feed brought (rows of `events` keyed by `source_uid`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from pydantic import BaseModel

from bot.clock import from_db, to_db
from bot.db import Database, Duplicate, Row, from_row, marks
from bot.errors import UserError
from bot.geo import Commune
from bot.sources.feeds import FeedItem
from bot.vocabulary import EventKind


class Feed(BaseModel):
    """A server's subscription to an association's calendar feed."""

    id: int
    guild_id: int
    url: str
    name: str
    region: str
    announce: bool
    signup: bool
    subscriber_id: int
    subscriber_locale: str | None
    etag: str | None
    last_modified: str | None
    last_read_at: datetime | None
    last_ok_at: datetime | None
    events_found: int
    problem: str | None


@dataclass(frozen=True)
class Known:
    """An event a feed brought, as the next read compares it."""

    event_id: int
    feed_id: int | None
    fingerprint: str | None
    cancelled: bool
    ends_at: datetime


@dataclass(frozen=True)
class Placed:
    """Where an item is: a commune when its place names one, else the free text (or a link)."""

    commune: Commune | None
    place_text: str | None
    online_url: str | None


class FeedStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def add(
        self, guild_id: int, url: str, name: str, region: str, *, announce: bool, signup: bool, subscriber_id: int,
        locale: str | None,
    ) -> Feed:  # fmt: skip
        try:
            feed_id = await self.db.insert(
                "INSERT INTO feeds (guild_id, url, name, region, announce, signup, subscriber_id, subscriber_locale,"
                " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (guild_id, url, name, region, int(announce), int(signup), subscriber_id, locale,
                 to_db(self.db.clock())),
            )  # fmt: skip
        except Duplicate:
            raise UserError("Ce serveur est déjà abonné à l'agenda « {adresse} ».", adresse=url) from None
        return await self.must_get(feed_id)

    async def get(self, feed_id: int) -> Feed | None:
        row = await self.db.fetchone("SELECT * FROM feeds WHERE id = ?", (feed_id,))
        return _feed(row) if row else None

    async def must_get(self, feed_id: int) -> Feed:
        feed = await self.get(feed_id)
        if feed is None:
            raise UserError("Cet abonnement n'existe plus.")
        return feed

    async def of_guild(self, guild_id: int) -> list[Feed]:
        rows = await self.db.fetchall("SELECT * FROM feeds WHERE guild_id = ? ORDER BY name, id", (guild_id,))
        return [_feed(row) for row in rows]

    async def every(self) -> list[Feed]:
        return [_feed(row) for row in await self.db.fetchall("SELECT * FROM feeds ORDER BY id")]

    async def oldest_read(self) -> tuple[bool, datetime | None]:
        """Whether some feed was never read, and the oldest last read of the others."""
        row = await self.db.fetchone(
            "SELECT COUNT(*) - COUNT(last_read_at) AS never, MIN(last_read_at) AS oldest FROM feeds"
        )
        if row is None:
            return False, None
        return bool(row["never"]), from_db(row["oldest"]) if row["oldest"] else None

    async def due(self, before: datetime) -> list[Feed]:
        rows = await self.db.fetchall(
            "SELECT * FROM feeds WHERE last_read_at IS NULL OR last_read_at <= ? ORDER BY last_read_at, id",
            (to_db(before),),
        )
        return [_feed(row) for row in rows]

    async def attempt(self, feed_id: int, now: datetime, before: datetime) -> bool:
        """A read starts, unless another process's round started it since `due` was read: True when this
        one is to read it. The next read is due an interval later, whatever this one finds."""
        changed = await self.db.update(
            "UPDATE feeds SET last_read_at = ? WHERE id = ? AND (last_read_at IS NULL OR last_read_at <= ?)",
            (to_db(now), feed_id, to_db(before)),
        )
        return changed == 1

    async def read_ok(
        self, feed_id: int, now: datetime, *, etag: str | None, last_modified: str | None, found: int | None
    ) -> None:
        """A read that worked; `found` None when the feed said nothing changed (304)."""
        await self.db.execute(
            "UPDATE feeds SET last_read_at = ?, last_ok_at = ?, etag = ?, last_modified = ?,"
            " events_found = COALESCE(?, events_found), problem = NULL WHERE id = ?",
            (to_db(now), to_db(now), etag, last_modified, found, feed_id),
        )

    async def read_failed(self, feed_id: int, now: datetime, problem: str) -> None:
        await self.db.execute(
            "UPDATE feeds SET last_read_at = ?, problem = ? WHERE id = ?", (to_db(now), problem, feed_id)
        )

    async def remove(self, feed_id: int) -> None:
        await self.db.execute("DELETE FROM feeds WHERE id = ?", (feed_id,))

    # ----------------------------------------------------------------- the events a feed brought

    async def known(self, keys: list[str]) -> dict[str, Known]:
        """The events already in the agenda under these keys, whichever feed brought them."""
        found: dict[str, Known] = {}
        for start in range(0, len(keys), 500):
            chunk = keys[start : start + 500]
            rows = await self.db.fetchall(
                "SELECT id, feed_id, source_uid, source_fingerprint, status, ends_at FROM events"
                f" WHERE source_uid IN ({marks(chunk)})",
                chunk,
            )
            for row in rows:
                found[row["source_uid"]] = Known(
                    row["id"], row["feed_id"], row["source_fingerprint"], row["status"] == "annule",
                    from_db(row["ends_at"]),
                )  # fmt: skip
        return found

    async def coming_of(self, feed_id: int, now: datetime) -> dict[str, int]:
        """The feed's events not yet over and not cancelled, by key."""
        rows = await self.db.fetchall(
            "SELECT id, source_uid FROM events WHERE feed_id = ? AND status = 'prevu' AND ends_at > ?",
            (feed_id, to_db(now)),
        )
        return {row["source_uid"]: row["id"] for row in rows}

    async def insert(
        self, feed: Feed, item: FeedItem, title: str, kind: EventKind, placed: Placed, announce_channel_id: int | None
    ) -> int:
        now = to_db(self.db.clock())
        commune = placed.commune
        return await self.db.insert(
            "INSERT INTO events (guild_id, kind, title, description, starts_at, ends_at, code_insee, commune,"
            " departement, region, lat, lon, online_url, organiser_id, announce_channel_id, created_at, updated_at,"
            " feed_id, source_uid, source_name, source_fingerprint, place_text, registration_url, signup)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                feed.guild_id, kind.value, title, item.description, to_db(item.starts_at), to_db(item.ends_at),
                commune.insee if commune else None, commune.nom if commune else None,
                commune.departement if commune else None, commune.region if commune else feed.region,
                commune.lat if commune else None, commune.lon if commune else None, placed.online_url,
                feed.subscriber_id, announce_channel_id, now, now, feed.id, item.key, feed.name, item.fingerprint,
                placed.place_text, item.url, int(feed.signup),
            ),
        )  # fmt: skip

    async def rewrite(self, event_id: int, feed: Feed, item: FeedItem, title: str, placed: Placed) -> None:
        """What the feed now says of an event it brought (a cancelled one comes back when the feed says so)."""
        commune = placed.commune
        await self.db.execute(
            "UPDATE events SET title = ?, description = ?, starts_at = ?, ends_at = ?, code_insee = ?, commune = ?,"
            " departement = ?, region = ?, lat = ?, lon = ?, online_url = ?, place_text = ?, registration_url = ?,"
            " source_name = ?, source_fingerprint = ?, signup = ?, status = 'prevu', cancel_reason = NULL,"
            " feed_id = ?, updated_at = ? WHERE id = ?",
            (
                title, item.description, to_db(item.starts_at), to_db(item.ends_at),
                commune.insee if commune else None, commune.nom if commune else None,
                commune.departement if commune else None, commune.region if commune else feed.region,
                commune.lat if commune else None, commune.lon if commune else None, placed.online_url,
                placed.place_text, item.url, feed.name, item.fingerprint, int(feed.signup), feed.id,
                to_db(self.db.clock()), event_id,
            ),
        )  # fmt: skip

    async def set_fingerprint(self, event_id: int, fingerprint: str) -> None:
        await self.db.execute("UPDATE events SET source_fingerprint = ? WHERE id = ?", (fingerprint, event_id))


def _feed(row: Row) -> Feed:
    return from_row(
        Feed,
        row,
        last_read_at=from_db(row["last_read_at"]) if row["last_read_at"] else None,
        last_ok_at=from_db(row["last_ok_at"]) if row["last_ok_at"] else None,
    )
