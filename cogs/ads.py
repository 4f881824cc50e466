"""`/annonce`: publish, find, renew, withdraw and report small ads, mirrored in the ads forum."""

from __future__ import annotations

import logging
import math
from collections.abc import Awaitable, Callable
from typing import Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands

from bot.ads.models import MESSAGE_MAX, REASON_MAX, Ad, AdFilters, AdForm
from bot.client import HabitatBot, bot_of
from bot.dates import format_day
from bot.errors import Text, UserError
from bot.geo import AmbiguousCommune
from bot.guild_settings import GuildSettings
from bot.i18n import explain
from bot.limits import CONTENT, THREAD_NAME, clip, quote
from bot.vocabulary import AdCategory, label
from cogs.ui.ads import (
    CATEGORY_TAGS,
    PER_PAGE,
    AdModal,
    FormBack,
    OwnAdOption,
    ensure_author_or_moderator,
    post_message,
    region_tag,
    search_embed,
)
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.members import is_moderator
from cogs.ui.paginator import Paginator
from cogs.ui.text import reply, t
from cogs.ui.transformers import DepartementOption, RegionOption
from cogs.ui.views import OnText, TextModal

log = logging.getLogger(__name__)

CATEGORIES = [app_commands.Choice(name=label(category), value=category.value) for category in AdCategory]
FORUM_TAG_LIMIT = 20


def post_view(ad_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AdButton("contact", ad_id))
    view.add_item(AdButton("pourvue", ad_id))
    view.add_item(AdButton("signaler", ad_id))
    return view


async def expiry_day(interaction: discord.Interaction[Any], ad: Ad) -> str:
    """The ad's expiry day in its server's time zone (a renewal may come from a DM), in the member's words."""
    zone = (await bot_of(interaction).guild_settings.get(ad.guild_id)).zone
    return format_day(ad.expires_at, zone, interaction.locale.value)


async def forum_tags(forum: discord.ForumChannel, wanted: list[str]) -> list[discord.ForumTag]:
    """The forum's tags with these names, created if missing while the forum has room (20 at most)."""
    existing = {tag.name: tag for tag in forum.available_tags}
    missing = [name for name in wanted if name not in existing]
    room = FORUM_TAG_LIMIT - len(existing)
    if missing and room > 0:
        tags = [*forum.available_tags, *(discord.ForumTag(name=name) for name in missing[:room])]
        edited = await forum.edit(available_tags=tags)
        existing = {tag.name: tag for tag in (edited or forum).available_tags}
    return [existing[name] for name in wanted if name in existing]


async def publish_post(bot: HabitatBot, forum: discord.ForumChannel, ad: Ad, settings: GuildSettings) -> discord.Thread:
    """The ad as a post of the server's ads forum, tagged with its category and région."""
    region = next((r.nom for r in bot.geo.regions.values() if r.code == ad.region), None)
    wanted = [CATEGORY_TAGS[ad.category], *([region_tag(region)] if region else [])]
    try:
        tags = await forum_tags(forum, wanted)
    except discord.HTTPException as error:
        log.warning("étiquettes du forum %s non créées : %s", forum.id, error)
        tags = [tag for tag in forum.available_tags if tag.name in wanted]
    created = await forum.create_thread(
        name=clip(ad.title, THREAD_NAME),
        **post_message(ad, settings.zone),
        view=post_view(ad.id),
        applied_tags=tags,
        allowed_mentions=discord.AllowedMentions.none(),
    )
    await bot.ad_service.posted(ad.id, forum.id, created.thread.id)
    return created.thread


