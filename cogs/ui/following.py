"""How following other servers looks on Discord: the server option (the bot's other servers, by name),
the régions option (a list separated by commas, each completed in turn) and the list of follows."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from bot import limits
from bot.client import bot_of
from bot.errors import UserError
from bot.events.following import Follows
from bot.events.follows import Follow
from bot.limits import clip
from bot.text import fold
from cogs.ui.places import region_choices
from cogs.ui.text import t

COLOUR = discord.Colour.from_rgb(21, 101, 192)


def other_servers(interaction: discord.Interaction[Any]) -> list[discord.Guild]:
    """The servers the bot is on, but the one asking, by name."""
    guilds = [g for g in bot_of(interaction).guilds if g.id != interaction.guild_id]
    return sorted(guilds, key=lambda g: fold(g.name))


class ServerTransformer(app_commands.Transformer):
    """Another server of the network: the autocomplete's value (its id) or its exact name."""

    @property
    def max_value(self) -> int:
        return 100

    async def transform(self, interaction: discord.Interaction[Any], value: str, /) -> discord.Guild:
        for guild in other_servers(interaction):
            if value.strip() in (str(guild.id), guild.name) or fold(value) == fold(guild.name):
                return guild
        raise UserError(
            "Je ne trouve pas le serveur « {serveur} » parmi ceux où je suis : choisissez-le dans la liste.",
            serveur=value,
        )

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: str, /
    ) -> list[app_commands.Choice[str]]:
        typed = fold(value)
        return [
            app_commands.Choice(name=clip(guild.name, limits.CHOICE_NAME), value=str(guild.id))
            for guild in other_servers(interaction)
            if typed in fold(guild.name)
        ][: limits.CHOICES]


ServerOption = app_commands.Transform[discord.Guild, ServerTransformer]


async def followed(interaction: discord.Interaction[Any]) -> list[tuple[Follow, str]]:
    """The servers this one follows, with their names (the bot may have left one since)."""
    follows = await bot_of(interaction).core.following.of(interaction.guild_id or 0)
    return [(f, server_name(interaction, f.followed_id, f.followed_name)) for f in follows.following]


class FollowedTransformer(app_commands.Transformer):
    """A server this one follows, by the autocomplete's value (its id) or its name."""

    @property
    def max_value(self) -> int:
        return 100

    async def transform(self, interaction: discord.Interaction[Any], value: str, /) -> Follow:
        for follow, name in await followed(interaction):
            if value.strip() == str(follow.followed_id) or fold(value) == fold(name):
                return follow
        raise UserError("Ce serveur ne suit pas « {serveur} ».", serveur=value)

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: str, /
    ) -> list[app_commands.Choice[str]]:
        typed = fold(value)
        return [
            app_commands.Choice(name=clip(name, limits.CHOICE_NAME), value=str(follow.followed_id))
            for follow, name in await followed(interaction)
            if typed in fold(name)
        ][: limits.CHOICES]


FollowedOption = app_commands.Transform[Follow, FollowedTransformer]


def regions_choices(interaction: discord.Interaction[Any], typed: str) -> list[app_commands.Choice[str]]:
    """The last name of the list completed, the names before it kept."""
    head, _, last = typed.rpartition(",")
    before = f"{head.strip()}, " if head.strip() else ""
    choices = []
    for choice in region_choices(bot_of(interaction).geo, last.strip(), interaction):
        value = f"{before}{choice.value}"
        if len(value) <= limits.CHOICE_NAME:
            choices.append(app_commands.Choice(name=value, value=value))
    return choices


async def administrators_only(interaction: discord.Interaction[Any]) -> None:
    if not interaction.permissions.administrator:
        raise UserError("Réservé aux administrateurs du serveur.")


def server_name(interaction: discord.Interaction[Any], guild_id: int, known: str | None = None) -> str:
    guild = bot_of(interaction).get_guild(guild_id)
    return guild.name if guild else known or str(guild_id)


def follow_line(interaction: discord.Interaction[Any], name: str, follow: Follow) -> str:
    regions = ", ".join(follow.regions) if follow.regions else t(interaction, "toutes les régions")
    return f"• **{name}** — {regions} · {discord.utils.format_dt(follow.created_at, 'd')}"


def follows_embed(interaction: discord.Interaction[Any], follows: Follows, has_channel: bool) -> discord.Embed:
    embed = discord.Embed(title=t(interaction, "Agendas suivis"), colour=COLOUR)
    following = [
        follow_line(interaction, server_name(interaction, f.followed_id, f.followed_name), f) for f in follows.following
    ]
    followers = [follow_line(interaction, server_name(interaction, f.follower_id), f) for f in follows.followers]
    nothing = t(interaction, "aucun")
    embed.add_field(name=t(interaction, "Ce serveur suit"), value="\n".join(following) or nothing, inline=False)
    embed.add_field(
        name=t(interaction, "Ce serveur est suivi par"), value="\n".join(followers) or nothing, inline=False
    )
    if follows.following and not has_channel:
        embed.set_footer(text=no_channel(interaction))
    return embed


def no_channel(interaction: discord.Interaction[Any]) -> str:
    return t(
        interaction,
        "Ce serveur n'a pas de salon d'annonces (/config salons) : les événements suivis n'y sont pas publiés.",
    )
