"""The message ledger: what the bot sends on its own is a row, delivered claim → send → mark.

A row is claimed (`claimed_at`) before it is sent, sent with a nonce derived from its id (Discord
returns the first message for a repeated nonce), then marked. A claim left by a crash is taken
again once its lease is over, with the same nonce: a restart never sends twice and never forgets.
The lease is shorter than Discord's nonce window, so a retried send is always recognised."""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.clock import from_db
from bot.db import Database

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
BATCH = 500


async def next_due_in(db: Database, table: str, live: str, column: str) -> datetime | None:
    """The soonest moment a row of `table` may be taken: its due time, or the end of a claim's lease
    (a claim left by a crash must not make the scheduler spin until it expires)."""
    row = await db.fetchone(
        f"SELECT (SELECT MIN({column}) FROM {table} WHERE {live} AND claimed_at IS NULL),"
        f" (SELECT MIN(claimed_at) FROM {table} WHERE {live} AND claimed_at IS NOT NULL)"
    )
    if row is None:
        return None
    candidates = [from_db(row[0])] if row[0] else []
    if row[1]:
        candidates.append(from_db(row[1]) + LEASE)
    return min(candidates, default=None)
