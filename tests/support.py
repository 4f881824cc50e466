"""What tests put in place of the world: clocks moved by hand (time passes only when a test says so),
a notifier that records what the core would send to Discord, local sites served beside a command
that runs its own event loop, and a second process's connection to a test's database."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import AbstractAsyncContextManager, contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.clock import Clock, to_db, utc_now
from bot.config import Settings
from bot.db import Database, SqliteDatabase
from bot.notify import Delivery, NotSent, Outgoing, Sent
from bot.outbox import LEASE, Letter, OutboxStore
from bot.postgres import PostgresDatabase


class ManualClock:
    """A monotonic clock in seconds, for the emulator's deadlines."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class ManualDateClock:
    """An aware UTC datetime clock, for the bot's core."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime(2027, 3, 1, 9, 0, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


class RecordingNotifier:
    """The one stand-in: the core's deliveries, recorded instead of reaching Discord. A post becomes
    message number 1000 + its rank; an edit is recorded with the nonce `edit:<message>`."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, Outgoing]] = []
        self.answer = Delivery.SENT

    async def dm(self, user_id: int, message: Outgoing, *, nonce: str) -> Delivery:
        if self.answer is Delivery.SENT:
            self.sent.append((user_id, nonce, message))
        return self.answer

    async def post(
        self, channel_id: int, message: Outgoing, *, nonce: str, mention_role_id: int | None = None
    ) -> Sent | NotSent:
        if self.answer is Delivery.SENT:
            self.sent.append((channel_id, nonce, message))
            return Sent(1000 + len(self.sent))
        return self.answer

    async def edit(self, channel_id: int, message_id: int, message: Outgoing) -> Delivery:
        if self.answer is Delivery.SENT:
            self.sent.append((channel_id, f"edit:{message_id}", message))
        return self.answer

    async def close_thread(self, thread_id: int, message: Outgoing) -> Delivery:
        if self.answer is Delivery.SENT:
            self.sent.append((thread_id, "", message))
        return self.answer


@contextmanager
def served_in_thread(site: AbstractAsyncContextManager[object]) -> Iterator[None]:
    """Serve a local site from its own thread and event loop while the block runs: the command line
    under test runs its own loop."""
    loop = asyncio.new_event_loop()
    ready, stop = threading.Event(), asyncio.Event()

    async def run() -> None:
        async with site:
            ready.set()
            await stop.wait()

    thread = threading.Thread(target=loop.run_until_complete, args=(run(),))
    thread.start()
    ready.wait(10)
    try:
        yield
    finally:
        loop.call_soon_threadsafe(stop.set)
        thread.join(10)
        loop.close()


def without_settings(monkeypatch: pytest.MonkeyPatch, folder: Path, database: Path | None = None) -> None:
    """The command line as on a fresh machine: no setting from the environment, no stray .env (it runs
    in `folder`), and the database, when given, there."""
    monkeypatch.chdir(folder)
    for name in Settings.model_fields:
        monkeypatch.delenv(name.upper(), raising=False)
    if database is not None:
        monkeypatch.setenv("DATABASE_PATH", str(database))


async def due_letters(store: OutboxStore, now: datetime) -> list[Letter]:
    """The ledger's rows a delivery round would take at `now`, read without claiming them."""
    rows = await store.db.fetchall(
        "SELECT id FROM outbox WHERE status = 'pending' AND due_at <= ? AND (claimed_at IS NULL OR claimed_at < ?)"
        " ORDER BY due_at, id",
        (to_db(now), to_db(now - LEASE)),
    )
    return [letter for row in rows if (letter := await store.get(row["id"])) is not None]


def another(db: Database, clock: Clock = utc_now) -> Database:
    """What another process would open on `db`'s database (not connected yet)."""
    if isinstance(db, PostgresDatabase):
        return PostgresDatabase(db.url, clock=clock, pool_size=2)
    assert isinstance(db, SqliteDatabase)
    return SqliteDatabase(db.path, clock=clock)


async def heard(db: Database, log: str, before: int | None) -> None:
    """Until `db` knows that the change log `log` moved past its count `before`: SQLite reads it from the file at
    once; on PostgreSQL another process hears of it by a notification, a moment after the commit."""
    async with asyncio.timeout(10):
        # The count is a number asyncpg's callbacks move, no event: each turn of the loop gives them their chance.
        while (count := db.change_count(log)) is None or count == before:  # noqa: ASYNC110
            await asyncio.sleep(0)
