"""How events look on Discord and what they are there: list pages, the participants' list and file,
the event option (a number or a title, with its autocomplete) and the Discord
scheduled events kept in step with the agenda. The card itself is written by the core
(bot/events/card.py) and posted by the ledger."""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from bot.client import HabitatBot, bot_of
from bot.dates import discord_time, format_when
from bot.errors import Plural, UserError
from bot.events.card import KIND_EMOJI, seats_text
from bot.events.models import Event, EventFilters, Manager, Registration, Roster
from bot.events.venue import venue_csv
from bot.geo import Commune, Departement, Region
from bot.i18n import gettext, ngettext
from bot.limits import (
    CHOICE_NAME,
    EMBED_FIELD_NAME,
    EMBED_FIELD_VALUE,
    EMBED_TITLE,
    SCHEDULED_EVENT_DESCRIPTION,
    SCHEDULED_EVENT_LOCATION,
    clip,
)
from bot.projects.models import Project
from bot.vocabulary import EventKind
from cogs.ui.members import is_moderator, is_organiser
from cogs.ui.text import fit
from cogs.ui.transformers import server_zone

log = logging.getLogger(__name__)

COLOUR = discord.Colour.from_rgb(21, 101, 192)
PER_PAGE = 5


def list_embed(events: Sequence[Event], zone: ZoneInfo, locale: str | None, *, page: int, total: int) -> discord.Embed:
    embed = discord.Embed(title=gettext("Agenda de l'habitat participatif", locale), colour=COLOUR)
    embed.description = ngettext("{n} événement à venir", "{n} événements à venir", total, locale)
    for number, event in enumerate(events, start=page * PER_PAGE + 1):
        parts = [discord_time(event.starts_at), event.place]
        seats = seats_text(event, locale)
        if seats:
            parts.append(seats)
        if event.source_name:
            parts.append(gettext("agenda de {association}", locale, association=event.source_name))
        embed.add_field(
            name=clip(f"{number}. {KIND_EMOJI[event.kind]} {event.title}", EMBED_FIELD_NAME),
            value=clip(" · ".join(parts) + "\n" + gettext("n° {id}", locale, id=event.id), EMBED_FIELD_VALUE),
            inline=False,
        )
    return embed


def list_filters(
    interaction: discord.Interaction[Any],
    kind: str | None,
    region: Region | None,
    departement: Departement | None,
    online: bool | None,
    mine: bool,
    near: Commune | None,
    radius_km: int,
) -> EventFilters:
    """/evenement liste's options as the store's filters."""
    return EventFilters(
        kind=EventKind(kind) if kind else None,
        departement=departement.code if departement else None,
        departements=region.departements if region else None,
        region=bot_of(interaction).geo.region_today(region) if region else None,
        online=online,
        user_id=interaction.user.id if mine else None,
        near=(near.lat, near.lon) if near and near.lat is not None and near.lon is not None else None,
        radius_km=float(radius_km),
    )


# ---------------------------------------------------------------------- the organiser's list


def member_names(guild: discord.Guild | None, roster: Roster) -> dict[int, str]:
    names: dict[int, str] = {}
    for registration in roster.registrations:
        if registration.user_id is not None:
            member = guild.get_member(registration.user_id) if guild else None
            names[registration.user_id] = member.display_name if member else str(registration.user_id)
    return names


def participants_embed(roster: Roster, names: dict[int, str], locale: str | None) -> discord.Embed:
    main = [r for r in roster.registrations if r.session_id is None]
    title = gettext("Participants — {titre}", locale, titre=roster.event.title)
    embed = discord.Embed(title=clip(title, EMBED_TITLE), colour=COLOUR)
    confirmed = [r for r in main if not r.waiting]
    waiting = [r for r in main if r.waiting]
    seats = sum(r.seats for r in confirmed)
    embed.description = gettext(
        "{inscrits}, {attente}",
        locale,
        inscrits=Plural("{n} personne inscrite", "{n} personnes inscrites", seats),
        attente=Plural("{n} foyer en attente", "{n} foyers en attente", len(waiting)),
    )
    if roster.event.capacity is not None:
        taken = gettext(
            "Places prises : {prises} sur {capacite}.", locale, prises=seats, capacite=roster.event.capacity
        )
        embed.description += "\n" + taken
    if roster.event.interested:  # counted apart: no seat taken
        interested = ngettext("{n} intéressé·e", "{n} intéressé·e·s", roster.event.interested, locale)
        embed.description += "\n👀 " + interested
    present = sum(r.seats for r in confirmed if r.checked_in_at)
    if present:
        embed.description += "\n" + ngettext("{n} personne présente", "{n} personnes présentes", present, locale)

    def line(registration: Registration) -> str:
        who = names.get(registration.user_id or 0) or registration.guest_name or gettext("(anonyme)", locale)
        return f"{who} — {registration.seats}"

    for heading, group in ((gettext("Inscrits", locale), confirmed), (gettext("Liste d'attente", locale), waiting)):
        if group:
            text = "\n".join(f"{i}. {line(r)}" for i, r in enumerate(group, start=1))
            embed.add_field(name=heading, value=clip(text, EMBED_FIELD_VALUE), inline=False)
    return embed


