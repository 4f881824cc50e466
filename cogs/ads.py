"""`/annonce`: publish, find, renew, withdraw and report small ads, mirrored in the ads forum."""

from __future__ import annotations

import logging
import math
from typing import Any, ClassVar

import discord
from discord import app_commands
from discord.ext import commands
from pydantic import ValidationError

from bot.ads.models import Ad, AdDraft, AdFilters
from bot.client import HabitatBot, bot_of
from bot.errors import UserError, invalid
from bot.guild_settings import GuildSettings
from bot.i18n import gettext
from bot.vocabulary import AdCategory, label
from cogs.ui.ads import CATEGORY_TAGS, PER_PAGE, ad_embed, duration_options, is_priced, region_tag, search_embed
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.members import is_moderator, send_dm
from cogs.ui.paginator import Paginator
from cogs.ui.places import departement_choices, region_choices
from cogs.ui.text import reply, t
from cogs.ui.views import HabitatModal, TextModal

log = logging.getLogger(__name__)

CATEGORIES = [app_commands.Choice(name=label(category), value=category.value) for category in AdCategory]
FORUM_TAG_LIMIT = 20


def post_view(ad_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AdButton("contact", ad_id))
    view.add_item(AdButton("pourvue", ad_id))
    view.add_item(AdButton("signaler", ad_id))
    return view


async def ensure_author_or_moderator(interaction: discord.Interaction[Any], ad: Ad) -> None:
    if ad.author_id == interaction.user.id:
        return
    settings = await bot_of(interaction).guild_settings.get(ad.guild_id)
    if interaction.guild_id != ad.guild_id or not is_moderator(interaction.user, settings):
        raise UserError("Seuls l'auteur·ice de l'annonce et les modérateurs peuvent faire cela.")


async def close_ad(interaction: discord.Interaction[Any], ad_id: int, status: str, reason: str | None = None) -> Ad:
    bot = bot_of(interaction)
    closed = await bot.ads.close(ad_id, status, reason)
    await bot.ad_service.close_post(closed)
    return closed


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


async def publish_post(bot: HabitatBot, guild: discord.Guild, ad: Ad, settings: GuildSettings) -> discord.Thread | None:
    """The ad as a post of the server's ads forum, tagged with its category and région."""
    forum = guild.get_channel(settings.ads_forum_id or 0)
    if not isinstance(forum, discord.ForumChannel):
        return None
    region = next((r.nom for r in bot.geo.regions.values() if r.code == ad.region), None)
    wanted = [CATEGORY_TAGS[ad.category], *([region_tag(region)] if region else [])]
    try:
        tags = await forum_tags(forum, wanted)
    except discord.HTTPException as error:
        log.warning("étiquettes du forum %s non créées : %s", forum.id, error)
        tags = [tag for tag in forum.available_tags if tag.name in wanted]
    created = await forum.create_thread(
        name=ad.title[:100],
        content=ad.body,  # shown as written; the bot's AllowedMentions.none() keeps it from pinging anyone
        embed=ad_embed(ad, settings.zone, None),
        view=post_view(ad.id),
        applied_tags=tags,
        allowed_mentions=discord.AllowedMentions.none(),
    )
    await bot.ads.set_post(ad.id, forum.id, created.thread.id)
    return created.thread


