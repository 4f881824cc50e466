"""Repeating events and scheduled announcements: same local wall time across clock changes."""

from __future__ import annotations

import calendar
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.errors import UserError
from bot.recurrence import MAX_OCCURRENCES, Frequency, Rule, event_occurrences, nth_of_month, nth_weekday

PARIS = ZoneInfo("Europe/Paris")
MARTINIQUE = ZoneInfo("America/Martinique")  # UTC-4 all year
REUNION = ZoneInfo("Indian/Reunion")  # UTC+4 all year
NEW_YORK = ZoneInfo("America/New_York")  # clocks change on other dates than in Paris


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def at_paris(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=PARIS).astimezone(UTC)


def local_days(moments: list[datetime], zone: ZoneInfo = PARIS) -> list[date]:
    return [moment.astimezone(zone).date() for moment in moments]


def local_times(moments: list[datetime], zone: ZoneInfo = PARIS) -> set[time]:
    return {moment.astimezone(zone).time() for moment in moments}


def message(error: UserError) -> str:
    return error.message.format(**error.params)


# --- nth_of_month / nth_weekday ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        pytest.param(date(2027, 3, 1), 1, id="1st"),
        pytest.param(date(2027, 3, 7), 1, id="7th"),
        pytest.param(date(2027, 3, 8), 2, id="8th"),
        pytest.param(date(2027, 3, 14), 2, id="14th"),
        pytest.param(date(2027, 3, 15), 3, id="15th"),
        pytest.param(date(2027, 3, 21), 3, id="21st"),
        pytest.param(date(2027, 3, 22), 4, id="22nd"),
        pytest.param(date(2027, 3, 28), 4, id="28th"),
        pytest.param(date(2027, 3, 29), 5, id="29th"),
        pytest.param(date(2027, 3, 31), 5, id="31st"),
        pytest.param(date(2028, 2, 29), 5, id="29-february-leap"),
    ],
)
def test_nth_of_month(day: date, expected: int) -> None:
    assert nth_of_month(day) == expected


@pytest.mark.parametrize(
    ("year", "month", "weekday", "nth", "expected"),
    [
        pytest.param(2027, 3, 0, 1, date(2027, 3, 1), id="first-monday-on-the-1st"),
        pytest.param(2027, 4, 0, 1, date(2027, 4, 5), id="first-monday-april"),
        pytest.param(2027, 3, 1, 2, date(2027, 3, 9), id="second-tuesday"),
        pytest.param(2027, 3, 2, 3, date(2027, 3, 17), id="third-wednesday"),
        pytest.param(2027, 3, 3, 4, date(2027, 3, 25), id="fourth-thursday"),
        pytest.param(2027, 3, 0, 5, date(2027, 3, 29), id="fifth-monday-exists"),
        pytest.param(2027, 2, 0, 5, None, id="no-fifth-monday-in-february"),
        pytest.param(2027, 4, 0, 5, None, id="no-fifth-monday-in-april"),
        pytest.param(2028, 2, 1, 5, date(2028, 2, 29), id="fifth-tuesday-leap-february"),
        pytest.param(2027, 2, 0, -1, date(2027, 2, 22), id="last-monday-february"),
        pytest.param(2027, 3, 0, -1, date(2027, 3, 29), id="last-monday-is-fifth"),
        pytest.param(2027, 1, 4, -1, date(2027, 1, 29), id="last-friday-january"),
        pytest.param(2027, 12, 4, -1, date(2027, 12, 31), id="last-friday-on-the-31st"),
        pytest.param(2027, 3, 6, -1, date(2027, 3, 28), id="last-sunday-march-clock-change"),
        pytest.param(2027, 10, 6, -1, date(2027, 10, 31), id="last-sunday-october-clock-change"),
    ],
)
def test_nth_weekday(year: int, month: int, weekday: int, nth: int, expected: date | None) -> None:
    assert nth_weekday(year, month, weekday, nth) == expected


@given(day=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)))
def test_nth_weekday_finds_the_day_nth_of_month_names(day: date) -> None:
    assert nth_weekday(day.year, day.month, day.weekday(), nth_of_month(day)) == day


