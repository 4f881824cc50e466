"""Welcome and help: `/aide` says what the bot does, built from the registered command tree."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot, walk_commands
from cogs.ui.paginator import Paginator
from cogs.ui.text import t

EMBED_COLOUR = discord.Colour.from_rgb(46, 125, 50)
PAGE_BUDGET = 3500  # characters of command lines per page, well under an embed's 6,000


def usable_by(command: app_commands.Command[Any, ..., Any], interaction: discord.Interaction[Any]) -> bool:
    """Hide what Discord would hide from this member: server-only commands in DMs, admin-only ones."""
    root = command.root_parent or command
    if interaction.guild is None:
        return not root.guild_only
    required = root.default_permissions
    return required is None or interaction.permissions >= required


def command_line(
    bot: HabitatBot, command: app_commands.Command[Any, ..., Any], interaction: discord.Interaction[Any]
) -> str:
    return f"{bot.mention(command.qualified_name)} — {t(interaction, command.description)}"


def help_pages(bot: HabitatBot, interaction: discord.Interaction[Any]) -> list[discord.Embed]:
    """One field per command group, grouped into pages that stay well inside an embed's limits."""
    sections: dict[str, tuple[str, list[str]]] = {}
    for command in walk_commands(bot.tree):
        if usable_by(command, interaction):
            group = command.root_parent
            key, title = (
                (group.name, f"/{t(interaction, group.name)} — {t(interaction, group.description)}")
                if group
                else ("", "")
            )
            sections.setdefault(key, (title or t(interaction, "Général"), []))[1].append(
                command_line(bot, command, interaction)
            )

    grouped: list[list[tuple[str, list[str]]]] = [[]]
    used = 0
    for title, lines in sections.values():
        size = sum(len(line) + 1 for line in lines)
        if grouped[-1] and used + size > PAGE_BUDGET:
            grouped.append([])
            used = 0
        grouped[-1].append((title, lines))
        used += size

    intro = t(
        interaction,
        "Je réunis le réseau de l'habitat participatif sur Discord : la base nationale des projets, "
        "les petites annonces, les événements (JPO, plénières, RNHP…) et la mise en lien entre foyers. "
        "Tapez `/` puis le nom d'une commande ; voici celles que vous pouvez utiliser ici.",
    )
    pages = []
    for number, page_sections in enumerate(grouped, start=1):
        embed = discord.Embed(
            title=t(interaction, "Aide du bot de l'habitat participatif"),
            description=intro,
            colour=EMBED_COLOUR,
        )
        for title, lines in page_sections:
            for chunk in _chunks(lines, 1024):
                embed.add_field(name=title[:256], value=chunk, inline=False)
        if len(grouped) > 1:
            embed.set_footer(text=t(interaction, "Page {n} sur {total}", n=number, total=len(grouped)))
        pages.append(embed)
    return pages


def _chunks(lines: list[str], limit: int) -> list[str]:
    """Join lines into blocks of at most `limit` characters (an embed field's value)."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            chunks.append(current)
            candidate = line
        current = candidate
    if current:
        chunks.append(current)
    return chunks


class Onboarding(commands.Cog):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot

    @app_commands.command(name="aide", description="Ce que fait le bot et comment commencer")
    async def aide(self, interaction: discord.Interaction[HabitatBot]) -> None:
        await Paginator.of(interaction.user.id, help_pages(self.bot, interaction)).send(interaction, ephemeral=True)


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Onboarding(bot))
