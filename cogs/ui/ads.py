"""How small ads look on Discord: the option naming one of the member's ads, the post, the search pages,
the form and what gives it back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import replace
from typing import Any
from zoneinfo import ZoneInfo

import discord
from discord import app_commands

from bot.ads.cards import facts, footer, heading, place_text, price_text
from bot.ads.models import BODY_MAX, COMMUNE_MAX, DURATIONS, PRICE_TYPED_MAX, TITLE_MAX, Ad, AdDraft, AdForm
from bot.client import bot_of
from bot.errors import UserError
from bot.geo import Commune
from bot.i18n import gettext, ngettext
from bot.limits import (
    CHOICE_NAME,
    CHOICES,
    CONTENT,
    EMBED_FIELD_NAME,
    EMBED_FIELD_VALUE,
    EMBED_TITLE,
    INPUT_LABEL,
    MODAL_TITLE,
    SELECT_DESCRIPTION,
    SELECT_LABEL,
    clip,
)
from bot.vocabulary import AdCategory, label
from cogs.ui.members import is_moderator
from cogs.ui.text import t
from cogs.ui.views import HabitatModal, OwnedView

COLOUR = discord.Colour.from_rgb(123, 31, 162)
PER_PAGE = 5
SNIPPET = 180  # an ad's text in a list of results
FORM_KEPT = 1800  # seconds a refused form stays ready to be taken up again (the form's own timeout)
# Forum tags hold at most 20 characters.
TAG_NAME = 20
CATEGORY_TAGS = {
    AdCategory.cherche_groupe: "Cherche un groupe",
    AdCategory.cherche_foyers: "Cherche des foyers",
    AdCategory.logement: "Logement",
    AdCategory.foncier: "Foncier",
    AdCategory.entraide: "Entraide",
    AdCategory.autre: "Divers",
}
SHORT_REGIONS = {
    "Provence-Alpes-Côte d'Azur": "PACA",
    "Bourgogne-Franche-Comté": "Bourgogne-F.-Comté",
    "Centre-Val de Loire": "Centre-Val de Loire",
}


async def ensure_author_or_moderator(interaction: discord.Interaction[Any], ad: Ad) -> None:
    if ad.author_id == interaction.user.id:
        return
    settings = await bot_of(interaction).guild_settings.get(ad.guild_id)
    if interaction.guild_id != ad.guild_id or not is_moderator(interaction.user, settings):
        raise UserError("Seuls l'auteur·ice de l'annonce et les modérateurs peuvent faire cela.")


class OwnAdTransformer(app_commands.Transformer):
    """One of the member's ads by its number (a moderator may name anyone's, on their server); the
    autocomplete offers the member's running ads."""

    @property
    def max_value(self) -> int:
        return 100

    async def transform(self, interaction: discord.Interaction[Any], value: str, /) -> Ad:
        ad = await bot_of(interaction).ad_service.find(value)
        await ensure_author_or_moderator(interaction, ad)
        return ad

    async def autocomplete(  # type: ignore[override]
        self, interaction: discord.Interaction[Any], value: str, /
    ) -> list[app_commands.Choice[str]]:
        ads = await bot_of(interaction).ad_service.of_author(interaction.user.id)
        return [
            app_commands.Choice(name=clip(f"n° {ad.id} — {ad.title}", CHOICE_NAME), value=str(ad.id))
            for ad in ads
            if value.casefold() in f"{ad.id} {ad.title}".casefold()
        ][:CHOICES]


OwnAdOption = app_commands.Transform[Ad, OwnAdTransformer]


def region_tag(name: str) -> str:
    return clip(SHORT_REGIONS.get(name, name), TAG_NAME)


def post_message(ad: Ad, zone: ZoneInfo) -> dict[str, Any]:
    """The forum post: the ad's text as written (the bot's AllowedMentions.none() keeps it from pinging
    anyone) when it fits a message, else in the card, which holds up to 4,096 characters; and the card:
    what, where, how much, until when. Never who: the author stays hidden. In the network's French."""
    fits = len(ad.body) <= CONTENT
    embed = discord.Embed(title=clip(heading(ad), EMBED_TITLE), colour=COLOUR, description=None if fits else ad.body)
    embed.add_field(name=gettext("Catégorie"), value=gettext(label(ad.category)))
    embed.add_field(name=gettext("Où"), value=place_text(ad))
    price = price_text(ad, None)
    if price:
        embed.add_field(name=gettext("Prix ou budget"), value=price)
    embed.set_footer(text=footer(ad, zone, None))
    return {"content": ad.body if fits else None, "embed": embed}


def search_embed(ads: Sequence[Ad], zone: ZoneInfo, locale: str | None, *, page: int, total: int) -> discord.Embed:
    embed = discord.Embed(title=gettext("Petites annonces", locale), colour=COLOUR)
    embed.description = ngettext("{n} annonce", "{n} annonces", total, locale)
    for number, ad in enumerate(ads, start=page * PER_PAGE + 1):
        link = f"<#{ad.thread_id}>" if ad.thread_id else gettext("n° {id}", locale, id=ad.id)
        summary = f"{' · '.join(facts(ad, locale))} · {link}\n{clip(' '.join(ad.body.split()), SNIPPET)}"
        embed.add_field(
            name=clip(f"{number}. {heading(ad)}", EMBED_FIELD_NAME),
            value=clip(summary, EMBED_FIELD_VALUE),
            inline=False,
        )
    return embed


