"""Pages of embeds with ◀ ▶ buttons that only the asker can press; pages are built when shown, and
fitted within Discord's limits."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

import discord

from cogs.ui.text import fit
from cogs.ui.views import OwnedView

PageRenderer = Callable[[int], Awaitable[discord.Embed]]


class Paginator(OwnedView):
    def __init__(self, owner_id: int, page_count: int, render: PageRenderer, *, timeout: float | None = 600) -> None:
        if page_count < 1:
            raise ValueError("a paginator needs at least one page")
        super().__init__(owner_id, timeout=timeout)
        self.page_count = page_count
        self.render = render
        self.index = 0

    @classmethod
    def of(cls, owner_id: int, embeds: Sequence[discord.Embed]) -> Paginator:
        """Pages already built."""
        pages = list(embeds)

        async def render(index: int) -> discord.Embed:
            return pages[index]

        return cls(owner_id, len(pages), render)

    async def prepare(self, index: int) -> discord.Embed:
        """Move to page `index`; subclasses also refresh their own items for it."""
        self.index = max(0, min(index, self.page_count - 1))
        self.previous.disabled = self.index == 0
        self.next.disabled = self.index >= self.page_count - 1
        self.counter.label = f"{self.index + 1} / {self.page_count}"
        return fit(await self.render(self.index))

    async def send(self, interaction: discord.Interaction[Any], *, ephemeral: bool = False) -> None:
        """Answer with the first page; a single page goes without the page buttons."""
        embed = await self.prepare(0)
        if self.page_count == 1:
            for button in (self.previous, self.counter, self.next):
                self.remove_item(button)
        if not self.children:
            self.stop()
            await interaction.response.send_message(embed=embed, ephemeral=ephemeral)
            return
        sent = await interaction.response.send_message(embed=embed, view=self, ephemeral=ephemeral)
        # Discord gives the message back with the answer: no second request to learn which one to tidy.
        resource = sent.resource
        self.message = resource if isinstance(resource, discord.InteractionMessage) else None
        if self.message is None:
            self.message = await interaction.original_response()

    async def _show(self, interaction: discord.Interaction[Any], index: int) -> None:
        embed = await self.prepare(index)
        await interaction.response.edit_message(embed=embed, view=self)

    @discord.ui.button(emoji="◀", style=discord.ButtonStyle.secondary, row=4)
    async def previous(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Paginator]) -> None:
        await self._show(interaction, self.index - 1)

    @discord.ui.button(label="1 / 1", style=discord.ButtonStyle.secondary, disabled=True, row=4)
    async def counter(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Paginator]) -> None:
        await interaction.response.defer()

    @discord.ui.button(emoji="▶", style=discord.ButtonStyle.secondary, row=4)
    async def next(self, interaction: discord.Interaction[Any], _: discord.ui.Button[Paginator]) -> None:
        await self._show(interaction, self.index + 1)