# --- event_occurrences ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "zone", "expected_utc_hours"),
    [
        # Thursday 18:30 in Paris; clocks go forward on Sunday 28 March 2027.
        pytest.param(at_paris(2027, 3, 11, 18, 30), PARIS, [17, 17, 17, 16, 16, 16], id="paris-spring"),
        # Clocks go back on Sunday 31 October 2027.
        pytest.param(at_paris(2027, 10, 14, 18, 30), PARIS, [16, 16, 16, 17, 17, 17], id="paris-autumn"),
        pytest.param(utc(2027, 3, 11, 22, 30), MARTINIQUE, [22] * 6, id="martinique-no-change"),
        pytest.param(utc(2027, 3, 11, 14, 30), REUNION, [14] * 6, id="reunion-no-change"),
    ],
)
def test_weekly_event_keeps_its_wall_time(start: datetime, zone: ZoneInfo, expected_utc_hours: list[int]) -> None:
    pairs = event_occurrences(start, start + timedelta(hours=2), Frequency.weekly, 6, zone)
    starts = [begins for begins, _ in pairs]
    assert local_times(starts, zone) == {time(18, 30)}
    assert {begins.astimezone(zone).weekday() for begins in starts} == {3}
    assert [begins.hour for begins in starts] == expected_utc_hours
    assert local_days(starts, zone) == [start.astimezone(zone).date() + timedelta(weeks=n) for n in range(6)]
    assert all(ends - begins == timedelta(hours=2) for begins, ends in pairs)
    assert all(begins.tzinfo is UTC and ends.tzinfo is UTC for begins, ends in pairs)


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        pytest.param(
            date(2027, 3, 1),
            [date(2027, 3, 1), date(2027, 4, 5), date(2027, 5, 3), date(2027, 6, 7), date(2027, 7, 5)],
            id="first-monday",
        ),
        pytest.param(
            date(2027, 3, 9),
            [date(2027, 3, 9), date(2027, 4, 13), date(2027, 5, 11), date(2027, 6, 8), date(2027, 7, 13)],
            id="second-tuesday",
        ),
        pytest.param(
            date(2027, 3, 25),
            [date(2027, 3, 25), date(2027, 4, 22), date(2027, 5, 27), date(2027, 6, 24), date(2027, 7, 22)],
            id="fourth-thursday-stays-fourth",
        ),
        pytest.param(
            date(2027, 3, 29),
            [date(2027, 3, 29), date(2027, 4, 26), date(2027, 5, 31), date(2027, 6, 28), date(2027, 7, 26)],
            id="fifth-monday-becomes-last-monday",
        ),
        pytest.param(
            date(2027, 10, 31),
            [date(2027, 10, 31), date(2027, 11, 28), date(2027, 12, 26), date(2028, 1, 30), date(2028, 2, 27)],
            id="fifth-sunday-becomes-last-sunday-across-new-year",
        ),
    ],
)
def test_monthly_nth_event(first: date, expected: list[date]) -> None:
    start = at_paris(first.year, first.month, first.day, 18)
    pairs = event_occurrences(start, start + timedelta(hours=2), Frequency.monthly_nth, len(expected), PARIS)
    starts = [begins for begins, _ in pairs]
    assert local_days(starts) == expected
    assert local_times(starts) == {time(18)}


