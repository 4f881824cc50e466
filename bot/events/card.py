"""An event's card: how an event is shown on its own (when, where, seats left)."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.dates import format_time, format_when
from bot.events.models import Event, Session
from bot.i18n import gettext
from bot.vocabulary import EventKind

KIND_EMOJI = {
    EventKind.pleniere: "🗣️",
    EventKind.jpo: "🚪",
    EventKind.rnhp: "🇫🇷",
    EventKind.atelier: "🛠️",
    EventKind.visite: "🏡",
    EventKind.reunion_publique: "📣",
    EventKind.webinaire: "💻",
    EventKind.autre: "📅",
}


def when_text(event: Event | Session, zone: ZoneInfo, locale: str | None) -> str:
    same_day = event.starts_at.astimezone(zone).date() == event.ends_at.astimezone(zone).date()
    end = format_time(event.ends_at, zone, locale) if same_day else format_when(event.ends_at, zone, locale)
    return gettext("{debut} → {fin}", locale, debut=format_when(event.starts_at, zone, locale), fin=end)


def seats_text(event: Event, locale: str | None) -> str | None:
    if event.capacity is None:
        return None
    text = gettext("{libres} place(s) libre(s) sur {total}", locale, libres=event.seats_left, total=event.capacity)
    if event.waiting:
        text += " · " + gettext("{n} en attente", locale, n=event.waiting)
    return text
