"""The national project database's models: a draft as proposed or imported, a record as stored,
the filters of a search and what a search finds."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.geo import Commune
from bot.vocabulary import EspacePartage, Etape, FormeJuridique, Initiative, Public, members_of

STALE_AFTER = timedelta(days=365)
RECRUTE_STALE_AFTER = timedelta(days=182)
SEARCH_LIMIT = 200
EXCERPT = 160  # characters of a description shown in a search result
MODERATED_FIELDS = ("nom", "code_insee", "etape")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)

# Upper bounds of what members type, checked before anything is stored.
NAME_MAX = 100
DESCRIPTION_MAX = 2000
SITE_MAX = 300
CONTACT_MAX = 200
LOGEMENTS_MAX = 5000
REASON_MAX = 1000  # a moderator's reason, sent to the proposer
MESSAGE_MIN, MESSAGE_MAX = 10, 1500  # a member's message to a project's référents
IMPORT_MAX_BYTES = 10 * 1024 * 1024  # what a member may upload to Discord
IMPORT_MAX_ROWS = 50_000


class ProjectStatus(StrEnum):
    en_attente = "en_attente"  # proposed, waiting for a moderator
    publie = "publie"
    refuse = "refuse"


class Question(StrEnum):
    """What the référents of a record are asked when it falls stale."""

    fiche = "fiche"  # a year unconfirmed: is the record still true?
    recrute = "recrute"  # six months recruiting: still looking for households?


class Verdict(StrEnum):
    """A moderator's answer, as the proposer (or the editor of a change) is told it."""

    published = "published"
    refused = "refused"
    change_accepted = "change_accepted"
    change_refused = "change_refused"


