"""The agenda's messages on the ledger (reminders, the event's card, scheduled announcements): what is
due when, and delivery exactly once; and the rules an announcement is built from."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.announcements.rules import DAY_NAMES, parse_weekdays, rule_for
from bot.core import Core
from bot.db import Database
from bot.errors import UserError
from bot.events.models import EventChanges, EventDraft, Manager
from bot.events.reminders import REMINDER, ReminderPolicy
from bot.events.service import CARD, POSTED
from bot.notify import Delivery, Outgoing
from bot.outbox import FIRST_RETRY, LEASE, MAX_ATTEMPTS, Kind, Letter, Status, Target
from bot.recurrence import Frequency
from bot.vocabulary import EventKind
from tests.support import ManualDateClock, RecordingNotifier, due_letters

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2027, 4, 10, 12, 0, tzinfo=UTC)  # Saturday 14:00 in Paris
DAY, TWO_HOURS = 24 * 60, 120


@pytest.fixture
def clock(db: Database) -> ManualDateClock:
    manual = ManualDateClock(datetime(2027, 4, 1, 9, 0, tzinfo=UTC))
    db.clock = manual
    return manual


ORGANISER = Manager(user_id=9, guild_id=1, organiser=True, moderator=False)
POLICY = ReminderPolicy(offsets=(7 * DAY, DAY, TWO_HOURS), zone=PARIS)


async def registered(core: Core, *, starts_at: datetime = START, user_id: int = 1, remind: bool = True) -> int:
    [event] = await core.events.create(
        EventDraft(
            guild_id=1,
            kind=EventKind.jpo,
            title="JPO des Hirondelles",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=3),
            code_insee="63113",
            organiser_id=9,
        )
    )
    await core.events.register(event.id, user_id=user_id, seats=1, remind=remind)
    return event.id


async def reminder_counts(core: Core) -> dict[str, int]:
    return await core.outbox.store.counts(REMINDER)


# ---------------------------------------------------------------------- when


@pytest.mark.parametrize(
    ("starts_local", "offset", "expected_local"),
    [
        (
            datetime(2027, 4, 10, 14, 0, tzinfo=PARIS),
            DAY,
            datetime(2027, 4, 9, 14, 0, tzinfo=PARIS),
        ),  # in the afternoon: as is
        (
            datetime(2027, 4, 10, 9, 0, tzinfo=PARIS),
            2 * 60,
            datetime(2027, 4, 10, 8, 0, tzinfo=PARIS),
        ),  # 07:00 is quiet: waits for 08:00
        (
            datetime(2027, 4, 11, 10, 0, tzinfo=PARIS),
            12 * 60,
            datetime(2027, 4, 11, 8, 0, tzinfo=PARIS),
        ),  # 22:00 the eve: the next morning
        (
            datetime(2027, 4, 10, 7, 0, tzinfo=PARIS),
            2 * 60,
            datetime(2027, 4, 10, 8, 0, tzinfo=PARIS),
        ),  # 05:00: 08:00, the event runs till 10:00
    ],
)
def test_quiet_hours_wait_for_the_morning(starts_local: datetime, offset: int, expected_local: datetime) -> None:
    starts = starts_local.astimezone(UTC)
    ends = starts + timedelta(hours=3)
    assert POLICY.due_at(starts, ends, offset) == expected_local.astimezone(UTC)


def test_a_reminder_for_an_event_over_by_morning_goes_at_night() -> None:
    starts = datetime(2027, 4, 10, 23, 0, tzinfo=PARIS).astimezone(UTC)
    ends = starts + timedelta(hours=2)  # over at 01:00, before the morning
    assert POLICY.due_at(starts, ends, 60) == starts - timedelta(hours=1)


async def test_registration_schedules_the_future_offsets_only(core: Core, clock: ManualDateClock) -> None:
    clock.now = START - timedelta(days=3)  # the 7-day reminder is already past
    await registered(core)
    rows = await core.db.fetchall("SELECT payload FROM outbox WHERE kind = ? ORDER BY due_at", (REMINDER,))
    assert [r["payload"] for r in rows] == ['{"offset": 1440}', '{"offset": 120}']


async def test_no_reminders_when_the_member_says_so(core: Core) -> None:
    await registered(core, remind=False)
    assert await reminder_counts(core) == {}


async def test_a_household_on_the_waiting_list_gets_no_reminder_until_it_moves_up(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    [event] = await core.events.create(
        EventDraft(
            guild_id=1, kind=EventKind.jpo, title="JPO", starts_at=START, ends_at=START + timedelta(hours=3),
            code_insee="63113", organiser_id=9, capacity=1,
        ),
    )  # fmt: skip
    first = await core.events.register(event.id, user_id=1, seats=1)
    waiting = await core.events.register(event.id, user_id=2, seats=1)
    assert waiting.registration is not None and waiting.registration.waiting
    assert await reminder_counts(core) == {"pending": 3}
    assert first.registration is not None
    await core.events.unregister(first.registration.id, 1)
    assert await core.outbox.run_due() == 1  # "a seat freed up", to member 2
    assert notifier.sent[0][0] == 2 and "place" in notifier.sent[0][2].content
    assert await reminder_counts(core) == {"pending": 3, "cancelled": 3}


# ---------------------------------------------------------------------- exactly once


async def test_each_reminder_goes_out_once_at_its_time(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    await registered(core)
    assert await core.scheduler.run_due() == 0
    clock.now = START - timedelta(days=7)
    assert await core.scheduler.run_due() == 1
    assert await core.scheduler.run_due() == 0
    clock.now = START - timedelta(hours=2)
    assert await core.scheduler.run_due() == 2  # the 1-day one (late, the bot was "asleep") and the 2-hour one
    user, nonce, message = notifier.sent[0]
    assert user == 1 and nonce.startswith("ob-")
    assert "JPO des Hirondelles" in message.content
    assert any("Clermont-Ferrand" in line for line in message.lines)
    assert message.buttons[0].custom_id.startswith("evt:quitter:")
    assert len({n for _, n, _ in notifier.sent}) == 3


async def test_a_reminder_is_written_in_the_language_of_its_member_and_the_time_of_each_reader(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    await core.guild_settings.update(1, timezone="America/Martinique")
    [event] = await core.events.create(
        EventDraft(
            guild_id=1, kind=EventKind.jpo, title="Open day", starts_at=START, ends_at=START + timedelta(hours=3),
            code_insee="63113", organiser_id=9,
        ),
    )  # fmt: skip
    await core.events.register(event.id, user_id=5, seats=1, locale="en-US")
    clock.now = START - timedelta(days=1)
    await core.scheduler.run_due()
    _, _, message = notifier.sent[0]
    assert message.content.startswith("⏰ Reminder")
    # Discord shows 12:00 UTC as 08:00 to a reader in Martinique, 16:00 in La Réunion.
    unix = int(START.timestamp())
    assert message.lines[0] == f"When: <t:{unix}:F> (<t:{unix}:R>) (until <t:{unix + 3 * 3600}:t>)"


async def test_a_claim_is_exclusive_and_a_crashed_one_is_retaken_with_the_same_nonce(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    await registered(core)
    clock.now = START - timedelta(days=7)
    [due] = await due_letters(core.outbox.store, clock())
    assert [letter.id for letter in await core.outbox.store.take(clock())] == [due.id]
    assert await core.outbox.store.take(clock()) == []  # another worker cannot take it
    assert await core.scheduler.run_due() == 0  # claimed rows are not due for anyone else
    clock.advance(seconds=LEASE.total_seconds() + 1)  # the claimer "crashed" before marking
    assert await core.scheduler.run_due() == 1
    assert notifier.sent[0][1] == f"ob-{due.id}"


async def test_a_worker_stalled_past_its_lease_leaves_the_row_to_the_one_that_took_it_over(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    """Its send goes out again with the same nonce (one message); what follows a delivery happens once."""
    followed: list[int] = []

    async def render(letter: Letter, zone: ZoneInfo) -> Outgoing:
        return Outgoing(content="Rappel")

    async def after(letter: Letter, status: Status, unreachable: bool) -> None:
        followed.append(letter.id)

    core.outbox.register("test", Kind(render, after))
    await core.outbox.store.put("test", Target.dm, 1)
    [stalled] = await core.outbox.store.take(clock())
    clock.advance(seconds=LEASE.total_seconds() + 1)
    assert await core.scheduler.run_due() == 1  # another worker takes it over and delivers it
    assert await core.outbox.deliver(stalled) is Status.sent  # the stalled send ends at last
    assert [nonce for _, nonce, _ in notifier.sent] == [stalled.nonce] * 2
    assert followed == [stalled.id]
    assert await core.outbox.store.counts("test") == {"sent": 1}


async def test_a_reminder_whose_event_began_while_away_is_marked_missed(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    await registered(core)
    clock.now = START + timedelta(minutes=5)
    await core.scheduler.run_due()
    assert notifier.sent == []
    assert await reminder_counts(core) == {"missed": 3}


async def test_closed_dms_stop_the_reminders_of_that_registration(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    await registered(core)
    notifier.answer = Delivery.CLOSED
    clock.now = START - timedelta(days=7)
    await core.scheduler.run_due()
    assert await reminder_counts(core) == {"undeliverable": 1, "cancelled": 2}
    row = await core.db.fetchone("SELECT dm_closed FROM registrations")
    assert row is not None and row["dm_closed"] == 1
    reason = await core.db.fetchone("SELECT reason FROM outbox WHERE status = 'undeliverable'")
    assert reason is not None and "fermés" in reason["reason"]


async def test_a_failing_send_is_retried_with_backoff_a_bounded_number_of_times(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    await registered(core)
    notifier.answer = Delivery.FAILED
    clock.now = START - timedelta(days=7)
    await core.scheduler.run_due()
    waits = []
    for _ in range(MAX_ATTEMPTS + 3):
        row = await core.db.fetchone(
            "SELECT due_at FROM outbox WHERE status = 'pending' AND attempts > 0 ORDER BY due_at LIMIT 1"
        )
        if row is None:
            break
        waits.append(row["due_at"])
        clock.now = max(clock.now, datetime.fromisoformat(row["due_at"]))
        await core.scheduler.run_due()
    assert len(waits) == MAX_ATTEMPTS - 1
    gaps = [datetime.fromisoformat(b) - datetime.fromisoformat(a) for a, b in itertools.pairwise(waits)]
    assert gaps == sorted(gaps) and gaps[0] < gaps[-1]  # each wait longer than the last
    counts = await reminder_counts(core)
    assert counts.get("undeliverable") == 1
    notifier.answer = Delivery.SENT
    await core.scheduler.run_due()
    assert notifier.sent == []  # the failed one is not retried forever


async def test_moving_the_event_moves_its_reminders_and_tells_the_registrants(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    event_id = await registered(core)
    clock.now = START - timedelta(days=7)
    await core.scheduler.run_due()
    later = START + timedelta(days=14)
    await core.events.update(event_id, EventChanges(starts_at=later), by=ORGANISER)
    await core.scheduler.run_due()
    assert "a changé" in notifier.sent[-1][2].content
    clock.now = later - timedelta(days=7)
    assert await core.scheduler.run_due() == 1  # the 7-day reminder again, for the new date
    await core.events.cancel(event_id, "Annulé", by=ORGANISER)
    await core.scheduler.run_due()
    assert "annulé" in notifier.sent[-1][2].content
    clock.now = later - timedelta(hours=2)
    sent = len(notifier.sent)
    await core.scheduler.run_due()
    assert len(notifier.sent) == sent
    assert (await reminder_counts(core)).get("pending", 0) == 0


async def test_next_due_skips_a_claim_until_its_lease_ends(core: Core, clock: ManualDateClock) -> None:
    await registered(core)
    clock.now = START - timedelta(days=7)
    [due] = await core.outbox.store.take(clock())
    # A stuck claim must not make the scheduler spin on it: it is "due" again when its lease ends.
    assert await core.outbox.store.next_due() == clock() + LEASE
    await core.db.execute("UPDATE outbox SET status = 'sent', claimed_at = NULL WHERE id = ?", (due.id,))
    assert await core.outbox.store.next_due() == START - timedelta(days=1)


async def test_only_the_organiser_and_the_servers_moderators_manage_an_event(core: Core) -> None:
    event_id = await registered(core)  # organised by member 9 on server 1
    refused = [
        Manager(user_id=5, guild_id=1, organiser=True, moderator=False),  # another organiser
        Manager(user_id=5, guild_id=2, organiser=True, moderator=True),  # a moderator of another server
        Manager(user_id=9, guild_id=1, organiser=False, moderator=False),  # no longer an organiser
    ]
    for who in refused:
        with pytest.raises(UserError, match="Seuls l'organisateur"):
            await core.events.update(event_id, EventChanges(title="Autre titre"), by=who)
        with pytest.raises(UserError):
            await core.events.cancel(event_id, "Pour voir", by=who)
    event = await core.events.store.must_get(event_id)
    assert (event.title, event.cancelled) == ("JPO des Hirondelles", False)
    moderator = Manager(user_id=5, guild_id=1, organiser=False, moderator=True)
    later = START + timedelta(days=1)
    moved, _ = await core.events.update(event_id, EventChanges(starts_at=later), by=moderator)
    assert (moved.starts_at, moved.ends_at) == (later, later + timedelta(hours=3))  # a new start keeps the length


# ---------------------------------------------------------------------- the event's card

ANNOUNCE_CHANNEL = 77


async def announced(core: Core, capacity: int = 3) -> int:
    await core.guild_settings.update(1, announce_channel_id=ANNOUNCE_CHANNEL)
    [event] = await core.events.create(
        EventDraft(
            guild_id=1, kind=EventKind.jpo, title="JPO des Hirondelles", starts_at=START,
            ends_at=START + timedelta(hours=3), code_insee="63113", organiser_id=9, capacity=capacity,
        )
    )  # fmt: skip
    return event.id


async def test_the_card_is_posted_by_the_ledger_and_a_burst_of_registrations_rewrites_it_once(
    core: Core, notifier: RecordingNotifier
) -> None:
    event_id = await announced(core)
    assert notifier.sent == []  # written with the event; sent by the scheduler
    await core.scheduler.run_due()
    [(channel, nonce, posted)] = notifier.sent
    assert (channel, nonce[:3]) == (ANNOUNCE_CHANNEL, "ob-")
    assert [b.custom_id for b in posted.buttons] == [f"evt:inscrire:{event_id}", f"evt:interesse:{event_id}"]
    assert (await core.events.store.must_get(event_id)).announce_message_id == 1001
    for user in (1, 2, 3, 4):
        await core.events.register(event_id, user_id=user, seats=1)
    assert await core.outbox.store.counts(CARD) == {"pending": 1, "cancelled": 3}
    await core.scheduler.run_due()
    [(_, nonce, rewritten)] = notifier.sent[1:]
    assert (nonce, rewritten.rewrites) == ("edit:1001", 1001)
    assert "Places : 0 place libre sur 3 · 1 en attente" in rewritten.lines


async def test_a_change_that_comes_before_its_card_is_caught_up_once_the_card_exists(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    event_id = await announced(core)
    notifier.answer = Delivery.FAILED
    await core.scheduler.run_due()  # the post fails: tried again later
    notifier.answer = Delivery.SENT
    await core.events.register(event_id, user_id=1, seats=1)
    await core.scheduler.run_due()
    assert notifier.sent == []  # the rewrite had no card to rewrite: put aside
    clock.advance(seconds=FIRST_RETRY.total_seconds())
    await core.scheduler.run_due()
    assert [nonce for _, nonce, _ in notifier.sent] == [notifier.sent[0][1], "edit:1001"]
    assert "Places : 2 places libres sur 3" in notifier.sent[-1][2].lines


async def test_a_card_that_could_not_be_posted_is_not_rewritten(core: Core, notifier: RecordingNotifier) -> None:
    event_id = await announced(core)
    notifier.answer = Delivery.CLOSED  # the announcement channel was deleted
    await core.scheduler.run_due()
    notifier.answer = Delivery.SENT
    await core.events.register(event_id, user_id=1, seats=1)
    await core.scheduler.run_due()
    assert notifier.sent == []
    assert await core.outbox.store.counts(CARD) == {}
    assert (await core.events.store.must_get(event_id)).announce_channel_id is None


async def test_an_event_cancelled_before_its_card_went_out_is_not_announced(
    core: Core, notifier: RecordingNotifier
) -> None:
    event_id = await announced(core)
    await core.events.cancel(event_id, "Tempête", by=ORGANISER)
    await core.scheduler.run_due()
    assert notifier.sent == []
    assert await core.outbox.store.counts(POSTED) == {"cancelled": 1}


# ---------------------------------------------------------------------- announcements


async def schedule(
    core: Core, frequency: Frequency, first: datetime, weekdays: frozenset[int] | None = None, role: int | None = None
) -> int:
    created = await core.announcements.schedule(
        guild_id=1, channel_id=50, author_id=9, content="Plénière ce soir !", role_id=role, frequency=frequency,
        first=first, weekdays=weekdays,
    )  # fmt: skip
    return created.id


async def test_a_one_off_announcement_is_posted_once(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    first = datetime(2027, 4, 2, 7, 0, tzinfo=UTC)
    announcement_id = await schedule(core, Frequency.once, first)
    clock.now = first
    assert await core.scheduler.run_due() == 1
    clock.advance(days=1)
    assert await core.scheduler.run_due() == 0
    found = await core.announcements.store.get(announcement_id)
    assert found is not None and not found.active and found.sent_count == 1
    assert [channel for channel, _, _ in notifier.sent] == [50]


async def test_a_weekly_announcement_keeps_its_local_time_across_the_clock_change(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    clock.now = datetime(2027, 3, 20, 9, 0, tzinfo=UTC)
    first = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)  # Monday 09:00, winter time
    announcement_id = await schedule(core, Frequency.weekly, first, frozenset({0}))
    for expected in (first, datetime(2027, 3, 29, 7, 0, tzinfo=UTC)):  # 09:00 summer time
        clock.now = expected
        assert await core.scheduler.run_due() == 1
    found = await core.announcements.store.get(announcement_id)
    assert found is not None and found.next_at == datetime(2027, 4, 5, 7, 0, tzinfo=UTC)
    nonces = [nonce for _, nonce, _ in notifier.sent]
    assert len(set(nonces)) == 2


async def test_a_late_recurring_occurrence_is_skipped_not_posted(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    await schedule(core, Frequency.daily, datetime(2027, 4, 2, 7, 0, tzinfo=UTC))
    clock.now = datetime(2027, 4, 4, 12, 0, tzinfo=UTC)  # the bot was down for two days
    await core.scheduler.run_due()
    assert notifier.sent == []
    clock.now = datetime(2027, 4, 5, 7, 0, tzinfo=UTC)
    await core.scheduler.run_due()
    assert len(notifier.sent) == 1


async def test_an_announcement_to_a_vanished_channel_is_suspended(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    announcement_id = await schedule(core, Frequency.daily, datetime(2027, 4, 2, 7, 0, tzinfo=UTC))
    notifier.answer = Delivery.CLOSED
    clock.now = datetime(2027, 4, 2, 7, 0, tzinfo=UTC)
    await core.scheduler.run_due()
    found = await core.announcements.store.get(announcement_id)
    assert found is not None and not found.active and found.next_at is None


async def test_a_stopped_announcement_is_not_posted(
    core: Core, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    announcement_id = await schedule(core, Frequency.daily, datetime(2027, 4, 2, 7, 0, tzinfo=UTC))
    await core.announcements.cancel(announcement_id, 1)
    clock.now = datetime(2027, 4, 2, 7, 0, tzinfo=UTC)
    await core.scheduler.run_due()
    assert notifier.sent == []
    with pytest.raises(UserError):
        await core.announcements.cancel(announcement_id, 1)


async def test_an_announcement_in_the_past_is_refused(core: Core, clock: ManualDateClock) -> None:
    with pytest.raises(UserError):
        await schedule(core, Frequency.once, clock() - timedelta(days=1))


# ---------------------------------------------------------------------- an announcement's rule

NAMES = {day: [n for name in names for n in (name, name[:3], name[:3] + ".")] for day, names in DAY_NAMES.items()}


@given(data=st.data(), days=st.sets(st.integers(0, 6), min_size=1))
def test_weekdays_are_read_in_either_language_and_any_case(data: st.DataObject, days: set[int]) -> None:
    words = [data.draw(st.sampled_from(NAMES[day])) for day in sorted(days)]
    cased = [word.upper() if data.draw(st.booleans()) else word for word in words]
    separators = data.draw(st.lists(st.sampled_from([" ", ", ", " et ", " and ", ";", "/"]), min_size=len(days)))
    text = "".join(word + separator for word, separator in zip(cased, separators, strict=False))
    assert parse_weekdays(text) == frozenset(days)


@given(st.text(max_size=80))
def test_any_text_gives_days_or_a_clear_refusal(text: str) -> None:
    try:
        days = parse_weekdays(text)
    except UserError as refused:
        assert refused.message.startswith(("Je ne reconnais pas le jour", "Indiquez les jours"))
        return
    assert days and days <= set(range(7))


def test_a_typo_is_refused_rather_than_a_day_left_out() -> None:
    with pytest.raises(UserError) as refused:
        parse_weekdays("lundi jeudj")
    assert refused.value.params == {"jour": "jeudj"}


@given(
    day=st.dates(min_value=date(2027, 1, 1), max_value=date(2028, 12, 31)),
    at=st.times(min_value=time(6), max_value=time(22)),  # the night hour skipped in spring is another test's
    days=st.sets(st.integers(0, 6), min_size=1),
)
def test_a_weekly_announcement_starts_on_the_first_chosen_day_at_the_time_asked(
    day: date, at: time, days: set[int]
) -> None:
    local = datetime.combine(day, at.replace(second=0, microsecond=0), tzinfo=PARIS)
    first = local.astimezone(UTC)
    rule, actual = rule_for(Frequency.weekly, first, PARIS, frozenset(days))
    shown = actual.astimezone(PARIS)
    assert shown.weekday() in days and (shown.hour, shown.minute) == (local.hour, local.minute)
    assert first <= actual and (shown.date() - local.date()).days < 7
    skipped = [local.date() + timedelta(days=n) for n in range((shown.date() - local.date()).days)]
    assert not any(day.weekday() in days for day in skipped)  # no chosen day left out before it
    assert rule.next_after(actual - timedelta(minutes=1)) == actual


def test_days_belong_to_a_weekly_announcement_only() -> None:
    with pytest.raises(UserError, match="chaque semaine"):
        rule_for(Frequency.daily, START, PARIS, frozenset({0}))
