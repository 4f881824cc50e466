"""Keeping in step with what the network already has: the national database (a YesWiki Bazar site) of
2,000 entries over real communes, served from 127.0.0.1, imported into a fresh database, then synced
again after 50 changes at the source (40 entries edited, 5 removed, 5 new), then read once more,
conditionally (the site answers 304: nothing written). The time of each, and each sync's summary.
Then an association's agenda of 5,000 events (a calendar feed) subscribed to, then read again unchanged,
with a 304 and without validators (read in full): nothing is written the second time.

    .venv/bin/python bench/sync.py [--entries 2000] [--changes 50] [--events 5000] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.clock import utc_now
from bot.config import Settings
from bot.core import build_core
from bot.db import SqliteDatabase
from bot.geo import Commune, geography
from bot.sandbox.bazar_site import BazarSite, serve_bazar
from bot.sandbox.feed_site import FeedSite, serve_feeds
from bot.sources.bazar_mapping import GROUP, LEGAL_FORM, MAPPING, STAGE, STATE
from bot.sources.bazar_messages import SyncReport, summary_line
from bot.sources.feed_service import FeedReport, feed_summary
from bot.sources.feed_store import Feed

FORM: dict[str, Any] = {
    "bn_id_nature": "1",
    "prepared": [
        {"propertyname": STAGE, "label": "Avancement du projet", "options": {key: key for key in MAPPING[STAGE]}},
        {"propertyname": GROUP, "label": "Le groupe", "options": {key: key for key in MAPPING[GROUP]}},
        {"propertyname": LEGAL_FORM, "label": "Structure juridique", "options": {k: k for k in MAPPING[LEGAL_FORM]}},
    ],
}
PARIS = ZoneInfo("Europe/Paris")
KINDS = ("Portes ouvertes", "Atelier", "Visite", "Réunion publique", "Webinaire", "Apéro partagé")
WORDS = ("Les Tilleuls", "Le Hameau", "La Ruche", "Les Colibris", "L'Écrin", "Le Clos", "La Grange", "Les Jardins")


def communes(count: int, rng: random.Random) -> list[Commune]:
    """Communes whose name is theirs alone in their département: each entry resolves."""
    geo = geography()
    seen: dict[tuple[str, str], int] = {}
    for commune in geo.communes.values():
        seen[(commune.nom, commune.departement)] = seen.get((commune.nom, commune.departement), 0) + 1
    unique = [c for c in geo.communes.values() if seen[(c.nom, c.departement)] == 1 and not c.parent]
    return rng.sample(unique, count)


def entry(number: int, commune: Commune, rng: random.Random) -> dict[str, Any]:
    entry_id = f"Projet{number:05d}"
    return {
        "id_fiche": entry_id,
        "url": f"https://habitat.example/?{entry_id}",
        "date_maj_fiche": "2024-01-01 10:00:00",
        "bf_titre": f"{rng.choice(WORDS)} de {commune.nom} n°{number}",
        "bf_descriptif_court": "Un groupe d'habitant·es qui construit son lieu de vie.",
        "bf_descriptif_long": "<p>Salle commune &amp; potager, <strong>logements</strong> sobres.</p>" * 8,
        "bf_ville": commune.nom,
        "listeListeDepartement": commune.departement,
        STAGE: rng.choice(list(MAPPING[STAGE])),
        GROUP: rng.choice(list(MAPPING[GROUP])),
        LEGAL_FORM: rng.choice([*MAPPING[LEGAL_FORM], "leger"]),
        STATE: rng.choice(["actif"] * 40 + ["arrete"]),
        "bf_nblogement": str(rng.randint(3, 40)),
        "bf_mail": f"contact{number}@exemple.fr",
    }


def changed(entries: dict[str, dict[str, Any]], count: int, pool: list[Commune], rng: random.Random) -> None:
    """`count` changes at the source: four in five entries edited, the rest split between removed and new."""
    ids = rng.sample(sorted(entries), count)
    edited, gone = ids[: count * 4 // 5], ids[count * 4 // 5 : count * 9 // 10]
    for entry_id in edited:
        entries[entry_id]["bf_nblogement"] = str(int(entries[entry_id]["bf_nblogement"]) + 1)
        entries[entry_id]["bf_descriptif_court"] = "Le chantier a commencé."
    for entry_id in gone:
        del entries[entry_id]
    for offset, commune in enumerate(pool[: count - len(edited) - len(gone)]):
        fresh = entry(90_000 + offset, commune, rng)
        entries[fresh["id_fiche"]] = fresh


@dataclass
class Step:
    name: str
    seconds: float
    report: SyncReport | None


async def bazar_part(entries_count: int, changes: int, seed: int) -> list[Step]:
    rng = random.Random(seed)
    pool = communes(entries_count + changes, rng)
    entries = {e["id_fiche"]: e for e in (entry(n, c, rng) for n, c in enumerate(pool[:entries_count]))}
    steps = []
    with tempfile.TemporaryDirectory() as folder:
        db = SqliteDatabase(Path(folder) / "bench.sqlite3")
        await db.connect()
        await db.migrate()
        async with serve_bazar(BazarSite(entries=entries, form=FORM)) as site:
            core = build_core(Settings(_env_file=None, national_db_url=site.url), db=db)
            started = time.perf_counter()
            report = await core.bazar.import_source(site.url)
            steps.append(Step("import", time.perf_counter() - started, report))
            changed(entries, changes, pool[entries_count:], rng)
            started = time.perf_counter()
            report = await core.bazar.import_source(site.url)
            steps.append(Step(f"re-sync after {changes} changes", time.perf_counter() - started, report))
            started = time.perf_counter()
            await core.bazar.run_due()  # the scheduled sync: a full read the first time (no validators yet)
            await core.bazar.running.idle()
            steps.append(Step("scheduled sync, nothing changed", time.perf_counter() - started, None))
            state = await core.projects.site_state(site.url)
            await core.projects.save_site_state(site.url, replace(state, last_run_at=None))  # due again
            started = time.perf_counter()
            await core.bazar.run_due()
            await core.bazar.running.idle()
            steps.append(Step(f"conditional re-read ({site.not_modified} × 304)", time.perf_counter() - started, None))
        await db.close()
    return steps


def calendar(count: int, pool: list[Commune], rng: random.Random) -> bytes:
    """A year of `count` events from tomorrow, in Paris time, each at a commune's postal code and name."""
    start = utc_now().astimezone(PARIS).replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//bench//agenda//FR", "X-WR-TIMEZONE:Europe/Paris"]
    for number in range(count):
        begins = start + timedelta(days=rng.randrange(360), hours=rng.randrange(9, 20))
        commune = pool[number % len(pool)]
        lines += [
            "BEGIN:VEVENT", f"UID:evenement-{number}@bench.example", "DTSTAMP:20260101T000000Z",
            f"DTSTART;TZID=Europe/Paris:{begins:%Y%m%dT%H%M%S}",
            f"DTEND;TZID=Europe/Paris:{begins + timedelta(hours=2):%Y%m%dT%H%M%S}",
            f"SUMMARY:{rng.choice(KINDS)} n°{number}", f"LOCATION:{commune.codes_postaux[0]} {commune.nom}",
            "DESCRIPTION:Une rencontre du réseau\\, ouverte à toutes et tous.", "END:VEVENT",
        ]  # fmt: skip
    return "\r\n".join([*lines, "END:VCALENDAR", ""]).encode()


