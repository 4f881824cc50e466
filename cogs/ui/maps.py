"""« Voir sur la carte » under search results: the found projects as numbered markers, the same
numbers as the list, drawn beside the event loop and sent to the member who asked for it alone."""

from __future__ import annotations

import io
from collections.abc import Sequence
from typing import Any

import discord

from bot.client import bot_of
from bot.pictures import drawn
from bot.pictures.maps import Around, MapRequest, Marker, draw_map
from bot.projects.models import Project, SearchFilters, SearchHit
from bot.vocabulary import Etape
from cogs.ui.project_forms import tl
from cogs.ui.text import t, tn

MAP_BUTTON_ID = "projets:carte"


def search_area(filters: SearchFilters) -> tuple[tuple[str, ...], Around | None]:
    """The départements and the circle the search was limited to, to frame the map on them."""
    place = filters.pres_de
    around = None
    if place is not None and place.lat is not None and place.lon is not None:
        around = Around(place.nom, place.lat, place.lon, filters.rayon_km)
    if filters.departement:
        return (filters.departement,), around
    return filters.departements or (), around


def projects_map(
    interaction: discord.Interaction[Any],
    projects: Sequence[Project],
    hits: Sequence[SearchHit],
    area: tuple[tuple[str, ...], Around | None],
) -> MapRequest:
    """Markers numbered like the list (hits in order, from 1); records without a place are left off."""
    by_id = {p.id: p for p in projects}
    markers = tuple(
        Marker(number, project.lat, project.lon, project.departement, project.etape.value)
        for number, hit in enumerate(hits, start=1)
        if (project := by_id.get(hit.project_id)) is not None and project.lat is not None and project.lon is not None
    )
    departements, around = area
    return MapRequest(
        markers=markers,
        kinds=tuple((stage.value, tl(interaction, stage)) for stage in Etape),
        departements=departements,
        around=around,
        title=t(interaction, "Projets d'habitat participatif"),
    )


class MapButton(discord.ui.Button[Any]):
    def __init__(
        self,
        interaction: discord.Interaction[Any],
        hits: Sequence[SearchHit],
        area: tuple[tuple[str, ...], Around | None],
    ) -> None:
        super().__init__(
            label=t(interaction, "Voir sur la carte"),
            emoji="🗺️",
            style=discord.ButtonStyle.secondary,
            custom_id=MAP_BUTTON_ID,
            row=4,
        )
        self.hits = tuple(hits)
        self.area = area

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        bot = bot_of(interaction)
        projects = await bot.project_service.projects([hit.project_id for hit in self.hits])
        request = projects_map(interaction, projects, self.hits, self.area)
        picture = await drawn(draw_map, request)
        count = len(request.markers)
        await interaction.followup.send(
            tn(interaction, "{n} projet sur la carte.", "{n} projets sur la carte.", count),
            file=discord.File(io.BytesIO(picture.png), filename="carte.png"),
            ephemeral=True,
        )
