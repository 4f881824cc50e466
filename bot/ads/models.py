"""Small ads' models: what a member publishes, an ad as stored, a report, the filters of a search."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.text import fold
from bot.vocabulary import AdCategory

DURATIONS = (30, 60, 90)
NOTICE_BEFORE = timedelta(days=3)
LEASE = timedelta(seconds=60)
PRICED = frozenset({AdCategory.logement, AdCategory.foncier})
LIVE = ("publiee", "en_moderation")
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_WORD = re.compile(r"\w", re.UNICODE)


class AdDraft(BaseModel):
    """What a member publishes, validated before anything is stored."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    category: AdCategory
    departement: str
    title: str = Field(min_length=3, max_length=100)
    body: str = Field(min_length=10, max_length=3000)
    code_insee: str | None = None
    price: int | None = Field(default=None, ge=0, le=100_000_000)
    duration_days: int = 60

    @field_validator("duration_days")
    @classmethod
    def _known_duration(cls, value: int) -> int:
        if value not in DURATIONS:
            raise ValueError("une annonce dure 30, 60 ou 90 jours")
        return value

    @field_validator("body")
    @classmethod
    def _not_only_a_link(cls, value: str) -> str:
        if not _WORD.search(_URL.sub("", value)):
            raise ValueError(
                "une annonce ne peut pas être seulement un lien : dites en quelques mots de quoi il s'agit"
            )
        return value


def body_key(title: str, body: str) -> str:
    """What makes two ads "the same word for word": folded title and text."""
    return fold(f"{title} {body}")


class Ad(BaseModel):
    id: int
    author_id: int
    guild_id: int
    category: AdCategory
    departement: str
    region: str
    code_insee: str | None
    commune: str | None
    title: str
    body: str
    price: int | None
    status: str
    closed_reason: str | None
    created_at: datetime
    expires_at: datetime
    renewed_count: int
    forum_channel_id: int | None
    thread_id: int | None
    locale: str = "fr"

    @property
    def live(self) -> bool:
        return self.status in LIVE


@dataclass(frozen=True)
class Report:
    id: int
    ad_id: int
    reporter_id: int
    reason: str
    status: str


@dataclass(frozen=True)
class AdFilters:
    texte: str | None = None
    category: AdCategory | None = None
    departement: str | None = None
    departements: tuple[str, ...] | None = None
    author_id: int | None = None