def test_monthly_nth_event_from_first_monday_stays_first_monday_for_two_years() -> None:
    start = at_paris(2027, 3, 1, 18)
    pairs = event_occurrences(start, start + timedelta(hours=2), Frequency.monthly_nth, 25, PARIS)
    days = local_days([begins for begins, _ in pairs])
    assert all(day.weekday() == 0 and day.day <= 7 for day in days)
    assert [(day.year, day.month) for day in days] == [((2027 * 12 + 2 + n) // 12, (2 + n) % 12 + 1) for n in range(25)]
    assert local_times([begins for begins, _ in pairs]) == {time(18)}


@pytest.mark.parametrize(
    ("first", "expected"),
    [
        pytest.param(
            date(2028, 2, 29),
            [date(2028, 2, 29), date(2029, 2, 28), date(2030, 2, 28), date(2031, 2, 28), date(2032, 2, 29)],
            id="29-february-falls-back-to-28-then-returns",
        ),
        pytest.param(
            date(2027, 4, 10),
            [date(2027, 4, 10), date(2028, 4, 10), date(2029, 4, 10), date(2030, 4, 10), date(2031, 4, 10)],
            id="same-date-not-same-weekday",
        ),
        pytest.param(
            date(2027, 12, 31),
            [date(2027, 12, 31), date(2028, 12, 31), date(2029, 12, 31), date(2030, 12, 31), date(2031, 12, 31)],
            id="31-december",
        ),
    ],
)
def test_yearly_event_keeps_the_date(first: date, expected: list[date]) -> None:
    start = at_paris(first.year, first.month, first.day, 10)
    pairs = event_occurrences(start, start + timedelta(hours=3), Frequency.yearly, len(expected), PARIS)
    assert local_days([begins for begins, _ in pairs]) == expected
    assert local_times([begins for begins, _ in pairs]) == {time(10)}


def test_yearly_event_accepts_the_maximum_count() -> None:
    start = at_paris(2028, 2, 29, 10)
    pairs = event_occurrences(start, start + timedelta(hours=1), Frequency.yearly, MAX_OCCURRENCES, PARIS)
    assert len(pairs) == MAX_OCCURRENCES
    assert local_days([pairs[-1][0]]) == [date(2079, 2, 28)]


@pytest.mark.parametrize(
    ("frequency", "count"),
    [
        pytest.param(Frequency.weekly, 0, id="zero"),
        pytest.param(Frequency.weekly, -1, id="negative"),
        pytest.param(Frequency.weekly, MAX_OCCURRENCES + 1, id="53"),
        pytest.param(Frequency.yearly, MAX_OCCURRENCES + 1, id="53-yearly"),
    ],
)
def test_event_occurrences_count_bounds(frequency: Frequency, count: int) -> None:
    start = at_paris(2027, 4, 10, 14)
    with pytest.raises(UserError) as caught:
        event_occurrences(start, start + timedelta(hours=2), frequency, count, PARIS)
    assert message(caught.value) == "Entre 1 et 52 occurrences."


@pytest.mark.parametrize(
    ("frequency", "count"),
    [
        pytest.param(Frequency.weekly, 1, id="weekly-1"),
        pytest.param(Frequency.weekly, MAX_OCCURRENCES, id="weekly-52"),
        pytest.param(Frequency.yearly, MAX_OCCURRENCES, id="yearly-52"),
        pytest.param(Frequency.monthly_nth, 25, id="monthly-25"),
        pytest.param(Frequency.once, 1, id="once-1"),
    ],
)
def test_event_occurrences_accepted_counts(frequency: Frequency, count: int) -> None:
    start = at_paris(2027, 4, 10, 14)
    pairs = event_occurrences(start, start + timedelta(hours=2), frequency, count, PARIS)
    assert len(pairs) == count
    assert pairs[0] == (start, start + timedelta(hours=2))
    assert [begins for begins, _ in pairs] == sorted({begins for begins, _ in pairs})


@pytest.mark.parametrize(
    ("frequency", "count"),
    [pytest.param(Frequency.once, 2, id="once-2")],
)
def test_event_occurrences_too_many_for_the_repetition(frequency: Frequency, count: int) -> None:
    start = at_paris(2027, 4, 10, 14)
    with pytest.raises(UserError) as caught:
        event_occurrences(start, start + timedelta(hours=2), frequency, count, PARIS)
    assert "Trop d'occurrences" in message(caught.value)


@pytest.mark.parametrize(
    ("start", "end", "frequency", "count"),
    [
        # Saturday 22:00 to Sunday 01:00, weekly across the spring change (Sunday 28 March 2027).
        pytest.param(at_paris(2027, 3, 13, 22), at_paris(2027, 3, 14, 1), Frequency.weekly, 4, id="weekly-spring"),
        pytest.param(at_paris(2027, 10, 16, 22), at_paris(2027, 10, 17, 1), Frequency.weekly, 4, id="weekly-autumn"),
        pytest.param(at_paris(2027, 3, 1, 23), at_paris(2027, 3, 2, 0, 30), Frequency.monthly_nth, 4, id="monthly"),
        # A whole weekend: Saturday 10:00 to Sunday 17:00.
        pytest.param(at_paris(2027, 6, 5, 10), at_paris(2027, 6, 6, 17), Frequency.yearly, 4, id="yearly-weekend"),
    ],
)
def test_event_spanning_midnight_keeps_its_length(
    start: datetime, end: datetime, frequency: Frequency, count: int
) -> None:
    local_start, local_end = start.astimezone(PARIS), end.astimezone(PARIS)
    days_spanned = (local_end.date() - local_start.date()).days
    pairs = event_occurrences(start, end, frequency, count, PARIS)
    for begins, ends in pairs:
        begins_local, ends_local = begins.astimezone(PARIS), ends.astimezone(PARIS)
        assert ends > begins
        assert (ends_local.date() - begins_local.date()).days == days_spanned
        assert (begins_local.time(), ends_local.time()) == (local_start.time(), local_end.time())
        # Same wall-clock length; in real time it differs only when the clocks change during the night.
        wall_length = ends_local.replace(tzinfo=None) - begins_local.replace(tzinfo=None)
        assert wall_length == local_end.replace(tzinfo=None) - local_start.replace(tzinfo=None)
        assert abs((ends - begins) - (end - start)) in (timedelta(0), timedelta(hours=1))


def test_a_monthly_series_reaches_the_full_count() -> None:
    start = at_paris(2027, 4, 5, 18)  # first Monday
    pairs = event_occurrences(start, start + timedelta(hours=2), Frequency.monthly_nth, 52, PARIS)
    assert len(pairs) == 52
    assert all(begins.astimezone(PARIS).day <= 7 for begins, _ in pairs)


def test_an_end_in_the_skipped_hour_moves_an_hour_later() -> None:
    """A weekly night ending at 2:30 meets the spring gap on its third Sunday: that night ends at 3:30,
    as a scheduled announcement would go out an hour later."""
    start, end = at_paris(2027, 3, 13, 23), at_paris(2027, 3, 14, 2, 30)
    pairs = event_occurrences(start, end, Frequency.weekly, 4, PARIS)
    assert pairs[2][1] == at_paris(2027, 3, 28, 3, 30)


def test_event_in_the_second_pass_of_the_repeated_hour_keeps_its_start() -> None:
    start = utc(2027, 10, 31, 1, 30)  # 2:30 in Paris, the second time (winter time)
    pairs = event_occurrences(start, start + timedelta(hours=1), Frequency.weekly, 2, PARIS)
    assert pairs[0] == (start, start + timedelta(hours=1))
    assert pairs[1][0] == at_paris(2027, 11, 7, 2, 30)


# --- Rule.next_after --------------------------------------------------------------------------------------------


def chain(rule: Rule, moment: datetime, count: int) -> list[datetime]:
    found: list[datetime] = []
    for _ in range(count):
        following = rule.next_after(moment)
        assert following is not None
        found.append(following)
        moment = following
    return found


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        pytest.param(at_paris(2027, 1, 4, 8, 59), at_paris(2027, 1, 4, 9), id="before-9h-same-day"),
        pytest.param(at_paris(2027, 1, 4, 9), at_paris(2027, 1, 5, 9), id="exactly-9h-next-day"),
        pytest.param(at_paris(2027, 1, 4, 9, 1), at_paris(2027, 1, 5, 9), id="after-9h-next-day"),
        pytest.param(utc(2026, 12, 1), at_paris(2027, 1, 1, 9), id="before-start-gives-start"),
        pytest.param(at_paris(2027, 3, 27, 12), at_paris(2027, 3, 28, 9), id="across-spring-change"),
        pytest.param(at_paris(2027, 10, 30, 12), at_paris(2027, 10, 31, 9), id="across-autumn-change"),
    ],
)
def test_daily_at_9h(moment: datetime, expected: datetime) -> None:
    rule = Rule(Frequency.daily, time(9), PARIS, date(2027, 1, 1))
    assert rule.next_after(moment) == expected


