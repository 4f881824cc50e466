"""The scheduler's rounds share the event loop and the database with members' answers: with nothing to send, a pass
(every member's change nudges one) costs next to nothing whatever the size of the database; with thousands to send,
the sends go evenly spaced under Discord's limit, not in bursts."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from bot.config import Settings
from bot.core import Core, build_core
from bot.db import Database, SqliteDatabase
from bot.notify import Delivery, Outgoing
from bot.outbox import SENDS_PER_SECOND, Kind, Letter, Target
from bot.projects.models import ProjectDraft
from bot.vocabulary import Etape
from tests.support import ManualDateClock, RecordingNotifier

STEPS = 100  # SQLite virtual machine instructions per count


async def pass_cost(core: Core, counter: list[int]) -> int:
    """What a nudge costs when nothing is due: one round (nothing settled) and each source's next due time, in
    SQLite instructions, a measure that does not depend on the machine's speed."""
    before = counter[0]
    assert await core.scheduler.run_due() == 0
    for source in core.scheduler.sources:
        await source.next_due()
    return counter[0] - before


async def test_a_pass_with_nothing_due_does_not_read_every_project(db: Database) -> None:
    clock = ManualDateClock(datetime(2027, 4, 1, 9, 0, tzinfo=UTC))
    db.clock = clock
    core = build_core(Settings(_env_file=None), db=db, clock=clock)
    counter = [0]

    def count() -> int:
        counter[0] += 1
        return 0  # go on

    assert isinstance(db, SqliteDatabase)  # SQLite's progress handler counts the steps of its virtual machine
    await db.conn.set_progress_handler(count, STEPS)

    def drafts(start: int, count: int) -> list[ProjectDraft]:
        return [ProjectDraft(nom=f"Projet {n}", code_insee="63113", etape=Etape.emergence) for n in range(start, count)]

    await core.projects.import_drafts(drafts(0, 10))
    few = await pass_cost(core, counter)
    await core.projects.import_drafts(drafts(10, 1000))  # confirmed today: none falls stale for a year
    many = await pass_cost(core, counter)
    assert many <= few + 2, f"{few} → {many} hundred instructions for 100 times more projects"


class Timed(RecordingNotifier):
    """Records when, on the pace's clock, each DM went."""

    def __init__(self, time: FakeMonotonic) -> None:
        super().__init__()
        self.time = time
        self.moments: list[float] = []

    async def dm(self, user_id: int, message: Outgoing, *, nonce: str) -> Delivery:
        self.moments.append(self.time.now)
        return await super().dm(user_id, message, nonce=nonce)


class FakeMonotonic:
    """The pace's clock, moved only by its own waits."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


async def test_a_round_sends_evenly_spaced_under_discords_limit(db: Database) -> None:
    clock = ManualDateClock(datetime(2027, 4, 1, 9, 0, tzinfo=UTC))
    db.clock = clock
    time = FakeMonotonic()
    notifier = Timed(time)
    core = build_core(Settings(_env_file=None), db=db, clock=clock, notifier=notifier)
    core.outbox.pace.now, core.outbox.pace.sleep = time, time.sleep

    async def render(letter: Letter, zone: ZoneInfo) -> Outgoing:
        return Outgoing(content="Rappel")

    core.outbox.register("test", Kind(render))
    for user_id in range(5):
        await core.outbox.store.put("test", Target.dm, user_id)
    assert await core.scheduler.run_due() == 5
    assert [user_id for user_id, _, _ in notifier.sent] == [0, 1, 2, 3, 4]
    moments = notifier.moments
    # The first at once, then one every 1/SENDS_PER_SECOND s: never two in the same instant.
    assert moments[0] == 1000.0
    assert [b - a for a, b in itertools.pairwise(moments)] == [pytest.approx(1 / SENDS_PER_SECOND)] * 4
