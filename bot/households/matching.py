"""Who a household should meet: pure scoring, hard limits and plain-French reasons. No I/O here.

A suggestion scores from 0 to 100 as the weighted sum of soft criteria, each between 0 and 1:

    distance  25  1 at the same place, decaying linearly to 0 at the edge of the search area
    horizon   20  1 for the same horizon, 0.5 one step apart, 0 further
    values    30  min(shared values, 4) / 4: each shared value adds, up to four
    fit       25  households: complementary skills (either way) and a shared stage to join;
                  projects: its publics and shared spaces meeting the household's make-up and values

Hard limits come first and no soft score overrides them: areas that do not meet (two households'
circles farther apart than both radii together; a project outside the household's circle or
départements), no tenure in common (a project offers the tenures of its legal form), a stage the
household would not join, a project that does not recruit, a household that is not visible to
households, a paused profile, a pair already declined or in touch (the stores filter those two).
Ties are broken by distance, then by id, so the same inputs always give the same order.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from bot.geo import distance_km, distance_text
from bot.households.models import HouseholdProfile
from bot.vocabulary import (
    EspacePartage,
    Etape,
    EtapeRejointe,
    FormeJuridique,
    Horizon,
    Public,
    Statut,
    Valeur,
)

WEIGHTS = {"distance": 25.0, "horizon": 20.0, "values": 30.0, "fit": 25.0}
HORIZONS = list(Horizon)
SHARED_VALUES_CAP = 4
COMPLEMENT_CAP = 3
DEFAULT_AREA_KM = 100.0  # the reach of a household described by départements rather than a circle

# What tenure a legal form offers its households.
TENURES: dict[FormeJuridique, frozenset[Statut]] = {
    FormeJuridique.cooperative_habitants: frozenset({Statut.cooperative}),
    FormeJuridique.brs: frozenset({Statut.brs, Statut.accession_sociale}),
    FormeJuridique.locatif_social: frozenset({Statut.locatif_social}),
    FormeJuridique.scia: frozenset({Statut.achat, Statut.accession_sociale}),
    FormeJuridique.sci: frozenset({Statut.achat}),
    FormeJuridique.sas: frozenset({Statut.achat, Statut.cooperative}),
    FormeJuridique.copropriete: frozenset({Statut.achat, Statut.accession_sociale}),
    FormeJuridique.association: frozenset(Statut),
    FormeJuridique.autre: frozenset(Statut),
}
STAGE_OF: dict[Etape, EtapeRejointe] = {
    Etape.emergence: EtapeRejointe.groupe_en_formation,
    Etape.realisation: EtapeRejointe.projet_en_cours,
    Etape.vivre_ensemble: EtapeRejointe.lieu_existant,
}
# When a household joining a project at this stage would move in.
HORIZON_OF: dict[Etape, Horizon] = {
    Etape.emergence: Horizon.un_trois_ans,
    Etape.realisation: Horizon.moins_1_an,
    Etape.vivre_ensemble: Horizon.maintenant,
}
# Values a project shows through its publics and shared spaces.
PROJECT_VALUES: dict[Public | EspacePartage, Valeur] = {
    Public.intergenerationnel: Valeur.intergenerationnel,
    Public.seniors: Valeur.vieillir_chez_soi,
    Public.handicap: Valeur.accessibilite,
    EspacePartage.salle_commune: Valeur.espaces_partages,
    EspacePartage.jardin: Valeur.ecologie,
    EspacePartage.potager: Valeur.ecologie,
    EspacePartage.atelier: Valeur.entraide,
}


class Recruiting(Protocol):
    """What `score_project` reads of a project: a `Project`, or its `ProjectSummary` from the projects' index."""

    @property
    def id(self) -> int: ...
    @property
    def published(self) -> bool: ...
    @property
    def recrute(self) -> bool: ...
    @property
    def departement(self) -> str: ...
    @property
    def commune(self) -> str: ...
    @property
    def lat(self) -> float | None: ...
    @property
    def lon(self) -> float | None: ...
    @property
    def etape(self) -> Etape: ...
    @property
    def forme_juridique(self) -> FormeJuridique: ...
    @property
    def publics(self) -> frozenset[Public]: ...
    @property
    def espaces_partages(self) -> frozenset[EspacePartage]: ...


@dataclass(frozen=True)
class Reason:
    """One plain-French reason: a catalogue string and its parameters (values already labelled)."""

    text: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestion:
    kind: str  # "foyer" or "projet"
    target_id: int
    score: float
    distance_km: float | None
    reasons: tuple[Reason, ...]


def horizon_score(a: Horizon, b: Horizon) -> float:
    gap = abs(HORIZONS.index(a) - HORIZONS.index(b))
    return {0: 1.0, 1: 0.5}.get(gap, 0.0)


def shared_score(shared: int, cap: int) -> float:
    return min(shared, cap) / cap


def distance_between(a: HouseholdProfile, lat: float | None, lon: float | None) -> float | None:
    if a.lat is None or a.lon is None or lat is None or lon is None:
        return None
    return distance_km(a.lat, a.lon, lat, lon)


def reach(profile: HouseholdProfile) -> float:
    return float(profile.radius_km) if profile.radius_km is not None and profile.has_centre else DEFAULT_AREA_KM


