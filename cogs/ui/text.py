"""Text in the language of the member who interacts, and within Discord's limits."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

import discord

from bot import limits
from bot.i18n import gettext, ngettext
from bot.limits import clip
from bot.vocabulary import label


def t(interaction: discord.Interaction[Any], text: str, /, **params: Any) -> str:
    """`text` (French source) in the interacting member's language, placeholders filled."""
    return gettext(text, interaction.locale.value, **params)


def tl(interaction: discord.Interaction[Any], value: StrEnum) -> str:
    """The label of a vocabulary value, in the member's language."""
    return t(interaction, label(value))


def tn(interaction: discord.Interaction[Any], singular: str, plural: str, n: float, /, **params: Any) -> str:
    """A count and its noun (French source forms) in the interacting member's language."""
    return ngettext(singular, plural, n, interaction.locale.value, **params)


async def reply(interaction: discord.Interaction[Any], content: str, /, **kwargs: Any) -> None:
    """An ephemeral answer, whether or not the interaction was already answered or deferred; its text and
    card are kept within Discord's limits."""
    kwargs.setdefault("ephemeral", True)
    if isinstance(kwargs.get("embed"), discord.Embed):
        kwargs["embed"] = fit(kwargs["embed"])
    content = clip(content, limits.CONTENT)
    if interaction.response.is_done():
        await interaction.followup.send(content, **kwargs)
    else:
        await interaction.response.send_message(content, **kwargs)


def fit(embed: discord.Embed) -> discord.Embed:
    """`embed` cut to Discord's limits: each text clipped, 25 fields at most, 6,000 characters in all
    (the description is shortened first, then the last fields go)."""
    if embed.title:
        embed.title = clip(embed.title, limits.EMBED_TITLE)
    if embed.description:
        embed.description = clip(embed.description, limits.EMBED_DESCRIPTION)
    if embed.footer.text:
        embed.set_footer(text=clip(embed.footer.text, limits.EMBED_FOOTER), icon_url=embed.footer.icon_url)
    if embed.author.name:
        embed.set_author(
            name=clip(embed.author.name, limits.EMBED_AUTHOR), url=embed.author.url, icon_url=embed.author.icon_url
        )
    fields = embed.fields[: limits.EMBED_FIELDS]
    embed.clear_fields()
    for field in fields:
        embed.add_field(
            name=clip(field.name or "", limits.EMBED_FIELD_NAME),
            value=clip(field.value or "", limits.EMBED_FIELD_VALUE),
            inline=bool(field.inline),
        )
    over = len(embed) - limits.EMBED_TOTAL
    if over > 0 and embed.description:
        embed.description = clip(embed.description, max(0, len(embed.description) - over)) or None
    while len(embed) > limits.EMBED_TOTAL and embed.fields:
        embed.remove_field(len(embed.fields) - 1)
    return embed
