"""Household introductions ("présentations") in three steps, each validated on its own so that a wrong
value is fixed and the form resumed, never restarted; the profile they make; an introduction between
two households, or between a household and a project."""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.errors import UserError
from bot.geo import Geography
from bot.vocabulary import Apport, EtapeRejointe, Horizon, Milieu, Statut, Valeur

COMPLETE = 4
STALE_AFTER = timedelta(days=365)
PAUSE_AFTER_QUESTION = timedelta(days=30)  # counted from the question's delivery, never from its writing
REQUEST_LIFETIME = timedelta(days=14)
MAX_PENDING_REQUESTS = 10
CANDIDATES = 1000  # households scored per request: loading and scoring is the cost, nearest first
MAX_BUDGET = 10_000_000  # euros: far above any home, far below what the database's integers hold
MAX_PEOPLE = 12
MAX_RADIUS_KM = 300
MAX_DEPARTEMENTS = 20
MAX_INTRO = 500

# The fields as the member sees them in the forms (French source strings of the catalogue): a refusal
# names the field by this title, and the forms are labelled with it.
PLACE = "Où ? Commune, code postal ou départements"
BUDGET = "Budget en €, par ex. 150000-250000"


class Visibility(StrEnum):
    """Who may see a household's introduction: two separate consents, neither by default."""

    aucune = "aucune"
    foyers = "foyers"
    projets = "projets"
    tous = "tous"


VISIBILITY: dict[Visibility, tuple[bool, bool]] = {
    Visibility.aucune: (False, False),
    Visibility.foyers: (True, False),
    Visibility.projets: (False, True),
    Visibility.tous: (True, True),
}


# ---------------------------------------------------------------------- the three steps


class WhereWhen(BaseModel):
    """Step 1: a commune and a radius, or départements; the setting, the horizon, the stage to join."""

    model_config = ConfigDict(frozen=True)

    code_insee: str | None = Field(default=None, title=PLACE)
    departements: frozenset[str] = Field(default=frozenset(), max_length=MAX_DEPARTEMENTS, title=PLACE)
    radius_km: int = Field(default=30, ge=1, le=MAX_RADIUS_KM, title="Rayon autour de la commune, en km")
    milieux: frozenset[Milieu] = Field(default=frozenset(), title="Milieu")
    horizon: Horizon = Field(title="Quand ?")
    etapes: frozenset[EtapeRejointe] = Field(min_length=1, title="Rejoindre…")


class HouseholdMakeup(BaseModel):
    """Step 2: who the household is, and its tenure and means."""

    model_config = ConfigDict(frozen=True)

    adults: int = Field(ge=1, le=MAX_PEOPLE, title="Nombre d'adultes")
    children: int = Field(default=0, ge=0, le=MAX_PEOPLE, title="Nombre d'enfants")
    seniors: int = Field(default=0, ge=0, le=MAX_PEOPLE, title="Personnes de plus de 65 ans")
    statuts: frozenset[Statut] = Field(min_length=1, title="Statut envisagé")
    budget_min: int | None = Field(default=None, ge=0, le=MAX_BUDGET, title=BUDGET)
    budget_max: int | None = Field(default=None, ge=0, le=MAX_BUDGET, title=BUDGET)

    @field_validator("budget_max")
    @classmethod
    def _ordered(cls, value: int | None, info: Any) -> int | None:
        low = info.data.get("budget_min")
        if value is not None and low is not None and value < low:
            raise ValueError("le budget maximum est plus petit que le minimum")
        return value


