"""Who a household is told to meet: the pure scoring of `bot/households/matching.py`.

Examples first (what a member sees: who is suggested, why, in what order, and who never is), then
properties over many generated profiles (symmetry, hard limits, monotonicity, bounds).
"""

from __future__ import annotations

import math
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import Text
from bot.geo import distance_km, geography
from bot.households.matching import (
    STAGE_OF,
    TENURES,
    WEIGHTS,
    Reason,
    Suggestion,
    ranked,
    score_households,
    score_project,
    suggest,
)
from bot.households.models import COMPLETE, HouseholdProfile
from bot.projects.models import Project
from bot.vocabulary import (
    Apport,
    EspacePartage,
    Etape,
    EtapeRejointe,
    FormeJuridique,
    Horizon,
    Public,
    Statut,
    Valeur,
)

T = TypeVar("T")
WHEN = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)


@dataclass(frozen=True)
class Place:
    insee: str
    nom: str
    departement: str
    lat: float
    lon: float

    @property
    def label(self) -> str:
        return f"{self.nom} ({self.departement})"


# Values as shipped in data/geo (checked by test_places_are_the_shipped_communes).
CLERMONT = Place("63113", "Clermont-Ferrand", "63", 45.77949, 3.08612)
THIERS = Place("63430", "Thiers", "63", 45.85561, 3.54871)
RIOM = Place("63300", "Riom", "63", 45.8939, 3.11519)
ISSOIRE = Place("63178", "Issoire", "63", 45.54507, 3.25118)
VICHY = Place("03310", "Vichy", "03", 46.12484, 3.42843)
LYON = Place("69123", "Lyon", "69", 45.76769, 4.83537)
CENTRES = (CLERMONT, THIERS, RIOM, ISSOIRE, VICHY, LYON)
POOL = ("03", "15", "42", "43", "63", "69")


# ---------------------------------------------------------------------- factories


def household(
    *, user_id: int = 1, place: Place | None = CLERMONT, radius_km: int | None = 30, **overrides: Any
) -> HouseholdProfile:
    """A complete, visible, unpaused profile; `place=None` for one described by départements only."""
    fields: dict[str, Any] = {
        "user_id": user_id,
        "guild_id": None,
        "step": COMPLETE,
        "code_insee": place.insee if place else None,
        "commune": place.label if place else None,
        "lat": place.lat if place else None,
        "lon": place.lon if place else None,
        "radius_km": radius_km if place else None,
        "departements": frozenset({place.departement if place else "63"}),
        "milieux": frozenset(),
        "horizon": Horizon.un_trois_ans,
        "etapes": frozenset({EtapeRejointe.groupe_en_formation}),
        "adults": 2,
        "children": 0,
        "seniors": 0,
        "accessibility": False,
        "statuts": frozenset({Statut.cooperative}),
        "budget_min": None,
        "budget_max": None,
        "valeurs": frozenset({Valeur.ecologie}),
        "apports": frozenset(),
        "intro": "",
        "visible_households": True,
        "visible_projects": True,
        "paused": False,
        "digest": True,
        "locale": "fr",
        "created_at": WHEN,
        "updated_at": WHEN,
    }
    return HouseholdProfile.model_validate({**fields, **overrides})


def project(*, id: int = 10, place: Place = THIERS, **overrides: Any) -> Project:
    """A published project that recruits, a group forming as a housing cooperative."""
    fields: dict[str, Any] = {
        "id": id,
        "nom": "Les Jardins du Moutier",
        "code_insee": place.insee,
        "commune": place.nom,
        "departement": place.departement,
        "region": "84",
        "lat": place.lat,
        "lon": place.lon,
        "etape": Etape.emergence,
        "forme_juridique": FormeJuridique.cooperative_habitants,
        "logements": 12,
        "recrute": True,
        "publics": frozenset(),
        "espaces_partages": frozenset(),
        "description": "",
        "site": None,
        "contact": None,
        "statut": "publie",
        "guild_id": None,
        "proposed_by": None,
        "created_at": WHEN,
        "updated_at": WHEN,
        "confirmed_at": WHEN,
        "recrute_confirmed_at": WHEN,
    }
    return Project.model_validate({**fields, **overrides})


