"""The Discord side of `bot.notify.Notifier`: DMs and channel posts for the core's deliveries."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot import limits
from bot.limits import clip
from bot.notify import Delivery, NotSent, Outgoing, Sent
from cogs.ui.text import fit

log = logging.getLogger(__name__)

STYLES = {
    "primary": discord.ButtonStyle.primary,
    "secondary": discord.ButtonStyle.secondary,
    "success": discord.ButtonStyle.success,
    "danger": discord.ButtonStyle.danger,
}


def render(message: Outgoing) -> dict[str, Any]:
    """Plain data to discord.py, within Discord's limits: content, a card, buttons whose custom ids
    persistent items answer."""
    rendered: dict[str, Any] = {"content": clip(message.content, limits.CONTENT)}
    if message.title or message.lines:
        rendered["embed"] = fit(discord.Embed(title=message.title or None, description="\n".join(message.lines)))
    if message.buttons:
        view = discord.ui.View(timeout=None)
        for button in message.buttons[: limits.BUTTONS]:
            label = clip(button.label, limits.BUTTON_LABEL)
            view.add_item(discord.ui.Button(label=label, custom_id=button.custom_id, style=STYLES[button.style]))
        rendered["view"] = view
    if message.pings:
        rendered["allowed_mentions"] = discord.AllowedMentions(
            everyone=False, roles=False, users=[discord.Object(user_id) for user_id in message.pings]
        )
    return rendered


class DiscordNotifier:
    def __init__(self, client: discord.Client) -> None:
        self.client = client

    async def dm(self, user_id: int, message: Outgoing, *, nonce: str) -> Delivery:
        try:
            user = self.client.get_user(user_id) or await self.client.fetch_user(user_id)
            channel = user.dm_channel or await user.create_dm()
            await channel.send(nonce=nonce, **render(message))
        except (discord.Forbidden, discord.NotFound) as error:
            log.info("MP impossible vers %s : %s", user_id, error)
            return Delivery.CLOSED
        except discord.HTTPException as error:
            log.warning("MP vers %s échoué, à réessayer : %s", user_id, error)
            return Delivery.FAILED
        return Delivery.SENT

    async def close_thread(self, thread_id: int, message: Outgoing) -> Delivery:
        try:
            thread = self.client.get_channel(thread_id) or await self.client.fetch_channel(thread_id)
            if not isinstance(thread, discord.Thread):
                return Delivery.CLOSED
            if not thread.locked:
                await thread.send(**render(message))
            await thread.edit(archived=True, locked=True)
        except (discord.Forbidden, discord.NotFound) as error:
            log.warning("fil %s non fermé : %s", thread_id, error)
            return Delivery.CLOSED
        except discord.HTTPException as error:
            log.warning("fil %s non fermé, à réessayer : %s", thread_id, error)
            return Delivery.FAILED
        return Delivery.SENT

    async def post(
        self, channel_id: int, message: Outgoing, *, nonce: str, mention_role_id: int | None = None
    ) -> Sent | NotSent:
        rendered = render(message)
        if mention_role_id is not None:
            # The only mention ever allowed: the role the organiser chose, nothing in the text.
            rendered["content"] = clip(f"<@&{mention_role_id}> {rendered['content']}", limits.CONTENT)
            rendered["allowed_mentions"] = discord.AllowedMentions(
                everyone=False, users=False, roles=[discord.Object(mention_role_id)]
            )
        try:
            channel = self.client.get_channel(channel_id) or await self.client.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                return Delivery.CLOSED
            posted = await channel.send(nonce=nonce, **rendered)
        except (discord.Forbidden, discord.NotFound) as error:
            log.warning("publication impossible dans %s : %s", channel_id, error)
            return Delivery.CLOSED
        except discord.HTTPException as error:
            log.warning("publication dans %s échouée, à réessayer : %s", channel_id, error)
            return Delivery.FAILED
        return Sent(posted.id)

    async def edit(self, channel_id: int, message_id: int, message: Outgoing) -> Delivery:
        # The whole message is rewritten: a card or buttons it no longer has are removed.
        rendered = {"embed": None, "view": None} | render(message)
        try:
            await self.client.get_partial_messageable(channel_id).get_partial_message(message_id).edit(**rendered)
        except (discord.Forbidden, discord.NotFound) as error:
            log.warning("message %s de %s non modifié : %s", message_id, channel_id, error)
            return Delivery.CLOSED
        except discord.HTTPException as error:
            log.warning("message %s de %s non modifié, à réessayer : %s", message_id, channel_id, error)
            return Delivery.FAILED
        return Delivery.SENT
