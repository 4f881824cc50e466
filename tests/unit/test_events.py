"""Events, registrations and waiting lists: the store's rules on a real SQLite file."""

from __future__ import annotations

import asyncio
import contextlib
import random
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.db import Database
from bot.errors import UserError
from bot.events.models import EventDraft, EventFilters, SessionDraft
from bot.events.store import EventStore
from bot.geo import geography
from bot.vocabulary import EventKind
from tests.support import ManualDateClock

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2027, 4, 10, 12, 0, tzinfo=UTC)  # a Saturday, 14:00 in Paris


@pytest.fixture
def events(db: Database, clock: ManualDateClock) -> EventStore:
    return EventStore(db, geography())


def draft(capacity: int | None = None, **fields: object) -> EventDraft:
    values: dict[str, object] = {
        "guild_id": 1,
        "kind": EventKind.jpo,
        "title": "Portes ouvertes des Hirondelles",
        "starts_at": START,
        "ends_at": START + timedelta(hours=3),
        "code_insee": "63113",
        "capacity": capacity,
        "organiser_id": 99,
    }
    return EventDraft.model_validate(values | fields)


async def one(events: EventStore, capacity: int | None = None, **fields: object) -> int:
    [event] = await events.create(draft(capacity, **fields), [(START, START + timedelta(hours=3))])
    return event.id


async def statuses(events: EventStore, event_id: int) -> list[tuple[int | None, str, int]]:
    return [(r.user_id, r.status, r.seats) for r in await events.participants(event_id)]


async def test_a_household_takes_as_many_seats_as_it_has_people(events: EventStore) -> None:
    event_id = await one(events, capacity=5)
    outcome = await events.register(event_id, user_id=1, seats=3)
    assert outcome.created and outcome.position is None
    event = await events.must_get(event_id)
    assert (event.seats_taken, event.seats_left) == (3, 2)


async def test_when_full_the_next_waits_and_knows_its_place(events: EventStore) -> None:
    event_id = await one(events, capacity=4)
    await events.register(event_id, user_id=1, seats=3)
    second = await events.register(event_id, user_id=2, seats=2)
    third = await events.register(event_id, user_id=3, seats=1)
    assert (second.registration and second.registration.waiting, second.position) == (True, 1)
    # The seat left goes to the first household that fits: the one waiting cannot use it.
    assert (third.registration and third.registration.waiting, third.position) == (False, None)


async def test_a_household_larger_than_the_whole_event_is_refused_at_once(events: EventStore) -> None:
    event_id = await one(events, capacity=2)
    with pytest.raises(UserError) as refused:
        await events.register(event_id, user_id=1, seats=3)
    assert refused.value.params["capacite"] == 2
    alone = await events.register(event_id, user_id=2, seats=1)
    assert alone.registration is not None and not alone.registration.waiting  # nobody blocks the line
    assert await statuses(events, event_id) == [(2, "inscrit", 1)]


async def test_a_freed_seat_goes_to_the_first_household_that_fits_and_the_larger_keeps_its_place(
    events: EventStore,
) -> None:
    event_id = await one(events, capacity=4)
    first = await events.register(event_id, user_id=1, seats=2)
    await events.register(event_id, user_id=2, seats=2)
    await events.register(event_id, user_id=3, seats=3)  # waits, n° 1
    await events.register(event_id, user_id=4, seats=2)  # waits, n° 2
    assert first.registration is not None
    promoted = await events.unregister(first.registration.id)  # 2 seats free: 3 do not fit, 2 do
    assert [r.user_id for r in promoted] == [4]
    waiting = [r for r in await events.participants(event_id) if r.waiting]
    assert [r.user_id for r in waiting] == [3]
    assert await events.registration_of(event_id, 3) is not None


