"""Dates as the network reads and writes them: French words, the server's time zone.

`parse_when` reads what organisers type ("12/04/2027 14h30", "samedi 14h", "2027-04-12 14:30",
"12 avril 14h", "demain 9h"), in the server's zone, and refuses impossible, past or nonexistent
times (the hour skipped when clocks go forward) with a clear message.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.i18n import language_of
from bot.text import strip_accents

MONTHS = {
    "fr": [
        "janvier", "février", "mars", "avril", "mai", "juin",
        "juillet", "août", "septembre", "octobre", "novembre", "décembre",
    ],
    "en": [
        "January", "February", "March", "April", "May", "June",
        "July", "August", "September", "October", "November", "December",
    ],
}  # fmt: skip
WEEKDAYS = {
    "fr": ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"],
    "en": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"],
}
_MONTH_NUMBER = {strip_accents(name): number for number, name in enumerate(MONTHS["fr"], start=1)}
_MONTH_NUMBER |= {"fev": 2, "fevr": 2, "janv": 1, "avr": 4, "juil": 7, "sept": 9, "oct": 10, "nov": 11, "dec": 12}
_WEEKDAY_NUMBER = {name: number for number, name in enumerate(WEEKDAYS["fr"])}

_TIME = re.compile(r"(?<![\d/.:-])(?P<h>\d{1,2})\s*(?:h|:)\s*(?P<m>\d{2})?(?![\d:])")
_NOON = re.compile(r"(?<![\w-])(?P<word>midi|minuit)\b")
_SLASHED = re.compile(r"\b(?P<d>\d{1,2})[/.](?P<m>\d{1,2})(?:[/.](?P<y>\d{2}|\d{4}))?\b")
_ISO = re.compile(r"\b(?P<y>\d{4})-(?P<m>\d{2})-(?P<d>\d{2})(?:[t ](?P<h>\d{2}):(?P<mi>\d{2}))?\b")
_WRITTEN = re.compile(r"\b(?P<d>\d{1,2})(?:er)?\s+(?P<month>[a-z]+)\.?(?:\s+(?P<y>\d{4}))?\b")
_WEEKDAY = re.compile(r"\b(?P<day>lundi|mardi|mercredi|jeudi|vendredi|samedi|dimanche)\b(?P<next>\s+prochain)?")
# Longest first: "après-demain" holds "demain".
_RELATIVE = {"apres-demain": 2, "apres demain": 2, "aujourd'hui": 0, "aujourd hui": 0, "demain": 1}


def format_month(moment: datetime, zone: ZoneInfo, locale: str | None = None) -> str:
    """ "mars 2026" / "March 2026"."""
    local = moment.astimezone(zone)
    return f"{MONTHS[language_of(locale)][local.month - 1]} {local.year}"


def format_day(moment: datetime, zone: ZoneInfo, locale: str | None = None) -> str:
    """ "12 mars 2026" / "12 March 2026"."""
    local = moment.astimezone(zone)
    day = "1er" if local.day == 1 and language_of(locale) == "fr" else str(local.day)
    return f"{day} {format_month(moment, zone, locale)}"


def format_when(moment: datetime, zone: ZoneInfo, locale: str | None = None) -> str:
    """ "samedi 12 avril 2027 à 14h30" / "Saturday 12 April 2027 at 14:30"."""
    local = moment.astimezone(zone)
    language = language_of(locale)
    weekday = WEEKDAYS[language][local.weekday()]
    if language == "en":
        return f"{weekday} {format_day(moment, zone, locale)} at {local:%H:%M}"
    return f"{weekday} {format_day(moment, zone, locale)} à {local.hour}h{local:%M}"


def discord_time(moment: datetime, style: str = "F") -> str:
    """Discord's timestamp markup: each reader sees the moment in their own time zone and language (a
    member in La Réunion or Martinique reads their own time). The full date comes with how far off it
    is ("<t:…:F> (<t:…:R>)"); another style ("t": the time alone) comes alone. Files keep the text
    form (format_when): they are read outside Discord."""
    unix = int(moment.timestamp())
    return f"<t:{unix}:F> (<t:{unix}:R>)" if style == "F" else f"<t:{unix}:{style}>"


def format_time(moment: datetime, zone: ZoneInfo, locale: str | None = None) -> str:
    local = moment.astimezone(zone)
    return f"{local:%H:%M}" if language_of(locale) == "en" else f"{local.hour}h{local:%M}"


def local_to_utc(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A wall-clock time in `zone`; the hour skipped in spring does not exist, the one repeated in
    autumn is taken the first time."""
    local = datetime.combine(day, at, tzinfo=zone)
    back = local.astimezone(UTC).astimezone(zone)
    if (back.hour, back.minute) != (at.hour, at.minute):
        raise UserError(
            "{heure} n'existe pas le {jour} : c'est l'heure sautée au passage à l'heure d'été.",
            heure=f"{at.hour}h{at.minute:02d}",
            jour=f"{day:%d/%m/%Y}",
        )
    return local.astimezone(UTC)


