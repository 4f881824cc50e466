"""The message ledger (rule 4): everything the bot sends on its own is first a row of `outbox`.

A service writes the row in the same transaction as the change that causes it (a promotion, a
verdict, a lapse…), then nudges the scheduler. Delivery is claim → send → mark: a row is claimed
(`claimed_at`) before it is sent, sent with a nonce derived from its id (Discord returns the first
message for a repeated nonce), then marked. A claim left by a crash is taken again once its lease is
over, with the same nonce: a restart never sends twice and never forgets. The lease is shorter than
Discord's nonce window, so a retried send is always recognised.

A row holds what the message is about, not its text: each kind has a renderer that writes the
message at send time, in the recipient's stored language and the server's time zone, from the
rows as they are then (an event moved since the reminder was planned is shown at its new time).
"""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import BaseModel

from bot.clock import Clock, from_db, to_db
from bot.db import Database, Row, Where
from bot.guild_settings import GuildSettingsStore
from bot.notify import Delivery, Notifier, NotSent, Outgoing, Sent

log = logging.getLogger(__name__)

LEASE = timedelta(seconds=60)
MAX_ATTEMPTS = 5
FIRST_RETRY = timedelta(seconds=30)  # then doubled at each failure: 30 s, 1 min, 2 min, 4 min
# Rows taken per round step: a round of 10,000 never holds anything for long, and the last of a step's rows goes
# out some 5 s after it was claimed, long before the claim's lease ends.
BATCH = 100
# Discord allows a bot 50 requests a second and discord.py only backs off once refused: left alone, a round sends
# in bursts up to the limit, then waits out a refusal. The bursts hold up members' answers (same event loop, same
# database) and every refusal counts toward Discord's ban on invalid requests. So what the bot sends on its own goes
# evenly spaced: a DM to a member not written to since the start costs two requests (the DM channel, the message),
# 40 a second at most, the other 10 left for members' own actions.
SENDS_PER_SECOND = 20


class Target(StrEnum):
    dm = "dm"  # a member, by DM
    channel = "channel"  # a post in a channel
    thread_close = "thread_close"  # a last line in a thread, then the thread archived and locked


class Status(StrEnum):
    pending = "pending"
    sent = "sent"
    undeliverable = "undeliverable"  # closed DMs, a deleted channel, or too many failures: `reason` says
    cancelled = "cancelled"  # what it was about changed (the registration was withdrawn…)
    missed = "missed"  # too late to be worth sending (the event began while the bot was away)


UNREACHABLE = {
    Target.dm: "messages privés fermés ou membre inconnu",
    Target.channel: "salon ou message supprimé, ou interdit au bot",
    Target.thread_close: "fil supprimé ou interdit au bot",
}


class Letter(BaseModel):
    """One row of the ledger."""

    id: int
    kind: str
    target: Target
    recipient_id: int
    guild_id: int | None
    locale: str | None
    subject: str | None
    payload: dict[str, Any]
    mention_role_id: int | None
    due_at: datetime
    status: Status
    attempts: int
    sent_at: datetime | None
    reason: str | None
    # The claim this worker took the row with: only while the row still carries it is the row this worker's to
    # settle (a worker stalled past the lease must not run the kind's `after` a second time).
    claimed_at: datetime | None = None
    # The message a post became, once Discord took it: given to the kind's `after` hook, which keeps it
    # where its domain needs it (an event, to rewrite its card later); not a column of the ledger.
    message_id: int | None = None

    @property
    def nonce(self) -> str:
        """The same for every try of this row, within Discord's 25 characters."""
        return f"ob-{self.id}"


