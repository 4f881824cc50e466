"""« Voir sur la carte » under /projet chercher and /evenement liste: what was found as numbered
markers, the same numbers as the list, drawn beside the event loop and sent to the clicking member alone."""

from __future__ import annotations

import io
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from bot.client import bot_of
from bot.events.models import Event, EventFilters
from bot.geo import Commune
from bot.pictures import drawn_map
from bot.pictures.models import Around, MapRequest, Marker
from bot.projects.models import Project, ProjectSummary, SearchFilters, SearchHit
from bot.vocabulary import Etape, EventKind
from cogs.ui.text import t, tl, tn

MAP_BUTTON_ID = "projets:carte"


Area = tuple[tuple[str, ...], Around | None]  # the départements and the circle a list was limited to


def framed(departement: str | None, departements: tuple[str, ...] | None, place: Commune | None, km: float) -> Area:
    """What a map is framed on: one département, a région's, or all of France; and the searched circle."""
    around = None
    if place is not None and place.lat is not None and place.lon is not None:
        around = Around(place.nom, place.lat, place.lon, km)
    return ((departement,) if departement else departements or ()), around


def search_area(filters: SearchFilters) -> Area:
    return framed(filters.departement, filters.departements, filters.pres_de, filters.rayon_km)


def events_area(filters: EventFilters, near: Commune | None) -> Area:
    return framed(filters.departement, filters.departements, near, filters.radius_km)


def projects_map(
    interaction: discord.Interaction[Any],
    projects: Sequence[ProjectSummary],
    hits: Sequence[SearchHit],
    area: Area,
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


MapAnswer = Callable[[discord.Interaction[Any]], Awaitable[tuple[MapRequest, str]]]


class MapButton(discord.ui.Button[Any]):
    """Defers (drawing takes a moment), then sends the map to the member who clicked, alone."""

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        custom_id: str,
        answer: MapAnswer,
        label: str = "Voir sur la carte",
    ) -> None:
        super().__init__(
            label=t(interaction, label),
            emoji="🗺️",
            style=discord.ButtonStyle.secondary,
            custom_id=custom_id,
            row=4,
        )
        self.answer = answer

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        request, text = await self.answer(interaction)
        picture = await drawn_map(request)
        await interaction.followup.send(
            text, file=discord.File(io.BytesIO(picture.png), filename="carte.png"), ephemeral=True
        )


def projects_map_button(interaction: discord.Interaction[Any], hits: Sequence[SearchHit], area: Area) -> MapButton:
    found = tuple(hits)

    async def answer(clicked: discord.Interaction[Any]) -> tuple[MapRequest, str]:
        projects = await bot_of(clicked).project_service.summaries([hit.project_id for hit in found])
        request = projects_map(clicked, projects, found, area)
        count = len(request.markers)
        return request, tn(clicked, "{n} projet sur la carte.", "{n} projets sur la carte.", count)

    return MapButton(interaction, MAP_BUTTON_ID, answer)


def events_map_button(
    interaction: discord.Interaction[Any],
    events: Sequence[Event],
    area: Area = ((), None),
) -> MapButton:
    """Events numbered like the list; online-only events have no place and are left off."""
    listed = tuple(events)

    async def answer(clicked: discord.Interaction[Any]) -> tuple[MapRequest, str]:
        markers = tuple(
            Marker(number, event.lat, event.lon, event.departement, event.kind.value)
            for number, event in enumerate(listed, start=1)
            if event.lat is not None and event.lon is not None and event.departement is not None
        )
        departements, around = area
        request = MapRequest(
            markers=markers,
            kinds=tuple((kind.value, tl(clicked, kind)) for kind in EventKind),
            departements=departements,
            around=around,
            title=t(clicked, "Événements à venir"),
        )
        count = len(markers)
        return request, tn(clicked, "{n} événement sur la carte.", "{n} événements sur la carte.", count)

    return MapButton(interaction, "evenement-liste-carte", answer)


LOCATOR_PX = 480


def locator_map(interaction: discord.Interaction[Any], project: Project) -> MapRequest:
    """A project alone on its région's map, the neighbouring régions greyed: where it is, at a glance."""
    geo = bot_of(interaction).geo
    departement = geo.departements.get(project.departement)
    region = next((r for r in geo.regions.values() if departement and r.code == departement.region), None)
    placed = project.lat is not None and project.lon is not None
    return MapRequest(
        markers=(Marker(1, project.lat or 0.0, project.lon or 0.0, project.departement, project.etape.value),)
        if placed
        else (),
        kinds=tuple((stage.value, tl(interaction, stage)) for stage in Etape),
        departements=region.departements if region else (project.departement,),
        title=project.nom,
        size_px=LOCATOR_PX,
    )


def locator_button(interaction: discord.Interaction[Any], project: Project) -> MapButton:
    async def answer(clicked: discord.Interaction[Any]) -> tuple[MapRequest, str]:
        where = ", ".join(part for part in (project.commune, project.departement) if part)
        return locator_map(clicked, project), f"{project.nom} — {where}"

    return MapButton(interaction, "projet-fiche-carte", answer, label="Situer sur la carte")
