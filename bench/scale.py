"""The bot at the scale of 1 % of France, in one run: 300,000 household profiles, 20,000 projects, 100,000 ads
and 5,000 events, and the answers members read, each against a bare command (`/aide`) as the floor; also the
import of the projects, the resident memory and the cold start of a bot on that database. Each figure is
printed beside its goal.

    .venv/bin/python bench/scale.py [--scale 1] [--count 300] [--seed 1] [--members 100]
        [--postgres | --database-url postgresql://… | --keep FOLDER]
        [--profile aide|chercher|pres_de|suggestions|import|start]

`--scale 0.1` divides every size by ten (the import's goal with it); `--postgres` runs on a throwaway
PostgreSQL cluster started as the tests start theirs (tests/pg.py: the Debian package's server in a temporary
folder), and `--database-url` on an empty PostgreSQL database of your own, instead of a temporary SQLite file.
`--keep` writes the SQLite database and its members in FOLDER, and a later run with the same folder measures on
them again without generating or loading anything (a minute instead of five, for comparing two versions of the
code; the generation, the writes and the import are then not measured). A profiled measure is slowed by the
profiler: take its figures from a run without `--profile`.
"""

from __future__ import annotations

import argparse
import asyncio
import cProfile
import gc
import json
import logging
import os
import pstats
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from ads import INSERT as AD_INSERT
from ads import make_rows as ad_rows
from ads import places as ad_places
from matching import PROFILE_INSERT, TAG_INSERT, Population, add_members, populate
from matching import places as household_places
from measures import answer_ms, percentile, read_ms, shown_total
from projects import TYPED, make_drafts, search_options

from bot.clock import to_db, utc_now
from bot.config import Settings
from bot.db import Database
from bot.geo import Geography, geography
from bot.projects.models import ProjectDraft
from bot.sandbox.driver import AUTOCOMPLETE
from bot.sandbox.harness import Sandbox, sandbox
from bot.sandbox.state import User
from bot.vocabulary import EventKind

HOUSEHOLDS, PROJECTS, ADS, EVENTS = 300_000, 20_000, 100_000, 5_000
WARM_UP = 20
BATCH = 5_000  # rows per transaction for the direct inserts
KINDS = ("aide", "chercher", "pres_de", "suggestions")
PROFILED = (*KINDS, "import", "start")
# The goals: a ratio to the floor's p99, or an absolute bound.
GOAL_RATIO = {"chercher": 1.5, "pres_de": 1.2, "suggestions": 2.0}
IMPORT_GOAL_S = 5.0  # for 20,000 projects, scaled with their number
MEMORY_GOAL_MB = 250.0
START_GOAL_S = 2.0
LABELS = {
    "aide": "/aide (the floor)",
    "chercher": "/projet chercher texte+rayon",
    "pres_de": "autocomplete pres_de",
    "suggestions": "/mise-en-lien suggestions",
}
EVENT_TITLES = (
    "Portes ouvertes de {nom}",
    "Réunion publique : habiter autrement à {nom}",
    "Atelier gouvernance partagée",
    "Visite d'un habitat participatif près de {nom}",
    "Plénière régionale",
    "Webinaire : financer son projet",
    "Chantier participatif à {nom}",
)


def event_rows(geo: Geography, count: int, rng: random.Random) -> list[tuple[Any, ...]]:
    """Events of last year and next year in communes drawn by population; the guild id is added once known.
    No Discord event, no announcement: the benchmark is about the data's weight, not their posts."""
    now = utc_now()
    rows = []
    for commune in household_places(geo, count, rng):
        starts = now + timedelta(hours=rng.randint(-365 * 24, 365 * 24))
        title = rng.choice(EVENT_TITLES).format(nom=commune.nom)
        rows.append(
            (
                rng.choice(list(EventKind)).value, title, f"{title}. Ouvert à toutes et tous.", to_db(starts),
                to_db(starts + timedelta(hours=rng.randint(1, 8))), commune.insee, commune.nom, commune.departement,
                commune.region, commune.lat, commune.lon, rng.randrange(10**17, 10**18), to_db(now), to_db(now),
            )
        )  # fmt: skip
    return rows


