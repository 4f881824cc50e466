"""Reminders and scheduled announcements: what is due when, and delivery exactly once."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.announcements.service import AnnouncementService
from bot.announcements.store import AnnouncementStore
from bot.db import Database
from bot.events.models import EventDraft
from bot.events.reminders import ReminderPolicy, ReminderService, ReminderStore
from bot.events.store import EventStore
from bot.geo import geography
from bot.notify import Delivery, Outgoing
from bot.outbox import LEASE, MAX_ATTEMPTS
from bot.recurrence import Frequency, Rule
from bot.vocabulary import EventKind
from tests.support import ManualDateClock

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2027, 4, 10, 12, 0, tzinfo=UTC)  # Saturday 14:00 in Paris
DAY, TWO_HOURS = 24 * 60, 120


class RecordingNotifier:
    """The one stand-in: the core's deliveries, recorded instead of reaching Discord."""

    def __init__(self) -> None:
        self.sent: list[tuple[int, str, Outgoing]] = []
        self.answer = Delivery.SENT

    async def dm(self, user_id: int, message: Outgoing, *, nonce: str) -> Delivery:
        if self.answer is Delivery.SENT:
            self.sent.append((user_id, nonce, message))
        return self.answer

    async def post(
        self, channel_id: int, message: Outgoing, *, nonce: str, mention_role_id: int | None = None
    ) -> Delivery:
        if self.answer is Delivery.SENT:
            self.sent.append((channel_id, nonce, message))
        return self.answer

    async def close_thread(self, thread_id: int, message: Outgoing) -> Delivery:
        return await self.post(thread_id, message, nonce="")


@pytest.fixture
def clock(db: Database) -> ManualDateClock:
    manual = ManualDateClock(datetime(2027, 4, 1, 9, 0, tzinfo=UTC))
    db.clock = manual
    return manual


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def reminders(db: Database) -> ReminderStore:
    return ReminderStore(db)


@pytest.fixture
def events(db: Database, reminders: ReminderStore) -> EventStore:
    return EventStore(db, geography(), reminders)


@pytest.fixture
def service(reminders: ReminderStore, notifier: RecordingNotifier, clock: ManualDateClock) -> ReminderService:
    return ReminderService(reminders, notifier, clock)


POLICY = ReminderPolicy(offsets=(7 * DAY, DAY, TWO_HOURS), zone=PARIS)


async def registered(events: EventStore, *, starts_at: datetime = START, user_id: int = 1, remind: bool = True) -> int:
    [event] = await events.create(
        EventDraft(
            guild_id=1,
            kind=EventKind.jpo,
            title="JPO des Hirondelles",
            starts_at=starts_at,
            ends_at=starts_at + timedelta(hours=3),
            code_insee="63113",
            organiser_id=9,
        ),
        [(starts_at, starts_at + timedelta(hours=3))],
    )
    await events.register(event.id, user_id=user_id, seats=1, remind=remind, policy=POLICY)
    return event.id


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


async def test_registration_schedules_the_future_offsets_only(
    events: EventStore, reminders: ReminderStore, clock: ManualDateClock
) -> None:
    clock.now = START - timedelta(days=3)  # the 7-day reminder is already past
    await registered(events)
    rows = await reminders.db.fetchall("SELECT offset_minutes FROM reminders ORDER BY offset_minutes DESC")
    assert [r["offset_minutes"] for r in rows] == [DAY, TWO_HOURS]


async def test_no_reminders_when_the_member_says_so(events: EventStore, reminders: ReminderStore) -> None:
    await registered(events, remind=False)
    assert await reminders.db.fetchall("SELECT * FROM reminders") == []


# ---------------------------------------------------------------------- exactly once


async def test_each_reminder_goes_out_once_at_its_time(
    events: EventStore, service: ReminderService, notifier: RecordingNotifier, clock: ManualDateClock
) -> None:
    await registered(events)
    assert await service.run_due() == 0
    clock.now = START - timedelta(days=7)
    assert await service.run_due() == 1
    assert await service.run_due() == 0
    clock.now = START - timedelta(hours=2)
    assert await service.run_due() == 2  # the 1-day one (late, the bot was "asleep") and the 2-hour one
    user, nonce, message = notifier.sent[0]
    assert user == 1 and nonce.startswith("rappel-")
    assert "JPO des Hirondelles" in message.content
    assert any("Clermont-Ferrand" in line for line in message.lines)
    assert message.buttons[0].custom_id.startswith("evt:quitter:")
    assert len({n for _, n, _ in notifier.sent}) == 3


