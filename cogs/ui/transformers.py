"""Options that name a place or a moment, shared by every cog: each turns what the member typed into
a value (a wrong one is refused with the core's own message, before the callback runs) and answers
the option's autocomplete. No callback parses a place or a date by hand."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from bot.client import bot_of
from bot.dates import parse_when
from bot.geo import Commune, Departement, Region
from cogs.ui.places import commune_choices, departement_choices, region_choices


class PlaceTransformer(app_commands.Transformer):
    """Limits in the signature: Discord refuses a longer text before the bot reads it."""

    @property
    def max_value(self) -> int:
        return 100


class CommuneTransformer(PlaceTransformer):
    async def transform(self, interaction: discord.Interaction[Any], value: str, /) -> Commune:
        return bot_of(interaction).geo.resolve_commune(value)

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: str, /
    ) -> list[app_commands.Choice[str]]:
        return commune_choices(bot_of(interaction).geo, value)


class DepartementTransformer(PlaceTransformer):
    async def transform(self, interaction: discord.Interaction[Any], value: str, /) -> Departement:
        return bot_of(interaction).geo.departement(value)

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: str, /
    ) -> list[app_commands.Choice[str]]:
        return departement_choices(bot_of(interaction).geo, value)


class RegionTransformer(PlaceTransformer):
    async def transform(self, interaction: discord.Interaction[Any], value: str, /) -> Region:
        return bot_of(interaction).geo.region(value)

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: str, /
    ) -> list[app_commands.Choice[str]]:
        return region_choices(bot_of(interaction).geo, value, interaction)


async def server_zone(interaction: discord.Interaction[Any]) -> ZoneInfo:
    """Dates are read and shown in the server's time zone (the default one in DMs)."""
    bot = bot_of(interaction)
    if interaction.guild_id is None:
        return bot.guild_settings.default_zone
    return (await bot.guild_settings.get(interaction.guild_id)).zone


class WhenTransformer(app_commands.Transformer):
    @property
    def max_value(self) -> int:
        return 60


class MomentTransformer(WhenTransformer):
    """A date and time ("12/04/2027 14h30", "samedi 14h"), in the server's time zone, as UTC."""

    async def transform(self, interaction: discord.Interaction[Any], value: str, /) -> datetime:
        return parse_when(value, await server_zone(interaction), bot_of(interaction).clock())


@dataclass(frozen=True)
class End:
    """An end as typed: a bare time ("17h") is on the start's day, so it is read once the start is known."""

    typed: str
    zone: ZoneInfo
    now: datetime

    def after(self, start: datetime) -> datetime:
        return parse_when(self.typed, self.zone, self.now, after=start)


class EndTransformer(WhenTransformer):
    async def transform(self, interaction: discord.Interaction[Any], value: str, /) -> End:
        return End(value, await server_zone(interaction), bot_of(interaction).clock())


PlaceOption = app_commands.Transform[Commune, CommuneTransformer]
DepartementOption = app_commands.Transform[Departement, DepartementTransformer]
RegionOption = app_commands.Transform[Region, RegionTransformer]
MomentOption = app_commands.Transform[datetime, MomentTransformer]
EndOption = app_commands.Transform[End, EndTransformer]
