"""How small ads look on Discord: the post, the search pages, the forms."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from zoneinfo import ZoneInfo

import discord

from bot.ads.models import DURATIONS, PRICED, Ad
from bot.dates import format_day
from bot.geo import geography
from bot.i18n import gettext
from bot.vocabulary import AdCategory, label

COLOUR = discord.Colour.from_rgb(123, 31, 162)
PER_PAGE = 5
CATEGORY_EMOJI = {
    AdCategory.cherche_groupe: "🔎",
    AdCategory.cherche_foyers: "🤝",
    AdCategory.logement: "🏠",
    AdCategory.foncier: "🌳",
    AdCategory.entraide: "🧰",
    AdCategory.autre: "📌",
}
# Forum tags hold at most 20 characters.
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


def region_tag(name: str) -> str:
    return SHORT_REGIONS.get(name, name)[:20]


def place_text(ad: Ad) -> str:
    if ad.commune:
        return f"{ad.commune} ({ad.departement})"
    departement = geography().departements.get(ad.departement)
    return departement.label if departement else ad.departement


def price_text(ad: Ad, locale: str | None) -> str | None:
    if ad.price is None:
        return None
    amount = f"{ad.price:,}".replace(",", "\u202f")
    return gettext("{prix} €", locale, prix=amount)


def ad_embed(ad: Ad, zone: ZoneInfo, locale: str | None) -> discord.Embed:
    """The card under an ad's text: what, where, how much, until when. Never who (the author stays hidden)."""
    embed = discord.Embed(title=f"{CATEGORY_EMOJI[ad.category]} {ad.title}"[:256], colour=COLOUR)
    embed.add_field(name=gettext("Catégorie", locale), value=gettext(label(ad.category), locale))
    embed.add_field(name=gettext("Où", locale), value=place_text(ad))
    price = price_text(ad, locale)
    if price:
        embed.add_field(name=gettext("Prix ou budget", locale), value=price)
    embed.set_footer(
        text=gettext(
            "Annonce n° {id} · jusqu'au {date}", locale, id=ad.id, date=format_day(ad.expires_at, zone, locale)
        )
    )
    return embed


def search_embed(ads: Sequence[Ad], zone: ZoneInfo, locale: str | None, *, page: int, total: int) -> discord.Embed:
    embed = discord.Embed(title=gettext("Petites annonces", locale), colour=COLOUR)
    embed.description = gettext("{n} annonce(s)", locale, n=total)
    for number, ad in enumerate(ads, start=page * PER_PAGE + 1):
        facts = [gettext(label(ad.category), locale), place_text(ad)]
        price = price_text(ad, locale)
        if price:
            facts.append(price)
        body = " ".join(ad.body.split())
        body = body if len(body) <= 180 else body[:179] + "…"
        link = f"<#{ad.thread_id}>" if ad.thread_id else gettext("n° {id}", locale, id=ad.id)
        embed.add_field(
            name=f"{number}. {CATEGORY_EMOJI[ad.category]} {ad.title}"[:256],
            value=f"{' · '.join(facts)} · {link}\n{body}"[:1024],
            inline=False,
        )
    return embed


def duration_options(locale: str | None) -> list[discord.SelectOption]:
    return [
        discord.SelectOption(label=gettext("{n} jours", locale, n=days), value=str(days), default=days == 60)
        for days in DURATIONS
    ]


def is_priced(category: AdCategory) -> bool:
    return category in PRICED


def interaction_locale(interaction: discord.Interaction[Any]) -> str:
    return interaction.locale.value
