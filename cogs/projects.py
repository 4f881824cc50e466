"""`/projet`: search the national database, read a record, propose and update one, moderate, import
and export; and the yearly "is this still true?" DM that keeps records alive."""

from __future__ import annotations

import csv
import io
import logging
import math
from typing import Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot, bot_of
from bot.errors import UserError
from bot.projects.csvfile import ImportError_, parse_csv
from bot.projects.models import Project, ProjectDraft, SearchFilters
from bot.vocabulary import Etape, FormeJuridique, Initiative, Public, label
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.members import is_moderator, is_organiser, send_dm
from cogs.ui.paginator import Paginator
from cogs.ui.places import commune_choices, departement_choices, region_choices
from cogs.ui.projects import PER_PAGE, ProjectModal, fiche_embed, moderation_embed, results_embed
from cogs.ui.text import reply, t
from cogs.ui.views import HabitatView, TextModal

log = logging.getLogger(__name__)

MAX_IMPORT_BYTES = 5 * 1024 * 1024

ETAPES = [app_commands.Choice(name=label(e), value=e.value) for e in Etape]
INITIATIVES = [app_commands.Choice(name=label(i), value=i.value) for i in Initiative]
FORMES = [app_commands.Choice(name=label(f), value=f.value) for f in FormeJuridique]
PUBLICS = [app_commands.Choice(name=label(p), value=p.value) for p in Public]


# ---------------------------------------------------------------------- results


class ResultsView(Paginator):
    """Pages of five results, and a menu to open one of the page's records."""

    def __init__(
        self, interaction: discord.Interaction[Any], bot: HabitatBot, filters: SearchFilters, hits: list[Any]
    ) -> None:
        self.bot = bot
        self.hits = hits
        self.asker = interaction
        pages = max(1, math.ceil(len(hits) / PER_PAGE))
        super().__init__(interaction.user.id, pages, self._render)
        self.opener: discord.ui.Select[ResultsView] = discord.ui.Select(
            placeholder=t(interaction, "Ouvrir la fiche d'un projet"), row=0
        )
        self.opener.callback = self._open  # type: ignore[method-assign]
        self.add_item(self.opener)
        self.projects: dict[int, Project] = {}

    async def _render(self, index: int) -> discord.Embed:
        page_hits = self.hits[index * PER_PAGE : (index + 1) * PER_PAGE]
        projects = await self.bot.projects.get_many([hit.project_id for hit in page_hits])
        self.projects = {p.id: p for p in projects}
        self.opener.options = [
            discord.SelectOption(label=p.nom[:100], value=str(p.id), description=f"{p.commune} ({p.departement})"[:100])
            for p in projects
        ]
        zone = await self._zone()
        return results_embed(
            self.asker, projects, page_hits, page=index, total=len(self.hits), now=self.bot.clock(), zone=zone
        )

    async def _zone(self) -> Any:
        if self.asker.guild_id is None:
            return (await self.bot.guild_settings.get(0)).zone
        return (await self.bot.guild_settings.get(self.asker.guild_id)).zone

    async def interaction_check(self, interaction: discord.Interaction[Any], /) -> bool:
        # Anyone may open a record from the menu; only the asker turns the pages.
        if interaction.data and interaction.data.get("component_type") == 3:
            return True
        return await super().interaction_check(interaction)

    async def _open(self, interaction: discord.Interaction[Any]) -> None:
        project = await self.bot.projects.get(int(self.opener.values[0]))
        if project is None or not project.published:
            raise UserError("Ce projet n'existe plus.")
        await show_fiche(interaction, project)


# ---------------------------------------------------------------------- the record


async def can_edit(interaction: discord.Interaction[Any], project: Project) -> bool:
    bot = bot_of(interaction)
    if interaction.user.id in project.referents:
        return True
    if interaction.guild_id is None:
        return False
    return is_moderator(interaction.user, await bot.guild_settings.get(interaction.guild_id))