async def test_a_claim_is_exclusive_and_a_crashed_one_is_retaken_with_the_same_nonce(
    events: EventStore, reminders: ReminderStore, service: ReminderService, notifier: RecordingNotifier,
    clock: ManualDateClock,
) -> None:  # fmt: skip
    await registered(events)
    clock.now = START - timedelta(days=7)
    [due] = await reminders.due(clock())
    assert await reminders.claim(due.id, clock())
    assert not await reminders.claim(due.id, clock())  # another worker cannot take it
    assert await service.run_due() == 0  # claimed rows are not due for anyone else
    clock.advance(seconds=LEASE.total_seconds() + 1)  # the claimer "crashed" before marking
    assert await service.run_due() == 1
    assert notifier.sent[0][1] == f"rappel-{due.id}"


async def test_a_reminder_whose_event_began_while_away_is_marked_missed(
    events: EventStore, reminders: ReminderStore, service: ReminderService, notifier: RecordingNotifier,
    clock: ManualDateClock,
) -> None:  # fmt: skip
    await registered(events)
    clock.now = START + timedelta(minutes=5)
    assert await service.run_due() == 0
    assert notifier.sent == []
    assert await reminders.counts() == {"manque": 3}


async def test_closed_dms_stop_the_reminders_of_that_registration(
    events: EventStore, reminders: ReminderStore, service: ReminderService, notifier: RecordingNotifier,
    clock: ManualDateClock,
) -> None:  # fmt: skip
    await registered(events)
    notifier.answer = Delivery.CLOSED
    clock.now = START - timedelta(days=7)
    await service.run_due()
    assert await reminders.counts() == {"echec": 1, "annule": 2}
    row = await reminders.db.fetchone("SELECT dm_closed FROM registrations")
    assert row is not None and row["dm_closed"] == 1


async def test_a_failing_send_is_retried_a_bounded_number_of_times(
    events: EventStore, reminders: ReminderStore, service: ReminderService, notifier: RecordingNotifier,
    clock: ManualDateClock,
) -> None:  # fmt: skip
    await registered(events)
    notifier.answer = Delivery.FAILED
    clock.now = START - timedelta(days=7)
    for _ in range(MAX_ATTEMPTS + 3):
        await service.run_due()
        clock.advance(minutes=2)
    counts = await reminders.counts()
    assert counts.get("echec") == 1
    notifier.answer = Delivery.SENT
    await service.run_due()
    assert notifier.sent == []  # the failed one is not retried forever


async def test_moving_the_event_moves_its_reminders(
    events: EventStore, reminders: ReminderStore, service: ReminderService, notifier: RecordingNotifier,
    clock: ManualDateClock,
) -> None:  # fmt: skip
    event_id = await registered(events)
    clock.now = START - timedelta(days=7)
    await service.run_due()
    later = START + timedelta(days=14)
    await events.update(event_id, POLICY, starts_at=later, ends_at=later + timedelta(hours=3))
    clock.now = later - timedelta(days=7)
    assert await service.run_due() == 1  # the 7-day reminder again, for the new date
    await events.cancel(event_id, "Annulé")
    clock.now = later - timedelta(hours=2)
    assert await service.run_due() == 0
    assert (await reminders.counts()).get("annule") == 2


async def test_next_due_skips_a_claim_until_its_lease_ends(
    events: EventStore, reminders: ReminderStore, clock: ManualDateClock
) -> None:
    await registered(events)
    clock.now = START - timedelta(days=7)
    [due] = await reminders.due(clock())
    await reminders.claim(due.id, clock())
    # A stuck claim must not make the scheduler spin on it: it is "due" again when its lease ends.
    assert await reminders.next_due() == clock() + LEASE
    await reminders.db.execute("UPDATE reminders SET status = 'envoye', claimed_at = NULL WHERE id = ?", (due.id,))
    assert await reminders.next_due() == START - timedelta(days=1)


