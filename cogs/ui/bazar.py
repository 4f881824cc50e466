"""The moderators' choice when a record changed both on Discord and in the national database: the
buttons of the card the sync posts in the moderation channel (persistent: any bot answers them)."""

from __future__ import annotations

from typing import Any, ClassVar

import discord

from bot.client import bot_of
from bot.errors import UserError
from bot.limits import EMBED_FOOTER, clip
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.project_forms import moderates
from cogs.ui.text import t


class ConflictButton(ActionButton, template=r"bazar:(?P<action>garder|prendre):(?P<id>\d+)"):
    """« Garder la version Discord » / « Prendre la base nationale »."""

    PREFIX = "bazar"
    LABELS: ClassVar[dict[str, str]] = {"garder": "Garder la version Discord", "prendre": "Prendre la base nationale"}
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {"garder": discord.ButtonStyle.primary}

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if not await moderates(interaction):
            raise UserError("Seuls les modérateurs peuvent choisir entre les deux versions.")
        take = self.action == "prendre"
        project = await bot_of(interaction).core.bazar.settle(self.target_id, take_source=take)
        name = interaction.user.display_name
        if take:
            footer = t(interaction, "Base nationale retenue par {nom}", nom=name)
        else:
            footer = t(interaction, "Version Discord gardée par {nom}", nom=name)
        embeds = interaction.message.embeds if interaction.message else []
        embed = embeds[0] if embeds else discord.Embed(title=project.nom)
        embed.colour = discord.Colour.green()
        await interaction.response.edit_message(embed=embed.set_footer(text=clip(footer, EMBED_FOOTER)), view=None)
