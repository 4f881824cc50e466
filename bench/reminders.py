"""Reminders at scale: thousands of DMs due in the same minute, sent by the real scheduler through discord.py to
the emulator, without rate limits (the delivery itself, unpaced) and under Discord's global limit (50 requests a
second, the bot pacing its sends as it does in production); and the delay between a lone reminder's due time and
its DM when APScheduler wakes up on its own.

    .venv/bin/python bench/reminders.py [--reminders 10000] [--limited 1000] [--lone 5] [--profile]
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import pstats
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.client import cog_extensions
from bot.clock import Clock, from_db, utc_now
from bot.config import Settings
from bot.events.models import EventDraft
from bot.events.reminders import REMINDER
from bot.sandbox.demo import build_demo
from bot.sandbox.emulator import Emulator, RecordedRequest
from bot.sandbox.harness import Sandbox, attach, furnish, running_bot
from bot.sandbox.state import User
from bot.vocabulary import EventKind

GLOBAL_LIMIT = 50  # requests a second: Discord's documented global limit for a bot
OFFSET_MINUTES = 60
LONE_LEAD = timedelta(seconds=2)
LONE_TIMEOUT_SECONDS = 15.0
START = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)  # 10h in Paris: no quiet hours in play


class ManualDateClock:
    """The bot's clock, moved by hand (tests.support has one, but `tests` is not importable from bench/)."""

    def __init__(self, start: datetime) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now


@asynccontextmanager
async def world(
    database: Path, members: int, *, clock: Clock = utc_now, extensions: Sequence[str] | None = None
) -> AsyncIterator[tuple[Sandbox, list[User]]]:
    """`harness.sandbox` plus `members` guild members added before the bot connects, so that discord.py
    learns them from the member chunks at start-up, as on Discord (no GET /users/{id} per reminder).
    The cogs by default; `extensions` for more (the probe's /echo)."""
    async with Emulator() as emulator:
        demo = build_demo(emulator)
        users = [emulator.add_user(f"membre{i:05d}") for i in range(members)]
        for user in users:
            emulator.add_member(demo.guild, user)
        settings = Settings(_env_file=None).model_copy(
            update={"database_path": database, "dev_guild_id": demo.guild.id}
        )
        loaded = cog_extensions() if extensions is None else extensions
        async with running_bot(emulator, settings, clock=clock, extensions=loaded) as bot:
            box = attach(emulator, bot, demo)
            await furnish(box)
            # One reminder an hour before; no quiet hours: on the system clock (part 2) a night-time run
            # would otherwise move the reminder to 8h.
            await box.bot.guild_settings.set_reminder_offsets(demo.guild.id, (OFFSET_MINUTES,))
            await box.bot.guild_settings.update(demo.guild.id, quiet_start=0, quiet_end=0)
            yield box, users


async def new_event(box: Sandbox, title: str, starts_at: datetime) -> int:
    ends_at = starts_at + timedelta(hours=3)
    draft = EventDraft(
        guild_id=box.demo.guild.id,
        kind=EventKind.jpo,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        code_insee="63113",
        organiser_id=box.demo.user("dominique").id,
    )
    [event] = await box.bot.events.create(draft)
    return event.id


async def register_all(box: Sandbox, event_id: int, users: Sequence[User]) -> None:
    for user in users:
        await box.bot.events.register(event_id, seats=1, user_id=user.id)


@dataclass
class Round:
    reminders: int
    sent: int
    seconds: float
    requests: list[RecordedRequest]
    exactly_once: int  # users with exactly one DM

    @property
    def answered(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.status != 429]

    @property
    def throttled(self) -> int:
        return sum(r.status == 429 for r in self.requests)


