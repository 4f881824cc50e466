"""Text in the language of the member who interacts."""

from __future__ import annotations

from typing import Any

import discord

from bot.i18n import gettext


def t(interaction: discord.Interaction[Any], text: str, /, **params: Any) -> str:
    """`text` (French source) in the interacting member's language, placeholders filled."""
    return gettext(text, interaction.locale.value, **params)


async def reply(interaction: discord.Interaction[Any], content: str, /, **kwargs: Any) -> None:
    """An ephemeral answer, whether or not the interaction was already answered or deferred."""
    kwargs.setdefault("ephemeral", True)
    if interaction.response.is_done():
        await interaction.followup.send(content, **kwargs)
    else:
        await interaction.response.send_message(content, **kwargs)