@dataclass
class FeedStep:
    name: str
    seconds: float
    feed: Feed
    report: FeedReport


async def feed_part(events: int, seed: int) -> list[FeedStep]:
    rng = random.Random(seed)
    pool = [c for c in communes(500, rng) if c.codes_postaux]
    steps = []
    with tempfile.TemporaryDirectory() as folder:
        db = SqliteDatabase(Path(folder) / "bench.sqlite3")
        await db.connect()
        await db.migrate()
        async with serve_feeds(FeedSite({"agenda.ics": calendar(events, pool, rng)})) as site:
            feeds = build_core(Settings(_env_file=None), db=db).feeds
            started = time.perf_counter()
            feed, report = await feeds.subscribe(
                1, site.url("agenda.ics"), "Bench", geography().region("Auvergne-Rhône-Alpes"), announce=False,
                signup=False, subscriber_id=1, locale=None,
            )  # fmt: skip
            steps.append(FeedStep(f"first read ({events} events)", time.perf_counter() - started, feed, report))
            started = time.perf_counter()
            report = await feeds.read(await feeds.store.must_get(feed.id))
            took = time.perf_counter() - started
            steps.append(FeedStep(f"re-read, conditional ({site.not_modified} × 304)", took, feed, report))
            site.validators = False
            await feeds.store.read_ok(feed.id, utc_now(), etag=None, last_modified=None, found=None)
            started = time.perf_counter()
            report = await feeds.read(await feeds.store.must_get(feed.id))
            steps.append(FeedStep("re-read in full, no validators", time.perf_counter() - started, feed, report))
            assert report.written == 0 and steps[1].report.written == 0, "an unchanged feed writes nothing"
        await db.close()
    return steps


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=2000)
    parser.add_argument("--changes", type=int, default=50)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    print(f"National database: {args.entries} entries, then {args.changes} changes")
    for step in asyncio.run(bazar_part(args.entries, args.changes, args.seed)):
        summary = f" — {summary_line(step.report)}" if step.report else ""
        print(f"  {step.name:<40} {step.seconds * 1000:8.0f} ms{summary}")
    print(f"Calendar feed: {args.events} events")
    for feed_step in asyncio.run(feed_part(args.events, args.seed)):
        line = f"{feed_summary(feed_step.feed, feed_step.report)} ; {feed_step.report.written} written"
        print(f"  {feed_step.name:<40} {feed_step.seconds * 1000:8.0f} ms — {line}")


if __name__ == "__main__":
    main()