async def show_fiche(interaction: discord.Interaction[Any], project: Project) -> None:
    bot = bot_of(interaction)
    zone = (await bot.guild_settings.get(interaction.guild_id or 0)).zone
    view = FicheView(interaction, project, editable=await can_edit(interaction, project))
    await interaction.response.send_message(
        embed=fiche_embed(interaction, project, bot.clock(), zone), view=view, ephemeral=True
    )


class FicheView(HabitatView):
    def __init__(self, interaction: discord.Interaction[Any], project: Project, *, editable: bool) -> None:
        super().__init__(timeout=900)
        self.project_id = project.id
        self.contact.label = t(interaction, "Contacter les référents")
        if not project.referents:
            self.remove_item(self.contact)
        if editable:
            self.edit.label = t(interaction, "Modifier")
        else:
            self.remove_item(self.edit)

    @discord.ui.button(label="Contacter", style=discord.ButtonStyle.primary, emoji="✉️")
    async def contact(self, interaction: discord.Interaction[Any], _: discord.ui.Button[FicheView]) -> None:
        await interaction.response.send_modal(contact_modal(interaction, self.project_id))

    @discord.ui.button(label="Modifier", style=discord.ButtonStyle.secondary, emoji="✏️")
    async def edit(self, interaction: discord.Interaction[Any], _: discord.ui.Button[FicheView]) -> None:
        await open_edit_form(interaction, self.project_id, {})


def contact_modal(interaction: discord.Interaction[Any], project_id: int) -> TextModal:
    """A message to a project's référents, through the bot: their ids are never shown to the asker."""

    async def send(submitted: discord.Interaction[Any], text: str) -> None:
        bot = bot_of(submitted)
        project = await bot.projects.get(project_id)
        if project is None or not project.referents:
            raise UserError("Ce projet n'a pas de référent joignable sur Discord.")
        embed = discord.Embed(title=f"✉️ {project.nom}"[:256], description=text, colour=discord.Colour.blurple())
        embed.set_author(name=submitted.user.display_name)
        # The référent sees who writes, so that they can answer.
        content = f"Message de {submitted.user.mention} à propos de votre projet « {project.nom} » :"
        delivered = 0
        for referent in project.referents:
            delivered += await send_dm(bot, referent, content=content[:2000], embed=embed)
        if not delivered:
            raise UserError("Les référents de ce projet ne peuvent pas recevoir de message privé pour l'instant.")
        await reply(submitted, t(submitted, "Message transmis aux référents du projet."))

    return TextModal(
        interaction, title="Écrire aux référents", label="Votre message", on_text=send, min_length=10, max_length=1500
    )


# ---------------------------------------------------------------------- proposing and editing


async def open_edit_form(interaction: discord.Interaction[Any], project_id: int, changes: dict[str, Any]) -> None:
    bot = bot_of(interaction)
    project = await bot.projects.get(project_id)
    if project is None:
        raise UserError("Ce projet n'existe plus.")
    if not await can_edit(interaction, project):
        raise UserError("Seuls les référents du projet et les modérateurs peuvent le modifier.")
    base = project.model_dump(
        include={"code_insee", "etape", "initiative", "forme_juridique", "logements", "recrute", "site"}
    )
    base.update(changes)

    async def save(submitted: discord.Interaction[Any], draft: ProjectDraft) -> None:
        updated = await bot.projects.update(project_id, draft, editor_id=submitted.user.id, guild_id=submitted.guild_id)
        if updated.pending is not None and await post_for_moderation(submitted, updated):
            message = t(
                submitted,
                "Modifications enregistrées. Le changement de nom, de commune ou d'étape "
                "attend la validation d'un modérateur.",
            )
        elif updated.pending is not None:
            message = t(
                submitted,
                "Modifications enregistrées, mais le changement de nom, de commune ou d'étape attend un modérateur "
                "et ce serveur n'a pas de salon de modération : prévenez un administrateur (/config salons).",
            )
        else:
            message = t(submitted, "Modifications enregistrées.")
        await reply(submitted, message)

    await interaction.response.send_modal(ProjectModal(interaction, base, save, current=project))