def _decay(distance: float | None, limit: float) -> float:
    return 0.5 if distance is None else max(0.0, 1.0 - distance / limit)


def _names(values: Iterable[Any]) -> list[Any]:
    return sorted(values, key=str)


def score_households(a: HouseholdProfile, b: HouseholdProfile) -> Suggestion | None:
    """How well `b` suits `a`; None when a hard limit forbids it. Symmetric when both are visible."""
    if not (a.complete and b.complete) or a.paused or b.paused or not b.visible_households:
        return None
    if not a.departements & b.departements or not a.statuts & b.statuts:
        return None
    distance = distance_between(a, b.lat, b.lon)
    if distance is not None and distance > reach(a) + reach(b):
        return None
    assert a.horizon is not None and b.horizon is not None
    shared_values = a.valeurs & b.valeurs
    brings = a.apports - b.apports  # what a brings that b lacks
    receives = b.apports - a.apports
    shared_stages = a.etapes & b.etapes
    fit = 0.6 * shared_score(len(brings) + len(receives), COMPLEMENT_CAP) + 0.4 * (1.0 if shared_stages else 0.0)
    score = (
        WEIGHTS["distance"] * _decay(distance, reach(a) + reach(b))
        + WEIGHTS["horizon"] * horizon_score(a.horizon, b.horizon)
        + WEIGHTS["values"] * shared_score(len(shared_values), SHARED_VALUES_CAP)
        + WEIGHTS["fit"] * fit
    )
    reasons: list[Reason] = []
    if distance is not None and b.commune:
        reasons.append(Reason("{distance}, à {commune}", {"distance": distance_text(distance), "commune": b.commune}))
    if a.horizon == b.horizon:
        reasons.append(Reason("même horizon : {horizon}", {"horizon": b.horizon}))
    if shared_values:
        reasons.append(Reason("en commun : {valeurs}", {"valeurs": _names(shared_values)}))
    if brings:
        reasons.append(Reason("vous apportez {apports} qui leur manque", {"apports": _names(brings)}))
    if receives:
        reasons.append(Reason("ils apportent {apports}", {"apports": _names(receives)}))
    reasons.append(Reason("statut : {statuts}", {"statuts": _names(a.statuts & b.statuts)}))
    return Suggestion("foyer", b.user_id, round(score, 1), distance, tuple(reasons))


def score_project(household: HouseholdProfile, project: Recruiting) -> Suggestion | None:
    """How well a recruiting project suits a household; None when a hard limit forbids it."""
    if not household.complete or household.paused or not project.published or not project.recrute:
        return None
    if project.departement not in household.departements:
        return None
    distance = distance_between(household, project.lat, project.lon)
    if household.has_centre and (distance is None or distance > reach(household)):
        return None
    tenures = TENURES[project.forme_juridique] & household.statuts
    if not tenures or STAGE_OF[project.etape] not in household.etapes:
        return None
    assert household.horizon is not None
    shown = {PROJECT_VALUES[public] for public in project.publics if public in PROJECT_VALUES}
    shown |= {PROJECT_VALUES[space] for space in project.espaces_partages if space in PROJECT_VALUES}
    shared_values = shown & household.valeurs
    welcomes = []
    if household.children and Public.familles in project.publics:
        welcomes.append(Public.familles)
    if household.seniors and Public.seniors in project.publics:
        welcomes.append(Public.seniors)
    if household.accessibility and Public.handicap in project.publics:
        welcomes.append(Public.handicap)
    fit = 0.5 * shared_score(len(welcomes), 2) + 0.5 * (1.0 if Public.tous in project.publics or welcomes else 0.0)
    score = (
        WEIGHTS["distance"] * _decay(distance, reach(household))
        + WEIGHTS["horizon"] * horizon_score(household.horizon, HORIZON_OF[project.etape])
        + WEIGHTS["values"] * shared_score(len(shared_values), SHARED_VALUES_CAP)
        + WEIGHTS["fit"] * fit
    )
    reasons: list[Reason] = []
    if distance is not None:
        reasons.append(
            Reason("{distance}, à {commune}", {"distance": distance_text(distance), "commune": project.commune})
        )
    reasons.append(Reason("cherche de nouveaux foyers", {}))
    if shared_values:
        reasons.append(Reason("en commun : {valeurs}", {"valeurs": _names(shared_values)}))
    if welcomes:
        reasons.append(Reason("accueille : {publics}", {"publics": _names(welcomes)}))
    reasons.append(Reason("statut possible : {statuts}", {"statuts": _names(tenures)}))
    return Suggestion("projet", project.id, round(score, 1), distance, tuple(reasons))


def ranked(suggestions: Iterable[Suggestion | None], limit: int) -> list[Suggestion]:
    """Best first; equal scores by distance (unknown last), then by id: always the same order."""
    kept = [s for s in suggestions if s is not None]
    kept.sort(key=lambda s: (-s.score, s.distance_km if s.distance_km is not None else float("inf"), s.target_id))
    return kept[:limit]


def suggest(
    profile: HouseholdProfile, households: Sequence[HouseholdProfile], projects: Sequence[Recruiting], limit: int = 5
) -> tuple[list[Suggestion], list[Suggestion]]:
    """The best households and the best recruiting projects for `profile`."""
    return (
        ranked((score_households(profile, other) for other in households), limit),
        ranked((score_project(profile, project) for project in projects), limit),
    )