def km(a: Place, b: Place) -> float:
    return distance_km(a.lat, a.lon, b.lat, b.lon)


def test_places_are_the_shipped_communes() -> None:
    geo = geography()
    for place in CENTRES:
        commune = geo.commune(place.insee)
        assert commune is not None
        assert (commune.nom, commune.departement, commune.lat, commune.lon, commune.label) == (
            place.nom,
            place.departement,
            place.lat,
            place.lon,
            place.label,
        )


def test_factories_build_what_the_scoring_expects() -> None:
    profile = household()
    assert profile.complete and profile.has_centre and not profile.paused
    assert household(place=None).has_centre is False
    assert project().published and project().recrute


# ---------------------------------------------------------------------- households: examples


def test_a_nearby_household_with_shared_values_is_suggested_with_its_reasons_in_order() -> None:
    me = household(
        valeurs=frozenset({Valeur.ecologie, Valeur.entraide, Valeur.sobriete}),
        apports=frozenset({Apport.menuiserie}),
        statuts=frozenset({Statut.cooperative, Statut.achat}),
        etapes=frozenset({EtapeRejointe.groupe_en_formation, EtapeRejointe.projet_en_cours}),
    )
    them = household(
        user_id=2,
        place=THIERS,
        valeurs=frozenset({Valeur.ecologie, Valeur.entraide, Valeur.culture}),
        apports=frozenset({Apport.jardinage}),
        statuts=frozenset({Statut.cooperative, Statut.brs}),
    )

    found = score_households(me, them)

    assert found is not None
    distance = km(CLERMONT, THIERS)
    assert (found.kind, found.target_id) == ("foyer", 2)
    assert found.distance_km == pytest.approx(distance)
    assert found.reasons == (
        Reason("{distance}, à {commune}", {"distance": Text("à {km} km", km=37), "commune": "Thiers (63)"}),
        Reason("même horizon : {horizon}", {"horizon": Horizon.un_trois_ans}),
        Reason("en commun : {valeurs}", {"valeurs": [Valeur.ecologie, Valeur.entraide]}),
        Reason("vous apportez {apports} qui leur manque", {"apports": [Apport.menuiserie]}),
        Reason("ils apportent {apports}", {"apports": [Apport.jardinage]}),
        Reason("statut : {statuts}", {"statuts": [Statut.cooperative]}),
    )
    # The documented weights: distance over both areas (30 + 30 km), same horizon, two shared values
    # of four, two complementary skills of three and a shared stage.
    expected = (
        WEIGHTS["distance"] * (1 - distance / 60)
        + WEIGHTS["horizon"]
        + WEIGHTS["values"] * 2 / 4
        + WEIGHTS["fit"] * (0.6 * 2 / 3 + 0.4)
    )
    assert found.score == round(expected, 1)


def test_reasons_only_say_what_is_true() -> None:
    me = household(horizon=Horizon.maintenant, valeurs=frozenset({Valeur.culture}))
    them = household(user_id=2, place=RIOM, horizon=Horizon.moins_1_an, valeurs=frozenset({Valeur.ecologie}))

    found = score_households(me, them)

    assert found is not None
    assert [r.text for r in found.reasons] == ["{distance}, à {commune}", "statut : {statuts}"]
    assert found.reasons[0].params == {"distance": Text("à {km} km", km=13), "commune": "Riom (63)"}


