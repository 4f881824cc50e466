"""Check-in on the day (bot/events/checkin.py), made for a phone at the venue: `/evenement accueil`
opens it (a public message with « Je suis arrivé·e » in the channel, and for the organiser the code to
show at the entrance in large type, the attendance and a menu to mark who came), `/evenement present`
takes the code a member types."""

from __future__ import annotations

from typing import Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import bot_of
from bot.errors import Plural
from bot.events.checkin import Attendance, Desk
from bot.events.models import Registration
from bot.i18n import gettext
from bot.limits import BUTTON_LABEL, CONTENT, SELECT_LABEL, clip
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.events import EventOption, manager
from cogs.ui.text import reply, t
from cogs.ui.views import OwnedView

ACTIONS = [
    app_commands.Choice(name="Ouvrir l'accueil", value="ouvrir"),
    app_commands.Choice(name="Fermer l'accueil", value="fermer"),
]


def attendance_text(interaction: discord.Interaction[Any], seen: Attendance) -> str:
    """« 3 foyers présents sur 10 inscrits (30 %) · 5 personnes sur 18 »."""
    households = t(
        interaction, "{presents} sur {inscrits}",
        presents=Plural("{n} foyer présent", "{n} foyers présents", seen.present),
        inscrits=Plural("{n} inscrit", "{n} inscrits", seen.seated),
    )  # fmt: skip
    if seen.rate is not None:
        households += f" ({round(seen.rate * 100)} %)"
    persons = Plural("{n} personne", "{n} personnes", seen.present_people)
    return households + " · " + t(interaction, "{personnes} sur {n}", personnes=persons, n=seen.seated_people)


def desk_text(interaction: discord.Interaction[Any], desk: Desk) -> str:
    title = desk.event.title
    if desk.state is None:
        head = t(interaction, "L'accueil de « {titre} » n'a pas encore été ouvert.", titre=title)
    elif desk.state.open:
        code = t(interaction, "Code à afficher à l'entrée (à taper avec {commande}) :",
                 commande=bot_of(interaction).mention("evenement present", interaction.locale.value))  # fmt: skip
        head = t(interaction, "Accueil de « {titre} » : ouvert.", titre=title) + f"\n{code}\n# {desk.state.code}"
    else:
        head = t(interaction, "Accueil de « {titre} » : fermé.", titre=title)
    return f"{head}\n{attendance_text(interaction, desk.attendance)}"


def who(interaction: discord.Interaction[Any], registration: Registration) -> str:
    member = interaction.guild.get_member(registration.user_id) if interaction.guild and registration.user_id else None
    name = member.display_name if member else registration.guest_name or t(interaction, "(anonyme)")
    return clip(f"{name} — {registration.seats}", SELECT_LABEL)


class DeskView(OwnedView):
    """The organiser's menu of those seated and not yet marked present (the first 25)."""

    def __init__(self, interaction: discord.Interaction[Any], desk: Desk) -> None:
        super().__init__(interaction.user.id, timeout=3600)
        self.event_id = desk.event.id
        options = [discord.SelectOption(label=who(interaction, r), value=str(r.id)) for r in desk.absent]
        if options:
            select: discord.ui.Select[DeskView] = discord.ui.Select(
                placeholder=t(interaction, "Noter présent·e…"), options=options, max_values=len(options)
            )
            select.callback = self.marked  # type: ignore[method-assign]
            self.select = select
            self.add_item(select)
        if desk.state is not None and desk.state.open:  # closed from the phone, without typing a command
            close: discord.ui.Button[DeskView] = discord.ui.Button(
                label=clip(t(interaction, "Fermer l'accueil"), BUTTON_LABEL), style=discord.ButtonStyle.danger
            )
            close.callback = self.closed  # type: ignore[method-assign]
            self.add_item(close)

    async def marked(self, interaction: discord.Interaction[Any]) -> None:
        ids = [int(value) for value in self.select.values]
        desk = await bot_of(interaction).core.checkin.mark(self.event_id, ids, by=await manager(interaction))
        await self.show(interaction, desk)

    async def closed(self, interaction: discord.Interaction[Any]) -> None:
        await self.show(
            interaction, await bot_of(interaction).core.checkin.close(self.event_id, by=await manager(interaction))
        )

    @staticmethod
    async def show(interaction: discord.Interaction[Any], desk: Desk) -> None:
        await interaction.response.edit_message(content=desk_text(interaction, desk), view=DeskView(interaction, desk))


class ArrivalButton(ActionButton, template=r"accueil:(?P<action>arrive):(?P<id>\d+)"):
    """« Je suis arrivé·e », under the message posted when check-in opens."""

    PREFIX = "accueil"
    LABELS: ClassVar[dict[str, str]] = {"arrive": "Je suis arrivé·e"}
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {"arrive": discord.ButtonStyle.success}

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        event, new = await bot_of(interaction).core.checkin.arrive(self.target_id, interaction.user.id)
        await reply(interaction, arrived(interaction, event.title, new))


def arrived(interaction: discord.Interaction[Any], title: str, new: bool) -> str:
    if new:
        return t(interaction, "Bienvenue ! Votre arrivée à « {titre} » est notée.", titre=title)
    return t(interaction, "Votre arrivée à « {titre} » était déjà notée.", titre=title)


async def run_desk(
    interaction: discord.Interaction[Any], event_id: int, action: str | None, member: discord.Member | None
) -> None:
    checkin, by = bot_of(interaction).core.checkin, await manager(interaction)
    if action == "ouvrir":
        desk = await checkin.open(event_id, by=by)
        locale = interaction.guild_locale.value if interaction.guild_locale else None
        view = discord.ui.View(timeout=None)
        view.add_item(ArrivalButton("arrive", event_id, label=gettext("Je suis arrivé·e", locale)))
        notice = gettext(
            "📍 L'accueil de « {titre} » est ouvert : touchez « Je suis arrivé·e » à votre arrivée, ou tapez le "
            "code affiché à l'entrée avec {commande}.",
            locale, titre=desk.event.title, commande=bot_of(interaction).mention("evenement present", locale),
        )  # fmt: skip
        await interaction.response.send_message(clip(notice, CONTENT), view=view)
    elif action == "fermer":
        desk = await checkin.close(event_id, by=by)
    elif member is not None:
        desk = await checkin.mark_member(event_id, member.id, by=by)
    else:
        desk = await checkin.desk(event_id, by=by)
    await reply(interaction, desk_text(interaction, desk), view=DeskView(interaction, desk))


class CheckinCommands(commands.Cog):
    """Mixed into the /evenement cog (cogs/events.py): its commands join the group."""

    @app_commands.command(name="accueil", description="Accueil le jour J : ouvrir, fermer, noter les présents")
    @app_commands.describe(
        evenement="L'événement",
        action="Ouvrir ou fermer l'accueil (sinon : où il en est)",
        membre="Noter ce membre présent",
    )
    @app_commands.choices(action=ACTIONS)
    async def accueil(
        self,
        interaction: discord.Interaction[Any],
        evenement: EventOption,
        action: str | None = None,
        membre: discord.Member | None = None,
    ) -> None:
        await run_desk(interaction, evenement.id, action, membre)

    @app_commands.command(name="present", description="Confirmer votre arrivée avec le code affiché à l'accueil")
    @app_commands.describe(code="Le code affiché à l'entrée (5 caractères)")
    async def present(self, interaction: discord.Interaction[Any], code: app_commands.Range[str, 1, 20]) -> None:
        event, new = await bot_of(interaction).core.checkin.arrive_with_code(code, interaction.user.id)
        await reply(interaction, arrived(interaction, event.title, new))
