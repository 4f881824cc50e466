"""How projects look on Discord: result pages, the full record and its buttons, the proposal form
(given back when refused), the choice among namesake communes, the settled moderation card."""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from pydantic import ValidationError

from bot.client import HabitatBot, bot_of
from bot.dates import format_day, format_month
from bot.errors import UserError, invalid
from bot.geo import Commune
from bot.limits import (
    CONTENT,
    EMBED_FIELD_NAME,
    EMBED_FIELD_VALUE,
    EMBED_FOOTER,
    EMBED_TITLE,
    INPUT_LABEL,
    MODAL_TITLE,
    SELECT_DESCRIPTION,
    SELECT_LABEL,
    clip,
)
from bot.projects.messages import moderation_card
from bot.projects.models import (
    CONTACT_MAX,
    DESCRIPTION_MAX,
    MESSAGE_MAX,
    MESSAGE_MIN,
    NAME_MAX,
    Project,
    ProjectDraft,
    ProjectFacts,
    ProjectStatus,
    Relayed,
    SearchHit,
    Submitted,
)
from bot.vocabulary import EspacePartage, Public, label
from cogs.ui.errors import describe
from cogs.ui.members import is_moderator
from cogs.ui.notifier import render
from cogs.ui.paginator import Paginator
from cogs.ui.text import reply, t
from cogs.ui.transformers import CommuneTransformer, server_zone
from cogs.ui.views import HabitatModal, HabitatView, OwnedView, TextModal

COLOUR = discord.Colour.from_rgb(46, 125, 50)
PER_PAGE = 5
STAGE_EMOJI = {"emergence": "🌱", "realisation": "🏗️", "vivre_ensemble": "🏡"}
MAX_CANDIDATES = 25  # a select's options


def tl(interaction: discord.Interaction[Any], value: Any) -> str:
    """The label of a vocabulary value, in the member's language."""
    return t(interaction, label(value))


async def moderates(interaction: discord.Interaction[Any]) -> bool:
    """Whether the member moderates the server where they act (never in a DM)."""
    if interaction.guild_id is None:
        return False
    return is_moderator(interaction.user, await bot_of(interaction).guild_settings.get(interaction.guild_id))


# ---------------------------------------------------------------------- results and the record


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
        lines.append(clip(" ".join(project.description.split()), 160))
    note = unconfirmed_note(interaction, project, now, zone)
    if note:
        lines.append(note)
    return head, clip("\n".join(lines), EMBED_FIELD_VALUE)


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
            embed.add_field(name=clip(f"{number}. {name}", EMBED_FIELD_NAME), value=value, inline=False)
    return embed


class ResultsView(Paginator):
    """Pages of five results, and a menu to open one of the page's records."""

    def __init__(self, interaction: discord.Interaction[Any], bot: HabitatBot, hits: list[SearchHit]) -> None:
        self.bot = bot
        self.hits = hits
        self.asker = interaction
        super().__init__(interaction.user.id, max(1, math.ceil(len(hits) / PER_PAGE)), self._render)
        self.opener: discord.ui.Select[ResultsView] = discord.ui.Select(
            placeholder=t(interaction, "Ouvrir la fiche d'un projet"), row=0
        )
        self.opener.callback = self._open  # type: ignore[method-assign]
        self.add_item(self.opener)

    async def _render(self, index: int) -> discord.Embed:
        page_hits = self.hits[index * PER_PAGE : (index + 1) * PER_PAGE]
        projects = await self.bot.project_service.projects([hit.project_id for hit in page_hits])
        self.opener.options = [
            discord.SelectOption(
                label=clip(p.nom, SELECT_LABEL),
                value=str(p.id),
                description=clip(f"{p.commune} ({p.departement})", SELECT_DESCRIPTION),
            )
            for p in projects
        ]
        zone = await server_zone(self.asker)
        return results_embed(
            self.asker, projects, page_hits, page=index, total=len(self.hits), now=self.bot.clock(), zone=zone
        )

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        # Anyone may open a record from the menu; only the asker turns the pages.
        if interaction.data and interaction.data.get("component_type") == 3:
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
    if project.statut is ProjectStatus.refuse:
        confirmed = t(interaction, "Refusé par la modération") + " · " + confirmed
    elif not project.published:
        confirmed = t(interaction, "En attente de validation") + " · " + confirmed
    embed.set_footer(text=f"{note} · {confirmed}" if note else confirmed)
    return embed


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


class PlaceOrChoices(CommuneTransformer):
    """A commune option whose namesakes are offered in a menu (« Montreuil »…) instead of refused."""

    async def transform(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: str, /
    ) -> Commune | tuple[Commune, ...]:
        geo = bot_of(interaction).geo
        try:
            return geo.resolve_commune(value)
        except UserError:
            candidates = geo.find_communes(value, limit=MAX_CANDIDATES)
            if len(candidates) < 2:
                raise
            return tuple(candidates)


