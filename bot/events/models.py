"""The agenda's models: an event, its workshops (sessions), a household's registration."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypedDict
from urllib.parse import urlencode

from pydantic import BaseModel, ConfigDict, Field, model_validator

from bot.vocabulary import EventKind

MAX_SEATS = 20


class Signup(TypedDict, total=False):
    """Who a registration is for and how, besides its seats; the store gives the defaults (a member,
    reminded, in French, by themself)."""

    user_id: int | None
    guest_name: str | None
    session_id: int | None
    remind: bool
    locale: str
    registered_by: int | None


class EventStatus(StrEnum):
    planned = "prevu"
    cancelled = "annule"


class RegistrationStatus(StrEnum):
    confirmed = "inscrit"
    waiting = "attente"


class EventDraft(BaseModel):
    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    guild_id: int
    kind: EventKind
    title: str = Field(min_length=3, max_length=100, title="titre")
    description: str = Field(default="", max_length=1000, title="description")
    starts_at: datetime = Field(title="debut")
    ends_at: datetime = Field(title="fin")
    code_insee: str | None = Field(default=None, max_length=5, title="commune")
    address: str | None = Field(default=None, min_length=3, max_length=200, title="adresse")  # in the commune
    online_url: str | None = Field(default=None, max_length=300, title="lien")
    capacity: int | None = Field(default=None, ge=1, le=100_000, title="capacite")
    organiser_id: int
    # An event of an association's calendar feed may name its place in free text, or not at all.
    place_text: str | None = Field(default=None, max_length=300, title="lieu")
    project_id: int | None = Field(default=None, title="projet")  # an open day of this project

    @model_validator(mode="after")
    def _coherent(self) -> EventDraft:
        if self.ends_at <= self.starts_at:
            raise ValueError("la fin doit venir après le début")
        if self.code_insee is None and self.online_url is None and self.place_text is None:
            raise ValueError("indiquez une commune ou un lien")
        if self.address is not None and self.code_insee is None:
            raise ValueError("une adresse va avec sa commune")
        if self.online_url is not None and not self.online_url.startswith(("https://", "http://")):
            raise ValueError("le lien doit commencer par https://")
        return self


class Event(EventDraft):
    id: int
    commune: str | None
    departement: str | None
    region: str | None
    lat: float | None
    lon: float | None
    series_id: int | None
    status: EventStatus
    cancel_reason: str | None
    discord_event_id: int | None
    announce_channel_id: int | None
    announce_message_id: int | None
    # From an association's calendar feed (bot/sources/feed_service.py): the association, the feed's own
    # registration link, and whether members may also register in the bot.
    source_name: str | None = None
    registration_url: str | None = None
    signup: bool = True
    project_name: str | None = None
    seats_taken: int = 0
    waiting: int = 0
    interested: int = 0  # « Intéressé·e », counted apart: no seat taken

    @property
    def cancelled(self) -> bool:
        return self.status is EventStatus.cancelled

    @property
    def seats_left(self) -> int | None:
        return None if self.capacity is None else max(0, self.capacity - self.seats_taken)

    @property
    def place(self) -> str:
        """As lists, calendar files and Discord's event show it: the address in its commune, or the link."""
        if self.commune:
            town = f"{self.commune} ({self.departement})"
            return f"{self.address}, {town}" if self.address else town
        return self.online_url or self.place_text or ""

    @property
    def where(self) -> str:
        """Where to go: the address in its commune, or the place as a feed names it ("" when only online)."""
        return self.place if self.commune else self.place_text or ""

    @property
    def map_url(self) -> str | None:
        """An OpenStreetMap search for the address in its commune: built here, nothing is looked up."""
        if not self.address or not self.commune:
            return None
        return "https://www.openstreetmap.org/search?" + urlencode({"query": f"{self.address}, {self.commune}"})


class SessionDraft(BaseModel):
    """A workshop as the organiser typed it (the option names are the fields' titles)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=100, title="titre")
    starts_at: datetime = Field(title="debut")
    ends_at: datetime = Field(title="fin")
    place: str | None = Field(default=None, max_length=100, title="lieu")
    capacity: int | None = Field(default=None, ge=1, le=10_000, title="capacite")

    @model_validator(mode="after")
    def _coherent(self) -> SessionDraft:
        if self.ends_at <= self.starts_at:
            raise ValueError("la fin doit venir après le début")
        return self


class Session(SessionDraft):
    id: int
    event_id: int
    seats_taken: int = 0


class Registration(BaseModel):
    id: int
    event_id: int
    session_id: int | None
    user_id: int | None
    guest_name: str | None
    seats: int
    status: RegistrationStatus
    remind: bool
    locale: str
    registered_by: int | None
    dm_closed: bool
    created_at: datetime
    checked_in_at: datetime | None = None  # present at the venue (check-in)
    confirmed_at: datetime | None = None  # « Je viens toujours », after a change of date or place

    @property
    def waiting(self) -> bool:
        return self.status is RegistrationStatus.waiting


class Interest(BaseModel):
    """« Intéressé·e »: a member who follows an event without taking a seat."""

    event_id: int
    user_id: int
    remind: bool
    locale: str | None
    created_at: datetime
    confirmed_at: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    """What a registration did: the event (without its head counts), the member's row, their place in
    line if waiting, and who moved up."""

    event: Event
    registration: Registration
    position: int | None
    promoted: tuple[Registration, ...]
    created: bool


@dataclass(frozen=True)
class EventChanges:
    """What an organiser changes in an event; None leaves a field as it is."""

    title: str | None = None
    description: str | None = None
    starts_at: datetime | None = None
    ends_at: datetime | None = None
    code_insee: str | None = None
    address: str | None = None
    online_url: str | None = None
    capacity: int | None = None


@dataclass(frozen=True)
class Manager:
    """Who asks to manage an event, with what the Discord layer knows of them on the server they act
    from: whether they hold its organiser role, whether they moderate it."""

    user_id: int
    guild_id: int | None
    organiser: bool
    moderator: bool

    def may_manage(self, event: Event) -> bool:
        """The event's own organiser (still an organiser), or a moderator of the event's server."""
        own = event.organiser_id == self.user_id and self.organiser
        return own or (event.guild_id == self.guild_id and self.moderator)


@dataclass(frozen=True)
class Roster:
    """An event's registrations for its organiser: confirmed first, then the waiting list in order."""

    event: Event
    registrations: tuple[Registration, ...]
    sessions: tuple[Session, ...]


@dataclass(frozen=True)
class EventFilters:
    kind: EventKind | None = None
    departement: str | None = None
    departements: tuple[str, ...] | None = None
    region: str | None = None  # its code: events whose place is no commune keep their feed's région
    online: bool | None = None
    user_id: int | None = None  # "mes inscriptions"
    near: tuple[float, float] | None = None
    radius_km: float = 30.0