@pytest.mark.parametrize(
    ("start", "utc_hours"),
    [
        pytest.param(date(2027, 3, 21), [8] * 7 + [7] * 7, id="spring-change"),
        pytest.param(date(2027, 10, 24), [7] * 7 + [8] * 7, id="autumn-change"),
    ],
)
def test_daily_keeps_9h_local_across_clock_changes(start: date, utc_hours: list[int]) -> None:
    rule = Rule(Frequency.daily, time(9), PARIS, start)
    found = chain(rule, utc(2027, 1, 1), 14)
    assert local_times(found) == {time(9)}
    assert [moment.hour for moment in found] == utc_hours
    assert local_days(found) == [start + timedelta(days=n) for n in range(14)]


@pytest.mark.parametrize(
    ("start", "moment", "expected"),
    [
        pytest.param(
            date(2027, 1, 4),
            utc(2027, 1, 1),
            [date(2027, 1, 4), date(2027, 1, 7), date(2027, 1, 11), date(2027, 1, 14), date(2027, 1, 18)],
            id="from-a-monday",
        ),
        pytest.param(
            date(2027, 1, 5),
            utc(2027, 1, 1),
            [date(2027, 1, 7), date(2027, 1, 11), date(2027, 1, 14), date(2027, 1, 18), date(2027, 1, 21)],
            id="from-a-tuesday",
        ),
        pytest.param(
            date(2027, 1, 4),
            at_paris(2027, 3, 22, 18, 30),
            [date(2027, 3, 25), date(2027, 3, 29), date(2027, 4, 1), date(2027, 4, 5), date(2027, 4, 8)],
            id="across-spring-change",
        ),
    ],
)
def test_weekly_monday_and_thursday(start: date, moment: datetime, expected: list[date]) -> None:
    rule = Rule(Frequency.weekly, time(18, 30), PARIS, start, weekdays=frozenset({0, 3}))
    found = chain(rule, moment, len(expected))
    assert local_days(found) == expected
    assert local_times(found) == {time(18, 30)}


