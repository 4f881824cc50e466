"""Organisers' figures for one event: registrations week by week, seats and waiting list, the interested
(counted on the event itself), attendance
(bot/events/checkin.py), and where the registrants' households live when their introduction says it
(bot/households/: a commune, so a région). Numbers only; pictures come with bot/pictures/."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.clock import from_db
from bot.db import Database
from bot.errors import UserError
from bot.events.checkin import Attendance, CheckinStore
from bot.events.models import Event, Manager, RegistrationStatus
from bot.events.store import EventStore
from bot.geo import Geography

MAX_WEEKS = 12  # the last weeks shown; earlier registrations are summed into the first line


@dataclass(frozen=True)
class EventStats:
    event: Event
    weeks: tuple[tuple[date, int], ...]  # each week's Monday and the registrations made that week
    seated: int  # households with seats, and their people
    seated_people: int
    waiting: int
    waiting_people: int
    attendance: Attendance
    regions: tuple[tuple[str, int], ...]  # région name, registrants' households living there; most first
    unknown_region: int  # registrants without a household introduction naming a commune


class StatsStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def registrations(self, event_id: int) -> list[tuple[datetime, str, int, str | None]]:
        """The event's own registrations: when, status, seats, and the registrant's household commune."""
        rows = await self.db.fetchall(
            "SELECT r.created_at, r.status, r.seats, h.code_insee FROM registrations r"
            " LEFT JOIN household_profiles h ON h.user_id = r.user_id"
            " WHERE r.event_id = ? AND r.session_id IS NULL ORDER BY r.created_at",
            (event_id,),
        )
        return [(from_db(row["created_at"]), row["status"], row["seats"], row["code_insee"]) for row in rows]


def weekly(moments: list[datetime], *, last: int = MAX_WEEKS) -> tuple[tuple[date, int], ...]:
    """Counts per week (Monday to Sunday, UTC), empty weeks included; the weeks before the `last` ones
    are added to the first shown."""
    if not moments:
        return ()
    monday = [(m.date() - timedelta(days=m.weekday())) for m in moments]
    first, end = min(monday), max(monday)
    weeks = [first + timedelta(weeks=i) for i in range((end - first).days // 7 + 1)]
    counts = Counter(monday)
    shown, hidden = weeks[-last:], weeks[:-last]
    earlier = sum(counts[w] for w in hidden)
    return tuple((week, counts[week] + (earlier if i == 0 else 0)) for i, week in enumerate(shown))


class StatsService:
    def __init__(self, store: StatsStore, events: EventStore, checkins: CheckinStore, geo: Geography) -> None:
        self.store = store
        self.events = events
        self.checkins = checkins
        self.geo = geo

    async def of_event(self, event_id: int, *, by: Manager) -> EventStats:
        event = await self.events.must_get(event_id)
        if not by.may_manage(event):
            raise UserError("Seuls l'organisateur de l'événement et les modérateurs du serveur peuvent le gérer.")
        rows = await self.store.registrations(event_id)
        seated = [r for r in rows if r[1] == RegistrationStatus.confirmed.value]
        waiting = [r for r in rows if r[1] == RegistrationStatus.waiting.value]
        regions: Counter[str] = Counter()
        unknown = 0
        for _, _, _, insee in rows:
            commune = self.geo.commune(insee) if insee else None
            if commune is None:
                unknown += 1
                continue
            regions[self._region_name(commune.region)] += 1
        return EventStats(
            event=event,
            weeks=weekly([r[0] for r in rows]),
            seated=len(seated),
            seated_people=sum(r[2] for r in seated),
            waiting=len(waiting),
            waiting_people=sum(r[2] for r in waiting),
            attendance=await self.checkins.attendance(event_id),
            regions=tuple(sorted(regions.items(), key=lambda item: (-item[1], item[0]))),
            unknown_region=unknown,
        )

    def _region_name(self, code: str) -> str:
        try:
            return self.geo.region(code).nom
        except UserError:  # a code the reference data lacks: shown as is rather than lost
            return code
