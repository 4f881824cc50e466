"""The national project base at scale: `/projet chercher` with words and a radius, and its `pres_de` commune
autocomplete, with 20,000 projects spread over real communes; also the time to load the geography at start
and to insert the projects; and `/projet chercher` while `/projet importer` takes a CSV of all of them, the
bot's way (rows checked beside the event loop, written a batch per transaction) and, for comparison, the
former way (checked on the event loop, written in one transaction).

    .venv/bin/python bench/projects.py [--projects 20000] [--count 1000] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from measures import answer_ms, percentile, shown_total

from bot.geo import Commune, Geography, geography, load
from bot.projects.csvfile import parse_csv
from bot.projects.models import SEARCH_LIMIT, ProjectDraft
from bot.sandbox.driver import AUTOCOMPLETE, DriverError, Reply, Upload
from bot.sandbox.harness import Sandbox, furnish, sandbox
from bot.vocabulary import EspacePartage, Etape, FormeJuridique, Initiative, Public

GEO_LOAD_RUNS = 5
WARM_UP = 20
SEARCH_EVERY_S = 0.25  # while an import runs, members search this often
RADII_KM = (10, 30, 50, 100)
# What people type in the search box: every word must match (AND of stem prefixes).
QUERIES = (
    "coopérative",
    "jardin partagé",
    "habitat écologique bois",
    "intergénérationnel",
    "rénovation ferme",
    "habitat participatif",
    "écoquartier",
    "seniors",
    "paille",
    "familles jardin",
    "salle commune",
    "gouvernance partagée",
    "béguinage",
    "coopérative d'habitants seniors",
    "terre crue",
)
# Big and mid-size communes, as the autocomplete hands them over ("insee:NNNNN").
PLACES = (
    "75056",  # Paris
    "13055",  # Marseille
    "69123",  # Lyon
    "31555",  # Toulouse
    "06088",  # Nice
    "44109",  # Nantes
    "34172",  # Montpellier
    "67482",  # Strasbourg
    "33063",  # Bordeaux
    "59350",  # Lille
    "35238",  # Rennes
    "38185",  # Grenoble
    "63113",  # Clermont-Ferrand
    "21231",  # Dijon
    "49007",  # Angers
    "37261",  # Tours
    "87085",  # Limoges
    "86194",  # Poitiers
    "25056",  # Besançon
    "29019",  # Brest
    "42218",  # Saint-Étienne
    "76540",  # Rouen
    "57463",  # Metz
    "64445",  # Pau
    "26362",  # Valence
    "74010",  # Annecy
    "73065",  # Chambéry
    "15014",  # Aurillac
    "24322",  # Périgueux
    "17300",  # La Rochelle
    "29232",  # Quimper
    "81004",  # Albi
)
# Partial inputs as people type them: name starts, "st"/"saint", postal and département prefixes.
TYPED = (
    "cle",
    "clermont",
    "mont",
    "st e",
    "saint-",
    "saint-ét",
    "63",
    "690",
    "75011",
    "33000",
    "13",
    "lyo",
    "bord",
    "mars",
    "par",
    "toul",
    "nan",
    "gren",
    "la roch",
    "ann",
    "vill",
    "le p",
    "bourg",
    "ste",
    "pont",
    "aix",
    "besan",
    "quimp",
)
# Pieces of descriptions; a project's description is a few of them.
PHRASES = (
    "coopérative d'habitants de {n} logements",
    "habitat participatif en centre-bourg",
    "habitat groupé intergénérationnel",
    "jardin partagé et potager en permaculture",
    "construction écologique en bois et paille",
    "rénovation d'une ferme et de sa grange",
    "rénovation d'un ancien couvent",
    "écoquartier avec la mairie et un bailleur social",
    "familles, seniors et jeunes sous le même toit",
    "gouvernance partagée par consentement",
    "salle commune, buanderie et chambre d'amis",
    "atelier bois et local vélos mutualisés",
    "maison passive, sobriété énergétique",
    "murs en terre crue et isolation en chanvre",
    "béguinage pour seniors autonomes",
    "bail réel solidaire pour des loyers abordables",
    "terrain communal mis à disposition",
    "friche industrielle transformée en lieu de vie",
    "entraide, lien social et ouverture sur le quartier",
    "cherche de nouveaux foyers pour compléter le groupe",
    "accueil de personnes en situation de handicap",
    "verger, poulailler et compost collectif",
    "projet porté par une association locale",
    "auto-construction accompagnée par un architecte",
    "village rural, école et commerces à pied",
    "tiers-lieu et café associatif au rez-de-chaussée",
    "oasis de vie à la campagne",
    "habitat léger et yourtes sur terrain agricole",
    "SCIA en cours de constitution",
    "réunions mensuelles ouvertes aux curieux",
)
NAME_TAILS = (
    "Les Choux Lents",
    "Hameau des Buis",
    "La Ferme du Moulin",
    "Les Voisins Solidaires",
    "L'Écoquartier des Prés",
    "La Grange Partagée",
    "Le Clos des Tilleuls",
    "Les Jardins de la Source",
    "Habiter Autrement",
    "La Maison des Possibles",
    "Le Béguinage du Parc",
    "Coop'Habitat",
)


def time_geography_load(runs: int) -> list[float]:
    """Each run parses the shipped files afresh, as a starting bot does (`geography()` caches, `load()` does not)."""
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        load()
        timings.append((time.perf_counter() - start) * 1000)
    return timings


def description(rng: random.Random) -> str:
    parts = [phrase.format(n=rng.randint(4, 40)) for phrase in rng.sample(PHRASES, rng.randint(2, 6))]
    return ". ".join(part[0].upper() + part[1:] for part in parts) + "."


def make_drafts(geo: Geography, count: int, rng: random.Random) -> list[ProjectDraft]:
    """Projects in communes drawn by population, so that cities hold more of them, as in reality."""
    # Arrondissements are left out: their population is already their city's.
    communes: list[Commune] = [c for c in geo.communes.values() if c.parent is None]
    places = rng.choices(communes, weights=[max(c.population, 1) for c in communes], k=count)
    drafts = []
    for number, commune in enumerate(places, start=1):
        drafts.append(
            ProjectDraft(
                nom=f"Projet démo {number:05d} · {rng.choice(NAME_TAILS)}",
                code_insee=commune.insee,
                etape=rng.choice(list(Etape)),
                initiative=rng.choice(list(Initiative)),
                forme_juridique=rng.choice(list(FormeJuridique)),
                logements=rng.randint(3, 60) if rng.random() < 0.8 else None,
                recrute=rng.random() < 0.4,
                publics=frozenset(rng.sample(list(Public), rng.randint(0, 2))),
                espaces_partages=frozenset(rng.sample(list(EspacePartage), rng.randint(0, 4))),
                description=description(rng),
                site=f"https://projet-{number}.example.org" if rng.random() < 0.3 else None,
            )
        )
    return drafts


@dataclass
class Results:
    geo_load_ms: list[float]
    projects: int = 0
    communes: int = 0
    insert_s: float = 0.0
    db_bytes: int = 0
    wal_bytes: int = 0
    search_ms: list[float] = field(default_factory=list)
    search_late: int = 0
    search_hits: list[int] = field(default_factory=list)
    complete_ms: list[float] = field(default_factory=list)
    complete_late: int = 0
    complete_choices: list[int] = field(default_factory=list)
    export_s: float = 0.0
    csv_bytes: int = 0
    imports: list[Concurrent] = field(default_factory=list)


@dataclass
class Concurrent:
    """Searches sent while an import was under way."""

    how: str
    import_s: float = 0.0
    first_answer_ms: float | None = None  # the import's own « thinking… », when it came through Discord
    report: str = ""
    search_ms: list[float] = field(default_factory=list)
    search_late: int = 0
    unanswered: int = 0  # no answer within the driver's guard (10 s): timed out for the member


def search_options(rng: random.Random) -> dict[str, Any]:
    return {
        "texte": rng.choice(QUERIES),
        "pres_de": f"insee:{rng.choice(PLACES)}",
        "rayon_km": rng.choice(RADII_KM),
    }


async def searches_during(
    box: Sandbox, how: str, importing: Callable[[], Awaitable[Reply | Any]], rng: random.Random
) -> Concurrent:
    """A member searches every SEARCH_EVERY_S while the import runs; each answer is timed by the emulator."""
    measured = Concurrent(how)
    member = box.demo.user("alex")
    start = time.perf_counter()
    task = asyncio.ensure_future(importing())
    searching = []
    while not task.done():
        searching.append(asyncio.ensure_future(box.driver.slash(member, "projet chercher", **search_options(rng))))
        await asyncio.sleep(SEARCH_EVERY_S)
    outcome = await task
    measured.import_s = time.perf_counter() - start
    if isinstance(outcome, Reply):
        measured.first_answer_ms = answer_ms(box.emulator, outcome.interaction)
        measured.report = outcome.messages[-1].content if outcome.messages else ""
    for reply in await asyncio.gather(*searching, return_exceptions=True):
        if isinstance(reply, DriverError):
            measured.unanswered += 1
        elif isinstance(reply, BaseException):
            raise reply
        else:
            measured.search_ms.append(answer_ms(box.emulator, reply.interaction))
            measured.search_late += reply.interaction.late
    await box.driver.settle()  # what answers after the guard finishes before the bot stops
    return measured


async def import_with_searches(database: Path, csv_text: str, rng: random.Random, *, former: bool) -> Concurrent:
    """A fresh server imports the CSV while a member searches: through `/projet importer` as the bot
    does it, or the former way (the whole file checked on the event loop, then one transaction)."""
    async with sandbox(database) as box:
        await furnish(box)  # the organiser role, and the 60 demo projects to find meanwhile
        await box.driver.settle()
        if former:

            async def run() -> Any:
                return await box.bot.projects.import_drafts(parse_csv(csv_text, box.bot.geo))

            return await searches_during(box, "checked on the loop, one transaction (former)", run, rng)
        upload = Upload("projets.csv", csv_text.encode("utf-8"))
        organiser = box.demo.user("dominique")

        async def command() -> Reply:
            return await box.driver.slash(organiser, "projet importer", fichier=upload)

        return await searches_during(box, "/projet importer (batches)", command, rng)


async def measure(projects: int, count: int, seed: int) -> Results:
    results = Results(time_geography_load(GEO_LOAD_RUNS))
    rng = random.Random(seed)
    geo = geography()  # the instance the bot will use, loaded once as at start
    missing = [insee for insee in PLACES if (c := geo.commune(insee)) is None or c.lat is None]
    if missing:
        raise SystemExit(f"communes absent from the geography or without coordinates: {missing}")
    drafts = make_drafts(geo, projects, rng)
    results.projects, results.communes = len(drafts), len({d.code_insee for d in drafts})
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "bench.sqlite3"
        async with sandbox(database) as box:
            await box.driver.settle()  # let on_ready's own work finish before the import holds the database
            start = time.perf_counter()
            report = await box.bot.project_service.import_drafts(drafts)
            results.insert_s = time.perf_counter() - start
            if report.created != len(drafts):
                raise SystemExit(f"import created {report.created} projects out of {len(drafts)}")
            # The pages in use, wherever they sit: a fresh commit may still be in the WAL, not yet in the file.
            pages = await box.bot.db.fetchone("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")
            results.db_bytes = int(pages[0]) if pages else 0
            wal = database.with_name(database.name + "-wal")
            results.wal_bytes = wal.stat().st_size if wal.exists() else 0

            member = box.demo.user("alex")
            # Random draws rather than a rotation, so that few searches repeat an earlier one exactly.
            for measured in (False, True):
                for _ in range(count if measured else WARM_UP):
                    reply = await box.driver.slash(member, "projet chercher", **search_options(rng))
                    record = reply.interaction
                    if measured:
                        results.search_ms.append(answer_ms(box.emulator, record))
                        results.search_late += record.late
                        if not record.late:  # a late answer shows nothing, whatever the bot found
                            results.search_hits.append(shown_total(reply.embeds))
                # Keep the emulator's memory flat across thousands of interactions.
                box.emulator.interactions.clear()

            for measured in (False, True):
                for _ in range(count if measured else WARM_UP):
                    choices = await box.driver.autocomplete(member, "projet chercher", "pres_de", rng.choice(TYPED))
                    # The driver returns only the choices; the emulator's record of this interaction is the
                    # newest one (dicts keep insertion order).
                    record = next(reversed(box.emulator.interactions.values()))
                    assert record.type == AUTOCOMPLETE
                    if measured:
                        results.complete_ms.append(answer_ms(box.emulator, record))
                        results.complete_late += record.late
                        results.complete_choices.append(len(choices))
                box.emulator.interactions.clear()

            start = time.perf_counter()
            csv_text, _ = await box.bot.project_service.export_csv()
            results.export_s = time.perf_counter() - start
            results.csv_bytes = len(csv_text.encode("utf-8"))
        for former in (False, True):
            fresh = Path(scratch) / f"import-{former}.sqlite3"
            results.imports.append(await import_with_searches(fresh, csv_text, rng, former=former))
    return results


def row(name: str, values: list[float], late: int) -> str:
    median, p99 = statistics.median(values), percentile(values, 0.99)
    return f"{name:<28} {median:>10.2f} {p99:>8.2f} {max(values):>8.2f} {late:>6}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--projects", type=int, default=20_000)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    # A search answered too late is counted in the table; its logged error would bury the figures.
    logging.getLogger("bot.errors").setLevel(logging.CRITICAL)
    started = time.perf_counter()
    r = asyncio.run(measure(args.projects, args.count, args.seed))
    load_ms = r.geo_load_ms
    print(
        f"geography load (bot.geo.load(), {len(load_ms)} fresh runs): "
        f"median {statistics.median(load_ms):.1f} ms, max {max(load_ms):.1f} ms"
    )
    print(
        f"{r.projects} projects over {r.communes} communes (drawn by population), "
        f"ProjectService.import_drafts (batches of rows): {r.insert_s:.2f} s ({r.projects / r.insert_s:.0f} projects/s)"
    )
    print(f"database: {r.db_bytes / 1e6:.1f} MB of pages in use (WAL file {r.wal_bytes / 1e6:.1f} MB)")
    print(f"{args.count} interactions per measure after {WARM_UP} of warm-up, emulator and bot in one process")
    print(f"{'interaction':<28} {'median ms':>10} {'p99 ms':>8} {'max ms':>8} {'> 3 s':>6}")
    print(row("/projet chercher texte+rayon", r.search_ms, r.search_late))
    print(row("autocomplete pres_de", r.complete_ms, r.complete_late))
    print("> 3 s: answered after Discord's deadline, refused; timed at the arrival of the refused answer")
    hits = r.search_hits or [0]
    print(
        f"search results (answers in time): {statistics.mean(hits):.1f} per query on average "
        f"(median {statistics.median(hits):.0f}), "
        f"{sum(h == 0 for h in hits) / len(hits):.1%} empty, "
        f"{sum(h >= SEARCH_LIMIT for h in hits) / len(hits):.1%} at the {SEARCH_LIMIT}-result cap"
    )
    print(f"autocomplete: {statistics.mean(r.complete_choices):.1f} choices on average")
    print(f"export of every project: {r.export_s:.2f} s, a CSV of {r.csv_bytes / 1e6:.1f} MB")
    print(f"/projet chercher every {SEARCH_EVERY_S * 1000:.0f} ms while importing that CSV into a fresh server:")
    print(
        f"{'import':<48} {'import s':>8} {'searches':>8} {'median ms':>10} {'p99 ms':>8} {'max ms':>8} "
        f"{'> 3 s':>6} {'none in 10 s':>12}"
    )
    for c in r.imports:
        values = c.search_ms or [0.0]
        print(
            f"{c.how:<48} {c.import_s:>8.1f} {len(c.search_ms) + c.unanswered:>8} {statistics.median(values):>10.1f} "
            f"{percentile(values, 0.99):>8.1f} {max(values):>8.1f} {c.search_late:>6} {c.unanswered:>12}"
        )
        if c.first_answer_ms is not None:
            print(f"  the import's « thinking… » after {c.first_answer_ms:.0f} ms; then: {c.report}")
    print(f"whole run: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