class Skip(Exception):
    """Raised by a renderer: this row is not to be sent (status and reason say why)."""

    def __init__(self, status: Status, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


Render = Callable[[Letter, ZoneInfo], Awaitable[Outgoing]]
# (the row, how it was settled, whether the recipient was unreachable)
After = Callable[[Letter, Status, bool], Awaitable[None]]


@dataclass(frozen=True)
class Kind:
    """How one kind of message is written at send time, and what follows its delivery."""

    render: Render
    # Runs in the transaction that marks the row: the next occurrence of an announcement, DMs noted
    # closed on a registration…
    after: After | None = None
    # Older than this when taken: not sent (a reminder for an event that has begun is noise).
    late: timedelta | None = None


COLUMNS = "(kind, target, recipient_id, guild_id, locale, subject, payload, mention_role_id, due_at, created_at)"
ROW = "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"


def subject(what: str, ident: int) -> str:
    """What a row is about, to cancel or move it with its cause: `registration:12`, `ad:3`."""
    return f"{what}:{ident}"


class OutboxStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def put(
        self,
        kind: str,
        target: Target,
        recipient_id: int,
        *,
        guild_id: int | None = None,
        locale: str | None = None,
        about: str | None = None,
        payload: dict[str, Any] | None = None,
        due_at: datetime | None = None,
        mention_role_id: int | None = None,
    ) -> int:
        """Write a message to send; call it inside the transaction of the change that causes it."""
        now = self.db.clock()
        return await self.db.insert(
            f"INSERT INTO outbox {COLUMNS} VALUES {ROW} RETURNING id",
            (
                kind, target.value, recipient_id, guild_id, locale, about, json.dumps(payload or {}),
                mention_role_id, to_db(due_at or now), to_db(now),
            ),
        )  # fmt: skip

    async def put_many(self, rows: Sequence[dict[str, Any]]) -> None:
        """Rows given as `put`'s arguments, in one statement (a registration's reminders)."""
        if not rows:
            return
        now, values = self.db.clock(), []
        for row in rows:
            due_at = row.get("due_at") or now
            values += [
                row["kind"], row["target"].value, row["recipient_id"], row.get("guild_id"), row.get("locale"),
                row.get("about"), json.dumps(row.get("payload") or {}), row.get("mention_role_id"), to_db(due_at),
                to_db(now),
            ]  # fmt: skip
        await self.db.execute(f"INSERT INTO outbox {COLUMNS} VALUES {', '.join([ROW] * len(rows))}", values)

    async def cancel(self, about: str, kinds: Sequence[str] | None = None, *, reason: str = "sans objet") -> int:
        """Pending rows about `about` (of these kinds) will not be sent."""
        clause, params = _kinds(kinds)
        return await self.db.update(
            # The claim stays: a worker already sending the row still marks it sent.
            f"UPDATE outbox SET status = 'cancelled', reason = ? WHERE subject = ? AND status = 'pending'{clause}",
            (reason, about, *params),
        )

    async def pending(self, about: str, kinds: Sequence[str] | None = None) -> list[Letter]:
        clause, params = _kinds(kinds)
        rows = await self.db.fetchall(
            f"SELECT * FROM outbox WHERE subject = ? AND status = 'pending'{clause} ORDER BY due_at, id",
            (about, *params),
        )
        return [_letter(row) for row in rows]

    async def of_subject(self, about: str) -> list[Letter]:
        rows = await self.db.fetchall("SELECT * FROM outbox WHERE subject = ? ORDER BY id", (about,))
        return [_letter(row) for row in rows]

    async def reschedule(self, letter_id: int, due_at: datetime, payload: dict[str, Any] | None = None) -> None:
        await self.db.execute(
            "UPDATE outbox SET due_at = ?, payload = COALESCE(?, payload), attempts = 0, claimed_at = NULL"
            " WHERE id = ? AND status = 'pending'",
            (to_db(due_at), json.dumps(payload) if payload is not None else None, letter_id),
        )

    async def get(self, letter_id: int) -> Letter | None:
        row = await self.db.fetchone("SELECT * FROM outbox WHERE id = ?", (letter_id,))
        return _letter(row) if row else None

    async def next_due(self) -> datetime | None:
        """The soonest moment a row may be taken: its due time, or the end of a claim's lease (a claim
        left by a crash must not make the scheduler spin until it expires)."""
        row = await self.db.fetchone(
            "SELECT (SELECT MIN(due_at) FROM outbox WHERE status = 'pending' AND claimed_at IS NULL),"
            " (SELECT MIN(claimed_at) FROM outbox WHERE status = 'pending' AND claimed_at IS NOT NULL)"
        )
        if row is None:
            return None
        candidates = [from_db(row[0])] if row[0] else []
        if row[1]:
            candidates.append(from_db(row[1]) + LEASE)
        return min(candidates, default=None)

    async def take(self, now: datetime, limit: int = BATCH) -> list[Letter]:
        """Claim the next `limit` due rows for this worker (another one gets others), the soonest first."""
        rows = await self.db.take(
            "outbox", now, LEASE, live="status = 'pending' AND due_at <= ?", params=(to_db(now),), order="due_at, id",
            limit=limit,
        )  # fmt: skip
        return sorted((_letter(row) for row in rows), key=lambda letter: (letter.due_at, letter.id))

    async def finish(self, letter: Letter, status: Status, now: datetime, reason: str | None = None) -> bool:
        """Mark the row settled; False when it is no longer this worker's (another took it after the lease)."""
        ours, params = _ours(letter)
        changed = await self.db.update(
            f"UPDATE outbox SET status = ?, sent_at = ?, reason = ?, claimed_at = NULL WHERE {ours}",
            (status.value, to_db(now) if status is Status.sent else None, reason, *params),
        )
        return changed == 1

    async def retry_later(self, letter: Letter, now: datetime) -> Status | None:
        """One more failure: try again after a growing wait, or give up after MAX_ATTEMPTS. None: the row is no
        longer this worker's, and is left to the one that took it."""
        attempts = letter.attempts + 1
        ours, params = _ours(letter)
        if attempts >= MAX_ATTEMPTS:
            changed = await self.db.update(
                f"UPDATE outbox SET status = 'undeliverable', attempts = ?, reason = ?, claimed_at = NULL WHERE {ours}",
                (attempts, f"Discord a échoué {attempts} fois", *params),
            )
            return Status.undeliverable if changed else None
        changed = await self.db.update(
            f"UPDATE outbox SET attempts = ?, due_at = ?, claimed_at = NULL WHERE {ours}",
            (attempts, to_db(now + FIRST_RETRY * 2 ** (attempts - 1)), *params),
        )
        return Status.pending if changed else None

    async def counts(self, kind: str | None = None) -> dict[str, int]:
        where = Where()
        if kind is not None:
            where.add("kind = ?", kind)
        rows = await self.db.fetchall(
            f"SELECT status, COUNT(*) AS n FROM outbox WHERE {where} GROUP BY status", where.params
        )
        return {row["status"]: row["n"] for row in rows}


def _kinds(kinds: Sequence[str] | None) -> tuple[str, tuple[str, ...]]:
    if not kinds:
        return "", ()
    return f" AND kind IN ({','.join('?' * len(kinds))})", tuple(kinds)


def _ours(letter: Letter) -> tuple[str, tuple[Any, ...]]:
    """The condition under which `letter`'s row is still as this worker claimed it."""
    if letter.claimed_at is None:
        return "id = ? AND claimed_at IS NULL", (letter.id,)
    return "id = ? AND claimed_at = ?", (letter.id, to_db(letter.claimed_at))


def _letter(row: Row) -> Letter:
    return Letter(
        id=row["id"],
        kind=row["kind"],
        target=Target(row["target"]),
        recipient_id=row["recipient_id"],
        guild_id=row["guild_id"],
        locale=row["locale"],
        subject=row["subject"],
        payload=json.loads(row["payload"]),
        mention_role_id=row["mention_role_id"],
        due_at=from_db(row["due_at"]),
        status=Status(row["status"]),
        attempts=row["attempts"],
        sent_at=from_db(row["sent_at"]) if row["sent_at"] else None,
        reason=row["reason"],
        claimed_at=from_db(row["claimed_at"]) if row["claimed_at"] else None,
    )


class Pace:
    """Evenly spaced turns on the monotonic clock: Discord counts real seconds, whatever the injected clock says.
    Each caller reserves the next free turn before waiting, so concurrent callers go in the order they came."""

    def __init__(
        self,
        per_second: float | None,
        *,
        now: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> None:
        self.per_second = per_second  # None: no spacing (benchmarks of the delivery itself)
        self.now = now
        self.sleep = sleep
        self._next = 0.0

    async def turn(self) -> None:
        if self.per_second is None:
            return
        now = self.now()
        start = max(now, self._next)
        self._next = start + 1 / self.per_second
        if start > now:
            await self.sleep(start - now)


class Paced:
    """A notifier whose every call waits for its turn (`Pace`)."""

    def __init__(self, notifier: Notifier, pace: Pace) -> None:
        self.inner = notifier
        self.pace = pace

    async def dm(self, user_id: int, message: Outgoing, *, nonce: str) -> Delivery:
        await self.pace.turn()
        return await self.inner.dm(user_id, message, nonce=nonce)

    async def post(
        self, channel_id: int, message: Outgoing, *, nonce: str, mention_role_id: int | None = None
    ) -> Sent | NotSent:
        await self.pace.turn()
        return await self.inner.post(channel_id, message, nonce=nonce, mention_role_id=mention_role_id)

    async def edit(self, channel_id: int, message_id: int, message: Outgoing) -> Delivery:
        await self.pace.turn()
        return await self.inner.edit(channel_id, message_id, message)

    async def close_thread(self, thread_id: int, message: Outgoing) -> Delivery:
        await self.pace.turn()
        return await self.inner.close_thread(thread_id, message)


class Outbox:
    """The ledger and its delivery: services `put` rows and `nudge`; the scheduler runs `run_due`."""

    def __init__(self, store: OutboxStore, settings: GuildSettingsStore, clock: Clock) -> None:
        self.store = store
        self.settings = settings
        self.clock = clock
        self.kinds: dict[str, Kind] = {}
        self._nudge: Callable[[], None] = lambda: None
        self._notifier: Notifier | None = None
        self.pace = Pace(SENDS_PER_SECOND)

    def connect(self, notifier: Notifier) -> None:
        """What delivers: the Discord layer (the command line writes rows; only the bot sends them). Everything the
        core sends through it, the ledger's rows and the other rounds' DMs alike, takes its turn."""
        self._notifier = Paced(notifier, self.pace)

    @property
    def notifier(self) -> Notifier:
        if self._notifier is None:
            raise RuntimeError("no notifier connected: only the bot delivers the ledger")
        return self._notifier

    def register(self, name: str, kind: Kind) -> None:
        if name in self.kinds:
            raise ValueError(f"message kind {name!r} registered twice")
        self.kinds[name] = kind

    def on_change(self, nudge: Callable[[], None]) -> None:
        """Who to nudge after a change: the scheduler (a plain call that never waits)."""
        self._nudge = nudge

    def nudge(self) -> None:
        self._nudge()

    async def next_due(self) -> datetime | None:
        return await self.store.next_due()

    async def run_due(self) -> int:
        """Deliver one batch of what is due; returns how many rows it settled (0: nothing left)."""
        zones: dict[int, ZoneInfo] = {}  # a round of 3,000 reminders is mostly one server's
        letters = await self.store.take(self.clock())
        for letter in letters:
            try:
                await self.deliver(letter, zones)
            except Exception:
                # One broken row must not stop the round: it is retried like a failed send.
                log.exception("message %s (%s) : échec inattendu", letter.id, letter.kind)
                await self.store.retry_later(letter, self.clock())
        return len(letters)

    async def deliver(self, letter: Letter, zones: dict[int, ZoneInfo] | None = None) -> Status:
        kind = self.kinds.get(letter.kind)
        now = self.clock()
        if kind is None:
            await self.store.finish(letter, Status.undeliverable, now, f"type de message inconnu : {letter.kind}")
            return Status.undeliverable
        zone = await self._zone(letter.guild_id, {} if zones is None else zones)
        try:
            if kind.late is not None and now - letter.due_at > kind.late:
                raise Skip(Status.missed, "trop tard")
            message = await kind.render(letter, zone)
        except Skip as skip:
            await self._settle(letter, kind, skip.status, skip.reason)
            return skip.status
        result = await self._send(letter, message)
        if isinstance(result, Sent):
            letter, delivery = letter.model_copy(update={"message_id": result.message_id}), Delivery.SENT
        else:
            delivery = result
        if delivery is Delivery.FAILED:
            async with self.store.db.transaction():
                status = await self.store.retry_later(letter, self.clock())
                if status is Status.undeliverable and kind.after is not None:
                    await kind.after(letter, status, False)
            return Status.pending if status is None else status  # None: pending in another worker's hands
        if delivery is Delivery.SENT:
            await self._settle(letter, kind, Status.sent, None)
            return Status.sent
        await self._settle(letter, kind, Status.undeliverable, UNREACHABLE[letter.target], unreachable=True)
        return Status.undeliverable

    async def _zone(self, guild_id: int | None, known: dict[int, ZoneInfo]) -> ZoneInfo:
        if guild_id is None:
            return self.settings.default_zone
        if guild_id not in known:
            known[guild_id] = (await self.settings.get(guild_id)).zone
        return known[guild_id]

    async def _settle(
        self, letter: Letter, kind: Kind, status: Status, reason: str | None, *, unreachable: bool = False
    ) -> None:
        async with self.store.db.transaction():
            if await self.store.finish(letter, status, self.clock(), reason) and kind.after is not None:
                await kind.after(letter, status, unreachable)

    async def _send(self, letter: Letter, message: Outgoing) -> Delivery | Sent | NotSent:
        if letter.target is Target.dm:
            return await self.notifier.dm(letter.recipient_id, message, nonce=letter.nonce)
        if letter.target is Target.channel and message.rewrites is not None:
            # No nonce: a rewrite done twice leaves the same message.
            return await self.notifier.edit(letter.recipient_id, message.rewrites, message)
        if letter.target is Target.channel:
            return await self.notifier.post(
                letter.recipient_id, message, nonce=letter.nonce, mention_role_id=letter.mention_role_id
            )
        return await self.notifier.close_thread(letter.recipient_id, message)
