"""`/projet`: search the national database, read a record, propose and update one, moderate, import
and export; and the buttons of the référents' "is this still true?" DMs. Each callback checks who may
act, turns options into values and calls one method of `ProjectService`."""

from __future__ import annotations

import io
from typing import Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot, bot_of
from bot.errors import UserError
from bot.geo import Commune
from bot.projects.messages import import_summary
from bot.projects.models import REASON_MAX, ProjectFacts, SearchFilters
from bot.vocabulary import Etape, FormeJuridique, Initiative, Public, label
from cogs.ui.bazar import ConflictButton
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.maps import search_area
from cogs.ui.members import is_organiser
from cogs.ui.project_forms import CommuneOrChoices, moderates, open_edit_form, proposal_form, with_commune
from cogs.ui.projects import ProjectOption, ResultsView, project_choices, settled_card, show_record
from cogs.ui.text import reply, t, tn
from cogs.ui.transformers import DepartementOption, PlaceOption, RegionOption, server_zone
from cogs.ui.views import TextModal, uploaded_csv

ETAPES = [app_commands.Choice(name=label(e), value=e.value) for e in Etape]
INITIATIVES = [app_commands.Choice(name=label(i), value=i.value) for i in Initiative]
FORMES = [app_commands.Choice(name=label(f), value=f.value) for f in FormeJuridique]
PUBLICS = [app_commands.Choice(name=label(p), value=p.value) for p in Public]


# ---------------------------------------------------------------------- moderation


async def ensure_moderator(interaction: discord.Interaction[Any]) -> None:
    if not await moderates(interaction):
        raise UserError("Seuls les modérateurs peuvent valider les projets.")


class ModerationButton(ActionButton, template=r"projet:(?P<action>publier|refuser):(?P<id>\d+)"):
    """Publier / Refuser under a project (or a change) waiting in the moderation queue."""

    PREFIX = "projet"
    LABELS: ClassVar[dict[str, str]] = {"publier": "Publier", "refuser": "Refuser"}
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {
        "publier": discord.ButtonStyle.success,
        "refuser": discord.ButtonStyle.danger,
    }

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await ensure_moderator(interaction)
        if self.action == "refuser":
            await interaction.response.send_modal(refuse_modal(interaction, self.target_id))
            return
        before = await bot_of(interaction).project_service.publish(self.target_id)
        footer = t(interaction, "Publié par {nom}", nom=interaction.user.display_name)
        embed = settled_card(before, await server_zone(interaction), footer, discord.Colour.green())
        await interaction.response.edit_message(embed=embed, view=None)


def refuse_modal(interaction: discord.Interaction[Any], project_id: int) -> TextModal:
    """A moderator refuses a new project (or only its pending change), with a reason for the proposer."""

    async def refuse(submitted: discord.Interaction[Any], reason: str) -> None:
        await ensure_moderator(submitted)
        before = await bot_of(submitted).project_service.refuse(project_id, reason)
        footer = t(submitted, "Refusé par {nom} : {raison}", nom=submitted.user.display_name, raison=reason)
        embed = settled_card(before, await server_zone(submitted), footer, discord.Colour.red())
        await submitted.response.edit_message(embed=embed, view=None)

    return TextModal(
        interaction, title="Refuser", label="Raison (envoyée à la personne)", on_text=refuse, max_length=REASON_MAX
    )


# ---------------------------------------------------------------------- keeping records alive


class NudgeButton(ActionButton, template=r"projet:(?P<action>ok|recrute-non|maj):(?P<id>\d+)"):
    """The buttons of the question a référent receives about a stale record."""

    PREFIX = "projet"
    LABELS: ClassVar[dict[str, str]] = {
        "ok": "Toujours d'actualité",
        "recrute-non": "Nous ne recrutons plus",
        "maj": "Mettre à jour",
    }
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {
        "ok": discord.ButtonStyle.success,
        "maj": discord.ButtonStyle.primary,
    }

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        if self.action == "maj":
            await open_edit_form(interaction, str(self.target_id), {})
            return
        stopped = self.action == "recrute-non"
        project = await bot_of(interaction).project_service.confirm(
            self.target_id, interaction.user.id, still_recruiting=not stopped, locale=interaction.locale.value
        )
        if stopped:
            done = t(interaction, "Merci ! « {nom} » n'est plus présenté comme cherchant des foyers.", nom=project.nom)
        else:
            done = t(interaction, "Merci ! La fiche « {nom} » est confirmée.", nom=project.nom)
        await interaction.response.edit_message(content=done, view=None, embed=None)


