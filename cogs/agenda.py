"""`/agenda`: the network's agendas on this server — the associations' calendar feeds it subscribes to
(bot/sources/feed_service.py) and the other servers it follows (bot/events/following.py). This only
adapts: who may act, options into values, one call, the answer."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot
from cogs.ui.feeds import FeedButton, feeds_message
from cogs.ui.following import (
    FollowedOption,
    ServerOption,
    administrators_only,
    follows_embed,
    no_channel,
    regions_choices,
    server_name,
)
from cogs.ui.members import may_organise, organisers_only
from cogs.ui.text import fit, reply, t, tn
from cogs.ui.transformers import RegionOption, server_zone


@app_commands.guild_only()
class Agenda(commands.GroupCog, group_name="agenda", group_description="Les agendas du réseau sur ce serveur"):
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

    # ------------------------------------------------------------------ following another server

    @app_commands.command(name="suivre", description="Annoncer ici les nouveaux événements d'un autre serveur")
    @app_commands.describe(
        serveur="Un autre serveur du réseau où le bot est présent",
        regions="Seulement les événements de ces régions, séparées par des virgules (sinon : tous)",
    )
    async def suivre(
        self,
        interaction: discord.Interaction[Any],
        serveur: ServerOption,
        regions: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        await administrators_only(interaction)
        assert interaction.guild_id is not None
        following = self.bot.core.following
        follow, created = await following.follow(
            interaction.guild_id,
            serveur.id,
            name=serveur.name,
            locale=(interaction.guild_locale or interaction.locale).value,
            by=interaction.user.id,
            regions=following.regions(regions),
        )
        lines = [
            t(interaction, "Ce serveur suit désormais « {serveur} ».", serveur=serveur.name)
            if created
            else t(interaction, "Suivi de « {serveur} » mis à jour.", serveur=serveur.name)
        ]
        if follow.regions:
            lines.append(t(interaction, "Seulement les événements de : {regions}.", regions=", ".join(follow.regions)))
        lines.append(t(interaction, "Ses nouveaux événements seront annoncés dans le salon d'annonces de ce serveur."))
        if (await self.bot.guild_settings.get(interaction.guild_id)).announce_channel_id is None:
            lines.append(no_channel(interaction))
        await reply(interaction, "\n".join(lines))

    @suivre.autocomplete("regions")
    async def _regions_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return regions_choices(interaction, current)

    @app_commands.command(name="ne-plus-suivre", description="Ne plus annoncer ici les événements d'un autre serveur")
    @app_commands.describe(serveur="Le serveur suivi")
    async def ne_plus_suivre(self, interaction: discord.Interaction[Any], serveur: FollowedOption) -> None:
        await administrators_only(interaction)
        assert interaction.guild_id is not None
        name = server_name(interaction, serveur.followed_id, serveur.followed_name)
        await self.bot.core.following.unfollow(interaction.guild_id, serveur.followed_id, typed=name)
        await reply(interaction, t(interaction, "Ce serveur ne suit plus « {serveur} ».", serveur=name))

    @app_commands.command(name="suivis", description="Les serveurs que ce serveur suit, et ceux qui le suivent")
    async def suivis(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        follows = await self.bot.core.following.of(interaction.guild_id)
        has_channel = (await self.bot.guild_settings.get(interaction.guild_id)).announce_channel_id is not None
        await interaction.response.send_message(
            embed=fit(follows_embed(interaction, follows, has_channel)), ephemeral=True
        )


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Agenda(bot))