class AdModal(HabitatModal):
    def __init__(self, interaction: discord.Interaction[Any], category: AdCategory, departement: str) -> None:
        super().__init__(title=t(interaction, "Publier une petite annonce")[:45], timeout=1800)
        self.category = category
        self.departement = departement
        self.titre: discord.ui.TextInput[AdModal] = discord.ui.TextInput(
            label=t(interaction, "Titre")[:45], min_length=3, max_length=100, custom_id="annonce-titre"
        )
        self.texte: discord.ui.TextInput[AdModal] = discord.ui.TextInput(
            label=t(interaction, "Texte de l'annonce")[:45],
            style=discord.TextStyle.paragraph,
            min_length=10,
            max_length=3000,
            custom_id="annonce-texte",
        )
        self.commune: discord.ui.TextInput[AdModal] = discord.ui.TextInput(
            label=t(interaction, "Commune ou code postal (facultatif)")[:45],
            required=False,
            max_length=100,
            custom_id="annonce-commune",
        )
        self.add_item(self.titre)
        self.add_item(self.texte)
        self.add_item(self.commune)
        self.prix: discord.ui.TextInput[AdModal] | None = None
        if is_priced(category):
            self.prix = discord.ui.TextInput(
                label=t(interaction, "Prix ou budget en € (facultatif)")[:45],
                required=False,
                max_length=12,
                custom_id="annonce-prix",
            )
            self.add_item(self.prix)
        self.duree: discord.ui.Select[AdModal] = discord.ui.Select(
            options=duration_options(interaction.locale.value), min_values=1, max_values=1, custom_id="annonce-duree"
        )
        self.add_item(discord.ui.Label(text=t(interaction, "Durée de l'annonce")[:45], component=self.duree))

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        bot = bot_of(interaction)
        assert interaction.guild is not None
        price_text = (self.prix.value if self.prix else "").replace(" ", "").replace("€", "")
        if price_text and not price_text.isdigit():
            raise UserError("« {valeur} » n'est pas un nombre.", valeur=self.prix.value if self.prix else "")
        commune = bot.geo.resolve_commune(self.commune.value) if self.commune.value.strip() else None
        try:
            draft = AdDraft(
                category=self.category,
                departement=self.departement,
                title=self.titre.value,
                body=self.texte.value,
                code_insee=commune.insee if commune else None,
                price=int(price_text) if price_text else None,
                duration_days=int(self.duree.values[0]) if self.duree.values else 60,
            )
        except ValidationError as error:
            raise invalid(error) from None
        settings = await bot.guild_settings.get(interaction.guild.id)
        forum = interaction.guild.get_channel(settings.ads_forum_id or 0)
        queue = interaction.guild.get_channel(settings.modqueue_channel_id or 0)
        if not isinstance(forum, discord.ForumChannel) and not isinstance(queue, discord.TextChannel):
            raise UserError(
                "Les petites annonces ne sont pas encore ouvertes ici : un administrateur doit choisir le forum "
                "des annonces (/config salons petites_annonces)."
            )
        ad = await bot.ads.publish(
            draft,
            author_id=interaction.user.id,
            guild_id=interaction.guild.id,
            max_live=settings.max_live_ads,
            max_per_day=settings.max_ads_per_day,
            moderated=not isinstance(forum, discord.ForumChannel),
            locale=interaction.locale.value,
        )
        bot.scheduler.notify()
        if isinstance(forum, discord.ForumChannel):
            # Tags and the post take several calls: acknowledge first, within Discord's 3 seconds.
            await interaction.response.defer(ephemeral=True, thinking=True)
            thread = await publish_post(bot, interaction.guild, ad, settings)
            link = thread.jump_url if thread else ""
            await reply(interaction, t(interaction, "Annonce publiée : {lien}", lien=link))
            return
        assert isinstance(queue, discord.TextChannel)
        view = discord.ui.View(timeout=None)
        view.add_item(ModerationButton("publier", ad.id))
        view.add_item(ModerationButton("refuser", ad.id))
        await queue.send(content=ad.body, embed=ad_embed(ad, settings.zone, None), view=view)
        await reply(
            interaction, t(interaction, "Annonce transmise à la modération : elle sera visible une fois validée.")
        )


def contact_modal(interaction: discord.Interaction[Any], ad_id: int) -> TextModal:
    """A message to an ad's author, through the bot: the author's identity is never shown."""

    async def send(submitted: discord.Interaction[Any], text: str) -> None:
        bot = bot_of(submitted)
        ad = await bot.ads.must_get(ad_id)
        if not ad.live:
            raise UserError("Cette annonce est close.")
        embed = discord.Embed(title=f"✉️ {ad.title}"[:256], description=text, colour=discord.Colour.blurple())
        embed.set_author(name=submitted.user.display_name)
        content = gettext(
            "Réponse de {membre} à votre annonce « {titre} » :",
            ad.locale,
            membre=submitted.user.mention,
            titre=ad.title,
        )
        if not await send_dm(bot, ad.author_id, content=content[:2000], embed=embed):
            raise UserError("L'auteur·ice de l'annonce n'accepte pas les messages privés pour l'instant.")
        await reply(submitted, t(submitted, "Message transmis à l'auteur·ice de l'annonce."))

    return TextModal(
        interaction, title="Répondre à l'annonce", label="Votre message", on_text=send, min_length=10, max_length=1500
    )


def report_modal(interaction: discord.Interaction[Any], ad_id: int) -> TextModal:
    async def send(submitted: discord.Interaction[Any], reason: str) -> None:
        await report(submitted, ad_id, reason)

    return TextModal(interaction, title="Signaler l'annonce", label="Ce qui ne va pas", on_text=send, max_length=500)