# ---------------------------------------------------------------------- the cog


@app_commands.guild_only()
class Projects(
    commands.GroupCog, group_name="projet", group_description="La base nationale des projets d'habitat participatif"
):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        self.service = bot.project_service
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ModerationButton, NudgeButton, ConflictButton)

    # ------------------------------------------------------------------ search

    @app_commands.command(name="chercher", description="Chercher des projets par mots, lieu, étape, public…")
    @app_commands.describe(
        texte="Mots à chercher dans le nom, la commune et la description",
        departement="Numéro ou nom du département",
        region="Région, actuelle ou ancienne (Auvergne, Midi-Pyrénées…)",
        pres_de="Commune ou code postal",
        rayon_km="Distance autour de la commune (30 km par défaut)",
        etape="Étape du projet",
        initiative="Qui porte le projet",
        forme_juridique="Forme juridique",
        public="Public accueilli",
        recrute="Seulement les projets qui cherchent de nouveaux foyers",
    )
    @app_commands.choices(etape=ETAPES, initiative=INITIATIVES, forme_juridique=FORMES, public=PUBLICS)
    async def chercher(
        self,
        interaction: discord.Interaction[Any],
        texte: app_commands.Range[str, 1, 200] | None = None,
        departement: DepartementOption | None = None,
        region: RegionOption | None = None,
        pres_de: PlaceOption | None = None,
        rayon_km: app_commands.Range[int, 1, 300] = 30,
        etape: str | None = None,
        initiative: str | None = None,
        forme_juridique: str | None = None,
        public: str | None = None,
        recrute: bool | None = None,
    ) -> None:
        filters = SearchFilters(
            texte=texte,
            departement=departement.code if departement else None,
            departements=region.departements if region else None,
            pres_de=pres_de,
            rayon_km=float(rayon_km),
            etape=Etape(etape) if etape else None,
            initiative=Initiative(initiative) if initiative else None,
            forme_juridique=FormeJuridique(forme_juridique) if forme_juridique else None,
            public=Public(public) if public else None,
            recrute=recrute,
        )
        hits = await self.service.search(filters)
        if not hits:
            await reply(
                interaction, t(interaction, "Aucun projet ne correspond. Essayez moins de mots ou un rayon plus large.")
            )
            return
        await ResultsView(interaction, self.bot, hits, search_area(filters)).send(interaction)

    # ------------------------------------------------------------------ one record

    @app_commands.command(name="fiche", description="La fiche complète d'un projet")
    @app_commands.describe(projet="Nom du projet")
    async def fiche(self, interaction: discord.Interaction[Any], projet: ProjectOption) -> None:
        await show_record(interaction, str(projet.id))

    @fiche.autocomplete("projet")
    async def _project_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return project_choices(await self.service.names(current))

    # ------------------------------------------------------------------ proposing and editing

    @app_commands.command(name="proposer", description="Proposer un projet pour la base nationale")
    @app_commands.describe(
        commune="Commune du projet",
        etape="Étape du projet",
        initiative="Qui porte le projet",
        forme_juridique="Forme juridique",
        logements="Nombre de logements prévus ou existants",
        recrute="Le projet cherche-t-il de nouveaux foyers ?",
        site="Site web (https://…)",
    )
    @app_commands.choices(etape=ETAPES, initiative=INITIATIVES, forme_juridique=FORMES)
    async def proposer(
        self,
        interaction: discord.Interaction[Any],
        commune: CommuneOrChoices,
        etape: str,
        initiative: str = Initiative.citoyenne.value,
        forme_juridique: str = FormeJuridique.autre.value,
        logements: app_commands.Range[int, 1, 5000] | None = None,
        recrute: bool = False,
        site: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        options = {
            "etape": etape,
            "initiative": initiative,
            "forme_juridique": forme_juridique,
            "logements": logements,
            "recrute": recrute,
            "site": site,
        }

        async def form(asked: discord.Interaction[Any], place: Commune) -> None:
            facts: ProjectFacts = self.service.facts(options | {"code_insee": place.insee})
            await asked.response.send_modal(proposal_form(asked, facts))

        await with_commune(interaction, commune, form)

    @app_commands.command(name="modifier", description="Mettre à jour la fiche d'un projet dont vous êtes référent")
    @app_commands.describe(
        projet="Le projet à modifier",
        commune="Nouvelle commune",
        etape="Nouvelle étape",
        initiative="Qui porte le projet",
        forme_juridique="Forme juridique",
        logements="Nombre de logements",
        recrute="Le projet cherche-t-il de nouveaux foyers ?",
        site="Site web (https://…)",
    )
    @app_commands.choices(etape=ETAPES, initiative=INITIATIVES, forme_juridique=FORMES)
    async def modifier(
        self,
        interaction: discord.Interaction[Any],
        projet: ProjectOption,
        commune: CommuneOrChoices | None = None,
        etape: str | None = None,
        initiative: str | None = None,
        forme_juridique: str | None = None,
        logements: app_commands.Range[int, 1, 5000] | None = None,
        recrute: bool | None = None,
        site: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        changes: dict[str, Any] = {
            key: value
            for key, value in {
                "etape": etape,
                "initiative": initiative,
                "forme_juridique": forme_juridique,
                "logements": logements,
                "recrute": recrute,
                "site": site,
            }.items()
            if value is not None
        }
        which = str(projet.id)  # the edit form takes a record as the buttons name it, and reads it afresh
        if commune is None:
            await open_edit_form(interaction, which, changes)
            return

        async def form(asked: discord.Interaction[Any], place: Commune) -> None:
            await open_edit_form(asked, which, changes | {"code_insee": place.insee})

        await with_commune(interaction, commune, form)

    @modifier.autocomplete("projet")
    async def _own_project_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        owner = None if await moderates(interaction) else interaction.user.id
        return project_choices(await self.service.names(current, user_id=owner))

    # ------------------------------------------------------------------ import and export

    async def _ensure_organiser(self, interaction: discord.Interaction[Any]) -> None:
        settings = await self.bot.guild_settings.get(interaction.guild_id or 0)
        if not is_organiser(interaction.user, settings):
            raise UserError("Réservé aux organisateurs et aux modérateurs du serveur.")

    @app_commands.command(name="importer", description="Importer des projets depuis un fichier CSV (organisateurs)")
    @app_commands.describe(fichier="Fichier CSV en UTF-8, avec l'en-tête de l'export")
    async def importer(self, interaction: discord.Interaction[Any], fichier: discord.Attachment) -> None:
        await self._ensure_organiser(interaction)
        report = await self.service.import_csv(await uploaded_csv(interaction, fichier))
        await reply(
            interaction,
            t(interaction, "Import terminé : {bilan}.", bilan=import_summary(report, interaction.locale.value)),
        )

    @app_commands.command(name="exporter", description="Exporter en CSV les projets d'une recherche (organisateurs)")
    @app_commands.describe(
        texte="Mots à chercher",
        departement="Numéro ou nom du département",
        region="Région, actuelle ou ancienne",
        etape="Étape du projet",
        recrute="Seulement les projets qui cherchent de nouveaux foyers",
    )
    @app_commands.choices(etape=ETAPES)
    async def exporter(
        self,
        interaction: discord.Interaction[Any],
        texte: app_commands.Range[str, 1, 200] | None = None,
        departement: DepartementOption | None = None,
        region: RegionOption | None = None,
        etape: str | None = None,
        recrute: bool | None = None,
    ) -> None:
        await self._ensure_organiser(interaction)
        filters = None
        if any(v is not None for v in (texte, departement, region, etape, recrute)):
            filters = SearchFilters(
                texte=texte,
                departement=departement.code if departement else None,
                departements=region.departements if region else None,
                etape=Etape(etape) if etape else None,
                recrute=recrute,
            )
        await interaction.response.defer(ephemeral=True, thinking=True)
        text, count = await self.service.export_csv(filters)
        file = discord.File(io.BytesIO(text.encode("utf-8")), filename="projets.csv")
        await interaction.followup.send(
            tn(interaction, "{n} projet exporté.", "{n} projets exportés.", count), file=file, ephemeral=True
        )


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Projects(bot))