def _time_of(text: str) -> time | None:
    match = _TIME.search(text)
    if match is None:
        noon = _NOON.search(text)  # "midi", but not the one in "après-midi"
        return None if noon is None else time(12) if noon["word"] == "midi" else time(0)
    hour, minute = int(match.group("h")), int(match.group("m") or 0)
    if hour > 23 or minute > 59:
        raise UserError("« {heure} » n'est pas une heure valable.", heure=match.group(0).strip())
    return time(hour, minute)


def _year(text: str | None, fallback: int) -> int:
    if not text:
        return fallback
    return 2000 + int(text) if len(text) == 2 else int(text)


def _make_date(year: int, month: int, day: int, typed: str) -> date:
    try:
        return date(year, month, day)
    except ValueError:
        raise UserError("« {date} » n'est pas une date qui existe.", date=typed) from None


def _next_date(today: date, month: int, day: int, at: time, typed: str) -> date:
    """A day and month without a year: this year's, or the next year that has it (29 February)."""
    _make_date(2000, month, day, typed)  # a leap year: refuses only days that never exist
    for year in range(today.year, today.year + 9):
        try:
            candidate = date(year, month, day)
        except ValueError:
            continue
        if candidate >= today:
            return candidate
    raise UserError("« {date} » n'est pas une date qui existe.", date=typed)


def _day_of(text: str, today: date, at: time) -> tuple[date, bool]:
    """The day meant, and whether the year was given (if not, the next such day is meant)."""
    if match := _ISO.search(text):
        return _make_date(int(match["y"]), int(match["m"]), int(match["d"]), match.group(0)), True
    if match := _SLASHED.search(text):
        if match["y"]:
            return _make_date(_year(match["y"], today.year), int(match["m"]), int(match["d"]), match.group(0)), True
        return _next_date(today, int(match["m"]), int(match["d"]), at, match.group(0)), False
    for match in _WRITTEN.finditer(text):
        month = _MONTH_NUMBER.get(match["month"])
        if month:
            if match["y"]:
                return _make_date(_year(match["y"], today.year), month, int(match["d"]), match.group(0)), True
            return _next_date(today, month, int(match["d"]), at, match.group(0)), False
    for word, offset in _RELATIVE.items():
        if word in text:
            return today + timedelta(days=offset), True
    if match := _WEEKDAY.search(text):
        ahead = (_WEEKDAY_NUMBER[match["day"]] - today.weekday()) % 7
        if match["next"] and ahead == 0:
            ahead = 7
        return today + timedelta(days=ahead), False
    raise UserError(
        "Je ne comprends pas la date « {date} » : écrivez par exemple 12/04/2027 14h30 ou samedi 14h.", date=text
    )


def parse_when(typed: str, zone: ZoneInfo, now: datetime, *, after: datetime | None = None) -> datetime:
    """The moment meant by `typed`, in UTC. A bare time ("17h") is on the day of `after` (an event's
    start, when reading its end); a date without a year is the next one to come."""
    text = " ".join(strip_accents(typed).casefold().replace("’", "'").split())
    at: time | None
    if after is not None and not _names_a_day(text):
        at = _time_of(text)
        if at is None:
            raise UserError("Je ne comprends pas l'heure « {heure} ».", heure=typed)
        return local_to_utc(after.astimezone(zone).date(), at, zone)
    iso = _ISO.search(text)
    if iso and iso["h"]:
        if int(iso["h"]) > 23 or int(iso["mi"]) > 59:
            raise UserError("« {heure} » n'est pas une heure valable.", heure=f"{iso['h']}:{iso['mi']}")
        at = time(int(iso["h"]), int(iso["mi"]))
    else:
        at = _time_of(_without_dates(text))
    if at is None:
        if not _names_a_day(text):
            raise UserError(
                "Je ne comprends pas la date « {date} » : écrivez par exemple 12/04/2027 14h30 ou samedi 14h.",
                date=typed,
            )
        raise UserError("Indiquez aussi l'heure, par exemple « {exemple} 14h ».", exemple=typed.strip())
    local_now = now.astimezone(zone)
    day, fixed = _day_of(text, local_now.date(), at)
    moment = local_to_utc(day, at, zone)
    if moment <= now and not fixed:
        # "12/04" or "samedi" already past this year or this week: the next one.
        if _WEEKDAY.search(text):
            day += timedelta(days=7)
        else:
            day = _next_date(day + timedelta(days=1), day.month, day.day, at, typed)
        moment = local_to_utc(day, at, zone)
    if moment <= now:
        raise UserError("Le {date} est déjà passé.", date=format_when(moment, zone))
    return moment


def _names_a_day(text: str) -> bool:
    if any(pattern.search(text) for pattern in (_SLASHED, _ISO, _WEEKDAY)):
        return True
    return any(_MONTH_NUMBER.get(m["month"]) for m in _WRITTEN.finditer(text)) or any(w in text for w in _RELATIVE)


def _without_dates(text: str) -> str:
    """The text with its dates removed, so that "12/04" is not read as a time."""
    for pattern in (_ISO, _SLASHED):
        text = pattern.sub(" ", text)
    # "14 h" looks like a written date ("14 <month>"): only real months go.
    return _WRITTEN.sub(lambda m: " " if m["month"] in _MONTH_NUMBER else m.group(0), text)