def test_a_household_without_a_commune_gets_no_distance_reason_and_a_middling_distance_score() -> None:
    me = household()
    them = household(user_id=2, place=None, departements=frozenset({"63", "03"}))

    found = score_households(me, them)

    assert found is not None
    assert found.distance_km is None
    assert "{distance}, à {commune}" not in [r.text for r in found.reasons]
    same_place = score_households(me, household(user_id=3))
    assert same_place is not None
    assert same_place.score - found.score == pytest.approx(WEIGHTS["distance"] / 2, abs=0.1)


def test_the_same_horizon_counts_more_than_one_step_apart_which_counts_more_than_further() -> None:
    me = household(horizon=Horizon.moins_1_an)
    scores = []
    for horizon in (Horizon.moins_1_an, Horizon.un_trois_ans, Horizon.plus_tard):
        found = score_households(me, household(user_id=2, place=RIOM, horizon=horizon))
        assert found is not None
        scores.append(found.score)
    assert scores[0] - scores[1] == pytest.approx(WEIGHTS["horizon"] / 2, abs=0.1)
    assert scores[1] - scores[2] == pytest.approx(WEIGHTS["horizon"] / 2, abs=0.1)


def test_overlapping_areas_are_enough_even_when_neither_centre_is_inside_the_other_area() -> None:
    # Clermont–Thiers is 36.8 km: two 20 km circles overlap, neither holds the other's commune.
    me = household(radius_km=20)
    them = household(user_id=2, place=THIERS, radius_km=20)
    assert score_households(me, them) is not None
    assert score_households(them, me) is not None


def _pair_breaking(limit: str) -> tuple[HouseholdProfile, HouseholdProfile]:
    """Two households that would match, but for one hard limit."""
    me: dict[str, Any] = {}
    them: dict[str, Any] = {"user_id": 2, "place": THIERS}
    if limit == "areas too far apart":
        me["radius_km"], them["radius_km"] = 15, 15  # 30 km of reach for 36.8 km
    elif limit == "no shared département":
        them.update(place=None, departements=frozenset({"03"}))
    elif limit == "no common tenure":
        them["statuts"] = frozenset({Statut.achat, Statut.brs})
    elif limit == "they paused":
        them["paused"] = True
    elif limit == "I paused":
        me["paused"] = True
    elif limit == "their profile is incomplete":
        them["step"] = COMPLETE - 1
    elif limit == "my profile is incomplete":
        me["step"] = COMPLETE - 1
    elif limit == "not visible to households":
        them["visible_households"] = False
    else:  # pragma: no cover
        raise AssertionError(limit)
    return household(**me), household(**them)


HOUSEHOLD_LIMITS = [
    "areas too far apart",
    "no shared département",
    "no common tenure",
    "they paused",
    "I paused",
    "their profile is incomplete",
    "my profile is incomplete",
    "not visible to households",
]


def test_the_pair_used_for_hard_limits_matches_without_them() -> None:
    assert score_households(household(), household(user_id=2, place=THIERS)) is not None


@pytest.mark.parametrize("limit", HOUSEHOLD_LIMITS)
def test_each_hard_limit_alone_keeps_a_household_out(limit: str) -> None:
    me, them = _pair_breaking(limit)
    assert score_households(me, them) is None


def test_suggest_lists_only_eligible_households_best_first() -> None:
    me = household(radius_km=50, valeurs=frozenset({Valeur.ecologie, Valeur.culture}))
    close_and_alike = household(user_id=2, place=RIOM, valeurs=frozenset({Valeur.ecologie, Valeur.culture}))
    farther_and_less_alike = household(user_id=3, place=THIERS)
    other_tenure = household(user_id=4, place=RIOM, statuts=frozenset({Statut.achat}))
    paused = household(user_id=5, place=RIOM, paused=True)
    hidden = household(user_id=6, place=RIOM, visible_households=False)
    candidates = [hidden, farther_and_less_alike, other_tenure, paused, close_and_alike]

    households, projects = suggest(me, candidates, [])

    assert [s.target_id for s in households] == [2, 3]
    assert projects == []
    assert suggest(me, candidates, [], limit=1)[0] == households[:1]


