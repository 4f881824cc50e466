"""The scheduler's rounds share the event loop and the database with members' answers: with nothing to send, a pass
(every member's change nudges one) costs next to nothing whatever the size of the database."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config import Settings
from bot.core import Core, build_core
from bot.db import Database
from bot.projects.models import ProjectDraft
from bot.vocabulary import Etape
from tests.support import ManualDateClock

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

    await db.conn.set_progress_handler(count, STEPS)

    def drafts(start: int, count: int) -> list[ProjectDraft]:
        return [ProjectDraft(nom=f"Projet {n}", code_insee="63113", etape=Etape.emergence) for n in range(start, count)]

    await core.projects.import_drafts(drafts(0, 10))
    few = await pass_cost(core, counter)
    await core.projects.import_drafts(drafts(10, 1000))  # confirmed today: none falls stale for a year
    many = await pass_cost(core, counter)
    assert many <= few + 2, f"{few} → {many} hundred instructions for 100 times more projects"
