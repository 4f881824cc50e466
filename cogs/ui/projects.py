"""How projects look on Discord: the project option, result pages, the full record and its buttons,
the settled moderation card. The forms are in cogs/ui/project_forms.py."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from bot.client import HabitatBot, bot_of
from bot.dates import format_day, format_month
from bot.events.models import Event
from bot.geo import distance_text
from bot.limits import (
    CHOICE_NAME,
    CONTENT,
    EMBED_FIELD_NAME,
    EMBED_FIELD_VALUE,
    EMBED_FOOTER,
    EMBED_TITLE,
    SELECT_DESCRIPTION,
    SELECT_LABEL,
    clip,
)
from bot.projects.messages import moderation_card
from bot.projects.models import (
    MESSAGE_MAX,
    MESSAGE_MIN,
    Project,
    ProjectStatus,
    ProjectSummary,
    Relayed,
    SearchHit,
)
from cogs.ui.maps import MAP_BUTTON_ID, Area, locator_button, projects_map_button
from cogs.ui.notifier import render
from cogs.ui.paginator import Paginator
from cogs.ui.project_forms import moderates, open_edit_form
from cogs.ui.text import reply, t, tl, tn
from cogs.ui.transformers import server_zone
from cogs.ui.views import HabitatView, TextModal

COLOUR = discord.Colour.from_rgb(46, 125, 50)
PER_PAGE = 5
STAGE_EMOJI = {"emergence": "🌱", "realisation": "🏗️", "vivre_ensemble": "🏡"}


# ---------------------------------------------------------------------- the project option


class ProjectTransformer(app_commands.Transformer):
    """A project by its id (the autocomplete's value) or by a name only one published project holds.
    Each command offers its own list (every record, or the member's own): no autocomplete here."""

    @property
    def max_value(self) -> int:
        return 100

    async def transform(self, interaction: discord.Interaction[Any], value: str, /) -> Project:
        return await bot_of(interaction).project_service.find(value)


ProjectOption = app_commands.Transform[Project, ProjectTransformer]


class PublishedProjectTransformer(ProjectTransformer):
    """A published project, offered by name as /projet fiche offers them (an event's project)."""

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: str, /
    ) -> list[app_commands.Choice[str]]:
        return project_choices(await bot_of(interaction).project_service.names(value))


PublishedProjectOption = app_commands.Transform[Project, PublishedProjectTransformer]


def project_choices(found: list[tuple[int, str, str]]) -> list[app_commands.Choice[str]]:
    """Projects offered by name and commune; the value is the id, which no namesake shares."""
    return [
        app_commands.Choice(name=clip(f"{nom} — {commune}", CHOICE_NAME), value=str(pid)) for pid, nom, commune in found
    ]


# ---------------------------------------------------------------------- results and the record


def unconfirmed_note(
    interaction: discord.Interaction[Any], project: Project | ProjectSummary, now: datetime, zone: ZoneInfo
) -> str:
    since = project.unconfirmed_since(now)
    if since is None:
        return ""
    return t(interaction, "⚠️ non confirmé depuis {date}", date=format_month(since, zone, interaction.locale.value))


def result_block(
    interaction: discord.Interaction[Any], project: ProjectSummary, hit: SearchHit, now: datetime, zone: ZoneInfo
) -> tuple[str, str]:
    """(field name, field value) of one search result."""
    head = f"{STAGE_EMOJI[project.etape.value]} {project.nom}"
    place = f"{project.commune} ({project.departement})"
    if hit.distance_km is not None:
        distance = distance_text(hit.distance_km)
        place += " · " + t(interaction, distance.message, **distance.params)
    facts = [place, tl(interaction, project.etape)]
    if project.recrute:
        facts.append(t(interaction, "recrute des foyers"))
    if project.logements:
        facts.append(tn(interaction, "{n} logement", "{n} logements", project.logements))
    lines = [" · ".join(facts)]
    if project.excerpt:
        lines.append(project.excerpt)
    note = unconfirmed_note(interaction, project, now, zone)
    if note:
        lines.append(note)
    return head, clip("\n".join(lines), EMBED_FIELD_VALUE)


def results_embed(
    interaction: discord.Interaction[Any],
    projects: Sequence[ProjectSummary],
    hits: Sequence[SearchHit],
    *,
    page: int,
    total: int,
    now: datetime,
    zone: ZoneInfo,
) -> discord.Embed:
    embed = discord.Embed(title=t(interaction, "Projets d'habitat participatif"), colour=COLOUR)
    embed.description = tn(interaction, "{n} projet trouvé", "{n} projets trouvés", total)
    by_id = {p.id: p for p in projects}
    for number, hit in enumerate(hits, start=page * PER_PAGE + 1):
        project = by_id.get(hit.project_id)
        if project is not None:
            name, value = result_block(interaction, project, hit, now, zone)
            embed.add_field(name=clip(f"{number}. {name}", EMBED_FIELD_NAME), value=value, inline=False)
    return embed


class ResultsView(Paginator):
    """Pages of five results, and a menu to open one of the page's records."""

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        bot: HabitatBot,
        hits: list[SearchHit],
        area: Area = ((), None),
    ) -> None:
        self.bot = bot
        self.hits = hits
        self.asker = interaction
        super().__init__(interaction.user.id, max(1, math.ceil(len(hits) / PER_PAGE)), self._render)
        self.opener: discord.ui.Select[ResultsView] = discord.ui.Select(
            placeholder=t(interaction, "Ouvrir la fiche d'un projet"), row=0
        )
        self.opener.callback = self._open  # type: ignore[method-assign]
        self.add_item(self.opener)
        self.add_item(projects_map_button(interaction, hits, area))

    async def _render(self, index: int) -> discord.Embed:
        page_hits = self.hits[index * PER_PAGE : (index + 1) * PER_PAGE]
        projects = await self.bot.project_service.summaries([hit.project_id for hit in page_hits])
        now = self.bot.clock()
        # The server's time zone dates only the note of a record unconfirmed for a year: read when one is shown.
        stale = any(project.unconfirmed_since(now) for project in projects)
        zone = await server_zone(self.asker) if stale else self.bot.guild_settings.default_zone
        self.opener.options = [
            discord.SelectOption(
                label=clip(p.nom, SELECT_LABEL),
                value=str(p.id),
                description=clip(f"{p.commune} ({p.departement})", SELECT_DESCRIPTION),
            )
            for p in projects
        ]
        return results_embed(self.asker, projects, page_hits, page=index, total=len(self.hits), now=now, zone=zone)

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        # Anyone may open a record from the menu or see the map; only the asker turns the pages.
        if interaction.data and (
            interaction.data.get("component_type") == 3 or interaction.data.get("custom_id") == MAP_BUTTON_ID
        ):
            return True
        return await super().interaction_check(interaction)

    async def _open(self, interaction: discord.Interaction[Any]) -> None:
        await show_record(interaction, self.opener.values[0])


