"""Small ads' models: the form as typed, what a member publishes, an ad as stored, a report, the filters
of a search."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from bot.text import fold
from bot.vocabulary import AdCategory

DURATIONS = (30, 60, 90)
DEFAULT_DURATION = 60
NOTICE_BEFORE = timedelta(days=3)
PRICED = frozenset({AdCategory.logement, AdCategory.foncier})
MAX_PRICE = 100_000_000
# What the form lets a member type, and what the bot accepts: checked again before storage.
TITLE_MAX = 100
BODY_MAX = 3000
COMMUNE_MAX = 100
PRICE_TYPED_MAX = 40
MESSAGE_MAX = 1500  # a reply to an ad, relayed to its author
REASON_MAX = 500  # a report, or a moderator's reason
_URL = re.compile(r"https?://\S+", re.IGNORECASE)
_WORD = re.compile(r"\w", re.UNICODE)


class AdStatus(StrEnum):
    published = "publiee"
    in_moderation = "en_moderation"
    withdrawn = "retiree"
    filled = "pourvue"
    expired = "expiree"
    removed = "supprimee"


LIVE = (AdStatus.published, AdStatus.in_moderation)


class ReportStatus(StrEnum):
    open = "ouvert"
    kept = "garde"
    removed = "supprime"


# ----------------------------------------------------------------- prices as people type them

# Words around an amount that change nothing to it: the currency, the period, charges, "about".
_PRICE_NOISE = re.compile(
    r"€|\beuros?\b|\beur\b|/\s*(?:mois|month|an|year|m)\b|\b(?:par|per|a)\s+(?:mois|month|an|year)\b"
    r"|\bmensuel(?:le)?s?\b|\bmonthly\b|\bcharges?\s+comprises?\b|\b[ch]c\b|\bttc\b|\benviron\b|\benv\b\.?"
    r"|\babout\b|~|≈"
)
_GROUPING = re.compile(r"(?<=[0-9])[ '’](?=[0-9])")
_MULTIPLIERS = {"k": 1_000, "m": 1_000_000}
_AMOUNTS = (
    re.compile(r"(?P<whole>[0-9]{1,3}(?:\.[0-9]{3})+)(?:,(?P<cents>[0-9]{1,2}))?"),  # 1.200,50
    re.compile(r"(?P<whole>[0-9]{1,3}(?:,[0-9]{3})+)(?:\.(?P<cents>[0-9]{1,2}))?"),  # 1,200.50
    re.compile(r"(?P<whole>[0-9]+)(?:[.,](?P<cents>[0-9]{1,2}))?"),  # 1200,50 or 1200.5
)
PRICE_EXPECTED = "un montant en euros est attendu, par exemple 650 ou 650 €/mois"


def parse_price(typed: str) -> int | None:
    """Euros as people write them ("650", "650 €", "650 €/mois", "1 200,50", "150k€"), rounded to the
    euro; None when nothing was typed. Anything else (a range, words) raises ValueError."""
    text = " ".join(_PRICE_NOISE.sub(" ", typed.casefold()).split())  # every kind of space becomes one
    text = _GROUPING.sub("", text)
    if not text:
        return None
    multiplier = 1
    if text[-1] in _MULTIPLIERS and len(text) > 1:
        multiplier = _MULTIPLIERS[text[-1]]
        text = text[:-1].rstrip()
    for pattern in _AMOUNTS:
        match = pattern.fullmatch(text)
        if match:
            whole = int(match["whole"].replace(".", "").replace(",", ""))
            hundredths = (whole * 100 + int((match["cents"] or "0").ljust(2, "0"))) * multiplier
            return (hundredths + 50) // 100  # to the nearest euro, halves up
    raise ValueError(PRICE_EXPECTED)


# ----------------------------------------------------------------- the form and the draft


@dataclass(frozen=True)
class AdForm:
    """The ad form as the member typed it, kept whole: a refused form is given back exactly so."""

    category: AdCategory
    departement: str
    title: str = ""
    body: str = ""
    commune: str = ""
    price: str = ""
    duration_days: int = DEFAULT_DURATION

    @property
    def priced(self) -> bool:
        return self.category in PRICED


class AdDraft(BaseModel):
    """What a member publishes, validated before anything is stored. Titles are the form's labels."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    category: AdCategory
    departement: str = Field(max_length=3)
    title: str = Field(min_length=3, max_length=TITLE_MAX, title="Titre")
    body: str = Field(min_length=10, max_length=BODY_MAX, title="Texte de l'annonce")
    code_insee: str | None = Field(default=None, max_length=5)
    price: int | None = Field(default=None, ge=0, le=MAX_PRICE, title="Prix ou budget en € (facultatif)")
    duration_days: int = Field(default=DEFAULT_DURATION, title="Durée de l'annonce")

    @field_validator("price", mode="before")
    @classmethod
    def _typed_price(cls, value: object) -> object:
        if isinstance(value, str):
            if len(value) > PRICE_TYPED_MAX:
                raise ValueError(PRICE_EXPECTED)
            return parse_price(value)
        return value

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
    status: AdStatus
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
    status: ReportStatus


@dataclass(frozen=True)
class AdFilters:
    texte: str | None = None
    category: AdCategory | None = None
    departement: str | None = None
    departements: tuple[str, ...] | None = None
    author_id: int | None = None
