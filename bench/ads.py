"""Small ads at scale: `/annonce chercher` with words and a département over 100,000 stored ads (live,
expired and closed, over départements weighted by population); also the time to insert them and the size
of the database.

    .venv/bin/python bench/ads.py [--ads 100000] [--count 1000] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import inspect
import logging
import random
import statistics
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import accumulate
from pathlib import Path
from typing import Any

from measures import answer_ms, percentile, shown_total

from bot.ads.models import DURATIONS, PRICED, TITLE_MAX, body_key
from bot.ads.store import AdStore
from bot.clock import to_db, utc_now
from bot.geo import Commune, Geography, geography
from bot.limits import clip
from bot.sandbox.harness import sandbox
from bot.vocabulary import AdCategory

WARM_UP = 20
# How many ids `AdStore.search` returns at most, hence the largest total an answer can show.
SEARCH_CAP: int = inspect.signature(AdStore.search).parameters["limit"].default
# What people type in the search box: every word must match (AND of stem prefixes).
QUERIES = (
    "jardin partagé",
    "coopérative habitat",
    "terrain constructible",
    "colocation seniors",
    "grange à rénover",
    "habitat participatif",
    "maison bois paille",
    "T3",
    "retraités",
    "famille jardin",
    "chantier participatif",
    "covoiturage",
    "écologique",
    "corps de ferme",
    "intergénérationnel",
    "habitat léger",
    "salle commune",
    "yourte",
)
CATEGORY_WEIGHTS = {
    AdCategory.cherche_groupe: 30,
    AdCategory.cherche_foyers: 25,
    AdCategory.logement: 20,
    AdCategory.foncier: 10,
    AdCategory.entraide: 10,
    AdCategory.autre: 5,
}
TITLES: dict[AdCategory, tuple[str, ...]] = {
    AdCategory.cherche_groupe: (
        "Famille cherche habitat participatif près de {lieu}",
        "Retraités cherchent coopérative d'habitants",
        "Couple cherche groupe pour projet écologique",
        "Cherche colocation intergénérationnelle ({lieu})",
        "Foyer de {n} personnes cherche habitat groupé",
        "Jeune retraitée cherche projet avec jardin partagé",
        "Cherche groupe autour de {lieu}",
        "Famille avec enfants cherche oasis à la campagne",
    ),
    AdCategory.cherche_foyers: (
        "Coopérative d'habitants cherche {k} foyers",
        "Habitat participatif à {lieu} : il reste {k} logements",
        "Oasis cherche familles et retraités",
        "Projet bois et paille cherche nouveaux foyers",
        "Groupe intergénérationnel cherche habitants",
        "Ferme collective cherche foyers ({lieu})",
    ),
    AdCategory.logement: (
        "T{pieces} dans habitat participatif à {lieu}",
        "Chambre en colocation, maison partagée",
        "Maison bois et paille à vendre",
        "T2 de plain-pied pour senior",
        "Logement en coopérative d'habitants ({lieu})",
        "Colocation seniors à {lieu}",
        "Yourte sur terrain partagé",
    ),
    AdCategory.foncier: (
        "Terrain constructible de {m2t} m² à {lieu}",
        "Grange à rénover avec terrain",
        "Corps de ferme pour projet collectif",
        "Terrain communal pour habitat participatif",
        "Terrain agricole, habitat léger possible",
    ),
    AdCategory.entraide: (
        "Chantier participatif terre-paille",
        "Covoiturage vers les rencontres régionales",
        "Prêt d'outils et atelier bois",
        "Aide pour créer une coopérative d'habitants",
        "Entraide entre familles du quartier",
        "Échange de graines pour jardin partagé",
    ),
    AdCategory.autre: (
        "Portes ouvertes de notre écolieu",
        "Projection-débat à {lieu}",
        "Formation à la gouvernance partagée",
        "Don de matériaux de construction",
        "Enquête sur l'habitat intergénérationnel",
        "Soirée jeux et repas partagé",
    ),
}
SENTENCES: dict[AdCategory, tuple[str, ...]] = {
    AdCategory.cherche_groupe: (
        "Nous sommes une famille avec {enfants} enfants et cherchons un habitat participatif autour de {lieu}.",
        "Couple de retraités actifs, nous cherchons une coopérative d'habitants pour vieillir ensemble.",
        "Jeune retraitée, je cherche un habitat groupé intergénérationnel, idéalement en colocation au début.",
        "Budget d'environ {budget} € pour un T3 ou un T4 avec un bout de jardin.",
        "Nous aimons le jardinage, le bricolage et la cuisine partagée.",
        "Prêts à nous investir dans l'auto-construction en bois et paille.",
        "Nous pouvons rejoindre un groupe déjà constitué ou en création.",
        "Télétravail possible, donc ouverts à la campagne comme à la ville.",
        "Intéressés par un projet écologique avec terrain et salle commune.",
        "Je suis seule avec ma fille de {age} ans, je cherche un lieu d'entraide et de partage.",
    ),
    AdCategory.cherche_foyers: (
        "Notre groupe de {n} foyers construit un habitat participatif à {lieu} et cherche encore {k} familles.",
        "Coopérative d'habitants en création : il reste {k} logements du T2 au T5.",
        "Projet écologique : maisons en bois et paille, toitures végétalisées, chauffage au bois.",
        "Nous avons acheté une ferme avec {ha} hectares et une grange à rénover en logements.",
        "Nous cherchons des retraités, des familles et des jeunes pour un groupe intergénérationnel.",
        "Espaces partagés : salle commune, buanderie, atelier, chambre d'amis et jardin partagé.",
        "Les travaux commencent au printemps, emménagement prévu dans {mois} mois.",
        "Prix de sortie autour de {prix_m2} € le m², accession sociale possible.",
        "Deux logements en locatif social avec un bailleur partenaire.",
        "Venez nous rencontrer lors de notre prochain repas partagé.",
    ),
    AdCategory.logement: (
        "T{pieces} de {m2} m² dans un habitat participatif, lumineux, avec terrasse et accès au jardin partagé.",
        "À louer : chambre en colocation dans une maison partagée, {loyer} € charges comprises.",
        "Maison en ossature bois et isolation paille, {m2} m², à vendre dans un hameau partagé.",
        "Logement disponible au 1er {date}, bail de longue durée.",
        "Le logement fait partie d'une coopérative d'habitants : parts sociales à acquérir.",
        "Colocation seniors : trois retraités cherchent une quatrième personne.",
        "Petit T2 de plain-pied, adapté aux personnes âgées.",
        "Chauffage par poêle à granulés, panneaux solaires, récupération d'eau de pluie.",
        "Place de parking et local vélos dans la copropriété.",
        "Yourte aménagée de {m2} m², habitat léger sur terrain agricole.",
    ),
    AdCategory.foncier: (
        "Terrain constructible de {m2t} m², viabilisé, en bordure de bourg.",
        "Grange à rénover avec {m2t} m² de terrain, idéale pour un projet collectif.",
        "Corps de ferme de {n} pièces et dépendances sur {ha} hectares.",
        "La mairie soutient l'habitat participatif et peut céder un terrain communal.",
        "Terrain agricole avec source, possibilité d'habitat léger sous conditions.",
        "Ancienne école à réhabiliter, proposée par la commune.",
        "Nous vendons notre terrain de préférence à un groupe d'habitants.",
        "Bail emphytéotique envisageable avec une foncière solidaire.",
        "Zone non inondable, orientation plein sud, vue dégagée.",
        "Certificat d'urbanisme positif pour {k} logements.",
    ),
    AdCategory.entraide: (
        "Chantier participatif enduits terre-paille les {jours} prochains week-ends, repas offerts.",
        "Nous proposons un covoiturage vers les rencontres nationales de l'habitat participatif.",
        "Prêt d'outils et accès à notre atelier bois pour les groupes du coin.",
        "Cherche un coup de main pour monter une SCIA ou une coopérative d'habitants.",
        "Architecte bénévole propose de relire vos plans et votre budget.",
        "Garde d'enfants partagée entre familles du quartier.",
        "Échange de graines et de plants pour le jardin partagé.",
        "Nous aidons les retraités du hameau pour les courses et les rendez-vous médicaux.",
        "Besoin de bras pour la charpente de la grange, débutants bienvenus.",
        "Accompagnement gratuit pour les groupes qui démarrent.",
    ),
    AdCategory.autre: (
        "Projection-débat sur l'habitat participatif à {lieu}, entrée libre.",
        "Journée portes ouvertes de notre écolieu, visite des maisons en paille.",
        "Formation à la gouvernance partagée et à la communication non violente.",
        "Donne fenêtres en bois double vitrage et tuiles anciennes.",
        "Enquête d'une étudiante sur l'habitat intergénérationnel : quinze minutes de votre temps.",
        "Cherche témoignages de familles vivant en coopérative d'habitants.",
        "Cercle de lecture sur l'écologie et les communs, une fois par mois.",
        "Vente de bois de chauffage au profit de l'association.",
        "Nous lançons une AMAP pour les habitants du quartier.",
        "Soirée jeux et repas partagé dans notre salle commune.",
    ),
}
COMMON = (
    "Contact par message privé, on peut aussi s'appeler.",
    "Premier échange en visio possible, puis une visite sur place.",
    "Nous participons aux rencontres du réseau régional.",
    "Les animaux sont les bienvenus.",
    "Gare à {km} km, covoiturage facile vers {lieu}.",
    "Proche école, commerces et marché bio.",
    "Nous tenons à la gouvernance partagée et aux décisions par consentement.",
    "Entraide, sobriété et convivialité sont nos valeurs.",
    "Réunion d'information ouverte le premier samedi du mois.",
    "N'hésitez pas à écrire même si votre projet est encore flou.",
    "Accessible aux personnes à mobilité réduite.",
    "Potager collectif, poulailler et compost déjà en place.",
)
MONTHS = ("janvier", "mars", "avril", "juin", "juillet", "septembre", "octobre", "décembre")
BODY_MIN, BODY_MAX = 100, 800
INSERT = (
    "INSERT INTO ads (author_id, category, departement, region, code_insee, commune, title, body, body_key, price,"
    " status, closed_reason, created_at, expires_at, renewed_count, guild_id)"
    " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)


@dataclass
class Places:
    """Départements weighted by population, and within each its communes, as cumulative weights."""

    codes: list[str]
    cumulative: list[int]
    communes: dict[str, tuple[list[Commune], list[int]]]

    def departement(self, rng: random.Random) -> str:
        return rng.choices(self.codes, cum_weights=self.cumulative)[0]


def places(geo: Geography) -> Places:
    # Arrondissements are left out: their population is already their city's.
    by_departement: dict[str, list[Commune]] = defaultdict(list)
    for commune in geo.communes.values():
        if commune.parent is None and commune.departement in geo.departements:
            by_departement[commune.departement].append(commune)
    codes = sorted(code for code, communes in by_departement.items() if sum(c.population for c in communes) > 0)
    totals = [sum(c.population for c in by_departement[code]) for code in codes]
    communes = {
        code: (by_departement[code], list(accumulate(max(c.population, 1) for c in by_departement[code])))
        for code in codes
    }
    return Places(codes, list(accumulate(totals)), communes)


def body(rng: random.Random, category: AdCategory, values: dict[str, Any]) -> str:
    """Sentences of the category (first) and common ones, up to a length drawn in [BODY_MIN, BODY_MAX]."""
    target = rng.randint(BODY_MIN, BODY_MAX)
    own = rng.sample(SENTENCES[category], len(SENTENCES[category]))
    pool = [*own[:1], *rng.sample([*own[1:], *COMMON], len(own) - 1 + len(COMMON))]
    text = ""
    for sentence in pool:
        piece = sentence.format(**values)
        longer = f"{text} {piece}" if text else piece
        if len(longer) > target and len(text) >= BODY_MIN:
            break
        if len(longer) <= BODY_MAX:
            text = longer
    return text


@dataclass
class Generated:
    rows: list[tuple[Any, ...]]
    statuses: Counter[str]
    live: int
    departements: int
    mean_length: float


def make_rows(geo: Geography, where: Places, count: int, now: datetime, rng: random.Random) -> Generated:
    """Ads of the last three years, more of them recent; expired ones are already marked so (as the scheduler
    does), closed ones too, so that nothing is due for the scheduler during the run. No forum posts (thread ids
    stay NULL): the benchmark is about the search, not the forum."""
    categories = list(CATEGORY_WEIGHTS)
    authors = [rng.randrange(10**17, 10**18) for _ in range(max(count // 3, 1))]
    rows: list[tuple[Any, ...]] = []
    statuses: Counter[str] = Counter()
    live = 0
    lengths = 0
    for category in rng.choices(categories, weights=list(CATEGORY_WEIGHTS.values()), k=count):
        departement = geo.departements[where.departement(rng)]
        commune: Commune | None = None
        if rng.random() < 0.7:
            communes, cumulative = where.communes[departement.code]
            commune = rng.choices(communes, cum_weights=cumulative)[0]
        values = {
            "lieu": commune.nom if commune else departement.nom,
            "n": rng.randint(3, 14),
            "k": rng.randint(1, 4),
            "enfants": rng.randint(1, 4),
            "age": rng.randint(2, 17),
            "budget": rng.randrange(150_000, 400_000, 5_000),
            "pieces": rng.randint(2, 5),
            "m2": rng.randint(25, 140),
            "m2t": rng.randrange(500, 20_000, 100),
            "ha": rng.randint(1, 30),
            "loyer": rng.randrange(300, 800, 10),
            "prix_m2": rng.randrange(1_800, 4_500, 50),
            "mois": rng.randint(6, 30),
            "km": rng.randint(1, 25),
            "jours": rng.randint(2, 4),
            "date": rng.choice(MONTHS),
        }
        title = clip(rng.choice(TITLES[category]).format(**values), TITLE_MAX)
        text = body(rng, category, values)
        lengths += len(text)
        price = None
        if category in PRICED and rng.random() < 0.8:
            price = rng.randrange(300, 1_200, 10) if rng.random() < 0.4 else rng.randrange(20_000, 450_000, 1_000)
        # Ages: exponential around eight months, at most three years.
        created = now - timedelta(minutes=min(rng.expovariate(1 / (240 * 1440)), 3 * 365 * 1440))
        renewed = rng.choices((0, 1, 2), weights=(80, 15, 5))[0]
        expires = created + timedelta(days=rng.choices(DURATIONS, weights=(20, 50, 30))[0] * (1 + renewed))
        draw = rng.random()
        status, reason = (
            ("pourvue", None)
            if draw < 0.08
            else ("retiree", None)
            if draw < 0.12
            else ("supprimee", "hors sujet")
            if draw < 0.125
            else ("expiree", "expiration")
            if expires <= now
            else ("publiee", None)
        )
        statuses[status] += 1
        live += status == "publiee"
        rows.append(
            (
                rng.choice(authors), category.value, departement.code, departement.region,
                commune.insee if commune else None, commune.nom if commune else None, title, text,
                body_key(title, text), price, status, reason, to_db(created), to_db(expires), renewed,
            )
        )  # fmt: skip
    rows.sort(key=lambda row: row[12])  # ids grow with time, as when published one by one
    return Generated(rows, statuses, live, len({row[2] for row in rows}), lengths / max(count, 1))


@dataclass
class Results:
    generated: Generated
    insert_s: float = 0.0
    db_bytes: int = 0
    fts_bytes: int = 0
    wal_bytes: int = 0
    search_ms: list[float] = field(default_factory=list)
    search_late: int = 0
    search_hits: list[int] = field(default_factory=list)


async def measure(ads: int, count: int, seed: int) -> Results:
    rng = random.Random(seed)
    geo = geography()
    where = places(geo)
    # Generated before the bot starts: ~20 s of Python (mostly `body_key`) would otherwise block its event loop.
    generated = make_rows(geo, where, ads, utc_now(), rng)
    results = Results(generated)
    with tempfile.TemporaryDirectory() as scratch:
        database = Path(scratch) / "bench.sqlite3"
        async with sandbox(database) as box:
            await box.driver.settle()  # let on_ready's own work finish before the insert holds the database
            db = box.bot.db
            # The rows go in directly, so the index is only right if the triggers use the bot's own stemming.
            trigger = await db.fetchone(
                "SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = 'ads_fts_insert'"
            )
            if trigger is None or "fts_fr(" not in trigger[0]:
                raise SystemExit("the ads_fts_insert trigger no longer calls fts_fr: the bench would index wrongly")
            rows = [(*row, box.demo.guild.id) for row in generated.rows]
            start = time.perf_counter()
            async with db.transaction():
                await db.execute_many(INSERT, rows)
            results.insert_s = time.perf_counter() - start
            indexed = await db.fetchone("SELECT COUNT(*) FROM ad_fts")
            if indexed is None or indexed[0] != ads:
                raise SystemExit(f"the full-text index holds {indexed[0] if indexed else 0} ads out of {ads}")
            # The pages in use, wherever they sit: a fresh commit may still be in the WAL, not yet in the file.
            pages = await db.fetchone("SELECT page_count * page_size FROM pragma_page_count, pragma_page_size")
            results.db_bytes = int(pages[0]) if pages else 0
            fts = await db.fetchone("SELECT SUM(pgsize) FROM dbstat WHERE name LIKE 'ad_fts%'")
            results.fts_bytes = int(fts[0] or 0) if fts else 0
            wal = database.with_name(database.name + "-wal")
            results.wal_bytes = wal.stat().st_size if wal.exists() else 0

            member = box.demo.user("alex")
            # Random draws rather than a rotation, so that few searches repeat an earlier one exactly.
            for measured in (False, True):
                for _ in range(count if measured else WARM_UP):
                    reply = await box.driver.slash(
                        member, "annonce chercher", texte=rng.choice(QUERIES), departement=where.departement(rng)
                    )
                    record = reply.interaction
                    if measured:
                        results.search_ms.append(answer_ms(box.emulator, record))
                        results.search_late += record.late
                        if not record.late:  # a late answer shows nothing, whatever the bot found
                            results.search_hits.append(shown_total(reply.embeds))
                # Keep the emulator's memory flat across thousands of interactions.
                box.emulator.interactions.clear()
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ads", type=int, default=100_000)
    parser.add_argument("--count", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    started = time.perf_counter()
    r = asyncio.run(measure(args.ads, args.count, args.seed))
    g = r.generated
    print(
        f"{args.ads} ads written directly into `ads` (one executemany, one transaction; the triggers index them "
        f"through fts_fr), not through AdStore.publish: {r.insert_s:.2f} s ({args.ads / r.insert_s:.0f} ads/s)"
    )
    closed = ", ".join(f"{status} {n}" for status, n in sorted(g.statuses.items()) if status != "publiee")
    print(
        f"ads: 6 categories over {g.departements} départements (drawn by population), text {BODY_MIN}–{BODY_MAX} "
        f"characters (mean {g.mean_length:.0f}); live {g.live} ({g.live / args.ads:.1%}), {closed}"
    )
    print(
        f"database: {r.db_bytes / 1e6:.1f} MB of pages in use, of which full-text index {r.fts_bytes / 1e6:.1f} MB "
        f"(WAL file {r.wal_bytes / 1e6:.1f} MB)"
    )
    print(f"{args.count} interactions after {WARM_UP} of warm-up, emulator and bot in one process")
    values = r.search_ms
    print(f"{'interaction':<36} {'median ms':>10} {'p99 ms':>8} {'max ms':>8} {'> 3 s':>6}")
    print(
        f"{'/annonce chercher texte+departement':<36} {statistics.median(values):>10.2f} "
        f"{percentile(values, 0.99):>8.2f} {max(values):>8.2f} {r.search_late:>6}"
    )
    print("> 3 s: answered after Discord's deadline, refused; timed at the arrival of the refused answer")
    hits = r.search_hits or [0]
    print(
        f"search results (answers in time): {statistics.mean(hits):.1f} ads per query on average "
        f"(median {statistics.median(hits):.0f}, max {max(hits)}), "
        f"{sum(h == 0 for h in hits) / len(hits):.1%} empty, "
        f"{sum(h >= SEARCH_CAP for h in hits) / len(hits):.1%} at the {SEARCH_CAP}-result cap"
    )
    print(f"whole run: {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main()
