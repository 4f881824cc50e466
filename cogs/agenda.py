"""`/agenda`: the network's agendas on this server. Following another server of the network lives in
bot/events/following.py; this only adapts: who may act, options into values, one call, the answer."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot
from cogs.ui.following import (
    FollowedOption,
    ServerOption,
    administrators_only,
    follows_embed,
    no_channel,
    regions_choices,
    server_name,
)
from cogs.ui.text import fit, reply, t


@app_commands.guild_only()
class Agenda(commands.GroupCog, group_name="agenda", group_description="Les agendas du réseau sur ce serveur"):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        super().__init__()

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
