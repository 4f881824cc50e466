"""Persistent buttons: `prefix:action:id` custom ids that any bot, even one started later, answers."""

from __future__ import annotations

from typing import Any, ClassVar, Self

import discord

from bot import limits
from bot.limits import clip


class ActionButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"(?!)"):
    """A button `PREFIX:action:id`. Subclasses give the template (groups `action` and `id`), the
    labels and styles per action, and a `callback`; `self.action` and `self.target_id` are parsed.
    (This base's own template matches nothing: it is never registered itself.)"""

    PREFIX: ClassVar[str]
    LABELS: ClassVar[dict[str, str]]
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {}
    EMOJIS: ClassVar[dict[str, str]] = {}

    def __init__(self, action: str, target_id: int, label: str | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=clip(label or self.LABELS[action], limits.BUTTON_LABEL),
                style=self.STYLES.get(action, discord.ButtonStyle.secondary),
                emoji=self.EMOJIS.get(action),
                custom_id=f"{self.PREFIX}:{action}:{target_id}",
            )
        )
        self.action = action
        self.target_id = target_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction[Any], item: discord.ui.Item[Any], match: Any, /
    ) -> Self:
        return cls(match["action"], int(match["id"]))
