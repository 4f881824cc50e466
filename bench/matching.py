"""Household matching at scale: `/mise-en-lien suggestions` with 100,000 household profiles and 20,000 projects
spread over real communes (drawn by population), for members whose own profiles are spread over France; also
the time to generate and insert them, and how many candidates and suggestions each search sees.

    .venv/bin/python bench/matching.py [--households 100000] [--projects 20000] [--count 1000] [--seed 1]
        [--members 200] [--sample 200] [--profile]
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
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from measures import answer_ms, percentile

from bot.clock import to_db, utc_now
from bot.geo import Commune, Geography, bounding_box, distance_km, geography
from bot.households.matching import suggest
from bot.households.models import (
    COMPLETE,
    VISIBILITY,
    HouseholdMakeup,
    WhatMatters,
    WhereWhen,
)
from bot.households.service import SETTLED_ROOM, SHORTLIST
from bot.projects.models import ProjectDraft
from bot.sandbox.harness import Sandbox, sandbox
from bot.sandbox.state import User
from bot.vocabulary import (
    Apport,
    EspacePartage,
    Etape,
    EtapeRejointe,
    FormeJuridique,
    Horizon,
    Initiative,
    Milieu,
    Public,
    Statut,
    Valeur,
    mask_of,
)

WARM_UP = 20
MIN_RADIUS_KM, MAX_RADIUS_KM = 10, 80
# Visible to households: "foyers" and "tous", 70 % together.
VISIBILITY_WEIGHTS = {"tous": 55, "foyers": 15, "projets": 20, "aucune": 10}
INTROS = (
    "Un couple avec deux enfants, envie de jardin et de voisins.",
    "Retraités actifs, nous cherchons un lieu pour bien vieillir ensemble.",
    "Une famille recomposée, prête à mettre la main à la pâte.",
    "Jeune couple, télétravail, à la recherche d'un groupe qui se forme.",
    "Seule avec ma fille, je cherche de l'entraide et des espaces partagés.",
    "",
)
PROJECT_PHRASES = (
    "coopérative d'habitants",
    "habitat participatif en centre-bourg",
    "jardin partagé et potager",
    "construction en bois et paille",
    "rénovation d'une ferme",
    "béguinage pour seniors",
    "gouvernance partagée",
    "salle commune et chambre d'amis",
)


def places(geo: Geography, count: int, rng: random.Random) -> list[Commune]:
    """Communes drawn by population; arrondissements are left out (their population is already their city's),
    and so are the few communes without coordinates (a circle needs a centre)."""
    communes = [c for c in geo.communes.values() if c.parent is None and c.lat is not None and c.lon is not None]
    return rng.choices(communes, weights=[max(c.population, 1) for c in communes], k=count)


class Reach:
    """The départements a circle touches, exactly as `HouseholdStore.save_where` finds them with `geo.within`
    (every commune at `distance_km` <= radius), but faster: `geo.within` costs ~4 ms a call, and 100,000
    profiles hold ~18,000 distinct communes and ~75,000 distinct (commune, radius) pairs. For each commune,
    once, the distance to each département's nearest commune within the largest radius; a smaller radius keeps
    the départements at most that far. The search walks quarter-degree cells nearest first and skips a
    département's communes in a cell no nearer than the distance already found for it (the benchmark members,
    saved through the store, check the result against `geo.within`)."""

    CELLS_PER_DEGREE = 4
    SLACK_KM = 1.0  # the clamped corner is not quite a cell's nearest point on the sphere

    def __init__(self, geo: Geography) -> None:
        self._nearest: dict[str, dict[str, float]] = {}
        self._cells: dict[tuple[int, int], dict[str, list[tuple[float, float]]]] = {}
        for commune in geo.communes.values():
            if commune.lat is not None and commune.lon is not None:
                cell = self._cells.setdefault(self._cell(commune.lat, commune.lon), {})
                cell.setdefault(commune.departement, []).append((commune.lat, commune.lon))

    def __len__(self) -> int:
        return len(self._nearest)

    def _cell(self, lat: float, lon: float) -> tuple[int, int]:
        return math.floor(lat * self.CELLS_PER_DEGREE), math.floor(lon * self.CELLS_PER_DEGREE)

    def departements(self, commune: Commune, radius_km: int) -> set[str]:
        assert commune.lat is not None and commune.lon is not None
        nearest = self._nearest.get(commune.insee)
        if nearest is None:
            nearest = self._nearest[commune.insee] = self._search(commune.lat, commune.lon, MAX_RADIUS_KM)
        return {d for d, distance in nearest.items() if distance <= radius_km} | {commune.departement}

    def _search(self, lat: float, lon: float, radius_km: float) -> dict[str, float]:
        low_lat, high_lat, low_lon, high_lon = bounding_box(lat, lon, radius_km)
        (first_i, first_j), (last_i, last_j) = self._cell(low_lat, low_lon), self._cell(high_lat, high_lon)
        size = 1 / self.CELLS_PER_DEGREE
        near: list[tuple[float, dict[str, list[tuple[float, float]]]]] = []
        for i in range(first_i, last_i + 1):
            for j in range(first_j, last_j + 1):
                if (cell := self._cells.get((i, j))) is None:
                    continue
                corner_lat, corner_lon = (
                    min(max(lat, i * size), (i + 1) * size),
                    min(max(lon, j * size), (j + 1) * size),
                )
                bound = distance_km(lat, lon, corner_lat, corner_lon) - self.SLACK_KM
                if bound <= radius_km:
                    near.append((bound, cell))
        near.sort(key=lambda pair: pair[0])
        found: dict[str, float] = {}
        for bound, cell in near:
            for departement, points in cell.items():
                best = found.get(departement, math.inf)
                if best <= bound:
                    continue
                best = min(best, *(distance_km(lat, lon, p_lat, p_lon) for p_lat, p_lon in points))
                if best <= radius_km:
                    found[departement] = best
        return found


@dataclass(frozen=True)
class Steps:
    where: WhereWhen
    makeup: HouseholdMakeup
    matters: WhatMatters


def household(rng: random.Random, commune: Commune) -> Steps:
    low = rng.randrange(80_000, 300_000, 10_000)
    budget = (low, low + rng.randrange(20_000, 150_000, 10_000)) if rng.random() < 0.6 else (None, None)
    return Steps(
        WhereWhen(
            code_insee=commune.insee,
            radius_km=rng.randint(MIN_RADIUS_KM, MAX_RADIUS_KM),
            milieux=frozenset(rng.sample(list(Milieu), rng.randint(0, 2))),
            horizon=rng.choice(list(Horizon)),
            etapes=frozenset(rng.sample(list(EtapeRejointe), rng.randint(1, 3))),
        ),
        HouseholdMakeup(
            adults=rng.choices((1, 2, 3, 4), weights=(30, 55, 10, 5))[0],
            children=rng.choices((0, 1, 2, 3), weights=(50, 20, 20, 10))[0],
            seniors=rng.choices((0, 1, 2), weights=(75, 10, 15))[0],
            statuts=frozenset(rng.sample(list(Statut), rng.randint(1, 3))),
            budget_min=budget[0],
            budget_max=budget[1],
        ),
        WhatMatters(
            valeurs=frozenset(rng.sample(list(Valeur), rng.randint(0, 5))),
            apports=frozenset(rng.sample(list(Apport), rng.randint(0, 3))),
            intro=rng.choice(INTROS),
            accessibility=rng.random() < 0.08,
            visibility=rng.choices(list(VISIBILITY_WEIGHTS), weights=list(VISIBILITY_WEIGHTS.values()))[0],
        ),
    )


def rows_of(
    user_id: int, steps: Steps, departements: set[str], commune: Commune, now: str
) -> tuple[tuple[Any, ...], list[tuple[int, str, str]]]:
    """The household_profiles row (but for guild_id, second) and the household_tags rows that the three
    `save_*` calls leave."""
    where, makeup, matters = steps.where, steps.makeup, steps.matters
    visible_households, visible_projects = VISIBILITY[matters.visibility]
    profile = (
        user_id,
        COMPLETE,
        where.code_insee,
        commune.lat,
        commune.lon,
        where.radius_km,
        where.horizon.value,
        makeup.adults,
        makeup.children,
        makeup.seniors,
        int(matters.accessibility),
        makeup.budget_min,
        makeup.budget_max,
        matters.intro,
        int(visible_households),
        int(visible_projects),
        0,  # paused
        1,  # digest, the column's default
        "fr",
        now,
        now,
        " ".join(sorted(departements)),
        mask_of(makeup.statuts, Statut),
        mask_of(where.etapes, EtapeRejointe),
        mask_of(matters.valeurs, Valeur),
        mask_of(matters.apports, Apport),
        mask_of(where.milieux, Milieu),
    )
    tags = {
        "departement": departements,
        "milieu": {m.value for m in where.milieux},
        "etape": {e.value for e in where.etapes},
        "statut": {s.value for s in makeup.statuts},
        "valeur": {v.value for v in matters.valeurs},
        "apport": {a.value for a in matters.apports},
    }
    return profile, [(user_id, kind, value) for kind in sorted(tags) for value in sorted(tags[kind])]


PROFILE_INSERT = (
    "INSERT INTO household_profiles (user_id, guild_id, step, code_insee, lat, lon, radius_km, horizon, adults,"
    " children, seniors, accessibility, budget_min, budget_max, intro, visible_households, visible_projects, paused,"
    " digest, locale, created_at, updated_at, departements, statut_mask, etape_mask, valeur_mask, apport_mask,"
    f" milieu_mask) VALUES ({', '.join('?' * 28)})"
)
TAG_INSERT = "INSERT INTO household_tags (user_id, kind, value) VALUES (?, ?, ?)"


def project_drafts(geo: Geography, count: int, rng: random.Random) -> list[ProjectDraft]:
    """All imported projects are published (`import_drafts`); 40 % of them recruit."""
    drafts = []
    for number, commune in enumerate(places(geo, count, rng), start=1):
        drafts.append(
            ProjectDraft(
                nom=f"Projet démo {number:05d}",
                code_insee=commune.insee,
                etape=rng.choice(list(Etape)),
                initiative=rng.choice(list(Initiative)),
                forme_juridique=rng.choice(list(FormeJuridique)),
                logements=rng.randint(3, 60),
                recrute=rng.random() < 0.4,
                publics=frozenset(rng.sample(list(Public), rng.randint(0, 2))),
                espaces_partages=frozenset(rng.sample(list(EspacePartage), rng.randint(0, 4))),
                description=". ".join(rng.sample(PROJECT_PHRASES, 3)),
            )
        )
    return drafts


@dataclass
class Results:
    households: int = 0
    household_communes: int = 0
    tag_rows: int = 0
    generate_s: float = 0.0
    reach_calls: int = 0
    insert_s: float = 0.0
    projects: int = 0
    recruiting: int = 0
    projects_s: float = 0.0
    members: int = 0
    members_s: float = 0.0
    db_bytes: int = 0
    answer_ms: list[float] = field(default_factory=list)
    late: int = 0
    shown_households: list[int] = field(default_factory=list)
    shown_projects: list[int] = field(default_factory=list)
    indexed: int = 0
    index_mb: float = 0.0
    sampled: int = 0
    projects_indexed: int = 0
    projects_mb: float = 0.0
    parts_ms: dict[str, list[float]] = field(default_factory=dict)


@contextmanager
def timed(into: list[float]) -> Iterator[None]:
    start = time.perf_counter()
    yield
    into.append((time.perf_counter() - start) * 1000)


@dataclass
class Population:
    """Household rows as the store writes them, but for guild_id (the demo guild's id is known only once the
    sandbox runs): generated before the bot starts, so that this long computation does not stall its loop."""

    profiles: list[tuple[Any, ...]]
    tags: list[tuple[int, str, str]]
    communes: int
    reach: Reach
    seconds: float


def populate(geo: Geography, count: int, rng: random.Random) -> Population:
    start = time.perf_counter()
    reach = Reach(geo)
    now = to_db(utc_now())  # the bot's clock in the sandbox
    profiles, tags = [], []
    communes = places(geo, count, rng)
    for user_id, commune in enumerate(communes, start=1):  # small ids: far below the emulator's snowflakes
        steps = household(rng, commune)
        profile, rows = rows_of(user_id, steps, reach.departements(commune, steps.where.radius_km), commune, now)
        profiles.append(profile)
        tags.extend(rows)
    return Population(profiles, tags, len({c.insee for c in communes}), reach, time.perf_counter() - start)


async def insert_households(box: Sandbox, population: Population) -> float:
    """Rows written directly, in one transaction, with executemany."""
    guild_id = box.demo.guild.id
    start = time.perf_counter()
    async with box.bot.db.transaction():
        await box.bot.db.execute_many(PROFILE_INSERT, [(p[0], guild_id, *p[1:]) for p in population.profiles])
        await box.bot.db.execute_many(TAG_INSERT, population.tags)
    return time.perf_counter() - start


async def add_members(box: Sandbox, geo: Geography, reach: Reach, count: int, rng: random.Random) -> list[User]:
    """Emulator users in the demo guild, each with a complete profile saved through the store's three steps."""
    store = box.bot.households.store
    members = []
    for number, commune in enumerate(places(geo, count, rng)):
        user = box.emulator.add_user(f"foyer{number:04d}")
        box.emulator.add_member(box.demo.guild, user)
        steps = household(rng, commune)
        await store.save_where(user.id, steps.where, guild_id=box.demo.guild.id, locale=user.locale)
        await store.save_household(user.id, steps.makeup)
        await store.save_matters(user.id, steps.matters)
        # The direct rows must say what the store says: compare the département tags it wrote.
        saved = await store.get(user.id)
        expected = reach.departements(commune, steps.where.radius_km)
        if saved is None or not saved.complete or saved.departements != expected:
            raise SystemExit(f"the store wrote other départements for {commune.label}: {saved and saved.departements}")
        members.append(user)
    return members


