"""`/mes-donnees`: a member sees, exports and erases everything the bot holds about them."""

from __future__ import annotations

import io
import json
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot
from cogs.ui.text import t
from cogs.ui.views import OwnedView


class EraseView(OwnedView):
    def __init__(self, interaction: discord.Interaction[Any], bot: HabitatBot) -> None:
        super().__init__(interaction.user.id, timeout=300)
        self.bot = bot
        self.confirm.label = t(interaction, "Tout effacer")
        self.cancel.label = t(interaction, "Annuler")

    @discord.ui.button(label="Tout effacer", style=discord.ButtonStyle.danger)
    async def confirm(self, interaction: discord.Interaction[Any], _: discord.ui.Button[EraseView]) -> None:
        await interaction.response.defer()
        await self.bot.member_data.erase(interaction.user.id)
        self.stop()
        await interaction.edit_original_response(
            content=t(interaction, "C'est fait : le bot ne garde plus rien qui vous concerne."), view=None
        )

    @discord.ui.button(label="Annuler", style=discord.ButtonStyle.secondary)
    async def cancel(self, interaction: discord.Interaction[Any], _: discord.ui.Button[EraseView]) -> None:
        self.stop()
        await interaction.response.edit_message(content=t(interaction, "Rien n'a été effacé."), view=None)


class Privacy(commands.GroupCog, group_name="mes-donnees", group_description="Ce que le bot garde sur vous"):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="voir", description="Recevoir tout ce que le bot garde sur vous (fichier JSON)")
    async def voir(self, interaction: discord.Interaction[Any]) -> None:
        data = await self.bot.member_data.export(interaction.user.id)
        text = json.dumps(data, ensure_ascii=False, indent=2, default=str)
        file = discord.File(io.BytesIO(text.encode("utf-8")), filename="mes-donnees.json")
        await interaction.response.send_message(
            t(interaction, "Voici tout ce que le bot garde sur vous."), file=file, ephemeral=True
        )

    @app_commands.command(name="supprimer", description="Effacer tout ce que le bot garde sur vous")
    async def supprimer(self, interaction: discord.Interaction[Any]) -> None:
        await interaction.response.send_message(
            t(
                interaction,
                "Effacer votre présentation, vos demandes de mise en lien, vos petites annonces (leurs fils seront "
                "fermés), vos inscriptions (les places restent comptées, sans votre nom), l'adresse de votre agenda "
                "personnel (elle cessera de fonctionner), vos diagnostics, vos propositions de ressources en attente "
                "(celles publiées restent, sans votre nom), vos demandes de contact et votre place parmi les "
                "contacts des structures d'accompagnement, vos préférences et vos rôles de référent ? C'est définitif.",
            ),
            view=EraseView(interaction, self.bot),
            ephemeral=True,
        )


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Privacy(bot))
