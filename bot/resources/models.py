"""The resource centre's models: what a member proposes (the command's options, then the form), a
resource as stored, its file, and the filters of a search."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.resources.framework import PHASE, strand_of
from bot.vocabulary import Destinataire, Etape, Licence, Pas, Theme, TypeRessource, Volet

TITLE_MIN, TITLE_MAX = 3, 150
SUMMARY_MIN, SUMMARY_MAX = 10, 1500
AUTHOR_MAX = 200
LINK_MAX = 500
REASON_MAX = 1000  # a moderator's reason, sent to the proposer
FILE_MAX_BYTES = 8 * 1024 * 1024  # what the bot keeps of one file
SEARCH_LIMIT = 200
IMPORT_MAX_ROWS = 10_000
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?$")


class ResourceStatus(StrEnum):
    en_attente = "en_attente"  # proposed, waiting for a moderator
    publie = "publie"
    refuse = "refuse"


class Verdict(StrEnum):
    published = "published"
    refused = "refused"


def _none_if_blank(value: object) -> object:
    return None if isinstance(value, str) and not value.strip() else value


class ResourceFacts(BaseModel):
    """What the command's options give: checked before the form opens."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    theme: Theme = Field(title="theme")
    type: TypeRessource = Field(title="type")
    licence: Licence = Field(default=Licence.tous_droits_reserves, title="licence")
    etape: Etape | None = Field(default=None, title="phase")
    volet: Volet | None = Field(default=None, title="volet")
    pas: Pas | None = Field(default=None, title="pas")
    lien: str | None = Field(default=None, max_length=LINK_MAX, title="lien")
    exemple: bool = Field(default=False, title="exemple")

    @field_validator("lien", mode="before")
    @classmethod
    def _blank_link(cls, value: object) -> object:
        return _none_if_blank(value)

    @field_validator("lien")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not _URL.match(value):
            raise ValueError("le lien doit commencer par http:// ou https://")
        return value

    @model_validator(mode="after")
    def _step_in_its_strand(self) -> ResourceFacts:
        """A step belongs to one strand: given alone, it names its strand (and its usual phase when none
        is given); given with another strand, it is refused."""
        if self.pas is None:
            return self
        strand = strand_of(self.pas)
        if self.volet is not None and self.volet is not strand:
            raise ValueError("ce pas n'appartient pas à ce volet du référentiel")
        # Frozen: the strand and the usual phase of the step are filled in place, once, here.
        object.__setattr__(self, "volet", strand)
        if self.etape is None:
            object.__setattr__(self, "etape", PHASE[self.pas])
        return self


class ResourceDraft(ResourceFacts):
    """What a member proposes or a site imports: validated before anything is stored."""

    titre: str = Field(min_length=TITLE_MIN, max_length=TITLE_MAX, title="Titre")
    resume: str = Field(min_length=SUMMARY_MIN, max_length=SUMMARY_MAX, title="Résumé")
    auteur: str = Field(min_length=2, max_length=AUTHOR_MAX, title="Auteur ou source")
    date: str | None = Field(default=None, max_length=10, title="Date (AAAA, AAAA-MM ou AAAA-MM-JJ)")
    destinataires: frozenset[Destinataire] = Field(default=frozenset(), title="Pour qui")

    @field_validator("date", mode="before")
    @classmethod
    def _blank_date(cls, value: object) -> object:
        return _none_if_blank(value)

    @field_validator("date")
    @classmethod
    def _a_real_date(cls, value: str | None) -> str | None:
        if value is None:
            return None
        match = _DATE.match(value)
        if match is None:
            raise ValueError("une date s'écrit AAAA, AAAA-MM ou AAAA-MM-JJ, par exemple 2021-06")
        year, month, day = (int(part) if part else 1 for part in match.groups())
        try:
            date(year, month, day)
        except ValueError:
            raise ValueError("cette date n'existe pas") from None
        return value

    @property
    def facts(self) -> ResourceFacts:
        return ResourceFacts.model_validate(self.model_dump(include=set(ResourceFacts.model_fields)))


class FileInfo(BaseModel):
    """A file the bot keeps for a resource (its bytes are read apart: `StoredFile`)."""

    model_config = ConfigDict(frozen=True)

    filename: str
    content_type: str
    size: int


@dataclass(frozen=True)
class StoredFile:
    filename: str
    content_type: str
    data: bytes

    @property
    def info(self) -> FileInfo:
        return FileInfo(filename=self.filename, content_type=self.content_type, size=len(self.data))


class Resource(ResourceDraft):
    id: int
    statut: ResourceStatus
    guild_id: int | None
    proposed_by: int | None
    locale: str = "fr"
    created_at: datetime
    updated_at: datetime
    fichier: FileInfo | None = None

    @property
    def published(self) -> bool:
        return self.statut is ResourceStatus.publie

    def visible_to(self, user_id: int, moderator: bool) -> bool:
        """Published for everyone; waiting, for who proposed it and the moderators."""
        return self.published or moderator or (self.proposed_by == user_id and self.statut is ResourceStatus.en_attente)

    @property
    def draft(self) -> ResourceDraft:
        return ResourceDraft.model_validate(self.model_dump(include=set(ResourceDraft.model_fields)))


@dataclass(frozen=True)
class ResourceFilters:
    texte: str | None = None
    theme: Theme | None = None
    etape: Etape | None = None
    volet: Volet | None = None
    pas: Pas | None = None
    type: TypeRessource | None = None
    destinataire: Destinataire | None = None


@dataclass(frozen=True)
class Submitted:
    """A proposal saved: `queued` when its card is on its way to the moderation channel."""

    resource: Resource
    queued: bool


@dataclass(frozen=True)
class Post:
    """A published resource's post in one server's resources forum."""

    guild_id: int
    forum_id: int
    thread_id: int