def test_weekly_without_weekdays_never_goes_out() -> None:
    rule = Rule(Frequency.weekly, time(9), PARIS, date(2027, 1, 4))
    assert rule.next_after(utc(2027, 1, 1)) is None


@pytest.mark.parametrize(
    ("start", "monthday", "expected"),
    [
        pytest.param(
            date(2027, 1, 31),
            31,
            [date(2027, 1, 31), date(2027, 2, 28), date(2027, 3, 31), date(2027, 4, 30), date(2027, 5, 31)],
            id="31-falls-back-to-last-day",
        ),
        pytest.param(
            date(2028, 1, 31),
            31,
            [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30), date(2028, 5, 31)],
            id="31-leap-year",
        ),
        pytest.param(
            date(2027, 1, 30),
            30,
            [date(2027, 1, 30), date(2027, 2, 28), date(2027, 3, 30), date(2027, 4, 30), date(2027, 5, 30)],
            id="30-in-february",
        ),
        pytest.param(
            date(2027, 1, 15),
            10,
            [date(2027, 2, 10), date(2027, 3, 10), date(2027, 4, 10), date(2027, 5, 10), date(2027, 6, 10)],
            id="start-after-this-months-day",
        ),
    ],
)
def test_monthly_day(start: date, monthday: int, expected: list[date]) -> None:
    rule = Rule(Frequency.monthly_day, time(9), PARIS, start, monthday=monthday)
    found = chain(rule, utc(2026, 12, 1), len(expected))
    assert local_days(found) == expected
    assert local_times(found) == {time(9)}