async def deliver(box: Sandbox, clock: ManualDateClock, due: datetime, users: Sequence[User]) -> Round:
    """Move the clock to the due minute and run the scheduler until every one of them is settled (the
    bot's own worker, woken by the same clock, may take part of the round: it counts alike)."""
    clock.now = due + timedelta(seconds=30)
    first = len(box.emulator.requests)
    before = (await box.bot.core.outbox.store.counts(REMINDER)).get("sent", 0)
    sent = 0
    start = time.perf_counter()
    while sent < len(users):
        await box.bot.scheduler.run_due()
        sent = (await box.bot.core.outbox.store.counts(REMINDER)).get("sent", 0) - before
    seconds = time.perf_counter() - start
    once = sum(len(box.emulator.dms_to(user)) == 1 for user in users)
    return Round(len(users), sent, seconds, box.emulator.requests[first:], once)


def describe(label: str, result: Round) -> None:
    rate = result.sent / result.seconds if result.seconds else 0.0
    print(f"{label}: {result.sent}/{result.reminders} sent in {result.seconds:.2f} s ({rate:.0f} reminders/s)")
    routes = Counter(f"{r.method} {r.route}" for r in result.answered)
    for route, count in routes.most_common():
        print(f"    {count:>7} x {route}  ({count / result.reminders:.2f} per reminder)")
    print(f"    users with exactly one DM: {result.exactly_once}/{result.reminders}")


async def crowd(reminders: int, limited: int, profile: cProfile.Profile | None) -> None:
    clock = ManualDateClock(START)
    with tempfile.TemporaryDirectory() as scratch:
        began = time.perf_counter()
        async with world(Path(scratch) / "bench.sqlite3", reminders + limited, clock=clock) as (box, users):
            print(f"world: {reminders + limited} members, bot ready in {time.perf_counter() - began:.1f} s")
            free, throttled = users[:reminders], users[reminders:]
            # Two events, an hour apart, so that each mode has its own due minute and DM channels to open.
            free_start, limited_start = START + timedelta(hours=2), START + timedelta(hours=4)
            began = time.perf_counter()
            await register_all(box, await new_event(box, "Portes ouvertes des Hirondelles", free_start), free)
            await register_all(box, await new_event(box, "Visite du chantier des Mésanges", limited_start), throttled)
            print(f"registrations: {reminders + limited} in {time.perf_counter() - began:.1f} s")
            print(f"reminders before: {await box.bot.core.outbox.store.counts(REMINDER)}")
            print()

            pace = box.bot.core.outbox.pace
            paced, pace.per_second = pace.per_second, None  # (a) measures the delivery, not the pace
            if profile is not None:
                profile.enable()
            free_round = await deliver(box, clock, free_start - timedelta(minutes=OFFSET_MINUTES), free)
            if profile is not None:
                profile.disable()
            pace.per_second = paced
            describe("(a) no rate limit", free_round)
            per_reminder = len(free_round.answered) / reminders
            print(f"    reminders after (a): {await box.bot.core.outbox.store.counts(REMINDER)}")
            print()

            # discord.py logs every global 429 at WARNING: thousands of lines that are the expected behaviour here.
            discord_log = logging.getLogger("discord")
            level = discord_log.level
            discord_log.setLevel(logging.ERROR)
            box.emulator.global_rate_limit = GLOBAL_LIMIT
            try:
                limited_round = await deliver(box, clock, limited_start - timedelta(minutes=OFFSET_MINUTES), throttled)
            finally:
                box.emulator.global_rate_limit = None
                discord_log.setLevel(level)
            describe(
                f"(b) global limit {GLOBAL_LIMIT}/s, sends paced at {paced}/s, {limited} reminders (not {reminders})",
                limited_round,
            )
            needed = limited * per_reminder
            floor = needed / GLOBAL_LIMIT
            # The emulator's window starts empty, so the first 50 requests go at once: the last one can go no
            # sooner than (needed - 50) / 50 s, which is what a perfect client would measure.
            strict = max(needed - GLOBAL_LIMIT, 0) / GLOBAL_LIMIT
            measured = limited_round.seconds
            print(f"    429 answers: {limited_round.throttled}")
            if paced is not None:
                print(f"    at the pace alone: {limited} sends / {paced} per s = {limited / paced:.2f} s")
            if strict > 0:  # with 25 reminders or fewer, nothing need wait
                print(
                    f"    floor: {limited} x {per_reminder:.2f} requests (per reminder in (a)) / {GLOBAL_LIMIT} per s"
                    f" = {floor:.2f} s; measured {measured:.2f} s = {measured / floor:.3f} x floor"
                )
                print(
                    f"    strict floor (window empty at the start): {strict:.2f} s;"
                    f" measured = {measured / strict:.3f} x strict floor"
                )
            print(f"    reminders after (b): {await box.bot.core.outbox.store.counts(REMINDER)}")
            if box.emulator.problems:
                print(f"emulator problems: {box.emulator.problems[:5]}")