async def submit_form(interaction: discord.Interaction[Any], form: AdForm) -> None:
    """The ad form sent: published, queued for the moderators, or given back as typed."""
    bot = bot_of(interaction)
    assert interaction.guild is not None
    settings = await bot.guild_settings.get(interaction.guild.id)
    forum = interaction.guild.get_channel(settings.ads_forum_id or 0)
    queue = interaction.guild.get_channel(settings.modqueue_channel_id or 0)
    try:
        ad = await bot.ad_service.publish(
            form,
            author_id=interaction.user.id,
            guild_id=interaction.guild.id,
            locale=interaction.locale.value,
            forum_open=isinstance(forum, discord.ForumChannel),
            queue_open=isinstance(queue, discord.TextChannel),
        )
    except AmbiguousCommune as ambiguous:
        await reply(
            interaction,
            t(interaction, "Plusieurs communes s'appellent « {commune} » : laquelle ?", commune=quote(form.commune)),
            view=FormBack(interaction, form, submit_form, ambiguous.candidates),
        )
        return
    except UserError as error:
        await reply(
            interaction, explain(error, interaction.locale.value), view=FormBack(interaction, form, submit_form)
        )
        return
    if not isinstance(forum, discord.ForumChannel):
        await reply(
            interaction, t(interaction, "Annonce transmise à la modération : elle sera visible une fois validée.")
        )
        return
    # Tags and the post take several calls: acknowledge first, within Discord's 3 seconds.
    if not interaction.response.is_done():
        await interaction.response.defer(ephemeral=True, thinking=True)
    try:
        thread = await publish_post(bot, forum, ad, settings)
    except discord.HTTPException as error:
        # An ad without its post would show in searches with nowhere to answer it: it is taken back.
        log.warning("annonce %s : fil non créé dans le forum %s : %s", ad.id, forum.id, error)
        await bot.ad_service.withdraw(ad.id)
        message = t(interaction, "Discord n'a pas créé le fil de l'annonce : réessayez dans un instant.")
        await reply(interaction, message, view=FormBack(interaction, form, submit_form))
        return
    await reply(interaction, t(interaction, "Annonce publiée : {lien}", lien=thread.jump_url))


def contact_modal(interaction: discord.Interaction[Any], ad_id: int) -> TextModal:
    """A message to an ad's author, through the bot: the author's identity is never shown."""

    async def send(submitted: discord.Interaction[Any], text: str) -> None:
        await bot_of(submitted).ad_service.contact(
            ad_id, sender_id=submitted.user.id, sender=submitted.user.mention, text=text, request_id=submitted.id
        )
        await reply(submitted, t(submitted, "Message transmis à l'auteur·ice de l'annonce."))

    return TextModal(
        interaction, title="Répondre à l'annonce", label="Votre message", on_text=send, min_length=10,
        max_length=MESSAGE_MAX,
    )  # fmt: skip


async def report(interaction: discord.Interaction[Any], ad_id: int, reason: str) -> None:
    await bot_of(interaction).ad_service.report(ad_id, interaction.user.id, reason)
    await reply(interaction, t(interaction, "Merci : l'annonce a été transmise à la modération."))


def report_modal(interaction: discord.Interaction[Any], ad_id: int) -> TextModal:
    async def send(submitted: discord.Interaction[Any], reason: str) -> None:
        await report(submitted, ad_id, reason)

    return TextModal(
        interaction, title="Signaler l'annonce", label="Ce qui ne va pas", on_text=send, max_length=REASON_MAX
    )


def reason_modal(interaction: discord.Interaction[Any], title: str, decide: OnText) -> TextModal:
    """A moderator's reason, sent to the ad's author with the verdict."""
    return TextModal(
        interaction, title=title, label="Raison (envoyée à la personne)", on_text=decide, max_length=REASON_MAX
    )


Decide = Callable[[str | None], Awaitable[object]]


async def verdict(
    interaction: discord.Interaction[Any], guild_id: int, said: Text, decide: Decide, *, asking: str | None = None
) -> None:
    """A moderator's decision from a card's button: taken at once, or (`asking` is then the form's title)
    once the reason for the author is written. The card, its buttons gone, then says what was decided."""
    if not is_moderator(interaction.user, await bot_of(interaction).guild_settings.get(guild_id)):
        raise UserError("Réservé aux modérateurs du serveur.")

    async def decided(done: discord.Interaction[Any], reason: str | None) -> None:
        await decide(reason)
        text = t(done, said.message, moderateur=done.user.display_name, raison=reason)
        await done.response.edit_message(content=clip(text, CONTENT), view=None)

    if asking is None:
        await decided(interaction, None)
    else:
        await interaction.response.send_modal(reason_modal(interaction, asking, decided))


