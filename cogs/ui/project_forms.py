"""The project forms: proposal and edit, an ambiguous commune picked from a menu, a refused form
given back as typed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import discord
from discord import app_commands
from pydantic import ValidationError

from bot.client import bot_of
from bot.errors import UserError, invalid
from bot.geo import Commune
from bot.limits import (
    INPUT_LABEL,
    MODAL_TITLE,
    SELECT_DESCRIPTION,
    SELECT_LABEL,
    clip,
)
from bot.projects.models import (
    CONTACT_MAX,
    DESCRIPTION_MAX,
    NAME_MAX,
    Project,
    ProjectDraft,
    ProjectFacts,
    Submitted,
)
from bot.vocabulary import EspacePartage, Public
from cogs.ui.errors import describe
from cogs.ui.members import is_moderator
from cogs.ui.text import reply, t, tl
from cogs.ui.transformers import CommuneTransformer
from cogs.ui.views import HabitatModal, OwnedView

MAX_CANDIDATES = 25  # a select's options


async def moderates(interaction: discord.Interaction[Any]) -> bool:
    """Whether the member moderates the server where they act (never in a DM)."""
    if interaction.guild_id is None:
        return False
    return is_moderator(interaction.user, await bot_of(interaction).guild_settings.get(interaction.guild_id))


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


@dataclass(frozen=True)
class ProjectForm:
    """A project form as it stands: what the command checked, what to do with the draft, what was
    typed (given back if refused), and whether it edits a record or proposes one."""

    facts: ProjectFacts
    on_draft: OnDraft
    typed: Typed
    editing: bool


class ProjectModal(HabitatModal):
    """The free text of a project (name, description, contact) and its publics and shared spaces.
    The rest (commune, stage, legal form…) comes from the command's options, already checked. A
    refusal comes with « Reprendre », which opens the form again as it was typed."""

    def __init__(self, interaction: discord.Interaction[Any], form: ProjectForm) -> None:
        title = t(interaction, "Modifier le projet") if form.editing else t(interaction, "Proposer un projet")
        super().__init__(title=clip(title, MODAL_TITLE), timeout=1800)
        self.form = form
        typed = form.typed
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
                    **self.form.facts.model_dump(),
                    nom=typed.nom,
                    description=typed.description,
                    contact=typed.contact,
                    publics=frozenset(Public(v) for v in typed.publics),
                    espaces_partages=frozenset(EspacePartage(v) for v in typed.espaces),
                )
            except ValidationError as error:
                raise invalid(error, ProjectDraft) from None
            await self.form.on_draft(interaction, draft)
        except UserError as error:
            resume = ResumeView(interaction, replace(self.form, typed=typed))
            await reply(interaction, describe(interaction, error), view=resume)


class ResumeView(OwnedView):
    """« Reprendre »: the refused form again, filled with what was typed."""

    def __init__(self, interaction: discord.Interaction[Any], form: ProjectForm) -> None:
        super().__init__(interaction.user.id, timeout=1800)
        self.form = form
        self.resume.label = t(interaction, "Reprendre")

    @discord.ui.button(label="Reprendre", style=discord.ButtonStyle.primary, emoji="↩️")
    async def resume(self, interaction: discord.Interaction[Any], _: discord.ui.Button[ResumeView]) -> None:
        await interaction.response.send_modal(ProjectModal(interaction, self.form))


def proposal_form(interaction: discord.Interaction[Any], facts: ProjectFacts) -> ProjectModal:
    async def save(submitted: discord.Interaction[Any], draft: ProjectDraft) -> None:
        outcome = await bot_of(submitted).project_service.propose(
            draft, proposer_id=submitted.user.id, guild_id=submitted.guild_id, locale=submitted.locale.value
        )
        await reply(submitted, submitted_answer(submitted, outcome, proposal=True))

    return ProjectModal(interaction, ProjectForm(facts, save, Typed(), editing=False))


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

    await interaction.response.send_modal(
        ProjectModal(interaction, ProjectForm(facts, save, Typed.of(project), editing=True))
    )


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