async def test_registering_twice_updates_and_never_duplicates(events: EventStore) -> None:
    event_id = await one(events, capacity=10)
    await events.register(event_id, user_id=1, seats=2)
    again = await events.register(event_id, user_id=1, seats=4)
    assert not again.created
    assert await statuses(events, event_id) == [(1, "inscrit", 4)]


async def test_growing_beyond_the_capacity_keeps_the_old_registration(events: EventStore) -> None:
    event_id = await one(events, capacity=3)
    await events.register(event_id, user_id=1, seats=2)
    await events.register(event_id, user_id=2, seats=1)
    with pytest.raises(UserError):
        await events.register(event_id, user_id=1, seats=3)
    assert await statuses(events, event_id) == [(1, "inscrit", 2), (2, "inscrit", 1)]


async def test_leaving_moves_the_waiting_list_up_in_order(events: EventStore) -> None:
    event_id = await one(events, capacity=3)
    first = await events.register(event_id, user_id=1, seats=3)
    await events.register(event_id, user_id=2, seats=2)
    await events.register(event_id, user_id=3, seats=1)
    await events.register(event_id, user_id=4, seats=3)
    assert first.registration is not None
    promoted = await events.unregister(first.registration.id)
    assert [r.user_id for r in promoted] == [2, 3]
    assert await statuses(events, event_id) == [(2, "inscrit", 2), (3, "inscrit", 1), (4, "attente", 3)]


async def test_raising_the_capacity_promotes(events: EventStore) -> None:
    event_id = await one(events, capacity=2)
    await events.register(event_id, user_id=1, seats=1)
    await events.register(event_id, user_id=2, seats=2)
    _, promoted = await events.update(event_id, capacity=3)
    assert [r.user_id for r in promoted] == [2]
    with pytest.raises(UserError):
        await events.update(event_id, capacity=2)


async def test_an_organiser_registers_a_guest_without_discord(events: EventStore) -> None:
    event_id = await one(events, capacity=5)
    outcome = await events.register(event_id, guest_name="Jeanne Martin", seats=1, registered_by=99)
    assert outcome.registration is not None
    assert (outcome.registration.user_id, outcome.registration.guest_name) == (None, "Jeanne Martin")


async def test_sessions_have_their_own_seats(events: EventStore) -> None:
    event_id = await one(events, capacity=100)
    workshop = SessionDraft(
        title="Atelier foncier", starts_at=START, ends_at=START + timedelta(hours=1), place="Salle B", capacity=1
    )
    session = await events.add_session(event_id, workshop)
    await events.register(event_id, user_id=1, seats=1, session_id=session.id)
    waiting = await events.register(event_id, user_id=2, seats=1, session_id=session.id)
    main = await events.register(event_id, user_id=2, seats=1)
    assert waiting.registration is not None and waiting.registration.waiting
    assert main.registration is not None and not main.registration.waiting
    with pytest.raises(UserError):
        await events.add_session(
            event_id, SessionDraft(title="Hors horaires", starts_at=START - timedelta(hours=2), ends_at=START)
        )


async def test_cancelled_and_finished_events_refuse_registrations(events: EventStore, clock: ManualDateClock) -> None:
    event_id = await one(events)
    await events.register(event_id, user_id=1, seats=1)
    cancelled, registrants = await events.cancel(event_id, "Tempête")
    assert cancelled.cancelled and [r.user_id for r in registrants] == [1]
    with pytest.raises(UserError):
        await events.register(event_id, user_id=2, seats=1)
    other = await one(events, title="Plénière de printemps")
    clock.now = START + timedelta(hours=4)
    with pytest.raises(UserError):
        await events.register(other, user_id=2, seats=1)


