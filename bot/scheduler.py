"""The scheduler is a cache of the rows (rule 4): APScheduler wakes the dispatcher at the soonest due
time found in the database, and the dispatcher sends whatever is due then. It is rebuilt at start-up
and after every change, and a slow safety tick catches anything a clock jump may have hidden.

Tests never wait for it: they move the injected clock and call `run_due()`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Protocol

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

from bot.clock import Clock

log = logging.getLogger(__name__)

SAFETY_TICK = timedelta(minutes=5)


class DueSource(Protocol):
    async def run_due(self) -> int: ...

    async def next_due(self) -> datetime | None: ...


class Scheduler:
    def __init__(self, sources: Sequence[DueSource], clock: Clock) -> None:
        self.sources = list(sources)
        self.clock = clock
        self._aps = AsyncIOScheduler(timezone=UTC, job_defaults={"coalesce": True, "misfire_grace_time": None})
        self._running = asyncio.Lock()
        self._stopped = False

    @property
    def started(self) -> bool:
        return bool(self._aps.running)

    async def start(self) -> None:
        if self._stopped:
            return
        self._aps.start()
        self._aps.add_job(self.run_due, IntervalTrigger(seconds=SAFETY_TICK.total_seconds()), id="safety")
        await self.run_due()

    async def stop(self) -> None:
        """Stop waking up, and let a round under way finish (it may be sending)."""
        self._stopped = True
        # Wait for the round under way first: shutting APScheduler down would cancel it mid-send.
        async with self._running:
            if self._aps.running:
                self._aps.shutdown(wait=False)

    async def run_due(self) -> int:
        """Deliver everything that is due now, then wake up again at the next due time."""
        async with self._running:
            if self._stopped:
                return 0
            total = 0
            for source in self.sources:
                try:
                    total += await source.run_due()
                except Exception:
                    log.exception("échec d'une tournée de %s", type(source).__name__)
            await self._plan()
        return total

    async def rebuild(self) -> None:
        """After a change (a new registration, an announcement): plan the next wake-up again."""
        async with self._running:
            if not self._stopped:
                await self._plan()

    async def _plan(self) -> None:
        due_times = [moment for source in self.sources if (moment := await source.next_due()) is not None]
        if not self._aps.running:
            return
        if not due_times:
            if self._aps.get_job("dispatch"):
                self._aps.remove_job("dispatch")
            return
        wake = max(min(due_times), self.clock())
        self._aps.add_job(self.run_due, DateTrigger(run_date=wake), id="dispatch", replace_existing=True)

    @property
    def next_wake(self) -> datetime | None:
        job = self._aps.get_job("dispatch") if self._aps.running else None
        return job.next_run_time if job else None
