"""Who may do what on a server."""

from __future__ import annotations

import logging
from typing import Any

import discord

from bot.client import bot_of
from bot.errors import UserError
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


async def may_organise(interaction: discord.Interaction[Any]) -> bool:
    return is_organiser(interaction.user, await bot_of(interaction).guild_settings.get(interaction.guild_id or 0))


async def organisers_only(interaction: discord.Interaction[Any]) -> None:
    if not await may_organise(interaction):
        raise UserError("Réservé aux organisateurs du serveur.")
