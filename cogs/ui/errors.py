"""One place that turns any error of a command, button or modal into a message for the member.

The order matters: what the member can fix (bad input, missing permission, cooldown) gets its
own clear message; anything else gets a generic message quoting a short id, and the log gets
the traceback under the same id. Whatever happens, the member gets an answer, ephemeral and
within Discord's limits, even when the interaction was already answered or deferred.
"""

from __future__ import annotations

import functools
import logging
import secrets
from collections.abc import Callable, Coroutine, Iterator, Mapping
from typing import Any, TypeVar

import discord
from discord import app_commands

from bot.errors import REASONS, UNKNOWN_REASON, Text, UserError, counted_reason
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
UNFIT = "« {champ} » ne convient pas : {raison}."
# Why a value discord.py could not turn into its option's type does not fit, by option type.
UNFIT_TYPES = {
    discord.AppCommandOptionType.integer: REASONS["int_parsing"],
    discord.AppCommandOptionType.number: REASONS["float_parsing"],
    discord.AppCommandOptionType.boolean: REASONS["bool_parsing"],
    discord.AppCommandOptionType.user: "choisissez un membre du serveur",
    discord.AppCommandOptionType.channel: "choisissez un salon du type demandé",
    discord.AppCommandOptionType.role: "choisissez un rôle du serveur",
    discord.AppCommandOptionType.mentionable: "choisissez un membre ou un rôle du serveur",
}


class Refused(app_commands.CheckFailure):
    """A check that fails with its own message (a French source string), e.g. "organisers only"."""

    def __init__(self, message: str, /, **params: Any) -> None:
        super().__init__(message)
        self.user_error = UserError(message, **params)


class OptionRefused(app_commands.AppCommandError):
    """An option's value that Discord's own client would not have sent (out of its range, not one of its
    choices), from an outdated client or a forged request: refused before the command runs."""

    def __init__(self, message: str, /, **params: Any) -> None:
        super().__init__(message)
        self.user_error = UserError(message, **params)


def new_error_id() -> str:
    return secrets.token_hex(3)


def check_options(interaction: discord.Interaction[Any]) -> None:
    """Discord's client keeps each option within its range and choices, and discord.py does not check
    them again: a value that got through anyway is refused here, naming the option."""
    command = interaction.command
    if interaction.type is not discord.InteractionType.application_command or not isinstance(
        command, app_commands.Command
    ):
        return
    parameters = {parameter.display_name: parameter for parameter in command.parameters}
    for option in _leaf_options(interaction.data or {}):
        parameter = parameters.get(str(option.get("name")))
        if parameter is None:
            continue  # an option the command does not know: discord.py reports the mismatch itself
        problem = _out_of_bounds(parameter, option.get("value"))
        if problem is not None:
            raise OptionRefused(UNFIT, champ=Text(parameter.display_name), raison=problem)


def _leaf_options(data: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    for option in data.get("options") or ():
        if option.get("type") in (1, 2):  # a subcommand or a group: its options are the command's
            yield from _leaf_options(option)
        else:
            yield option


def _out_of_bounds(parameter: app_commands.Parameter, value: Any) -> Text | None:
    kind, low, high = parameter.type, parameter.min_value, parameter.max_value
    if kind is discord.AppCommandOptionType.string:
        if not isinstance(value, str):
            return Text(UNKNOWN_REASON)
        if low is not None and len(value) < low:
            return counted_reason("string_too_short", int(low))
        if high is not None and len(value) > high:
            return counted_reason("string_too_long", int(high))
    elif kind in (discord.AppCommandOptionType.integer, discord.AppCommandOptionType.number):
        whole = kind is discord.AppCommandOptionType.integer
        if isinstance(value, bool) or not isinstance(value, int if whole else int | float):
            return Text(REASONS["int_parsing" if whole else "float_parsing"])
        if low is not None and value < low:
            return Text(REASONS["greater_than_equal"], ge=low)
        if high is not None and value > high:
            return Text(REASONS["less_than_equal"], le=high)
    if parameter.choices and value not in [choice.value for choice in parameter.choices]:
        return Text(REASONS["enum"])
    return None


def _option_named(interaction: discord.Interaction[Any], value: Any) -> str | None:
    """The option (its French name) that held `value`, which discord.py could not convert."""
    command = interaction.command
    if not isinstance(command, app_commands.Command):
        return None
    for parameter in command.parameters:
        if getattr(interaction.namespace, parameter.display_name, None) is value:
            return parameter.display_name
    return None


def describe(interaction: discord.Interaction[Any], error: BaseException) -> str:
    """The member's message for `error`; logs the unexpected ones with their id."""
    original = error.original if isinstance(error, app_commands.CommandInvokeError) else error
    if isinstance(original, Refused | OptionRefused):
        original = original.user_error
    locale = interaction.locale.value
    if isinstance(original, UserError):
        return explain(original, locale)
    if isinstance(original, app_commands.TransformerError):
        if isinstance(original.__cause__, UserError):
            return explain(original.__cause__, locale)
        option = _option_named(interaction, original.value)
        why = Text(UNFIT_TYPES.get(original.type, UNKNOWN_REASON))
        if option is None:
            return explain(UserError("Cela ne convient pas : {raison}.", raison=why), locale)
        return explain(UserError(UNFIT, champ=Text(option), raison=why), locale)
    if isinstance(original, app_commands.CommandSignatureMismatch | app_commands.CommandNotFound):
        log.warning("commande désynchronisée (%s) : %s", interaction.data, original)
        return t(
            interaction,
            "Cette commande a changé depuis que Discord vous l'a proposée : réessayez dans une minute, "
            "le temps que Discord se mette à jour.",
        )
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
    return unexpected(interaction, original)


def unexpected(interaction: discord.Interaction[Any], error: BaseException) -> str:
    """The generic message; the traceback goes to the log under the id the message quotes."""
    error_id = new_error_id()
    command = interaction.command.qualified_name if interaction.command else interaction.data
    log.error("erreur %s (%s, membre %s)", error_id, command, interaction.user.id, exc_info=error)
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


async def report_error(
    interaction: discord.Interaction[Any], error: BaseException, *, view: discord.ui.View | None = None
) -> None:
    """Tell the member what went wrong; `view` goes with the message (a way back to what they typed)."""
    try:
        message = describe(interaction, error)
    except Exception as broken:  # a message that cannot be written must not leave the member unanswered
        broken.__context__ = error
        message = unexpected(interaction, broken)
    try:
        await _hide_public_thinking(interaction)
        await reply(interaction, message, **({"view": view} if view is not None else {}))
    except discord.HTTPException:
        log.warning("impossible de prévenir le membre %s : %s", interaction.user.id, message)


async def _hide_public_thinking(interaction: discord.Interaction[Any]) -> None:
    """After a public "thinking…", Discord makes the first follow-up that same public message, whatever
    its flags: the error is said privately instead, and the "thinking…" removed."""
    if interaction.response.type is not discord.InteractionResponseType.deferred_channel_message:
        return
    original = await interaction.original_response()
    if original.flags.loading and not original.flags.ephemeral:
        await original.delete()
