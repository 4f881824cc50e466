"""Repeating dates in local wall time, so that a 14:00 plenary stays at 14:00 across clock changes.

Events repeat weekly, monthly on the same "nth weekday" (the first Monday), or yearly; scheduled
announcements repeat daily, weekly on chosen days, monthly on a day of the month or an nth weekday.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.dates import local_to_utc
from bot.errors import UserError

MAX_OCCURRENCES = 52


class Frequency(StrEnum):
    once = "once"
    daily = "daily"
    weekly = "weekly"
    monthly_day = "monthly_day"
    monthly_nth = "monthly_nth"
    yearly = "yearly"


def nth_of_month(day: date) -> int:
    """1 for the first Monday (or Tuesday…) of its month, 2 for the second… 5 at most."""
    return (day.day - 1) // 7 + 1


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date | None:
    """The nth given weekday of a month (nth = -1: the last one), or None when it has none (a 5th)."""
    days = [d for d in calendar.Calendar().itermonthdates(year, month) if d.month == month and d.weekday() == weekday]
    if nth == -1:
        return days[-1]
    return days[nth - 1] if nth <= len(days) else None


def _add_months(day: date, months: int) -> tuple[int, int]:
    total = day.year * 12 + day.month - 1 + months
    return total // 12, total % 12 + 1


@dataclass(frozen=True)
class Rule:
    """When a scheduled announcement goes out, in the server's zone."""

    frequency: Frequency
    at: time
    zone: ZoneInfo
    start: date
    weekdays: frozenset[int] = field(default_factory=frozenset)  # 0 = Monday
    monthday: int | None = None
    nth: int | None = None  # with the weekday of `start`, for monthly_nth

    def days(self) -> list[date]:
        """Candidate days from `start` on (two years at most: the caller stops at the first that is due)."""
        found: list[date] = []
        if self.frequency is Frequency.once:
            return [self.start]
        if self.frequency in (Frequency.daily, Frequency.weekly):
            for offset in range(731):
                day = self.start + timedelta(days=offset)
                if self.frequency is Frequency.daily or day.weekday() in self.weekdays:
                    found.append(day)
            return found
        if self.frequency is Frequency.yearly:
            for years in range(MAX_OCCURRENCES + 1):
                year = self.start.year + years
                last = calendar.monthrange(year, self.start.month)[1]
                found.append(date(year, self.start.month, min(self.start.day, last)))
            return found
        for months in range(MAX_OCCURRENCES + 2):
            year, month = _add_months(self.start, months)
            if self.frequency is Frequency.monthly_day:
                assert self.monthday is not None
                last = calendar.monthrange(year, month)[1]
                day = date(year, month, min(self.monthday, last))
            else:
                assert self.nth is not None
                maybe = nth_weekday(year, month, self.start.weekday(), self.nth)
                if maybe is None:
                    continue
                day = maybe
            if day >= self.start:
                found.append(day)
        return found

    def next_after(self, moment: datetime) -> datetime | None:
        """The first occurrence strictly after `moment` (UTC), or None when there is no more."""
        for day in self.days():
            candidate = wall_time(day, self.at, self.zone)
            if candidate > moment:
                return candidate
        return None


def wall_time(day: date, at: time, zone: ZoneInfo) -> datetime:
    """A repeating time on `day`; in the hour skipped in spring, it happens an hour later."""
    try:
        return local_to_utc(day, at, zone)
    except UserError:
        later = datetime.combine(day, at) + timedelta(hours=1)
        return local_to_utc(later.date(), later.time(), zone)


def event_occurrences(
    start: datetime, end: datetime, frequency: Frequency, count: int, zone: ZoneInfo
) -> list[tuple[datetime, datetime]]:
    """`count` (start, end) pairs of a repeating event, each at the same local wall time as the first."""
    if not 1 <= count <= MAX_OCCURRENCES:
        raise UserError("Entre 1 et {n} occurrences.", n=MAX_OCCURRENCES)
    local_start, local_end = start.astimezone(zone), end.astimezone(zone)
    length_days = (local_end.date() - local_start.date()).days
    first = local_start.date()
    rule = Rule(
        frequency=frequency,
        at=local_start.time().replace(tzinfo=None),
        zone=zone,
        start=first,
        weekdays=frozenset({first.weekday()}),
        nth=nth_of_month(first) if nth_of_month(first) < 5 else -1,
    )
    days = rule.days()[:count] if frequency is not Frequency.once else [first]
    if len(days) < count:
        raise UserError("Trop d'occurrences pour cette répétition.")
    pairs = []
    for day in days:
        begins = wall_time(day, rule.at, zone)
        ends = wall_time(day + timedelta(days=length_days), local_end.time().replace(tzinfo=None), zone)
        pairs.append((begins, ends))
    return pairs