async def report(interaction: discord.Interaction[Any], ad_id: int, reason: str) -> None:
    bot = bot_of(interaction)
    ad = await bot.ads.must_get(ad_id)
    settings = await bot.guild_settings.get(ad.guild_id)
    queue = bot.get_channel(settings.modqueue_channel_id or 0)
    if not isinstance(queue, discord.TextChannel):
        raise UserError("Ce serveur n'a pas de salon de modération : prévenez un administrateur.")
    filed = await bot.ads.report(ad_id, interaction.user.id, reason)
    view = discord.ui.View(timeout=None)
    view.add_item(ReportButton("garder", filed.id))
    view.add_item(ReportButton("supprimer", filed.id))
    embed = ad_embed(ad, settings.zone, None)
    embed.add_field(name="Signalement", value=reason[:1024], inline=False)
    await queue.send(content=f"Annonce signalée (n° {ad.id}) :\n{ad.body}"[:2000], embed=embed, view=view)
    await reply(interaction, t(interaction, "Merci : l'annonce a été transmise à la modération."))


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
        bot = bot_of(interaction)
        ad = await bot.ads.must_get(self.target_id)
        if self.action == "contact":
            if ad.author_id == interaction.user.id:
                raise UserError("C'est votre propre annonce.")
            await interaction.response.send_modal(contact_modal(interaction, ad.id))
        elif self.action == "signaler":
            await interaction.response.send_modal(report_modal(interaction, ad.id))
        elif self.action == "pourvue":
            await ensure_author_or_moderator(interaction, ad)
            await close_ad(interaction, ad.id, "pourvue")
            await reply(interaction, t(interaction, "Annonce marquée comme pourvue et fermée."))
        else:
            if ad.author_id != interaction.user.id:
                raise UserError("Seuls l'auteur·ice de l'annonce et les modérateurs peuvent faire cela.")
            renewed = await bot.ads.renew(ad.id)
            bot.scheduler.notify()
            await reply(
                interaction,
                t(interaction, "Annonce renouvelée jusqu'au {date}.", date=f"{renewed.expires_at:%d/%m/%Y}"),
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
        bot = bot_of(interaction)
        ad = await bot.ads.must_get(self.target_id)
        if not is_moderator(interaction.user, await bot.guild_settings.get(ad.guild_id)):
            raise UserError("Réservé aux modérateurs du serveur.")
        if self.action == "publier":
            await bot.ads.approve(ad.id)
            await send_dm(
                bot,
                ad.author_id,
                content=gettext("✅ Votre annonce « {titre} » est publiée.", ad.locale, titre=ad.title),
            )
        else:
            await bot.ads.close(ad.id, "supprimee", "refusée par la modération")
            await send_dm(
                bot,
                ad.author_id,
                content=gettext("❌ Votre annonce « {titre} » n'a pas été retenue.", ad.locale, titre=ad.title),
            )
        await interaction.response.edit_message(view=None)


class ReportButton(ActionButton, template=r"annonce-signalement:(?P<action>garder|supprimer):(?P<id>\d+)"):
    PREFIX = "annonce-signalement"
    LABELS: ClassVar[dict[str, str]] = {"garder": "Garder l'annonce", "supprimer": "Supprimer l'annonce"}
    STYLES: ClassVar[dict[str, discord.ButtonStyle]] = {"supprimer": discord.ButtonStyle.danger}

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = bot_of(interaction)
        if not is_moderator(interaction.user, await bot.guild_settings.get(interaction.guild_id or 0)):
            raise UserError("Réservé aux modérateurs du serveur.")
        if self.action == "garder":
            await bot.ads.settle_report(self.target_id, remove=False)
            await interaction.response.edit_message(
                content=f"Signalement classé par {interaction.user.display_name}.", view=None
            )
            return
        await interaction.response.send_modal(removal_modal(interaction, self.target_id))


def removal_modal(interaction: discord.Interaction[Any], report_id: int) -> TextModal:
    """A moderator removes a reported ad, with a reason sent to its author."""

    async def remove(submitted: discord.Interaction[Any], reason: str) -> None:
        bot = bot_of(submitted)
        settled = await bot.ads.settle_report(report_id, remove=True)
        ad = await bot.ads.must_get(settled.ad_id)
        if ad.live:
            await close_ad(submitted, ad.id, "supprimee", reason)
        await send_dm(
            bot,
            ad.author_id,
            content=gettext(
                "🚫 Votre annonce « {titre} » a été retirée par la modération. Raison : {raison}",
                ad.locale,
                titre=ad.title,
                raison=reason,
            )[:2000],
        )
        await submitted.response.edit_message(
            content=f"Annonce supprimée par {submitted.user.display_name} : {reason}"[:2000], view=None
        )

    return TextModal(
        interaction, title="Supprimer l'annonce", label="Raison (envoyée à la personne)", on_text=remove, max_length=500
    )


@app_commands.guild_only()
class Ads(commands.GroupCog, group_name="annonce", group_description="Les petites annonces du réseau"):
    def __init__(self, bot: HabitatBot) -> None:
        self.bot = bot
        super().__init__()

    async def cog_load(self) -> None:
        self.bot.add_dynamic_items(AdButton, ModerationButton, ReportButton)

    async def _own_ad(self, interaction: discord.Interaction[Any], value: str) -> Ad:
        if not value.strip().isdigit():
            raise UserError("Choisissez l'annonce dans la liste proposée.")
        ad = await self.bot.ads.must_get(int(value))
        await ensure_author_or_moderator(interaction, ad)
        return ad

    @app_commands.command(name="publier", description="Publier une petite annonce")
    @app_commands.describe(categorie="De quoi s'agit-il ?", departement="Département concerné (numéro ou nom)")
    @app_commands.choices(categorie=CATEGORIES)
    async def publier(self, interaction: discord.Interaction[Any], categorie: str, departement: str) -> None:
        code = self.bot.geo.departement(departement).code
        await interaction.response.send_modal(AdModal(interaction, AdCategory(categorie), code))

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
        departement: str | None = None,
        region: str | None = None,
    ) -> None:
        geo = self.bot.geo
        filters = AdFilters(
            texte=texte,
            category=AdCategory(categorie) if categorie else None,
            departement=geo.departement(departement).code if departement else None,
            departements=geo.region(region).departements if region else None,
        )
        ids = await self.bot.ads.search(filters)
        if not ids:
            await reply(interaction, t(interaction, "Aucune annonce en cours ne correspond."))
            return
        zone = (await self.bot.guild_settings.get(interaction.guild_id or 0)).zone
        locale = interaction.locale.value

        async def render(index: int) -> discord.Embed:
            page = await self.bot.ads.get_many(ids[index * PER_PAGE : (index + 1) * PER_PAGE])
            return search_embed(page, zone, locale, page=index, total=len(ids))

        await Paginator(interaction.user.id, math.ceil(len(ids) / PER_PAGE), render).send(interaction, ephemeral=True)

    @app_commands.command(name="mes-annonces", description="Vos annonces en cours")
    async def mes_annonces(self, interaction: discord.Interaction[Any]) -> None:
        ads = await self.bot.ads.of_author(interaction.user.id)
        if not ads:
            await reply(interaction, t(interaction, "Vous n'avez pas d'annonce en cours."))
            return
        zone = (await self.bot.guild_settings.get(interaction.guild_id or 0)).zone
        await interaction.response.send_message(
            embed=search_embed(ads[: PER_PAGE * 2], zone, interaction.locale.value, page=0, total=len(ads)),
            ephemeral=True,
        )

    @app_commands.command(name="retirer", description="Retirer une de vos annonces")
    @app_commands.describe(annonce="L'annonce à retirer")
    async def retirer(self, interaction: discord.Interaction[Any], annonce: str) -> None:
        ad = await self._own_ad(interaction, annonce)
        await close_ad(interaction, ad.id, "retiree")
        await reply(interaction, t(interaction, "Annonce retirée."))

    @app_commands.command(name="renouveler", description="Prolonger une de vos annonces")
    @app_commands.describe(annonce="L'annonce à prolonger", jours="Pour combien de jours")
    @app_commands.choices(jours=[app_commands.Choice(name=f"{n} jours", value=n) for n in (30, 60, 90)])
    async def renouveler(self, interaction: discord.Interaction[Any], annonce: str, jours: int = 60) -> None:
        ad = await self._own_ad(interaction, annonce)
        renewed = await self.bot.ads.renew(ad.id, jours)
        self.bot.scheduler.notify()
        await reply(
            interaction, t(interaction, "Annonce renouvelée jusqu'au {date}.", date=f"{renewed.expires_at:%d/%m/%Y}")
        )

    @app_commands.command(name="signaler", description="Signaler une annonce à la modération")
    @app_commands.describe(annonce="Numéro de l'annonce", raison="Ce qui ne va pas")
    async def signaler(
        self,
        interaction: discord.Interaction[Any],
        annonce: app_commands.Range[int, 1],
        raison: app_commands.Range[str, 5, 500],
    ) -> None:
        await report(interaction, annonce, raison)

    @retirer.autocomplete("annonce")
    @renouveler.autocomplete("annonce")
    async def _own_ads(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        ads = await self.bot.ads.of_author(interaction.user.id)
        return [
            app_commands.Choice(name=f"n° {ad.id} — {ad.title}"[:100], value=str(ad.id))
            for ad in ads
            if current.casefold() in f"{ad.id} {ad.title}".casefold()
        ][:25]

    @publier.autocomplete("departement")
    @chercher.autocomplete("departement")
    async def _departements(
        self, interaction: discord.Interaction[Any], current: str
    ) -> list[app_commands.Choice[str]]:
        return departement_choices(self.bot.geo, current)

    @chercher.autocomplete("region")
    async def _regions(self, interaction: discord.Interaction[Any], current: str) -> list[app_commands.Choice[str]]:
        return region_choices(self.bot.geo, current, interaction)


async def setup(bot: HabitatBot) -> None:
    await bot.add_cog(Ads(bot))