EVENT_INSERT = (
    "INSERT INTO events (kind, title, description, starts_at, ends_at, code_insee, commune, departement, region,"
    " lat, lon, organiser_id, created_at, updated_at, guild_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


async def insert_rows(db: Database, sql: str, rows: Sequence[tuple[Any, ...]]) -> None:
    """Through the Database API, a transaction per batch, as any engine behind it takes them."""
    for start in range(0, len(rows), BATCH):
        await db.execute_many(sql, rows[start : start + BATCH])


def settings_for(url: str | None) -> Settings | None:
    if url is None:
        return None
    if "database_url" not in Settings.model_fields:
        raise SystemExit("--database-url: this version of the bot has no DATABASE_URL setting (SQLite only)")
    return Settings.model_validate({"database_url": url})


@dataclass
class Data:
    """Everything generated before the bot starts: a long computation would stall its event loop."""

    population: Population
    ads: list[tuple[Any, ...]]
    events: list[tuple[Any, ...]]
    seconds: float


def generate(geo: Geography, scale: float, rng: random.Random) -> tuple[Data, list[ProjectDraft]]:
    start = time.perf_counter()
    population = populate(geo, round(HOUSEHOLDS * scale), rng)
    drafts = make_drafts(geo, round(PROJECTS * scale), rng)
    ads = ad_rows(geo, ad_places(geo), round(ADS * scale), utc_now(), rng).rows
    events = event_rows(geo, round(EVENTS * scale), rng)
    return Data(population, ads, events, time.perf_counter() - start), drafts


@dataclass
class Results:
    generate_s: float = 0.0
    counts: dict[str, int] = field(default_factory=dict)
    insert_s: float = 0.0
    import_s: float = 0.0
    import_batch: int = 0  # drafts a transaction of the import writes (the engine's)
    members_s: float = 0.0
    timings: dict[str, list[float]] = field(default_factory=lambda: {kind: [] for kind in KINDS})
    late: dict[str, int] = field(default_factory=lambda: dict.fromkeys(KINDS, 0))
    hits: list[int] = field(default_factory=list)
    suggestions_empty: int = 0
    kept: bool = False  # measured on a kept database: nothing generated, written or imported


async def load(
    box: Sandbox, data: Data, drafts: list[ProjectDraft], r: Results, profile: cProfile.Profile | None
) -> None:
    db, guild_id = box.bot.db, box.demo.guild.id
    start = time.perf_counter()
    await insert_rows(db, PROFILE_INSERT, [(p[0], guild_id, *p[1:]) for p in data.population.profiles])
    await insert_rows(db, TAG_INSERT, data.population.tags)
    await insert_rows(db, AD_INSERT, [(*row, guild_id) for row in data.ads])
    await insert_rows(db, EVENT_INSERT, [(*row, guild_id) for row in data.events])
    r.insert_s = time.perf_counter() - start
    # Freed: kept alive, millions of tuples would slow every full garbage collection in the timed loop.
    data.population.profiles.clear()
    data.population.tags.clear()
    data.ads.clear()
    data.events.clear()
    gc.unfreeze()
    progress(f"households, ads and events written in {r.insert_s:.0f} s")
    if db.dialect.name == "postgresql":
        # PostgreSQL's autovacuum would now analyse the 400,000 rows just written, on the same CPUs as the import
        # measured next: done before it rather than during it, as an operator's import finds the database.
        await db.execute("VACUUM ANALYZE")
        progress("vacuumed and analysed")
    if profile is not None:
        profile.enable()
    r.import_batch = db.dialect.batch_rows
    start = time.perf_counter()
    report = await box.bot.project_service.import_drafts(drafts)
    r.import_s = time.perf_counter() - start
    if profile is not None:
        profile.disable()
    if report.created != len(drafts):
        raise SystemExit(f"import created {report.created} projects out of {len(drafts)}")
    await count(box, r)


async def count(box: Sandbox, r: Results) -> None:
    for table in ("household_profiles", "projects", "ads", "events"):
        row = await box.bot.db.fetchone(f"SELECT COUNT(*) FROM {table}")
        r.counts[table] = int(row[0]) if row else 0


def kept_members(box: Sandbox, saved: Path) -> list[User]:
    """The members of a kept database back in this run's emulator, with their ids (their profiles are saved)."""
    members = []
    for user_id, name, locale in json.loads(saved.read_text()):
        user = User(user_id, name, global_name=name, locale=locale)
        box.emulator.users[user_id] = user
        box.emulator.add_member(box.demo.guild, user)
        members.append(user)
    return members


async def measure(args: argparse.Namespace, database: Path, profile: cProfile.Profile | None) -> Results:
    r = Results()
    rng = random.Random(args.seed)
    saved = database.with_suffix(".members.json")
    if saved.exists():
        r.kept = True
        async with sandbox(database) as box:
            await box.driver.settle()
            await box.bot.scheduler.stop()
            await count(box, r)
            assert box.bot.index_loading is not None
            await box.bot.index_loading
            await measure_interactions(args, box, kept_members(box, saved), rng, r, profile)
        return r
    geo = geography()  # the instance the bot will use, loaded once as at start
    data, drafts = generate(geo, args.scale, rng)
    r.generate_s = data.seconds
    progress(f"generated in {data.seconds:.0f} s")
    # Millions of tuples, alive until written: left out of the collector's full passes, which would otherwise
    # stall the bot's loop for seconds at a time while they are inserted.
    gc.freeze()
    async with sandbox(database, settings=settings_for(args.database_url)) as box:
        await box.driver.settle()  # let on_ready's own work finish before the inserts hold the database
        # Its 5-minute tick would start the weekly digest of all these new profiles (never digested, so due).
        await box.bot.scheduler.stop()
        await load(box, data, drafts, r, profile if args.profile == "import" else None)
        drafts.clear()
        start = time.perf_counter()
        members = await add_members(box, geo, data.population.reach, args.members, rng)
        r.members_s = time.perf_counter() - start
        if args.keep is not None:
            saved.write_text(json.dumps([[m.id, m.username, m.locale] for m in members]))
        # The rows written behind the bot's back are read into its indexes now, as a bot starting on this database
        # reads them before it counts as loaded, rather than by the first interaction (on a slow machine, past the
        # driver's guard).
        await box.bot.project_service.refresh()
        await box.bot.households.refresh()
        progress(f"projects imported in {r.import_s:.1f} s, {len(members)} members added; measuring")
        await measure_interactions(args, box, members, rng, r, profile)
    return r


async def measure_interactions(
    args: argparse.Namespace,
    box: Sandbox,
    members: list[User],
    rng: random.Random,
    r: Results,
    profile: cProfile.Profile | None,
) -> None:
    """The measured rounds: each kind of interaction once a round, in a new order each time."""
    asker = box.demo.user("alex")
    interactions = interactions_of(box, asker, members, rng, r)
    for round_number in range(WARM_UP + args.count):
        measured = round_number >= WARM_UP
        # Interleaved, in a new order each round: a slower minute of the shared machine weighs on all alike.
        for kind in rng.sample(KINDS, len(KINDS)):
            watched = profile if measured and args.profile == kind else None
            if watched is not None:
                watched.enable()
            ms, late = await interactions[kind](measured)
            if watched is not None:
                watched.disable()
            if measured:
                r.timings[kind].append(ms)
                r.late[kind] += late
        # Keep the emulator's memory flat across thousands of interactions.
        box.emulator.interactions.clear()


Interact = Callable[[bool], Awaitable[tuple[float, bool]]]


def interactions_of(
    box: Sandbox, asker: User, members: list[User], rng: random.Random, r: Results
) -> dict[str, Interact]:
    """Each measured interaction, timed to the answer the member reads; and whether it came after 3 s."""
    emulator, driver = box.emulator, box.driver

    async def aide(_: bool) -> tuple[float, bool]:
        record = (await driver.slash(asker, "aide")).interaction
        return read_ms(emulator, record), record.late

    async def chercher(measured: bool) -> tuple[float, bool]:
        reply = await driver.slash(asker, "projet chercher", **search_options(rng))
        if measured and not reply.interaction.late:
            r.hits.append(shown_total(reply.embeds))
        return read_ms(emulator, reply.interaction), reply.interaction.late

    async def pres_de(_: bool) -> tuple[float, bool]:
        await driver.autocomplete(asker, "projet chercher", "pres_de", rng.choice(TYPED))
        # The driver returns only the choices; the emulator's record is the newest (dicts keep insertion order).
        record = next(reversed(emulator.interactions.values()))
        assert record.type == AUTOCOMPLETE
        return answer_ms(emulator, record), record.late

    async def suggestions(measured: bool) -> tuple[float, bool]:
        reply = await driver.slash(rng.choice(members), "mise-en-lien suggestions")
        if measured and not reply.interaction.late:
            r.suggestions_empty += not any(e.get("fields") for e in reply.embeds)
        return read_ms(emulator, reply.interaction), reply.interaction.late

    return {"aide": aide, "chercher": chercher, "pres_de": pres_de, "suggestions": suggestions}


def progress(note: str) -> None:
    """Where a long run is, on stderr, apart from the figures."""
    print(f"[{time.strftime('%H:%M:%S')}] {note}", file=sys.stderr, flush=True)


def memory_mb() -> tuple[float, float]:
    """This process's resident set now and at its peak (VmRSS, VmHWM), in MB; without /proc, the peak twice."""
    status = Path("/proc/self/status")
    if status.exists():
        fields = dict(line.split(":", 1) for line in status.read_text().splitlines() if ":" in line)
        return int(fields["VmRSS"].split()[0]) / 1024, int(fields["VmHWM"].split()[0]) / 1024
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return peak, peak


async def start_once(database: Path, url: str | None, profile: cProfile.Profile | None) -> dict[str, float]:
    """In a fresh process: the bot created and connected to an emulator, up to its commands registered there,
    then its memory once ready and idle."""
    before, _ = memory_mb()
    if profile is not None:
        profile.enable()
    started = time.monotonic()  # the emulator's own clock: its request log is timed with it
    async with sandbox(database, settings=settings_for(url)) as box:
        if profile is not None:
            profile.disable()
        synced = next(
            r.at
            for r in box.emulator.requests
            if r.method == "PUT" and r.route.endswith("/commands") and r.status == 200
        )
        await box.driver.settle()
        # The households' index is read in the background once connected: what an operator pays includes it.
        assert box.bot.index_loading is not None
        await box.bot.index_loading
        indexed = time.monotonic()
        rss, peak = memory_mb()
    return {
        "start_s": synced - started,
        "index_s": indexed - started,
        "indexed": len(box.bot.households.index),
        "before_mb": before,
        "rss_mb": rss,
        "peak_mb": peak,
    }


def cold_start(args: argparse.Namespace, database: Path) -> dict[str, float]:
    command = [sys.executable, __file__, "--start-only", str(database)]
    if args.database_url:
        command += ["--database-url", args.database_url]
    if args.profile == "start":
        command += ["--profile", "start"]
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=os.environ)
    if done.returncode != 0:
        raise SystemExit(f"the cold start failed:\n{done.stderr}")
    *profiled, last = done.stdout.rstrip("\n").split("\n")
    if profiled:
        print("\n".join(profiled))
    figures: dict[str, float] = json.loads(last)
    return figures


