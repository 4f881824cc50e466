"""Registering from Discord: « S'inscrire » under an event's card (posted by the ledger:
bot/events/card.py), « Je ne viens plus » under each reminder, and the answer a registration gets."""

from __future__ import annotations

from typing import Any, ClassVar

import discord

from bot.client import bot_of
from bot.errors import Plural
from bot.events.models import Outcome
from bot.events.questions import Answers
from bot.i18n import gettext
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.questions import answers_view, ask
from cogs.ui.text import reply, t


def registration_message(locale: str | None, outcome: Outcome) -> str:
    registration, event = outcome.registration, outcome.event
    if registration.waiting:
        return gettext(
            "Complet : vous êtes n° {position} sur la liste d'attente de « {titre} » ; une place libérée va au "
            "premier foyer de la liste qui y tient. Vous serez prévenu·e en message privé.",
            locale,
            position=outcome.position,
            titre=event.title,
        )
    key = (
        "Inscription confirmée pour {personnes} à « {titre} »."
        if outcome.created
        else ("Inscription mise à jour : {personnes} à « {titre} ».")
    )
    people = Plural("{n} personne", "{n} personnes", registration.seats)
    return gettext(key, locale, personnes=people, titre=event.title)


async def register(
    interaction: discord.Interaction[Any],
    event_id: int,
    *,
    seats: int,
    session_id: int | None = None,
    remind: bool = True,
    member: int | None = None,
    guest: str | None = None,
) -> None:
    """The member who asks, or the member or guest an organiser names; the card follows through the
    ledger, after this answer. A member registering themself to an event with questions answers them
    first, in a form (the answers are theirs: an organiser registering someone does not give them)."""
    bot = bot_of(interaction)
    event = await bot.events.store.plain(event_id)
    # No form for what registration refuses anyway (a cancelled event, one registered for elsewhere).
    asked = not (member or guest or session_id or event.cancelled or not event.signup)
    questions = await bot.core.questions.questions(event_id) if asked else []
    if questions:

        async def answered(submitted: discord.Interaction[Any], answers: Answers) -> None:
            outcome = await bot.core.questions.register(
                event_id, answers, seats=seats, user_id=submitted.user.id, remind=remind,
                locale=submitted.locale.value, registered_by=submitted.user.id,
            )  # fmt: skip
            message = registration_message(submitted.locale.value, outcome)
            await reply(submitted, message, view=answers_view(submitted, event_id))

        await ask(interaction, event, questions, answered)
        return
    outcome = await bot.events.register(
        event_id,
        seats=seats,
        user_id=None if guest else member or interaction.user.id,
        guest_name=guest,
        session_id=session_id,
        remind=remind,
        locale=interaction.locale.value,
        registered_by=interaction.user.id,
    )
    await reply(interaction, registration_message(interaction.locale.value, outcome))


class SignupButton(ActionButton, template=r"evt:(?P<action>inscrire):(?P<id>\d+)"):
    """ "S'inscrire", under an event's card (posted by the ledger: bot/events/card.py)."""

    PREFIX = "evt"
    LABELS: ClassVar[dict[str, str]] = {"inscrire": "S'inscrire"}

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await register(interaction, self.target_id, seats=1)


class LeaveButton(ActionButton, template=r"evt:(?P<action>quitter):(?P<id>\d+)"):
    """ "Je ne viens plus", under each reminder DM."""

    PREFIX = "evt"
    LABELS: ClassVar[dict[str, str]] = {"quitter": "Je ne viens plus"}

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        event = await bot_of(interaction).events.unregister(self.target_id, interaction.user.id)
        await reply(interaction, t(interaction, "Vous n'êtes plus inscrit·e à « {titre} ».", titre=event.title))
