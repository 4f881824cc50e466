"""`/ressource`: search the resource centre, read a resource (with its file), propose one; the
moderators' buttons, and the mirror of published resources in the server's resources forum. Each
callback checks who may act, turns options into values and calls one method of `ResourceService`."""

from __future__ import annotations

import logging
from typing import Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.client import HabitatBot, bot_of
from bot.errors import UserError
from bot.limits import CHOICE_NAME, EMBED_FOOTER, THREAD_NAME, clip
from bot.resources.centre_cards import forum_tags
from bot.resources.models import REASON_MAX, Post, Resource, ResourceDraft, ResourceFilters
from bot.vocabulary import Destinataire, Etape, Licence, Pas, Theme, TypeRessource, Volet, label
from cogs.ads import forum_tags as forum_tag_objects
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.project_forms import moderates
from cogs.ui.resources import (
    ResourceModal,
    ResultsView,
    answer_proposal,
    as_file,
    post_content,
    read_attachment,
    show_resource,
)
from cogs.ui.text import reply, t
from cogs.ui.views import TextModal

log = logging.getLogger(__name__)


def choices(kind: Any) -> list[app_commands.Choice[str]]:
    return [app_commands.Choice(name=label(value), value=value.value) for value in kind]


THEMES, TYPES, LICENCES = choices(Theme), choices(TypeRessource), choices(Licence)
PHASES, VOLETS, PAS, PUBLICS = choices(Etape), choices(Volet), choices(Pas), choices(Destinataire)


# ---------------------------------------------------------------------- moderation


async def ensure_moderator(interaction: discord.Interaction[Any]) -> None:
    if not await moderates(interaction):
        raise UserError("Seuls les modérateurs peuvent valider les ressources.")


async def mirror(interaction: discord.Interaction[Any], resource: Resource) -> None:
    """The published resource as a post of the server's resources forum (when it has one), tagged
    with its theme and phase, its file attached. A failure leaves the resource published and says so
    in the log: the centre keeps the file either way."""
    bot = bot_of(interaction)
    guild = interaction.guild
    if guild is None:
        return
    forum = guild.get_channel((await bot.guild_settings.get(guild.id)).resources_forum_id or 0)
    if not isinstance(forum, discord.ForumChannel):
        return
    try:
        wanted = forum_tags(resource)
        try:
            tags = await forum_tag_objects(forum, wanted)
        except discord.HTTPException as error:
            log.warning("étiquettes du forum %s non créées : %s", forum.id, error)
            tags = [tag for tag in forum.available_tags if tag.name in wanted]
        stored = await bot.core.resources.file(resource.id)
        created = await forum.create_thread(
            name=clip(resource.titre, THREAD_NAME),
            content=post_content(resource),
            files=[as_file(stored)] if stored else [],
            applied_tags=tags,
            allowed_mentions=discord.AllowedMentions.none(),
        )
    except discord.HTTPException as error:
        log.warning("ressource %s : fil non créé dans le forum %s : %s", resource.id, forum.id, error)
        return
    await bot.core.resources.posted(resource.id, Post(guild.id, forum.id, created.thread.id))


def settled(interaction: discord.Interaction[Any], footer: str, colour: discord.Colour) -> discord.Embed | None:
    """The card as it was, saying who settled it and how."""
    message = interaction.message
    if message is None or not message.embeds:
        return None
    embed = message.embeds[0]
    embed.colour = colour
    return embed.set_footer(text=clip(footer, EMBED_FOOTER))


class ModerationButton(ActionButton, template=r"ressource:(?P<action>publier|refuser|voir):(?P<id>\d+)"):
    """Publier / Refuser / Voir la fiche under a resource waiting in the moderation queue."""

    PREFIX = "ressource"
    LABELS: ClassVar[dict[str, str]] = {"publier": "Publier", "refuser": "Refuser", "voir": "Voir la fiche"}
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {
        "publier": discord.ButtonStyle.success,
        "refuser": discord.ButtonStyle.danger,
    }

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        await ensure_moderator(interaction)
        if self.action == "voir":
            await show_resource(interaction, str(self.target_id))
            return
        if self.action == "refuser":
            await interaction.response.send_modal(refuse_modal(interaction, self.target_id))
            return
        resource = await bot_of(interaction).core.resources.publish(self.target_id)
        footer = t(interaction, "Publiée par {nom}", nom=interaction.user.display_name)
        embed = settled(interaction, footer, discord.Colour.green())
        await interaction.response.edit_message(embed=embed, view=None)
        await mirror(interaction, resource)