async def sample_candidates(box: Sandbox, members: list[User], r: Results) -> None:
    """Outside the timed loop: what `HouseholdService.suggestions` works on, and how long each part takes, in
    its order: ranked from the member's own row, then one read of their profile, what they settled and the
    households ranked first."""
    service, households = box.bot.households, box.bot.households.store
    catalogue = box.bot.project_service
    parts: dict[str, list[float]] = {
        "index refresh": [],
        "index rank (from the member's row)": [],
        "profile, settled and shortlist (one read)": [],
        "projects' index refresh": [],
        "projects' index recruiting": [],
        "projects' summaries": [],
        "suggest (scoring)": [],
    }
    for member in members:
        with timed(parts["index refresh"]):
            await service.refresh()
        with timed(parts["index rank (from the member's row)"]):
            early = service.index.rank(service.index.asker_of(member.id), (), SHORTLIST + SETTLED_ROOM)
        with timed(parts["profile, settled and shortlist (one read)"]):
            profile, (_, settled), others = await households.get_settled(member.id, early[:SHORTLIST])
        assert profile is not None
        with timed(parts["projects' index refresh"]):
            await catalogue.refresh()
        with timed(parts["projects' index recruiting"]):
            chosen = catalogue.index.recruiting(profile, settled, SHORTLIST)
        with timed(parts["projects' summaries"]):
            records = catalogue.index.summaries(chosen)
        with timed(parts["suggest (scoring)"]):
            suggest(profile, others, records)
    r.sampled = len(members)
    r.indexed = len(service.index)
    r.index_mb = service.index.nbytes / 2**20
    r.projects_indexed = len(catalogue.index)
    r.projects_mb = catalogue.index.nbytes / 2**20
    r.parts_ms = parts


