"""Which facilitators fit a group's needs, best first: a pure function, used by the directory and by
the needs diagnostic.

`fit` counts the needed expertises the facilitator brings, plus one when it supports the needed
phase. The order: fit (more first), then those whose area covers the group's commune, then the
nearest base, then the name."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from bot.geo import Commune, distance_km
from bot.resources.facilitators.models import Facilitator
from bot.text import fold
from bot.vocabulary import Etape, Expertise


@dataclass(frozen=True)
class Need:
    expertises: frozenset[Expertise]
    phase: Etape | None

    @property
    def empty(self) -> bool:
        return not self.expertises and self.phase is None


@dataclass(frozen=True)
class Ranked:
    facilitator: Facilitator
    fit: int
    covers: bool
    distance_km: float | None
    matched: tuple[Expertise, ...]

    @property
    def phase_matched(self) -> bool:
        """Whether the fit counts the phase (fit is the matched expertises plus the phase)."""
        return self.fit > len(self.matched)


def rank(candidates: Iterable[Facilitator], need: Need, place: Commune) -> list[Ranked]:
    ranked = [_measure(facilitator, need, place) for facilitator in candidates]
    return sorted(ranked, key=_order)


def _measure(facilitator: Facilitator, need: Need, place: Commune) -> Ranked:
    matched = tuple(e for e in Expertise if e in need.expertises and e in facilitator.expertises)
    phase = need.phase is not None and need.phase in facilitator.etapes
    distance = None
    if None not in (place.lat, place.lon, facilitator.lat, facilitator.lon):
        distance = distance_km(place.lat, place.lon, facilitator.lat, facilitator.lon)  # type: ignore[arg-type]
    return Ranked(facilitator, len(matched) + phase, facilitator.zone.covers(place), distance, matched)


def _order(ranked: Ranked) -> tuple[int, bool, bool, float, str, int]:
    unknown = ranked.distance_km is None
    return (
        -ranked.fit,
        not ranked.covers,
        unknown,
        ranked.distance_km or 0.0,
        fold(ranked.facilitator.nom),
        ranked.facilitator.id,
    )