def refuse_modal(interaction: discord.Interaction[Any], resource_id: int) -> TextModal:
    async def refuse(submitted: discord.Interaction[Any], reason: str) -> None:
        await ensure_moderator(submitted)
        await bot_of(submitted).core.resources.refuse(resource_id, reason)
        footer = t(submitted, "Refusée par {nom} : {raison}", nom=submitted.user.display_name, raison=reason)
        await submitted.response.edit_message(embed=settled(submitted, footer, discord.Colour.red()), view=None)

    return TextModal(
        interaction, title="Refuser", label="Raison (envoyée à la personne)", on_text=refuse, max_length=REASON_MAX
    )


# ---------------------------------------------------------------------- the cog


@app_commands.guild_only()
class Resources(commands.GroupCog, group_name="ressource", group_description="Le centre de ressources du réseau"):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        self.service = bot.core.resources
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(ModerationButton)

    @app_commands.command(name="chercher", description="Chercher des guides, modèles, études, retours d'expérience…")
    @app_commands.describe(
        texte="Mots à chercher dans le titre, le résumé et l'auteur",
        theme="Thème",
        phase="Phase du projet",
        volet="Volet du référentiel",
        type="Type de document",
        public="À qui il s'adresse",
    )
    @app_commands.choices(theme=THEMES, phase=PHASES, volet=VOLETS, type=TYPES, public=PUBLICS)
    async def chercher(
        self,
        interaction: discord.Interaction[Any],
        texte: app_commands.Range[str, 1, 200] | None = None,
        theme: str | None = None,
        phase: str | None = None,
        volet: str | None = None,
        type: str | None = None,
        public: str | None = None,
    ) -> None:
        filters = ResourceFilters(
            texte=texte,
            theme=Theme(theme) if theme else None,
            etape=Etape(phase) if phase else None,
            volet=Volet(volet) if volet else None,
            type=TypeRessource(type) if type else None,
            destinataire=Destinataire(public) if public else None,
        )
        ids = await self.service.search(filters)
        if not ids:
            await reply(
                interaction, t(interaction, "Aucune ressource ne correspond. Essayez moins de mots ou de filtres.")
            )
            return
        await ResultsView(interaction, self.bot, ids).send(interaction, ephemeral=True)

    @app_commands.command(name="fiche", description="Une ressource, avec son fichier")
    @app_commands.describe(ressource="Titre de la ressource")
    async def fiche(self, interaction: discord.Interaction[Any], ressource: app_commands.Range[str, 1, 150]) -> None:
        await show_resource(interaction, ressource)

    @fiche.autocomplete("ressource")
    async def _titles(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        found = await self.service.titles(
            current, viewer_id=interaction.user.id, moderator=await moderates(interaction)
        )
        return [app_commands.Choice(name=clip(titre, CHOICE_NAME), value=str(rid)) for rid, titre in found]

    @app_commands.command(name="proposer", description="Proposer une ressource au centre de ressources")
    @app_commands.describe(
        theme="Thème",
        type="Type de document",
        licence="Ce que chacun peut en faire (tous droits réservés par défaut)",
        lien="Adresse du document (https://…), si vous ne joignez pas de fichier",
        fichier="Le document (8 Mo au plus)",
        phase="Phase du projet qu'il concerne",
        volet="Volet du référentiel",
        pas="Étape du volet",
        exemple="Le texte d'un groupe (statuts, charte…) : un exemple, pas un modèle",
    )
    @app_commands.choices(theme=THEMES, type=TYPES, licence=LICENCES, phase=PHASES, volet=VOLETS, pas=PAS)
    async def proposer(
        self,
        interaction: discord.Interaction[Any],
        theme: str,
        type: str,
        licence: str = Licence.tous_droits_reserves.value,
        lien: app_commands.Range[str, 1, 500] | None = None,
        fichier: discord.Attachment | None = None,
        phase: str | None = None,
        volet: str | None = None,
        pas: str | None = None,
        exemple: bool = False,
    ) -> None:
        options = {
            "theme": theme, "type": type, "licence": licence, "lien": lien, "etape": phase, "volet": volet,
            "pas": pas, "exemple": exemple,
        }  # fmt: skip
        facts = self.service.facts(options, file_size=fichier.size if fichier else None)

        async def save(submitted: discord.Interaction[Any], draft: ResourceDraft) -> None:
            stored = None
            if fichier is not None:
                await submitted.response.defer(ephemeral=True, thinking=True)
                stored = await read_attachment(fichier)
            outcome = await self.service.propose(
                draft, file=stored, proposer_id=submitted.user.id, guild_id=submitted.guild_id,
                locale=submitted.locale.value,
            )  # fmt: skip
            await answer_proposal(submitted, outcome.resource.titre, outcome.queued)

        await interaction.response.send_modal(ResourceModal(interaction, facts, save))


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Resources(bot))
