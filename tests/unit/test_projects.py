from __future__ import annotations

from datetime import timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.db import Database
from bot.errors import UserError
from bot.geo import Geography, geography
from bot.projects.csvfile import CSV_HEADER, ImportError_, parse_csv
from bot.projects.models import ProjectDraft, SearchFilters
from bot.projects.store import ProjectStore
from bot.text import fts_query
from bot.vocabulary import EspacePartage, Etape, FormeJuridique, Initiative, Public
from tests.support import ManualDateClock

CLERMONT, THIERS, RIOM, LYON, MONTREUIL = "63113", "63430", "63300", "69123", "93048"


@pytest.fixture
def geo() -> Geography:
    return geography()


@pytest.fixture
def clock(db: Database) -> ManualDateClock:
    manual = ManualDateClock()
    db.clock = manual
    return manual


@pytest.fixture
def store(db: Database, geo: Geography, clock: ManualDateClock) -> ProjectStore:
    return ProjectStore(db, geo)


def draft(nom: str, insee: str = CLERMONT, **fields: object) -> ProjectDraft:
    return ProjectDraft.model_validate({"nom": nom, "code_insee": insee, "etape": Etape.emergence, **fields})


async def published(store: ProjectStore, *drafts: ProjectDraft) -> list[int]:
    report = await store.import_drafts(drafts)
    assert report.created == len(drafts)
    rows = await store.db.fetchall("SELECT id FROM projects ORDER BY id")
    return [row["id"] for row in rows]


async def found(store: ProjectStore, **filters: object) -> list[str]:
    hits = await store.search(SearchFilters(**filters))  # type: ignore[arg-type]
    return [p.nom for p in await store.get_many([hit.project_id for hit in hits])]


# ---------------------------------------------------------------------- proposing and moderating


async def test_a_proposed_project_waits_and_is_not_searchable(store: ProjectStore) -> None:
    project = await store.propose(draft("Les Tilleuls"), proposer_id=7, guild_id=1)
    assert project.statut == "en_attente"
    assert project.referents == (7,)
    assert project.commune == "Clermont-Ferrand"
    assert await found(store, texte="tilleuls") == []
    await store.publish(project.id)
    assert await found(store, texte="tilleuls") == ["Les Tilleuls"]


async def test_refused_project_stays_out_of_search(store: ProjectStore) -> None:
    project = await store.propose(draft("Les Tilleuls"), proposer_id=7, guild_id=1)
    assert (await store.refuse(project.id)).statut == "refuse"
    assert await found(store) == []


async def test_same_name_in_same_commune_is_refused(store: ProjectStore) -> None:
    await store.propose(draft("Les Tilleuls"), proposer_id=7, guild_id=1)
    with pytest.raises(UserError):
        await store.propose(draft("les tilleuls"), proposer_id=8, guild_id=1)
    await store.propose(draft("Les Tilleuls", THIERS), proposer_id=8, guild_id=1)


async def test_name_commune_or_stage_change_waits_for_a_moderator(store: ProjectStore) -> None:
    project = await store.propose(draft("Les Tilleuls", description="ancien"), proposer_id=7, guild_id=1)
    await store.publish(project.id)
    changed = draft("Les Grands Tilleuls", THIERS, etape=Etape.realisation, description="nouveau")
    updated = await store.update(project.id, changed, editor_id=7, guild_id=1)
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
    project = await store.propose(draft("Les Tilleuls"), proposer_id=7, guild_id=1)
    await store.publish(project.id)
    await store.update(project.id, draft("Autre nom"), editor_id=7, guild_id=1)
    kept = await store.refuse(project.id)
    assert kept.published
    assert kept.nom == "Les Tilleuls"
    assert kept.pending is None


# ---------------------------------------------------------------------- search


async def test_words_are_stemmed_and_accent_insensitive(store: ProjectStore) -> None:
    await published(
        store,
        draft("La Coopérative du Lac", description="Une coopérative d'habitants en bois"),
        draft("Le Pré", description="Des familles et un potager"),
    )
    assert await found(store, texte="coopératives") == ["La Coopérative du Lac"]
    assert await found(store, texte="COOPERATIVE habitant") == ["La Coopérative du Lac"]
    assert await found(store, texte="famille") == ["Le Pré"]
    assert await found(store, texte="clermont") == ["La Coopérative du Lac", "Le Pré"]  # the commune counts
    assert await found(store, texte="coopérative famille") == []  # every word is required


