"""Pages of embeds with ◀ ▶ buttons that only the asker can press."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import discord

from cogs.ui.views import OwnedView


class Paginator(OwnedView):
    def __init__(self, owner_id: int, pages: Sequence[discord.Embed], *, timeout: float | None = 600) -> None:
        if not pages:
            raise ValueError("a paginator needs at least one page")
        super().__init__(owner_id, timeout=timeout)
        self.pages = list(pages)
        self.index = 0
        self._sync_buttons()

    @property
    def page(self) -> discord.Embed:
        return self.pages[self.index]

    def _sync_buttons(self) -> None:
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= len(self.pages) - 1
        self.counter.label = f"{self.index + 1} / {len(self.pages)}"

    async def send(self, interaction: discord.Interaction[Any], *, ephemeral: bool = False) -> None:
        """Answer with the first page; a single page goes without buttons."""
        if len(self.pages) == 1:
            self.stop()
            await interaction.response.send_message(embed=self.page, ephemeral=ephemeral)
            return
        await interaction.response.send_message(embed=self.page, view=self, ephemeral=ephemeral)
        self.message = await interaction.original_response()

    async def _show(self, interaction: discord.Interaction[Any], index: int) -> None:
        self.index = max(0, min(index, len(self.pages) - 1))
        self._sync_buttons()
        await interaction.response.edit_message(embed=self.page, view=self)

    @discord.ui.button(emoji="◀", style=discord.ButtonStyle.secondary)
    async def previous(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Paginator]) -> None:
        await self._show(interaction, self.index - 1)

    @discord.ui.button(label="1 / 1", style=discord.ButtonStyle.secondary, disabled=True)
    async def counter(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Paginator]) -> None:
        await interaction.response.defer()

    @discord.ui.button(emoji="▶", style=discord.ButtonStyle.secondary)
    async def next(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Paginator]) -> None:
        await self._show(interaction, self.index + 1)
