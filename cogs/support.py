"""`/accompagnement`: support for groups. The facilitators' directory, registration and contact come
from cogs/ui/facilitators.py, the needs diagnostic from cogs/ui/diagnostic.py; each callback calls one
service method."""

from __future__ import annotations

from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot
from cogs.ui.diagnostic import DiagnosticCommands
from cogs.ui.facilitator_forms import ModerationButton, NudgeButton
from cogs.ui.facilitators import AnswerButton, FacilitatorCommands


@app_commands.guild_only()
class Support(
    DiagnosticCommands,
    FacilitatorCommands,
    commands.GroupCog,
    group_name="accompagnement",
    group_description="Se faire accompagner : structures d'accompagnement près de chez vous",
):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ModerationButton, NudgeButton, AnswerButton)


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Support(bot))
