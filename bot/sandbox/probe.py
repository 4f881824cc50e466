"""Commands for tests and benchmarks only, never loaded by the real bot: an echo (the latency floor),
a command that fails, pages to turn, and one that waits for the test's signal before answering."""

from __future__ import annotations

import asyncio

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot
from cogs.ui.paginator import Paginator


class Probe(commands.Cog):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        self.gate = asyncio.Event()

    @app_commands.command(name="echo", description="Répète le texte (sonde de latence)")
    @app_commands.describe(texte="Texte à répéter")
    async def echo(self, interaction: discord.Interaction[HabitatBot], texte: str) -> None:
        await interaction.response.send_message(texte, ephemeral=True)

    @app_commands.command(name="panne", description="Échoue exprès (sonde du gestionnaire d'erreurs)")
    async def panne(self, interaction: discord.Interaction[HabitatBot]) -> None:
        raise RuntimeError("panne simulée")

    @app_commands.command(name="pages", description="Montre des pages numérotées (sonde du paginateur)")
    @app_commands.describe(nombre="Nombre de pages")
    async def pages(self, interaction: discord.Interaction[HabitatBot], nombre: app_commands.Range[int, 1, 10]) -> None:
        embeds = [discord.Embed(title=f"Page {n}") for n in range(1, nombre + 1)]
        await Paginator.of(interaction.user.id, embeds).send(interaction)

    @app_commands.command(name="attente", description="Répond quand le test ouvre la porte")
    async def attente(self, interaction: discord.Interaction[HabitatBot]) -> None:
        await self.gate.wait()
        await interaction.response.send_message("enfin", ephemeral=True)


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Probe(bot))