async def measure(args: argparse.Namespace, profile: cProfile.Profile | None) -> Results:
    r = Results()
    rng = random.Random(args.seed)
    geo = geography()  # the instance the bot will use, loaded once as at start
    population = populate(geo, args.households, rng)
    r.households, r.household_communes, r.tag_rows = len(population.profiles), population.communes, len(population.tags)
    r.generate_s, r.reach_calls = population.seconds, len(population.reach)
    drafts = project_drafts(geo, args.projects, rng)
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "bench.sqlite3"
        async with sandbox(database) as box:
            await box.driver.settle()  # let on_ready's own work finish before the inserts hold the database
            # Its 5-minute tick would start the weekly digest of all these new profiles (never digested, so due):
            # a round of hours, one for_profile each, competing with the measured interactions.
            await box.bot.scheduler.stop()
            r.insert_s = await insert_households(box, population)
            # Freed: kept alive, 1.4 million tuples would slow every full garbage collection in the timed loop.
            population.profiles.clear()
            population.tags.clear()
            start = time.perf_counter()
            report = await box.bot.projects.import_drafts(drafts)
            r.projects_s = time.perf_counter() - start
            if report.created != len(drafts):
                raise SystemExit(f"import created {report.created} projects out of {len(drafts)}")
            r.projects, r.recruiting = len(drafts), sum(d.recrute for d in drafts)
            drafts.clear()

            start = time.perf_counter()
            members = await add_members(box, geo, population.reach, args.members, rng)
            r.members, r.members_s = len(members), time.perf_counter() - start
            pages = await box.bot.db.fetchone("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")
            r.db_bytes = int(pages[0]) if pages else 0

            await sample_candidates(box, members[: args.sample], r)

            for measured in (False, True):
                if measured and profile is not None:
                    profile.enable()
                for _ in range(args.count if measured else WARM_UP):
                    reply = await box.driver.slash(rng.choice(members), "mise-en-lien suggestions")
                    record = reply.interaction
                    if not measured:
                        continue
                    r.answer_ms.append(answer_ms(box.emulator, record))
                    r.late += record.late
                    if not record.late:  # a late answer shows nothing, whatever the bot found
                        names = [f["name"] for e in reply.embeds for f in e.get("fields", [])]
                        r.shown_households.append(sum(name.startswith("Foyer") for name in names))
                        r.shown_projects.append(sum(name.startswith("🏡") for name in names))
                if profile is not None:
                    profile.disable()
                # Keep the emulator's memory flat across thousands of interactions.
                box.emulator.interactions.clear()
    return r


