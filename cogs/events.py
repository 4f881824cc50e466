"""`/evenement`: the agenda, registrations, waiting lists, reminders. The rules live in bot/events/;
this only adapts: who may act (Discord roles), options into values, one service call, the answer."""

from __future__ import annotations

import io
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import ValidationError

from bot.client import HabitatBot
from bot.dates import discord_time
from bot.errors import invalid
from bot.events.models import EventChanges, EventDraft, SessionDraft
from bot.events.reminders import member_offsets
from bot.guild_settings import format_offset
from bot.ics import to_ics
from bot.recurrence import Frequency
from bot.vocabulary import EventKind, label
from cogs.ui.checkin import ArrivalButton, CheckinCommands
from cogs.ui.event_list import EventListView
from cogs.ui.event_stats import StatsCommands
from cogs.ui.events import EventOption, ScheduledEvents, ensure_may_attach, list_filters, manager, send_participants
from cogs.ui.maps import events_area
from cogs.ui.members import organisers_only
from cogs.ui.personal_calendar import NewAddressButton, PersonalCalendarCommands, public_agenda
from cogs.ui.projects import PublishedProjectOption
from cogs.ui.questions import AnswersButton, questions_page
from cogs.ui.registration import InterestButton, LeaveButton, SignupButton, StillComingButton, register
from cogs.ui.text import reply, t, tn
from cogs.ui.transformers import (
    DepartementOption,
    EndOption,
    MomentOption,
    PlaceOption,
    RegionOption,
    server_zone,
)

KINDS = [app_commands.Choice(name=label(kind), value=kind.value) for kind in EventKind]
REPEATS = [
    app_commands.Choice(name="Chaque semaine", value=Frequency.weekly.value),
    app_commands.Choice(name="Chaque mois (même jour de la semaine, ex. 1er lundi)", value=Frequency.monthly_nth.value),
    app_commands.Choice(name="Chaque année", value=Frequency.yearly.value),
]


