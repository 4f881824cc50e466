"""Reading and writing dates the way French organisers type them, in the server's time zone."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from bot.dates import discord_time, format_day, format_month, format_time, format_when, local_to_utc, parse_when
from bot.errors import UserError
from bot.text import strip_accents

PARIS = ZoneInfo("Europe/Paris")
MARTINIQUE = ZoneInfo("America/Martinique")  # UTC-4 all year
REUNION = ZoneInfo("Indian/Reunion")  # UTC+4 all year
NOW = datetime(2026, 11, 23, 10, 0, tzinfo=UTC)  # Monday, 11:00 in Paris
EARLY = datetime(2026, 11, 23, 7, 0, tzinfo=UTC)  # Monday, 8:00 in Paris
SATURDAY_MORNING = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)  # Saturday, 9:00 in Paris
LATE = datetime(2026, 11, 23, 23, 30, tzinfo=UTC)  # already Tuesday 0:30 in Paris, still Monday in Martinique
START = datetime(2027, 4, 10, 12, 0, tzinfo=UTC)  # an event's start: Saturday 10 April 2027, 14:00 in Paris


def wall(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A naive local wall-clock time, to compare with a result seen in the server's zone."""
    return datetime(year, month, day, hour, minute)  # noqa: DTZ001


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def rendered(error: UserError) -> str:
    """The message as the member reads it, folded (case, accents) so that checks survive rewording details."""
    return folded(error.message.format(**error.params))


def folded(text: str) -> str:
    return strip_accents(text).casefold()


def seen_in(moment: datetime, zone: ZoneInfo) -> datetime:
    assert moment.tzinfo is UTC
    return moment.astimezone(zone).replace(tzinfo=None)


# --- What organisers type ---------------------------------------------------------------------------------------