def _none_if_blank(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class ProjectFacts(BaseModel):
    """What the command's options give (commune, stage, legal form…): checked before the form opens,
    so that a refused form never comes back to a value the member cannot change there."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    code_insee: str = Field(min_length=5, max_length=5, title="commune")
    etape: Etape = Field(title="etape")
    initiative: Initiative = Field(default=Initiative.citoyenne, title="initiative")
    forme_juridique: FormeJuridique = Field(default=FormeJuridique.autre, title="forme_juridique")
    logements: int | None = Field(default=None, ge=1, le=LOGEMENTS_MAX, title="logements")
    recrute: bool = Field(default=False, title="recrute")
    site: str | None = Field(default=None, max_length=SITE_MAX, title="site")

    @field_validator("site", mode="before")
    @classmethod
    def _blank_site(cls, value: object) -> object:
        return _none_if_blank(value)

    @field_validator("site")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not _URL.match(value):
            raise ValueError("le site doit commencer par http:// ou https://")
        return value


class ProjectDraft(ProjectFacts):
    """What a group proposes, edits or imports: validated before anything is stored."""

    nom: str = Field(min_length=2, max_length=NAME_MAX, title="Nom du projet")
    publics: frozenset[Public] = Field(default=frozenset(), title="Publics accueillis")
    espaces_partages: frozenset[EspacePartage] = Field(default=frozenset(), title="Espaces partagés")
    description: str = Field(default="", max_length=DESCRIPTION_MAX, title="Description")
    contact: str | None = Field(default=None, max_length=CONTACT_MAX, title="Contact public (courriel, téléphone)")

    @field_validator("contact", mode="before")
    @classmethod
    def _blank_contact(cls, value: object) -> object:
        return _none_if_blank(value)

    @property
    def facts(self) -> ProjectFacts:
        return ProjectFacts.model_validate(self.model_dump(include=set(ProjectFacts.model_fields)))


class PendingRevision(BaseModel):
    nom: str
    code_insee: str
    commune: str
    etape: Etape
    proposed_by: int
    guild_id: int | None
    locale: str


# What the national database owns of a record it feeds; the rest (initiative, publics, shared spaces,
# public contact, référents) is kept as the groups fill it in on Discord.
SOURCE_FIELDS = ("nom", "code_insee", "etape", "forme_juridique", "logements", "recrute", "description", "site")


def source_fingerprint(draft: ProjectDraft) -> str:
    """What the national database says of a record, as one short value: equal when nothing it owns changed."""
    owned = draft.model_dump(mode="json", include=set(SOURCE_FIELDS))
    return hashlib.sha256(json.dumps(owned, sort_keys=True).encode()).hexdigest()[:32]


class ProjectSource(BaseModel):
    """Where an imported record comes from: a Bazar site, the entry's id there, its public page and
    its last update at the source."""

    model_config = ConfigDict(frozen=True)

    site: str
    entry_id: str
    page_url: str | None = None
    updated_at: str | None = None
    retired: bool = False


class Project(ProjectDraft):
    id: int
    commune: str
    departement: str
    region: str
    lat: float | None
    lon: float | None
    statut: ProjectStatus
    guild_id: int | None
    proposed_by: int | None
    locale: str = "fr"  # the proposer's language (French when imported)
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime
    recrute_confirmed_at: datetime | None
    referents: tuple[int, ...] = ()
    pending: PendingRevision | None = None
    source: ProjectSource | None = None

    @property
    def published(self) -> bool:
        return self.statut is ProjectStatus.publie

    @property
    def awaits_moderation(self) -> bool:
        """A new project, or a change of a published one, that a moderator has not settled yet."""
        return self.statut is ProjectStatus.en_attente or (self.published and self.pending is not None)

    def editable_by(self, user_id: int, moderator: bool) -> bool:
        """Its référents and the server's moderators keep a record up to date."""
        return moderator or user_id in self.referents

    def unconfirmed_since(self, now: datetime) -> datetime | None:
        """When the record was last confirmed, if that is more than a year ago."""
        return unconfirmed_since(self.confirmed_at, now)

    @property
    def draft(self) -> ProjectDraft:
        return ProjectDraft.model_validate(self.model_dump(include=set(ProjectDraft.model_fields)))


def unconfirmed_since(confirmed_at: datetime, now: datetime) -> datetime | None:
    return confirmed_at if now - confirmed_at > STALE_AFTER else None


@dataclass(frozen=True, slots=True)
class ProjectSummary:
    """What a page of search results and its map show of a published project, and what a household's suggestions
    score (`Recruiting`), kept in the projects' index."""

    id: int
    nom: str
    commune: str
    departement: str
    lat: float | None
    lon: float | None
    etape: Etape
    forme_juridique: FormeJuridique
    recrute: bool
    logements: int | None
    public_mask: int  # bit i: the i-th member of Public, as the row holds them (migration 0024)
    space_mask: int
    excerpt: str  # the description's start, on one line (EXCERPT characters at most)
    confirmed_at: datetime

    @property
    def published(self) -> bool:
        return True  # the index holds the published projects only

    @property
    def publics(self) -> frozenset[Public]:
        return members_of(self.public_mask, Public)

    @property
    def espaces_partages(self) -> frozenset[EspacePartage]:
        return members_of(self.space_mask, EspacePartage)

    def unconfirmed_since(self, now: datetime) -> datetime | None:
        return unconfirmed_since(self.confirmed_at, now)


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
class StaleRecord:
    """A published record whose référents are to be asked `question` about what they confirmed `since`."""

    project_id: int
    question: Question
    since: datetime
    guild_id: int | None


@dataclass(frozen=True)
class Referent:
    user_id: int
    locale: str


@dataclass(frozen=True)
class Submitted:
    """A proposal or an edit, saved: `waits` when a moderator must settle it, `queued` when its card
    is on its way to the moderation channel (False: the server has none)."""

    project: Project
    waits: bool
    queued: bool


@dataclass(frozen=True)
class Relayed:
    """A member's message to a project's référents: how many received it, and what the record gives
    to reach the project otherwise."""

    delivered: int
    site: str | None
    contact: str | None


@dataclass(frozen=True)
class SourceLink:
    """An imported record as a sync finds it: the fingerprint of what the source said when last imported,
    the source's version waiting for the moderators (JSON), whether it is retired."""

    project_id: int
    entry_id: str
    fingerprint: str
    conflict: str | None
    retired: bool


@dataclass(frozen=True)
class SiteState:
    """Where the scheduled sync stands with a site: its validators for a conditional read, its last run."""

    etag: str | None
    last_modified: str | None
    last_run_at: datetime | None


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0

    def add(self, other: ImportReport) -> None:
        self.created += other.created
        self.updated += other.updated
        self.unchanged += other.unchanged
