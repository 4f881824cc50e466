"""The bot as two processes (two shards) on one database: a round of 1,000 reminders is shared between them,
each member reminded once; when one process is killed mid-round, the other finishes it once the dead one's
claims have outlived their lease, and nothing is doubled. On SQLite's file and on PostgreSQL."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.config import Settings
from bot.core import build_core
from bot.db import open_database
from bot.events.models import EventDraft
from bot.events.reminders import REMINDER
from bot.outbox import LEASE, OutboxStore
from bot.sandbox.emulator import MESSAGE_POST, Emulator
from bot.sandbox.state import User
from bot.vocabulary import EventKind
from tests.e2e.servers import build_server
from tests.pg import Cluster
from tests.support import ManualDateClock

MEMBERS = 1_000
# Saturday 10:00 in Paris: the event at 13:00 reminds its registrants two hours before, at 11:00 (no quiet hours).
NOW = datetime(2027, 4, 10, 8, 0, tzinfo=UTC)
STARTS = NOW + timedelta(hours=3)
REMINDED_AT = STARTS - timedelta(hours=2) + timedelta(minutes=1)
ROOT = Path(__file__).resolve().parents[2]


async def registered_members(settings: Settings, guild_id: int, members: list[User]) -> None:
    """An event on the server and every member registered with reminders: the ledger holds one reminder each."""
    async with open_database(settings) as db:
        await db.migrate()
        core = build_core(settings, db=db, clock=ManualDateClock(NOW))
        [event] = await core.events.create(
            EventDraft(
                guild_id=guild_id,
                kind=EventKind.jpo,
                title="JPO des Hirondelles",
                starts_at=STARTS,
                ends_at=STARTS + timedelta(hours=3),
                code_insee="63113",
                organiser_id=members[0].id,
            )
        )
        for member in members:
            await core.events.register(event.id, user_id=member.id, seats=1, remind=True)
        assert await core.outbox.store.counts(REMINDER) == {"pending": MEMBERS}


async def settled(emulator: Emulator, settings: Settings) -> None:
    """Wait until every reminder is marked sent: after each answer of the emulator, or a moment without any
    (the last mark follows the last send)."""
    async with open_database(settings) as db:
        store = OutboxStore(db)
        async with asyncio.timeout(120):
            while await store.counts(REMINDER) != {"sent": MEMBERS}:
                with suppress(TimeoutError):
                    async with asyncio.timeout(0.2):
                        await emulator.next_request()


class Worker:
    def __init__(self, process: asyncio.subprocess.Process, offset_file: Path) -> None:
        self.process = process
        self.offset_file = offset_file

    def move_clock(self, by: timedelta) -> None:
        self.offset_file.write_text(str(by.total_seconds()), encoding="utf-8")
        self.process.send_signal(signal.SIGUSR1)


@asynccontextmanager
async def worker(emulator: Emulator, settings: Settings, shard: int, folder: Path, at: float) -> AsyncIterator[Worker]:
    offset_file = folder / f"offset-{shard}"
    env = {
        **{k: v for k, v in os.environ.items() if k not in ("DATABASE_PATH", "DATABASE_URL")},
        "DISCORD_TOKEN": emulator.token,
        "SHARD_COUNT": "2",
        "SHARD_IDS": str(shard),
    }
    if settings.database_url is not None:
        env["DATABASE_URL"] = settings.database_url
    else:
        env["DATABASE_PATH"] = str(settings.database_path)
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.e2e.worker",
        "--port",
        str(emulator.port),
        "--now",
        REMINDED_AT.isoformat(),
        "--at",
        str(at),
        "--offset-file",
        str(offset_file),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), timeout=60)
        if line.strip() != "prêt".encode():
            assert process.stderr is not None
            raise AssertionError((await process.stderr.read()).decode())
        yield Worker(process, offset_file)
    finally:
        if process.returncode is None:
            process.terminate()  # the worker closes the bot: the batch under way ends first
        assert await process.wait() in (0, -signal.SIGKILL)


def dm_posts(emulator: Emulator) -> Counter[str]:
    """The DMs the emulator accepted, by nonce (a resend with the same nonce is one message to the member)."""
    return Counter(
        str(request.body.get("nonce"))
        for request in emulator.requests
        if (request.method, request.route) == MESSAGE_POST and request.status == 200 and "nonce" in request.body
    )


async def until(emulator: Emulator, condition: object) -> None:
    """Wait for the emulator's answers until `condition()` holds (each answer is a chance it changed)."""
    assert callable(condition)
    async with asyncio.timeout(120):
        while not condition():
            await emulator.next_request()


@pytest.mark.parametrize("engine", ["sqlite", "postgresql"])
async def test_two_processes_remind_each_member_once_and_the_survivor_finishes_a_killed_ones_round(
    tmp_path: Path, engine: str, request: pytest.FixtureRequest
) -> None:
    settings = Settings(_env_file=None, database_path=tmp_path / "bot.sqlite3")
    if engine == "postgresql":
        cluster: Cluster | None = request.getfixturevalue("postgres_cluster")
        if cluster is None:
            pytest.skip("PostgreSQL indisponible")
        settings = Settings(_env_file=None, database_url=await cluster.fresh())
    emulator = Emulator()
    emulator.shard_count = 2
    async with emulator:
        server = build_server(emulator, "Habitat participatif 63", "r63", with_bot=True)
        members = []
        for n in range(MEMBERS):
            member = emulator.add_user(f"membre{n}")
            emulator.add_member(server.guild, member)
            members.append(member)
        await registered_members(settings, server.guild.id, members)
        at = time.time()  # both processes' clocks read REMINDED_AT then

        async with (
            worker(emulator, settings, 0, tmp_path, at) as first,
            worker(emulator, settings, 1, tmp_path, at) as second,
        ):
            await until(emulator, lambda: sum(len(emulator.dms_to(m)) for m in members) >= MEMBERS // 3)
            reminded_before_the_kill = sum(1 for m in members if emulator.dms_to(m))
            first.process.kill()
            await first.process.wait()
            # The survivor delivers the rest; what the killed process had claimed waits for the lease to end.
            second.move_clock(LEASE + timedelta(seconds=1))
            await settled(emulator, settings)
    assert reminded_before_the_kill < MEMBERS
    assert all(len(emulator.dms_to(m)) == 1 for m in members)
    assert all("JPO des Hirondelles" in str(emulator.dms_to(m)[0]) for m in members[:5])
    # A row sent twice is one the killed process had sent and not marked: the same nonce, one message.
    resent = [nonce for nonce, n in dm_posts(emulator).items() if n > 1]
    assert len(resent) <= 5, resent
