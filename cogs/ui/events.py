"""How events look on Discord: the card, list pages, participants, confirmations."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import discord

from bot.dates import format_when
from bot.events.card import KIND_EMOJI, seats_text, when_text
from bot.events.models import Event, Registration, Session
from bot.i18n import gettext
from bot.vocabulary import label

COLOUR = discord.Colour.from_rgb(21, 101, 192)
PER_PAGE = 5


def event_embed(event: Event, zone: ZoneInfo, locale: str | None, sessions: Sequence[Session] = ()) -> discord.Embed:
    title = f"{KIND_EMOJI[event.kind]} {event.title}"
    if event.cancelled:
        title = gettext("ANNULÉ", locale) + f" — {title}"
    embed = discord.Embed(title=title[:256], description=event.description or None, colour=COLOUR)
    embed.add_field(name=gettext("Quand", locale), value=when_text(event, zone, locale), inline=False)
    if event.commune:
        embed.add_field(name=gettext("Où", locale), value=event.place)
    if event.online_url:
        embed.add_field(name=gettext("En ligne", locale), value=event.online_url)
    embed.add_field(name=gettext("Type", locale), value=gettext(label(event.kind), locale))
    seats = seats_text(event, locale)
    if seats:
        embed.add_field(name=gettext("Places", locale), value=seats)
    embed.add_field(name=gettext("Organisé par", locale), value=f"<@{event.organiser_id}>")
    for session in sessions[:10]:
        detail = when_text(session, zone, locale)
        if session.place:
            detail += f" · {session.place}"
        if session.capacity:
            detail += " · " + gettext(
                "{n}/{total} places prises", locale, n=session.seats_taken, total=session.capacity
            )
        embed.add_field(name=f"🛠️ {session.title}"[:256], value=detail[:1024], inline=False)
    if event.cancelled and event.cancel_reason:
        embed.add_field(name=gettext("Raison de l'annulation", locale), value=event.cancel_reason[:1024], inline=False)
    embed.set_footer(text=gettext("Événement n° {id}", locale, id=event.id))
    return embed


def list_embed(events: Sequence[Event], zone: ZoneInfo, locale: str | None, *, page: int, total: int) -> discord.Embed:
    embed = discord.Embed(title=gettext("Agenda de l'habitat participatif", locale), colour=COLOUR)
    embed.description = gettext("{n} événement(s) à venir", locale, n=total)
    for number, event in enumerate(events, start=page * PER_PAGE + 1):
        parts = [format_when(event.starts_at, zone, locale), event.place]
        seats = seats_text(event, locale)
        if seats:
            parts.append(seats)
        embed.add_field(
            name=f"{number}. {KIND_EMOJI[event.kind]} {event.title}"[:256],
            value=(" · ".join(parts) + "\n" + gettext("n° {id}", locale, id=event.id))[:1024],
            inline=False,
        )
    return embed


def participants_embed(
    event: Event, registrations: Sequence[Registration], names: dict[int, str], locale: str | None
) -> discord.Embed:
    embed = discord.Embed(title=gettext("Participants — {titre}", locale, titre=event.title)[:256], colour=COLOUR)
    confirmed = [r for r in registrations if not r.waiting]
    waiting = [r for r in registrations if r.waiting]
    seats = sum(r.seats for r in confirmed)
    embed.description = gettext("{n} personne(s) inscrite(s), {m} foyer(s) en attente", locale, n=seats, m=len(waiting))

    def line(registration: Registration) -> str:
        who = names.get(registration.user_id or 0) or registration.guest_name or gettext("(anonyme)", locale)
        return f"{who} — {registration.seats}"

    for title, group in ((gettext("Inscrits", locale), confirmed), (gettext("Liste d'attente", locale), waiting)):
        if group:
            text = "\n".join(f"{i}. {line(r)}" for i, r in enumerate(group, start=1))
            embed.add_field(name=title, value=text[:1024], inline=False)
    return embed


def interaction_locale(interaction: discord.Interaction[Any]) -> str:
    return interaction.locale.value
