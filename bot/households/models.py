"""Household introductions ("présentations") in three steps, each validated on its own so that a wrong
value is fixed and the form resumed, never restarted; the profile they make; an introduction between
two households or a household and a project."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.errors import UserError
from bot.geo import Geography
from bot.vocabulary import Apport, EtapeRejointe, Horizon, Milieu, Statut, Valeur

COMPLETE = 4
STALE_AFTER = timedelta(days=365)
PAUSE_AFTER_NUDGE = timedelta(days=30)
REQUEST_LIFETIME = timedelta(days=14)
MAX_PENDING_REQUESTS = 10
CANDIDATES = 1000  # households scored per request: loading and scoring is the cost, nearest first
VISIBILITY = {"aucune": (False, False), "foyers": (True, False), "projets": (False, True), "tous": (True, True)}


# ---------------------------------------------------------------------- the three steps


class WhereWhen(BaseModel):
    """Step 1: a commune and a radius, or départements; the setting, the horizon, the stage to join."""

    model_config = ConfigDict(frozen=True)

    code_insee: str | None = None
    departements: frozenset[str] = frozenset()
    radius_km: int = Field(default=30, ge=1, le=300)
    milieux: frozenset[Milieu] = frozenset()
    horizon: Horizon
    etapes: frozenset[EtapeRejointe] = Field(min_length=1)


class HouseholdMakeup(BaseModel):
    """Step 2: who the household is, and its tenure and means."""

    model_config = ConfigDict(frozen=True)

    adults: int = Field(ge=1, le=12)
    children: int = Field(default=0, ge=0, le=12)
    seniors: int = Field(default=0, ge=0, le=12)
    statuts: frozenset[Statut] = Field(min_length=1)
    budget_min: int | None = Field(default=None, ge=0)
    budget_max: int | None = Field(default=None, ge=0)

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

    valeurs: frozenset[Valeur] = frozenset()
    apports: frozenset[Apport] = frozenset()
    intro: str = Field(default="", max_length=500)
    accessibility: bool = False
    visibility: str = "aucune"

    @field_validator("visibility")
    @classmethod
    def _known(cls, value: str) -> str:
        if value not in VISIBILITY:
            raise ValueError(f"visibilité inconnue : {value}")
        return value


def parse_budget(text: str) -> tuple[int | None, int | None]:
    """ "150 000 – 250 000 €" → (150000, 250000); "250000" → (None, 250000); "" → (None, None)."""
    numbers = [
        int(n.replace(" ", "").replace("\u202f", "").replace(".", "")) for n in re.findall(r"\d[\d .\u202f]*", text)
    ]
    numbers = [n for n in numbers if n > 0]
    if not text.strip() or not numbers:
        if text.strip():
            raise UserError(
                "Je ne comprends pas le budget « {budget} » : écrivez par exemple 150000-250000.", budget=text
            )
        return None, None
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
    nudged_at: datetime | None
    last_digest_at: datetime | None

    @property
    def complete(self) -> bool:
        return self.step >= COMPLETE

    @property
    def has_centre(self) -> bool:
        return self.lat is not None and self.lon is not None and self.radius_km is not None

    @property
    def visibility(self) -> str:
        return next(
            name for name, flags in VISIBILITY.items() if flags == (self.visible_households, self.visible_projects)
        )


@dataclass(frozen=True)
class Introduction:
    id: int
    requester_id: int
    target_user_id: int | None
    project_id: int | None
    guild_id: int | None
    status: str
    answered_by: int | None
    thread_id: int | None
    created_at: datetime
