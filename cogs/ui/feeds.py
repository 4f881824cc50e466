"""The server's calendar feeds (/agenda abonnements): their list, and for organisers « Relire maintenant »
and « Retirer » under each (persistent buttons: any bot answers them)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import discord

from bot.client import bot_of
from bot.dates import format_when
from bot.sources.feed_service import feed_summary, problem_text
from bot.sources.feed_store import Feed
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.members import organisers_only
from cogs.ui.text import reply, t, tn

SHOWN = 12  # two buttons each, five rows of five: the first twelve feeds have theirs


class FeedButton(ActionButton, template=r"feed:(?P<action>relire|retirer):(?P<id>\d+)"):
    PREFIX = "feed"
    LABELS: ClassVar[dict[str, str]] = {"relire": "Relire maintenant", "retirer": "Retirer"}
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {
        "relire": discord.ButtonStyle.primary,
        "retirer": discord.ButtonStyle.danger,
    }

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await organisers_only(interaction)
        feeds = bot_of(interaction).core.feeds
        if self.action == "retirer":
            feed, cancelled = await feeds.remove(self.target_id, interaction.guild_id)
            count = tn(interaction, "{n} événement à venir annulé", "{n} événements à venir annulés", cancelled)
            await reply(
                interaction, t(interaction, "Abonnement à « {nom} » retiré : {annules}.", nom=feed.name, annules=count)
            )
            return
        await interaction.response.defer(ephemeral=True, thinking=True)  # a slow server takes its timeout
        feed, report = await feeds.read_now(self.target_id, interaction.guild_id)
        await reply(interaction, feed_summary(feed, report, interaction.locale.value))


def feed_line(interaction: discord.Interaction[Any], feed: Feed, zone: ZoneInfo) -> str:
    locale = interaction.locale.value
    read = format_when(feed.last_read_at, zone, locale) if feed.last_read_at else t(interaction, "jamais")
    line = t(
        interaction, "{adresse}\nLu : {quand} · {evenements}", adresse=feed.url, quand=read,
        evenements=tn(interaction, "{n} événement à venir", "{n} événements à venir", feed.events_found),
    )  # fmt: skip
    if feed.problem:
        line += "\n" + t(interaction, "⚠️ Dernier problème : {probleme}", probleme=problem_text(feed.problem))
    return line


def feeds_message(
    interaction: discord.Interaction[Any], feeds: Sequence[Feed], zone: ZoneInfo, *, manage: bool
) -> tuple[discord.Embed, discord.ui.View | None]:
    embed = discord.Embed(title=t(interaction, "Agendas suivis par ce serveur"), colour=discord.Colour.blue())
    for number, feed in enumerate(feeds[:25], start=1):
        embed.add_field(name=f"{number}. {feed.name}", value=feed_line(interaction, feed, zone), inline=False)
    if not manage:
        return embed, None
    view = discord.ui.View(timeout=None)
    for number, feed in enumerate(feeds[:SHOWN], start=1):
        for action in ("relire", "retirer"):
            label = t(interaction, FeedButton.LABELS[action])
            view.add_item(FeedButton(action, feed.id, label if len(feeds) == 1 else f"{label} ({number})"))
    return embed, view