async def show_record(interaction: discord.Interaction[Any], which: str) -> None:
    """The full record, for the member alone, with « Contacter » and, for who may, « Modifier »."""
    bot = bot_of(interaction)
    moderator = await moderates(interaction)
    project = await bot.project_service.record(which, viewer_id=interaction.user.id, moderator=moderator)
    view = FicheView(interaction, project, editable=project.editable_by(interaction.user.id, moderator))
    embed = fiche_embed(interaction, project, bot.clock(), await server_zone(interaction))
    coming = await bot.events.of_project(project.id)
    if coming:
        embed.add_field(
            name=t(interaction, "Prochains événements"), value=events_text(interaction, coming), inline=False
        )
    await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


def fiche_embed(
    interaction: discord.Interaction[Any], project: Project, now: datetime, zone: ZoneInfo
) -> discord.Embed:
    embed = discord.Embed(title=clip(project.nom, EMBED_TITLE), colour=COLOUR, description=project.description or None)
    locale = interaction.locale.value
    embed.add_field(name=t(interaction, "Commune"), value=f"{project.commune} ({project.departement})")
    embed.add_field(
        name=t(interaction, "Étape"), value=f"{STAGE_EMOJI[project.etape.value]} {tl(interaction, project.etape)}"
    )
    embed.add_field(name=t(interaction, "Initiative"), value=tl(interaction, project.initiative))
    embed.add_field(name=t(interaction, "Forme juridique"), value=tl(interaction, project.forme_juridique))
    if project.logements:
        embed.add_field(name=t(interaction, "Logements"), value=str(project.logements))
    embed.add_field(
        name=t(interaction, "Recrute"),
        value=t(interaction, "oui, cherche de nouveaux foyers") if project.recrute else t(interaction, "non"),
    )
    if project.publics:
        embed.add_field(
            name=t(interaction, "Publics"),
            value=", ".join(tl(interaction, p) for p in sorted(project.publics)),
            inline=False,
        )
    if project.espaces_partages:
        spaces = ", ".join(tl(interaction, e) for e in sorted(project.espaces_partages))
        embed.add_field(name=t(interaction, "Espaces partagés"), value=spaces, inline=False)
    if project.site:
        embed.add_field(name=t(interaction, "Site"), value=project.site, inline=False)
    if project.contact:
        embed.add_field(name=t(interaction, "Contact"), value=project.contact, inline=False)
    confirmed = t(interaction, "Fiche confirmée le {date}", date=format_day(project.confirmed_at, zone, locale))
    note = unconfirmed_note(interaction, project, now, zone)
    if project.source is not None and project.source.retired:
        confirmed = t(interaction, "Retiré de la base nationale") + " · " + confirmed
    elif project.statut is ProjectStatus.refuse:
        confirmed = t(interaction, "Refusé par la modération") + " · " + confirmed
    elif not project.published:
        confirmed = t(interaction, "En attente de validation") + " · " + confirmed
    embed.set_footer(text=f"{note} · {confirmed}" if note else confirmed)
    return embed