READINGS = [
    # typed, now, expected wall time in Paris
    pytest.param("12/04/2027 14h30", NOW, wall(2027, 4, 12, 14, 30), id="slashes"),
    pytest.param("12/04/27 14h30", NOW, wall(2027, 4, 12, 14, 30), id="slashes-two-digit-year"),
    pytest.param("12.04.2027 14h30", NOW, wall(2027, 4, 12, 14, 30), id="dots"),
    pytest.param("1/5/2027 10h", NOW, wall(2027, 5, 1, 10, 0), id="slashes-single-digits"),
    pytest.param("2027-04-12 14:30", NOW, wall(2027, 4, 12, 14, 30), id="iso-space"),
    pytest.param("2027-04-12T14:30", NOW, wall(2027, 4, 12, 14, 30), id="iso-t"),
    pytest.param("2027-04-12 14h30", NOW, wall(2027, 4, 12, 14, 30), id="iso-date-french-time"),
    pytest.param("12/04/2027 à 14:30", NOW, wall(2027, 4, 12, 14, 30), id="a-and-colon"),
    pytest.param("12 avril 2027 14h30", NOW, wall(2027, 4, 12, 14, 30), id="written-month"),
    pytest.param("12 avril 2027, 14h30", NOW, wall(2027, 4, 12, 14, 30), id="written-month-comma"),
    pytest.param("12 avril 14h", NOW, wall(2027, 4, 12, 14, 0), id="written-month-no-year-next-one"),
    pytest.param("1er mai 2027 à 10h", NOW, wall(2027, 5, 1, 10, 0), id="premier-mai"),
    pytest.param("12 fevrier 2027 10h", NOW, wall(2027, 2, 12, 10, 0), id="month-without-accent"),
    pytest.param("12 février 2027 10h", NOW, wall(2027, 2, 12, 10, 0), id="month-with-accent"),
    pytest.param("12 sept. 2027 10h", NOW, wall(2027, 9, 12, 10, 0), id="abbreviation-sept-dot"),
    pytest.param("12 sept. 10h", NOW, wall(2027, 9, 12, 10, 0), id="abbreviation-no-year"),
    pytest.param("12 déc 2027 10h", NOW, wall(2027, 12, 12, 10, 0), id="abbreviation-dec-accent"),
    pytest.param("3 janv. 2027 9h", NOW, wall(2027, 1, 3, 9, 0), id="abbreviation-janv"),
    pytest.param("12 AVRIL 2027 14H30", NOW, wall(2027, 4, 12, 14, 30), id="upper-case-month"),
    pytest.param("samedi 14h", NOW, wall(2026, 11, 28, 14, 0), id="weekday-next-saturday"),
    pytest.param("samedi prochain 14h", NOW, wall(2026, 11, 28, 14, 0), id="weekday-prochain-from-monday"),
    pytest.param("SAMEDI 14H", NOW, wall(2026, 11, 28, 14, 0), id="weekday-upper-case"),
    pytest.param("Samedi à 14h", NOW, wall(2026, 11, 28, 14, 0), id="weekday-capital-and-a"),
    pytest.param("samedi 14h", SATURDAY_MORNING, wall(2026, 11, 28, 14, 0), id="saturday-said-on-saturday-morning"),
    pytest.param("samedi prochain 14h", SATURDAY_MORNING, wall(2026, 12, 5, 14, 0), id="prochain-said-that-day"),
    pytest.param("lundi 9h", EARLY, wall(2026, 11, 23, 9, 0), id="monday-9h-said-monday-8h-today"),
    pytest.param("lundi 9h", NOW, wall(2026, 11, 30, 9, 0), id="monday-9h-said-monday-11h-next-week"),
    pytest.param("lundi 14h", NOW, wall(2026, 11, 23, 14, 0), id="monday-14h-said-monday-11h-today"),
    pytest.param("lundi prochain 14h", NOW, wall(2026, 11, 30, 14, 0), id="monday-prochain-said-monday"),
    pytest.param("dimanche 10h", NOW, wall(2026, 11, 29, 10, 0), id="sunday"),
    pytest.param("mercredi midi", NOW, wall(2026, 11, 25, 12, 0), id="wednesday-midi"),
    pytest.param("demain 9h", NOW, wall(2026, 11, 24, 9, 0), id="demain"),
    pytest.param("demain 14h30", NOW, wall(2026, 11, 24, 14, 30), id="demain-minutes"),
    pytest.param("demain minuit", NOW, wall(2026, 11, 24, 0, 0), id="demain-minuit"),
    pytest.param("aujourd'hui 18h", NOW, wall(2026, 11, 23, 18, 0), id="aujourdhui"),
    pytest.param("demain 9h", LATE, wall(2026, 11, 25, 9, 0), id="demain-after-paris-midnight"),
    pytest.param("12/04 14h", NOW, wall(2027, 4, 12, 14, 0), id="no-year-next-april"),
    pytest.param("23/11 14h", NOW, wall(2026, 11, 23, 14, 0), id="no-year-today-still-ahead"),
    pytest.param("23/11 9h", NOW, wall(2027, 11, 23, 9, 0), id="no-year-today-gone-next-year"),
    pytest.param("12/04/2027 9h05", NOW, wall(2027, 4, 12, 9, 5), id="single-digit-hour"),
    pytest.param("12/04/2027 09h05", NOW, wall(2027, 4, 12, 9, 5), id="zero-padded-hour"),
]


@pytest.mark.parametrize(("typed", "now", "expected"), READINGS)
def test_parse_when_reads_french_input_in_paris(typed: str, now: datetime, expected: datetime) -> None:
    assert seen_in(parse_when(typed, PARIS, now), PARIS) == expected


