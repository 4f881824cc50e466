"""`/rappel`: organisers' scheduled announcements. The rules live in bot/announcements/; this only adapts."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.announcements.rules import parse_weekdays
from bot.client import HabitatBot
from bot.dates import format_when
from bot.errors import UserError
from bot.limits import CHOICE_NAME, EMBED_FIELD_NAME, EMBED_FIELD_VALUE, clip
from bot.recurrence import Frequency
from bot.text import typed_id
from cogs.ui.errors import Refused
from cogs.ui.members import is_organiser
from cogs.ui.text import reply, t
from cogs.ui.transformers import MomentOption, server_zone

ANNOUNCEMENT_REPEATS = [
    app_commands.Choice(name="Une seule fois", value=Frequency.once.value),
    app_commands.Choice(name="Chaque jour", value=Frequency.daily.value),
    app_commands.Choice(name="Chaque semaine (jours choisis)", value=Frequency.weekly.value),
    app_commands.Choice(name="Chaque mois, à la même date", value=Frequency.monthly_day.value),
    app_commands.Choice(name="Chaque mois, même rang (ex. 1er lundi)", value=Frequency.monthly_nth.value),
]
LISTED = 25  # an embed holds 25 fields
EXCERPT = 200  # of each announcement's text, in the list


@app_commands.guild_only()
class Announcements(commands.GroupCog, group_name="rappel", group_description="Annonces programmées (organisateurs)"):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        super().__init__()

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        settings = await self.bot.guild_settings.get(interaction.guild_id or 0)
        if not is_organiser(interaction.user, settings):
            raise Refused("Réservé aux organisateurs du serveur.")
        return True

    @app_commands.command(name="programmer", description="Programmer une annonce, une fois ou régulièrement")
    @app_commands.describe(
        salon="Salon où publier",
        message="Le texte de l'annonce",
        quand="Première diffusion : 12/04/2027 9h, lundi 9h…",
        repetition="Répéter l'annonce",
        jours="Pour « chaque semaine » : les jours, par exemple « lundi jeudi »",
        role="Un rôle à mentionner (le seul ping permis)",
    )
    @app_commands.choices(repetition=ANNOUNCEMENT_REPEATS)
    async def programmer(
        self,
        interaction: discord.Interaction[Any],
        salon: discord.TextChannel,
        message: app_commands.Range[str, 1, 1900],
        quand: MomentOption,
        repetition: str = Frequency.once.value,
        jours: app_commands.Range[str, 3, 80] | None = None,
        role: discord.Role | None = None,
    ) -> None:
        assert interaction.guild_id is not None and isinstance(interaction.user, discord.Member)
        if not salon.permissions_for(salon.guild.me).send_messages:
            raise UserError("Je ne peux pas publier dans {salon}.", salon=salon.mention)
        if not salon.permissions_for(interaction.user).send_messages:
            raise UserError(
                "Vous ne pouvez pas écrire dans {salon} : le bot n'y écrira pas pour vous.", salon=salon.mention
            )
        if role is not None and not (role.mentionable or interaction.user.guild_permissions.mention_everyone):
            raise UserError("Vous ne pouvez pas mentionner le rôle {role}.", role=role.name)
        announcement = await self.bot.announcements.schedule(
            guild_id=interaction.guild_id,
            channel_id=salon.id,
            author_id=interaction.user.id,
            content=message,
            role_id=role.id if role else None,
            frequency=Frequency(repetition),
            first=quand,
            weekdays=parse_weekdays(jours) if jours else None,
        )
        assert announcement.next_at is not None
        await reply(
            interaction,
            t(
                interaction,
                "Annonce n° {id} programmée dans {salon}, première diffusion {quand}.",
                id=announcement.id,
                salon=salon.mention,
                quand=format_when(announcement.next_at, await server_zone(interaction), interaction.locale.value),
            ),
        )

    @app_commands.command(name="liste", description="Les annonces programmées de ce serveur")
    async def liste(self, interaction: discord.Interaction[Any]) -> None:
        assert interaction.guild_id is not None
        settings = await self.bot.guild_settings.get(interaction.guild_id)
        found = await self.bot.announcements.of_guild(interaction.guild_id)
        if not found:
            await reply(interaction, t(interaction, "Aucune annonce programmée."))
            return
        embed = discord.Embed(title=t(interaction, "Annonces programmées"), colour=discord.Colour.blurple())
        for a in found[:LISTED]:
            when = format_when(a.next_at, settings.zone, interaction.locale.value) if a.next_at else "—"
            repeat = t(interaction, label_of_repeat(a.rule.frequency))
            embed.add_field(
                name=clip(f"n° {a.id} · <#{a.channel_id}>", EMBED_FIELD_NAME),
                value=clip(
                    f"{t(interaction, 'Prochaine : {quand}', quand=when)} · {repeat}\n{clip(a.content, EXCERPT)}",
                    EMBED_FIELD_VALUE,
                ),
                inline=False,
            )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="annuler", description="Arrêter une annonce programmée")
    @app_commands.describe(annonce="L'annonce à arrêter")
    async def annuler(self, interaction: discord.Interaction[Any], annonce: app_commands.Range[str, 1, 100]) -> None:
        assert interaction.guild_id is not None
        number = typed_id(annonce)
        if number is None:
            raise UserError("Je ne trouve pas cette annonce sur ce serveur.")
        await self.bot.announcements.cancel(number, interaction.guild_id)
        await reply(interaction, t(interaction, "Annonce n° {id} arrêtée.", id=number))

    @annuler.autocomplete("annonce")
    async def _announcement_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        settings = await self.bot.guild_settings.get(interaction.guild_id or 0)
        if not is_organiser(interaction.user, settings):
            return []  # autocomplete skips the cog's check: organisers only, here too
        found = await self.bot.announcements.of_guild(interaction.guild_id or 0)
        matching = [a for a in found if current.casefold() in f"{a.id} {a.content}".casefold()]
        return [
            app_commands.Choice(name=clip(f"n° {a.id} — {a.content}", CHOICE_NAME), value=str(a.id))
            for a in matching[:LISTED]
        ]


def label_of_repeat(frequency: Frequency) -> str:
    return next(choice.name for choice in ANNOUNCEMENT_REPEATS if choice.value == frequency.value)


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Announcements(bot))