def events_text(interaction: discord.Interaction[Any], events: Sequence[Event]) -> str:
    """A project's next events: when (in each reader's own time), what, and the number to register by."""
    lines = [
        f"• {discord.utils.format_dt(e.starts_at, 'f')} — {e.title} ({t(interaction, 'n° {id}', id=e.id)})"
        for e in events
    ]
    return clip("\n".join(lines), EMBED_FIELD_VALUE)


class FicheView(HabitatView):
    def __init__(self, interaction: discord.Interaction[Any], project: Project, *, editable: bool) -> None:
        super().__init__(timeout=900)
        self.project_id = project.id
        self.contact.label = t(interaction, "Contacter les référents")
        if not project.referents:
            self.remove_item(self.contact)
        if editable:
            self.edit.label = t(interaction, "Modifier")
        else:
            self.remove_item(self.edit)
        if project.lat is not None and project.lon is not None:
            self.add_item(locator_button(interaction, project))
        source = project.source
        if source is not None and source.page_url and not source.retired:
            label = t(interaction, "Voir sur la base nationale")
            self.add_item(discord.ui.Button(label=label, url=source.page_url, emoji="🌐"))

    @discord.ui.button(label="Contacter", style=discord.ButtonStyle.primary, emoji="✉️")
    async def contact(self, interaction: discord.Interaction[Any], _: discord.ui.Button[FicheView]) -> None:
        await interaction.response.send_modal(contact_modal(interaction, self.project_id))

    @discord.ui.button(label="Modifier", style=discord.ButtonStyle.secondary, emoji="✏️")
    async def edit(self, interaction: discord.Interaction[Any], _: discord.ui.Button[FicheView]) -> None:
        await open_edit_form(interaction, str(self.project_id), {})


# ---------------------------------------------------------------------- writing to the référents


def contact_modal(interaction: discord.Interaction[Any], project_id: int) -> TextModal:
    """A message to a project's référents, through the bot: their ids are never shown to the asker."""

    async def send(submitted: discord.Interaction[Any], text: str) -> None:
        await submitted.response.defer(ephemeral=True, thinking=True)
        relayed = await bot_of(submitted).project_service.relay(
            project_id,
            sender_id=submitted.user.id,
            sender_name=submitted.user.display_name,
            text=text,
            nonce=f"ct-{submitted.id}",
        )
        await reply(submitted, relay_answer(submitted, relayed, text))

    return TextModal(
        interaction,
        title="Écrire aux référents",
        label="Votre message",
        on_text=send,
        min_length=MESSAGE_MIN,
        max_length=MESSAGE_MAX,
    )


def relay_answer(interaction: discord.Interaction[Any], relayed: Relayed, text: str) -> str:
    """Sent; or nobody could receive it, and then how else to reach the project, with the message
    given back to paste elsewhere."""
    if relayed.delivered:
        return t(interaction, "Message transmis aux référents du projet.")
    lines = [t(interaction, "Aucun référent de ce projet ne peut recevoir de message privé pour l'instant.")]
    if relayed.contact:
        lines.append(t(interaction, "Contact public du projet : {contact}", contact=relayed.contact))
    if relayed.site:
        lines.append(t(interaction, "Site du projet : {site}", site=relayed.site))
    if not (relayed.contact or relayed.site):
        lines.append(t(interaction, "La fiche n'indique ni site ni contact : réessayez plus tard."))
    lines += ["", t(interaction, "Votre message, à garder :"), "> " + "\n> ".join(text.strip().splitlines())]
    return clip("\n".join(lines), CONTENT)


# ---------------------------------------------------------------------- proposing and editing


def settled_card(before: Project, zone: ZoneInfo, footer: str, colour: discord.Colour) -> discord.Embed:
    """The moderation card as it was, without its buttons, saying who settled it and how."""
    embed: discord.Embed = render(moderation_card(before, zone))["embed"]
    embed.colour = colour
    return embed.set_footer(text=clip(footer, EMBED_FOOTER))