@pytest.mark.parametrize(
    ("typed", "zone", "now", "expected_utc"),
    [
        pytest.param("12/04/2027 14h30", MARTINIQUE, NOW, utc(2027, 4, 12, 18, 30), id="martinique-date"),
        pytest.param("12/04/2027 14h30", REUNION, NOW, utc(2027, 4, 12, 10, 30), id="reunion-date"),
        pytest.param("samedi 14h", MARTINIQUE, NOW, utc(2026, 11, 28, 18, 0), id="martinique-saturday"),
        # At 10:00 UTC it is 6:00 on Monday in Martinique but 14:00 in Réunion.
        pytest.param("lundi 9h", MARTINIQUE, NOW, utc(2026, 11, 23, 13, 0), id="martinique-monday-still-ahead"),
        pytest.param("lundi 9h", REUNION, NOW, utc(2026, 11, 30, 5, 0), id="reunion-monday-gone"),
        pytest.param("aujourd'hui 18h", REUNION, NOW, utc(2026, 11, 23, 14, 0), id="reunion-today"),
        # 23:30 UTC: Tuesday in Paris, still Monday evening in Martinique: "demain" is Tuesday there.
        pytest.param("demain 9h", MARTINIQUE, LATE, utc(2026, 11, 24, 13, 0), id="martinique-demain-late"),
        # No clock change in the overseas departments: Paris's spring gap is an ordinary hour there.
        pytest.param("28/03/2027 2h30", MARTINIQUE, NOW, utc(2027, 3, 28, 6, 30), id="martinique-no-gap"),
        pytest.param("28/03/2027 2h30", REUNION, NOW, utc(2027, 3, 27, 22, 30), id="reunion-no-gap"),
        pytest.param("31/10/2027 2h30", MARTINIQUE, NOW, utc(2027, 10, 31, 6, 30), id="martinique-no-repeat"),
    ],
)
def test_parse_when_uses_the_server_zone(typed: str, zone: ZoneInfo, now: datetime, expected_utc: datetime) -> None:
    moment = parse_when(typed, zone, now)
    assert moment == expected_utc
    assert moment.tzinfo is UTC


@pytest.mark.parametrize(
    ("typed", "after", "expected"),
    [
        pytest.param("14h", START, wall(2027, 4, 10, 14, 0), id="bare-hour-same-day"),
        pytest.param("17h30", START, wall(2027, 4, 10, 17, 30), id="end-17h30"),
        pytest.param("17:30", START, wall(2027, 4, 10, 17, 30), id="end-colon"),
        pytest.param("à 18h", START, wall(2027, 4, 10, 18, 0), id="end-with-a"),
        pytest.param("17 h 30", START, wall(2027, 4, 10, 17, 30), id="end-spaced"),
        pytest.param("minuit", START, wall(2027, 4, 10, 0, 0), id="end-minuit"),
        # A start at 00:30 in Paris is still the previous day in UTC: the day is the local one.
        pytest.param("2h", utc(2027, 4, 10, 22, 30), wall(2027, 4, 11, 2, 0), id="day-is-local-not-utc"),
        # Naming a day overrides `after`.
        pytest.param("12/04/2027 10h", START, wall(2027, 4, 12, 10, 0), id="named-day-wins"),
        pytest.param("dimanche 2h", START, wall(2026, 11, 29, 2, 0), id="named-weekday-wins"),
    ],
)
def test_parse_when_with_after_reads_an_end(typed: str, after: datetime, expected: datetime) -> None:
    assert seen_in(parse_when(typed, PARIS, NOW, after=after), PARIS) == expected


# --- Refusals ---------------------------------------------------------------------------------------------------

REFUSALS = [
    # typed, now, fragments the member must see
    pytest.param("31/02/2027 10h", NOW, ("31/02/2027", "n'est pas une date qui existe"), id="31-february"),
    pytest.param("12/13/2027 10h", NOW, ("12/13/2027", "n'est pas une date qui existe"), id="month-13"),
    pytest.param("32 mai 2027 10h", NOW, ("32 mai 2027", "n'est pas une date qui existe"), id="32-may"),
    pytest.param("samedi", NOW, ("samedi", "Indiquez aussi l'heure"), id="weekday-without-time"),
    pytest.param("demain", NOW, ("demain", "Indiquez aussi l'heure"), id="demain-without-time"),
    pytest.param("12/04/2027", NOW, ("12/04/2027", "Indiquez aussi l'heure"), id="date-without-time"),
    pytest.param("bientôt", NOW, ("bientôt",), id="bientot"),
    pytest.param("bientôt 14h", NOW, ("bientôt 14h", "la date"), id="time-without-day"),
    pytest.param("25h", NOW, ("25h", "n'est pas une heure valable"), id="25h"),
    pytest.param("demain 14h75", NOW, ("14h75", "n'est pas une heure valable"), id="75-minutes"),
    pytest.param("20/11/2026 10h", NOW, ("20 novembre 2026", "déjà passé"), id="past-date"),
    pytest.param("23/11/2026 10h", NOW, ("23 novembre 2026 à 10h00", "déjà passé"), id="earlier-today"),
    pytest.param("aujourd'hui 9h", NOW, ("déjà passé",), id="aujourdhui-gone"),
    pytest.param("28/03/2027 2h30", NOW, ("2h30 n'existe pas le 28/03/2027", "heure d'été"), id="spring-gap"),
    pytest.param("28/03/2027 2h00", NOW, ("2h00 n'existe pas le 28/03/2027",), id="spring-gap-start"),
    pytest.param("28/03 2h59", NOW, ("2h59 n'existe pas le 28/03/2027",), id="spring-gap-no-year"),
]


