"""The sandbox's time: real time plus what the console moved it forward, and durations as typed."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from bot.clock import Clock, utc_now
from bot.sandbox.typed import ConsoleError
from bot.scheduler import DueSource

MAX_STEP = timedelta(days=366)
MAX_STOPS = 1000  # due moments a jump stops at: a guard

_PART = re.compile(r"(\d{1,6})\s*(jours?|j|heures?|h|minutes?|min|m)(?![a-z])")
_UNITS = {"j": "days", "h": "hours", "m": "minutes"}


class MovableClock(Protocol):
    """The bot's clock, which the console moves forward."""

    def __call__(self) -> datetime: ...

    def advance(self, **delta: float) -> None: ...


class ShiftedClock:
    """Real time plus an offset: time passes as usual, and `:avancer` jumps ahead."""

    def __init__(self, base: Clock = utc_now) -> None:
        self.base = base
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return self.base() + self.offset

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


def parse_duration(text: str) -> timedelta:
    """'2j', '3h', '15min', '1j2h', '1 jour 30 min' → a duration, at most a year."""
    typed = text.strip().casefold()
    parts = list(_PART.finditer(typed))
    if not parts or _PART.sub("", typed).strip(" ,"):
        raise ConsoleError(f"« {text.strip()} » n'est pas une durée : écrivez par exemple 2j, 3h, 15min ou 1j2h")
    total = timedelta()
    for part in parts:
        total += timedelta(**{_UNITS[part.group(2)[0]]: int(part.group(1))})
    if not timedelta() < total <= MAX_STEP:
        raise ConsoleError("on avance d'une minute à un an à la fois")
    return total


async def through_due_moments(
    clock: MovableClock, sources: Sequence[DueSource], target: datetime
) -> AsyncIterator[None]:
    """Move `clock` to `target` through each moment something falls due, yielding now, at each of those
    moments and at `target`, so that what is due is delivered when it would have been: a reminder
    the day before an event, even when the jump goes past the event."""
    for _ in range(MAX_STOPS):
        yield
        # What is due now was just delivered; a row still due (a retry) is taken again at each stop.
        upcoming = [moment for source in sources if (moment := await source.next_due()) and moment > clock()]
        if not upcoming or min(upcoming) > target:
            break
        _move(clock, min(upcoming))
    _move(clock, target)
    yield


def _move(clock: MovableClock, moment: datetime) -> None:
    if moment > clock():
        clock.advance(seconds=(moment - clock()).total_seconds())
