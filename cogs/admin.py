"""`/config`: each server's channels, roles, time zone and reminder offsets (administrators only)."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot
from bot.errors import UserError
from bot.guild_settings import GuildSettings, format_offset, parse_offsets, timezone_suggestions
from cogs.ui.text import fit, reply, t

# Where the bot must be able to write, per channel setting.
WRITE_PERMISSIONS = ("view_channel", "send_messages", "embed_links")


def settings_embed(interaction: discord.Interaction[Any], settings: GuildSettings) -> discord.Embed:
    unset = t(interaction, "non défini")

    def channel(channel_id: int | None) -> str:
        return f"<#{channel_id}>" if channel_id else unset

    def role(role_id: int | None) -> str:
        return f"<@&{role_id}>" if role_id else unset

    embed = discord.Embed(title=t(interaction, "Réglages du serveur"), colour=discord.Colour.blurple())
    embed.add_field(name=t(interaction, "Salon des annonces"), value=channel(settings.announce_channel_id))
    embed.add_field(name=t(interaction, "Forum des petites annonces"), value=channel(settings.ads_forum_id))
    embed.add_field(name=t(interaction, "File de modération"), value=channel(settings.modqueue_channel_id))
    embed.add_field(name=t(interaction, "Salon d'accueil"), value=channel(settings.welcome_channel_id))
    embed.add_field(name=t(interaction, "Salon des mises en lien"), value=channel(settings.matching_channel_id))
    embed.add_field(name=t(interaction, "Forum des ressources"), value=channel(settings.resources_forum_id))
    embed.add_field(name=t(interaction, "Rôle des organisateurs"), value=role(settings.organiser_role_id))
    embed.add_field(name=t(interaction, "Rôle des modérateurs"), value=role(settings.moderator_role_id))
    embed.add_field(name=t(interaction, "Fuseau horaire"), value=settings.timezone)
    offsets = ", ".join(format_offset(minutes) for minutes in settings.reminder_offsets)
    embed.add_field(name=t(interaction, "Rappels avant un événement"), value=offsets, inline=False)
    embed.add_field(
        name=t(interaction, "Heures calmes (pas de rappel)"), value=f"{settings.quiet_start} h → {settings.quiet_end} h"
    )
    embed.add_field(
        name=t(interaction, "Petites annonces par membre"),
        value=t(interaction, "{n} en cours, {m} par jour", n=settings.max_live_ads, m=settings.max_ads_per_day),
    )
    embed.add_field(
        name=t(interaction, "Bilans de la base nationale"),
        value=t(interaction, "oui") if settings.national_db_reports else t(interaction, "non"),
    )
    return embed


def ensure_bot_can_write(channel: discord.abc.GuildChannel, purpose: str = "") -> None:
    permissions = channel.permissions_for(channel.guild.me)
    missing = [name for name in WRITE_PERMISSIONS if not getattr(permissions, name)]
    if isinstance(channel, discord.ForumChannel) and not permissions.create_public_threads:
        missing.append("create_public_threads")
    if purpose == "matching_channel_id" and not permissions.create_private_threads:
        missing.append("create_private_threads")
    if missing:
        raise UserError(
            "Je ne peux pas publier dans {salon} : donnez-moi les permissions {permissions} dans ce salon.",
            salon=channel.mention,
            permissions=", ".join(missing),
        )


@app_commands.guild_only()
@app_commands.default_permissions(administrator=True)
class Config(commands.GroupCog, group_name="config", group_description="Réglages du bot sur ce serveur"):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        # Discord hides the group from non-administrators, but a server can override that.
        if not interaction.permissions.administrator:
            raise app_commands.MissingPermissions(["administrator"])
        return True

    async def _answer(self, interaction: discord.Interaction[Any], settings: GuildSettings, message: str) -> None:
        await reply(interaction, message, embed=settings_embed(interaction, settings))

    @app_commands.command(name="voir", description="Voir les réglages de ce serveur")
    async def voir(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        settings = await self.bot.guild_settings.get(interaction.guild_id)
        await interaction.response.send_message(embed=fit(settings_embed(interaction, settings)), ephemeral=True)

    @app_commands.command(name="salons", description="Choisir les salons où le bot publie")
    @app_commands.describe(
        annonces="Salon des annonces d'événements et des rappels programmés",
        petites_annonces="Forum où chaque petite annonce devient un fil",
        moderation="Salon privé où arrivent projets et annonces à valider",
        accueil="Salon où accueillir les nouveaux membres dont les messages privés sont fermés",
        mise_en_lien="Salon où s'ouvrent les fils privés des mises en lien acceptées",
        ressources="Forum où chaque ressource publiée devient un fil",
    )
    async def salons(
        self,
        interaction: discord.Interaction[Any],
        annonces: discord.TextChannel | None = None,
        petites_annonces: discord.ForumChannel | None = None,
        moderation: discord.TextChannel | None = None,
        accueil: discord.TextChannel | None = None,
        mise_en_lien: discord.TextChannel | None = None,
        ressources: discord.ForumChannel | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        chosen = {
            "announce_channel_id": annonces,
            "ads_forum_id": petites_annonces,
            "modqueue_channel_id": moderation,
            "welcome_channel_id": accueil,
            "matching_channel_id": mise_en_lien,
            "resources_forum_id": ressources,
        }
        changes = {column: channel for column, channel in chosen.items() if channel is not None}
        if not changes:
            raise UserError("Choisissez au moins un salon.")
        for purpose, channel in changes.items():
            ensure_bot_can_write(channel, purpose)
        settings = await self.bot.guild_settings.update(
            interaction.guild_id, **{column: channel.id for column, channel in changes.items()}
        )
        await self._answer(interaction, settings, t(interaction, "Salons enregistrés."))

    @app_commands.command(name="roles", description="Choisir les rôles des organisateurs et des modérateurs")
    @app_commands.describe(
        organisateurs="Rôle qui peut créer des événements et programmer des annonces",
        moderateurs="Rôle qui valide projets et petites annonces",
    )
    async def roles(
        self,
        interaction: discord.Interaction[Any],
        organisateurs: discord.Role | None = None,
        moderateurs: discord.Role | None = None,
    ) -> None:
        assert interaction.guild_id is not None
        changes = {
            column: role.id
            for column, role in (("organiser_role_id", organisateurs), ("moderator_role_id", moderateurs))
            if role is not None
        }
        if not changes:
            raise UserError("Choisissez au moins un rôle.")
        settings = await self.bot.guild_settings.update(interaction.guild_id, **changes)
        await self._answer(interaction, settings, t(interaction, "Rôles enregistrés."))

    @app_commands.command(name="fuseau", description="Fuseau horaire des dates affichées sur ce serveur")
    @app_commands.describe(fuseau="Nom IANA, par exemple Europe/Paris ou America/Martinique")
    async def fuseau(self, interaction: discord.Interaction[Any], fuseau: app_commands.Range[str, 1, 64]) -> None:
        assert interaction.guild_id is not None
        settings = await self.bot.guild_settings.update(interaction.guild_id, timezone=fuseau)
        await self._answer(
            interaction,
            settings,
            t(interaction, "Fuseau horaire enregistré : {fuseau}.", fuseau=settings.timezone),
        )

    @fuseau.autocomplete("fuseau")
    async def fuseau_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=name, value=name) for name in timezone_suggestions(current or "Europe/")]

    @app_commands.command(name="rappels", description="Délais des rappels envoyés avant un événement")
    @app_commands.describe(delais="Par exemple « 7j 1j 2h » : sept jours, un jour et deux heures avant")
    async def rappels(self, interaction: discord.Interaction[Any], delais: app_commands.Range[str, 1, 100]) -> None:
        assert interaction.guild_id is not None
        settings = await self.bot.guild_settings.set_reminder_offsets(interaction.guild_id, parse_offsets(delais))
        await self._answer(interaction, settings, t(interaction, "Délais de rappel enregistrés."))

    @app_commands.command(name="petites-annonces", description="Limites des petites annonces par membre")
    @app_commands.describe(
        en_cours="Annonces en cours par membre (5 par défaut)", par_jour="Annonces publiées par jour (3 par défaut)"
    )
    async def annonces(
        self,
        interaction: discord.Interaction[Any],
        en_cours: app_commands.Range[int, 1, 100],
        par_jour: app_commands.Range[int, 1, 100],
    ) -> None:
        assert interaction.guild_id is not None
        settings = await self.bot.guild_settings.update(
            interaction.guild_id, max_live_ads=en_cours, max_ads_per_day=par_jour
        )
        await self._answer(interaction, settings, t(interaction, "Limites des petites annonces enregistrées."))

    @app_commands.command(
        name="heures-calmes", description="Heures sans rappel en message privé (22 h → 8 h par défaut)"
    )
    @app_commands.describe(debut="Heure où le calme commence (0 à 23)", fin="Heure où il finit (0 à 23)")
    async def heures_calmes(
        self,
        interaction: discord.Interaction[Any],
        debut: app_commands.Range[int, 0, 23],
        fin: app_commands.Range[int, 0, 23],
    ) -> None:
        assert interaction.guild_id is not None
        settings = await self.bot.guild_settings.update(interaction.guild_id, quiet_start=debut, quiet_end=fin)
        await self._answer(interaction, settings, t(interaction, "Heures calmes enregistrées."))

    @app_commands.command(
        name="base-nationale", description="Recevoir les bilans de synchronisation avec la base nationale"
    )
    @app_commands.describe(recevoir="Chaque bilan, et les fiches à arbitrer, dans le salon de modération")
    async def base_nationale(self, interaction: discord.Interaction[Any], recevoir: bool) -> None:
        assert interaction.guild_id is not None
        settings = await self.bot.guild_settings.update(interaction.guild_id, national_db_reports=recevoir)
        if recevoir and settings.modqueue_channel_id is None:
            message = t(interaction, "Enregistré, mais choisissez d'abord un salon de modération (/config salons).")
        else:
            message = t(interaction, "Bilans de la base nationale enregistrés.")
        await self._answer(interaction, settings, message)


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Config(bot))