async def test_concurrent_registrations_never_exceed_the_capacity(events: EventStore) -> None:
    event_id = await one(events, capacity=20)
    rng = random.Random(7)
    sizes = {user: rng.randint(1, 4) for user in range(1, 41)}
    await asyncio.gather(*(events.register(event_id, user_id=user, seats=n) for user, n in sizes.items()))
    event = await events.must_get(event_id)
    assert event.seats_taken <= 20
    rows = await events.participants(event_id)
    assert len(rows) == 40
    waiting = [r for r in rows if r.waiting]
    # The first waiting household did not fit when it came: nobody behind it was let in before it.
    assert waiting and event.seats_taken + waiting[0].seats > 20


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    capacity=st.integers(min_value=1, max_value=12),
    actions=st.lists(st.tuples(st.integers(1, 8), st.integers(1, 5), st.booleans()), min_size=1, max_size=25),
)
async def test_the_capacity_holds_whatever_happens(
    events: EventStore, capacity: int, actions: list[tuple[int, int, bool]]
) -> None:
    event_id = await one(events, capacity=capacity, title=f"Soirée {capacity} {len(actions)} {random.random()}")
    for user, seats, leaves in actions:
        existing = await events.registration_of(event_id, user)
        if leaves and existing is not None:
            await events.unregister(existing.id)
            continue
        # Growing past the capacity is refused; the old registration stays.
        with contextlib.suppress(UserError):
            await events.register(event_id, user_id=user, seats=seats)
        event = await events.must_get(event_id)
        assert event.seats_taken <= capacity
        rows = await events.participants(event_id)
        waiting = [r for r in rows if r.waiting]
        # The line moved as far as it could: no household still waiting fits in the seats left.
        assert all(event.seats_taken + r.seats > capacity for r in waiting)


async def test_upcoming_filters(events: EventStore, clock: ManualDateClock) -> None:
    await one(events, title="JPO à Clermont")
    await one(
        events, title="Webinaire", kind=EventKind.webinaire, code_insee=None, online_url="https://visio.exemple.org/x"
    )
    await one(events, title="Plénière à Lyon", kind=EventKind.pleniere, code_insee="69123")
    now = clock()

    async def titles(**filters: object) -> list[str]:
        return sorted(e.title for e in await events.upcoming(EventFilters(**filters), now))  # type: ignore[arg-type]

    assert await titles(kind=EventKind.jpo) == ["JPO à Clermont"]
    assert await titles(online=True) == ["Webinaire"]
    assert await titles(departement="69") == ["Plénière à Lyon"]
    assert await titles(departements=("03", "15", "43", "63")) == ["JPO à Clermont"]
    clermont = geography().commune("63113")
    assert clermont is not None and clermont.lat is not None and clermont.lon is not None
    assert await titles(near=(clermont.lat, clermont.lon), radius_km=50) == ["JPO à Clermont"]
    assert await titles(near=(clermont.lat, clermont.lon), radius_km=200) == ["JPO à Clermont", "Plénière à Lyon"]
    assert await events.upcoming(EventFilters(), START + timedelta(days=1)) == []


def test_an_event_needs_a_place_or_a_link_and_an_end_after_its_start() -> None:
    with pytest.raises(ValueError, match="commune ou un lien"):
        draft(code_insee=None)
    with pytest.raises(ValueError, match="après le début"):
        draft(ends_at=START)
    with pytest.raises(ValueError, match="https"):
        draft(code_insee=None, online_url="visio.exemple.org")


async def test_an_address_comes_with_its_commune_and_a_map_link_built_without_the_network(events: EventStore) -> None:
    event_id = await one(events, address="5 rue de l'Église & fils")
    event = await events.must_get(event_id)
    assert event.place == "5 rue de l'Église & fils, Clermont-Ferrand (63)"
    assert event.map_url == (
        "https://www.openstreetmap.org/search?query=5+rue+de+l%27%C3%89glise+%26+fils%2C+Clermont-Ferrand"
    )
    with pytest.raises(ValueError, match="une adresse va avec sa commune"):
        draft(code_insee=None, online_url="https://visio.exemple.org", address="5 rue de l'Église")
    online = await events.must_get(await one(events, code_insee=None, online_url="https://visio.exemple.org"))
    assert (online.map_url, online.where) == (None, "")