async def post_for_moderation(interaction: discord.Interaction[Any], project: Project) -> bool:
    """Put a new project or change in the moderation queue of the server it came from (from a DM,
    the server where the project was proposed)."""
    bot = bot_of(interaction)
    guild_id = interaction.guild_id or project.guild_id
    if guild_id is None:
        return False
    settings = await bot.guild_settings.get(guild_id)
    channel = bot.get_channel(settings.modqueue_channel_id or 0)
    if not isinstance(channel, discord.TextChannel | discord.Thread):
        return False
    view = discord.ui.View(timeout=None)
    view.add_item(ModerationButton("publier", project.id))
    view.add_item(ModerationButton("refuser", project.id))
    await channel.send(embed=moderation_embed(project), view=view)
    return True


async def ensure_moderator(interaction: discord.Interaction[Any]) -> None:
    bot = bot_of(interaction)
    settings = await bot.guild_settings.get(interaction.guild_id or 0)
    if not is_moderator(interaction.user, settings):
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
        bot = bot_of(interaction)
        before = await bot.projects.get(self.target_id)
        if before is None or (before.published and before.pending is None):
            raise UserError("Ce projet a déjà été traité.")
        project = await bot.projects.publish(self.target_id)
        author = before.pending.proposed_by if before.pending else before.proposed_by
        if author:
            await send_dm(bot, author, content=f"✅ Votre projet « {project.nom} » est publié dans la base nationale.")
        embed = moderation_embed(before).set_footer(text=f"Publié par {interaction.user.display_name}")
        embed.colour = discord.Colour.green()
        await interaction.response.edit_message(embed=embed, view=None)


def refuse_modal(interaction: discord.Interaction[Any], project_id: int) -> TextModal:
    """A moderator refuses a new project (or only its pending change), with a reason for the proposer."""

    async def refuse(submitted: discord.Interaction[Any], reason: str) -> None:
        await ensure_moderator(submitted)
        bot = bot_of(submitted)
        before = await bot.projects.get(project_id)
        if before is None or (before.published and before.pending is None) or before.statut == "refuse":
            raise UserError("Ce projet a déjà été traité.")
        await bot.projects.refuse(project_id)
        author = before.pending.proposed_by if before.pending else before.proposed_by
        what = "La modification de votre projet" if before.pending else "Votre projet"
        if author:
            message = f"❌ {what} « {before.nom} » n'a pas été retenu(e). Raison : {reason}"
            await send_dm(bot, author, content=message[:2000])
        embed = moderation_embed(before).set_footer(text=f"Refusé par {submitted.user.display_name} : {reason}"[:2048])
        embed.colour = discord.Colour.red()
        await submitted.response.edit_message(embed=embed, view=None)

    return TextModal(
        interaction, title="Refuser", label="Raison (envoyée à la personne)", on_text=refuse, max_length=1000
    )


# ---------------------------------------------------------------------- keeping records alive


class NudgeButton(ActionButton, template=r"projet:(?P<action>ok|recrute-non|maj):(?P<id>\d+)"):
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
        bot = bot_of(interaction)
        project = await bot.projects.get(self.target_id)
        if project is None or interaction.user.id not in project.referents:
            raise UserError("Seuls les référents du projet peuvent répondre.")
        if self.action == "maj":
            await open_edit_form(interaction, self.target_id, {})
            return
        recrute = False if self.action == "recrute-non" else (True if project.recrute else None)
        await bot.projects.confirm(self.target_id, recrute=recrute)
        await interaction.response.edit_message(
            content=t(interaction, "Merci ! La fiche « {nom} » est confirmée.", nom=project.nom), view=None, embed=None
        )


# ---------------------------------------------------------------------- the cog