# ----------------------------------------------------------------- the form, and giving it back

Submit = Callable[[discord.Interaction[Any], AdForm], Awaitable[None]]


def _label(interaction: discord.Interaction[Any], field: str) -> str:
    """A form field's label is its title on the draft model, so a refusal names it as the member saw it."""
    return clip(t(interaction, AdDraft.model_fields[field].title or field), INPUT_LABEL)


class AdModal(HabitatModal):
    """The ad form, prefilled with what the member typed before when it is given back."""

    def __init__(self, interaction: discord.Interaction[Any], form: AdForm, on_form: Submit) -> None:
        super().__init__(title=clip(t(interaction, "Publier une petite annonce"), MODAL_TITLE), timeout=FORM_KEPT)
        self.form = form
        self.on_form = on_form
        self.titre = self._text(_label(interaction, "title"), "annonce-titre", form.title, TITLE_MAX, min_length=3)
        self.texte = self._text(
            _label(interaction, "body"), "annonce-texte", form.body, BODY_MAX, min_length=10,
            style=discord.TextStyle.paragraph,
        )  # fmt: skip
        commune_label = clip(t(interaction, "Commune ou code postal (facultatif)"), INPUT_LABEL)
        self.commune = self._text(commune_label, "annonce-commune", form.commune, COMMUNE_MAX, required=False)
        self.prix = None
        if form.priced:
            self.prix = self._text(
                _label(interaction, "price"), "annonce-prix", form.price, PRICE_TYPED_MAX, required=False
            )
        self.duree: discord.ui.Select[AdModal] = discord.ui.Select(
            options=duration_options(interaction.locale.value, form.duration_days),
            min_values=1,
            max_values=1,
            custom_id="annonce-duree",
        )
        self.add_item(discord.ui.Label(text=_label(interaction, "duration_days"), component=self.duree))

    def _text(
        self,
        label: str,
        custom_id: str,
        value: str,
        max_length: int,
        *,
        min_length: int = 0,
        required: bool = True,
        style: discord.TextStyle = discord.TextStyle.short,
    ) -> discord.ui.TextInput[AdModal]:
        field: discord.ui.TextInput[AdModal] = discord.ui.TextInput(
            label=label,
            custom_id=custom_id,
            default=value or None,  # typed in this very field before: it fits
            min_length=min_length,
            max_length=max_length,
            required=required,
            style=style,
        )
        self.add_item(field)
        return field

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        typed = replace(
            self.form,
            title=self.titre.value,
            body=self.texte.value,
            commune=self.commune.value,
            price=self.prix.value if self.prix else "",
            duration_days=int(self.duree.values[0]) if self.duree.values else self.form.duration_days,
        )
        await self.on_form(interaction, typed)


def duration_options(locale: str | None, chosen: int) -> list[discord.SelectOption]:
    return [
        discord.SelectOption(label=gettext("{n} jours", locale, n=days), value=str(days), default=days == chosen)
        for days in DURATIONS
    ]


class FormBack(OwnedView):
    """A refused form, kept: « Reprendre » reopens it as typed; when the commune has namesakes, a menu
    lists them and choosing one sends the form again."""

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        form: AdForm,
        on_form: Submit,
        candidates: Sequence[Commune] = (),
    ) -> None:
        super().__init__(interaction.user.id, timeout=FORM_KEPT)
        self.form = form
        self.on_form = on_form
        self.resume.label = t(interaction, "Reprendre")
        if candidates:
            self.add_item(CommuneMenu(interaction, candidates))

    @discord.ui.button(label="Reprendre", style=discord.ButtonStyle.primary)
    async def resume(self, interaction: discord.Interaction[Any], _: discord.ui.Button[FormBack]) -> None:
        await interaction.response.send_modal(AdModal(interaction, self.form, self.on_form))

    async def chosen(self, interaction: discord.Interaction[Any], commune: Commune) -> None:
        self.stop()
        shown = t(interaction, "Commune : {commune}", commune=commune.label)
        await interaction.response.edit_message(content=shown, view=None)
        await self.on_form(interaction, replace(self.form, commune=commune.label))


class CommuneMenu(discord.ui.Select[FormBack]):
    """The communes that answer to what was typed, largest first (a menu holds 25)."""

    def __init__(self, interaction: discord.Interaction[Any], candidates: Sequence[Commune]) -> None:
        self.candidates = {commune.insee: commune for commune in candidates[:25]}
        super().__init__(
            placeholder=clip(t(interaction, "Quelle commune ?"), SELECT_LABEL),
            options=[
                discord.SelectOption(
                    label=clip(commune.label, SELECT_LABEL),
                    value=commune.insee,
                    description=clip(t(interaction, "{n} habitants", n=commune.population), SELECT_DESCRIPTION),
                )
                for commune in self.candidates.values()
            ],
        )

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        assert self.view is not None
        await self.view.chosen(interaction, self.candidates[self.values[0]])