async def test_relevance_comes_first_then_distance(store: ProjectStore) -> None:
    await published(
        store,
        draft("Loin", LYON, description="jardin"),
        draft("Près", RIOM, description="jardin"),
        draft("Très pertinent", LYON, description="jardin jardin jardin partagé jardin"),
    )
    clermont = geography().commune(CLERMONT)
    names = await found(store, texte="jardin", pres_de=clermont, rayon_km=200.0)
    assert names[0] == "Très pertinent"
    assert names[1:] == ["Près", "Loin"]


async def test_radius_keeps_what_is_near_sorted_by_distance(store: ProjectStore) -> None:
    await published(store, draft("A Riom", RIOM), draft("A Thiers", THIERS), draft("A Lyon", LYON))
    clermont = geography().commune(CLERMONT)
    hits = await store.search(SearchFilters(pres_de=clermont, rayon_km=50.0))
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
async def test_each_filter(store: ProjectStore, filters: dict[str, object], expected: list[str]) -> None:
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
    assert sorted(await found(store, **filters)) == expected


async def test_index_follows_updates_and_deletes(store: ProjectStore) -> None:
    [project_id] = await published(store, draft("Le Verger", description="pommiers"))
    current = await store.get(project_id)
    assert current is not None
    await store.update(project_id, draft("Le Verger", description="cerisiers"), editor_id=1, guild_id=None)
    assert await found(store, texte="pommiers") == []
    assert await found(store, texte="cerisiers") == ["Le Verger"]
    await store.db.execute("DELETE FROM projects WHERE id = ?", (project_id,))
    assert await found(store, texte="cerisiers") == []
    assert await store.db.fetchall("SELECT * FROM project_fts") == []


WORDS = st.text(alphabet="abcdefghijklmnopqrstuvwxyzéèêàâçôûùïœÉÀÇ", min_size=3, max_size=12)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    name=st.text(min_size=2, max_size=100).filter(lambda s: len(s.strip()) >= 2),
    words=st.lists(WORDS, min_size=1, max_size=8),
)
async def test_any_description_is_found_by_its_own_words(store: ProjectStore, name: str, words: list[str]) -> None:
    await store.db.execute("DELETE FROM projects")
    description = " ".join(words)
    [project_id] = await published(store, draft(name, description=description))
    for word in words:
        if fts_query(word) is None:
            continue  # a stop word alone searches nothing
        hits = await store.search(SearchFilters(texte=word))
        assert project_id in [hit.project_id for hit in hits], word


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(text=st.text(max_size=200))
async def test_any_typed_text_searches_without_error(store: ProjectStore, text: str) -> None:
    await store.search(SearchFilters(texte=text))


# ---------------------------------------------------------------------- CSV import and export

GOOD_CSV = (
    ",".join(CSV_HEADER)
    + "\n"
    + "Les Hirondelles,Clermont-Ferrand,63113,realisation,citoyenne,Coopérative d'habitants,14,oui,"
    + 'familles;seniors,jardin;salle_commune,"Bois, paille et jardin partagé",https://exemple.org,a@exemple.org\n'
    + "Le Hameau,Thiers,63430,Émergence,citoyenne,copropriété,,non,,,Un hameau,,\n"
)


async def test_import_then_export_round_trips(store: ProjectStore, geo: Geography) -> None:
    report = await store.import_drafts(parse_csv(GOOD_CSV, geo))
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    exported = await store.export()
    assert exported.splitlines()[0] == ",".join(CSV_HEADER)
    again = parse_csv(exported, geo)
    assert {d.nom for d in again} == {"Les Hirondelles", "Le Hameau"}
    hirondelles = next(d for d in again if d.nom == "Les Hirondelles")
    assert hirondelles.forme_juridique == FormeJuridique.cooperative_habitants
    assert hirondelles.espaces_partages == {EspacePartage.jardin, EspacePartage.salle_commune}
    assert hirondelles.recrute


