"""Who may do what on a server, and reaching a member by DM."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.guild_settings import GuildSettings

log = logging.getLogger(__name__)


def is_moderator(member: discord.Member | discord.User, settings: GuildSettings) -> bool:
    """The server's moderator role, or the right to manage the server."""
    if not isinstance(member, discord.Member):
        return False
    if member.guild_permissions.manage_guild or member.guild_permissions.administrator:
        return True
    return settings.moderator_role_id is not None and member.get_role(settings.moderator_role_id) is not None


def is_organiser(member: discord.Member | discord.User, settings: GuildSettings) -> bool:
    """The server's organiser role, or a moderator."""
    if is_moderator(member, settings):
        return True
    return (
        isinstance(member, discord.Member)
        and settings.organiser_role_id is not None
        and member.get_role(settings.organiser_role_id) is not None
    )


async def send_dm(client: discord.Client, user_id: int, /, **message: Any) -> bool:
    """DM a member; False when they cannot be reached (DMs closed, unknown user)."""
    try:
        user = client.get_user(user_id) or await client.fetch_user(user_id)
        await user.send(**message)
    except discord.Forbidden:
        log.info("MP impossible vers %s (messages privés fermés)", user_id)
        return False
    except discord.NotFound:
        log.info("MP impossible vers %s (membre inconnu)", user_id)
        return False
    return True
