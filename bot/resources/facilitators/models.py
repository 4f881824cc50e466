"""A facilitator (a structure that supports groups) as registered, imported and stored; the area it
covers; a member's request to be put in touch."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.errors import Text
from bot.geo import Commune
from bot.projects.models import _URL, _none_if_blank
from bot.vocabulary import Etape, Expertise, Posture, Suivi

STALE_AFTER = timedelta(days=365)  # a record unconfirmed for a year: its contacts are asked
REQUEST_LIFETIME = timedelta(days=30)  # a request unanswered this long is closed
NAME_MAX = 100
SITE_MAX = 300
CONTACT_MAX = 200
DESCRIPTION_MAX = 1000
ZONE_MAX = 400  # the area as typed
MESSAGE_MIN, MESSAGE_MAX = 10, 1500  # a member's request to a facilitator
REASON_MAX = 1000  # a moderator's reason, sent to who registered
MEMBERS_MAX = 10  # a structure's Discord contacts
IMPORT_MAX_ROWS = 5_000


class Structure(StrEnum):
    cooperative = "cooperative"
    association = "association"
    independant = "independant"
    autre = "autre"


STRUCTURES: dict[Structure, Text] = {
    Structure.cooperative: Text("Coopérative"),
    Structure.association: Text("Association"),
    Structure.independant: Text("Indépendant·e"),
    Structure.autre: Text("Autre structure"),
}


class FacilitatorStatus(StrEnum):
    en_attente = "en_attente"  # registered, waiting for a moderator
    publie = "publie"
    refuse = "refuse"


class Verdict(StrEnum):
    published = "published"
    refused = "refused"


class RequestStatus(StrEnum):
    attente = "attente"
    acceptee = "acceptee"
    declinee = "declinee"
    close = "close"  # unanswered in time, or nobody could receive it


class Area(BaseModel):
    """Where a facilitator works: communes (INSEE codes), départements and current régions (codes)."""

    model_config = ConfigDict(frozen=True)

    communes: frozenset[str] = frozenset()
    departements: frozenset[str] = frozenset()
    regions: frozenset[str] = frozenset()

    def covers(self, commune: Commune) -> bool:
        return (
            commune.insee in self.communes
            or (commune.parent is not None and commune.parent in self.communes)
            or commune.departement in self.departements
            or commune.region in self.regions
        )

    @property
    def empty(self) -> bool:
        return not (self.communes or self.departements or self.regions)


class FacilitatorFacts(BaseModel):
    """What the command's options give, checked before the form opens."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    code_insee: str = Field(min_length=5, max_length=5, title="commune")
    structure: Structure = Field(default=Structure.association, title="structure")
    suivis: frozenset[Suivi] = Field(default=frozenset(Suivi), min_length=1, title="suivi")
    site: str | None = Field(default=None, max_length=SITE_MAX, title="site")
    contact: str | None = Field(default=None, max_length=CONTACT_MAX, title="contact")

    @field_validator("site", "contact", mode="before")
    @classmethod
    def _blank_text(cls, value: object) -> object:
        return _none_if_blank(value)

    @field_validator("site")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not _URL.match(value):
            raise ValueError("le site doit commencer par http:// ou https://")
        return value


class FacilitatorDraft(FacilitatorFacts):
    """A facilitator as registered, edited or imported: validated before anything is stored."""

    nom: str = Field(min_length=2, max_length=NAME_MAX, title="Nom de la structure")
    zone: Area = Field(default_factory=Area, title="Territoire couvert")
    expertises: frozenset[Expertise] = Field(min_length=1, title="Expertises")
    etapes: frozenset[Etape] = Field(min_length=1, title="Phases accompagnées")
    postures: frozenset[Posture] = Field(default=frozenset(), title="Postures")
    description: str = Field(default="", max_length=DESCRIPTION_MAX, title="description")

    @property
    def facts(self) -> FacilitatorFacts:
        return FacilitatorFacts.model_validate(self.model_dump(include=set(FacilitatorFacts.model_fields)))


class Facilitator(FacilitatorDraft):
    id: int
    commune: str
    departement: str
    region: str
    lat: float | None
    lon: float | None
    statut: FacilitatorStatus
    guild_id: int | None
    proposed_by: int | None
    locale: str = "fr"
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime
    members: tuple[int, ...] = ()  # its Discord contacts, who registered it first
    source_url: str | None = None  # its page on the national site, when imported from it

    @property
    def published(self) -> bool:
        return self.statut is FacilitatorStatus.publie

    def editable_by(self, user_id: int, moderator: bool) -> bool:
        return moderator or user_id in self.members

    def unconfirmed_since(self, now: datetime) -> datetime | None:
        return self.confirmed_at if now - self.confirmed_at > STALE_AFTER else None

    @property
    def draft(self) -> FacilitatorDraft:
        return FacilitatorDraft.model_validate(self.model_dump(include=set(FacilitatorDraft.model_fields)))


@dataclass(frozen=True)
class Member:
    user_id: int
    locale: str


@dataclass(frozen=True)
class Submitted:
    """A registration or an edit, saved: `queued` when its card is on its way to the moderators."""

    facilitator: Facilitator
    waits: bool
    queued: bool


@dataclass(frozen=True)
class ContactRequest:
    id: int
    facilitator_id: int
    requester_id: int
    guild_id: int | None
    locale: str
    message: str
    status: RequestStatus
    answered_by: int | None
    created_at: datetime


@dataclass(frozen=True)
class Requested:
    """A request on its way (`request`), or, when the structure has nobody on Discord, what the record
    gives to reach it."""

    request: ContactRequest | None
    site: str | None
    contact: str | None
