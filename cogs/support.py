"""`/accompagnement`: the needs diagnostic (the facilitators' directory joins it)."""

from __future__ import annotations

from discord.ext import commands

from bot.client import HabitatBot
from cogs.ui.diagnostic import DiagnosticCommands


class Support(
    DiagnosticCommands,
    commands.GroupCog,
    group_name="accompagnement",
    group_description="Se faire accompagner : structures d'accompagnement près de chez vous",
):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        super().__init__()


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Support(bot))
