"""`/accompagnement diagnostic`: three forms with menus (the project and its commune, where each strand
stands, what feels blocked), resumed where the member stopped; the result as a card per strand; kept only
when the member asks (« Garder ce diagnostic »), seen again and redone later."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import bot_of
from bot.errors import UserError
from bot.geo import Commune
from bot.limits import (
    BUTTON_LABEL,
    INPUT_LABEL,
    INPUT_PLACEHOLDER,
    MODAL_TITLE,
    SELECT_DESCRIPTION,
    SELECT_LABEL,
    clip,
)
from bot.resources.diagnostic.models import NOT_YET, Draft, Kept
from bot.resources.diagnostic.rules import suggested_step
from bot.resources.diagnostic.service import Diagnosis, DiagnosticService
from bot.resources.framework import BLOCAGES, PHASE, STEPS
from bot.vocabulary import Etape, Initiative, Volet, label
from cogs.ui.diagnostic_cards import add_menus, result_embeds
from cogs.ui.errors import reported
from cogs.ui.project_forms import PlaceOrChoices, with_commune
from cogs.ui.text import reply, t, tl
from cogs.ui.views import HabitatModal, OwnedView

TITLES = {1: "Votre projet (1/3)", 2: "Où en est le groupe (2/3)", 3: "Ce qui coince (3/3)"}
INITIATIVES = {
    Initiative.citoyenne: "Un groupe de futurs habitants",
    Initiative.institutionnelle: "Une collectivité",
    Initiative.professionnelle: "Un promoteur, un aménageur, un bailleur social",
}
PHASES = {
    Etape.emergence: "Le groupe se forme, cherche son lieu",
    Etape.realisation: "Études, conception, chantier",
    Etape.vivre_ensemble: "Le lieu est habité",
}


def service_of(interaction: discord.Interaction[Any]) -> DiagnosticService:
    return bot_of(interaction).core.diagnostics


def option(
    interaction: discord.Interaction[Any], text: str, value: str, *, default: bool, description: str | None = None
) -> discord.SelectOption:
    return discord.SelectOption(
        label=clip(text, SELECT_LABEL),
        value=value,
        default=default,
        description=clip(t(interaction, description), SELECT_DESCRIPTION) if description else None,
    )


# ---------------------------------------------------------------------- the three forms


class StepForm(HabitatModal):
    """One step of the diagnostic, prefilled with what the member answered before (or what a previous
    diagnostic said, or what the phase suggests)."""

    def __init__(self, interaction: discord.Interaction[Any], step: int, draft: Draft) -> None:
        super().__init__(title=clip(t(interaction, TITLES[step]), MODAL_TITLE), timeout=1800)
        self.step = step
        self.draft = draft
        self.menus: dict[str, discord.ui.Select[StepForm]] = {}
        self.commune: discord.ui.TextInput[StepForm] | None = None
        if step == 1:
            self._first(interaction, draft)
        elif step == 2:
            self._second(interaction, draft)
        else:
            self._third(interaction, draft)

    def _menu(
        self,
        interaction: discord.Interaction[Any],
        key: str,
        text: str,
        options: list[discord.SelectOption],
        *,
        many: bool = False,
    ) -> None:
        menu: discord.ui.Select[StepForm] = discord.ui.Select(
            options=options,
            min_values=0 if many else 1,
            max_values=len(options) if many else 1,
            required=not many,
            custom_id=f"diag-{key}",
        )
        self.menus[key] = menu
        self.add_item(discord.ui.Label(text=clip(text, INPUT_LABEL), component=menu))

    def _first(self, interaction: discord.Interaction[Any], draft: Draft) -> None:
        self._menu(
            interaction,
            "initiative",
            t(interaction, "Qui a lancé le projet ?"),
            [
                option(
                    interaction, tl(interaction, kind), kind.value, default=kind is draft.initiative, description=why
                )
                for kind, why in INITIATIVES.items()
            ],
        )
        self._menu(
            interaction,
            "etape",
            t(interaction, "Dans quelle phase est-il ?"),
            [
                option(interaction, tl(interaction, phase), phase.value, default=phase is draft.etape, description=why)
                for phase, why in PHASES.items()
            ],
        )
        commune = bot_of(interaction).geo.commune(draft.code_insee) if draft.code_insee else None
        self.commune = discord.ui.TextInput(
            label=clip(t(interaction, "Commune du projet"), INPUT_LABEL),
            placeholder=clip(t(interaction, "Nom, code postal ou code INSEE"), INPUT_PLACEHOLDER),
            default=commune.label if commune else None,
            max_length=100,
            custom_id="diag-commune",
        )
        self.add_item(self.commune)

    def _second(self, interaction: discord.Interaction[Any], draft: Draft) -> None:
        for strand in Volet:
            chosen = draft.steps.get(strand)
            if strand not in draft.steps and draft.etape is not None:
                chosen = suggested_step(strand, draft.etape)
            options = [
                option(
                    interaction,
                    t(interaction, "Pas encore commencé"),
                    NOT_YET,
                    default=chosen is None,
                )
            ]
            options += [
                option(
                    interaction,
                    tl(interaction, step),
                    step.value,
                    default=step is chosen,
                    description=label(PHASE[step]),
                )
                for step in STEPS[strand]
            ]
            self._menu(interaction, f"pas-{strand.value}", tl(interaction, strand), options)

    def _third(self, interaction: discord.Interaction[Any], draft: Draft) -> None:
        for strand in Volet:
            options = [
                option(interaction, tl(interaction, blocker), blocker.value, default=blocker in draft.blocages)
                for blocker in BLOCAGES[strand]
            ]
            self._menu(interaction, f"blocages-{strand.value}", tl(interaction, strand), options, many=True)

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        service = service_of(interaction)
        if self.step == 1:
            assert self.commune is not None
            place = await PlaceOrChoices().transform(interaction, self.commune.value)
            initiative, etape = self.menus["initiative"].values[0], self.menus["etape"].values[0]

            async def then(answered: discord.Interaction[Any], commune: Commune) -> None:
                draft = service.save_project(answered.user.id, self.draft, initiative, etape, commune)
                await step_saved(answered, 1, draft)

            await with_commune(interaction, place, then)
        elif self.step == 2:
            draft = service.save_steps(
                interaction.user.id, {strand: self.menus[f"pas-{strand.value}"].values[0] for strand in Volet}
            )
            await step_saved(interaction, 2, draft)
        else:
            diagnosis = await service.save_blockers(
                interaction.user.id, {strand: self.menus[f"blocages-{strand.value}"].values for strand in Volet}
            )
            await show(interaction, diagnosis, ResultView(interaction))


async def step_saved(interaction: discord.Interaction[Any], step: int, draft: Draft) -> None:
    view = OwnedView(interaction.user.id)
    view.add_item(StepButton(interaction, draft.next_step))
    await reply(interaction, t(interaction, "Étape {n}/3 enregistrée.", n=step), view=view)


class StepButton(discord.ui.Button[OwnedView]):
    """Opens a step's form (« Continuer (2/3) »)."""

    def __init__(self, interaction: discord.Interaction[Any], step: int, text: str = "Continuer ({n}/3)") -> None:
        super().__init__(label=clip(t(interaction, text, n=step), BUTTON_LABEL), style=discord.ButtonStyle.primary)
        self.step = step

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await open_step(interaction, self.step)