# ---------------------------------------------------------------------- projects: examples


def test_a_recruiting_project_nearby_is_suggested_with_its_reasons_in_order() -> None:
    family = household(
        radius_km=50,
        children=2,
        valeurs=frozenset({Valeur.ecologie, Valeur.espaces_partages, Valeur.culture}),
        statuts=frozenset({Statut.cooperative, Statut.achat}),
    )
    place = project(
        publics=frozenset({Public.familles, Public.jeunes}),
        espaces_partages=frozenset({EspacePartage.jardin, EspacePartage.salle_commune, EspacePartage.buanderie}),
        forme_juridique=FormeJuridique.sas,
    )

    found = score_project(family, place)

    assert found is not None
    assert (found.kind, found.target_id) == ("projet", 10)
    assert found.reasons == (
        Reason("{distance}, à {commune}", {"distance": Text("à {km} km", km=37), "commune": "Thiers"}),
        Reason("cherche de nouveaux foyers", {}),
        Reason("en commun : {valeurs}", {"valeurs": [Valeur.ecologie, Valeur.espaces_partages]}),
        Reason("accueille : {publics}", {"publics": [Public.familles]}),
        Reason("statut possible : {statuts}", {"statuts": [Statut.achat, Statut.cooperative]}),
    )


def test_a_family_is_told_a_project_for_families_welcomes_it_and_it_ranks_higher() -> None:
    family = household(radius_km=50, children=1)
    for_families = project(id=11, publics=frozenset({Public.familles}))
    for_seniors = project(id=12, publics=frozenset({Public.seniors}))

    welcoming = score_project(family, for_families)
    other = score_project(family, for_seniors)

    assert welcoming is not None and other is not None
    assert Reason("accueille : {publics}", {"publics": [Public.familles]}) in welcoming.reasons
    assert "accueille : {publics}" not in [r.text for r in other.reasons]
    assert welcoming.score > other.score
    assert ranked([other, welcoming], 5) == [welcoming, other]


def test_a_household_without_children_is_not_told_it_is_welcome_as_a_family() -> None:
    found = score_project(household(radius_km=50, children=0), project(publics=frozenset({Public.familles})))
    assert found is not None
    assert "accueille : {publics}" not in [r.text for r in found.reasons]


def test_a_project_open_to_everyone_still_fits_any_household() -> None:
    couple = household(radius_km=50)
    everyone = score_project(couple, project(id=11, publics=frozenset({Public.tous})))
    unspecified = score_project(couple, project(id=12, publics=frozenset()))

    assert everyone is not None and unspecified is not None
    assert "accueille : {publics}" not in [r.text for r in everyone.reasons]
    assert everyone.score - unspecified.score == pytest.approx(WEIGHTS["fit"] / 2, abs=0.1)


def test_a_household_described_by_departements_sees_projects_there_without_a_distance() -> None:
    found = score_project(household(place=None, departements=frozenset({"63"})), project())
    assert found is not None
    assert found.distance_km is None
    assert found.reasons[0] == Reason("cherche de nouveaux foyers", {})


def _project_case_breaking(limit: str) -> tuple[HouseholdProfile, Project]:
    me: dict[str, Any] = {"radius_km": 50}
    it: dict[str, Any] = {}
    if limit == "does not recruit":
        it["recrute"] = False
    elif limit == "awaiting moderation":
        it["statut"] = "en_attente"
    elif limit == "refused":
        it["statut"] = "refuse"
    elif limit == "no tenure the household accepts":
        it["forme_juridique"] = FormeJuridique.brs
    elif limit == "a stage the household would not join":
        it["etape"] = Etape.vivre_ensemble
    elif limit == "outside the household's circle":
        me["radius_km"] = 30  # Thiers is 36.8 km away
    elif limit == "no coordinates, household has a circle":
        it.update(lat=None, lon=None)
    elif limit == "another département":
        me["radius_km"] = 100
        it["place"] = VICHY
    elif limit == "household paused":
        me["paused"] = True
    elif limit == "household profile incomplete":
        me["step"] = COMPLETE - 1
    else:  # pragma: no cover
        raise AssertionError(limit)
    return household(**me), project(**it)


