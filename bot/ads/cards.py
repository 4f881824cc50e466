"""How an ad reads, in plain text: its place, its price, its card. Shared by the messages the ledger
sends (rendered at send time) and by the Discord layer's embeds."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.ads.models import Ad
from bot.dates import format_day
from bot.geo import geography
from bot.i18n import gettext
from bot.vocabulary import AdCategory, label

CATEGORY_EMOJI = {
    AdCategory.cherche_groupe: "🔎",
    AdCategory.cherche_foyers: "🤝",
    AdCategory.logement: "🏠",
    AdCategory.foncier: "🌳",
    AdCategory.entraide: "🧰",
    AdCategory.autre: "📌",
}


def heading(ad: Ad) -> str:
    return f"{CATEGORY_EMOJI[ad.category]} {ad.title}"


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


def facts(ad: Ad, locale: str | None) -> list[str]:
    """Category, place and price, as short phrases."""
    found = [gettext(label(ad.category), locale), place_text(ad)]
    price = price_text(ad, locale)
    if price:
        found.append(price)
    return found


def footer(ad: Ad, zone: ZoneInfo, locale: str | None) -> str:
    return gettext("Annonce n° {id} · jusqu'au {date}", locale, id=ad.id, date=format_day(ad.expires_at, zone, locale))


def card_lines(ad: Ad, zone: ZoneInfo, locale: str | None) -> tuple[str, ...]:
    """The ad as the moderators read it in their queue: its facts, its whole text, its number."""
    return (" · ".join(facts(ad, locale)), "", ad.body, "", footer(ad, zone, locale))
