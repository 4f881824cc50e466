"""The in-memory index of published projects suggests recruiting projects as the pure scoring does: the same
hard limits, the same score, the same order as `ranked` over `score_project`, whatever the household and the
projects; and it follows the change log as the households' index does."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.households.matching import ranked, score_project
from bot.households.models import COMPLETE, HouseholdProfile
from bot.projects.index import ProjectIndex
from bot.projects.models import ProjectStatus, SearchFilters
from bot.text import stemmed
from bot.vocabulary import (
    EspacePartage,
    Etape,
    FormeJuridique,
    Initiative,
    Public,
    mask_of,
)
from tests.unit.test_household_index import DEPARTEMENTS, profiles, sets


@dataclass(frozen=True)
class Recruiting:
    """What `score_project` reads of a project."""

    id: int
    published: bool
    recrute: bool
    departement: str
    commune: str
    lat: float | None
    lon: float | None
    etape: Etape
    forme_juridique: FormeJuridique
    publics: frozenset[Public]
    espaces_partages: frozenset[EspacePartage]


def row_of(project: Recruiting, seq: int, stems: str = "habitat", description: str = "") -> dict[str, Any]:
    """The changed row as `ProjectStore.changes` reads it."""
    return {
        "seq": seq,
        "id": project.id,
        "statut": ProjectStatus.publie if project.published else ProjectStatus.en_attente,
        "nom": f"Projet {project.id}",
        "nom_cle": f"projet {project.id}",
        "commune": "Clermont-Ferrand",
        "logements": 12,
        "description": description,
        "confirmed_at": "2026-01-01T00:00:00+00:00",
        "lat": project.lat,
        "lon": project.lon,
        "departement": project.departement,
        "etape": project.etape.value,
        "initiative": Initiative.citoyenne.value,
        "forme_juridique": project.forme_juridique.value,
        "recrute": int(project.recrute),
        "public_mask": mask_of(project.publics, Public),
        "space_mask": mask_of(project.espaces_partages, EspacePartage),
        "stems": stems,
    }


@st.composite
def projects(draw: st.DrawFn, project_id: int) -> Recruiting:
    placed = draw(st.integers(0, 5)) > 0
    # Often at the very same place, as projects of one commune are: then only the id parts them.
    place = st.sampled_from([(45.7797, 3.0863), (45.8566, 3.5475)]) | st.tuples(
        st.floats(44.5, 46.5), st.floats(2.0, 4.5)
    )
    lat, lon = draw(place) if placed else (None, None)
    return Recruiting(
        id=project_id,
        published=draw(st.integers(0, 9)) > 0,
        recrute=draw(st.integers(0, 4)) > 0,
        departement=draw(st.sampled_from(DEPARTEMENTS)),
        commune="Ici",
        lat=lat,
        lon=lon,
        etape=draw(st.sampled_from(list(Etape))),
        forme_juridique=draw(st.sampled_from(list(FormeJuridique))),
        publics=draw(sets(Public)),
        espaces_partages=draw(sets(EspacePartage)),
    )


@st.composite
def households(draw: st.DrawFn) -> HouseholdProfile:
    me = draw(profiles(1))
    return me.model_copy(
        update={
            "step": COMPLETE,
            "paused": False,
            "children": draw(st.integers(0, 2)),
            "seniors": draw(st.integers(0, 2)),
            "accessibility": draw(st.booleans()),
        }
    )


@settings(max_examples=300, deadline=None)
@given(households(), st.lists(st.integers(0, 1), max_size=40), st.integers(1, 8), st.data())
def test_the_index_suggests_every_project_as_the_pure_function_does(
    me: HouseholdProfile, count: list[int], limit: int, data: st.DataObject
) -> None:
    records = [data.draw(projects(project_id)) for project_id in range(1, len(count) + 1)]
    index = ProjectIndex()
    # In two changes, the second replacing some projects: a project is what its last change says.
    index.apply([row_of(record, seq) for seq, record in enumerate(records, start=1)], 0.0, {})
    if data.draw(st.booleans()):
        index._compact()  # as after many changes: these rebuilt, the next ones after them
    changed = data.draw(st.lists(st.sampled_from(records), unique_by=lambda r: r.id)) if records else []
    later = [data.draw(projects(record.id)) for record in changed]
    index.apply([row_of(record, len(records) + n) for n, record in enumerate(later, start=1)], 0.0, {})
    current = {record.id: record for record in [*records, *later]}
    settled = set(data.draw(st.lists(st.sampled_from(sorted(current) or [0]), max_size=3)))
    candidates = [record for record in current.values() if record.id not in settled]
    expected = ranked((score_project(me, record) for record in candidates), limit)
    assert index.recruiting(me, settled, limit) == [s.target_id for s in expected]


def test_a_project_changed_refused_or_deleted_is_found_as_it_now_is() -> None:
    index = ProjectIndex()
    base = Recruiting(
        1, True, True, "63", "Ici", 45.78, 3.09, Etape.emergence, FormeJuridique.autre, frozenset(), frozenset()
    )
    index.apply(
        [
            row_of(base, 1, stemmed("vergers de pommiers")),
            row_of(Recruiting(**{**base.__dict__, "id": 2}), 2, "jardin"),
        ],
        0.0,
        {},
    )
    assert [hit.project_id for hit in index.search(SearchFilters(texte="vergers"), 10)] == [1]
    index.apply([row_of(base, 3, stemmed("cerisiers"), "Des cerisiers\n\n  en  fleurs " + "et " * 100)], 0.0, {})
    assert index.search(SearchFilters(texte="vergers"), 10) == []
    assert [hit.project_id for hit in index.search(SearchFilters(texte="cerisiers"), 10)] == [1]
    # A page of results shows the project as it now is: its description's start, on one line.
    [shown] = index.summaries([3, 1])
    assert shown.id == 1 and shown.excerpt.startswith("Des cerisiers en fleurs et et") and len(shown.excerpt) <= 160
    assert (shown.nom, shown.commune, shown.departement, shown.lat, shown.lon) == (
        "Projet 1", "Clermont-Ferrand", "63", 45.78, 3.09
    )  # fmt: skip
    assert (shown.etape, shown.forme_juridique, shown.recrute, shown.logements) == (
        Etape.emergence, FormeJuridique.autre, True, 12
    )  # fmt: skip
    assert shown.confirmed_at == datetime(2026, 1, 1, tzinfo=UTC) and shown.publics == frozenset()
    index.apply([{**row_of(base, 4), "statut": ProjectStatus.refuse}], 0.0, {})
    assert [hit.project_id for hit in index.search(SearchFilters(), 10)] == [2]
    deleted = dict.fromkeys(row_of(base, 5), None) | {"seq": 6, "id": 2}  # as the change log's LEFT JOIN reads it
    index.apply([deleted], 0.0, {})
    assert index.search(SearchFilters(), 10) == [] and len(index) == 0 and index.summaries([1, 2]) == []


def test_a_record_without_stems_is_indexed_with_those_worked_out_for_it() -> None:
    index = ProjectIndex()
    base = Recruiting(
        7, True, True, "63", "Ici", None, None, Etape.emergence, FormeJuridique.autre, frozenset(), frozenset()
    )
    index.apply([{**row_of(base, 1), "stems": None, "logements": None}], 0.0, {7: stemmed("grange en paille")})
    assert [hit.project_id for hit in index.search(SearchFilters(texte="paille"), 10)] == [7]
    [shown] = index.summaries([7])  # no place, no number of homes
    assert (shown.lat, shown.lon, shown.logements) == (None, None, None)
