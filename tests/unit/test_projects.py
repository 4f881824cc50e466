"""The national project database: the store's SQL and search, and ProjectService's flows from start to
end on a real SQLite file (built by build_core, as the bot builds them), the ledger included."""

from __future__ import annotations

import asyncio
import contextlib
import random
import shutil
import sqlite3
from collections.abc import Awaitable, Sequence
from datetime import timedelta
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.config import Settings
from bot.core import Core, build_core
from bot.db import MIGRATIONS_DIR, Database, Row, SqliteDatabase
from bot.errors import UserError, invalid
from bot.geo import Geography, distance_km, geography
from bot.i18n import explain, gettext
from bot.limits import clip
from bot.notify import Delivery
from bot.outbox import Status
from bot.postgres import PG_MIGRATIONS_DIR, PostgresDatabase
from bot.projects.csvfile import CSV_HEADER, ImportError_, parse_csv
from bot.projects.models import (
    EXCERPT,
    SEARCH_LIMIT,
    Project,
    ProjectDraft,
    ProjectStatus,
    SearchFilters,
    SearchHit,
)
from bot.projects.service import MODERATION, QUESTION, QUESTION_BATCH, VERDICT, ProjectService
from bot.projects.store import ProjectStore
from bot.text import fts_query
from bot.vocabulary import EspacePartage, Etape, FormeJuridique, Initiative, Public
from tests.pg import Cluster
from tests.support import ManualDateClock, RecordingNotifier, another, heard

CLERMONT, THIERS, RIOM, LYON, MONTREUIL = "63113", "63430", "63300", "69123", "93048"


@pytest.fixture
def geo() -> Geography:
    return geography()


@pytest.fixture
def store(core: Core) -> ProjectStore:
    return core.projects


@pytest.fixture
def service(core: Core) -> ProjectService:
    return core.project_service


def draft(nom: str, insee: str = CLERMONT, **fields: object) -> ProjectDraft:
    return ProjectDraft.model_validate({"nom": nom, "code_insee": insee, "etape": Etape.emergence, **fields})


async def published(store: ProjectStore, *drafts: ProjectDraft) -> list[int]:
    report = await store.import_drafts(drafts)
    assert report.created == len(drafts)
    rows = await store.db.fetchall("SELECT id FROM projects ORDER BY id")
    return [row["id"] for row in rows]


async def found(service: ProjectService, **filters: object) -> list[str]:
    hits = await service.search(SearchFilters(**filters))  # type: ignore[arg-type]
    return [p.nom for p in await service.summaries([hit.project_id for hit in hits])]


# ---------------------------------------------------------------------- proposing and moderating


async def test_a_proposed_project_waits_and_is_not_searchable(store: ProjectStore, service: ProjectService) -> None:
    project = await store.propose(draft("Les Tilleuls"), proposer_id=7, guild_id=1, locale="fr")
    assert project.statut is ProjectStatus.en_attente
    assert project.referents == (7,)
    assert project.commune == "Clermont-Ferrand"
    assert await found(service, texte="tilleuls") == []
    await store.publish(project.id)
    assert await found(service, texte="tilleuls") == ["Les Tilleuls"]


async def test_refused_project_stays_out_of_search(store: ProjectStore, service: ProjectService) -> None:
    project = await store.propose(draft("Les Tilleuls"), proposer_id=7, guild_id=1, locale="fr")
    assert (await store.refuse(project.id)).statut is ProjectStatus.refuse
    assert await found(service) == []


async def test_same_name_in_same_commune_is_refused(store: ProjectStore) -> None:
    await store.propose(draft("Les Tilleuls"), proposer_id=7, guild_id=1, locale="fr")
    with pytest.raises(UserError):
        await store.propose(draft("les tilleuls"), proposer_id=8, guild_id=1, locale="fr")
    await store.propose(draft("Les Tilleuls", THIERS), proposer_id=8, guild_id=1, locale="fr")


async def test_name_commune_or_stage_change_waits_for_a_moderator(store: ProjectStore) -> None:
    project = await store.propose(draft("Les Tilleuls", description="ancien"), proposer_id=7, guild_id=1, locale="fr")
    await store.publish(project.id)
    changed = draft("Les Grands Tilleuls", THIERS, etape=Etape.realisation, description="nouveau")
    updated = await store.update(project.id, changed, editor_id=7, guild_id=1, locale="fr")
    assert updated.nom == "Les Tilleuls"  # still the published name
    assert updated.description == "nouveau"  # applied at once
    assert updated.pending is not None
    assert (updated.pending.nom, updated.pending.commune, updated.pending.etape) == (
        "Les Grands Tilleuls",
        "Thiers",
        Etape.realisation,
    )
    applied = await store.publish(project.id)
    assert (applied.nom, applied.commune, applied.etape, applied.pending) == (
        "Les Grands Tilleuls",
        "Thiers",
        Etape.realisation,
        None,
    )


async def test_refusing_a_change_keeps_the_published_record(store: ProjectStore) -> None:
    project = await store.propose(draft("Les Tilleuls"), proposer_id=7, guild_id=1, locale="fr")
    await store.publish(project.id)
    await store.update(project.id, draft("Autre nom"), editor_id=7, guild_id=1, locale="fr")
    kept = await store.refuse(project.id)
    assert kept.published
    assert kept.nom == "Les Tilleuls"
    assert kept.pending is None


# ---------------------------------------------------------------------- search


async def test_words_are_stemmed_and_accent_insensitive(store: ProjectStore, service: ProjectService) -> None:
    await published(
        store,
        draft("La Coopérative du Lac", description="Une coopérative d'habitants en bois"),
        draft("Le Pré", description="Des familles et un potager"),
    )
    assert await found(service, texte="coopératives") == ["La Coopérative du Lac"]
    assert await found(service, texte="COOPERATIVE habitant") == ["La Coopérative du Lac"]
    assert await found(service, texte="famille") == ["Le Pré"]
    assert await found(service, texte="clermont") == ["La Coopérative du Lac", "Le Pré"]  # the commune counts
    assert await found(service, texte="coopérative famille") == []  # every word is required