PROJECT_LIMITS = [
    "does not recruit",
    "awaiting moderation",
    "refused",
    "no tenure the household accepts",
    "a stage the household would not join",
    "outside the household's circle",
    "no coordinates, household has a circle",
    "another département",
    "household paused",
    "household profile incomplete",
]


def test_the_case_used_for_project_limits_matches_without_them() -> None:
    assert score_project(household(radius_km=50), project()) is not None
    assert score_project(household(radius_km=100), project(place=VICHY)) is None  # 03 is not in its areas
    assert score_project(household(radius_km=100, departements=frozenset({"63", "03"})), project(place=VICHY))


@pytest.mark.parametrize("limit", PROJECT_LIMITS)
def test_each_hard_limit_alone_keeps_a_project_out(limit: str) -> None:
    me, it = _project_case_breaking(limit)
    assert score_project(me, it) is None


@pytest.mark.parametrize("forme", list(FormeJuridique))
@pytest.mark.parametrize("statuts", [{Statut.cooperative}, {Statut.locatif_social}, {Statut.achat, Statut.brs}])
def test_a_project_fits_only_if_its_legal_form_offers_a_tenure_the_household_accepts(
    forme: FormeJuridique, statuts: set[Statut]
) -> None:
    found = score_project(household(radius_km=50, statuts=frozenset(statuts)), project(forme_juridique=forme))
    possible = TENURES[forme] & statuts
    if not possible:
        assert found is None
    else:
        assert found is not None
        assert found.reasons[-1] == Reason("statut possible : {statuts}", {"statuts": sorted(possible, key=str)})


@pytest.mark.parametrize("etape", list(Etape))
@pytest.mark.parametrize("joins", list(EtapeRejointe))
def test_a_project_fits_only_at_a_stage_the_household_would_join(etape: Etape, joins: EtapeRejointe) -> None:
    found = score_project(household(radius_km=50, etapes=frozenset({joins})), project(etape=etape))
    assert (found is not None) == (STAGE_OF[etape] == joins)


# ---------------------------------------------------------------------- ranking


def _suggestion(target_id: int, score: float, distance: float | None) -> Suggestion:
    return Suggestion("foyer", target_id, score, distance, ())


def test_ranked_breaks_ties_by_distance_then_id_unknown_distance_last() -> None:
    best = _suggestion(9, 80.0, 40.0)
    near = _suggestion(7, 60.0, 5.0)
    far_low_id = _suggestion(3, 60.0, 20.0)
    far_high_id = _suggestion(4, 60.0, 20.0)
    unknown = _suggestion(1, 60.0, None)
    worst = _suggestion(2, 10.0, 0.0)
    expected = [best, near, far_low_id, far_high_id, unknown, worst]

    shuffler = random.Random(20270301)
    for _ in range(30):
        given_order: list[Suggestion | None] = [*expected, None, None]
        shuffler.shuffle(given_order)
        assert ranked(given_order, 10) == expected
        assert ranked(given_order, 3) == expected[:3]


@settings(max_examples=20, deadline=None)
@given(order=st.permutations(range(6)))
def test_suggest_gives_the_same_order_whatever_order_the_candidates_come_in(order: list[int]) -> None:
    me = household(radius_km=60)
    # Twins in pairs: same score, same place; and a pair that only distance separates.
    others = [
        household(user_id=21, place=RIOM),
        household(user_id=20, place=RIOM),
        household(user_id=31, place=ISSOIRE),
        household(user_id=30, place=ISSOIRE),
        household(user_id=40, place=THIERS),
        household(user_id=41, place=THIERS),
    ]
    households, _ = suggest(me, [others[i] for i in order], [], limit=6)
    assert [s.target_id for s in households] == [20, 21, 30, 31, 40, 41]


