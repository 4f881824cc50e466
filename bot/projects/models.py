"""The national project database's models: a draft as proposed or imported, a record as stored,
the filters of a search and what a search finds."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.geo import Commune
from bot.vocabulary import EspacePartage, Etape, FormeJuridique, Initiative, Public

STALE_AFTER = timedelta(days=365)
RECRUTE_STALE_AFTER = timedelta(days=182)
SEARCH_LIMIT = 200
MODERATED_FIELDS = ("nom", "code_insee", "etape")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class ProjectDraft(BaseModel):
    """What a group proposes, edits or imports: validated before anything is stored."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    nom: str = Field(min_length=2, max_length=100)
    code_insee: str = Field(min_length=5, max_length=5)
    etape: Etape
    initiative: Initiative = Initiative.citoyenne
    forme_juridique: FormeJuridique = FormeJuridique.autre
    logements: int | None = Field(default=None, ge=1, le=5000)
    recrute: bool = False
    publics: frozenset[Public] = frozenset()
    espaces_partages: frozenset[EspacePartage] = frozenset()
    description: str = Field(default="", max_length=2000)
    site: str | None = Field(default=None, max_length=300)
    contact: str | None = Field(default=None, max_length=200)

    @field_validator("site", "contact", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("site")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not _URL.match(value):
            raise ValueError("le site doit commencer par http:// ou https://")
        return value


class PendingRevision(BaseModel):
    nom: str
    code_insee: str
    commune: str
    etape: Etape
    proposed_by: int
    guild_id: int | None


class Project(ProjectDraft):
    id: int
    commune: str
    departement: str
    region: str
    lat: float | None
    lon: float | None
    statut: str
    guild_id: int | None
    proposed_by: int | None
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime
    recrute_confirmed_at: datetime | None
    referents: tuple[int, ...] = ()
    pending: PendingRevision | None = None

    @property
    def published(self) -> bool:
        return self.statut == "publie"

    def unconfirmed_since(self, now: datetime) -> datetime | None:
        """When the record was last confirmed, if that is more than a year ago."""
        return self.confirmed_at if now - self.confirmed_at > STALE_AFTER else None


@dataclass(frozen=True)
class SearchFilters:
    texte: str | None = None
    departement: str | None = None
    departements: tuple[str, ...] | None = None  # a région, current or old
    pres_de: Commune | None = None
    rayon_km: float = 30.0
    etape: Etape | None = None
    initiative: Initiative | None = None
    forme_juridique: FormeJuridique | None = None
    public: Public | None = None
    recrute: bool | None = None


@dataclass(frozen=True)
class SearchHit:
    project_id: int
    distance_km: float | None


@dataclass(frozen=True)
class Nudge:
    id: int
    project_id: int
    kind: str  # 'fiche': is the record still true? 'recrute': still looking for households?


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