@pytest.mark.parametrize(("typed", "now", "fragments"), REFUSALS)
def test_parse_when_refuses_with_a_clear_message(typed: str, now: datetime, fragments: tuple[str, ...]) -> None:
    with pytest.raises(UserError) as caught:
        parse_when(typed, PARIS, now)
    for fragment in fragments:
        assert folded(fragment) in rendered(caught.value)


@pytest.mark.parametrize(
    ("typed", "after", "fragments"),
    [
        pytest.param("bientôt", START, ("bientôt", "Je ne comprends pas l'heure"), id="no-time"),
        pytest.param("26h", START, ("26h", "n'est pas une heure valable"), id="26h"),
        # Start at midnight on the night clocks go forward: the end "2h30" does not exist that day.
        pytest.param("2h30", utc(2027, 3, 27, 23, 0), ("2h30 n'existe pas le 28/03/2027",), id="spring-gap"),
    ],
)
def test_parse_when_with_after_refuses(typed: str, after: datetime, fragments: tuple[str, ...]) -> None:
    with pytest.raises(UserError) as caught:
        parse_when(typed, PARIS, NOW, after=after)
    for fragment in fragments:
        assert folded(fragment) in rendered(caught.value)


# --- Clock changes in Paris (last Sundays of March and October) -------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected_utc", "expected_wall"),
    [
        pytest.param("27/03/2027 14h", utc(2027, 3, 27, 13), wall(2027, 3, 27, 14), id="saturday-before-spring-cet"),
        pytest.param("03/04/2027 14h", utc(2027, 4, 3, 12), wall(2027, 4, 3, 14), id="saturday-after-spring-cest"),
        pytest.param("30/10/2027 14h", utc(2027, 10, 30, 12), wall(2027, 10, 30, 14), id="saturday-before-autumn-cest"),
        pytest.param("06/11/2027 14h", utc(2027, 11, 6, 13), wall(2027, 11, 6, 14), id="saturday-after-autumn-cet"),
        pytest.param("28/03/2027 1h59", utc(2027, 3, 28, 0, 59), wall(2027, 3, 28, 1, 59), id="spring-before-gap"),
        pytest.param("28/03/2027 3h00", utc(2027, 3, 28, 1, 0), wall(2027, 3, 28, 3, 0), id="spring-after-gap"),
        pytest.param(
            "31/10/2027 1h59", utc(2027, 10, 30, 23, 59), wall(2027, 10, 31, 1, 59), id="autumn-before-repeat"
        ),
        # The repeated hour is taken the first time (still summer time, UTC+2).
        pytest.param("31/10/2027 2h30", utc(2027, 10, 31, 0, 30), wall(2027, 10, 31, 2, 30), id="autumn-repeat-first"),
        pytest.param("31/10/2027 3h00", utc(2027, 10, 31, 2, 0), wall(2027, 10, 31, 3, 0), id="autumn-after-repeat"),
    ],
)
def test_parse_when_across_clock_changes(typed: str, expected_utc: datetime, expected_wall: datetime) -> None:
    moment = parse_when(typed, PARIS, NOW)
    assert moment == expected_utc
    assert seen_in(moment, PARIS) == expected_wall


