"""Check-in codes and stores, personal calendars, an event's figures: the rules on a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.clock import to_db
from bot.config import Settings
from bot.core import Core
from bot.errors import UserError
from bot.events.checkin import CODE_ALPHABET, CODE_LENGTH, new_code, normalise_code
from bot.events.models import EventDraft, Manager
from bot.events.personal import fingerprint
from bot.events.stats import weekly
from bot.vocabulary import EventKind
from tests.support import ManualDateClock

START = datetime(2027, 4, 10, 12, 0, tzinfo=UTC)
ORGANISER = Manager(user_id=99, guild_id=1, organiser=True, moderator=False)
SOMEONE = Manager(user_id=5, guild_id=1, organiser=False, moderator=False)
AMBIGUOUS = set("0O1IL5S2Z8BUV")


async def event(core: Core, title: str = "Portes ouvertes", capacity: int | None = None, days: int = 0) -> int:
    draft = EventDraft(
        guild_id=1, kind=EventKind.jpo, title=title, starts_at=START + timedelta(days=days),
        ends_at=START + timedelta(days=days, hours=3), code_insee="63113", capacity=capacity, organiser_id=99,
    )  # fmt: skip
    [created] = await core.events.create(draft)
    return created.id


# ---------------------------------------------------------------------- codes


@given(st.integers(min_value=0, max_value=200))
def test_a_code_has_five_unambiguous_characters(_: int) -> None:
    code = new_code()
    assert len(code) == CODE_LENGTH and set(code) <= set(CODE_ALPHABET)
    assert not set(code) & AMBIGUOUS


@given(
    code=st.text(alphabet=CODE_ALPHABET, min_size=CODE_LENGTH, max_size=CODE_LENGTH),
    cases=st.lists(st.booleans(), min_size=CODE_LENGTH, max_size=CODE_LENGTH),
    gaps=st.lists(st.sampled_from(["", " ", "-", "  ", "\t", "."]), min_size=CODE_LENGTH + 1, max_size=CODE_LENGTH + 1),
)
def test_a_code_is_read_back_whatever_its_case_and_spacing(code: str, cases: list[bool], gaps: list[str]) -> None:
    typed = gaps[0] + "".join(
        (c.lower() if lower else c) + gap for c, lower, gap in zip(code, cases, gaps[1:], strict=True)
    )
    assert normalise_code(typed) == code
    assert normalise_code(normalise_code(typed)) == code


@given(st.text(max_size=30))
def test_normalising_is_idempotent(typed: str) -> None:
    assert normalise_code(normalise_code(typed)) == normalise_code(typed)


# ---------------------------------------------------------------------- check-in


async def test_check_in_keeps_its_code_while_open_and_counts_seated_households(
    core: Core, clock: ManualDateClock
) -> None:
    event_id = await event(core, capacity=3)
    for user_id, seats in ((1, 2), (2, 1), (3, 1)):  # the third waits
        await core.events.register(event_id, user_id=user_id, seats=seats)
    with pytest.raises(UserError, match="n'est pas ouvert"):
        await core.checkin.arrive(event_id, 1)
    with pytest.raises(UserError, match="organisateur"):
        await core.checkin.open(event_id, by=SOMEONE)
    opened = await core.checkin.open(event_id, by=ORGANISER)
    assert opened.state is not None and opened.state.open
    again = await core.checkin.open(event_id, by=ORGANISER)
    assert again.state is not None and again.state.code == opened.state.code
    assert [r.user_id for r in opened.absent] == [1, 2]

    assert (await core.checkin.arrive(event_id, 1))[1] is True
    assert (await core.checkin.arrive(event_id, 1))[1] is False  # noted once
    with pytest.raises(UserError, match="liste d'attente"):
        await core.checkin.arrive_with_code(opened.state.code.lower(), 3)
    with pytest.raises(UserError, match="pas inscrit"):
        await core.checkin.arrive_with_code(opened.state.code, 4)
    seen = await core.checkin.attendance(event_id)
    assert (seen.present, seen.seated, seen.present_people, seen.seated_people, seen.rate) == (1, 2, 2, 3, 0.5)

    closed = await core.checkin.close(event_id, by=ORGANISER)
    assert closed.state is not None and not closed.state.open
    with pytest.raises(UserError, match="est fermé"):
        await core.checkin.arrive_with_code(opened.state.code, 2)
    desk = await core.checkin.mark_member(event_id, 2, by=ORGANISER)  # after the day, by the organiser
    assert desk.attendance.rate == 1.0 and desk.absent == ()
    reopened = await core.checkin.open(event_id, by=ORGANISER)
    assert reopened.state is not None and reopened.state.open and reopened.attendance.present == 2


async def test_open_check_ins_never_share_a_code(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    first, second = await event(core, "Première"), await event(core, "Seconde", days=1)
    drawn = iter(["AAAAA", "AAAAA", "CCCCC"])
    monkeypatch.setattr("bot.events.checkin.new_code", lambda: next(drawn))
    codes = [(await core.checkin.open(e, by=ORGANISER)).state for e in (first, second)]
    assert [state.code for state in codes if state] == ["AAAAA", "CCCCC"]


async def test_concurrent_openings_give_one_code_per_event_and_never_one_code_to_two(
    core: Core, monkeypatch: pytest.MonkeyPatch
) -> None:
    events = [await event(core, f"Soirée {day}", days=day) for day in range(6)]
    desks = await asyncio.gather(*(core.checkin.open(e, by=ORGANISER) for e in events for _ in range(3)))
    assert len({desk.state.code for desk in desks if desk.state}) == len(events)
    for e in events:
        await core.checkin.close(e, by=ORGANISER)
    # Each event draws the same code first: only one may keep it.
    drawn = itertools.chain(["AAAAA"] * len(events), (f"C{n:04}" for n in itertools.count()))
    monkeypatch.setattr("bot.events.checkin.new_code", lambda: next(drawn))
    desks = await asyncio.gather(*(core.checkin.open(e, by=ORGANISER) for e in events))
    assert len({desk.state.code for desk in desks if desk.state}) == len(events)


async def test_a_member_registering_and_showing_interest_at_once_is_never_both(core: Core) -> None:
    events = [await event(core, f"Soirée {day}", days=day) for day in range(10)]

    async def both(event_id: int) -> None:
        async def interested() -> None:
            with contextlib.suppress(UserError):  # already registered
                await core.events.interest(event_id, 7, "fr")

        await asyncio.gather(interested(), core.events.register(event_id, seats=1, user_id=7))

    await asyncio.gather(*(both(event_id) for event_id in events))
    assert [await core.events.store.interest_of(event_id, 7) for event_id in events] == [None] * len(events)


# ---------------------------------------------------------------------- personal calendars


async def test_a_personal_feed_holds_only_its_members_events_and_dies_when_replaced(core: Core) -> None:
    mine, theirs, full = (
        await event(core, "La mienne"),
        await event(core, "La leur", days=1),
        await event(core, "Complète", capacity=1, days=2),
    )
    await core.events.register(mine, user_id=1, seats=1)
    await core.events.register(theirs, user_id=2, seats=1)
    await core.events.register(full, user_id=2, seats=1)
    await core.events.register(full, user_id=1, seats=1)
    token = await core.personal.issue(1)
    assert len(token) >= 43
    body = await core.personal.feed(token)
    assert body is not None
    entries = icalendar.Calendar.from_ical(body).walk("VEVENT")
    assert [(str(e["summary"]), str(e["status"])) for e in entries] == [
        ("La mienne (Journée portes ouvertes)", "CONFIRMED"),
        ("[liste d'attente] Complète (Journée portes ouvertes)", "TENTATIVE"),
    ]
    row = await core.db.fetchone("SELECT token_hash FROM calendar_tokens WHERE user_id = 1")
    assert row is not None and row["token_hash"] == fingerprint(token) != token
    renewed = await core.personal.issue(1)
    assert await core.personal.feed(token) is None and await core.personal.feed(renewed) is not None
    await core.member_data.erase(1)
    assert await core.personal.feed(renewed) is None
    assert await core.personal.feed("") is None


async def test_a_past_event_leaves_the_feed_a_month_after_it_ends(core: Core, clock: ManualDateClock) -> None:
    event_id = await event(core)
    await core.events.register(event_id, user_id=1, seats=1)
    token = await core.personal.issue(1)
    clock.now = START + timedelta(days=20)
    assert b"Portes ouvertes" in (await core.personal.feed(token) or b"")
    clock.now = START + timedelta(days=40)
    assert b"Portes ouvertes" not in (await core.personal.feed(token) or b"")


# ---------------------------------------------------------------------- figures


def test_weeks_are_counted_from_monday_with_the_empty_ones_and_the_oldest_summed() -> None:
    monday = datetime(2027, 3, 1, 9, tzinfo=UTC)
    moments = [monday, monday + timedelta(days=6), monday + timedelta(days=21)]
    assert weekly(moments) == (
        (date(2027, 3, 1), 2),
        (date(2027, 3, 8), 0),
        (date(2027, 3, 15), 0),
        (date(2027, 3, 22), 1),
    )
    assert weekly(moments, last=2) == ((date(2027, 3, 15), 2), (date(2027, 3, 22), 1))
    assert weekly([]) == ()


async def test_figures_count_seats_waiting_and_regions(core: Core, clock: ManualDateClock) -> None:
    event_id = await event(core, capacity=2)
    now = to_db(clock())
    for user_id, insee in ((1, "63113"), (2, "35238")):
        await core.db.execute(
            "INSERT INTO household_profiles (user_id, code_insee, created_at, updated_at) VALUES (?, ?, ?, ?)",
            (user_id, insee, now, now),
        )
    await core.events.register(event_id, user_id=1, seats=2)
    await core.events.register(event_id, user_id=2, seats=1)
    await core.events.register(event_id, user_id=3, seats=1)
    await core.events.interest(event_id, 4, "fr")
    with pytest.raises(UserError, match="organisateur"):
        await core.event_stats.of_event(event_id, by=SOMEONE)
    stats = await core.event_stats.of_event(event_id, by=ORGANISER)
    assert (stats.seated, stats.seated_people, stats.waiting, stats.waiting_people) == (1, 2, 2, 2)
    assert stats.regions == (("Auvergne-Rhône-Alpes", 1), ("Bretagne", 1)) and stats.unknown_region == 1
    assert stats.weeks == ((date(2027, 3, 1), 3),)
    assert stats.event.interested == 1


def test_the_public_address_is_checked_and_kept_without_its_last_slash() -> None:
    assert (
        Settings(_env_file=None, public_url=" https://agenda.example.org/ ").public_url == "https://agenda.example.org"
    )
    assert Settings(_env_file=None, public_url="  ").public_url is None
    with pytest.raises(ValidationError, match="commence par http"):
        Settings(_env_file=None, public_url="agenda.example.org")


async def test_a_reopened_check_in_gets_a_new_code(core: Core, monkeypatch: pytest.MonkeyPatch) -> None:
    event_id = await event(core)
    drawn = iter(["AAAAA", "AAAAA", "CCCCC"])
    monkeypatch.setattr("bot.events.checkin.new_code", lambda: next(drawn))
    first = await core.checkin.open(event_id, by=ORGANISER)
    await core.checkin.close(event_id, by=ORGANISER)
    second = await core.checkin.open(event_id, by=ORGANISER)
    assert (first.state and first.state.code, second.state and second.state.code) == ("AAAAA", "CCCCC")
