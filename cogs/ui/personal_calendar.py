"""`/evenement mon-agenda`: a member's personal calendar address (bot/events/personal.py), with how to
subscribe to it and « Nouvelle adresse » under it. Only the token's fingerprint is kept, so an address
is shown once, when it is made; a member who lost theirs asks for a new one."""

from __future__ import annotations

import io
from typing import Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot, bot_of
from bot.dates import format_when
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.text import reply, t
from cogs.ui.transformers import server_zone

HOW_TO = (
    "Pour vous y abonner (gardez l'adresse pour vous : qui l'a voit vos inscriptions) :\n"
    "• **Google Agenda** (sur ordinateur) : « Autres agendas » → « + » → « À partir de l'URL », collez l'adresse.\n"
    "• **Apple Calendrier** : sur iPhone, Réglages → Calendrier → Comptes → Ajouter un compte → Autre → "
    "« Ajouter un calendrier avec abonnement » ; sur Mac, Fichier → « Nouvel abonnement à un calendrier ».\n"
    "• **Thunderbird** : Agenda → « Nouvel agenda » → « Sur le réseau », collez l'adresse.\n"
    "Votre calendrier relit l'adresse de lui-même (Google peut mettre quelques heures)."
)


def fresh_address(interaction: discord.Interaction[Any], url: str) -> str:
    lines = [
        t(interaction, "Votre agenda personnel : vos inscriptions (liste d'attente signalée), à jour quand vous "
          "vous inscrivez ou vous désinscrivez."),
        f"<{url}>",
        t(interaction, "Le bot n'en garde qu'une empreinte : cette adresse ne sera plus affichée, notez-la."),
        t(interaction, HOW_TO),
    ]  # fmt: skip
    return "\n".join(lines)


class NewAddressButton(ActionButton, template=r"agenda:(?P<action>nouvelle):(?P<id>\d+)"):
    """« Nouvelle adresse », under the answer: the old address stops answering, a new one is shown."""

    PREFIX = "agenda"
    LABELS: ClassVar[dict[str, str]] = {"nouvelle": "Nouvelle adresse"}

    @classmethod
    def of(cls, interaction: discord.Interaction[Any]) -> discord.ui.View:
        view = discord.ui.View(timeout=None)
        view.add_item(cls("nouvelle", interaction.user.id, label=t(interaction, "Nouvelle adresse")))
        return view

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        personal = bot_of(interaction).core.personal
        if interaction.user.id != self.target_id or not personal.served:
            await reply(interaction, t(interaction, "Ces boutons sont réservés à la personne qui a lancé la commande."))
            return
        url = personal.address(await personal.issue(interaction.user.id))
        await interaction.response.edit_message(content=fresh_address(interaction, url), view=self.of(interaction))


async def show_personal_calendar(interaction: discord.Interaction[Any]) -> None:
    bot: HabitatBot = bot_of(interaction)
    personal = bot.core.personal
    if not personal.served:
        data = await personal.file(interaction.user.id)
        text = t(
            interaction,
            "Les agendas personnels ne sont pas en service sur ce bot : la personne qui l'héberge doit régler "
            "WEB_PORT et PUBLIC_URL. En attendant, voici vos inscriptions en fichier .ics à importer (il ne se "
            "met pas à jour tout seul).",
        )
        file = discord.File(io.BytesIO(data), filename="mon-agenda.ics")
        await interaction.response.send_message(text, file=file, ephemeral=True)
        return
    since = await personal.issued_at(interaction.user.id)
    if since is None:
        url = personal.address(await personal.issue(interaction.user.id))
        await reply(interaction, fresh_address(interaction, url), view=NewAddressButton.of(interaction))
        return
    when = format_when(since, await server_zone(interaction), interaction.locale.value)
    text = t(
        interaction,
        "Vous avez une adresse d'agenda personnel depuis le {quand}. Le bot n'en garde qu'une empreinte et ne "
        "peut pas la réafficher : « Nouvelle adresse » en crée une autre, et l'ancienne cesse de fonctionner.",
        quand=when,
    )
    await reply(interaction, text, view=NewAddressButton.of(interaction))


def public_agenda(interaction: discord.Interaction[Any]) -> str:
    """For /evenement calendrier: the whole agenda's address to subscribe to, when members can reach it."""
    public_url = bot_of(interaction).core.personal.public_url
    if public_url is None:
        return ""
    own = bot_of(interaction).mention("evenement mon-agenda", interaction.locale.value)
    lines = [
        t(interaction, "Pour suivre tout l'agenda dans votre calendrier, abonnez-vous à : <{adresse}>",
          adresse=f"{public_url}/agenda.ics"),
        t(interaction, "Seulement vos inscriptions : {commande}.", commande=own),
    ]  # fmt: skip
    return "\n" + "\n".join(lines)


class PersonalCalendarCommands(commands.Cog):
    """Mixed into the /evenement cog (cogs/events.py): its commands join the group."""

    @app_commands.command(name="mon-agenda", description="Votre agenda personnel : une adresse d'abonnement privée")
    async def mon_agenda(self, interaction: discord.Interaction[Any]) -> None:
        await show_personal_calendar(interaction)
