"""Servers following other servers' agendas, and the copies of event cards posted for them: the SQL."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime

from pydantic import BaseModel, ConfigDict

from bot.clock import from_db, to_db
from bot.db import Database, Row, from_row


class Follow(BaseModel):
    """`follower_id` follows the agenda of `followed_id` (every event, or only those of `regions`)."""

    model_config = ConfigDict(frozen=True)

    follower_id: int
    followed_id: int
    followed_name: str
    locale: str
    created_by: int
    created_at: datetime
    regions: tuple[str, ...] = ()


class Relay(BaseModel):
    """The copy of an event's card posted on a follower server."""

    event_id: int
    guild_id: int
    channel_id: int
    message_id: int
    source: str
    locale: str | None


class FollowStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def follow(
        self, follower_id: int, followed_id: int, *, name: str, locale: str, by: int, regions: tuple[str, ...]
    ) -> bool:
        """Start following, or change the régions of a follow (its date stays). True when it is new."""
        async with self.db.transaction():
            existing = await self.get(follower_id, followed_id)
            if existing is None:
                await self.db.execute(
                    "INSERT INTO guild_follows (follower_id, followed_id, followed_name, locale, created_by,"
                    " created_at) VALUES (?, ?, ?, ?, ?, ?)",
                    (follower_id, followed_id, name, locale, by, to_db(self.db.clock())),
                )
            else:
                await self.db.execute(
                    "UPDATE guild_follows SET followed_name = ?, locale = ? WHERE follower_id = ? AND followed_id = ?",
                    (name, locale, follower_id, followed_id),
                )
            await self.db.execute(
                "DELETE FROM guild_follow_regions WHERE follower_id = ? AND followed_id = ?", (follower_id, followed_id)
            )
            await self.db.execute_many(
                "INSERT INTO guild_follow_regions (follower_id, followed_id, region) VALUES (?, ?, ?)",
                [(follower_id, followed_id, region) for region in regions],
            )
        return existing is None

    async def unfollow(self, follower_id: int, followed_id: int) -> bool:
        async with self.db.transaction():
            if await self.get(follower_id, followed_id) is None:
                return False
            await self.db.execute(
                "DELETE FROM guild_follows WHERE follower_id = ? AND followed_id = ?", (follower_id, followed_id)
            )
        return True

    async def get(self, follower_id: int, followed_id: int) -> Follow | None:
        found = await self._follows("f.follower_id = ? AND f.followed_id = ?", (follower_id, followed_id))
        return found[0] if found else None

    async def following(self, follower_id: int) -> list[Follow]:
        """The servers this one follows."""
        return await self._follows("f.follower_id = ?", (follower_id,))

    async def followers(self, followed_id: int) -> list[Follow]:
        """The servers that follow this one."""
        return await self._follows("f.followed_id = ?", (followed_id,))

    async def _follows(self, where: str, params: tuple[int, ...]) -> list[Follow]:
        rows = await self.db.fetchall(
            f"SELECT f.* FROM guild_follows f WHERE {where} ORDER BY f.created_at, f.follower_id, f.followed_id",
            params,
        )
        regions: dict[tuple[int, int], list[str]] = defaultdict(list)
        for row in await self.db.fetchall(
            f"SELECT r.* FROM guild_follow_regions r JOIN guild_follows f USING (follower_id, followed_id)"
            f" WHERE {where} ORDER BY r.region",
            params,
        ):
            regions[(row["follower_id"], row["followed_id"])].append(row["region"])
        return [_follow(row, tuple(regions[(row["follower_id"], row["followed_id"])])) for row in rows]

    # ----------------------------------------------------------------- copies of cards

    async def record_relay(self, relay: Relay) -> None:
        await self.db.execute(
            "INSERT INTO event_relays (event_id, guild_id, channel_id, message_id, source, locale)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (event_id, guild_id) DO UPDATE SET"
            " channel_id = excluded.channel_id, message_id = excluded.message_id",
            (relay.event_id, relay.guild_id, relay.channel_id, relay.message_id, relay.source, relay.locale),
        )

    async def relays(self, event_id: int) -> list[Relay]:
        rows = await self.db.fetchall("SELECT * FROM event_relays WHERE event_id = ? ORDER BY guild_id", (event_id,))
        return [from_row(Relay, row) for row in rows]

    async def forget_relay(self, event_id: int, guild_id: int) -> None:
        """The copy is gone (its channel or message deleted): nothing left to rewrite."""
        await self.db.execute("DELETE FROM event_relays WHERE event_id = ? AND guild_id = ?", (event_id, guild_id))


def _follow(row: Row, regions: tuple[str, ...]) -> Follow:
    return from_row(Follow, row, created_at=from_db(row["created_at"]), regions=regions)
