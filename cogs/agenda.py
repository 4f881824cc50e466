"""`/agenda`: the associations' agendas (calendar feeds) this server subscribes to. The flow lives in
bot/sources/feed_service.py; this only adapts."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot
from cogs.ui.feeds import FeedButton, feeds_message, may_organise, organisers_only
from cogs.ui.text import reply, t, tn
from cogs.ui.transformers import RegionOption, server_zone


@app_commands.guild_only()
class Agenda(commands.GroupCog, group_name="agenda", group_description="Les agendas des associations du réseau"):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(FeedButton)

    # ------------------------------------------------------------------ calendar feeds

    @app_commands.command(name="abonner", description="Suivre l'agenda (.ics) d'une association (organisateurs)")
    @app_commands.describe(
        adresse="Adresse de l'agenda (.ics ou webcal://) : Google Agenda, Nextcloud, site de l'association",
        nom="Nom de l'association, affiché sur ses événements",
        region="Région de l'association (celle de ses événements dont le lieu n'est pas une commune)",
        annoncer="Annoncer ses nouveaux événements dans le salon des annonces de ce serveur",
        inscriptions="Permettre aussi l'inscription par le bot (sinon, le lien d'inscription de l'agenda)",
    )
    async def abonner(
        self,
        interaction: discord.Interaction[Any],
        adresse: app_commands.Range[str, 8, 500],
        nom: app_commands.Range[str, 2, 80],
        region: RegionOption,
        annoncer: bool,
        inscriptions: bool = False,
    ) -> None:
        await organisers_only(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # the feed is read at once
        feed, report = await self.bot.core.feeds.subscribe(
            interaction.guild_id or 0, adresse, nom, region, announce=annoncer, signup=inscriptions,
            subscriber_id=interaction.user.id, locale=interaction.locale.value,
        )  # fmt: skip
        found = tn(interaction, "{n} événement à venir", "{n} événements à venir", report.found)
        text = t(interaction, "Abonné à l'agenda « {nom} » : {evenements}.", nom=feed.name, evenements=found)
        if report.duplicates:
            text += " " + t(interaction, "Déjà là par un autre agenda : {n}.", n=report.duplicates)
        await reply(interaction, text)

    @app_commands.command(name="abonnements", description="Les agendas que suit ce serveur : relire, retirer")
    async def abonnements(self, interaction: discord.Interaction[Any]) -> None:
        feeds = await self.bot.core.feeds.of_guild(interaction.guild_id or 0)
        if not feeds:
            await reply(interaction, t(interaction, "Ce serveur ne suit encore aucun agenda : /agenda abonner."))
            return
        manage = await may_organise(interaction)
        embed, view = feeds_message(interaction, feeds, await server_zone(interaction), manage=manage)
        if view is None:
            await reply(interaction, "", embed=embed)
        else:
            await reply(interaction, "", embed=embed, view=view)


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Agenda(bot))