@pytest.mark.parametrize(
    ("day", "at", "zone", "expected_utc"),
    [
        pytest.param(date(2027, 3, 27), time(14), PARIS, utc(2027, 3, 27, 13), id="paris-winter"),
        pytest.param(date(2027, 7, 14), time(14), PARIS, utc(2027, 7, 14, 12), id="paris-summer"),
        pytest.param(date(2027, 10, 31), time(2, 30), PARIS, utc(2027, 10, 31, 0, 30), id="paris-repeated-first"),
        pytest.param(date(2027, 3, 28), time(2, 30), MARTINIQUE, utc(2027, 3, 28, 6, 30), id="martinique"),
        pytest.param(date(2027, 7, 14), time(2, 30), REUNION, utc(2027, 7, 13, 22, 30), id="reunion-previous-utc-day"),
    ],
)
def test_local_to_utc(day: date, at: time, zone: ZoneInfo, expected_utc: datetime) -> None:
    assert local_to_utc(day, at, zone) == expected_utc


def test_local_to_utc_refuses_the_skipped_hour() -> None:
    with pytest.raises(UserError) as caught:
        local_to_utc(date(2027, 3, 28), time(2, 15), PARIS)
    assert caught.value.params == {"heure": "2h15", "jour": "28/03/2027"}
    assert "n'existe pas" in rendered(caught.value)


# --- Known bugs -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "now", "expected"),
    [
        pytest.param(
            "après-demain midi",
            NOW,
            wall(2026, 11, 25, 12, 0),
            id="apres-demain-hyphen",
        ),
        pytest.param(
            "après demain 10h",
            NOW,
            wall(2026, 11, 25, 10, 0),
            id="apres-demain-space",
        ),
        pytest.param(
            "aujourd’hui 18h",
            NOW,
            wall(2026, 11, 23, 18, 0),
            id="aujourdhui-typographic-apostrophe",
        ),
        pytest.param(
            "samedi 14 h",
            NOW,
            wall(2026, 11, 28, 14, 0),
            id="french-typography-14-h",
        ),
        pytest.param(
            "12/04/2027 14 h 30",
            NOW,
            wall(2027, 4, 12, 14, 30),
            id="french-typography-14-h-30",
        ),
        pytest.param(
            "demain après-midi 15h",
            NOW,
            wall(2026, 11, 24, 15, 0),
            id="apres-midi-is-not-midi",
        ),
        pytest.param(
            "29/02 10h",
            NOW,
            wall(2028, 2, 29, 10, 0),
            id="29-february-no-year-in-2026",
        ),
        pytest.param(
            "29/02 10h",
            utc(2028, 3, 1, 9, 0),
            wall(2032, 2, 29, 10, 0),
            id="29-february-no-year-just-gone",
        ),
    ],
)
def test_known_bugs_in_reading(typed: str, now: datetime, expected: datetime) -> None:
    assert seen_in(parse_when(typed, PARIS, now), PARIS) == expected


@pytest.mark.parametrize(
    "typed",
    [
        pytest.param(
            "2027-04-12 25:00",
            id="iso-hour-25",
        ),
        pytest.param(
            "2027-04-12 14:75",
            id="iso-minute-75",
        ),
    ],
)
def test_known_bugs_in_refusing(typed: str) -> None:
    with pytest.raises(UserError):
        parse_when(typed, PARIS, NOW)


# --- Formatting -------------------------------------------------------------------------------------------------

MAY_DAY = utc(2027, 5, 1, 8, 5)  # Saturday 1 May 2027, 10:05 in Paris


