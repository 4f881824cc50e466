"""`/accompagnement` for facilitators (mixed into the cog of cogs/support.py): the directory and its
records, registration and edits, contacts, CSV import; contact through the bot and its answers."""

from __future__ import annotations

import math
from typing import Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot, bot_of
from bot.dates import format_day
from bot.errors import UserError
from bot.geo import Commune
from bot.limits import (
    CHOICE_NAME,
    CONTENT,
    EMBED_DESCRIPTION,
    EMBED_FIELD_NAME,
    EMBED_FIELD_VALUE,
    EMBED_TITLE,
    SELECT_DESCRIPTION,
    SELECT_LABEL,
    clip,
)
from bot.projects.messages import import_summary
from bot.resources.facilitators.messages import EMOJI, named, reason, record_lines, structure_name
from bot.resources.facilitators.models import (
    MESSAGE_MAX,
    MESSAGE_MIN,
    STRUCTURES,
    Facilitator,
    FacilitatorStatus,
    Requested,
)
from bot.resources.facilitators.ranking import Need, Ranked
from bot.vocabulary import Etape, Expertise, Suivi, label
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.facilitator_forms import ensure_moderator, open_edit_form, registration_form
from cogs.ui.paginator import Paginator
from cogs.ui.project_forms import CommuneOrChoices, moderates, with_commune
from cogs.ui.text import reply, t, tn
from cogs.ui.transformers import PlaceOption, server_zone
from cogs.ui.views import HabitatView, TextModal, uploaded_csv

COLOUR = discord.Colour.from_rgb(121, 85, 72)
PER_PAGE = 5
EXPERTISES = [app_commands.Choice(name=label(e), value=e.value) for e in Expertise]
ETAPES = [app_commands.Choice(name=label(e), value=e.value) for e in Etape]
STRUCTURE_CHOICES = [app_commands.Choice(name=text.message, value=s.value) for s, text in STRUCTURES.items()]
SUIVIS = [
    *(app_commands.Choice(name=label(s), value=s.value) for s in Suivi),
    app_commands.Choice(name="Les deux", value="les_deux"),
]


def suivis(value: str | None) -> list[str] | None:
    if value is None:
        return None
    return [s.value for s in Suivi] if value == "les_deux" else [value]


def choices(found: list[tuple[int, str, str]]) -> list[app_commands.Choice[str]]:
    return [
        app_commands.Choice(name=clip(f"{nom} — {commune}", CHOICE_NAME), value=str(i)) for i, nom, commune in found
    ]


# ---------------------------------------------------------------------- the directory


class DirectoryView(Paginator):
    """Pages of five facilitators with the reason each is offered, and a menu to open one's record."""

    def __init__(self, interaction: discord.Interaction[Any], found: list[Ranked], need: Need) -> None:
        self.found = found
        self.need = need
        self.asker = interaction
        super().__init__(interaction.user.id, max(1, math.ceil(len(found) / PER_PAGE)), self._render)
        self.opener: discord.ui.Select[DirectoryView] = discord.ui.Select(
            placeholder=t(interaction, "Ouvrir la fiche d'une structure"), row=0
        )
        self.opener.callback = self._open  # type: ignore[method-assign]
        self.add_item(self.opener)

    async def _render(self, index: int) -> discord.Embed:
        page = self.found[index * PER_PAGE : (index + 1) * PER_PAGE]
        locale = self.asker.locale.value
        self.opener.options = [
            discord.SelectOption(
                label=clip(r.facilitator.nom, SELECT_LABEL),
                value=str(r.facilitator.id),
                description=clip(f"{r.facilitator.commune} ({r.facilitator.departement})", SELECT_DESCRIPTION),
            )
            for r in page
        ]
        embed = discord.Embed(title=t(self.asker, "Structures d'accompagnement"), colour=COLOUR)
        embed.description = tn(self.asker, "{n} structure trouvée", "{n} structures trouvées", len(self.found))
        for number, ranked in enumerate(page, start=index * PER_PAGE + 1):
            f = ranked.facilitator
            why = reason(ranked, self.need, locale)
            lines = [f"{f.commune} ({f.departement})" + (f" · {why}" if why else "")]
            lines.append(f"{structure_name(f, locale)} · {named(f.expertises, locale)}")
            embed.add_field(
                name=clip(f"{number}. {EMOJI} {f.nom}", EMBED_FIELD_NAME),
                value=clip("\n".join(lines), EMBED_FIELD_VALUE),
                inline=False,
            )
        return embed

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        # Anyone may open a record from the menu; only the asker turns the pages.
        if interaction.data and interaction.data.get("component_type") == 3:
            return True
        return await super().interaction_check(interaction)

    async def _open(self, interaction: discord.Interaction[Any]) -> None:
        await show_record(interaction, self.opener.values[0])


