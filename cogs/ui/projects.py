"""How projects look on Discord: result pages, the full record, the moderation card, the form."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import discord
from pydantic import ValidationError

from bot.dates import format_day, format_month
from bot.errors import invalid
from bot.projects.models import Project, ProjectDraft, SearchHit
from bot.vocabulary import EspacePartage, Public, label
from cogs.ui.text import t
from cogs.ui.views import HabitatModal

COLOUR = discord.Colour.from_rgb(46, 125, 50)
PER_PAGE = 5
STAGE_EMOJI = {"emergence": "🌱", "realisation": "🏗️", "vivre_ensemble": "🏡"}


def tl(interaction: discord.Interaction[Any], value: Any) -> str:
    """The label of a vocabulary value, in the member's language."""
    return t(interaction, label(value))


def unconfirmed_note(interaction: discord.Interaction[Any], project: Project, now: datetime, zone: ZoneInfo) -> str:
    since = project.unconfirmed_since(now)
    if since is None:
        return ""
    return t(interaction, "⚠️ non confirmé depuis {date}", date=format_month(since, zone, interaction.locale.value))


def result_block(
    interaction: discord.Interaction[Any], project: Project, hit: SearchHit, now: datetime, zone: ZoneInfo
) -> tuple[str, str]:
    """(field name, field value) of one search result."""
    head = f"{STAGE_EMOJI[project.etape.value]} {project.nom}"
    place = f"{project.commune} ({project.departement})"
    if hit.distance_km is not None:
        place += " · " + t(interaction, "à {km} km", km=f"{hit.distance_km:.0f}")
    facts = [place, tl(interaction, project.etape)]
    if project.recrute:
        facts.append(t(interaction, "recrute des foyers"))
    if project.logements:
        facts.append(t(interaction, "{n} logements", n=project.logements))
    lines = [" · ".join(facts)]
    if project.description:
        lines.append(_shorten(project.description, 160))
    note = unconfirmed_note(interaction, project, now, zone)
    if note:
        lines.append(note)
    return head[:256], "\n".join(lines)[:1024]


def results_embed(
    interaction: discord.Interaction[Any],
    projects: Sequence[Project],
    hits: Sequence[SearchHit],
    *,
    page: int,
    total: int,
    now: datetime,
    zone: ZoneInfo,
) -> discord.Embed:
    embed = discord.Embed(title=t(interaction, "Projets d'habitat participatif"), colour=COLOUR)
    embed.description = t(interaction, "{n} projet(s) trouvé(s)", n=total)
    by_id = {p.id: p for p in projects}
    for number, hit in enumerate(hits, start=page * PER_PAGE + 1):
        project = by_id.get(hit.project_id)
        if project is not None:
            name, value = result_block(interaction, project, hit, now, zone)
            embed.add_field(name=f"{number}. {name}"[:256], value=value, inline=False)
    return embed


def fiche_embed(
    interaction: discord.Interaction[Any], project: Project, now: datetime, zone: ZoneInfo
) -> discord.Embed:
    embed = discord.Embed(title=project.nom, colour=COLOUR, description=project.description or None)
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
    if not project.published:
        confirmed = t(interaction, "En attente de validation") + " · " + confirmed
    embed.set_footer(text=f"{note} · {confirmed}" if note else confirmed)
    return embed


def moderation_embed(project: Project) -> discord.Embed:
    """The card moderators see (in the server's language, French): a new project or a change."""
    if project.pending is None:
        embed = discord.Embed(title=f"Nouveau projet à valider : {project.nom}"[:256], colour=discord.Colour.orange())
        embed.description = project.description[:2000] or None
        embed.add_field(name="Commune", value=f"{project.commune} ({project.departement})")
        embed.add_field(name="Étape", value=label(project.etape))
        embed.add_field(name="Forme juridique", value=label(project.forme_juridique))
        if project.proposed_by:
            embed.add_field(name="Proposé par", value=f"<@{project.proposed_by}>")
        return embed
    pending = project.pending
    embed = discord.Embed(title=f"Modification à valider : {project.nom}"[:256], colour=discord.Colour.orange())
    for name, before, after in (
        ("Nom", project.nom, pending.nom),
        ("Commune", project.commune, pending.commune),
        ("Étape", label(project.etape), label(pending.etape)),
    ):
        if before != after:
            embed.add_field(name=name, value=f"{before} → **{after}**"[:1024], inline=False)
    embed.add_field(name="Demandée par", value=f"<@{pending.proposed_by}>")
    return embed


def _shorten(text: str, limit: int) -> str:
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


OnDraft = Callable[[discord.Interaction[Any], ProjectDraft], Awaitable[None]]


class ProjectModal(HabitatModal):
    """The free text of a project (name, description, contact) and its publics and shared spaces.
    The rest (commune, stage, legal form…) comes from the command's options, already validated."""

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        base: dict[str, Any],
        on_draft: OnDraft,
        *,
        current: Project | None = None,
    ) -> None:
        title = t(interaction, "Modifier le projet") if current else t(interaction, "Proposer un projet")
        super().__init__(title=title[:45], timeout=1800)
        self.base = base
        self.on_draft = on_draft
        self.nom: discord.ui.TextInput[ProjectModal] = discord.ui.TextInput(
            label=t(interaction, "Nom du projet")[:45],
            min_length=2,
            max_length=100,
            default=current.nom if current else None,
        )
        self.description: discord.ui.TextInput[ProjectModal] = discord.ui.TextInput(
            label=t(interaction, "Description")[:45],
            style=discord.TextStyle.paragraph,
            max_length=2000,
            required=False,
            default=current.description if current else None,
            placeholder=t(interaction, "Le projet, ses valeurs, qui vous cherchez…")[:100],
        )
        self.contact: discord.ui.TextInput[ProjectModal] = discord.ui.TextInput(
            label=t(interaction, "Contact public (courriel, téléphone)")[:45],
            max_length=200,
            required=False,
            default=current.contact if current else None,
        )
        self.publics: discord.ui.Select[ProjectModal] = discord.ui.Select(
            options=[
                discord.SelectOption(
                    label=tl(interaction, p)[:100], value=p.value, default=bool(current and p in current.publics)
                )
                for p in Public
            ],
            min_values=0,
            max_values=len(Public),
            required=False,
        )
        self.espaces: discord.ui.Select[ProjectModal] = discord.ui.Select(
            options=[
                discord.SelectOption(
                    label=tl(interaction, e)[:100],
                    value=e.value,
                    default=bool(current and e in current.espaces_partages),
                )
                for e in EspacePartage
            ],
            min_values=0,
            max_values=len(EspacePartage),
            required=False,
        )
        self.add_item(self.nom)
        self.add_item(self.description)
        self.add_item(self.contact)
        self.add_item(discord.ui.Label(text=t(interaction, "Publics accueillis")[:45], component=self.publics))
        self.add_item(discord.ui.Label(text=t(interaction, "Espaces partagés")[:45], component=self.espaces))

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        try:
            draft = ProjectDraft(
                **self.base,
                nom=self.nom.value,
                description=self.description.value,
                contact=self.contact.value,
                publics=frozenset(Public(v) for v in self.publics.values),
                espaces_partages=frozenset(EspacePartage(v) for v in self.espaces.values),
            )
        except ValidationError as error:
            raise invalid(error) from None
        await self.on_draft(interaction, draft)