CommuneOrChoices = app_commands.Transform[Commune | tuple[Commune, ...], PlaceOrChoices]
Then = Callable[[discord.Interaction[Any], Commune], Awaitable[None]]


async def with_commune(interaction: discord.Interaction[Any], place: Commune | tuple[Commune, ...], then: Then) -> None:
    """Go on with the one commune meant, or let the member pick it among its namesakes first."""
    if isinstance(place, Commune):
        await then(interaction, place)
        return
    view = CommunePicker(interaction, place, then)
    await reply(interaction, t(interaction, "Plusieurs communes portent ce nom : laquelle ?"), view=view)


class CommunePicker(OwnedView):
    def __init__(self, interaction: discord.Interaction[Any], candidates: Sequence[Commune], then: Then) -> None:
        super().__init__(interaction.user.id)
        self.candidates = {c.insee: c for c in candidates}
        self.then = then
        self.menu: discord.ui.Select[CommunePicker] = discord.ui.Select(
            placeholder=t(interaction, "Choisissez la commune"),
            options=[
                discord.SelectOption(
                    label=clip(c.label, SELECT_LABEL),
                    value=c.insee,
                    description=clip(", ".join(c.codes_postaux), SELECT_DESCRIPTION) or None,
                )
                for c in candidates
            ],
        )
        self.menu.callback = self._picked  # type: ignore[method-assign]
        self.add_item(self.menu)

    async def _picked(self, interaction: discord.Interaction[Any]) -> None:
        self.stop()
        await self.then(interaction, self.candidates[self.menu.values[0]])


@dataclass(frozen=True)
class Typed:
    """What the member typed in the form, to give it back if it is refused."""

    nom: str = ""
    description: str = ""
    contact: str = ""
    publics: frozenset[str] = frozenset()
    espaces: frozenset[str] = frozenset()

    @classmethod
    def of(cls, project: Project) -> Typed:
        return cls(
            project.nom,
            project.description,
            project.contact or "",
            frozenset(p.value for p in project.publics),
            frozenset(e.value for e in project.espaces_partages),
        )


OnDraft = Callable[[discord.Interaction[Any], ProjectDraft], Awaitable[None]]


class ProjectModal(HabitatModal):
    """The free text of a project (name, description, contact) and its publics and shared spaces.
    The rest (commune, stage, legal form…) comes from the command's options, already checked. A
    refusal comes with « Reprendre », which opens the form again as it was typed."""

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        facts: ProjectFacts,
        on_draft: OnDraft,
        *,
        typed: Typed,
        editing: bool,
    ) -> None:
        title = t(interaction, "Modifier le projet") if editing else t(interaction, "Proposer un projet")
        super().__init__(title=clip(title, MODAL_TITLE), timeout=1800)
        self.facts = facts
        self.on_draft = on_draft
        self.editing = editing
        self.nom: discord.ui.TextInput[ProjectModal] = discord.ui.TextInput(
            label=clip(t(interaction, "Nom du projet"), INPUT_LABEL),
            min_length=2,
            max_length=NAME_MAX,
            default=typed.nom or None,
        )
        self.description: discord.ui.TextInput[ProjectModal] = discord.ui.TextInput(
            label=clip(t(interaction, "Description"), INPUT_LABEL),
            style=discord.TextStyle.paragraph,
            max_length=DESCRIPTION_MAX,
            required=False,
            default=typed.description or None,
            placeholder=t(interaction, "Le projet, ses valeurs, qui vous cherchez…"),
        )
        self.contact: discord.ui.TextInput[ProjectModal] = discord.ui.TextInput(
            label=clip(t(interaction, "Contact public (courriel, téléphone)"), INPUT_LABEL),
            max_length=CONTACT_MAX,
            required=False,
            default=typed.contact or None,
        )
        self.publics: discord.ui.Select[ProjectModal] = self._choices(interaction, Public, typed.publics)
        self.espaces: discord.ui.Select[ProjectModal] = self._choices(interaction, EspacePartage, typed.espaces)
        self.add_item(self.nom)
        self.add_item(self.description)
        self.add_item(self.contact)
        self.add_item(
            discord.ui.Label(text=clip(t(interaction, "Publics accueillis"), INPUT_LABEL), component=self.publics)
        )
        self.add_item(
            discord.ui.Label(text=clip(t(interaction, "Espaces partagés"), INPUT_LABEL), component=self.espaces)
        )

    @staticmethod
    def _choices(
        interaction: discord.Interaction[Any], kind: type[Public] | type[EspacePartage], chosen: frozenset[str]
    ) -> discord.ui.Select[ProjectModal]:
        return discord.ui.Select(
            options=[
                discord.SelectOption(
                    label=clip(tl(interaction, v), SELECT_LABEL), value=v.value, default=v.value in chosen
                )
                for v in kind
            ],
            min_values=0,
            max_values=len(kind),
            required=False,
        )

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        typed = Typed(
            self.nom.value,
            self.description.value,
            self.contact.value,
            frozenset(self.publics.values),
            frozenset(self.espaces.values),
        )
        try:
            try:
                draft = ProjectDraft(
                    **self.facts.model_dump(),
                    nom=typed.nom,
                    description=typed.description,
                    contact=typed.contact,
                    publics=frozenset(Public(v) for v in typed.publics),
                    espaces_partages=frozenset(EspacePartage(v) for v in typed.espaces),
                )
            except ValidationError as error:
                raise invalid(error, ProjectDraft) from None
            await self.on_draft(interaction, draft)
        except UserError as error:
            resume = ResumeView(interaction, self.facts, self.on_draft, typed=typed, editing=self.editing)
            await reply(interaction, describe(interaction, error), view=resume)