async def test_relevance_comes_first_then_distance(store: ProjectStore, service: ProjectService) -> None:
    await published(
        store,
        draft("Loin", LYON, description="jardin"),
        draft("Près", RIOM, description="jardin"),
        draft("Très pertinent", LYON, description="jardin jardin jardin partagé jardin"),
    )
    clermont = geography().commune(CLERMONT)
    names = await found(service, texte="jardin", pres_de=clermont, rayon_km=200.0)
    assert names[0] == "Très pertinent"
    assert names[1:] == ["Près", "Loin"]


async def test_radius_keeps_what_is_near_sorted_by_distance(store: ProjectStore, service: ProjectService) -> None:
    await published(store, draft("A Riom", RIOM), draft("A Thiers", THIERS), draft("A Lyon", LYON))
    clermont = geography().commune(CLERMONT)
    hits = await service.search(SearchFilters(pres_de=clermont, rayon_km=50.0))
    projects = await store.get_many([h.project_id for h in hits])
    assert [p.nom for p in projects] == ["A Riom", "A Thiers"]
    distances = [h.distance_km for h in hits]
    assert all(d is not None and d <= 50 for d in distances)
    assert distances == sorted(distances)  # type: ignore[type-var]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"departement": "63"}, ["Auvergnat"]),
        ({"departements": ("93", "75")}, ["Francilien"]),
        ({"etape": Etape.vivre_ensemble}, ["Francilien"]),
        ({"initiative": Initiative.professionnelle}, ["Lyonnais"]),
        ({"forme_juridique": FormeJuridique.brs}, ["Lyonnais"]),
        ({"public": Public.seniors}, ["Auvergnat", "Lyonnais"]),
        ({"recrute": True}, ["Auvergnat"]),
        ({"recrute": False}, ["Francilien", "Lyonnais"]),
    ],
)
async def test_each_filter(
    store: ProjectStore, filters: dict[str, object], expected: list[str], service: ProjectService
) -> None:
    await published(
        store,
        draft("Auvergnat", CLERMONT, recrute=True, publics=frozenset({Public.seniors})),
        draft(
            "Lyonnais",
            LYON,
            initiative=Initiative.professionnelle,
            forme_juridique=FormeJuridique.brs,
            publics=frozenset({Public.seniors, Public.familles}),
        ),
        draft("Francilien", MONTREUIL, etape=Etape.vivre_ensemble),
    )
    assert sorted(await found(service, **filters)) == expected


async def test_index_follows_updates_and_deletes(store: ProjectStore, service: ProjectService) -> None:
    [project_id] = await published(store, draft("Le Verger", description="pommiers"))
    current = await store.get(project_id)
    assert current is not None
    await store.update(project_id, draft("Le Verger", description="cerisiers"), editor_id=1, guild_id=None, locale="fr")
    assert await found(service, texte="pommiers") == []
    assert await found(service, texte="cerisiers") == ["Le Verger"]
    await store.db.execute("DELETE FROM projects WHERE id = ?", (project_id,))
    assert await found(service, texte="cerisiers") == []


async def test_a_results_page_shows_each_column_as_the_record_now_holds_it(
    store: ProjectStore, service: ProjectService
) -> None:
    """What the index keeps for a page of results follows every column it shows (migration 0026), decoded as
    the store decodes the record."""
    [project_id] = await published(
        store,
        draft(
            "Le Verger",
            description="  Des pommiers\n et des   poiriers ",
            logements=12,
            recrute=True,
            publics={"familles", "seniors"},
            espaces_partages={"jardin"},
        ),
    )
    changes = [
        ("nom", "Le Grand Verger"),
        ("commune", "Riom-ès-Montagnes"),
        ("logements", 30),
        ("logements", None),
        ("description", "Des cerisiers " * 30),
        ("confirmed_at", "2025-01-31T22:30:00+00:00"),
    ]
    for column, value in [("", None), *changes]:
        if column:
            await store.db.execute(f"UPDATE projects SET {column} = ? WHERE id = ?", (value, project_id))
        record = await store.get(project_id)
        [shown] = await service.summaries([project_id])
        assert record is not None
        fields = ("nom", "commune", "departement", "lat", "lon", "etape", "forme_juridique", "recrute", "logements")
        assert [getattr(shown, f) for f in fields] == [getattr(record, f) for f in fields], column
        assert (shown.publics, shown.espaces_partages, shown.confirmed_at) == (
            record.publics, record.espaces_partages, record.confirmed_at
        ), column  # fmt: skip
        assert shown.excerpt == clip(" ".join(record.description.split()), EXCERPT), column


async def published_rows(db: Database) -> list[Row]:
    return await db.fetchall(
        "SELECT id, nom_cle, commune, departement, lat, lon, etape, initiative, forme_juridique, recrute, stems,"
        " (SELECT COUNT(*) FROM project_publics t WHERE t.project_id = p.id AND t.public = 'seniors') AS seniors"
        " FROM projects p WHERE statut = 'publie'"
    )


def fts5_scores(rows: Sequence[Row], texte: str) -> dict[int, float]:
    """SQLite FTS5's bm25() of `texte` over these records' stems, from a throwaway table of its own: what the
    in-memory index is held to, on both engines (by id; only the records it finds)."""
    query = fts_query(texte)
    if query is None:
        return {}
    with contextlib.closing(sqlite3.connect(":memory:")) as fts:
        fts.execute("CREATE VIRTUAL TABLE t USING fts5 (body, tokenize = 'unicode61 remove_diacritics 2')")
        fts.executemany("INSERT INTO t (rowid, body) VALUES (?, ?)", [(row["id"], row["stems"]) for row in rows])
        return dict(fts.execute("SELECT rowid, bm25(t) FROM t WHERE t MATCH ?", (query,)).fetchall())


async def scores(store: ProjectStore, texte: str) -> dict[str, float]:
    """The relevance to `texte` of each project it finds, by commune."""
    rows = await published_rows(store.db)
    communes = {row["id"]: row["commune"] for row in rows}
    return {communes[key]: round(score, 6) for key, score in fts5_scores(rows, texte).items()}


ETANGS = "Les Étangs"
ETANGS_TEXT = "Une coopérative d'habitants : écoquartier, jardins et ateliers partagés à St-Étienne"
ETANGS_SEARCHES = ("etang", "COOPÉRATIVES habitant", "écoquartiers jardin", "saint etienne", "atelier partage")