class WhatMatters(BaseModel):
    """Step 3: values, what the household brings, a short text, accessibility needs and consent."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    valeurs: frozenset[Valeur] = Field(default=frozenset(), title="Ce qui compte pour vous")
    apports: frozenset[Apport] = Field(default=frozenset(), title="Ce que vous apportez")
    intro: str = Field(default="", max_length=MAX_INTRO, title="Quelques mots sur votre foyer")
    accessibility: bool = Field(default=False, title="Besoin d'un logement accessible ?")
    visibility: Visibility = Field(default=Visibility.aucune, title="Qui peut voir votre présentation ?")


Step = WhereWhen | HouseholdMakeup | WhatMatters
STEPS: dict[int, type[Step]] = {1: WhereWhen, 2: HouseholdMakeup, 3: WhatMatters}


def title_of(model: type[BaseModel], field: str) -> str:
    """A step's field as the member sees it (the form's label, and the name a refusal gives it)."""
    title = model.model_fields[field].title
    assert title is not None, f"{model.__name__}.{field} has no title"
    return title


_AMOUNT = re.compile(r"\d[\d .\u202f\u00a0]*")


def parse_budget(text: str) -> tuple[int | None, int | None]:
    """ "150 000 – 250 000 €" → (150000, 250000); "250000" → (None, 250000); "" → (None, None).
    Amounts are not bounded here: the step's model refuses one too large, naming the field."""
    if not text.strip():
        return None, None
    numbers = [int(re.sub(r"[ .\u202f\u00a0]", "", n)) for n in _AMOUNT.findall(text)]
    numbers = [n for n in numbers if n > 0]
    if not numbers:
        raise UserError("Je ne comprends pas le budget « {budget} » : écrivez par exemple 150000-250000.", budget=text)
    if len(numbers) == 1:
        return None, numbers[0]
    low, high = sorted(numbers[:2])
    return low, high


def parse_place(text: str, geo: Geography) -> tuple[str | None, frozenset[str]]:
    """A commune (or postal code), or a list of départements ("63, 03")."""
    tokens = [token for token in re.split(r"[,;\s]+", text.strip()) if token]
    if tokens and all(token.upper().zfill(2) in geo.departements for token in tokens):
        return None, frozenset(token.upper().zfill(2) for token in tokens)
    return geo.resolve_commune(text).insee, frozenset()


# ---------------------------------------------------------------------- the profile


class HouseholdProfile(BaseModel):
    user_id: int
    guild_id: int | None
    step: int
    code_insee: str | None
    commune: str | None
    lat: float | None
    lon: float | None
    radius_km: int | None
    departements: frozenset[str]
    milieux: frozenset[Milieu]
    horizon: Horizon | None
    etapes: frozenset[EtapeRejointe]
    adults: int | None
    children: int | None
    seniors: int | None
    accessibility: bool
    statuts: frozenset[Statut]
    budget_min: int | None
    budget_max: int | None
    valeurs: frozenset[Valeur]
    apports: frozenset[Apport]
    intro: str
    visible_households: bool
    visible_projects: bool
    paused: bool
    digest: bool
    locale: str
    created_at: datetime
    updated_at: datetime
    digest_done_at: datetime | None = None  # the last weekly digest composed (a row only when there was news)
    asked_at: datetime | None = None  # "does it still hold?" written to the ledger, not yet answered
    asked_delivered_at: datetime | None = None  # ...and delivered: the pause counts from here
    dm_closed: bool = False  # a DM to this member came back refused: not suggested until one goes through

    @property
    def complete(self) -> bool:
        return self.step >= COMPLETE

    @property
    def has_centre(self) -> bool:
        return self.lat is not None and self.lon is not None and self.radius_km is not None

    @property
    def visibility(self) -> Visibility:
        return next(
            name for name, flags in VISIBILITY.items() if flags == (self.visible_households, self.visible_projects)
        )


# ---------------------------------------------------------------------- introductions


class IntroductionKind(StrEnum):
    foyer = "foyer"  # a household asks another household
    projet = "projet"  # a household asks a project (its référents answer)
    proposition = "proposition"  # a project's référent asks a household


class IntroductionStatus(StrEnum):
    attente = "attente"
    acceptee = "acceptee"
    declinee = "declinee"
    expiree = "expiree"  # no answer in REQUEST_LIFETIME: the requester is told
    retiree = "retiree"  # reached nobody (closed DMs): the requester is told


# A pair in one of these is not suggested again, nor asked twice.
SETTLED = (IntroductionStatus.attente, IntroductionStatus.acceptee, IntroductionStatus.declinee)


class Introduction(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    kind: IntroductionKind
    requester_id: int
    target_user_id: int | None
    project_id: int | None
    guild_id: int | None
    status: IntroductionStatus
    answered_by: int | None
    thread_id: int | None
    created_at: datetime