@dataclass
class Lone:
    received_ms: list[float]  # due → the emulator receives the POST of the DM
    seen_ms: list[float]  # due → this benchmark's poller sees the DM
    exactly_once: int
    counts: dict[str, int]


async def lone(repeats: int) -> Lone:
    """One reminder at a time on the system clock: APScheduler must wake up by itself at the due time."""
    result = Lone([], [], 0, {})
    with tempfile.TemporaryDirectory() as scratch:
        async with world(Path(scratch) / "lone.sqlite3", repeats) as (box, users):
            # RecordedRequest.at is time.monotonic(): one offset turns it into a UTC instant.
            wall_offset = datetime.now(UTC).timestamp() - time.monotonic()
            for number, user in enumerate(users, 1):
                starts_at = utc_now() + timedelta(minutes=OFFSET_MINUTES) + LONE_LEAD
                event_id = await new_event(box, f"Atelier de lecture n°{number}", starts_at)
                outcome = await box.bot.events.register(event_id, seats=1, user_id=user.id)
                assert outcome.registration is not None
                row = await box.bot.db.fetchone(
                    "SELECT due_at FROM outbox WHERE subject = ?", (f"registration:{outcome.registration.id}",)
                )
                assert row is not None
                due = from_db(row["due_at"])  # second precision, as stored
                async with asyncio.timeout(LONE_TIMEOUT_SECONDS):
                    # The emulator has no hook to wait on; polling only ends the wait, the delay comes from `.at`.
                    while not box.emulator.dms_to(user):  # noqa: ASYNC110
                        await asyncio.sleep(0.005)
                seen = datetime.now(UTC)
                # Waits for the round APScheduler started to finish (marking, planning): closing the bot mid-round
                # would cancel it, since APScheduler's shutdown cancels running jobs.
                await box.bot.scheduler.run_due()
                path = f"/channels/{box.emulator.dm_channel(user).id}/messages"
                [post] = [r for r in box.emulator.requests if (r.method, r.path) == ("POST", path)]
                received = datetime.fromtimestamp(post.at + wall_offset, UTC)
                result.received_ms.append((received - due).total_seconds() * 1000)
                result.seen_ms.append((seen - due).total_seconds() * 1000)
            result.exactly_once = sum(len(box.emulator.dms_to(user)) == 1 for user in users)
            result.counts = await box.bot.core.outbox.store.counts(REMINDER)
    return result


async def measure(args: argparse.Namespace, profile: cProfile.Profile | None) -> None:
    await crowd(args.reminders, args.limited, profile)
    print()
    result = await lone(args.lone)
    print(f"lone reminder, system clock, APScheduler wakes up on its own, {args.lone} runs (due time to the second):")
    for name, values in (
        ("due → emulator receives the DM", result.received_ms),
        ("due → DM seen by poller", result.seen_ms),
    ):
        print(f"    {name:<32} median {statistics.median(values):7.1f} ms   max {max(values):7.1f} ms")
    print(f"    users with exactly one DM: {result.exactly_once}/{args.lone}; reminders: {result.counts}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000)
    parser.add_argument("--limited", type=int, default=1000, help="reminders sent under the global rate limit")
    parser.add_argument("--lone", type=int, default=5, help="repetitions of the lone reminder")
    parser.add_argument("--profile", action="store_true", help="cProfile mode (a), print the top costs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    profile = cProfile.Profile() if args.profile else None
    began = time.perf_counter()
    asyncio.run(measure(args, profile))
    print(f"total wall time: {time.perf_counter() - began:.1f} s")
    if profile is not None:
        print()
        pstats.Stats(profile).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