async def test_an_imported_project_is_found_as_one_proposed_by_a_member(
    store: ProjectStore, service: ProjectService
) -> None:
    """An import writes the full-text entries of a batch at once, a proposal its own: the same words find
    both, ranked alike."""
    proposed = await store.propose(
        draft(ETANGS, THIERS, description=ETANGS_TEXT), proposer_id=7, guild_id=1, locale="fr"
    )
    await store.publish(proposed.id)
    await store.import_drafts([draft(ETANGS, RIOM, description=ETANGS_TEXT), draft("Le Pré", LYON)])
    for texte in ETANGS_SEARCHES:
        ranked = await scores(store, texte)
        assert set(ranked) == {"Thiers", "Riom"}, texte
        assert ranked["Thiers"] == ranked["Riom"], texte
    assert await found(service, texte="riom") == [ETANGS]
    assert await found(service, texte="pré lyon") == ["Le Pré"]


async def test_an_import_that_changes_a_record_changes_what_finds_it(
    store: ProjectStore, service: ProjectService
) -> None:
    await store.import_drafts([draft(ETANGS, RIOM, description="un verger"), draft("Le Pré", LYON)])
    report = await store.import_drafts(
        [draft(ETANGS, RIOM, description=ETANGS_TEXT), draft("Le Pré", LYON, description="un verger")]
    )
    assert (report.created, report.updated, report.unchanged) == (0, 2, 0)
    assert await found(service, texte="verger") == ["Le Pré"]
    assert await found(service, texte="écoquartier") == [ETANGS]


async def reference_search(store: ProjectStore, filters: SearchFilters) -> list[SearchHit]:
    """A search done the plain way: every published record checked against each filter, FTS5 ranking the
    words, then distance, name and id."""
    origin = filters.pres_de
    rows = await published_rows(store.db)
    ranks = fts5_scores(rows, filters.texte) if filters.texte else None
    ranked = []
    for row in rows:
        if ranks is not None and row["id"] not in ranks:
            continue
        if filters.departement and row["departement"] != filters.departement:
            continue
        if filters.departements and row["departement"] not in filters.departements:
            continue
        if (filters.etape and row["etape"] != filters.etape) or (
            filters.initiative and row["initiative"] != filters.initiative
        ):
            continue
        if filters.recrute is not None and bool(row["recrute"]) != filters.recrute:
            continue
        if filters.public is not None and not row["seniors"]:
            continue
        distance = None
        if origin is not None and origin.lat is not None and origin.lon is not None:
            if row["lat"] is None:
                continue
            distance = distance_km(origin.lat, origin.lon, row["lat"], row["lon"])
            if distance > filters.rayon_km:
                continue
        score = round(ranks[row["id"]], 6) if ranks is not None else 0.0
        ranked.append((score, distance or 0.0, row["nom_cle"], row["id"], distance))
    ranked.sort()
    return [SearchHit(project_id=r[3], distance_km=r[4]) for r in ranked[:SEARCH_LIMIT]]


VOCABULARY = ("jardin", "bois", "paille", "coopérative", "seniors", "familles", "grange", "jardinier")
SEARCHED = ("jardin", "bois", "paille", "jardin bois", "coopérative", "seniors familles", "grange", "jard", "coop")


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_searches_find_and_order_as_fts5_and_plain_filters_do(
    store: ProjectStore, geo: Geography, seed: int, service: ProjectService
) -> None:
    """The index finds what each filter checked on every published record finds, ranked by FTS5's bm25() over
    the same stems, then by distance, name and id; as records are added, changed, refused and deleted."""
    rng = random.Random(seed)
    cities = [c for insee in (CLERMONT, LYON, MONTREUIL) if (c := geo.commune(insee)) is not None]
    centres = [(c.lat, c.lon) for c in cities if c.lat is not None and c.lon is not None]
    near = [
        c
        for c in geo.communes.values()
        if c.lat is not None and c.lon is not None and any(distance_km(c.lat, c.lon, *at) < 120 for at in centres)
    ]

    def random_draft(number: int) -> ProjectDraft:
        return draft(
            f"Projet {number % 50}",  # names shared between communes: then the id orders them
            rng.choice(near).insee,
            description=" ".join(rng.choices(VOCABULARY, k=rng.randint(1, 6))),
            etape=rng.choice(list(Etape)),
            initiative=rng.choice(list(Initiative)),
            recrute=rng.random() < 0.5,
            publics=frozenset(rng.sample([Public.seniors, Public.familles], rng.randint(0, 2))),
        )

    await published(store, *[random_draft(number) for number in range(400)])
    auvergne = geo.region("Auvergne")
    for round_ in range(4):
        waiting = await store.propose(
            draft(f"Jardin en attente {round_}", CLERMONT, description="jardin bois"),
            proposer_id=7,
            guild_id=1,
            locale="fr",
        )
        for _ in range(15):
            filters = SearchFilters(
                texte=rng.choice((None, *SEARCHED)),
                pres_de=rng.choice((None, *cities)),
                rayon_km=float(rng.choice((5, 30, 100, 300))),
                departement=rng.choice((None, None, "63", "69", "93")),
                departements=rng.choice((None, None, auvergne.departements)),
                etape=rng.choice((None, None, *Etape)),
                initiative=rng.choice((None, None, Initiative.citoyenne)),
                recrute=rng.choice((None, None, True, False)),
                public=rng.choice((None, None, Public.seniors)),
            )
            hits = await service.search(filters)
            assert hits == await reference_search(store, filters), filters
            assert waiting.id not in [hit.project_id for hit in hits]
        # Changes between rounds: some rows go to the index's tail, and the last round's rebuild them all.
        ids = [row["id"] for row in await published_rows(store.db)]
        for project_id in rng.sample(ids, 30 if round_ < 2 else 600 if len(ids) > 600 else len(ids) // 2):
            with contextlib.suppress(UserError):  # a name already taken in that commune
                await store.update(project_id, random_draft(project_id), editor_id=1, guild_id=None, locale="fr")
                if rng.random() < 0.5:
                    await store.publish(project_id)
        await store.refuse(waiting.id)
        await store.db.execute("DELETE FROM projects WHERE id = ?", (rng.choice(ids),))
        await store.import_drafts([random_draft(1000 + round_ * 10 + n) for n in range(10)])


WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèêàâçôûùïœÉÀÇ", min_size=3, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(min_size=2, max_size=100).filter(lambda s: len(s.strip()) >= 2),
    words=st.lists(WORDS, min_size=1, max_size=8),
)
async def test_any_description_is_found_by_its_own_words(
    store: ProjectStore, name: str, words: list[str], service: ProjectService
) -> None:
    await store.db.execute("DELETE FROM projects")
    description = " ".join(words)
    [project_id] = await published(store, draft(name, description=description))
    for word in words:
        if fts_query(word) is None:
            continue  # a stop word alone searches nothing
        hits = await service.search(SearchFilters(texte=word))
        assert project_id in [hit.project_id for hit in hits], word


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
async def test_any_typed_text_searches_without_error(store: ProjectStore, text: str, service: ProjectService) -> None:
    await service.search(SearchFilters(texte=text))