# ---------------------------------------------------------------------- properties

JITTER_LAT = st.floats(min_value=-0.25, max_value=0.25, allow_nan=False)
JITTER_LON = st.floats(min_value=-0.35, max_value=0.35, allow_nan=False)


def subsets(members: Iterable[T], min_size: int = 0, max_size: int | None = None) -> st.SearchStrategy[frozenset[T]]:
    """Subsets drawn as one bit mask (one draw, not one per element: the suite stays fast)."""
    pool = tuple(members)
    top = len(pool) if max_size is None else max_size
    return (
        st.integers(0, 2 ** len(pool) - 1)
        .map(lambda mask: frozenset(m for i, m in enumerate(pool) if mask >> i & 1))
        .filter(lambda subset: min_size <= len(subset) <= top)
    )


DEPARTEMENTS = subsets(POOL, min_size=1, max_size=3)
HORIZONS = st.sampled_from(Horizon)
VALEURS = subsets(Valeur)
APPORTS = subsets(Apport, max_size=6)
ETAPES = subsets(EtapeRejointe, min_size=1)
STATUTS = {n: subsets(Statut, min_size=1, max_size=n) for n in range(1, len(Statut) + 1)}
RADII = st.integers(5, 150)
CHILDREN = st.integers(0, 3)
SENIORS = st.integers(0, 2)
PLACES = st.sampled_from(CENTRES)


@st.composite
def profiles(
    draw: st.DrawFn, user_id: int = 1, centre: bool | None = None, max_statuts: int = len(Statut)
) -> HouseholdProfile:
    """Complete, visible, unpaused profiles near a few real centres (or by départements only)."""
    with_centre = draw(st.booleans()) if centre is None else centre
    place = draw(PLACES)
    fields: dict[str, Any] = {
        "departements": draw(DEPARTEMENTS),
        "horizon": draw(HORIZONS),
        "valeurs": draw(VALEURS),
        "apports": draw(APPORTS),
        "etapes": draw(ETAPES),
        "statuts": draw(STATUTS[max_statuts]),
        "children": draw(CHILDREN),
        "seniors": draw(SENIORS),
        "accessibility": draw(st.booleans()),
    }
    if not with_centre:
        return household(user_id=user_id, place=None, **fields)
    return household(
        user_id=user_id,
        place=place,
        radius_km=draw(RADII),
        lat=place.lat + draw(JITTER_LAT),
        lon=place.lon + draw(JITTER_LON),
        **fields,
    )


PROJECT_IDS = st.integers(1, 1000)
ONE_DEPARTEMENT = st.sampled_from(POOL)
STAGES = st.sampled_from(Etape)
FORMES = st.sampled_from(FormeJuridique)
PUBLICS = subsets(Public)
ESPACES = subsets(EspacePartage)


@st.composite
def projects(draw: st.DrawFn) -> Project:
    place = draw(PLACES)
    return project(
        id=draw(PROJECT_IDS),
        place=place,
        departement=draw(ONE_DEPARTEMENT),
        lat=place.lat + draw(JITTER_LAT),
        lon=place.lon + draw(JITTER_LON),
        etape=draw(STAGES),
        forme_juridique=draw(FORMES),
        publics=draw(PUBLICS),
        espaces_partages=draw(ESPACES),
    )


def moved(profile: HouseholdProfile, bearing: float, distance: float) -> tuple[float, float]:
    """The point `distance` km from the profile's centre towards `bearing` (degrees)."""
    assert profile.lat is not None and profile.lon is not None
    phi, lam, theta = math.radians(profile.lat), math.radians(profile.lon), math.radians(bearing)
    delta = distance / 6371.0088
    phi2 = math.asin(math.sin(phi) * math.cos(delta) + math.cos(phi) * math.sin(delta) * math.cos(theta))
    lam2 = lam + math.atan2(
        math.sin(theta) * math.sin(delta) * math.cos(phi), math.cos(delta) - math.sin(phi) * math.sin(phi2)
    )
    return math.degrees(phi2), math.degrees(lam2)


