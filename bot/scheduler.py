"""The scheduler is a cache of the rows (rule 4): one worker sends whatever is due, a batch at a time,
and APScheduler only wakes it at the soonest due time found in the database (plus a slow safety tick
that catches anything a clock jump may have hidden).

A change never waits for the worker: `notify()` is a plain call that marks the plan stale and
returns. A member's interaction is thus answered while a round of 10,000 reminders is under way, and
what the change queued is taken within that round, in its turn: rows go by due time, so a promotion
queued during the round follows the reminders that fell due before it.

Tests never wait for it: they move the injected clock and call `run_due()`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock

log = logging.getLogger(__name__)

SAFETY_TICK = timedelta(minutes=5)


class Beside:
    """Slow work a source starts from its `run_due` (a site or feeds to read) and runs beside the round,
    which keeps delivering: one at a time. `idle` waits for it (the command line, tests); `stop` drops it
    when the bot stops (what it wrote stays; the next run finishes the job)."""

    def __init__(self, name: str) -> None:
        self.name = name
        self._task: asyncio.Task[None] | None = None

    @property
    def busy(self) -> bool:
        return self._task is not None and not self._task.done()

    def start(self, work: Coroutine[Any, Any, None]) -> None:
        self._task = asyncio.create_task(work, name=self.name)

    async def idle(self) -> None:
        if self._task is not None:
            await asyncio.gather(self._task, return_exceptions=True)

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
        await self.idle()


class DueSource(Protocol):
    async def run_due(self) -> int:
        """Settle one bounded batch of what is due; 0 when nothing is left."""
        ...

    async def next_due(self) -> datetime | None: ...


class Scheduler:
    def __init__(self, sources: Sequence[DueSource], clock: Clock) -> None:
        self.sources = list(sources)
        self.clock = clock
        self._aps = AsyncIOScheduler(timezone=UTC, job_defaults={"coalesce": True, "misfire_grace_time": None})
        self._round = asyncio.Lock()
        self._wake = asyncio.Event()
        self._worker: asyncio.Task[None] | None = None
        self._stopped = False

    @property
    def started(self) -> bool:
        return self._worker is not None

    async def start(self) -> None:
        if self._stopped or self._worker is not None:
            return
        self._aps.start()
        self._aps.add_job(self.notify, IntervalTrigger(seconds=SAFETY_TICK.total_seconds()), id="safety")
        self._worker = asyncio.create_task(self._work(), name="scheduler")
        self.notify()  # what fell due while the bot was away goes first

    async def stop(self) -> None:
        """Stop waking up, and let the batch under way finish (it may be sending)."""
        self._stopped = True
        if self._aps.running:
            self._aps.shutdown(wait=False)
        self._wake.set()
        if self._worker is not None:
            async with self._round:
                self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)

    def notify(self) -> None:
        """Something changed: the worker looks again. Never waits."""
        self._wake.set()

    async def _work(self) -> None:
        while not self._stopped:
            await self._wake.wait()
            self._wake.clear()
            try:
                await self.run_due()
            except Exception:
                log.exception("échec d'une tournée")

    async def run_due(self) -> int:
        """Deliver everything due now, batch after batch, then plan the next wake-up."""
        total = 0
        while not self._stopped:
            async with self._round:
                settled = 0
                for source in self.sources:
                    try:
                        settled += await source.run_due()
                    except Exception:
                        log.exception("échec d'une tournée de %s", type(source).__name__)
            total += settled
            if not settled:
                break
            await asyncio.sleep(0)  # between batches, the event loop serves members first
        await self._plan()
        return total

    async def _plan(self) -> None:
        if not self._aps.running:
            return
        due_times = [moment for source in self.sources if (moment := await source.next_due()) is not None]
        if not due_times:
            if self._aps.get_job("dispatch"):
                self._aps.remove_job("dispatch")
            return
        wake = max(min(due_times), self.clock())
        self._aps.add_job(self.notify, DateTrigger(run_date=wake), id="dispatch", replace_existing=True)

    @property
    def next_wake(self) -> datetime | None:
        job = self._aps.get_job("dispatch") if self._aps.running else None
        return job.next_run_time if job else None