async def show_record(interaction: discord.Interaction[Any], which: str) -> None:
    """The record, for the member alone, with « Demander un contact » and, for who may, « Modifier »."""
    service = bot_of(interaction).core.facilitators
    moderator = await moderates(interaction)
    found = await service.record(which, viewer_id=interaction.user.id, moderator=moderator)
    lines = record_lines(found, service.zone_text(found.zone), interaction.locale.value)
    if found.description:
        lines = [found.description, "", *lines]
    embed = discord.Embed(
        title=clip(f"{EMOJI} {found.nom}", EMBED_TITLE),
        colour=COLOUR,
        description=clip("\n".join(lines), EMBED_DESCRIPTION),
    )
    locale = interaction.locale.value
    confirmed = t(
        interaction,
        "Fiche confirmée le {date}",
        date=format_day(found.confirmed_at, await server_zone(interaction), locale),
    )
    if found.statut is FacilitatorStatus.refuse:
        confirmed = t(interaction, "Refusé par la modération") + " · " + confirmed
    elif not found.published:
        confirmed = t(interaction, "En attente de validation") + " · " + confirmed
    embed.set_footer(text=confirmed)
    view = RecordView(interaction, found, editable=found.editable_by(interaction.user.id, moderator))
    await interaction.response.send_message(embed=embed, view=view, ephemeral=True)


class RecordView(HabitatView):
    def __init__(self, interaction: discord.Interaction[Any], found: Facilitator, *, editable: bool) -> None:
        super().__init__(timeout=900)
        self.facilitator_id = found.id
        self.contact.label = t(interaction, "Demander un contact")
        if not found.published:
            self.remove_item(self.contact)
        if editable:
            self.edit.label = t(interaction, "Modifier")
        else:
            self.remove_item(self.edit)
        if found.source_url:
            label_text = t(interaction, "Voir sur la base nationale")
            self.add_item(discord.ui.Button(label=label_text, url=found.source_url, emoji="🌐"))

    @discord.ui.button(label="Demander un contact", style=discord.ButtonStyle.primary, emoji="✉️")
    async def contact(self, interaction: discord.Interaction[Any], _: discord.ui.Button[RecordView]) -> None:
        await interaction.response.send_modal(contact_modal(interaction, self.facilitator_id))

    @discord.ui.button(label="Modifier", style=discord.ButtonStyle.secondary, emoji="✏️")
    async def edit(self, interaction: discord.Interaction[Any], _: discord.ui.Button[RecordView]) -> None:
        await open_edit_form(interaction, str(self.facilitator_id), {})


# ---------------------------------------------------------------------- contact through the bot


def contact_modal(interaction: discord.Interaction[Any], facilitator_id: int) -> TextModal:
    async def send(submitted: discord.Interaction[Any], text: str) -> None:
        requested = await bot_of(submitted).core.facilitators.request_contact(
            facilitator_id,
            requester_id=submitted.user.id,
            guild_id=submitted.guild_id,
            locale=submitted.locale.value,
            message=text,
        )
        await reply(submitted, requested_answer(submitted, requested, text))

    return TextModal(
        interaction,
        title="Demander un contact",
        label="Votre projet, votre besoin",
        on_text=send,
        min_length=MESSAGE_MIN,
        max_length=MESSAGE_MAX,
    )


def requested_answer(interaction: discord.Interaction[Any], requested: Requested, text: str) -> str:
    if requested.request is not None:
        return t(
            interaction,
            "Demande transmise. La structure la reçoit sans votre nom ; s'il y a une suite, "
            "vous serez mis·e en relation en message privé.",
        )
    lines = [t(interaction, "Cette structure n'a pas encore de contact sur Discord.")]
    public = [c for c in (requested.contact, requested.site) if c]
    if public:
        lines.append(t(interaction, "Contact de la structure : {contact}", contact=" · ".join(public)))
    lines += ["", t(interaction, "Votre message, à garder :"), "> " + "\n> ".join(text.strip().splitlines())]
    return clip("\n".join(lines), CONTENT)


class AnswerButton(ActionButton, template=r"accdem:(?P<action>oui|non):(?P<id>\d+)"):
    """Accepter / Décliner under a request a structure's member received."""

    PREFIX = "accdem"
    LABELS: ClassVar[dict[str, str]] = {"oui": "Accepter", "non": "Décliner"}
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {"oui": discord.ButtonStyle.success}

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        accepted = self.action == "oui"
        request, found = await bot_of(interaction).core.facilitators.answer(
            self.target_id, by=interaction.user.id, accepted=accepted
        )
        if accepted:
            done = t(
                interaction,
                "✅ Vous avez accepté au nom de « {nom} » : écrivez à {membre}, qui a reçu votre nom.",
                nom=found.nom,
                membre=f"<@{request.requester_id}>",
            )
        else:
            done = t(interaction, "Demande déclinée : la personne en est prévenue, sans rien savoir de vous.")
        await interaction.response.edit_message(content=done, view=None)


# ---------------------------------------------------------------------- the commands