@settings(max_examples=100, deadline=None)
@given(a=profiles(user_id=1), b=profiles(user_id=2))
def test_two_visible_households_score_each_other_the_same(a: HouseholdProfile, b: HouseholdProfile) -> None:
    there, back = score_households(a, b), score_households(b, a)
    assert (there is None) == (back is None)
    if there is not None and back is not None:
        assert there.score == back.score
        assert there.distance_km == back.distance_km


MAXED_BASE = profiles(user_id=1, centre=True, max_statuts=len(Statut) - 1)
SKILLS_TO_SPLIT = subsets(Apport, min_size=3, max_size=6)
FOUR_OR_MORE_VALUES = subsets(Valeur, min_size=4)
NOT_ALL_DEPARTEMENTS = subsets(POOL, min_size=1, max_size=len(POOL) - 1)


@st.composite
def maxed_pairs(draw: st.DrawFn) -> tuple[HouseholdProfile, HouseholdProfile]:
    """Two households at the same place, same horizon, four or more shared values, complementary
    skills and a shared stage: everything soft at its best."""
    a = draw(MAXED_BASE)
    skills = sorted(draw(SKILLS_TO_SPLIT), key=str)
    split = draw(st.integers(1, len(skills) - 1))
    valeurs = draw(FOUR_OR_MORE_VALUES)
    departements = draw(NOT_ALL_DEPARTEMENTS)
    a = a.model_copy(update={"valeurs": valeurs, "apports": frozenset(skills[:split]), "departements": departements})
    b = a.model_copy(update={"user_id": 2, "apports": frozenset(skills[split:])})
    return a, b


@settings(max_examples=80, deadline=None)
@given(
    pair=maxed_pairs(),
    limit=st.sampled_from(
        [
            "b paused",
            "a paused",
            "b invisible",
            "no common tenure",
            "no shared département",
            "b incomplete",
            "areas too far apart",
        ]
    ),
)
def test_no_soft_score_overrides_a_hard_limit(pair: tuple[HouseholdProfile, HouseholdProfile], limit: str) -> None:
    a, b = pair
    best = score_households(a, b)
    assert best is not None and best.score == 100.0
    if limit == "b paused":
        b = b.model_copy(update={"paused": True})
    elif limit == "a paused":
        a = a.model_copy(update={"paused": True})
    elif limit == "b invisible":
        b = b.model_copy(update={"visible_households": False})
    elif limit == "no common tenure":
        b = b.model_copy(update={"statuts": frozenset(Statut) - a.statuts})
    elif limit == "no shared département":
        b = b.model_copy(update={"departements": frozenset(POOL) - a.departements})
    elif limit == "areas too far apart":
        assert a.radius_km is not None and b.radius_km is not None
        lat, lon = moved(a, 90.0, a.radius_km + b.radius_km + 1)
        b = b.model_copy(update={"lat": lat, "lon": lon})
    else:
        b = b.model_copy(update={"step": COMPLETE - 1})
    assert score_households(a, b) is None


@settings(max_examples=60, deadline=None)
@given(a=profiles(user_id=1), b=profiles(user_id=2), value=st.sampled_from(Valeur))
def test_sharing_one_more_value_never_lowers_the_score(a: HouseholdProfile, b: HouseholdProfile, value: Valeur) -> None:
    if value in a.valeurs:
        more_a, more_b = a, b.model_copy(update={"valeurs": b.valeurs | {value}})
    elif value in b.valeurs:
        more_a, more_b = a.model_copy(update={"valeurs": a.valeurs | {value}}), b
    else:
        more_a = a.model_copy(update={"valeurs": a.valeurs | {value}})
        more_b = b.model_copy(update={"valeurs": b.valeurs | {value}})
    before, after = score_households(a, b), score_households(more_a, more_b)
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert after.score >= before.score