def verdict(ok: bool) -> str:
    return "ok" if ok else "missed"


def report(args: argparse.Namespace, r: Results, start: dict[str, float]) -> None:
    c = r.counts
    data = (
        f"data: {c['household_profiles']} household profiles, {c['projects']} projects, {c['ads']} ads, "
        f"{c['events']} events, on {'PostgreSQL' if args.database_url else 'SQLite'}"
    )
    if r.kept:
        print(f"{data}, kept in {args.keep} by an earlier run (generation, writes and import not measured again)")
    else:
        print(
            f"{data} (scale {args.scale:g}); generated in {r.generate_s:.1f} s, households, ads and events written "
            f"directly in batches of {BATCH} rows a transaction in {r.insert_s:.1f} s; {args.members} members with "
            f"a profile saved through the store in {r.members_s:.1f} s"
        )
    print(
        f"{args.count} interactions of each kind after {WARM_UP} of warm-up, interleaved in random order, timed "
        "to the answer the member reads (after a deferral, the follow-up); emulator and bot in one process"
    )
    print()
    floor = percentile(r.timings["aide"], 0.99)
    print(f"{'figure':<36} {'median':>9} {'p99':>9} {'ratio':>7} {'goal':>10} {'> 3 s':>6}  verdict")
    for kind in KINDS:
        values = r.timings[kind]
        p99 = percentile(values, 0.99)
        ratio = p99 / floor
        goal = GOAL_RATIO.get(kind)
        shown = f"≤ {goal:g}×" if goal else "floor"
        end = verdict(ratio <= goal) if goal else ""
        print(
            f"{LABELS[kind]:<36} {statistics.median(values):>6.1f} ms {p99:>6.1f} ms {ratio:>6.2f}× {shown:>10} "
            f"{r.late[kind]:>6}  {end}"
        )
    import_goal = IMPORT_GOAL_S * c["projects"] / PROJECTS
    if not r.kept:
        print(
            f"{'import of ' + str(c['projects']) + ' projects':<36} {r.import_s:>9.2f} s {'':>9} "
            f"{r.import_s / import_goal:>6.2f}× {f'≤ {import_goal:g} s':>10} {'':>6}  "
            f"{verdict(r.import_s <= import_goal)}"
        )
    rss = start["rss_mb"]
    print(
        f"{'resident memory, index built':<36} {rss:>8.0f} MB {'':>9} {rss / MEMORY_GOAL_MB:>6.2f}× "
        f"{f'≤ {MEMORY_GOAL_MB:g} MB':>10} {'':>6}  {verdict(rss <= MEMORY_GOAL_MB)}"
    )
    print(
        f"{'cold start to commands registered':<36} {start['start_s']:>9.2f} s {'':>9} "
        f"{start['start_s'] / START_GOAL_S:>6.2f}× {f'≤ {START_GOAL_S:g} s':>10} {'':>6}  "
        f"{verdict(start['start_s'] <= START_GOAL_S)}"
    )
    print()
    hits = r.hits or [0]
    print(
        f"/projet chercher: {statistics.mean(hits):.1f} projects found per search on average, "
        f"{sum(h == 0 for h in hits) / len(hits):.0%} empty; /mise-en-lien suggestions: "
        f"{r.suggestions_empty} of {args.count} answers without a suggestion"
    )
    if not r.kept:
        print(
            f"import: ProjectService.import_drafts, checked drafts written {r.import_batch} a transaction "
            f"({c['projects'] / max(r.import_s, 1e-9):.0f} projects/s)"
        )
    print(
        f"memory: VmRSS of a fresh Python process that started the bot on this database and an emulator with the "
        f"demo server, read once the bot is ready, its index of {start['indexed']:.0f} matchable households built, "
        f"and idle (interpreter, discord.py, the bot's modules and geography, the index, its caches, the database "
        f"driver's cache, and the emulator's small state); "
        f"{start['before_mb']:.0f} MB before the bot was created (interpreter and imports), "
        f"peak {start['peak_mb']:.0f} MB"
        + ("; the PostgreSQL server's own processes are not counted" if args.database_url else "")
    )
    print(
        "cold start: in that process, from sandbox() entered (emulator up, bot created, database opened and "
        "migrated, geography loaded, gateway connected) to the emulator's answer to the commands' PUT; the "
        f"households' index, read in the background after that, was built {start['index_s']:.2f} s after the start"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--scale", type=float, default=1.0, help="fraction of the national sizes")
    parser.add_argument("--count", type=int, default=300, help="measured interactions of each kind")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--members", type=int, default=100, help="members asking for suggestions")
    engine = parser.add_mutually_exclusive_group()
    engine.add_argument("--database-url", help="an empty PostgreSQL database (postgresql://…) instead of SQLite")
    engine.add_argument("--postgres", action="store_true", help="a throwaway PostgreSQL cluster instead of SQLite")
    engine.add_argument("--keep", type=Path, help="a folder where the SQLite database is kept, and measured again")
    parser.add_argument("--profile", choices=PROFILED, help="print the top of a cProfile of this measure")
    parser.add_argument("--start-only", type=Path, help=argparse.SUPPRESS)  # the cold start's own process
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # An answer too late is counted in the table; its logged error would bury the figures.
    logging.getLogger("bot.errors").setLevel(logging.CRITICAL)
    profile = cProfile.Profile() if args.profile else None
    if args.start_only is not None:
        figures = asyncio.run(start_once(args.start_only, args.database_url, profile))
        if profile is not None:
            print_profile(profile)
        print(json.dumps(figures))
        return
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as scratch, throwaway_postgres(args):
        if args.keep is not None:
            args.keep.mkdir(parents=True, exist_ok=True)
        database = (args.keep or Path(scratch)) / "bench.sqlite3"
        results = asyncio.run(measure(args, database, profile))
        progress("measured; now the cold start in a fresh process")
        start = cold_start(args, database)
    report(args, results, start)
    print(f"whole run: {time.perf_counter() - started:.1f} s")
    if profile is not None and args.profile != "start":
        print()
        print(f"profile of {args.profile} (the event loop's thread; SQLite works in aiosqlite's thread):")
        print_profile(profile)


@contextmanager
def throwaway_postgres(args: argparse.Namespace) -> Iterator[None]:
    """With `--postgres`, an empty database of a cluster started for this run (stopped after it) becomes
    `--database-url`; otherwise nothing."""
    if not args.postgres:
        yield
        return
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # the tests' cluster, not a copy of it
    from tests.pg import Cluster

    cluster = Cluster.start()
    try:
        args.database_url = asyncio.run(cluster.empty())
        yield
    finally:
        cluster.stop()


def print_profile(profile: cProfile.Profile) -> None:
    stats = pstats.Stats(profile, stream=sys.stdout)
    stats.sort_stats("tottime").print_stats(20)
    stats.sort_stats("cumulative").print_stats(20)


if __name__ == "__main__":
    main()
