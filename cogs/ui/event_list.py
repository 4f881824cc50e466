"""/evenement liste's pages, with a menu of the page's events to register for one at once (then its
questions' form, when it has questions): no name or number to copy."""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import discord

from bot.dates import format_when
from bot.events.models import Event
from bot.limits import SELECT_DESCRIPTION, SELECT_LABEL, SELECT_PLACEHOLDER, clip
from cogs.ui.events import PER_PAGE, list_embed
from cogs.ui.maps import Area, events_map_button
from cogs.ui.paginator import Paginator
from cogs.ui.registration import register
from cogs.ui.text import t


class EventListView(Paginator):
    """Pages of five events; the menu offers the page's events open to registration here."""

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        events: Sequence[Event],
        zone: ZoneInfo,
        area: Area = ((), None),
    ) -> None:
        self.events = list(events)
        self.zone = zone
        self.locale = interaction.locale.value
        super().__init__(interaction.user.id, max(1, math.ceil(len(self.events) / PER_PAGE)), self._render)
        self.signup: discord.ui.Select[EventListView] = discord.ui.Select(
            placeholder=clip(t(interaction, "S'inscrire à un de ces événements"), SELECT_PLACEHOLDER),
            custom_id="evenement-liste-inscrire",
            row=0,
        )
        self.signup.callback = self._register  # type: ignore[method-assign]
        self.add_item(events_map_button(interaction, self.events, area))

    async def _render(self, index: int) -> discord.Embed:
        page = self.events[index * PER_PAGE : (index + 1) * PER_PAGE]
        open_here = {event.id for event in page if event.signup and not event.cancelled}
        self.remove_item(self.signup)
        if open_here:
            self.signup.options = [
                discord.SelectOption(
                    label=clip(f"{number}. {event.title}", SELECT_LABEL),
                    value=str(event.id),
                    description=clip(format_when(event.starts_at, self.zone, self.locale), SELECT_DESCRIPTION),
                )
                for number, event in enumerate(page, start=index * PER_PAGE + 1)
                if event.id in open_here
            ]
            self.add_item(self.signup)
        return list_embed(page, self.zone, self.locale, page=index, total=len(self.events))

    async def _register(self, interaction: discord.Interaction[Any]) -> None:
        await register(interaction, int(self.signup.values[0]), seats=1)