# ---------------------------------------------------------------------- announcements


@pytest.fixture
def announcements(db: Database) -> AnnouncementStore:
    return AnnouncementStore(db)


@pytest.fixture
def announcer(
    announcements: AnnouncementStore, notifier: RecordingNotifier, clock: ManualDateClock
) -> AnnouncementService:
    return AnnouncementService(announcements, notifier, clock)


async def schedule(announcements: AnnouncementStore, rule: Rule, first: datetime, role: int | None = None) -> int:
    created = await announcements.create(
        guild_id=1, channel_id=50, author_id=9, content="Plénière ce soir !", role_id=role, rule=rule, first=first
    )
    return created.id


async def test_a_one_off_announcement_is_posted_once(
    announcements: AnnouncementStore,
    announcer: AnnouncementService,
    notifier: RecordingNotifier,
    clock: ManualDateClock,
) -> None:
    first = datetime(2027, 4, 2, 7, 0, tzinfo=UTC)
    announcement_id = await schedule(announcements, Rule(Frequency.once, time(9), PARIS, date(2027, 4, 2)), first)
    clock.now = first
    assert await announcer.run_due() == 1
    clock.advance(days=1)
    assert await announcer.run_due() == 0
    found = await announcements.get(announcement_id)
    assert found is not None and not found.active and found.sent_count == 1


async def test_a_weekly_announcement_keeps_its_local_time_across_the_clock_change(
    announcements: AnnouncementStore,
    announcer: AnnouncementService,
    notifier: RecordingNotifier,
    clock: ManualDateClock,
) -> None:
    clock.now = datetime(2027, 3, 20, 9, 0, tzinfo=UTC)
    rule = Rule(Frequency.weekly, time(9), PARIS, date(2027, 3, 22), weekdays=frozenset({0}))
    first = datetime(2027, 3, 22, 8, 0, tzinfo=UTC)  # Monday 09:00, winter time
    announcement_id = await schedule(announcements, rule, first)
    for expected in (first, datetime(2027, 3, 29, 7, 0, tzinfo=UTC)):  # 09:00 summer time
        clock.now = expected
        assert await announcer.run_due() == 1
    found = await announcements.get(announcement_id)
    assert found is not None and found.next_at == datetime(2027, 4, 5, 7, 0, tzinfo=UTC)
    nonces = [nonce for _, nonce, _ in notifier.sent]
    assert len(set(nonces)) == 2


async def test_a_late_recurring_occurrence_is_skipped_not_posted(
    announcements: AnnouncementStore,
    announcer: AnnouncementService,
    notifier: RecordingNotifier,
    clock: ManualDateClock,
) -> None:
    rule = Rule(Frequency.daily, time(9), PARIS, date(2027, 4, 2))
    await schedule(announcements, rule, datetime(2027, 4, 2, 7, 0, tzinfo=UTC))
    clock.now = datetime(2027, 4, 4, 12, 0, tzinfo=UTC)  # the bot was down for two days
    assert await announcer.run_due() == 0
    clock.now = datetime(2027, 4, 5, 7, 0, tzinfo=UTC)
    assert await announcer.run_due() == 1


async def test_an_announcement_to_a_vanished_channel_is_suspended(
    announcements: AnnouncementStore,
    announcer: AnnouncementService,
    notifier: RecordingNotifier,
    clock: ManualDateClock,
) -> None:
    rule = Rule(Frequency.daily, time(9), PARIS, date(2027, 4, 2))
    announcement_id = await schedule(announcements, rule, datetime(2027, 4, 2, 7, 0, tzinfo=UTC))
    notifier.answer = Delivery.CLOSED
    clock.now = datetime(2027, 4, 2, 7, 0, tzinfo=UTC)
    await announcer.run_due()
    found = await announcements.get(announcement_id)
    assert found is not None and not found.active


async def test_an_announcement_in_the_past_is_refused(announcements: AnnouncementStore, clock: ManualDateClock) -> None:
    from bot.errors import UserError

    with pytest.raises(UserError):
        await schedule(
            announcements, Rule(Frequency.once, time(9), PARIS, date(2027, 3, 1)), clock() - timedelta(days=1)
        )