# ---------------------------------------------------------------------- CSV import and export

GOOD_CSV = (
    ",".join(CSV_HEADER)
    + "\n"
    + "Les Hirondelles,Clermont-Ferrand,63113,realisation,citoyenne,Coopérative d'habitants,14,oui,"
    + 'familles;seniors,jardin;salle_commune,"Bois, paille et jardin partagé",https://exemple.org,a@exemple.org\n'
    + "Le Hameau,Thiers,63430,Émergence,citoyenne,copropriété,,non,,,Un hameau,,\n"
)


def reasons(error: ImportError_, locale: str | None = None) -> dict[int, str]:
    return {line: gettext(reason.message, locale, **reason.params) for line, reason in error.problems}


async def test_import_then_export_round_trips(service: ProjectService, geo: Geography) -> None:
    report = await service.import_csv(GOOD_CSV)
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    exported, count = await service.export_csv()
    assert count == 2
    assert exported.splitlines()[0] == ",".join(CSV_HEADER)
    again = parse_csv(exported, geo)
    assert {d.nom for d in again} == {"Les Hirondelles", "Le Hameau"}
    hirondelles = next(d for d in again if d.nom == "Les Hirondelles")
    assert hirondelles.forme_juridique == FormeJuridique.cooperative_habitants
    assert hirondelles.espaces_partages == {EspacePartage.jardin, EspacePartage.salle_commune}
    assert hirondelles.recrute
    only_thiers, one = await service.export_csv(SearchFilters(departement="63", texte="hameau"))
    assert one == 1 and "Le Hameau" in only_thiers and "Hirondelles" not in only_thiers


async def test_importing_twice_changes_nothing(
    service: ProjectService, store: ProjectStore, clock: ManualDateClock
) -> None:
    await service.import_csv(GOOD_CSV)
    before = await service.db.fetchall("SELECT * FROM projects ORDER BY id")
    ranked = await scores(store, "jardin")
    clock.advance(days=3)
    report = await service.import_csv(GOOD_CSV)
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    after = await service.db.fetchall("SELECT * FROM projects ORDER BY id")
    assert [tuple(r) for r in after] == [tuple(r) for r in before]
    assert await scores(store, "jardin") == ranked == {"Clermont-Ferrand": ranked["Clermont-Ferrand"]}


async def test_import_updates_a_known_project(service: ProjectService, store: ProjectStore) -> None:
    await service.import_csv(GOOD_CSV)
    report = await service.import_csv(GOOD_CSV.replace("Un hameau", "Un hameau rénové"))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert await found(service, texte="rénové") == ["Le Hameau"]


def test_a_bad_row_stops_the_import_with_its_line_number(geo: Geography) -> None:
    bad = GOOD_CSV + "Sans commune,Nulle part,99999,emergence,citoyenne,sci,,non,,,x,,\n"
    bad += "Étape inconnue,Thiers,63430,bientôt,citoyenne,sci,,non,,,x,,\n"
    bad += 'Multi,Thiers,63430,emergence,citoyenne,sci,,peut-être,,,"sur\ndeux lignes",,\n'
    bad += "Le Hameau,Thiers,63430,emergence,citoyenne,sci,,non,,,doublon,,\n"
    bad += "Trop,Thiers,63430,emergence,citoyenne,sci,douze,non,,,x,,\n"
    with pytest.raises(ImportError_) as caught:
        parse_csv(bad, geo)
    problems = reasons(caught.value)
    assert set(problems) == {4, 5, 6, 8, 9}
    assert "99999" in problems[4]
    assert "bientôt" in problems[5]
    assert "oui" in problems[6]
    assert "ligne 3" in problems[8]
    assert problems[9] == "logements : un nombre entier est attendu"


def test_an_import_refusal_is_translated_and_quotes_the_file_short(geo: Geography) -> None:
    long_stage = "x" * 500
    bad = GOOD_CSV + f"Long,Thiers,63430,{long_stage},citoyenne,sci,,non,,,x,,\n"
    with pytest.raises(ImportError_) as caught:
        parse_csv(bad, geo)
    english = explain(caught.value, "en-US")
    assert english.startswith("Import refused, nothing was saved:\nline 4: ")
    assert long_stage not in english and "…" in english
    assert explain(caught.value, "fr").startswith("Import refusé, rien n'a été enregistré :\nligne 4 : ")


def test_a_refusal_of_many_rows_stays_within_one_message(geo: Geography) -> None:
    bad = GOOD_CSV + "".join(f"P{n},Thiers,00000,emergence,,,,non,,,,,\n" for n in range(200))
    with pytest.raises(ImportError_) as caught:
        parse_csv(bad, geo)
    shown = explain(caught.value, "fr")
    assert len(caught.value.problems) == 200
    assert shown.endswith("… et 185 autres") and len(shown) <= 2000


async def test_a_bad_file_writes_nothing(service: ProjectService) -> None:
    with pytest.raises(ImportError_):
        await service.import_csv(GOOD_CSV + "x,y,00000,,,,,,,,,,\n")
    assert await service.db.fetchall("SELECT * FROM projects") == []


def test_missing_columns_are_named(geo: Geography) -> None:
    with pytest.raises(ImportError_) as caught:
        parse_csv("nom,commune\nA,B\n", geo)
    assert "code_insee" in reasons(caught.value)[1]