@app_commands.guild_only()
class Projects(
    commands.GroupCog, group_name="projet", group_description="La base nationale des projets d'habitat participatif"
):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ModerationButton, NudgeButton)

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
        departement: str | None = None,
        region: str | None = None,
        pres_de: str | None = None,
        rayon_km: app_commands.Range[int, 1, 300] = 30,
        etape: str | None = None,
        initiative: str | None = None,
        forme_juridique: str | None = None,
        public: str | None = None,
        recrute: bool | None = None,
    ) -> None:
        filters = self._filters(
            texte, departement, region, pres_de, rayon_km, etape, initiative, forme_juridique, public, recrute
        )
        hits = await self.bot.projects.search(filters)
        if not hits:
            await interaction.response.send_message(
                t(interaction, "Aucun projet ne correspond. Essayez moins de mots ou un rayon plus large."),
                ephemeral=True,
            )
            return
        await ResultsView(interaction, self.bot, filters, hits).send(interaction)

    def _filters(
        self,
        texte: str | None,
        departement: str | None,
        region: str | None,
        pres_de: str | None,
        rayon_km: int,
        etape: str | None,
        initiative: str | None,
        forme_juridique: str | None,
        public: str | None,
        recrute: bool | None,
    ) -> SearchFilters:
        geo = self.bot.geo
        return SearchFilters(
            texte=texte,
            departement=geo.departement(departement).code if departement else None,
            departements=geo.region(region).departements if region else None,
            pres_de=geo.resolve_commune(pres_de) if pres_de else None,
            rayon_km=float(rayon_km),
            etape=Etape(etape) if etape else None,
            initiative=Initiative(initiative) if initiative else None,
            forme_juridique=FormeJuridique(forme_juridique) if forme_juridique else None,
            public=Public(public) if public else None,
            recrute=recrute,
        )

    # ------------------------------------------------------------------ one record

    @app_commands.command(name="fiche", description="La fiche complète d'un projet")
    @app_commands.describe(projet="Nom du projet")
    async def fiche(self, interaction: discord.Interaction[Any], projet: str) -> None:
        project = await self._project_from_option(projet)
        if not project.published and not await can_edit(interaction, project):
            raise UserError("Ce projet attend encore la validation d'un modérateur.")
        await show_fiche(interaction, project)

    async def _project_from_option(self, value: str) -> Project:
        project = await self.bot.projects.get(int(value)) if value.isdigit() else None
        if project is None:
            matches = await self.bot.projects.names_like(value, limit=2)
            project = await self.bot.projects.get(matches[0][0]) if len(matches) == 1 else None
        if project is None:
            raise UserError(
                "Je ne trouve pas le projet « {projet} » : choisissez-le dans la liste proposée.", projet=value
            )
        return project

    @fiche.autocomplete("projet")
    async def _project_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        found = await self.bot.projects.names_like(current)
        return [app_commands.Choice(name=f"{nom} — {commune}"[:100], value=str(pid)) for pid, nom, commune in found]

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
        commune: str,
        etape: str,
        initiative: str = Initiative.citoyenne.value,
        forme_juridique: str = FormeJuridique.autre.value,
        logements: app_commands.Range[int, 1, 5000] | None = None,
        recrute: bool = False,
        site: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        place = self.bot.geo.resolve_commune(commune)
        base = {
            "code_insee": place.insee,
            "etape": etape,
            "initiative": initiative,
            "forme_juridique": forme_juridique,
            "logements": logements,
            "recrute": recrute,
            "site": site,
        }
        bot = self.bot

        async def save(submitted: discord.Interaction[Any], draft: ProjectDraft) -> None:
            project = await bot.projects.propose(draft, proposer_id=submitted.user.id, guild_id=submitted.guild_id)
            if await post_for_moderation(submitted, project):
                message = t(
                    submitted,
                    "Merci ! « {nom} » attend la validation d'un modérateur ; "
                    "vous en serez prévenu·e en message privé.",
                    nom=project.nom,
                )
            else:
                message = t(
                    submitted,
                    "« {nom} » est enregistré et attend une validation, mais ce serveur "
                    "n'a pas de salon de modération : prévenez un administrateur (/config salons).",
                    nom=project.nom,
                )
            await reply(submitted, message)

        await interaction.response.send_modal(ProjectModal(interaction, base, save))

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
        projet: str,
        commune: str | None = None,
        etape: str | None = None,
        initiative: str | None = None,
        forme_juridique: str | None = None,
        logements: app_commands.Range[int, 1, 5000] | None = None,
        recrute: bool | None = None,
        site: app_commands.Range[str, 1, 300] | None = None,
    ) -> None:
        project = await self._project_from_option(projet)
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
        if commune:
            changes["code_insee"] = self.bot.geo.resolve_commune(commune).insee
        await open_edit_form(interaction, project.id, changes)

    @modifier.autocomplete("projet")
    async def _own_project_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        settings = await self.bot.guild_settings.get(interaction.guild_id or 0)
        owner = None if is_moderator(interaction.user, settings) else interaction.user.id
        found = await self.bot.projects.names_like(current, user_id=owner)
        return [app_commands.Choice(name=f"{nom} — {commune}"[:100], value=str(pid)) for pid, nom, commune in found]

    # ------------------------------------------------------------------ import and export

    async def _ensure_organiser(self, interaction: discord.Interaction[Any]) -> None:
        settings = await self.bot.guild_settings.get(interaction.guild_id or 0)
        if not is_organiser(interaction.user, settings):
            raise UserError("Réservé aux organisateurs et aux modérateurs du serveur.")

    @app_commands.command(name="importer", description="Importer des projets depuis un fichier CSV (organisateurs)")
    @app_commands.describe(fichier="Fichier CSV en UTF-8, avec l'en-tête de l'export")
    async def importer(self, interaction: discord.Interaction[Any], fichier: discord.Attachment) -> None:
        await self._ensure_organiser(interaction)
        if fichier.size > MAX_IMPORT_BYTES:
            raise UserError("Fichier trop gros (5 Mo au plus).")
        await interaction.response.defer(ephemeral=True, thinking=True)
        try:
            text = (await fichier.read()).decode("utf-8")
        except UnicodeDecodeError:
            raise UserError("Le fichier n'est pas en UTF-8 : réenregistrez-le en « CSV UTF-8 ».") from None
        try:
            drafts = parse_csv(text, self.bot.geo)
        except ImportError_ as error:
            raise UserError(error.message, **error.params) from None
        report = await self.bot.projects.import_drafts(drafts)
        await interaction.followup.send(
            t(
                interaction,
                "Import terminé : {crees} créé(s), {maj} mis à jour, {inchanges} inchangé(s).",
                crees=report.created,
                maj=report.updated,
                inchanges=report.unchanged,
            ),
            ephemeral=True,
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
        departement: str | None = None,
        region: str | None = None,
        etape: str | None = None,
        recrute: bool | None = None,
    ) -> None:
        await self._ensure_organiser(interaction)
        filtered = any(v is not None for v in (texte, departement, region, etape, recrute))
        filters = (
            self._filters(texte, departement, region, None, 30, etape, None, None, None, recrute) if filtered else None
        )
        text = await self.bot.projects.export(filters)
        count = sum(1 for _ in csv.reader(io.StringIO(text))) - 1  # descriptions may hold line breaks
        file = discord.File(io.BytesIO(text.encode("utf-8")), filename="projets.csv")
        await interaction.response.send_message(
            t(interaction, "{n} projet(s) exporté(s).", n=count), file=file, ephemeral=True
        )

    # ------------------------------------------------------------------ places, for every command that asks

    @chercher.autocomplete("pres_de")
    @proposer.autocomplete("commune")
    @modifier.autocomplete("commune")
    async def _commune_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return commune_choices(self.bot.geo, current)

    @chercher.autocomplete("departement")
    @exporter.autocomplete("departement")
    async def _departement_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return departement_choices(self.bot.geo, current)

    @chercher.autocomplete("region")
    @exporter.autocomplete("region")
    async def _region_autocomplete(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return region_choices(self.bot.geo, current, interaction)


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Projects(bot))