class ResumeView(OwnedView):
    """« Reprendre »: the refused form again, filled with what was typed."""

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        facts: ProjectFacts,
        on_draft: OnDraft,
        *,
        typed: Typed,
        editing: bool,
    ) -> None:
        super().__init__(interaction.user.id, timeout=1800)
        self.form = (facts, on_draft, typed, editing)
        self.resume.label = t(interaction, "Reprendre")

    @discord.ui.button(label="Reprendre", style=discord.ButtonStyle.primary, emoji="↩️")
    async def resume(self, interaction: discord.Interaction[Any], _: discord.ui.Button[ResumeView]) -> None:
        facts, on_draft, typed, editing = self.form
        await interaction.response.send_modal(ProjectModal(interaction, facts, on_draft, typed=typed, editing=editing))


def proposal_form(interaction: discord.Interaction[Any], facts: ProjectFacts) -> ProjectModal:
    async def save(submitted: discord.Interaction[Any], draft: ProjectDraft) -> None:
        outcome = await bot_of(submitted).project_service.propose(
            draft, proposer_id=submitted.user.id, guild_id=submitted.guild_id, locale=submitted.locale.value
        )
        await reply(submitted, submitted_answer(submitted, outcome, proposal=True))

    return ProjectModal(interaction, facts, save, typed=Typed(), editing=False)


async def open_edit_form(interaction: discord.Interaction[Any], which: str, changes: dict[str, Any]) -> None:
    """The edit form of a record, its options changed by the command's; for its référents and moderators."""
    service = bot_of(interaction).project_service
    moderator = await moderates(interaction)
    project, facts = await service.edit_form(which, user_id=interaction.user.id, moderator=moderator, changes=changes)

    async def save(submitted: discord.Interaction[Any], draft: ProjectDraft) -> None:
        outcome = await service.edit(
            project.id, draft, editor_id=submitted.user.id, moderator=moderator,
            guild_id=submitted.guild_id, locale=submitted.locale.value,
        )  # fmt: skip
        await reply(submitted, submitted_answer(submitted, outcome, proposal=False))

    await interaction.response.send_modal(ProjectModal(interaction, facts, save, typed=Typed.of(project), editing=True))


def submitted_answer(interaction: discord.Interaction[Any], outcome: Submitted, *, proposal: bool) -> str:
    if proposal and outcome.queued:
        return t(
            interaction,
            "Merci ! « {nom} » attend la validation d'un modérateur ; vous en serez prévenu·e en message privé.",
            nom=outcome.project.nom,
        )
    if proposal:
        return t(
            interaction,
            "« {nom} » est enregistré et attend une validation, mais ce serveur "
            "n'a pas de salon de modération : prévenez un administrateur (/config salons).",
            nom=outcome.project.nom,
        )
    if outcome.waits and outcome.queued:
        return t(
            interaction,
            "Modifications enregistrées. Le changement de nom, de commune ou d'étape "
            "attend la validation d'un modérateur.",
        )
    if outcome.waits:
        return t(
            interaction,
            "Modifications enregistrées, mais le changement de nom, de commune ou d'étape attend un modérateur "
            "et ce serveur n'a pas de salon de modération : prévenez un administrateur (/config salons).",
        )
    return t(interaction, "Modifications enregistrées.")


# ---------------------------------------------------------------------- moderation


def settled_card(before: Project, zone: ZoneInfo, footer: str, colour: discord.Colour) -> discord.Embed:
    """The moderation card as it was, without its buttons, saying who settled it and how."""
    embed: discord.Embed = render(moderation_card(before, zone))["embed"]
    embed.colour = colour
    return embed.set_footer(text=clip(footer, EMBED_FOOTER))
