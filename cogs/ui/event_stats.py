"""`/evenement stats`: an event's figures for its organiser (bot/events/stats.py), as one embed."""

from __future__ import annotations

import io
from datetime import UTC, datetime, time
from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import bot_of
from bot.dates import format_day
from bot.events.stats import EventStats
from bot.limits import EMBED_TITLE, clip
from bot.pictures import drawn_bars
from bot.pictures.models import BarChart
from cogs.ui.checkin import attendance_text
from cogs.ui.events import COLOUR, EventOption, manager
from cogs.ui.text import fit, reply, t, tn

BAR = 20  # characters of the longest bar
REGIONS_SHOWN = 12
WEEKS_ZONE = ZoneInfo("UTC")  # weeks are counted in UTC (bot/events/stats.py)


def bars(rows: list[tuple[str, int]]) -> str:
    """Labels, a bar of █ in proportion to the largest count, the count: readable on a phone."""
    top = max((count for _, count in rows), default=0) or 1
    width = max((len(name) for name, _ in rows), default=0)
    return "\n".join(f"{name:<{width}} {'█' * round(BAR * count / top) or '·'} {count}" for name, count in rows)


def week_bars(interaction: discord.Interaction[Any], stats: EventStats) -> list[tuple[str, int]]:
    return [
        (format_day(datetime.combine(week, time(), UTC), WEEKS_ZONE, interaction.locale.value), count)
        for week, count in stats.weeks
    ]


def stats_charts(interaction: discord.Interaction[Any], stats: EventStats) -> list[BarChart]:
    """The picture's panels: registrations week by week, and attendance once someone has a seat."""
    panels = []
    if stats.weeks:
        panels.append(
            BarChart(t(interaction, "Inscriptions par semaine (semaine du…)"), tuple(week_bars(interaction, stats)))
        )
    seen = stats.attendance
    if seen.seated:
        panels.append(
            BarChart(
                t(interaction, "Présence (accueil)"),
                (
                    (t(interaction, "foyers inscrits"), seen.seated),
                    (t(interaction, "foyers présents"), seen.present),
                    (t(interaction, "personnes inscrites"), seen.seated_people),
                    (t(interaction, "personnes présentes"), seen.present_people),
                ),
            )
        )
    return panels


def stats_embed(interaction: discord.Interaction[Any], stats: EventStats) -> discord.Embed:
    embed = discord.Embed(
        title=clip(t(interaction, "Statistiques — {titre}", titre=stats.event.title), EMBED_TITLE), colour=COLOUR
    )
    seats = tn(interaction, "{n} foyer inscrit", "{n} foyers inscrits", stats.seated)
    people = tn(interaction, "{n} personne", "{n} personnes", stats.seated_people)
    parts = [seats, people]
    if stats.event.capacity:
        parts.append(t(interaction, "capacité : {capacite} places", capacite=stats.event.capacity))
    parts.append("👀 " + tn(interaction, "{n} intéressé·e", "{n} intéressé·e·s", stats.event.interested))
    embed.description = " · ".join(parts)
    waiting = tn(interaction, "{n} foyer en attente", "{n} foyers en attente", stats.waiting)
    waiting_people = tn(interaction, "{n} personne", "{n} personnes", stats.waiting_people)
    embed.add_field(name=t(interaction, "Liste d'attente"), value=f"{waiting} · {waiting_people}", inline=False)
    if stats.attendance.rate is None:
        presence = t(interaction, "Personne n'a de place : rien à compter.")
    else:
        presence = attendance_text(interaction, stats.attendance)
    embed.add_field(name=t(interaction, "Présence (accueil)"), value=presence, inline=False)
    if stats.weeks:
        weeks = week_bars(interaction, stats)
        embed.add_field(
            name=t(interaction, "Inscriptions par semaine (semaine du…)"),
            value=f"```\n{bars(weeks)}\n```",
            inline=False,
        )
    if stats.regions or stats.unknown_region:
        shown = list(stats.regions[:REGIONS_SHOWN])
        others = sum(count for _, count in stats.regions[REGIONS_SHOWN:])
        if others:
            shown.append((t(interaction, "autres régions"), others))
        if stats.unknown_region:
            shown.append((t(interaction, "non indiquée"), stats.unknown_region))
        embed.add_field(
            name=t(interaction, "Foyers par région (selon leur présentation)"),
            value=f"```\n{bars(shown)}\n```",
            inline=False,
        )
    return fit(embed)


class StatsCommands(commands.Cog):
    """Mixed into the /evenement cog (cogs/events.py): its commands join the group."""

    @app_commands.command(name="stats", description="Les chiffres d'un événement (son organisateur)")
    @app_commands.describe(evenement="L'événement")
    async def stats(self, interaction: discord.Interaction[Any], evenement: EventOption) -> None:
        figures = await bot_of(interaction).core.event_stats.of_event(evenement.id, by=await manager(interaction))
        await interaction.response.defer(ephemeral=True, thinking=True)  # the chart takes a moment
        embed = stats_embed(interaction, figures)
        panels = stats_charts(interaction, figures)
        files = []
        if panels:
            picture = await drawn_bars(panels, embed.title or "")
            files.append(discord.File(io.BytesIO(picture), filename="statistiques.png"))
            embed.set_image(url="attachment://statistiques.png")  # the chart inside the card, not beside it
        await reply(interaction, "", embed=embed, files=files)