async def test_importing_twice_changes_nothing(store: ProjectStore, geo: Geography, clock: ManualDateClock) -> None:
    await store.import_drafts(parse_csv(GOOD_CSV, geo))
    before = await store.db.fetchall("SELECT * FROM projects ORDER BY id")
    clock.advance(days=3)
    report = await store.import_drafts(parse_csv(GOOD_CSV, geo))
    assert (report.created, report.updated, report.unchanged) == (0, 0, 2)
    after = await store.db.fetchall("SELECT * FROM projects ORDER BY id")
    assert [tuple(r) for r in after] == [tuple(r) for r in before]


async def test_import_updates_a_known_project(store: ProjectStore, geo: Geography) -> None:
    await store.import_drafts(parse_csv(GOOD_CSV, geo))
    changed = GOOD_CSV.replace("Un hameau", "Un hameau rénové")
    report = await store.import_drafts(parse_csv(changed, geo))
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert await found(store, texte="rénové") == ["Le Hameau"]


def test_a_bad_row_stops_the_import_with_its_line_number(geo: Geography) -> None:
    bad = GOOD_CSV + "Sans commune,Nulle part,99999,emergence,citoyenne,sci,,non,,,x,,\n"
    bad += "Étape inconnue,Thiers,63430,bientôt,citoyenne,sci,,non,,,x,,\n"
    bad += 'Multi,Thiers,63430,emergence,citoyenne,sci,,peut-être,,,"sur\ndeux lignes",,\n'
    bad += "Le Hameau,Thiers,63430,emergence,citoyenne,sci,,non,,,doublon,,\n"
    with pytest.raises(ImportError_) as caught:
        parse_csv(bad, geo)
    problems = dict(caught.value.problems)
    assert set(problems) == {4, 5, 6, 8}
    assert "99999" in problems[4]
    assert "bientôt" in problems[5]
    assert "oui" in problems[6]
    assert "ligne 3" in problems[8]


async def test_a_bad_file_writes_nothing(store: ProjectStore, geo: Geography) -> None:
    with pytest.raises(ImportError_):
        await store.import_drafts(parse_csv(GOOD_CSV + "x,y,00000,,,,,,,,,,\n", geo))
    assert await store.db.fetchall("SELECT * FROM projects") == []


def test_missing_columns_are_named(geo: Geography) -> None:
    with pytest.raises(ImportError_) as caught:
        parse_csv("nom,commune\nA,B\n", geo)
    assert "code_insee" in caught.value.problems[0][1]


# ---------------------------------------------------------------------- keeping records alive


async def test_a_record_unconfirmed_for_a_year_is_nudged_once(store: ProjectStore, clock: ManualDateClock) -> None:
    [project_id] = await published(store, draft("Le Verger"))
    assert await store.due_nudges(clock()) == []
    clock.advance(days=366)
    [nudge] = await store.due_nudges(clock())
    assert (nudge.project_id, nudge.kind) == (project_id, "fiche")
    assert await store.claim_nudge(nudge.id, clock())
    assert not await store.claim_nudge(nudge.id, clock())  # another worker cannot take it
    await store.mark_nudge_sent(nudge.id, clock())
    assert await store.due_nudges(clock()) == []
    # Confirming starts a new year.
    await store.confirm(project_id)
    clock.advance(days=366)
    assert len(await store.due_nudges(clock())) == 1


async def test_a_claim_left_by_a_crash_is_retaken_after_the_lease(store: ProjectStore, clock: ManualDateClock) -> None:
    await published(store, draft("Le Verger"))
    clock.advance(days=366)
    [nudge] = await store.due_nudges(clock())
    assert await store.claim_nudge(nudge.id, clock())
    clock.advance(minutes=11)
    assert await store.claim_nudge(nudge.id, clock())


async def test_recruiting_is_asked_again_after_six_months(store: ProjectStore, clock: ManualDateClock) -> None:
    [project_id] = await published(store, draft("Le Verger", recrute=True))
    clock.advance(days=183)
    [nudge] = await store.due_nudges(clock())
    assert nudge.kind == "recrute"
    await store.mark_nudge_sent(nudge.id, clock())
    stopped = await store.confirm(project_id, recrute=False)
    assert not stopped.recrute
    assert stopped.unconfirmed_since(clock()) is None
    assert stopped.unconfirmed_since(clock() + timedelta(days=400)) is not None