def mean(values: list[int]) -> float:
    return statistics.mean(values) if values else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--households", type=int, default=100_000)
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--members", type=int, default=200, help="benchmark members asking for suggestions")
    parser.add_argument("--sample", type=int, default=200, help="members whose candidates are counted")
    parser.add_argument("--profile", action="store_true", help="cProfile the timed loop, print the top costs")
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    profile = cProfile.Profile() if args.profile else None
    started = time.perf_counter()
    r = asyncio.run(measure(args, profile))
    visible = (VISIBILITY_WEIGHTS["tous"] + VISIBILITY_WEIGHTS["foyers"]) / sum(VISIBILITY_WEIGHTS.values())
    print(
        f"{r.households} household profiles over {r.household_communes} communes (drawn by population), "
        f"radius {MIN_RADIUS_KM}-{MAX_RADIUS_KM} km, {visible:.0%} visible to households: "
        f"generated in {r.generate_s:.1f} s "
        f"(départements within {MAX_RADIUS_KM} km searched once for each of {r.reach_calls} communes)"
    )
    print(
        f"    rows written directly (not through the store's save_* calls), executemany in one transaction: "
        f"{r.households} household_profiles + {r.tag_rows} household_tags in {r.insert_s:.1f} s"
    )
    print(
        f"{r.projects} projects, all published by import_drafts, {r.recruiting} recruiting "
        f"({r.recruiting / max(r.projects, 1):.0%}): {r.projects_s:.1f} s"
    )
    print(
        f"{r.members} benchmark members added to the demo guild, profiles through the store's three steps "
        f"(their département tags match the direct rows'): {r.members_s:.1f} s"
    )
    print(f"database: {r.db_bytes / 1e6:.1f} MB of pages in use")
    print(
        "the bot's scheduler was stopped before the inserts: its weekly digests (20 profiles a round) would "
        "otherwise compete with the measured interactions"
    )
    print()
    values = r.answer_ms
    print(f"/mise-en-lien suggestions, {args.count} interactions after {WARM_UP} of warm-up, random members:")
    print(
        f"    median {statistics.median(values):.1f} ms, p99 {percentile(values, 0.99):.1f} ms, "
        f"max {max(values):.1f} ms; answered after Discord's 3 s deadline: {r.late}"
    )
    print(
        f"    shown per answer in time: {mean(r.shown_households):.2f} households, "
        f"{mean(r.shown_projects):.2f} projects (of 5 each at most); "
        f"{sum(h + p == 0 for h, p in zip(r.shown_households, r.shown_projects, strict=True))} answers empty"
    )
    print(
        f"candidates (sample of {r.sampled} members, outside the timed loop): every one of the "
        f"{r.indexed} matchable households ranked in memory ({r.index_mb:.1f} MB of columns), and every one of "
        f"the {r.projects_indexed} published projects ({r.projects_mb:.1f} MB with their stems' postings)"
    )
    for name, timings in r.parts_ms.items():
        print(f"    {name:<36} median {statistics.median(timings):7.1f} ms   max {max(timings):7.1f} ms")
    print(f"whole run: {time.perf_counter() - started:.1f} s")
    if profile is not None:
        print()
        pstats.Stats(profile).sort_stats("tottime").print_stats(20)


if __name__ == "__main__":
    main()
