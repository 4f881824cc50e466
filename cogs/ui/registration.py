"""Registering from Discord: « S'inscrire » and « Intéressé·e » under an event's card (posted by the
ledger: bot/events/card.py), « Je ne viens plus » under each reminder, « Je viens toujours » / « Je ne
viens plus » under a change notice (bot/events/notices.py), and the answer a registration gets."""

from __future__ import annotations

from typing import Any, ClassVar

import discord

from bot.client import bot_of
from bot.dates import discord_time
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
        "Inscription confirmée pour {personnes} à « {titre} », {quand}."
        if outcome.created
        else ("Inscription mise à jour : {personnes} à « {titre} », {quand}.")
    )
    people = Plural("{n} personne", "{n} personnes", registration.seats)
    return gettext(key, locale, personnes=people, titre=event.title, quand=discord_time(event.starts_at))


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


class InterestButton(ActionButton, template=r"evt:(?P<action>interesse|rappel|garder|retirer):(?P<id>\d+)"):
    """ "Intéressé·e" under an event's card (again: no longer), then "Me le rappeler" (rappel) under the
    answer; under a change notice to an interested member, "Je viens toujours" (garder) and "Je ne viens
    plus" (retirer)."""

    PREFIX = "evt"
    LABELS: ClassVar[dict[str, str]] = {
        "interesse": "Intéressé·e", "rappel": "Me le rappeler", "garder": "Je viens toujours",
        "retirer": "Je ne viens plus",
    }  # fmt: skip

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        events, user_id = bot_of(interaction).events, interaction.user.id
        if self.action == "garder":
            event = await events.still_interested(self.target_id, user_id)
            text = t(interaction, "C'est noté : « {titre} » reste dans vos intérêts.", titre=event.title)
        elif self.action == "retirer":
            event = await events.no_longer_interested(self.target_id, user_id)
            text = t(interaction, "Vous ne suivez plus « {titre} ».", titre=event.title)
        elif self.action == "rappel":
            event = await events.remind_interest(self.target_id, user_id)
            text = t(interaction, "Vous recevrez un rappel en message privé avant « {titre} », à vos délais "
                     "(/evenement mes-rappels).", titre=event.title)  # fmt: skip
        else:
            event, now = await events.interest(self.target_id, user_id, interaction.locale.value)
            if now:
                text = t(interaction, "Noté : « {titre} » vous intéresse (aucune place prise, pas de rappel ; "
                         "cliquez à nouveau pour le retirer).", titre=event.title)  # fmt: skip
                view = discord.ui.View(timeout=None)
                view.add_item(InterestButton("rappel", event.id, t(interaction, "Me le rappeler")))
                await reply(interaction, text, view=view)
                return
            text = t(interaction, "Intérêt retiré : vous ne suivez plus « {titre} ».", titre=event.title)
        await reply(interaction, text)


class StillComingButton(ActionButton, template=r"evt:(?P<action>toujours):(?P<id>\d+)"):
    """ "Je viens toujours", under a change notice to a registrant: the answer is recorded."""

    PREFIX = "evt"
    LABELS: ClassVar[dict[str, str]] = {"toujours": "Je viens toujours"}

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        event = await bot_of(interaction).events.still_coming(self.target_id, interaction.user.id)
        when = discord_time(event.starts_at)
        await reply(interaction, t(interaction, "C'est noté : vous venez toujours à « {titre} », {quand}.",
                                   titre=event.title, quand=when))  # fmt: skip
