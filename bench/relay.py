"""One national event, many followers: the time to create an event on a server that `--servers` others
follow (half of them for some régions only), the rows it queues, and the time the ledger takes to render
and hand over every copy (sending itself is a stand-in: no pacing, no Discord).

    .venv/bin/python bench/relay.py [--servers 100]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.core import build_core
from bot.db import SqliteDatabase
from bot.events.following import RELAYED
from bot.events.models import EventDraft
from bot.notify import Delivery, NotSent, Outgoing, Sent
from bot.outbox import Pace
from bot.vocabulary import EventKind

NATIONAL = 1
REGIONS = ("Auvergne-Rhône-Alpes", "Bretagne", "Occitanie", "Grand Est")


class Counted:
    """Discord stand-in: every post taken at once, counted."""

    def __init__(self) -> None:
        self.posts = 0

    async def dm(self, user_id: int, message: Outgoing, *, nonce: str) -> Delivery:
        return Delivery.SENT

    async def post(
        self, channel_id: int, message: Outgoing, *, nonce: str, mention_role_id: int | None = None
    ) -> Sent | NotSent:
        self.posts += 1
        return Sent(self.posts)

    async def edit(self, channel_id: int, message_id: int, message: Outgoing) -> Delivery:
        return Delivery.SENT

    async def close_thread(self, thread_id: int, message: Outgoing) -> Delivery:
        return Delivery.SENT


async def main(servers: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        db = SqliteDatabase(Path(folder) / "bench.sqlite3")
        await db.connect()
        await db.migrate()
        notifier = Counted()
        core = build_core(Settings(_env_file=None), db=db)
        core.outbox.pace = Pace(None)  # the ledger's own pacing (20 posts a second) left out
        core.outbox.connect(notifier)
        for follower in range(2, servers + 2):
            await core.guild_settings.update(follower, announce_channel_id=10_000 + follower)
            regions = core.following.regions(REGIONS[follower // 2 % len(REGIONS)]) if follower % 2 else ()
            await core.following.follow(follower, NATIONAL, name="National", locale="fr", by=1, regions=regions)
        start = datetime(2027, 4, 10, 12, tzinfo=UTC)
        draft = EventDraft(
            guild_id=NATIONAL, kind=EventKind.rnhp, title="Rencontres nationales", starts_at=start,
            ends_at=start + timedelta(hours=8), code_insee="63113", organiser_id=1,
        )  # fmt: skip
        began = time.perf_counter()
        await core.events.create(draft)
        created = time.perf_counter() - began
        queued = (await core.outbox.store.counts(RELAYED)).get("pending", 0)
        began = time.perf_counter()
        while await core.outbox.run_due():
            pass
        delivered = time.perf_counter() - began
        await db.close()
    print(f"{servers} followers: event created in {created * 1000:.1f} ms, {queued} copies queued")
    print(f"copies rendered and handed over in {delivered * 1000:.1f} ms ({notifier.posts} messages)")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--servers", type=int, default=100)
    asyncio.run(main(parser.parse_args().servers))
