"""From what an organiser typed to an announcement's rule: the days of a weekly one, and the rule with
its first occurrence. Pure functions: no clock, no database."""

from __future__ import annotations

import re
from datetime import datetime, time
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.recurrence import Frequency, Rule, nth_of_month

DAY_NAMES = {
    0: ("lundi", "monday"),
    1: ("mardi", "tuesday"),
    2: ("mercredi", "wednesday"),
    3: ("jeudi", "thursday"),
    4: ("vendredi", "friday"),
    5: ("samedi", "saturday"),
    6: ("dimanche", "sunday"),
}
SHORTEST = 3  # "lun", "mar", "mer"…: two letters would be ambiguous (mardi, mercredi)
LINKS = {"et", "and", "&", "puis"}


def _day(word: str) -> int | None:
    if len(word) < SHORTEST:
        return None
    return next((day for day, names in DAY_NAMES.items() if any(name.startswith(word) for name in names)), None)


def parse_weekdays(text: str) -> frozenset[int]:
    """« lundi jeudi », « lun., jeu. », "Monday and Thursday" → {0, 3} (0 is Monday). A word that is no
    day is refused rather than dropped: a typo must not silently leave a day out."""
    days: set[int] = set()
    for word in re.split(r"[\s,;/+]+", text.casefold()):
        word = word.strip(".")
        if not word or word in LINKS:
            continue
        day = _day(word)
        if day is None:
            raise UserError("Je ne reconnais pas le jour « {jour} » : écrivez par exemple « lundi jeudi ».", jour=word)
        days.add(day)
    if not days:
        raise UserError("Indiquez les jours, par exemple « lundi jeudi ».")
    return frozenset(days)


def rule_for(
    frequency: Frequency, first: datetime, zone: ZoneInfo, weekdays: frozenset[int] | None = None
) -> tuple[Rule, datetime]:
    """The rule of an announcement first wanted at `first` (UTC), at that local time, and its actual
    first occurrence: a weekly one on chosen days starts on the first of them from `first` on."""
    if weekdays and frequency is not Frequency.weekly:
        raise UserError("Les jours ne servent qu'à une annonce répétée chaque semaine.")
    local = first.astimezone(zone)
    nth = nth_of_month(local.date())
    rule = Rule(
        frequency=frequency,
        at=time(local.hour, local.minute),
        zone=zone,
        start=local.date(),
        weekdays=weekdays or frozenset({local.weekday()}),
        monthday=local.day,
        nth=nth if nth < 5 else -1,  # a fifth Monday does not come every month: the last one does
    )
    if local.weekday() in rule.weekdays:
        return rule, first
    following = rule.next_after(first)
    assert following is not None  # a weekly rule has a chosen day in every week of its two years
    return rule, following