class AdButton(ActionButton, template=r"annonce:(?P<action>contact|pourvue|signaler|renouveler):(?P<id>\d+)"):
    PREFIX = "annonce"
    LABELS: ClassVar[dict[str, str]] = {
        "contact": "Contacter",
        "pourvue": "Pourvue",
        "signaler": "Signaler",
        "renouveler": "Renouveler",
    }
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {
        "contact": discord.ButtonStyle.primary,
        "pourvue": discord.ButtonStyle.success,
        "renouveler": discord.ButtonStyle.primary,
    }

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        service = bot_of(interaction).ad_service
        ad = await service.get(self.target_id)
        if self.action == "contact":
            if ad.author_id == interaction.user.id:
                raise UserError("C'est votre propre annonce.")
            await interaction.response.send_modal(contact_modal(interaction, ad.id))
        elif self.action == "signaler":
            await interaction.response.send_modal(report_modal(interaction, ad.id))
        elif self.action == "pourvue":
            await ensure_author_or_moderator(interaction, ad)
            await service.mark_filled(ad.id)
            await reply(interaction, t(interaction, "Annonce marquée comme pourvue et fermée."))
        else:
            if ad.author_id != interaction.user.id:
                raise UserError("Seuls l'auteur·ice de l'annonce et les modérateurs peuvent faire cela.")
            renewed = await service.renew(ad.id)
            await reply(
                interaction,
                t(interaction, "Annonce renouvelée jusqu'au {date}.", date=await expiry_day(interaction, renewed)),
            )


class ModerationButton(ActionButton, template=r"annonce-moderation:(?P<action>publier|refuser):(?P<id>\d+)"):
    """An ad waiting in the moderation queue (servers without an ads forum)."""

    PREFIX = "annonce-moderation"
    LABELS: ClassVar[dict[str, str]] = {"publier": "Publier", "refuser": "Refuser"}
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {
        "publier": discord.ButtonStyle.success,
        "refuser": discord.ButtonStyle.danger,
    }

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        service = bot_of(interaction).ad_service
        ad = await service.get(self.target_id)
        if self.action == "publier":
            await verdict(
                interaction, ad.guild_id, Text("Annonce publiée par {moderateur}."),
                lambda _: service.moderate(ad.id, approve=True),
            )  # fmt: skip
        else:
            await verdict(
                interaction, ad.guild_id, Text("Annonce refusée par {moderateur} : {raison}"),
                lambda reason: service.moderate(ad.id, approve=False, reason=reason), asking="Refuser l'annonce",
            )  # fmt: skip


class ReportButton(ActionButton, template=r"annonce-signalement:(?P<action>garder|supprimer):(?P<id>\d+)"):
    PREFIX = "annonce-signalement"
    LABELS: ClassVar[dict[str, str]] = {"garder": "Garder l'annonce", "supprimer": "Supprimer l'annonce"}
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {"supprimer": discord.ButtonStyle.danger}

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        service, guild_id = bot_of(interaction).ad_service, interaction.guild_id or 0
        if self.action == "garder":
            await verdict(
                interaction, guild_id, Text("Signalement classé par {moderateur}."),
                lambda _: service.settle_report(self.target_id, remove=False),
            )  # fmt: skip
        else:
            await verdict(
                interaction, guild_id, Text("Annonce supprimée par {moderateur} : {raison}"),
                lambda reason: service.settle_report(self.target_id, remove=True, reason=reason),
                asking="Supprimer l'annonce",
            )  # fmt: skip