async def open_step(interaction: discord.Interaction[Any], step: int) -> None:
    service = service_of(interaction)
    draft = service.draft(interaction.user.id)
    if draft is None or draft.done < step - 1:
        draft = await service.prefill(interaction.user.id)
        step = 1
    await interaction.response.send_modal(StepForm(interaction, step, draft))


# ---------------------------------------------------------------------- the result


async def show(
    interaction: discord.Interaction[Any], diagnosis: Diagnosis, view: OwnedView, kept: Kept | None = None
) -> None:
    add_menus(view, interaction, diagnosis)
    await reply(interaction, "", embeds=result_embeds(interaction, diagnosis, kept), view=view)


class ResultView(OwnedView):
    """Under a fresh result: keep it, or start again."""

    def __init__(self, interaction: discord.Interaction[Any]) -> None:
        super().__init__(interaction.user.id)
        self.keep.label = clip(t(interaction, "Garder ce diagnostic"), BUTTON_LABEL)
        self.add_item(StepButton(interaction, 1, "Refaire le diagnostic"))

    @discord.ui.button(label="Garder ce diagnostic", style=discord.ButtonStyle.success)
    async def keep(self, interaction: discord.Interaction[Any], _: discord.ui.Button[ResultView]) -> None:
        self.stop()
        service = service_of(interaction)
        projects = await service.projects_of(interaction.user.id)
        if len(projects) > 1:
            await reply(
                interaction,
                t(
                    interaction,
                    "Vous êtes référent·e de plusieurs projets : sur la fiche duquel garder ce diagnostic ?",
                ),
                view=ProjectPicker(interaction, projects),
            )
            return
        await keep(interaction, projects[0][0] if projects else None)


async def keep(interaction: discord.Interaction[Any], project_id: int | None) -> None:
    kept = await service_of(interaction).keep(interaction.user.id, project_id)
    text = (
        t(interaction, "Diagnostic gardé, pour vous et sur la fiche de « {projet} ».", projet=kept.project_name)
        if kept.project_name
        else t(interaction, "Diagnostic gardé.")
    )
    text += " " + t(interaction, "Revoyez-le ou refaites-le avec /accompagnement diagnostic.")
    await interaction.response.edit_message(content=text, view=None)


