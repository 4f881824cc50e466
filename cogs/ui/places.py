"""Autocomplete for places: communes ("Montreuil (93)", largest first), départements, régions."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot import limits
from bot.geo import Geography
from bot.limits import clip
from cogs.ui.text import t


def commune_choices(geo: Geography, typed: str) -> list[app_commands.Choice[str]]:
    choices = []
    for commune in geo.find_communes(typed, limit=limits.CHOICES):
        postal = f" — {commune.codes_postaux[0]}" if commune.codes_postaux else ""
        choices.append(
            app_commands.Choice(name=clip(f"{commune.label}{postal}", limits.CHOICE_NAME), value=commune.choice_value)
        )
    return choices


def departement_choices(geo: Geography, typed: str) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=clip(d.label, limits.CHOICE_NAME), value=d.code)
        for d in geo.find_departements(typed, limit=limits.CHOICES)
    ]


def region_choices(geo: Geography, typed: str, interaction: discord.Interaction[Any]) -> list[app_commands.Choice[str]]:
    old = t(interaction, "ancienne région")
    return [
        app_commands.Choice(name=clip(f"{r.nom} ({old})" if r.ancienne else r.nom, limits.CHOICE_NAME), value=r.nom)
        for r in geo.find_regions(typed, limit=limits.CHOICES)
    ]
