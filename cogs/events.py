"""`/evenement`: the agenda, registrations, waiting lists, reminders. The rules live in bot/events/;
this only adapts."""

from __future__ import annotations

import csv
import io
import logging
import math
from typing import Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import ValidationError

from bot.client import HabitatBot, bot_of
from bot.dates import format_when, parse_when
from bot.errors import UserError, invalid
from bot.events.models import Event, EventDraft, EventFilters, Outcome
from bot.guild_settings import GuildSettings, format_offset, parse_offsets
from bot.ics import to_ics
from bot.recurrence import Frequency, event_occurrences
from bot.vocabulary import EventKind, label
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.events import PER_PAGE, event_embed, list_embed, participants_embed
from cogs.ui.members import is_moderator, is_organiser
from cogs.ui.paginator import Paginator
from cogs.ui.places import commune_choices, departement_choices, region_choices
from cogs.ui.text import reply, t

log = logging.getLogger(__name__)

KINDS = [app_commands.Choice(name=label(kind), value=kind.value) for kind in EventKind]
REPEATS = [
    app_commands.Choice(name="Chaque semaine", value=Frequency.weekly.value),
    app_commands.Choice(name="Chaque mois (même jour de la semaine, ex. 1er lundi)", value=Frequency.monthly_nth.value),
    app_commands.Choice(name="Chaque année", value=Frequency.yearly.value),
]


def registration_message(interaction: discord.Interaction[Any], event: Event, outcome: Outcome) -> str:
    registration = outcome.registration
    assert registration is not None
    if registration.waiting:
        return t(
            interaction,
            "Complet : vous êtes n° {position} sur la liste d'attente de « {titre} ». "
            "Vous serez prévenu·e en message privé si une place se libère.",
            position=outcome.position,
            titre=event.title,
        )
    key = (
        "Inscription confirmée pour {n} personne(s) à « {titre} »."
        if outcome.created
        else "Inscription mise à jour : {n} personne(s) à « {titre} »."
    )
    return t(interaction, key, n=registration.seats, titre=event.title)


async def refresh_announcement(bot: HabitatBot, event: Event) -> None:
    """Keep the announcement card (seats left, changes, cancellation) in step with the event."""
    if not (event.announce_channel_id and event.announce_message_id):
        return
    channel = bot.get_channel(event.announce_channel_id)
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        return
    zone = (await bot.guild_settings.get(event.guild_id)).zone
    try:
        message = channel.get_partial_message(event.announce_message_id)
        view = None if event.cancelled else signup_view(event.id)
        await message.edit(embed=event_embed(event, zone, None, await bot.events.store.sessions(event.id)), view=view)
    except discord.HTTPException as error:
        log.info("annonce de l'événement %s non mise à jour : %s", event.id, error)