@app_commands.guild_only()
class Events(
    CheckinCommands,
    StatsCommands,
    PersonalCalendarCommands,
    commands.GroupCog,
    group_name="evenement",
    group_description="L'agenda du réseau : JPO, plénières, RNHP…",
):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        self.scheduled = ScheduledEvents(bot)
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SignupButton, LeaveButton, AnswersButton, InterestButton, StillComingButton)
        self.bot.add_dynamic_items(ArrivalButton, NewAddressButton)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        """What a failure or a crash left without its Discord scheduled event gets one now."""
        for guild in self.bot.guilds:
            await self.scheduled.ensure(guild)

    # ------------------------------------------------------------------ organisers

    @app_commands.command(name="creer", description="Créer un événement (organisateurs)")
    @app_commands.describe(
        type="Type d'événement",
        titre="Titre de l'événement",
        debut="Début : 12/04/2027 14h30, samedi 14h, 2027-04-12 14:30…",
        fin="Fin : une heure (17h) le même jour, ou une date et une heure",
        commune="Commune où il se tient",
        adresse="Adresse dans la commune (rue, numéro, salle) : la carte y mène",
        lien="Lien de visioconférence, pour un événement en ligne",
        capacite="Nombre de places (sans limite si vide)",
        description="Présentation de l'événement",
        repetition="Répéter l'événement",
        occurrences="Nombre de dates, avec la répétition (2 à 52)",
        projet="Le projet dont c'est l'événement, une JPO par exemple (ses référents, les modérateurs)",
    )
    @app_commands.choices(type=KINDS, repetition=REPEATS)
    async def creer(
        self,
        interaction: discord.Interaction[Any],
        type: str,
        titre: app_commands.Range[str, 3, 100],
        debut: MomentOption,
        fin: EndOption,
        commune: PlaceOption | None = None,
        lien: app_commands.Range[str, 8, 300] | None = None,
        capacite: app_commands.Range[int, 1, 100_000] | None = None,
        description: app_commands.Range[str, 1, 1000] | None = None,
        adresse: app_commands.Range[str, 3, 200] | None = None,
        repetition: str | None = None,
        occurrences: app_commands.Range[int, 2, 52] | None = None,
        projet: PublishedProjectOption | None = None,
    ) -> None:
        await organisers_only(interaction)
        if projet is not None:
            await ensure_may_attach(interaction, projet)
        assert interaction.guild is not None
        try:
            draft = EventDraft(
                guild_id=interaction.guild.id,
                kind=EventKind(type),
                title=titre,
                description=description or "",
                starts_at=debut,
                ends_at=fin.after(debut),
                code_insee=commune.insee if commune else None,
                address=adresse,
                online_url=lien,
                capacity=capacite,
                organiser_id=interaction.user.id,
                project_id=projet.id if projet else None,
            )
        except ValidationError as error:
            raise invalid(error, EventDraft) from None
        repeat = Frequency(repetition) if repetition else Frequency.once
        events = await self.bot.events.create(draft, repeat=repeat, count=occurrences)
        first = events[0]
        lines = [
            t(interaction, "Événement créé : « {titre} », {quand}.", titre=first.title,
              quand=discord_time(first.starts_at)),
        ]  # fmt: skip
        if len(events) > 1:
            lines.append(t(interaction, "{n} dates créées, chacune avec ses inscriptions.", n=len(events)))
        if first.announce_channel_id is None:
            lines.append(
                t(interaction, "Aucun salon d'annonces n'est configuré (/config salons) : rien n'a été annoncé.")
            )
        await reply(interaction, "\n".join(lines))
        await self.scheduled.ensure(interaction.guild)

    @app_commands.command(name="modifier", description="Modifier un événement (son organisateur)")
    @app_commands.describe(
        evenement="L'événement",
        titre="Nouveau titre",
        debut="Nouveau début",
        fin="Nouvelle fin",
        commune="Nouvelle commune",
        adresse="Nouvelle adresse dans la commune",
        lien="Nouveau lien",
        capacite="Nouvelle capacité (la liste d'attente avance si elle augmente)",
        description="Nouvelle présentation",
    )
    async def modifier(
        self,
        interaction: discord.Interaction[Any],
        evenement: EventOption,
        titre: app_commands.Range[str, 3, 100] | None = None,
        debut: MomentOption | None = None,
        fin: EndOption | None = None,
        commune: PlaceOption | None = None,
        lien: app_commands.Range[str, 8, 300] | None = None,
        capacite: app_commands.Range[int, 1, 100_000] | None = None,
        description: app_commands.Range[str, 1, 1000] | None = None,
        adresse: app_commands.Range[str, 3, 200] | None = None,
    ) -> None:
        changes = EventChanges(
            title=titre,
            description=description,
            starts_at=debut,
            ends_at=fin.after(debut or evenement.starts_at) if fin else None,
            code_insee=commune.insee if commune else None,
            address=adresse,
            online_url=lien,
            capacity=capacite,
        )
        updated, _ = await self.bot.events.update(evenement.id, changes, by=await manager(interaction))
        await reply(interaction, t(interaction, "Événement modifié."))
        await self.scheduled.follow(updated)

    @app_commands.command(name="annuler", description="Annuler un événement ; les inscrits sont prévenus")
    @app_commands.describe(evenement="L'événement", raison="Raison, envoyée aux inscrits")
    async def annuler(
        self, interaction: discord.Interaction[Any], evenement: EventOption, raison: app_commands.Range[str, 3, 500]
    ) -> None:
        by = await manager(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)  # a plenary has thousands to tell
        cancelled, told = await self.bot.events.cancel(evenement.id, raison, by=by)
        told_them = tn(
            interaction,
            "Événement annulé ; {n} membre prévenu en message privé.",
            "Événement annulé ; {n} membres prévenus en message privé.",
            told,
        )
        await reply(interaction, told_them)
        await self.scheduled.follow(cancelled)

    @app_commands.command(name="participants", description="La liste des inscrits, et son export CSV (organisateur)")
    @app_commands.describe(evenement="L'événement")
    async def participants(self, interaction: discord.Interaction[Any], evenement: EventOption) -> None:
        await send_participants(interaction, evenement)

    @app_commands.command(name="questions", description="Les questions posées à l'inscription (organisateur)")
    @app_commands.describe(evenement="L'événement")
    async def questions(self, interaction: discord.Interaction[Any], evenement: EventOption) -> None:
        await questions_page(interaction, evenement)

    @app_commands.command(name="atelier", description="Ajouter un atelier à un événement (ses horaires, ses places)")
    @app_commands.describe(
        evenement="L'événement",
        titre="Titre de l'atelier",
        debut="Début de l'atelier",
        fin="Fin de l'atelier",
        lieu="Salle ou lieu de l'atelier",
        capacite="Nombre de places",
    )
    async def atelier(
        self,
        interaction: discord.Interaction[Any],
        evenement: EventOption,
        titre: app_commands.Range[str, 3, 100],
        debut: MomentOption,
        fin: EndOption,
        lieu: app_commands.Range[str, 1, 100] | None = None,
        capacite: app_commands.Range[int, 1, 10_000] | None = None,
    ) -> None:
        try:
            draft = SessionDraft(title=titre, starts_at=debut, ends_at=fin.after(debut), place=lieu, capacity=capacite)
        except ValidationError as error:
            raise invalid(error, SessionDraft) from None
        session = await self.bot.events.add_session(evenement.id, draft, by=await manager(interaction))
        await reply(
            interaction, t(interaction, "Atelier ajouté : « {titre} » (n° {id}).", titre=session.title, id=session.id)
        )

    # ------------------------------------------------------------------ members

    @app_commands.command(name="liste", description="Les événements à venir, près de chez vous ou partout")
    @app_commands.describe(
        type="Type d'événement",
        region="Région, actuelle ou ancienne",
        departement="Numéro ou nom du département",
        en_ligne="Seulement en ligne (oui) ou seulement sur place (non)",
        mes_inscriptions="Seulement ceux où je suis inscrit·e",
        pres_de="Commune ou code postal",
        rayon_km="Distance autour de la commune (30 km par défaut)",
    )
    @app_commands.choices(type=KINDS)
    async def liste(
        self,
        interaction: discord.Interaction[Any],
        type: str | None = None,
        region: RegionOption | None = None,
        departement: DepartementOption | None = None,
        en_ligne: bool | None = None,
        mes_inscriptions: bool = False,
        pres_de: PlaceOption | None = None,
        rayon_km: app_commands.Range[int, 1, 500] = 30,
    ) -> None:
        filters = list_filters(interaction, type, region, departement, en_ligne, mes_inscriptions, pres_de, rayon_km)
        events = await self.bot.events.upcoming(filters)
        if not events:
            await reply(interaction, t(interaction, "Aucun événement à venir ne correspond."))
            return
        area = events_area(filters, pres_de)
        await EventListView(interaction, events, await server_zone(interaction), area).send(interaction, ephemeral=True)

    @app_commands.command(
        name="inscrire",
        description="S'inscrire avec son foyer ; un foyer plus nombreux que les places de l'événement est refusé",
    )
    @app_commands.describe(
        evenement="L'événement",
        personnes="Combien vous serez (votre foyer compris)",
        atelier="Numéro d'un atelier de l'événement",
        rappels="Recevoir des rappels en message privé",
        pour="Inscrire un autre membre (organisateurs)",
        invite="Inscrire une personne sans Discord, par son nom (organisateurs)",
    )
    async def inscrire(
        self,
        interaction: discord.Interaction[Any],
        evenement: EventOption,
        personnes: app_commands.Range[int, 1, 20] = 1,
        atelier: app_commands.Range[int, 1, 1_000_000_000] | None = None,
        rappels: bool = True,
        pour: discord.Member | None = None,
        invite: app_commands.Range[str, 2, 80] | None = None,
    ) -> None:
        if pour is not None or invite is not None:
            await organisers_only(interaction)
        await register(
            interaction, evenement.id, seats=personnes, session_id=atelier, remind=rappels,
            member=pour.id if pour else None, guest=invite if pour is None else None,
        )  # fmt: skip

    @app_commands.command(name="desinscrire", description="Se désinscrire d'un événement")
    @app_commands.describe(evenement="L'événement", atelier="Numéro de l'atelier (sinon : l'événement)")
    async def desinscrire(
        self,
        interaction: discord.Interaction[Any],
        evenement: EventOption,
        atelier: app_commands.Range[int, 1, 1_000_000_000] | None = None,
    ) -> None:
        event = await self.bot.events.leave(evenement.id, interaction.user.id, atelier)
        await reply(interaction, t(interaction, "Vous n'êtes plus inscrit·e à « {titre} ».", titre=event.title))

    @app_commands.command(name="mes-rappels", description="Quand recevoir vos rappels avant un événement")
    @app_commands.describe(delais="Par exemple « 1j 2h », « aucun » ou « serveur » (ceux du serveur)")
    async def mes_rappels(self, interaction: discord.Interaction[Any], delais: app_commands.Range[str, 1, 60]) -> None:
        offsets = member_offsets(delais)
        await self.bot.events.set_member_offsets(interaction.user.id, offsets)
        if offsets is None:
            shown = t(interaction, "ceux du serveur")
        elif not offsets:
            shown = t(interaction, "aucun rappel")
        else:
            shown = ", ".join(format_offset(m) for m in offsets)
        await reply(interaction, t(interaction, "Vos rappels : {delais}.", delais=shown))

    @app_commands.command(
        name="calendrier", description="L'agenda (ou un événement) en fichier .ics pour votre calendrier"
    )
    @app_commands.describe(evenement="Un seul événement (sinon : tout l'agenda à venir)")
    async def calendrier(self, interaction: discord.Interaction[Any], evenement: EventOption | None = None) -> None:
        events = await self.bot.events.calendar(evenement.id if evenement else None)
        data = to_ics(events, await server_zone(interaction), now=self.bot.clock())
        name = f"evenement-{evenement.id}.ics" if evenement else "agenda.ics"
        await interaction.response.send_message(
            tn(interaction, "{n} événement dans le fichier.", "{n} événements dans le fichier.", len(events))
            + public_agenda(interaction),
            file=discord.File(io.BytesIO(data), filename=name),
            ephemeral=True,
        )


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Events(bot))
