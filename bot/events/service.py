"""The agenda's flows, each from start to end: a change to events or registrations and the messages it
causes (reminders, promotions from the waiting list, change and cancellation notices) are written in
one transaction; the scheduler is nudged, never waited for."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.clock import Clock
from bot.dates import format_when
from bot.db import Database
from bot.errors import UserError, invalid
from bot.events import reminders
from bot.events.models import Event, EventDraft, Outcome, Registration
from bot.events.reminders import REMINDER, ReminderPolicy, reminder_message
from bot.events.store import EventStore
from bot.guild_settings import GuildSettings, GuildSettingsStore
from bot.i18n import gettext
from bot.notify import Outgoing
from bot.outbox import Kind, Letter, Outbox, Skip, Status, Target

PROMOTED = "event.promoted"
CANCELLED = "event.cancelled"
CHANGED = "event.changed"


def policy_for(settings: GuildSettings, own: tuple[int, ...] | None) -> ReminderPolicy:
    """The server's delays and quiet hours, or the member's own delays."""
    return ReminderPolicy(
        offsets=settings.reminder_offsets if own is None else own,
        zone=settings.zone,
        quiet_start=settings.quiet_start,
        quiet_end=settings.quiet_end,
    )


class EventService:
    def __init__(self, store: EventStore, settings: GuildSettingsStore, outbox: Outbox, clock: Clock) -> None:
        self.store = store
        self.db: Database = store.db
        self.settings = settings
        self.outbox = outbox
        self.clock = clock
        outbox.register(REMINDER, Kind(self._render_reminder, after=self._after_reminder))
        outbox.register(PROMOTED, Kind(self._render_notice))
        outbox.register(CANCELLED, Kind(self._render_notice))
        outbox.register(CHANGED, Kind(self._render_notice))

    # ----------------------------------------------------------------- organisers

    async def create(self, draft: EventDraft, occurrences: Sequence[tuple[datetime, datetime]]) -> list[Event]:
        return await self.store.create(draft, occurrences)

    async def update(self, event_id: int, **changes: Any) -> tuple[Event, list[Registration]]:
        """Change an event: registrants are told of a new time or place, their reminders follow the
        new time, and a larger capacity moves the waiting list up."""
        async with self.db.transaction():
            before = await self.store.must_get(event_id)
            try:
                event, promoted = await self.store.update(event_id, **changes)
            except ValidationError as error:
                raise invalid(error, EventDraft) from None
            settings = await self.settings.get(event.guild_id)
            moved = (event.starts_at, event.ends_at) != (before.starts_at, before.ends_at)
            if moved or event.place != before.place:
                for registration in await self.store.participants(event_id):
                    if registration.user_id is not None and registration.id not in {p.id for p in promoted}:
                        await self._notice(CHANGED, registration, event)
            if moved:
                for registration in await self.store.participants(event_id):
                    await self._replan(registration, event, settings)
            await self._promoted(event, promoted, settings)
        self.outbox.nudge()
        return event, promoted

    async def cancel(self, event_id: int, reason: str) -> tuple[Event, int]:
        """Cancel an event; everyone registered or waiting is told, in their language. Returns how many
        members will be told."""
        async with self.db.transaction():
            event, registrations = await self.store.cancel(event_id, reason)
            told = 0
            for registration in registrations:
                await self.outbox.store.cancel(reminders.about(registration.id), [REMINDER], reason="annulé")
                if registration.user_id is not None:
                    await self._notice(CANCELLED, registration, event)
                    told += 1
        self.outbox.nudge()
        return event, told

    # ----------------------------------------------------------------- members

    async def register(
        self,
        event_id: int,
        *,
        seats: int,
        user_id: int | None = None,
        guest_name: str | None = None,
        session_id: int | None = None,
        remind: bool = True,
        locale: str = "fr",
        registered_by: int | None = None,
    ) -> tuple[Event, Outcome]:
        async with self.db.transaction():
            outcome = await self.store.register(
                event_id,
                seats=seats,
                user_id=user_id,
                guest_name=guest_name,
                session_id=session_id,
                remind=remind,
                locale=locale,
                registered_by=registered_by,
            )
            event = await self.store.must_get(event_id)
            settings = await self.settings.get(event.guild_id)
            if outcome.registration is not None:
                await self._replan(outcome.registration, event, settings)
            await self._promoted(event, outcome.promoted, settings)
        self.outbox.nudge()
        return event, outcome

    async def unregister(self, registration_id: int, user_id: int) -> Event:
        """A member leaves; the seats go down the waiting list, and who moved up is told."""
        async with self.db.transaction():
            registration = await self.store.registration_by_id(registration_id)
            if registration is None:
                raise UserError("Cette inscription n'existe plus.")
            if registration.user_id != user_id:
                raise UserError("Ce bouton ne concerne que la personne inscrite.")
            promoted = await self.store.unregister(registration_id)
            await self.outbox.store.cancel(reminders.about(registration_id), [REMINDER], reason="désinscrit")
            event = await self.store.must_get(registration.event_id)
            await self._promoted(event, promoted, await self.settings.get(event.guild_id))
        self.outbox.nudge()
        return event

    async def set_member_offsets(self, user_id: int, offsets: tuple[int, ...] | None) -> None:
        """A member's own delays (None: the server's; (): none), applied to every coming registration."""
        async with self.db.transaction():
            await self.store.set_member_offsets(user_id, offsets)
            for registration, event in await self.store.upcoming_registrations(user_id, self.clock()):
                await self._replan(registration, event, await self.settings.get(event.guild_id))
        self.outbox.nudge()

    # ----------------------------------------------------------------- the ledger

    async def _replan(self, registration: Registration, event: Event, settings: GuildSettings) -> None:
        """A registration's pending reminders, planned again from its times and delays."""
        await self.outbox.store.cancel(reminders.about(registration.id), [REMINDER], reason="replanifié")
        if not registration.remind or registration.user_id is None:
            return
        starts_at, ends_at = await self.store.times_of(registration)
        own = await self.store.member_offsets(registration.user_id)
        rows = reminders.plan(registration, event.guild_id, starts_at, ends_at, policy_for(settings, own), self.clock())
        await self.outbox.store.put_many(rows)

    async def _promoted(self, event: Event, promoted: Sequence[Registration], settings: GuildSettings) -> None:
        for registration in promoted:
            if registration.user_id is not None:
                await self._notice(PROMOTED, registration, event)
            await self._replan(registration, event, settings)

    async def _notice(self, kind: str, registration: Registration, event: Event) -> None:
        assert registration.user_id is not None
        await self.outbox.store.put(
            kind,
            Target.dm,
            registration.user_id,
            guild_id=event.guild_id,
            locale=registration.locale,
            about=reminders.about(registration.id) if kind != CANCELLED else f"event:{event.id}",
            payload={"event": event.id, "registration": registration.id},
        )

    async def _render_notice(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        event = await self.store.get(letter.payload["event"])
        if event is None:
            raise Skip(Status.cancelled, "événement supprimé")
        locale = letter.locale
        when = format_when(event.starts_at, zone, locale)
        if letter.kind == CANCELLED:
            text = gettext(
                "❌ « {titre} » ({quand}) est annulé. Raison : {raison}",
                locale,
                titre=event.title,
                quand=when,
                raison=event.cancel_reason or "—",
            )
        elif letter.kind == PROMOTED:
            if event.cancelled:
                raise Skip(Status.cancelled, "événement annulé")
            text = gettext(
                "🎉 Une place s'est libérée : vous êtes inscrit·e à « {titre} » ({quand}).",
                locale,
                titre=event.title,
                quand=when,
            )
        else:
            if event.cancelled:
                raise Skip(Status.cancelled, "événement annulé")
            text = gettext(
                "📅 « {titre} » a changé : désormais {quand}, {lieu}.",
                locale,
                titre=event.title,
                quand=when,
                lieu=event.place,
            )
        return Outgoing(content=text)

    async def _render_reminder(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        found = await self.store.for_reminder(int(letter.subject.split(":")[1])) if letter.subject else None
        if found is None:
            raise Skip(Status.cancelled, "inscription retirée")
        registration, event, session = found
        if event.cancelled:
            raise Skip(Status.cancelled, "événement annulé")
        if (session.starts_at if session else event.starts_at) <= self.clock():
            raise Skip(Status.missed, "l'événement a commencé")  # the bot was away when it was due
        return reminder_message(registration, event, session, zone, letter.locale)

    async def _after_reminder(self, letter: Letter, status: Status, unreachable: bool) -> None:
        """Closed DMs: noted on the registration, and its other reminders are not tried."""
        if unreachable and letter.subject:
            registration_id = int(letter.subject.split(":")[1])
            await self.store.note_dm_closed(registration_id)
            await self.outbox.store.cancel(letter.subject, [REMINDER], reason="messages privés fermés")