@app_commands.guild_only()
class Ads(commands.GroupCog, group_name="annonce", group_description="Les petites annonces du réseau"):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AdButton, ModerationButton, ReportButton)

    async def _pages(self, interaction: discord.Interaction[Any], ids: list[int]) -> None:
        zone = (await self.bot.guild_settings.get(interaction.guild_id or 0)).zone
        locale = interaction.locale.value

        async def render(index: int) -> discord.Embed:
            page = await self.bot.ad_service.page(ids[index * PER_PAGE : (index + 1) * PER_PAGE])
            return search_embed(page, zone, locale, page=index, total=len(ids))

        await Paginator(interaction.user.id, math.ceil(len(ids) / PER_PAGE), render).send(interaction, ephemeral=True)

    @app_commands.command(name="publier", description="Publier une petite annonce")
    @app_commands.describe(categorie="De quoi s'agit-il ?", departement="Département concerné (numéro ou nom)")
    @app_commands.choices(categorie=CATEGORIES)
    async def publier(
        self, interaction: discord.Interaction[Any], categorie: str, departement: DepartementOption
    ) -> None:
        form = AdForm(category=AdCategory(categorie), departement=departement.code)
        await interaction.response.send_modal(AdModal(interaction, form, submit_form))

    @app_commands.command(name="chercher", description="Chercher parmi les petites annonces en cours")
    @app_commands.describe(
        texte="Mots à chercher", categorie="Catégorie", departement="Département (numéro ou nom)", region="Région"
    )
    @app_commands.choices(categorie=CATEGORIES)
    async def chercher(
        self,
        interaction: discord.Interaction[Any],
        texte: app_commands.Range[str, 1, 200] | None = None,
        categorie: str | None = None,
        departement: DepartementOption | None = None,
        region: RegionOption | None = None,
    ) -> None:
        filters = AdFilters(
            texte=texte,
            category=AdCategory(categorie) if categorie else None,
            departement=departement.code if departement else None,
            departements=region.departements if region else None,
        )
        ids = await self.bot.ad_service.search(filters)
        if not ids:
            await reply(interaction, t(interaction, "Aucune annonce en cours ne correspond."))
            return
        await self._pages(interaction, ids)

    @app_commands.command(name="mes-annonces", description="Vos annonces en cours")
    async def mes_annonces(self, interaction: discord.Interaction[Any]) -> None:
        ads = await self.bot.ad_service.of_author(interaction.user.id)
        if not ads:
            await reply(interaction, t(interaction, "Vous n'avez pas d'annonce en cours."))
            return
        await self._pages(interaction, [ad.id for ad in ads])

    @app_commands.command(name="retirer", description="Retirer une de vos annonces")
    @app_commands.describe(annonce="L'annonce à retirer")
    async def retirer(self, interaction: discord.Interaction[Any], annonce: OwnAdOption) -> None:
        await self.bot.ad_service.withdraw(annonce.id)
        await reply(interaction, t(interaction, "Annonce retirée."))

    @app_commands.command(name="renouveler", description="Prolonger une de vos annonces")
    @app_commands.describe(annonce="L'annonce à prolonger", jours="Pour combien de jours")
    @app_commands.choices(jours=[app_commands.Choice(name=f"{n} jours", value=n) for n in (30, 60, 90)])
    async def renouveler(self, interaction: discord.Interaction[Any], annonce: OwnAdOption, jours: int = 60) -> None:
        renewed = await self.bot.ad_service.renew(annonce.id, jours)
        await reply(
            interaction,
            t(interaction, "Annonce renouvelée jusqu'au {date}.", date=await expiry_day(interaction, renewed)),
        )

    @app_commands.command(name="signaler", description="Signaler une annonce à la modération")
    @app_commands.describe(annonce="Numéro de l'annonce", raison="Ce qui ne va pas")
    async def signaler(
        self,
        interaction: discord.Interaction[Any],
        annonce: app_commands.Range[int, 1],
        raison: app_commands.Range[str, 5, REASON_MAX],
    ) -> None:
        await report(interaction, annonce, raison)


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Ads(bot))
