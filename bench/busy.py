"""Issue 10 at scale: what members wait for while a round of 10,000 reminders is sent under Discord's global limit
(50 requests a second), against the same with no round, in one run: a registration (a click on « S'inscrire »),
`/projet chercher` with words and a département over the demo projects plus generated ones, the commune
autocomplete of `/projet chercher pres_de`, and the floor (the probe's /echo, no work of ours).

    .venv/bin/python bench/busy.py [--reminders 10000] [--samples 200] [--projects 20000] [--seed 1] [--profile]

The round is not waited for (at 50 requests a second, 10,000 reminders take minutes): each measure "during" is
checked to have been answered while it was under way, and the bot is stopped mid-round.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import logging
import math
import pstats
import random
import statistics
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from measures import percentile, read_ms
from projects import QUERIES, TYPED, make_drafts
from reminders import GLOBAL_LIMIT, OFFSET_MINUTES, START, ManualDateClock, new_event, register_all, world

from bot.client import cog_extensions
from bot.outbox import BATCH
from bot.sandbox.driver import AUTOCOMPLETE, Message
from bot.sandbox.emulator import Interaction
from bot.sandbox.harness import PROBE_EXTENSION, Sandbox
from bot.sandbox.state import User

WARM_UP = 20
# Départements of the big cities, where generated projects are many (they are drawn by population).
DEPARTEMENTS = ("75", "69", "13", "31", "33", "44", "59", "34", "35", "38", "63", "67")
KINDS = ("/echo (floor)", "registration (click)", "/projet chercher texte+dép.", "autocomplete pres_de")


@dataclass
class Phase:
    """One phase's answer times (ms) by kind, and when each answer came (the emulator's clock)."""

    timings: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    answered_at: list[float] = field(default_factory=list)
    late: int = 0


class Probe:
    """The four interactions, each by a member as Discord would send it; registrations by distinct members."""

    def __init__(self, box: Sandbox, card: Message, joiners: list[User], rng: random.Random) -> None:
        self.box = box
        self.card = card
        self.joiners = iter(joiners)
        self.rng = rng
        self.member = box.demo.user("alex")

    async def echo(self) -> Interaction:
        return (await self.box.driver.slash(self.member, "echo", texte="bonjour")).interaction

    async def register(self) -> Interaction:
        reply = await self.box.driver.click(next(self.joiners), self.card, "S'inscrire")
        if not reply.content.startswith("Inscription confirmée"):
            raise SystemExit(f"registration not confirmed: {reply.text}")
        return reply.interaction

    async def search(self) -> Interaction:
        reply = await self.box.driver.slash(
            self.member,
            "projet chercher",
            texte=self.rng.choice(QUERIES),
            departement=self.rng.choice(DEPARTEMENTS),
        )
        return reply.interaction

    async def complete(self) -> Interaction:
        await self.box.driver.autocomplete(self.member, "projet chercher", "pres_de", self.rng.choice(TYPED))
        # The driver returns the choices; the emulator's record is the newest interaction (dicts keep order).
        record = next(reversed(self.box.emulator.interactions.values()))
        assert record.type == AUTOCOMPLETE
        return record

    def actions(self) -> dict[str, Callable[[], Awaitable[Interaction]]]:
        return dict(zip(KINDS, (self.echo, self.register, self.search, self.complete), strict=True))


async def run_phase(probe: Probe, samples: int, *, warm_up: int = 0) -> Phase:
    """`samples` rounds of the four interactions, interleaved so that each kind sees the same moments."""
    phase = Phase()
    actions = probe.actions()
    for number in range(warm_up + samples):
        for kind, act in actions.items():
            record = await act()
            if number < warm_up:
                continue
            phase.timings[kind].append(read_ms(probe.box.emulator, record))
            phase.late += record.late
            phase.answered_at.append(record.answered_at or math.inf)
        probe.box.emulator.interactions.clear()  # keep the emulator's memory flat
    return phase


@dataclass
class Report:
    reminders: int
    projects: int
    setup_s: float
    idle: Phase
    busy: Phase
    busy_s: float
    delivered_before: int
    delivered_after: int
    during: int  # answers "during" that came while fewer than `reminders` had gone out
    throttled: Counter[str]  # refusals by route
    pace: float | None


async def measure(args: argparse.Namespace, profile: cProfile.Profile | None) -> Report:
    clock = ManualDateClock(START)
    rng = random.Random(args.seed)
    joiners_needed = 2 * (WARM_UP + args.samples)
    extensions = [*cog_extensions(), PROBE_EXTENSION]
    with tempfile.TemporaryDirectory() as scratch:
        began = time.perf_counter()
        members = args.reminders + joiners_needed
        async with world(Path(scratch) / "busy.sqlite3", members, clock=clock, extensions=extensions) as (box, users):
            crowd_users, joiners = users[: args.reminders], users[args.reminders :]
            crowd = {user.id for user in crowd_users}
            await box.bot.projects.import_drafts(make_drafts(box.bot.geo, args.projects, rng))
            row = await box.bot.db.fetchone("SELECT COUNT(*) FROM projects WHERE statut = 'publie'")
            projects = int(row[0]) if row else 0
            opened = await box.driver.slash(
                box.demo.user("dominique"), "evenement creer", type="jpo", titre="Portes ouvertes des Hirondelles",
                debut="06/03/2027 14h", fin="17h", commune="insee:63113",
            )  # fmt: skip
            if not opened.messages[-1].content.startswith("Événement créé"):
                raise SystemExit(f"open day not created: {opened.text}")
            await box.bot.scheduler.run_due()  # the card, posted by the ledger
            card = Message(box.emulator, box.emulator.messages_in(box.demo.channel("annonces"))[-1])
            plenary_at = START + timedelta(hours=2)
            await register_all(box, await new_event(box, "Plénière nationale", plenary_at), crowd_users)
            setup_s = time.perf_counter() - began

            # Both phases under the limit: with no round, nothing comes near it.
            box.emulator.global_rate_limit = GLOBAL_LIMIT
            probe = Probe(box, card, joiners, rng)
            idle = await run_phase(probe, args.samples, warm_up=WARM_UP)

            clock.now = plenary_at - timedelta(minutes=OFFSET_MINUTES) + timedelta(seconds=30)
            box.bot.scheduler.notify()  # the bot's own worker takes the round, as when APScheduler wakes it
            await box.driver.until(
                lambda: box.emulator.dms_accepted(crowd) > BATCH
            )  # past the first batch, limit biting
            before = box.emulator.dms_accepted(crowd)
            started = time.perf_counter()
            if profile is not None:
                profile.enable()
            busy = await run_phase(probe, args.samples, warm_up=WARM_UP)
            if profile is not None:
                profile.disable()
            busy_s = time.perf_counter() - started
            after = box.emulator.dms_accepted(crowd)
            during = sum(box.emulator.dms_accepted(crowd, at) < args.reminders for at in busy.answered_at)
            throttled = Counter(f"{r.method} {r.route}" for r in box.emulator.requests if r.status == 429)
            pace = box.bot.core.outbox.pace.per_second
    return Report(args.reminders, projects, setup_s, idle, busy, busy_s, before, after, during, throttled, pace)


def show(report: Report, samples: int) -> None:
    print(
        f"world: {report.reminders} members registered to one plenary (one reminder each), "
        f"{report.projects} projects (demo + generated); set up in {report.setup_s:.0f} s"
    )
    print(
        f"round under the global limit of {GLOBAL_LIMIT}/s, sends paced at {report.pace}/s:"
        f" {report.delivered_before} reminders delivered when the measures began, {report.delivered_after} when they"
        f" ended ({report.busy_s:.0f} s later); {report.during}/{len(report.busy.answered_at)} answers came during"
        f" the round"
    )
    refused = ", ".join(f"{count} x {route}" for route, count in report.throttled.most_common()) or "none"
    print(f"requests refused with 429 (the round's and the members' alike): {refused}")
    print(f"{samples} samples of each interaction per phase after {WARM_UP} of warm-up, interleaved")
    print(
        f"{'interaction':<29} {'no round':>17} {'during the round':>18} {'ratio (goal ≤ 1.5)':>20}\n"
        f"{'':<29} {'p50 ms':>8} {'p99 ms':>8} {'p50 ms':>9} {'p99 ms':>8} {'p50':>9} {'p99':>10}"
    )
    for kind in KINDS:
        idle, busy = report.idle.timings[kind], report.busy.timings[kind]
        idle_p50, idle_p99 = statistics.median(idle), percentile(idle, 0.99)
        busy_p50, busy_p99 = statistics.median(busy), percentile(busy, 0.99)
        print(
            f"{kind:<29} {idle_p50:>8.2f} {idle_p99:>8.2f} {busy_p50:>9.2f} {busy_p99:>8.2f}"
            f" {busy_p50 / idle_p50:>8.2f}x {busy_p99 / idle_p99:>9.2f}x"
        )
    print(f"answers after Discord's 3 s: {report.idle.late} with no round, {report.busy.late} during")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--reminders", type=int, default=10_000, help="members registered, one reminder each")
    parser.add_argument("--samples", type=int, default=200, help="measures of each interaction per phase")
    parser.add_argument("--projects", type=int, default=20_000, help="generated projects, besides the demo ones")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--profile", action="store_true", help="cProfile the phase during the round")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    profile = cProfile.Profile() if args.profile else None
    began = time.perf_counter()
    report = asyncio.run(measure(args, profile))
    show(report, args.samples)
    print(f"total wall time: {time.perf_counter() - began:.0f} s")
    if profile is not None:
        print()
        pstats.Stats(profile).sort_stats("tottime").print_stats(25)
        pstats.Stats(profile).sort_stats("cumtime").print_stats(
            "_work|_handle|_interact|run_due|deliver|_send|notifier.py.*dm|_run_once|_settle|claim|_render_reminder|request|_global_wait|send_message|invoke"
        )


if __name__ == "__main__":
    main()
