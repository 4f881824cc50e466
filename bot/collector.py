"""Python's cyclic garbage collector, run between answers rather than in the middle of one.

Left to itself, the collector starts whenever 700 more objects are alive than before, wherever the code is: close
to half of the suggestions were paused by a young collection (about 0.5 ms), one in thirty by an older one (2 to
7 ms), and now and then one by a full pass over every object made since the start (about 0.1 s). Here its own trigger is
set far higher, a safety net, and a watch every few milliseconds runs the collection that would have been due, as
CPython chooses it (the youngest objects, every tenth time the middle generation, every hundredth all of them),
once no member waits for an answer: every interaction received has been answered (or deferred) or is past the
3 seconds Discord gives. A member whose interaction arrives during a collection still waits for it."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from typing import ClassVar

WATCH_SECONDS = 0.02
SAFETY = 100  # times the usual number of new objects at which the collector starts by itself, members waiting or not
ANSWER_SECONDS = 3.0  # past this, Discord has refused any answer: nobody waits on that interaction any more


class IdleCollector:
    # The bots of one process (the tests' run several) share the collector: the first started sets its trigger,
    # the last stopped gives it back.
    _running: ClassVar[int] = 0
    _usual: ClassVar[tuple[int, int, int]] = gc.get_threshold()

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock  # only durations are read
        self._waiting: list[tuple[float, Callable[[], bool]]] = []
        self._watch: asyncio.Task[None] | None = None

    def arrived(self, answered: Callable[[], bool]) -> None:
        """An interaction received, before any of it is handled; `answered` tells when it has been."""
        self._waiting.append((self.clock(), answered))

    @property
    def thresholds(self) -> tuple[int, int, int]:
        """CPython's usual thresholds, which the watch keeps to."""
        return IdleCollector._usual

    def start(self) -> None:
        if self._watch is None:
            if IdleCollector._running == 0:
                IdleCollector._usual = young, middle, old = gc.get_threshold()
                gc.set_threshold(young * SAFETY, middle, old)
            IdleCollector._running += 1
            self._watch = asyncio.create_task(self._watching(), name="garbage-collector")

    async def stop(self) -> None:
        if self._watch is not None:
            self._watch.cancel()
            await asyncio.gather(self._watch, return_exceptions=True)
            self._watch = None
            IdleCollector._running -= 1
            if IdleCollector._running == 0:
                gc.set_threshold(*IdleCollector._usual)

    def idle(self) -> bool:
        """Whether no member waits for an answer from this bot."""
        now = self.clock()
        self._waiting = [(at, done) for at, done in self._waiting if not done() and now - at < ANSWER_SECONDS]
        return not self._waiting

    def due(self) -> int | None:
        """The oldest generation CPython would collect now, if any, as `collect_generations` picks it."""
        counts = gc.get_count()
        for generation in (2, 1, 0):
            if counts[generation] > self.thresholds[generation]:
                return generation
        return None

    def collect(self) -> int | None:
        """The collection due, if one is and no member waits; the generation collected."""
        generation = self.due()
        if generation is None or not self.idle():
            return None
        gc.collect(generation)
        return generation

    async def _watching(self) -> None:
        while True:
            await asyncio.sleep(WATCH_SECONDS)
            self.collect()
