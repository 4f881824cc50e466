"""Where an in-memory index stands in a change log that triggers feed (`household_changes`, `project_changes`):
one row per changed key, renumbered on each change. A refresh reads the log only once the database's count of
its changes (`Database.change_count`) moved since the last reading, or that reading is a minute old (a lost
notification is not waited for longer). It then reads the numbers past the last one seen, and asks again, for
a while, for those it found missing: on PostgreSQL a transaction may commit its number after a later one.
Also how the indexes keep their rows: numpy columns, grown as rows are appended."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, Protocol

import numpy as np
from numpy.typing import NDArray

MISSING_WAIT = 60.0  # seconds a number missing from the changes is asked for again
MISSING_KEPT = 256  # the newest missing numbers looked for; an older one was a rollback or a renumbered row
REREAD_AFTER = 60.0  # seconds a reading is trusted while the count stands still


class Changed(Protocol):
    """A changed row as a store's `changes` reads it, its columns by name."""

    def __getitem__(self, key: str, /) -> Any: ...


class ChangeCursor:
    def __init__(self) -> None:
        self.since = 0  # the last change number read
        self._missing: dict[int, float] = {}  # change numbers not seen yet -> when first missed
        self.count: int | None = None  # the log's change count when it was last read to its end
        self._read_at = -math.inf  # and when

    def current(self, count: int | None, now: float) -> bool:
        """Whether the log has not moved since it was last read to its end (None: that cannot be told)."""
        return count is not None and count == self.count and now - self._read_at < REREAD_AFTER

    def caught_up(self, count: int | None, now: float) -> None:
        """The log was read to its end, its change count `count` taken before."""
        self.count, self._read_at = count, now

    def wanted(self, now: float) -> list[int]:
        """The missing change numbers still worth asking for, besides those past `since`."""
        self._missing = {seq: at for seq, at in self._missing.items() if now - at < MISSING_WAIT}
        return sorted(self._missing)

    def read(self, seqs: Sequence[int], now: float) -> None:
        """These change numbers were read: the gaps below the greatest are asked for again."""
        if not seqs:
            return
        top = max(seqs)
        if top > self.since:
            self._missing.update(dict.fromkeys(range(max(self.since + 1, top - MISSING_KEPT), top), now))
            self.since = top
        for seq in seqs:
            self._missing.pop(seq, None)
        if len(self._missing) > MISSING_KEPT:
            self._missing = dict(sorted(self._missing.items())[-MISSING_KEPT:])


async def catch_up(cursor: ChangeCursor, count: int | None, now: float, page: Callable[[], Awaitable[bool]]) -> None:
    """Read a log's pages to its end (`page` reads and applies the next one, and says whether it was the last),
    unless its change count `count`, taken first, says that nothing moved since the last reading."""
    if cursor.current(count, now):
        return
    while not await page():
        pass
    cursor.caught_up(count, now)


def put_rows(cols: dict[str, NDArray[Any]], size: int, new: Mapping[str, NDArray[Any]], spare: int) -> int:
    """`new` rows written past the `size` rows used in `cols` (each column grown, with `spare` rows more, when
    full); the rows now used."""
    count = len(next(iter(new.values())))
    end = size + count
    if end > len(next(iter(cols.values()))):
        capacity = max(end, len(next(iter(cols.values()))) * 5 // 4 + spare)
        for name, column in cols.items():
            grown = np.zeros(capacity, column.dtype)
            grown[:size] = column[:size]
            cols[name] = grown
    for name, values in new.items():
        cols[name][size:end] = values
    return end
