"""An event's card: the announcement posted in the server's announcement channel, with its
« S'inscrire » button, and rewritten as seats are taken, the event changes or is cancelled. It is
written when it is sent, from the rows as they are then (bot/outbox.py)."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.dates import discord_time, format_time, format_when
from bot.errors import Plural
from bot.events.models import Event, Session
from bot.i18n import command_path, gettext, ngettext, translate_name
from bot.notify import Button, Outgoing
from bot.vocabulary import EventKind, label

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
SESSIONS_SHOWN = 10  # the national meetings run dozens of workshops: the card names the first ones


def when_text(event: Event | Session, zone: ZoneInfo, locale: str | None) -> str:
    same_day = event.starts_at.astimezone(zone).date() == event.ends_at.astimezone(zone).date()
    end = format_time(event.ends_at, zone, locale) if same_day else format_when(event.ends_at, zone, locale)
    return gettext("{debut} → {fin}", locale, debut=format_when(event.starts_at, zone, locale), fin=end)


def seats_text(event: Event, locale: str | None) -> str | None:
    left = event.seats_left
    if left is None:  # no capacity
        return None
    text = gettext(
        "{libres} sur {total}",
        locale,
        libres=Plural("{n} place libre", "{n} places libres", left),
        total=event.capacity,
    )
    if event.waiting:
        text += " · " + gettext("{n} en attente", locale, n=event.waiting)
    return text


def session_text(session: Session, zone: ZoneInfo, locale: str | None) -> str:
    detail = when_text(session, zone, locale)
    if session.place:
        detail += f" · {session.place}"
    if session.capacity:
        detail += " · " + gettext("{n}/{total} places prises", locale, n=session.seats_taken, total=session.capacity)
    return f"🛠️ {session.title} — {detail}"


def project_command(event: Event, locale: str | None) -> str:
    """How to open the card of the event's project, as the member types it."""
    option = translate_name("projet fiche projet", locale) or "projet"
    return f"`/{command_path('projet fiche', locale)} {option}:{event.project_id}`"


def card(event: Event, sessions: Sequence[Session], zone: ZoneInfo, locale: str | None) -> Outgoing:
    """What, when (in the server's zone, and in each reader's own), where (with a map), seats left,
    interested members and workshops; « S'inscrire » and « Intéressé·e » until it is cancelled."""
    title = f"{KIND_EMOJI[event.kind]} {event.title}"
    if event.cancelled:
        title = gettext("ANNULÉ", locale) + f" — {title}"
    lines = [event.description, ""] if event.description else []
    lines.append(gettext("Quand : {quand}", locale, quand=when_text(event, zone, locale)))
    lines.append(gettext("🕒 Dans votre fuseau : {quand}", locale, quand=discord_time(event.starts_at)))
    if event.commune:
        lines.append(gettext("Où : {lieu}", locale, lieu=event.where))
        if event.map_url:
            lines.append(gettext("Plan : {lien}", locale, lien=event.map_url))
    elif event.place_text:
        lines.append(gettext("Où : {lieu}", locale, lieu=event.place_text))
    if event.online_url:
        lines.append(gettext("En ligne : {lien}", locale, lien=event.online_url))
    if event.registration_url:
        lines.append(gettext("Inscription : {lien}", locale, lien=event.registration_url))
    lines.append(gettext("Type : {type}", locale, type=gettext(label(event.kind), locale)))
    seats = seats_text(event, locale)
    if seats:
        lines.append(gettext("Places : {places}", locale, places=seats))
    if event.interested:
        lines.append("👀 " + ngettext("{n} intéressé·e", "{n} intéressé·e·s", event.interested, locale))
    if event.source_name:
        lines.append(gettext("Source : agenda de {association}", locale, association=event.source_name))
    else:
        lines.append(gettext("Organisé par {organisateur}", locale, organisateur=f"<@{event.organiser_id}>"))
    if event.project_name is not None:
        lines.append(
            gettext("Projet : {nom} — {fiche}", locale, nom=event.project_name, fiche=project_command(event, locale))
        )
    if sessions:
        lines.append("")
        lines.extend(session_text(session, zone, locale) for session in sessions[:SESSIONS_SHOWN])
    if event.cancelled and event.cancel_reason:
        lines += ["", gettext("Raison de l'annulation : {raison}", locale, raison=event.cancel_reason)]
    lines += ["", gettext("Événement n° {id}", locale, id=event.id)]
    signup = Button(gettext("S'inscrire", locale), f"evt:inscrire:{event.id}", "success")
    interest = Button(gettext("Intéressé·e", locale), f"evt:interesse:{event.id}")
    buttons = () if event.cancelled or not event.signup else (signup, interest)  # a feed's event may keep its own link
    return Outgoing(content="", title=title, lines=tuple(lines), buttons=buttons)