@settings(max_examples=60, deadline=None)
@given(a=profiles(user_id=1), b=profiles(user_id=2), data=st.data())
def test_one_more_complementary_skill_never_lowers_the_score(
    a: HouseholdProfile, b: HouseholdProfile, data: st.DataObject
) -> None:
    missing = sorted(set(Apport) - a.apports - b.apports, key=str)
    skill = data.draw(st.sampled_from(missing), label="skill")  # nothing to draw: the example is dropped
    if data.draw(st.booleans(), label="a brings it"):
        more_a, more_b = a.model_copy(update={"apports": a.apports | {skill}}), b
    else:
        more_a, more_b = a, b.model_copy(update={"apports": b.apports | {skill}})
    before, after = score_households(a, b), score_households(more_a, more_b)
    assert (before is None) == (after is None)
    if before is not None and after is not None:
        assert after.score >= before.score


@settings(max_examples=80, deadline=None)
@given(a=profiles(user_id=1), b=profiles(user_id=2), it=projects())
def test_scores_stay_between_0_and_100_rounded_to_one_decimal(
    a: HouseholdProfile, b: HouseholdProfile, it: Project
) -> None:
    for found in (score_households(a, b), score_project(a, it)):
        if found is not None:
            assert 0.0 <= found.score <= 100.0
            assert found.score == round(found.score, 1)


@settings(max_examples=60, deadline=None)
@given(
    a=profiles(user_id=1, centre=True),
    b=profiles(user_id=2, centre=True),
    bearing=st.floats(0, 360, allow_nan=False),
    steps=st.tuples(st.floats(0, 320, allow_nan=False), st.floats(0, 320, allow_nan=False)),
)
def test_a_household_farther_away_never_scores_higher(
    a: HouseholdProfile, b: HouseholdProfile, bearing: float, steps: tuple[float, float]
) -> None:
    spots = [moved(a, bearing, step) for step in steps]
    spots.sort(key=lambda spot: distance_km(a.lat or 0.0, a.lon or 0.0, *spot))
    near, far = (b.model_copy(update={"lat": lat, "lon": lon}) for lat, lon in spots)
    closer, farther = score_households(a, near), score_households(a, far)
    if farther is not None:
        assert closer is not None
        assert closer.score >= farther.score


@settings(max_examples=60, deadline=None)
@given(
    a=profiles(user_id=1, centre=True),
    it=projects(),
    bearing=st.floats(0, 360, allow_nan=False),
    steps=st.tuples(st.floats(0, 160, allow_nan=False), st.floats(0, 160, allow_nan=False)),
    data=st.data(),
)
def test_a_project_farther_away_never_scores_higher(
    a: HouseholdProfile, it: Project, bearing: float, steps: tuple[float, float], data: st.DataObject
) -> None:
    # A project the household could join but for the distance: its département, tenure and stage.
    it = it.model_copy(
        update={
            "departement": data.draw(st.sampled_from(sorted(a.departements)), label="departement"),
            "forme_juridique": data.draw(
                st.sampled_from([f for f in FormeJuridique if TENURES[f] & a.statuts]), label="forme"
            ),
            "etape": data.draw(st.sampled_from([e for e in Etape if STAGE_OF[e] in a.etapes]), label="etape"),
        }
    )
    spots = [moved(a, bearing, step) for step in steps]
    spots.sort(key=lambda spot: distance_km(a.lat or 0.0, a.lon or 0.0, *spot))
    near, far = (it.model_copy(update={"lat": lat, "lon": lon}) for lat, lon in spots)
    closer, farther = score_project(a, near), score_project(a, far)
    if farther is not None:
        assert closer is not None
        assert closer.score >= farther.score