@pytest.mark.parametrize(
    ("moment", "zone", "locale", "expected"),
    [
        pytest.param(utc(2027, 4, 12, 12, 30), PARIS, "fr", "lundi 12 avril 2027 à 14h30", id="fr"),
        pytest.param(utc(2027, 4, 12, 12, 30), PARIS, None, "lundi 12 avril 2027 à 14h30", id="no-locale-french"),
        pytest.param(utc(2027, 4, 12, 12, 30), PARIS, "de", "lundi 12 avril 2027 à 14h30", id="other-locale-french"),
        pytest.param(utc(2027, 4, 12, 12, 30), PARIS, "en-US", "Monday 12 April 2027 at 14:30", id="en-us"),
        pytest.param(utc(2027, 4, 12, 12, 30), PARIS, "en-GB", "Monday 12 April 2027 at 14:30", id="en-gb"),
        pytest.param(MAY_DAY, PARIS, "fr", "samedi 1er mai 2027 à 10h05", id="fr-premier"),
        pytest.param(MAY_DAY, PARIS, "en-US", "Saturday 1 May 2027 at 10:05", id="en-no-premier"),
        pytest.param(utc(2027, 1, 3, 8, 0), PARIS, "fr", "dimanche 3 janvier 2027 à 9h00", id="fr-hour-unpadded"),
        pytest.param(utc(2027, 1, 3, 8, 0), PARIS, "en-US", "Sunday 3 January 2027 at 09:00", id="en-hour-padded"),
        pytest.param(utc(2027, 8, 15, 22, 0), PARIS, "fr", "lundi 16 août 2027 à 0h00", id="fr-midnight-next-day"),
        pytest.param(MAY_DAY, MARTINIQUE, "fr", "samedi 1er mai 2027 à 4h05", id="martinique"),
        pytest.param(utc(2027, 5, 1, 2, 0), MARTINIQUE, "fr", "vendredi 30 avril 2027 à 22h00", id="martinique-day"),
        pytest.param(utc(2027, 4, 30, 21, 0), REUNION, "fr", "samedi 1er mai 2027 à 1h00", id="reunion-day"),
    ],
)
def test_format_when(moment: datetime, zone: ZoneInfo, locale: str | None, expected: str) -> None:
    assert format_when(moment, zone, locale) == expected


@pytest.mark.parametrize(
    ("moment", "locale", "expected"),
    [
        pytest.param(MAY_DAY, "fr", "1er mai 2027", id="fr-premier"),
        pytest.param(MAY_DAY, None, "1er mai 2027", id="default-premier"),
        pytest.param(MAY_DAY, "en-US", "1 May 2027", id="en-no-premier"),
        pytest.param(utc(2027, 5, 2, 8), "fr", "2 mai 2027", id="fr-second-is-plain"),
        pytest.param(utc(2027, 5, 11, 8), "fr", "11 mai 2027", id="fr-eleventh-is-plain"),
        pytest.param(utc(2027, 5, 21, 8), "fr", "21 mai 2027", id="fr-21st-is-plain"),
    ],
)
def test_format_day(moment: datetime, locale: str | None, expected: str) -> None:
    assert format_day(moment, PARIS, locale) == expected


FRENCH_MONTHS = ["janvier", "février", "mars", "avril", "mai", "juin"]
FRENCH_MONTHS += ["juillet", "août", "septembre", "octobre", "novembre", "décembre"]
ENGLISH_MONTHS = ["January", "February", "March", "April", "May", "June"]
ENGLISH_MONTHS += ["July", "August", "September", "October", "November", "December"]


@pytest.mark.parametrize(
    ("month", "french", "english"),
    [pytest.param(n, fr, en, id=fr) for n, (fr, en) in enumerate(zip(FRENCH_MONTHS, ENGLISH_MONTHS, strict=True), 1)],
)
def test_format_month(month: int, french: str, english: str) -> None:
    moment = utc(2027, month, 15, 12)
    assert format_month(moment, PARIS, "fr") == f"{french} 2027"
    assert format_month(moment, PARIS) == f"{french} 2027"
    assert format_month(moment, PARIS, "en-US") == f"{english} 2027"


def test_format_month_uses_the_zone() -> None:
    new_year_utc = utc(2027, 12, 31, 23, 30)
    assert format_month(new_year_utc, PARIS) == "janvier 2028"
    assert format_month(new_year_utc, MARTINIQUE) == "décembre 2027"