def signup_view(event_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(SignupButton("inscrire", event_id))
    return view


async def register_member(
    interaction: discord.Interaction[Any],
    event_id: int,
    *,
    seats: int,
    session_id: int | None = None,
    remind: bool = True,
    user_id: int | None = None,
    guest_name: str | None = None,
) -> None:
    bot = bot_of(interaction)
    member_id = user_id if user_id is not None or guest_name else interaction.user.id
    event, outcome = await bot.events.register(
        event_id,
        seats=seats,
        user_id=member_id,
        guest_name=guest_name,
        session_id=session_id,
        remind=remind,
        locale=interaction.locale.value,
        registered_by=interaction.user.id,
    )
    await reply(interaction, registration_message(interaction, event, outcome))
    await refresh_announcement(bot, event)


async def leave(interaction: discord.Interaction[Any], registration_id: int) -> None:
    bot = bot_of(interaction)
    event = await bot.events.unregister(registration_id, interaction.user.id)
    await reply(interaction, t(interaction, "Vous n'êtes plus inscrit·e à « {titre} ».", titre=event.title))
    await refresh_announcement(bot, event)


class SignupButton(ActionButton, template=r"evt:(?P<action>inscrire):(?P<id>\d+)"):
    PREFIX = "evt"
    LABELS: ClassVar[dict[str, str]] = {"inscrire": "S'inscrire"}
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {"inscrire": discord.ButtonStyle.success}
    EMOJIS: ClassVar[dict[str, str]] = {"inscrire": "✅"}

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await register_member(interaction, self.target_id, seats=1)


class LeaveButton(ActionButton, template=r"evt:(?P<action>quitter):(?P<id>\d+)"):
    """ "Je ne viens plus", under each reminder DM."""

    PREFIX = "evt"
    LABELS: ClassVar[dict[str, str]] = {"quitter": "Je ne viens plus"}
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {"quitter": discord.ButtonStyle.danger}

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await leave(interaction, self.target_id)


@app_commands.guild_only()
class Events(commands.GroupCog, group_name="evenement", group_description="L'agenda du réseau : JPO, plénières, RNHP…"):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(SignupButton, LeaveButton)

    # ------------------------------------------------------------------ helpers

    async def settings(self, interaction: discord.Interaction[Any]) -> GuildSettings:
        return await self.bot.guild_settings.get(interaction.guild_id or 0)

    async def ensure_organiser(self, interaction: discord.Interaction[Any]) -> GuildSettings:
        settings = await self.settings(interaction)
        if not is_organiser(interaction.user, settings):
            raise UserError("Réservé aux organisateurs du serveur.")
        return settings

    async def own_event(self, interaction: discord.Interaction[Any], value: str) -> Event:
        """An event the member may manage: their own, or any of this server's for its moderators."""
        event = await self.event_from(value)
        settings = await self.settings(interaction)
        if event.organiser_id == interaction.user.id and is_organiser(interaction.user, settings):
            return event
        if event.guild_id == interaction.guild_id and is_moderator(interaction.user, settings):
            return event
        raise UserError("Seuls l'organisateur de l'événement et les modérateurs du serveur peuvent le gérer.")

    async def event_from(self, value: str) -> Event:
        event = await self.bot.events.store.get(int(value)) if value.strip().isdigit() else None
        if event is None:
            found = await self.bot.events.store.titles_like(value, self.bot.clock())
            event = found[0] if len(found) == 1 else None
        if event is None:
            raise UserError(
                "Je ne trouve pas l'événement « {evenement} » : choisissez-le dans la liste.", evenement=value
            )
        return event

    async def event_choices(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        zone = (await self.settings(interaction)).zone
        found = await self.bot.events.store.titles_like(current, self.bot.clock())
        return [
            app_commands.Choice(
                name=f"{e.title} — {format_when(e.starts_at, zone, interaction.locale.value)}"[:100], value=str(e.id)
            )
            for e in found
        ]

    # ------------------------------------------------------------------ organisers

    @app_commands.command(name="creer", description="Créer un événement (organisateurs)")
    @app_commands.describe(
        type="Type d'événement",
        titre="Titre de l'événement",
        debut="Début : 12/04/2027 14h30, samedi 14h, 2027-04-12 14:30…",
        fin="Fin : une heure (17h) le même jour, ou une date et une heure",
        commune="Commune où il se tient",
        lien="Lien de visioconférence, pour un événement en ligne",
        capacite="Nombre de places (sans limite si vide)",
        description="Présentation de l'événement",
        repetition="Répéter l'événement",
        occurrences="Nombre de dates, avec la répétition (2 à 52)",
    )
    @app_commands.choices(type=KINDS, repetition=REPEATS)
    async def creer(
        self,
        interaction: discord.Interaction[Any],
        type: str,
        titre: app_commands.Range[str, 3, 100],
        debut: app_commands.Range[str, 2, 60],
        fin: app_commands.Range[str, 2, 60],
        commune: str | None = None,
        lien: app_commands.Range[str, 8, 300] | None = None,
        capacite: app_commands.Range[int, 1, 100_000] | None = None,
        description: app_commands.Range[str, 1, 1000] | None = None,
        repetition: str | None = None,
        occurrences: app_commands.Range[int, 2, 52] | None = None,
    ) -> None:
        settings = await self.ensure_organiser(interaction)
        assert interaction.guild_id is not None and interaction.guild is not None
        now = self.bot.clock()
        starts_at = parse_when(debut, settings.zone, now)
        ends_at = parse_when(fin, settings.zone, now, after=starts_at)
        place = self.bot.geo.resolve_commune(commune) if commune else None
        try:
            draft = EventDraft(
                guild_id=interaction.guild_id,
                kind=EventKind(type),
                title=titre,
                description=description or "",
                starts_at=starts_at,
                ends_at=ends_at,
                code_insee=place.insee if place else None,
                online_url=lien,
                capacity=capacite,
                organiser_id=interaction.user.id,
            )
        except ValidationError as error:
            raise invalid(error, EventDraft) from None
        frequency = Frequency(repetition) if repetition else Frequency.once
        count = occurrences or (1 if frequency is Frequency.once else 4)
        pairs = event_occurrences(starts_at, ends_at, frequency, count, settings.zone)
        await interaction.response.defer(ephemeral=True, thinking=True)
        events = await self.bot.events.create(draft, pairs)
        for event in events:
            await self.publish_to_discord(interaction.guild, event, settings, announce=event is events[0])
        first = events[0]
        lines = [
            t(interaction, "Événement créé : « {titre} », {quand}.", titre=first.title,
              quand=format_when(first.starts_at, settings.zone, interaction.locale.value)),
        ]  # fmt: skip
        if len(events) > 1:
            lines.append(t(interaction, "{n} dates créées, chacune avec ses inscriptions.", n=len(events)))
        if settings.announce_channel_id is None:
            lines.append(
                t(interaction, "Aucun salon d'annonces n'est configuré (/config salons) : rien n'a été annoncé.")
            )
        await interaction.followup.send("\n".join(lines), ephemeral=True)

    async def publish_to_discord(
        self, guild: discord.Guild, event: Event, settings: GuildSettings, *, announce: bool
    ) -> None:
        """The Discord scheduled event, and the announcement with its "S'inscrire" button."""
        discord_event_id = None
        try:
            scheduled = await guild.create_scheduled_event(
                name=event.title,
                start_time=event.starts_at,
                end_time=event.ends_at,
                entity_type=discord.EntityType.external,
                privacy_level=discord.PrivacyLevel.guild_only,
                location=(event.place or "")[:100],
                description=event.description[:1000] or discord.utils.MISSING,
            )
            discord_event_id = scheduled.id
        except discord.HTTPException as error:
            log.warning("événement Discord non créé pour %s : %s", event.id, error)
        channel_id = message_id = None
        channel = guild.get_channel(settings.announce_channel_id or 0)
        if announce and isinstance(channel, discord.TextChannel):
            message = await channel.send(embed=event_embed(event, settings.zone, None), view=signup_view(event.id))
            channel_id, message_id = channel.id, message.id
        await self.bot.events.store.set_discord_refs(
            event.id, discord_event_id=discord_event_id, channel_id=channel_id, message_id=message_id
        )

    async def sync_discord_event(self, guild: discord.Guild | None, event: Event) -> None:
        if guild is None or event.discord_event_id is None:
            return
        try:
            scheduled = guild.get_scheduled_event(event.discord_event_id) or await guild.fetch_scheduled_event(
                event.discord_event_id
            )
            if event.cancelled:
                await scheduled.cancel()
            else:
                await scheduled.edit(
                    name=event.title,
                    start_time=event.starts_at,
                    end_time=event.ends_at,
                    location=(event.place or "")[:100],
                    description=event.description[:1000],
                )
        except discord.HTTPException as error:
            log.warning("événement Discord %s non synchronisé : %s", event.discord_event_id, error)

    @app_commands.command(name="modifier", description="Modifier un événement (son organisateur)")
    @app_commands.describe(
        evenement="L'événement",
        titre="Nouveau titre",
        debut="Nouveau début",
        fin="Nouvelle fin",
        commune="Nouvelle commune",
        lien="Nouveau lien",
        capacite="Nouvelle capacité (la liste d'attente avance si elle augmente)",
        description="Nouvelle présentation",
    )
    async def modifier(
        self,
        interaction: discord.Interaction[Any],
        evenement: str,
        titre: app_commands.Range[str, 3, 100] | None = None,
        debut: app_commands.Range[str, 2, 60] | None = None,
        fin: app_commands.Range[str, 2, 60] | None = None,
        commune: str | None = None,
        lien: app_commands.Range[str, 8, 300] | None = None,
        capacite: app_commands.Range[int, 1, 100_000] | None = None,
        description: app_commands.Range[str, 1, 1000] | None = None,
    ) -> None:
        event = await self.own_event(interaction, evenement)
        settings = await self.bot.guild_settings.get(event.guild_id)
        now = self.bot.clock()
        changes: dict[str, Any] = {}
        if titre:
            changes["title"] = titre
        if description:
            changes["description"] = description
        if debut:
            changes["starts_at"] = parse_when(debut, settings.zone, now)
            duration = event.ends_at - event.starts_at
            changes["ends_at"] = changes["starts_at"] + duration
        if fin:
            changes["ends_at"] = parse_when(fin, settings.zone, now, after=changes.get("starts_at", event.starts_at))
        if commune:
            changes["code_insee"] = self.bot.geo.resolve_commune(commune).insee
        if lien:
            changes["online_url"] = lien
        if capacite:
            changes["capacity"] = capacite
        if not changes:
            raise UserError("Indiquez au moins une chose à changer.")
        try:
            updated, _ = await self.bot.events.update(event.id, **changes)
        except ValidationError as error:
            raise invalid(error, EventDraft) from None
        await reply(interaction, t(interaction, "Événement modifié."))
        await self.sync_discord_event(interaction.guild, updated)
        await refresh_announcement(self.bot, updated)

    @app_commands.command(name="annuler", description="Annuler un événement ; les inscrits sont prévenus")
    @app_commands.describe(evenement="L'événement", raison="Raison, envoyée aux inscrits")
    async def annuler(
        self, interaction: discord.Interaction[Any], evenement: str, raison: app_commands.Range[str, 3, 500]
    ) -> None:
        event = await self.own_event(interaction, evenement)
        await interaction.response.defer(ephemeral=True, thinking=True)
        cancelled, told = await self.bot.events.cancel(event.id, raison)
        await self.sync_discord_event(interaction.guild, cancelled)
        await refresh_announcement(self.bot, cancelled)
        await interaction.followup.send(
            t(interaction, "Événement annulé ; {n} inscrit(s) prévenu(s) en message privé.", n=told), ephemeral=True
        )

    @app_commands.command(name="participants", description="La liste des inscrits, et son export CSV (organisateur)")
    @app_commands.describe(evenement="L'événement")
    async def participants(self, interaction: discord.Interaction[Any], evenement: str) -> None:
        event = await self.own_event(interaction, evenement)
        registrations = await self.bot.events.store.participants(event.id, sessions=True)
        sessions = {s.id: s.title for s in await self.bot.events.store.sessions(event.id)}
        names = {}
        for registration in registrations:
            if registration.user_id is not None and interaction.guild is not None:
                member = interaction.guild.get_member(registration.user_id)
                names[registration.user_id] = member.display_name if member else str(registration.user_id)
        output = io.StringIO()
        writer = csv.writer(output, lineterminator="\n")
        writer.writerow(["statut", "atelier", "nom", "discord_id", "personnes", "rappels", "inscrit_le"])
        for r in registrations:
            writer.writerow(
                [
                    "attente" if r.waiting else "inscrit",
                    sessions.get(r.session_id or 0, ""),
                    names.get(r.user_id or 0) or r.guest_name or "",
                    r.user_id or "",
                    r.seats,
                    "oui" if r.remind else "non",
                    r.created_at.isoformat(),
                ]
            )
        main = [r for r in registrations if r.session_id is None]
        file = discord.File(io.BytesIO(output.getvalue().encode("utf-8")), filename=f"participants-{event.id}.csv")
        await interaction.response.send_message(
            embed=participants_embed(event, main, names, interaction.locale.value), file=file, ephemeral=True
        )

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
        evenement: str,
        titre: app_commands.Range[str, 3, 100],
        debut: app_commands.Range[str, 2, 60],
        fin: app_commands.Range[str, 2, 60],
        lieu: app_commands.Range[str, 1, 100] | None = None,
        capacite: app_commands.Range[int, 1, 10_000] | None = None,
    ) -> None:
        event = await self.own_event(interaction, evenement)
        zone = (await self.bot.guild_settings.get(event.guild_id)).zone
        starts_at = parse_when(debut, zone, self.bot.clock())
        ends_at = parse_when(fin, zone, self.bot.clock(), after=starts_at)
        session = await self.bot.events.store.add_session(event.id, titre, starts_at, ends_at, lieu, capacite)
        await reply(
            interaction, t(interaction, "Atelier ajouté : « {titre} » (n° {id}).", titre=session.title, id=session.id)
        )
        await refresh_announcement(self.bot, event)

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
        region: str | None = None,
        departement: str | None = None,
        en_ligne: bool | None = None,
        mes_inscriptions: bool = False,
        pres_de: str | None = None,
        rayon_km: app_commands.Range[int, 1, 500] = 30,
    ) -> None:
        geo = self.bot.geo
        near = geo.resolve_commune(pres_de) if pres_de else None
        filters = EventFilters(
            kind=EventKind(type) if type else None,
            departement=geo.departement(departement).code if departement else None,
            departements=geo.region(region).departements if region else None,
            online=en_ligne,
            user_id=interaction.user.id if mes_inscriptions else None,
            near=(near.lat, near.lon) if near and near.lat is not None and near.lon is not None else None,
            radius_km=float(rayon_km),
        )
        events = await self.bot.events.store.upcoming(filters, self.bot.clock())
        if not events:
            await reply(interaction, t(interaction, "Aucun événement à venir ne correspond."))
            return
        zone = (await self.settings(interaction)).zone
        locale = interaction.locale.value

        async def render(index: int) -> discord.Embed:
            page = events[index * PER_PAGE : (index + 1) * PER_PAGE]
            return list_embed(page, zone, locale, page=index, total=len(events))

        await Paginator(interaction.user.id, math.ceil(len(events) / PER_PAGE), render).send(
            interaction, ephemeral=True
        )

    @app_commands.command(name="inscrire", description="S'inscrire (ou inscrire son foyer) à un événement")
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
        evenement: str,
        personnes: app_commands.Range[int, 1, 20] = 1,
        atelier: int | None = None,
        rappels: bool = True,
        pour: discord.Member | None = None,
        invite: app_commands.Range[str, 2, 80] | None = None,
    ) -> None:
        event = await self.event_from(evenement)
        if pour is not None or invite is not None:
            await self.ensure_organiser(interaction)
        await register_member(
            interaction,
            event.id,
            seats=personnes,
            session_id=atelier,
            remind=rappels,
            user_id=pour.id if pour else None,
            guest_name=invite if pour is None else None,
        )

    @app_commands.command(name="desinscrire", description="Se désinscrire d'un événement")
    @app_commands.describe(evenement="L'événement", atelier="Numéro de l'atelier (sinon : l'événement)")
    async def desinscrire(
        self, interaction: discord.Interaction[Any], evenement: str, atelier: int | None = None
    ) -> None:
        event = await self.event_from(evenement)
        registration = await self.bot.events.store.registration_of(event.id, interaction.user.id, atelier)
        if registration is None:
            raise UserError("Vous n'êtes pas inscrit·e à cet événement.")
        await leave(interaction, registration.id)

    @app_commands.command(name="mes-rappels", description="Quand recevoir vos rappels avant un événement")
    @app_commands.describe(delais="Par exemple « 1j 2h », « aucun » ou « serveur » (ceux du serveur)")
    async def mes_rappels(self, interaction: discord.Interaction[Any], delais: app_commands.Range[str, 1, 60]) -> None:
        word = delais.strip().casefold()
        offsets: tuple[int, ...] | None
        if word in ("serveur", "server", "défaut", "defaut"):
            offsets = None
        elif word in ("aucun", "none", "non"):
            offsets = ()
        else:
            offsets = parse_offsets(delais)
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
    async def calendrier(self, interaction: discord.Interaction[Any], evenement: str | None = None) -> None:
        events = (
            [await self.event_from(evenement)]
            if evenement
            else await self.bot.events.store.upcoming(EventFilters(), self.bot.clock())
        )
        zone = (await self.settings(interaction)).zone
        data = to_ics(events, zone, now=self.bot.clock())
        name = f"evenement-{events[0].id}.ics" if evenement else "agenda.ics"
        await interaction.response.send_message(
            t(interaction, "{n} événement(s) dans le fichier.", n=len(events)),
            file=discord.File(io.BytesIO(data), filename=name),
            ephemeral=True,
        )

    # ------------------------------------------------------------------ autocomplete

    @modifier.autocomplete("evenement")
    @annuler.autocomplete("evenement")
    @participants.autocomplete("evenement")
    @atelier.autocomplete("evenement")
    @inscrire.autocomplete("evenement")
    @desinscrire.autocomplete("evenement")
    @calendrier.autocomplete("evenement")
    async def _event_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return await self.event_choices(interaction, current)

    @creer.autocomplete("commune")
    @modifier.autocomplete("commune")
    @liste.autocomplete("pres_de")
    async def _commune_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return commune_choices(self.bot.geo, current)

    @liste.autocomplete("departement")
    async def _departement_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return departement_choices(self.bot.geo, current)

    @liste.autocomplete("region")
    async def _region_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return region_choices(self.bot.geo, current, interaction)


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Events(bot))