async def send_participants(interaction: discord.Interaction[Any], event: Event) -> None:
    """/evenement participants: the summary and the CSV for the venue. A plenary lists thousands: the
    answer is deferred, names come from the server's member cache (no request per member), and the file
    is written off the event loop, so other members are answered meanwhile."""
    by = await manager(interaction)
    await interaction.response.defer(ephemeral=True, thinking=True)
    venue = await bot_of(interaction).core.questions.venue_list(event.id, by=by)
    names = member_names(interaction.guild, venue.roster)
    data = await asyncio.to_thread(venue_csv, venue, names, await server_zone(interaction))
    await interaction.followup.send(
        embed=fit(participants_embed(venue.roster, names, interaction.locale.value)),
        file=discord.File(io.BytesIO(data), filename=f"participants-{event.id}.csv"),
        ephemeral=True,
    )


# ---------------------------------------------------------------------- the event option


class EventTransformer(app_commands.Transformer):
    """An event by its number or by a title only one coming event holds; the autocomplete offers
    the coming events whose title holds what is typed."""

    @property
    def max_value(self) -> int:
        return 100

    async def transform(self, interaction: discord.Interaction[Any], value: str, /) -> Event:
        return await bot_of(interaction).events.find(value)

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: str, /
    ) -> list[app_commands.Choice[str]]:
        zone, locale = await server_zone(interaction), interaction.locale.value
        return [
            app_commands.Choice(
                name=clip(f"{e.title} — {format_when(e.starts_at, zone, locale)}", CHOICE_NAME), value=str(e.id)
            )
            for e in await bot_of(interaction).events.titles_like(value)
        ]


EventOption = app_commands.Transform[Event, EventTransformer]


async def ensure_may_attach(interaction: discord.Interaction[Any], project: Project) -> None:
    """An event joins a project (an open day) when its référents or the server's moderators say so."""
    settings = await bot_of(interaction).guild_settings.get(interaction.guild_id or 0)
    if not project.published:
        raise UserError("Le projet « {projet} » attend encore la validation d'un modérateur.", projet=project.nom)
    if not project.editable_by(interaction.user.id, is_moderator(interaction.user, settings)):
        raise UserError(
            "Seuls les référents du projet « {projet} » et les modérateurs peuvent y rattacher un événement.",
            projet=project.nom,
        )


async def manager(interaction: discord.Interaction[Any]) -> Manager:
    """The member as the core needs to know them to let them manage an event: their roles here."""
    settings = await bot_of(interaction).guild_settings.get(interaction.guild_id or 0)
    user = interaction.user
    return Manager(user.id, interaction.guild_id, is_organiser(user, settings), is_moderator(user, settings))


# ---------------------------------------------------------------------- Discord scheduled events


class ScheduledEvents:
    """Each coming event has its Discord scheduled event. It is not a message, so not a row of the
    ledger: it is made after the organiser is answered, and whatever a failure or a crash left
    without one is made when the bot starts again. Discord's list is read first, so one made just
    before a crash is found by its name and time, not made twice."""

    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        self._locks: dict[int, asyncio.Lock] = {}

    async def ensure(self, guild: discord.Guild) -> int:
        """Make the missing ones of a server; returns how many events have theirs now."""
        async with self._locks.setdefault(guild.id, asyncio.Lock()):
            missing = await self.bot.events.without_discord_event(guild.id)
            if not missing:
                return 0
            try:
                existing = {(s.name, s.start_time): s.id for s in await guild.fetch_scheduled_events()}
            except discord.HTTPException as error:
                log.warning("événements Discord de %s illisibles : %s", guild.id, error)
                return 0
            done = 0
            for event in missing:
                scheduled_id = existing.get((event.title, event.starts_at)) or await self._create(guild, event)
                if scheduled_id is not None:
                    await self.bot.events.set_discord_event(event.id, scheduled_id)
                    done += 1
            return done

    async def _create(self, guild: discord.Guild, event: Event) -> int | None:
        try:
            scheduled = await guild.create_scheduled_event(
                name=event.title,
                start_time=event.starts_at,
                end_time=event.ends_at,
                entity_type=discord.EntityType.external,
                privacy_level=discord.PrivacyLevel.guild_only,
                location=clip(event.place, SCHEDULED_EVENT_LOCATION),
                description=clip(event.description, SCHEDULED_EVENT_DESCRIPTION) or discord.utils.MISSING,
            )
        except discord.HTTPException as error:
            log.warning("événement Discord non créé pour %s : %s", event.id, error)
            return None
        return scheduled.id

    async def follow(self, event: Event) -> None:
        """After a change or a cancellation: the scheduled event says the same."""
        guild = self.bot.get_guild(event.guild_id)
        if guild is None:
            return
        if event.discord_event_id is None:
            await self.ensure(guild)
            return
        try:
            scheduled = guild.get_scheduled_event(event.discord_event_id) or await guild.fetch_scheduled_event(
                event.discord_event_id
            )
            if event.cancelled:
                await scheduled.cancel()
            else:
                await scheduled.edit(
                    name=event.title,
                    start_time=event.starts_at,
                    end_time=event.ends_at,
                    location=clip(event.place, SCHEDULED_EVENT_LOCATION),
                    description=clip(event.description, SCHEDULED_EVENT_DESCRIPTION),
                )
        except discord.HTTPException as error:
            log.warning("événement Discord %s non synchronisé : %s", event.discord_event_id, error)