@pytest.mark.parametrize(
    ("moment", "zone", "locale", "expected"),
    [
        pytest.param(utc(2027, 4, 12, 7, 5), PARIS, "fr", "9h05", id="fr"),
        pytest.param(utc(2027, 4, 12, 7, 5), PARIS, "en-US", "09:05", id="en"),
        pytest.param(utc(2027, 4, 11, 22, 0), PARIS, "fr", "0h00", id="fr-midnight"),
        pytest.param(utc(2027, 4, 11, 22, 0), PARIS, "en-US", "00:00", id="en-midnight"),
        pytest.param(utc(2027, 1, 12, 7, 5), PARIS, "fr", "8h05", id="fr-winter"),
        pytest.param(utc(2027, 4, 12, 7, 5), REUNION, "fr", "11h05", id="reunion"),
    ],
)
def test_format_time(moment: datetime, zone: ZoneInfo, locale: str | None, expected: str) -> None:
    assert format_time(moment, zone, locale) == expected


# --- Properties -------------------------------------------------------------------------------------------------

FIVE_YEARS_IN_MINUTES = 5 * 366 * 24 * 60
future_minutes = st.integers(min_value=60, max_value=FIVE_YEARS_IN_MINUTES)
zones = st.sampled_from([PARIS, MARTINIQUE, REUNION])


def _reachable(minutes: int, zone: ZoneInfo) -> datetime:
    """A future instant, any minute; UTC instants never fall in the spring gap. The second pass of the autumn
    repeated hour is left out: by design it reads as the first pass (see `autumn-repeat-first`)."""
    moment = NOW + timedelta(minutes=minutes)
    assume(moment.astimezone(zone).fold == 0)
    return moment


@settings(max_examples=150, deadline=None)
@given(minutes=future_minutes, zone=zones)
def test_typed_numeric_date_reads_back_the_same_instant(minutes: int, zone: ZoneInfo) -> None:
    moment = _reachable(minutes, zone)
    typed = f"{moment.astimezone(zone):%d/%m/%Y %Hh%M}"
    assert parse_when(typed, zone, NOW) == moment


@settings(max_examples=150, deadline=None)
@given(minutes=future_minutes, zone=zones)
def test_format_when_reads_back_the_same_instant(minutes: int, zone: ZoneInfo) -> None:
    moment = _reachable(minutes, zone)
    assert parse_when(format_when(moment, zone, "fr"), zone, NOW) == moment


WEEKDAY_NAMES = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]
days_of_year = st.dates(min_value=date(2027, 1, 1), max_value=date(2027, 12, 31))  # no 29 February: see known bugs
clock_times = st.times().map(lambda t: t.replace(second=0, microsecond=0))


@settings(max_examples=100, deadline=None)
@given(minutes=future_minutes, day=days_of_year, at=clock_times)
def test_a_date_without_year_is_the_next_one_to_come(minutes: int, day: date, at: time) -> None:
    now = NOW + timedelta(minutes=minutes)
    typed = f"{day:%d/%m} {at.hour}h{at:%M}"
    try:
        moment = parse_when(typed, PARIS, now)
    except UserError as error:
        assert folded("heure d'été") in rendered(error)  # only the skipped spring hour is refused
        return
    local = moment.astimezone(PARIS)
    assert now < moment <= now + timedelta(days=366)
    assert (local.month, local.day, local.hour, local.minute) == (day.month, day.day, at.hour, at.minute)


@settings(max_examples=100, deadline=None)
@given(minutes=future_minutes, weekday=st.integers(0, 6), at=clock_times, zone=zones)
def test_a_weekday_is_the_next_one_to_come(minutes: int, weekday: int, at: time, zone: ZoneInfo) -> None:
    now = NOW + timedelta(minutes=minutes)
    typed = f"{WEEKDAY_NAMES[weekday]} {at.hour}h{at:%M}"
    try:
        moment = parse_when(typed, zone, now)
    except UserError as error:
        assert zone is PARIS and folded("heure d'été") in rendered(error)
        return
    local = moment.astimezone(zone)
    assert now < moment <= now + timedelta(days=7, hours=1)
    assert (local.weekday(), local.hour, local.minute) == (weekday, at.hour, at.minute)


def test_a_discord_timestamp_names_the_instant_whatever_zone_it_was_read_in() -> None:
    unix = int(START.timestamp())
    assert discord_time(START) == f"<t:{unix}:F> (<t:{unix}:R>)"
    assert discord_time(START.astimezone(REUNION)) == discord_time(START.astimezone(MARTINIQUE))
    assert discord_time(START, "t") == f"<t:{unix}:t>"
