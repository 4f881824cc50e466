"""One place that turns any error of a command, button or modal into a message for the member.

The order matters: what the member can fix (bad input, missing permission, cooldown) gets its
own clear message; anything else gets a generic message quoting a short id, and the log gets
the traceback under the same id.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.errors import UserError
from bot.i18n import explain
from cogs.ui.text import reply, t

log = logging.getLogger("bot.errors")
T = TypeVar("T")

PERMISSION_NAMES = {
    "administrator": "Administrateur",
    "manage_guild": "Gérer le serveur",
    "manage_events": "Gérer les événements",
    "manage_messages": "Gérer les messages",
    "manage_threads": "Gérer les fils",
}


class Refused(app_commands.CheckFailure):
    """A check that fails with its own message (a French source string), e.g. "organisers only"."""

    def __init__(self, message: str, /, **params: Any) -> None:
        super().__init__(message)
        self.user_error = UserError(message, **params)


def new_error_id() -> str:
    return secrets.token_hex(3)


def describe(interaction: discord.Interaction[Any], error: BaseException) -> str:
    """The member's message for `error`; logs the unexpected ones with their id."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, Refused):
        original = original.user_error
    if isinstance(original, UserError):
        return explain(original, interaction.locale.value)
    if isinstance(original, app_commands.TransformerError):
        if isinstance(original.__cause__, UserError):
            return explain(original.__cause__, interaction.locale.value)
        refused = UserError("La valeur « {valeur} » ne convient pas pour cette option.", valeur=str(original.value))
        return explain(refused, interaction.locale.value)
    if isinstance(original, app_commands.MissingPermissions | app_commands.BotMissingPermissions):
        names = ", ".join(t(interaction, PERMISSION_NAMES.get(name, name)) for name in original.missing_permissions)
        if isinstance(original, app_commands.BotMissingPermissions):
            return t(interaction, "Il me manque la permission « {permissions} » sur ce serveur.", permissions=names)
        return t(interaction, "Cette commande demande la permission « {permissions} ».", permissions=names)
    if isinstance(original, app_commands.NoPrivateMessage):
        return t(interaction, "Cette commande s'utilise sur un serveur, pas en message privé.")
    if isinstance(original, app_commands.CommandOnCooldown):
        return t(interaction, "Doucement : réessayez dans {secondes} s.", secondes=round(original.retry_after))
    if isinstance(original, app_commands.CheckFailure):
        return t(interaction, "Vous n'avez pas les droits nécessaires pour cette action.")
    error_id = new_error_id()
    command = interaction.command.qualified_name if interaction.command else interaction.data
    log.error("erreur %s (%s, membre %s)", error_id, command, interaction.user.id, exc_info=original)
    return t(
        interaction,
        "Une erreur inattendue est survenue (réf. {ref}). Réessayez plus tard ; "
        "si elle revient, donnez cette référence aux modérateurs.",
        ref=error_id,
    )


Callback = Callable[[T, discord.Interaction[Any]], Coroutine[Any, Any, None]]


def reported(callback: Callback[T]) -> Callback[T]:
    """For callbacks outside a view we own (persistent buttons): errors reach the member."""

    @functools.wraps(callback)
    async def wrapper(self: T, interaction: discord.Interaction[Any]) -> None:
        try:
            await callback(self, interaction)
        except Exception as error:
            await report_error(interaction, error)

    return wrapper


async def report_error(interaction: discord.Interaction[Any], error: BaseException) -> None:
    message = describe(interaction, error)
    try:
        await reply(interaction, message)
    except discord.HTTPException:
        log.warning("impossible de prévenir le membre %s : %s", interaction.user.id, message)