class ProjectPicker(OwnedView):
    ONLY_ME = "moi"

    def __init__(self, interaction: discord.Interaction[Any], projects: Sequence[tuple[int, str]]) -> None:
        super().__init__(interaction.user.id)
        self.menu: discord.ui.Select[ProjectPicker] = discord.ui.Select(
            placeholder=t(interaction, "Choisissez le projet"),
            options=[
                *(option(interaction, name, str(project_id), default=False) for project_id, name in projects[:24]),
                option(interaction, t(interaction, "Pour moi seulement"), self.ONLY_ME, default=False),
            ],
        )
        self.menu.callback = self._picked  # type: ignore[method-assign]
        self.add_item(self.menu)

    async def _picked(self, interaction: discord.Interaction[Any]) -> None:
        self.stop()
        chosen = self.menu.values[0]
        await keep(interaction, None if chosen == self.ONLY_ME else int(chosen))


class KeptView(OwnedView):
    """Under a kept diagnostic: do it again, or forget it."""

    def __init__(self, interaction: discord.Interaction[Any], kept: Kept) -> None:
        super().__init__(interaction.user.id)
        self.add_item(StepButton(interaction, 1, "Refaire le diagnostic"))
        self.forget.label = clip(t(interaction, "Oublier ce diagnostic"), BUTTON_LABEL)
        if kept.user_id != interaction.user.id:
            self.remove_item(self.forget)  # another référent's: theirs to forget

    @discord.ui.button(label="Oublier ce diagnostic", style=discord.ButtonStyle.danger)
    async def forget(self, interaction: discord.Interaction[Any], _: discord.ui.Button[KeptView]) -> None:
        self.stop()
        await service_of(interaction).forget(interaction.user.id)
        await interaction.response.edit_message(content=t(interaction, "Diagnostic oublié."), embeds=[], view=None)


class StartView(OwnedView):
    """What a member who already began, or kept one, may do: see it again, go on, or start over."""

    def __init__(self, interaction: discord.Interaction[Any], draft: Draft | None, kept: Kept | None) -> None:
        super().__init__(interaction.user.id)
        self.kept = kept
        self.review.label = clip(t(interaction, "Revoir mon diagnostic"), BUTTON_LABEL)
        self.result.label = clip(t(interaction, "Voir le résultat"), BUTTON_LABEL)
        if kept is None:
            self.remove_item(self.review)
        if draft is None or not draft.complete:
            self.remove_item(self.result)
        if draft is not None and not draft.complete:
            self.add_item(StepButton(interaction, draft.next_step, "Reprendre ({n}/3)"))
        self.add_item(StepButton(interaction, 1, "Refaire le diagnostic"))

    @discord.ui.button(label="Revoir mon diagnostic", style=discord.ButtonStyle.primary)
    async def review(self, interaction: discord.Interaction[Any], _: discord.ui.Button[StartView]) -> None:
        kept = await service_of(interaction).kept(interaction.user.id)
        if kept is None:
            raise UserError("Vous n'avez pas de diagnostic gardé.")
        diagnosis = await service_of(interaction).diagnose(kept.answers)
        await show(interaction, diagnosis, KeptView(interaction, kept), kept)

    @discord.ui.button(label="Voir le résultat", style=discord.ButtonStyle.primary)
    async def result(self, interaction: discord.Interaction[Any], _: discord.ui.Button[StartView]) -> None:
        await show(interaction, await service_of(interaction).result(interaction.user.id), ResultView(interaction))


# ---------------------------------------------------------------------- the command


class DiagnosticCommands(commands.Cog):
    """The `diagnostic` command of `/accompagnement` (mixed into its group cog)."""

    @app_commands.command(
        name="diagnostic", description="Faire le point sur votre projet et trouver qui peut vous accompagner"
    )
    async def diagnostic(self, interaction: discord.Interaction[Any]) -> None:
        service = service_of(interaction)
        draft = service.draft(interaction.user.id)
        kept = await service.kept(interaction.user.id)
        if draft is None and kept is None:
            await interaction.response.send_modal(StepForm(interaction, 1, await service.prefill(interaction.user.id)))
            return
        if draft is not None and not draft.complete:
            text = t(interaction, "Vous aviez commencé un diagnostic : reprenez-le là où vous en étiez.")
        elif draft is not None:
            text = t(interaction, "Votre dernier diagnostic n'est pas encore gardé.")
        else:
            text = t(interaction, "Vous avez gardé un diagnostic : revoyez-le, ou refaites-le.")
        await reply(interaction, text, view=StartView(interaction, draft, kept))