class FacilitatorCommands(commands.Cog):
    """Mixed into the /accompagnement cog (cogs/support.py): its commands join the group."""

    bot: HabitatBot

    @app_commands.command(name="annuaire", description="Trouver une structure d'accompagnement près d'une commune")
    @app_commands.describe(
        pres_de="Commune ou code postal",
        rayon_km="Distance autour de la commune (100 km par défaut)",
        expertise="Expertise recherchée",
        etape="Phase du projet à accompagner",
    )
    @app_commands.choices(expertise=EXPERTISES, etape=ETAPES)
    async def annuaire(
        self,
        interaction: discord.Interaction[Any],
        pres_de: PlaceOption,
        rayon_km: app_commands.Range[int, 1, 1000] = 100,
        expertise: str | None = None,
        etape: str | None = None,
    ) -> None:
        need = Need(frozenset({Expertise(expertise)}) if expertise else frozenset(), Etape(etape) if etape else None)
        found = await self.bot.core.facilitators.directory(pres_de, need, float(rayon_km))
        if not found:
            await reply(interaction, t(interaction, "Aucune structure ne correspond. Essayez un rayon plus large."))
            return
        await DirectoryView(interaction, found, need).send(interaction)

    @app_commands.command(name="inscrire", description="Inscrire votre structure d'accompagnement dans l'annuaire")
    @app_commands.describe(
        commune="Commune où la structure est basée",
        structure="Type de structure",
        suivi="Accompagnement ponctuel, dans la durée, ou les deux",
        site="Site web (https://…)",
        contact="Contact public de la structure (courriel, téléphone)",
    )
    @app_commands.choices(structure=STRUCTURE_CHOICES, suivi=SUIVIS)
    async def inscrire(
        self,
        interaction: discord.Interaction[Any],
        commune: CommuneOrChoices,
        structure: str,
        suivi: str = "les_deux",
        site: app_commands.Range[str, 1, 300] | None = None,
        contact: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        options = {"structure": structure, "suivis": suivis(suivi), "site": site, "contact": contact}

        async def form(asked: discord.Interaction[Any], place: Commune) -> None:
            facts = self.bot.core.facilitators.facts(options | {"code_insee": place.insee})
            await asked.response.send_modal(registration_form(asked, facts))

        await with_commune(interaction, commune, form)

    @app_commands.command(name="modifier", description="Mettre à jour la fiche de votre structure")
    @app_commands.describe(
        nom="La structure",
        commune="Nouvelle commune de base",
        structure="Type de structure",
        suivi="Accompagnement ponctuel, dans la durée, ou les deux",
        site="Site web (https://…)",
        contact="Contact public de la structure",
    )
    @app_commands.choices(structure=STRUCTURE_CHOICES, suivi=SUIVIS)
    async def modifier(
        self,
        interaction: discord.Interaction[Any],
        nom: app_commands.Range[str, 1, 100],
        commune: CommuneOrChoices | None = None,
        structure: str | None = None,
        suivi: str | None = None,
        site: app_commands.Range[str, 1, 300] | None = None,
        contact: app_commands.Range[str, 1, 200] | None = None,
    ) -> None:
        given = {"structure": structure, "suivis": suivis(suivi), "site": site, "contact": contact}
        changes = {key: value for key, value in given.items() if value is not None}
        if commune is None:
            await open_edit_form(interaction, nom, changes)
            return

        async def form(asked: discord.Interaction[Any], place: Commune) -> None:
            await open_edit_form(asked, nom, changes | {"code_insee": place.insee})

        await with_commune(interaction, commune, form)

    @app_commands.command(name="ajouter-contact", description="Ajouter un membre comme contact de votre structure")
    @app_commands.describe(nom="La structure", membre="Le membre à ajouter")
    async def ajouter_contact(
        self, interaction: discord.Interaction[Any], nom: app_commands.Range[str, 1, 100], membre: discord.Member
    ) -> None:
        service = self.bot.core.facilitators
        if membre.bot:
            raise UserError("Un bot ne peut pas être contact d'une structure.")
        found = await service.find(nom)
        updated = await service.add_member(
            found.id, membre.id, by=interaction.user.id, moderator=await moderates(interaction), locale="fr"
        )
        text = t(interaction, "{membre} est désormais contact de « {nom} ».", membre=membre.mention, nom=updated.nom)
        await reply(interaction, text)

    @modifier.autocomplete("nom")
    @ajouter_contact.autocomplete("nom")
    async def _own_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        owner = None if await moderates(interaction) else interaction.user.id
        return choices(await self.bot.core.facilitators.names(current, user_id=owner))

    @app_commands.command(name="importer", description="Importer des structures depuis un fichier CSV (modérateurs)")
    @app_commands.describe(fichier="Fichier CSV en UTF-8, avec l'en-tête documenté")
    async def importer(self, interaction: discord.Interaction[Any], fichier: discord.Attachment) -> None:
        await ensure_moderator(interaction)
        report = await self.bot.core.facilitators.import_csv(await uploaded_csv(interaction, fichier))
        summary = import_summary(report, interaction.locale.value)
        await reply(interaction, t(interaction, "Import terminé : {bilan}.", bilan=summary))
