"""`/mise-en-lien`: suggestions with their reasons, and introductions only when both sides agree."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot, bot_of
from bot.errors import Text
from bot.households.models import MAX_PENDING_REQUESTS, REQUEST_LIFETIME
from bot.households.service import Shown
from bot.limits import SELECT_LABEL, clip
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.households import ThreadRooms, answer_text, households_embed, requested_text, suggestions_embed
from cogs.ui.projects import ProjectOption, project_choices
from cogs.ui.text import reply, t
from cogs.ui.views import OwnedView

Pick = Callable[[discord.Interaction[Any], str, int], Awaitable[None]]


class SuggestionsView(OwnedView):
    """A menu to ask for an introduction with one of the suggestions shown."""

    def __init__(self, interaction: discord.Interaction[Any], shown: Shown, on_pick: Pick) -> None:
        super().__init__(interaction.user.id)
        self.on_pick = on_pick
        # The menu's values reach the member's client: they name positions, never Discord ids.
        self.targets = [("foyer", s.target_id) for s in shown.households] + [
            ("projet", s.target_id) for s in shown.projects
        ]
        options = [
            discord.SelectOption(label=t(interaction, "Foyer {n}", n=n), value=str(n - 1))
            for n, _ in enumerate(shown.households, start=1)
        ] + [
            discord.SelectOption(
                label=clip(f"🏡 {shown.records[s.target_id].nom}", SELECT_LABEL), value=str(len(shown.households) + n)
            )
            for n, s in enumerate(shown.projects)
        ]
        self.ask: discord.ui.Select[SuggestionsView] = discord.ui.Select(
            placeholder=t(interaction, "Demander une mise en lien"), options=options
        )
        self.ask.callback = self._ask  # type: ignore[method-assign]
        self.add_item(self.ask)

    async def _ask(self, interaction: discord.Interaction[Any]) -> None:
        kind, target = self.targets[int(self.ask.values[0])]
        await self.on_pick(interaction, kind, target)


async def ask_as_household(interaction: discord.Interaction[Any], kind: str, target: int) -> None:
    requested = await bot_of(interaction).households.request(
        interaction.user.id,
        household=target if kind == "foyer" else None,
        project=target if kind == "projet" else None,
        guild_id=interaction.guild_id,
    )
    await reply(interaction, requested_text(interaction, requested))


class AnswerButton(ActionButton, template=r"intro:(?P<action>oui|non):(?P<id>\d+)"):
    """« Accepter » / « Décliner » under a request (the DM is written by the core, on the ledger)."""

    PREFIX = "intro"
    LABELS: ClassVar[dict[str, str]] = {"oui": "Accepter", "non": "Décliner"}
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {"oui": discord.ButtonStyle.success}

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        answered = await bot_of(interaction).households.answer(
            self.target_id, by=interaction.user.id, accepted=self.action == "oui", rooms=ThreadRooms(interaction)
        )
        # The request's buttons give way to the answer, for good.
        text = answer_text(interaction, answered)
        if interaction.response.is_done():
            await interaction.edit_original_response(content=text, view=None)
        else:
            await interaction.response.edit_message(content=text, view=None)


@app_commands.guild_only()
class Matching(
    commands.GroupCog, group_name="mise-en-lien", group_description="Rencontrer des foyers et des projets qui recrutent"
):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AnswerButton)

    @app_commands.command(
        name="suggestions",
        description="Les foyers et projets qui vous correspondent, et pourquoi",
        extras={
            "aide": Text(
                "Choisissez un foyer ou un projet dans le menu : il reçoit votre présentation, sans votre nom, "
                "et accepte ou non. {n} demandes en attente au plus ; sans réponse en {jours} jours, la demande est "
                "close et vous êtes prévenu·e.",
                n=MAX_PENDING_REQUESTS,
                jours=REQUEST_LIFETIME.days,
            )
        },
    )
    async def suggestions(self, interaction: discord.Interaction[Any]) -> None:
        if not self.bot.households.loaded:
            # Just after a start the households are still being read (seconds, at the national scale).
            await interaction.response.defer(ephemeral=True, thinking=True)

        async def show(shown: Shown) -> None:
            answer: dict[str, Any] = {"embed": suggestions_embed(interaction, shown), "ephemeral": True}
            if shown.households or shown.projects:
                answer["view"] = SuggestionsView(interaction, shown, ask_as_household)
            if interaction.response.is_done():
                await interaction.followup.send(**answer)
            else:
                await interaction.response.send_message(**answer)

        await self.bot.households.suggestions(interaction.user.id, show)

    @app_commands.command(name="foyers", description="Les foyers qui pourraient rejoindre votre projet (référents)")
    @app_commands.describe(projet="Le projet dont vous êtes référent")
    async def foyers(self, interaction: discord.Interaction[Any], projet: ProjectOption) -> None:
        project, shown = await self.bot.households.for_project(projet.id, interaction.user.id)
        embed = households_embed(interaction, project.nom, shown)
        if not shown.households:
            await interaction.response.send_message(embed=embed, ephemeral=True)
            return

        async def propose(picked: discord.Interaction[Any], _: str, household: int) -> None:
            await bot_of(picked).households.propose(project.id, picked.user.id, household, guild_id=picked.guild_id)
            await reply(
                picked,
                t(
                    picked,
                    "Demande envoyée. Vous serez prévenu·e de la réponse ; rien n'est partagé sans l'accord des deux.",
                ),
            )

        await interaction.response.send_message(
            embed=embed, view=SuggestionsView(interaction, shown, propose), ephemeral=True
        )

    @foyers.autocomplete("projet")
    async def _own_projects(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return project_choices(await self.bot.project_service.names(current, user_id=interaction.user.id))

    @app_commands.command(name="pause", description="Ne plus recevoir le récapitulatif hebdomadaire des suggestions")
    async def pause(self, interaction: discord.Interaction[Any]) -> None:
        await self.bot.households.set_digest(interaction.user.id, False)
        await reply(interaction, t(interaction, "Plus de récapitulatif hebdomadaire."))

    @app_commands.command(name="reprendre", description="Recevoir de nouveau les suggestions chaque semaine")
    async def reprendre(self, interaction: discord.Interaction[Any]) -> None:
        await self.bot.households.set_digest(interaction.user.id, True)
        await reply(interaction, t(interaction, "Récapitulatif hebdomadaire réactivé."))


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Matching(bot))
