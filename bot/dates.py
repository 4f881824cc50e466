"""Dates as the network reads them: in the server's time zone, in French (or English) words."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.i18n import language_of

MONTHS = {
    "fr": [
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ],
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
}


def format_month(moment: datetime, zone: ZoneInfo, locale: str | None = None) -> str:
    """ "mars 2026" / "March 2026"."""
    local = moment.astimezone(zone)
    return f"{MONTHS[language_of(locale)][local.month - 1]} {local.year}"


def format_day(moment: datetime, zone: ZoneInfo, locale: str | None = None) -> str:
    """ "12 mars 2026" / "12 March 2026"."""
    local = moment.astimezone(zone)
    return f"{local.day} {format_month(moment, zone, locale)}"