@pytest.mark.parametrize(
    ("start", "nth", "expected"),
    [
        pytest.param(
            date(2027, 1, 4),
            1,
            [date(2027, 1, 4), date(2027, 2, 1), date(2027, 3, 1), date(2027, 4, 5), date(2027, 5, 3)],
            id="first-monday",
        ),
        pytest.param(
            date(2027, 1, 29),
            -1,
            [date(2027, 1, 29), date(2027, 2, 26), date(2027, 3, 26), date(2027, 4, 30), date(2027, 5, 28)],
            id="last-friday",
        ),
        pytest.param(
            date(2027, 3, 29),
            5,
            [date(2027, 3, 29), date(2027, 5, 31), date(2027, 8, 30), date(2027, 11, 29), date(2028, 1, 31)],
            id="fifth-monday-skips-months-without-one",
        ),
    ],
)
def test_monthly_nth(start: date, nth: int, expected: list[date]) -> None:
    rule = Rule(Frequency.monthly_nth, time(18), PARIS, start, nth=nth)
    found = chain(rule, utc(2026, 12, 1), len(expected))
    assert local_days(found) == expected
    assert local_times(found) == {time(18)}


def test_once_goes_out_once() -> None:
    rule = Rule(Frequency.once, time(9), PARIS, date(2027, 4, 10))
    first = rule.next_after(utc(2027, 1, 1))
    assert first == at_paris(2027, 4, 10, 9)
    assert rule.next_after(first) is None
    assert rule.next_after(first - timedelta(microseconds=1)) == first


@pytest.mark.parametrize(
    ("rule", "moment", "expected"),
    [
        pytest.param(
            Rule(Frequency.daily, time(2, 30), PARIS, date(2027, 3, 26)),
            at_paris(2027, 3, 27, 12),
            at_paris(2027, 3, 28, 3, 30),
            id="daily-moved-one-hour-later",
        ),
        pytest.param(
            Rule(Frequency.daily, time(2, 30), PARIS, date(2027, 3, 26)),
            at_paris(2027, 3, 28, 3, 30),
            at_paris(2027, 3, 29, 2, 30),
            id="daily-back-to-2h30-the-next-day",
        ),
        pytest.param(
            Rule(Frequency.weekly, time(2, 0), PARIS, date(2027, 3, 1), weekdays=frozenset({6})),
            at_paris(2027, 3, 22),
            at_paris(2027, 3, 28, 3, 0),
            id="weekly-sunday-2h",
        ),
        pytest.param(
            Rule(Frequency.monthly_nth, time(2, 59), PARIS, date(2027, 1, 31), nth=-1),
            at_paris(2027, 3, 1),
            at_paris(2027, 3, 28, 3, 59),
            id="last-sunday-of-march",
        ),
        pytest.param(
            Rule(Frequency.monthly_day, time(2, 30), PARIS, date(2027, 1, 28), monthday=28),
            at_paris(2027, 3, 1),
            at_paris(2027, 3, 28, 3, 30),
            id="monthly-day-28",
        ),
        pytest.param(
            Rule(Frequency.once, time(2, 30), PARIS, date(2027, 3, 28)),
            utc(2027, 1, 1),
            at_paris(2027, 3, 28, 3, 30),
            id="once",
        ),
        pytest.param(
            Rule(Frequency.daily, time(2, 30), MARTINIQUE, date(2027, 3, 26)),
            utc(2027, 3, 27, 12),
            utc(2027, 3, 28, 6, 30),
            id="martinique-untouched",
        ),
    ],
)
def test_announcement_in_the_skipped_hour_goes_out_an_hour_later(
    rule: Rule, moment: datetime, expected: datetime
) -> None:
    assert rule.next_after(moment) == expected


def test_announcement_in_the_repeated_hour_goes_out_once() -> None:
    rule = Rule(Frequency.daily, time(2, 30), PARIS, date(2027, 10, 30))
    found = chain(rule, utc(2027, 10, 29), 3)
    assert found == [utc(2027, 10, 30, 0, 30), utc(2027, 10, 31, 0, 30), utc(2027, 11, 1, 1, 30)]