def test_a_file_has_at_most_so_many_rows(geo: Geography, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("bot.projects.csvfile.IMPORT_MAX_ROWS", 1)
    with pytest.raises(ImportError_) as caught:
        parse_csv(GOOD_CSV, geo)
    assert reasons(caught.value) == {3: "plus de 1 projets dans un fichier : coupez-le en plusieurs"}


async def test_members_are_served_while_a_big_import_is_written(service: ProjectService, geo: Geography) -> None:
    """The rows go in a batch per transaction: a query that comes during the import is answered before
    it ends, not after the last row."""
    # Enough batches that the import outlasts one query by far, however fast each batch is written.
    communes = [c for c in geo.communes.values() if c.parent is None][: service.db.dialect.batch_rows * 12]
    drafts = [draft(f"Projet {n}", c.insee) for n, c in enumerate(communes)]
    importing = asyncio.create_task(service.import_drafts(drafts))
    await asyncio.sleep(0)  # the import takes the connection first (SQLite's one; PostgreSQL lends another)
    row = await service.db.fetchone("SELECT COUNT(*) FROM projects")
    assert row is not None and row[0] < len(drafts)
    assert not importing.done()
    report = await importing
    assert report.created == len(drafts)


# ---------------------------------------------------------------------- moderation, through the ledger


async def moderation_queue(core: Core, guild_id: int = 1, channel_id: int = 500) -> None:
    await core.guild_settings.update(guild_id, modqueue_channel_id=channel_id)


async def published_through_the_queue(core: Core, service: ProjectService) -> Project:
    """« Les Tilleuls », proposed by 7 on a server with a moderation queue, published, its verdict delivered."""
    await moderation_queue(core)
    project = (await service.propose(draft("Les Tilleuls"), proposer_id=7, guild_id=1, locale="fr")).project
    await service.publish(project.id)
    await core.outbox.run_due()
    return project


async def test_a_proposal_posts_its_card_in_the_moderation_queue(
    core: Core, service: ProjectService, notifier: RecordingNotifier
) -> None:
    await moderation_queue(core)
    submitted = await service.propose(
        draft("Les Tilleuls", description="Une ferme"), proposer_id=7, guild_id=1, locale="fr"
    )
    assert submitted.queued and submitted.waits
    assert await core.outbox.run_due() == 1
    [(channel, nonce, card)] = notifier.sent
    assert channel == 500 and nonce.startswith("ob-")
    assert card.title == "Les Tilleuls"
    assert "Commune : Clermont-Ferrand (63)" in card.lines[0] and "<@7>" in card.lines[0]
    assert [b.custom_id for b in card.buttons] == [
        f"projet:publier:{submitted.project.id}",
        f"projet:refuser:{submitted.project.id}",
    ]
    assert await core.outbox.run_due() == 0


async def test_without_a_moderation_queue_the_proposal_says_so(core: Core, service: ProjectService) -> None:
    submitted = await service.propose(draft("Les Tilleuls"), proposer_id=7, guild_id=1, locale="fr")
    assert not submitted.queued
    assert await core.outbox.store.counts(MODERATION) == {}


async def test_publishing_tells_the_proposer_in_their_language(
    core: Core, service: ProjectService, notifier: RecordingNotifier
) -> None:
    project = (await service.propose(draft("The Limes"), proposer_id=7, guild_id=1, locale="en-US")).project
    await service.publish(project.id)
    with pytest.raises(UserError, match="déjà été traité"):
        await service.publish(project.id)
    assert await core.outbox.run_due() == 1
    [(user, _, message)] = notifier.sent
    assert user == 7
    assert message.content == "✅ Your project “The Limes” is now in the national database."


async def test_two_moderators_at_once_give_one_verdict(core: Core, service: ProjectService) -> None:
    proposed = [
        (await service.propose(draft(f"Projet {n}"), proposer_id=7, guild_id=1, locale="fr")).project.id
        for n in range(4)
    ]

    async def attempt(verdict: Awaitable[Project]) -> None:
        with contextlib.suppress(UserError):
            await verdict

    await asyncio.gather(
        *(attempt(service.publish(p)) for p in proposed), *(attempt(service.refuse(p, "Doublon")) for p in proposed)
    )
    assert await core.outbox.store.counts(VERDICT) == {"pending": len(proposed)}


async def test_a_card_not_yet_posted_is_not_posted_once_settled(
    core: Core, service: ProjectService, notifier: RecordingNotifier
) -> None:
    await published_through_the_queue(core, service)
    assert [m.content for _, _, m in notifier.sent] == [
        "✅ Votre projet « Les Tilleuls » est publié dans la base nationale."
    ]
    assert await core.outbox.store.counts(MODERATION) == {"cancelled": 1}


async def test_a_refusal_gives_the_reason_and_a_bad_reason_changes_nothing(
    core: Core, service: ProjectService, notifier: RecordingNotifier
) -> None:
    project = (await service.propose(draft("Les Tilleuls"), proposer_id=7, guild_id=1, locale="fr")).project
    with pytest.raises(UserError):
        await service.refuse(project.id, "x" * 1001)
    assert (await service.store.must_get(project.id)).statut is ProjectStatus.en_attente
    await service.refuse(project.id, "Doublon d'une fiche")
    await core.outbox.run_due()
    [(_, _, message)] = notifier.sent
    assert message.content == "❌ Votre projet « Les Tilleuls » n'a pas été retenu. Raison : Doublon d'une fiche"


async def test_a_change_waits_and_its_editor_hears_the_verdict(
    core: Core, service: ProjectService, notifier: RecordingNotifier
) -> None:
    project = await published_through_the_queue(core, service)
    notifier.sent.clear()
    edited = await service.edit(
        project.id, draft("Les Grands Tilleuls", description="nouveau"), editor_id=9, moderator=True, guild_id=1,
        locale="en-GB",
    )  # fmt: skip
    assert edited.waits and edited.queued
    assert edited.project.description == "nouveau" and edited.project.nom == "Les Tilleuls"
    await core.outbox.run_due()
    [(_, _, card)] = notifier.sent
    assert card.content == "✏️ Modification à valider"
    assert card.lines[0].startswith("Nom : Les Tilleuls → **Les Grands Tilleuls**")
    await service.refuse(project.id, "Nom déjà pris")
    await core.outbox.run_due()
    user, _, verdict = notifier.sent[-1]
    assert user == 9
    assert verdict.content == "❌ The change to your project “Les Tilleuls” was not accepted. Reason: Nom déjà pris"


async def test_only_referents_and_moderators_edit(service: ProjectService) -> None:
    project = (await service.propose(draft("Les Tilleuls"), proposer_id=7, guild_id=1, locale="fr")).project
    with pytest.raises(UserError, match="Seuls les référents"):
        await service.edit(project.id, draft("Autre"), editor_id=8, moderator=False, guild_id=1, locale="fr")
    with pytest.raises(UserError, match="Seuls les référents"):
        await service.edit_form(str(project.id), user_id=8, moderator=False, changes={})
    current, facts = await service.edit_form(str(project.id), user_id=7, moderator=False, changes={"logements": 12})
    assert current.id == project.id and facts.logements == 12


def test_the_options_are_checked_before_the_form_in_the_members_words(service: ProjectService) -> None:
    with pytest.raises(UserError) as caught:
        service.facts({"code_insee": CLERMONT, "etape": "emergence", "site": "ftp://x"})
    assert explain(caught.value, "fr") == "« site » ne convient pas : le site doit commencer par http:// ou https://."
    assert explain(caught.value, "en-US") == "“website” does not fit: the website must start with http:// or https://."
    with pytest.raises(UserError) as too_many:
        service.facts({"code_insee": CLERMONT, "etape": "emergence", "logements": 5001})
    assert explain(too_many.value, "fr") == "« logements » ne convient pas : au plus 5000."


@pytest.mark.parametrize(
    ("field", "value", "shown"),
    [
        ("nom", "x" * 101, "« Nom du projet » ne convient pas : au plus 100 caractères."),
        ("description", "x" * 2001, "« Description » ne convient pas : au plus 2000 caractères."),
        ("contact", "x" * 201, "« Contact public (courriel, téléphone) » ne convient pas : au plus 200 caractères."),
        ("site", "https://" + "x" * 300, "« site » ne convient pas : au plus 300 caractères."),
    ],
)
def test_every_text_has_an_upper_bound_named_as_the_member_sees_it(field: str, value: str, shown: str) -> None:
    fields = {"nom": "Les Tilleuls", "code_insee": CLERMONT, "etape": Etape.emergence, field: value}
    with pytest.raises(ValidationError) as caught:
        ProjectDraft.model_validate(fields)
    assert explain(invalid(caught.value, ProjectDraft), "fr") == shown


async def test_a_pending_record_is_shown_only_to_who_may_settle_it(service: ProjectService) -> None:
    project = (await service.propose(draft("Les Tilleuls"), proposer_id=7, guild_id=1, locale="fr")).project
    assert (await service.record(str(project.id), viewer_id=7, moderator=False)).id == project.id
    assert (await service.record(str(project.id), viewer_id=8, moderator=True)).id == project.id
    with pytest.raises(UserError, match="attend encore"):
        await service.record(str(project.id), viewer_id=8, moderator=False)
    with pytest.raises(UserError, match="Je ne trouve pas"):
        await service.record("Les Tilleuls", viewer_id=8, moderator=False)  # by name: only published ones
    await service.publish(project.id)
    assert (await service.record("tilleuls", viewer_id=8, moderator=False)).id == project.id


# ---------------------------------------------------------------------- writing to the référents


async def test_a_message_reaches_the_referents_in_their_language(
    service: ProjectService, notifier: RecordingNotifier
) -> None:
    project = (await service.propose(draft("Les Tilleuls"), proposer_id=7, guild_id=1, locale="en-US")).project
    relayed = await service.relay(
        project.id, sender_id=3, sender_name="Sam", text="Bonjour, une visite ?", nonce="ct-1"
    )
    assert relayed.delivered == 1
    [(user, nonce, message)] = notifier.sent
    assert (user, nonce) == (7, "ct-1")
    assert message.content == "✉️ Sam (<@3>) is writing to you about your project “Les Tilleuls”:"
    assert message.lines == ("Bonjour, une visite ?",)


async def test_when_no_referent_can_be_reached_the_public_contact_is_given(
    service: ProjectService, notifier: RecordingNotifier
) -> None:
    with_contact = draft("Les Tilleuls", site="https://tilleuls.example", contact="tilleuls@example.org")
    project = (await service.propose(with_contact, proposer_id=7, guild_id=1, locale="fr")).project
    notifier.answer = Delivery.CLOSED
    relayed = await service.relay(
        project.id, sender_id=3, sender_name="Sam", text="Bonjour, une visite ?", nonce="ct-2"
    )
    assert (relayed.delivered, relayed.site, relayed.contact) == (0, "https://tilleuls.example", "tilleuls@example.org")
    with pytest.raises(UserError):
        await service.relay(project.id, sender_id=3, sender_name="Sam", text="x" * 1501, nonce="ct-3")


# ---------------------------------------------------------------------- records kept alive


async def two_referents(service: ProjectService, *, recrute: bool = False) -> int:
    """A published record with référents 7 (French) and 8 (English)."""
    verger = draft("Le Verger", recrute=recrute)
    project = (await service.propose(verger, proposer_id=7, guild_id=1, locale="fr")).project
    await service.publish(project.id)
    await service.db.execute(
        "INSERT INTO project_referents (project_id, user_id, locale) VALUES (?, 8, 'en-US')", (project.id,)
    )
    return project.id


async def two_referents_told(
    core: Core, service: ProjectService, notifier: RecordingNotifier, *, recrute: bool = False
) -> int:
    """The same record once its proposer heard the verdict: what is sent next is the test's."""
    project_id = await two_referents(service, recrute=recrute)
    await core.outbox.run_due()
    notifier.sent.clear()
    return project_id


async def questions_queued(
    core: Core, service: ProjectService, notifier: RecordingNotifier, clock: ManualDateClock
) -> int:
    """The same record a year on: its référents' questions are in the ledger, not yet sent."""
    project_id = await two_referents_told(core, service, notifier)
    clock.advance(days=366)
    assert await service.run_due() == 1
    return project_id


async def test_a_record_unconfirmed_for_a_year_asks_each_referent_once(
    core: Core, service: ProjectService, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    project_id = await two_referents_told(core, service, notifier)
    clock.advance(days=365)
    assert await service.run_due() == 0
    clock.advance(days=1)
    assert await service.run_due() == 1
    assert await service.run_due() == 0  # asked once per confirmation
    assert await core.outbox.store.counts(QUESTION) == {"pending": 2}
    await core.outbox.run_due()
    by_user = {user: message for user, _, message in notifier.sent}
    assert by_user[7].content.startswith(
        "La fiche de votre projet « Le Verger » n'a pas été confirmée depuis le 1er mars 2027."
    )
    assert by_user[8].content.startswith("Your project's record “Le Verger” has not been confirmed since 1 March 2027.")
    assert [b.custom_id for b in by_user[8].buttons] == [f"projet:ok:{project_id}", f"projet:maj:{project_id}"]
    assert [b.label for b in by_user[8].buttons] == ["Still true", "Update"]
    # Confirming starts a new year.
    await service.confirm(project_id, 8, still_recruiting=True, locale="en-US")
    clock.advance(days=366)
    assert await service.run_due() == 1


async def test_rounds_at_once_ask_a_stale_record_once(
    core: Core, service: ProjectService, clock: ManualDateClock
) -> None:
    for n in range(12):
        project = (await service.propose(draft(f"Projet {n}"), proposer_id=7, guild_id=1, locale="fr")).project
        await service.publish(project.id)
    clock.advance(days=366)
    await asyncio.gather(*(service.run_due() for _ in range(4)))
    assert await core.outbox.store.counts(QUESTION) == {"pending": 12}


async def test_a_question_is_withdrawn_once_a_referent_answers(
    core: Core, service: ProjectService, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    project_id = await questions_queued(core, service, notifier, clock)
    with pytest.raises(UserError, match="Seuls les référents"):
        await service.confirm(project_id, 99, still_recruiting=True, locale="fr")
    await service.confirm(project_id, 7, still_recruiting=True, locale="fr")
    assert await core.outbox.run_due() == 0
    assert notifier.sent == []
    assert await core.outbox.store.counts(QUESTION) == {"cancelled": 2}


async def test_a_question_of_a_record_confirmed_meanwhile_is_not_sent(
    core: Core, service: ProjectService, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    project_id = await questions_queued(core, service, notifier, clock)
    await service.store.confirm(project_id)  # as another path would, without withdrawing the rows
    await core.outbox.run_due()
    assert notifier.sent == []
    rows = await core.outbox.store.of_subject(f"project:{project_id}")
    assert {(r.status, r.reason) for r in rows if r.kind == QUESTION} == {(Status.cancelled, "confirmée entre-temps")}


async def test_recruiting_is_asked_again_after_six_months(
    core: Core, service: ProjectService, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    project_id = await two_referents_told(core, service, notifier, recrute=True)
    clock.advance(days=183)
    assert await service.run_due() == 1
    await core.outbox.run_due()
    by_user = {user: message for user, _, message in notifier.sent}
    assert "cherche de nouveaux foyers" in by_user[7].content
    assert [b.custom_id for b in by_user[7].buttons][1] == f"projet:recrute-non:{project_id}"
    stopped = await service.confirm(project_id, 7, still_recruiting=False, locale="fr")
    assert not stopped.recrute
    assert stopped.unconfirmed_since(clock()) is None
    assert stopped.unconfirmed_since(clock() + timedelta(days=400)) is not None


async def test_the_round_asks_a_bounded_batch_at_a_time(
    core: Core, service: ProjectService, geo: Geography, clock: ManualDateClock
) -> None:
    communes = [c for c in geo.communes.values() if c.parent is None][: QUESTION_BATCH + 20]
    await service.import_drafts([draft(f"P{n}", c.insee) for n, c in enumerate(communes)])
    clock.advance(days=366)
    assert await service.run_due() == QUESTION_BATCH
    assert await service.run_due() == 20
    assert await service.run_due() == 0
    assert await core.outbox.store.counts(QUESTION) == {}  # imported records have no référent to ask


async def test_the_next_question_is_planned_from_the_oldest_confirmation(
    service: ProjectService, clock: ManualDateClock
) -> None:
    assert await service.next_due() is None
    start = clock()
    await two_referents(service)
    assert await service.next_due() == start + timedelta(days=365)


async def test_migration_0009_moves_unsent_questions_to_the_ledger(tmp_path: Path) -> None:
    """Questions claimed the old way and not yet sent become ledger rows, one per référent; those sent
    stay recorded so that they are not asked again."""
    old = tmp_path / "old"
    old.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql"):
        if path.name < "0009":
            shutil.copy(path, old / path.name)
    async with SqliteDatabase(tmp_path / "m.sqlite3") as db:
        await db.migrate(old)
        await db.execute(
            "INSERT INTO projects (id, nom, nom_cle, code_insee, commune, departement, region, etape, initiative,"
            " forme_juridique, statut, guild_id, created_at, updated_at, confirmed_at)"
            " VALUES (1, 'Le Verger', 'le verger', '63113', 'Clermont-Ferrand', '63', '84', 'emergence',"
            " 'citoyenne', 'autre', 'publie', 42, '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00',"
            " '2026-01-01T00:00:00+00:00')"
        )
        await db.execute("INSERT INTO project_referents (project_id, user_id) VALUES (1, 7), (1, 8)")
        await db.execute(
            "INSERT INTO project_nudges (project_id, kind, since, sent_at) VALUES"
            " (1, 'fiche', '2026-01-01T00:00:00+00:00', NULL),"
            " (1, 'recrute', '2025-06-01T00:00:00+00:00', '2025-12-01T00:00:00+00:00')"
        )
        assert (await db.migrate())[0] == 9  # and whatever came after it
        rows = await db.fetchall("SELECT kind, target, recipient_id, guild_id, locale, subject, payload FROM outbox")
        assert [tuple(r) for r in rows] == [
            (QUESTION, "dm", 7, 42, "fr", "project:1", '{"question":"fiche","since":"2026-01-01T00:00:00+00:00"}'),
            (QUESTION, "dm", 8, 42, "fr", "project:1", '{"question":"fiche","since":"2026-01-01T00:00:00+00:00"}'),
        ]
        columns = {row["name"] for row in await db.fetchall("SELECT name FROM pragma_table_info('project_nudges')")}
        assert columns == {"id", "project_id", "kind", "since"}
        assert len(await db.fetchall("SELECT * FROM project_nudges")) == 2


@pytest.mark.parametrize("engine_name", ["sqlite", "postgresql"])
async def test_records_written_before_0024_are_found_and_ranked_as_new_ones(
    engine_name: str, tmp_path: Path, request: pytest.FixtureRequest, clock: ManualDateClock
) -> None:
    """A record written before the index (its words in the full-text index of the time, its publics in their
    table alone) is found, filtered and ranked as one written now; PostgreSQL's get their stems once, written
    back. Its next change is what is found then."""
    folder = MIGRATIONS_DIR if engine_name == "sqlite" else PG_MIGRATIONS_DIR
    old = tmp_path / "old"
    old.mkdir()
    for path in folder.glob("*.sql"):
        if path.name < "0021":  # where triggers still indexed every new row
            shutil.copy(path, old / path.name)
    db: Database = SqliteDatabase(tmp_path / "m.sqlite3")
    if engine_name == "postgresql":
        cluster: Cluster | None = request.getfixturevalue("postgres_cluster")
        if cluster is None:
            pytest.skip("PostgreSQL indisponible")
        db = PostgresDatabase(await cluster.empty(), pool_size=2)
    async with db:
        await db.migrate(old)
        await db.execute(
            "INSERT INTO projects (nom, nom_cle, code_insee, commune, departement, region, etape, initiative,"
            " forme_juridique, description, statut, created_at, updated_at, confirmed_at)"
            " VALUES (?, 'les etangs', ?, 'Thiers', '63', '84', 'emergence', 'citoyenne', 'autre', ?, 'publie',"
            " '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00', '2026-01-01T00:00:00+00:00')",
            (ETANGS, THIERS, ETANGS_TEXT),
        )
        await db.execute("INSERT INTO project_publics (project_id, public) SELECT id, 'seniors' FROM projects")
        assert 24 in await db.migrate()
        core = build_core(Settings(_env_file=None), db=db, clock=clock)
        await core.projects.import_drafts([draft(ETANGS, RIOM, description=ETANGS_TEXT, publics=["seniors"])])
        service = core.project_service
        for texte in ETANGS_SEARCHES:
            assert sorted(await found(service, texte=texte)) == [ETANGS, ETANGS], texte
            ranked = await scores(core.projects, texte)
            assert set(ranked) == {"Thiers", "Riom"} and ranked["Thiers"] == ranked["Riom"], texte
        assert len(await found(service, texte="etang", public=Public.seniors)) == 2
        assert all(row["stems"] for row in await db.fetchall("SELECT stems FROM projects"))
        [before] = await core.projects.get_many(
            [row["id"] for row in await db.fetchall("SELECT id FROM projects WHERE commune = 'Thiers'")]
        )
        await core.projects.update(
            before.id, draft(ETANGS, THIERS, description="un verger"), editor_id=1, guild_id=None, locale="fr"
        )
        assert [
            p.commune
            for p in await service.summaries(
                [h.project_id for h in await service.search(SearchFilters(texte="écoquartier"))]
            )
        ] == ["Riom"]
        assert await found(service, texte="verger") == [ETANGS]


async def test_verdicts_and_cards_are_kinds_of_the_ledger(core: Core) -> None:
    assert {MODERATION, VERDICT, QUESTION} <= set(core.outbox.kinds)


async def test_two_members_proposing_the_same_project_at_once_get_one_record_and_words(store: ProjectStore) -> None:
    """PostgreSQL runs both proposals at once: both may pass the check before either writes."""
    outcomes = await asyncio.gather(
        *(store.propose(draft("Les Tilleuls"), proposer_id=proposer, guild_id=1, locale="fr") for proposer in (7, 8)),
        return_exceptions=True,
    )
    refused = [o for o in outcomes if isinstance(o, BaseException)]
    assert len(refused) == 1 and isinstance(refused[0], UserError)
    assert "existe déjà" in refused[0].message
    assert len(await store.db.fetchall("SELECT id FROM projects")) == 1


async def test_an_import_larger_than_a_statement_takes_is_written_whole(
    store: ProjectStore, geo: Geography, service: ProjectService
) -> None:
    """1,500 records are 36,000 parameters: more than SQLite takes in one statement."""
    communes = [c.insee for c in list(geo.communes.values())[:300]]
    drafts = [draft(f"Projet {n}", communes[n % len(communes)], publics=["familles"]) for n in range(1500)]
    report = await store.import_drafts(drafts)
    assert (report.created, report.updated, report.unchanged) == (1500, 0, 0)
    again = await store.import_drafts(drafts)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 1500)
    assert len(await service.search(SearchFilters(texte="projet"), limit=2000)) == 1500


async def test_what_another_process_changes_is_found_by_the_next_search(
    db: Database, core: Core, clock: ManualDateClock, geo: Geography
) -> None:
    """Two processes on one database: each searches its own index, kept current from the change log alone, and
    reads it once it knows the log moved (on PostgreSQL, from the other's notification)."""
    log = "project_changes"
    async with another(db) as other_db:
        other = build_core(Settings(_env_file=None), db=other_db, clock=clock)
        assert await found(other.project_service, texte="verger") == []  # read whole, empty
        before = other_db.change_count(log)
        [project_id] = await published(core.projects, draft("Le Verger", description="pommiers"))
        await heard(other_db, log, before)
        assert await found(other.project_service, texte="pommiers") == ["Le Verger"]
        before = other_db.change_count(log)
        await core.projects.update(
            project_id, draft("Le Verger", description="cerisiers"), editor_id=1, guild_id=None, locale="fr"
        )
        await heard(other_db, log, before)
        assert await found(other.project_service, texte="pommiers") == []
        assert await found(other.project_service, texte="cerisiers") == ["Le Verger"]
        [shown] = await other.project_service.summaries([project_id])
        assert shown.excerpt == "cerisiers"
        proposed = await other.projects.propose(draft("La Grange", THIERS), proposer_id=7, guild_id=1, locale="fr")
        assert await found(core.project_service, texte="grange") == []  # waiting for a moderator
        before = db.change_count(log)
        await other.projects.publish(proposed.id)
        await heard(db, log, before)
        assert await found(core.project_service, texte="grange") == ["La Grange"]
        before = other_db.change_count(log)
        await core.projects.refuse(project_id)  # not published any more: out of the other's results
        await heard(other_db, log, before)
        assert await found(other.project_service) == ["La Grange"]