def test_a_single_rule_looks_years_ahead() -> None:
    """Documented horizon: the store rebuilds the rule from the next date each time, so this is not a limit."""
    monthly = Rule(Frequency.monthly_day, time(9), PARIS, date(2027, 1, 15), monthday=15)
    assert monthly.next_after(at_paris(2029, 1, 15, 9)) == at_paris(2029, 2, 15, 9)
    assert monthly.next_after(at_paris(2032, 1, 15, 9)) is None
    assert replace(monthly, start=date(2029, 1, 15)).next_after(at_paris(2029, 1, 15, 9)) == at_paris(2029, 2, 15, 9)
    daily = Rule(Frequency.daily, time(9), PARIS, date(2027, 1, 1))
    assert daily.next_after(at_paris(2029, 1, 1, 9)) is None


# --- Properties -------------------------------------------------------------------------------------------------

ZONES = [PARIS, MARTINIQUE, REUNION, NEW_YORK]
REPEATING = [Frequency.daily, Frequency.weekly, Frequency.monthly_day, Frequency.monthly_nth]


@st.composite
def rules(draw: st.DrawFn, frequencies: list[Frequency] = REPEATING) -> Rule:
    frequency = draw(st.sampled_from(frequencies))
    return Rule(
        frequency=frequency,
        at=time(draw(st.integers(0, 23)), draw(st.integers(0, 59))),
        zone=draw(st.sampled_from(ZONES)),
        start=draw(st.dates(min_value=date(2026, 1, 1), max_value=date(2030, 12, 31))),
        weekdays=draw(st.frozensets(st.integers(0, 6), min_size=1)),
        monthday=draw(st.integers(1, 31)),
        nth=draw(st.sampled_from([1, 2, 3, 4, -1])),
    )


def _is_an_occurrence(rule: Rule, moment: datetime) -> bool:
    local = moment.astimezone(rule.zone)
    day = local.date()
    moved = (local.hour, local.minute) == ((rule.at.hour + 1) % 24, rule.at.minute)
    if (local.hour, local.minute) != (rule.at.hour, rule.at.minute) and not moved:
        return False
    if rule.frequency is Frequency.weekly:
        return day.weekday() in rule.weekdays
    if rule.frequency is Frequency.monthly_day:
        assert rule.monthday is not None
        return day.day == min(rule.monthday, calendar.monthrange(day.year, day.month)[1])
    if rule.frequency is Frequency.monthly_nth:
        assert rule.nth is not None
        return nth_weekday(day.year, day.month, rule.start.weekday(), rule.nth) == day
    return True


@settings(max_examples=50, deadline=None)
@given(rule=rules(), offset=st.integers(-3 * 24 * 60, 400 * 24 * 60))
def test_next_after_is_strictly_after_and_the_first(rule: Rule, offset: int) -> None:
    moment = datetime.combine(rule.start, time(12), tzinfo=UTC) + timedelta(minutes=offset)
    following = rule.next_after(moment)
    assert following is not None
    assert following > moment
    assert _is_an_occurrence(rule, following)
    # Nothing was skipped: asking from just before gives the same occurrence.
    assert rule.next_after(following - timedelta(microseconds=1)) == following
    assert rule.next_after(following) != following


@settings(max_examples=15, deadline=None)
@given(rule=rules())
def test_a_chain_of_60_announcements_as_the_store_reloads_them(rule: Rule) -> None:
    """Like `AnnouncementStore.advance`: each time the rule is rebuilt with `start` = the local day of next_at."""
    moment = datetime.combine(rule.start, time(0), tzinfo=UTC) - timedelta(days=1)
    found: list[datetime] = []
    current = rule
    for _ in range(60):
        following = current.next_after(moment)
        assert following is not None
        assert following > moment
        assert _is_an_occurrence(rule, following)
        found.append(following)
        moment = following
        current = replace(rule, start=following.astimezone(rule.zone).date())
    assert found == sorted(set(found))


@settings(max_examples=10, deadline=None)
@given(rule=rules([Frequency.daily, Frequency.weekly]))
def test_a_chain_of_60_from_one_rule_is_strictly_increasing(rule: Rule) -> None:
    found = chain(rule, datetime.combine(rule.start, time(0), tzinfo=UTC) - timedelta(days=1), 60)
    assert all(earlier < later for earlier, later in pairwise(found))
    assert all(_is_an_occurrence(rule, moment) for moment in found)
