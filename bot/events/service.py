"""The agenda's flows, each from start to end: a change to events or registrations and the messages it
causes (the event's card and its rewrites, reminders, promotions from the waiting list, change and
cancellation notices) are written in one transaction; the scheduler is nudged, never waited for."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict, replace
from typing import Any, Unpack
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.clock import Clock
from bot.dates import discord_time
from bot.db import Database
from bot.errors import UserError, invalid
from bot.events import notices, reminders
from bot.events.card import card
from bot.events.models import (
    Event,
    EventChanges,
    EventDraft,
    EventFilters,
    Interest,
    Manager,
    Outcome,
    Registration,
    Roster,
    Session,
    SessionDraft,
    Signup,
)
from bot.events.notices import interest_about
from bot.events.reminders import INTEREST_REMINDER, REMINDER, ReminderPolicy, reminder_message
from bot.events.store import EventStore
from bot.guild_settings import GuildSettings, GuildSettingsStore
from bot.i18n import gettext
from bot.notify import Outgoing
from bot.outbox import Kind, Letter, Outbox, Skip, Status, Target, subject
from bot.recurrence import Frequency, event_occurrences
from bot.text import typed_id

POSTED = "event.announcement"  # the card, posted in the server's announcement channel
CARD = "event.card"  # the card rewritten: seats taken, a change, a workshop, the cancellation
NOT_POSTED = "carte pas encore publiée"
PROMOTED = "event.promoted"
CANCELLED = "event.cancelled"
CHANGED = "event.changed"
SERIES = 4  # dates created when a repetition is chosen without a number
# What other flows write in the transaction of an event's creation, change or cancellation (the copies
# posted on the servers that follow its server: bot/events/following.py).
Hook = Callable[[Event], Awaitable[None]]


def policy_for(settings: GuildSettings, own: tuple[int, ...] | None) -> ReminderPolicy:
    """The server's delays and quiet hours, or the member's own delays."""
    return ReminderPolicy(
        offsets=settings.reminder_offsets if own is None else own,
        zone=settings.zone,
        quiet_start=settings.quiet_start,
        quiet_end=settings.quiet_end,
    )


def about_event(event_id: int) -> str:
    return subject("event", event_id)


class EventService:
    def __init__(self, store: EventStore, settings: GuildSettingsStore, outbox: Outbox, clock: Clock) -> None:
        self.store = store
        self.db: Database = store.db
        self.settings = settings
        self.outbox = outbox
        self.clock = clock
        self.on_created: list[Hook] = []
        self.on_changed: list[Hook] = []
        outbox.register(REMINDER, Kind(self._render_reminder, after=self._after_reminder))
        outbox.register(INTEREST_REMINDER, Kind(self._render_interest_reminder))
        outbox.register(PROMOTED, Kind(self._render_notice))
        outbox.register(CANCELLED, Kind(self._render_notice))
        outbox.register(CHANGED, Kind(self._render_notice))
        outbox.register(POSTED, Kind(self._render_post, after=self._after_post))
        outbox.register(CARD, Kind(self._render_card, after=self._after_card))

    # ----------------------------------------------------------------- finding events

    async def find(self, typed: str) -> Event:
        """The event a member named: by its number, or by a title that only one coming event holds."""
        number = typed_id(typed)
        event = await self.store.get(number) if number is not None else None
        if event is None:
            found = await self.store.titles_like(typed, self.clock())
            event = found[0] if len(found) == 1 else None
        if event is None:
            raise UserError(
                "Je ne trouve pas l'événement « {evenement} » : choisissez-le dans la liste.", evenement=typed
            )
        return event

    async def titles_like(self, typed: str) -> list[Event]:
        return await self.store.titles_like(typed, self.clock())

    async def upcoming(self, filters: EventFilters) -> list[Event]:
        return await self.store.upcoming(filters, self.clock())

    async def of_project(self, project_id: int) -> list[Event]:
        """The next events of a project (its open days), for its card."""
        return await self.store.of_project(project_id, self.clock())

    async def calendar(self, event_id: int | None) -> list[Event]:
        """One event, or the whole agenda to come, for a calendar file."""
        if event_id is not None:
            return [await self.store.must_get(event_id)]
        return await self.store.upcoming(EventFilters(), self.clock())

    # ----------------------------------------------------------------- organisers

    async def create(
        self, draft: EventDraft, *, repeat: Frequency = Frequency.once, count: int | None = None
    ) -> list[Event]:
        """The event (one per date of a series) and, when the server has an announcement channel, the
        first date's card, posted by the ledger with its « S'inscrire » button."""
        settings = await self.settings.get(draft.guild_id)
        dates = event_occurrences(
            draft.starts_at, draft.ends_at, repeat, count or (1 if repeat is Frequency.once else SERIES), settings.zone
        )
        async with self.db.transaction():
            events = await self.store.create(draft, dates, announce_channel_id=settings.announce_channel_id)
            first = events[0]
            if first.announce_channel_id is not None:
                await self.outbox.store.put(
                    POSTED,
                    Target.channel,
                    first.announce_channel_id,
                    guild_id=first.guild_id,
                    about=about_event(first.id),
                    payload={"event": first.id},
                )
            for hook in self.on_created:
                await hook(first)
        self.outbox.nudge()
        return events

    async def update(self, event_id: int, changes: EventChanges, *, by: Manager) -> tuple[Event, list[Registration]]:
        """Change an event: registrants are told of a new time or place, their reminders follow the
        new time, a larger capacity moves the waiting list up, and the card follows. A new start alone
        keeps the event's length."""
        fields = {name: value for name, value in asdict(changes).items() if value is not None}
        if not fields:
            raise UserError("Indiquez au moins une chose à changer.")
        async with self.db.transaction():
            before = await self._managed(event_id, by)
            if "starts_at" in fields and "ends_at" not in fields:
                fields["ends_at"] = fields["starts_at"] + (before.ends_at - before.starts_at)
            if fields.get("code_insee", before.code_insee) != before.code_insee and "address" not in fields:
                fields["address"] = None  # another commune: the old street is not in it
            try:
                event, promoted = await self.store.update(event_id, **fields)
            except ValidationError as error:
                raise invalid(error, EventDraft) from None
            await self._followed(before, event, promoted)
        self.outbox.nudge()
        return event, promoted

    async def changed_at_source(self, before: Event) -> None:
        """An event its source changed (an association's calendar feed), in the caller's transaction: as an
        organiser's change, registrants told of a new time or place and the card rewritten."""
        await self._followed(before, await self.store.must_get(before.id), [])

    async def arrived(self, event_id: int) -> None:
        """A new event from outside (an association's calendar feed), in the caller's transaction: the
        servers following this one hear of it as of an organiser's."""
        event = await self.store.must_get(event_id)
        for hook in self.on_created:
            await hook(event)

    async def _followed(self, before: Event, event: Event, promoted: Sequence[Registration]) -> None:
        settings = await self.settings.get(event.guild_id)
        moved = (event.starts_at, event.ends_at) != (before.starts_at, before.ends_at)
        if notices.differs(before, event):  # who moved up is told by its promotion, with the new times
            was, moved_up = notices.snapshot(before), {p.id for p in promoted}
            await self.store.ask_again(event.id)
            for registration in await self.store.participants(event.id):
                if registration.user_id is not None and registration.id not in moved_up:
                    about = reminders.about(registration.id)
                    who = {"registration": registration.id}
                    await self._changed(about, registration.user_id, registration.locale, event, was, who)
            for interest in await self.store.interests(event.id):
                about, who = interest_about(event.id, interest.user_id), {"interest": interest.user_id}
                await self._changed(about, interest.user_id, interest.locale, event, was, who)
        if moved:
            for registration in await self.store.participants(event.id):
                await self._replan(registration, event, settings)
            for interest in await self.store.interests(event.id):
                await self._plan_interest(interest, event, settings)
        await self._promoted(event, promoted, settings)
        await self._card_changed(event)
        for hook in self.on_changed:
            await hook(event)

    async def cancel(self, event_id: int, reason: str, *, by: Manager) -> tuple[Event, int]:
        """Cancel an event; everyone registered, waiting or interested is told once, in their language,
        and the card loses its buttons. Returns how many members will be told."""
        async with self.db.transaction():
            await self._managed(event_id, by)
            event, told = await self.cancel_from_source(event_id, reason)
        self.outbox.nudge()
        return event, told

    async def cancel_from_source(self, event_id: int, reason: str) -> tuple[Event, int]:
        """Cancel an event, whoever asks (an organiser checked above, or its calendar feed), everyone
        registered or interested told once; returns how many members will be."""
        async with self.db.transaction():
            event, registrations = await self.store.cancel(event_id, reason)
            told: set[int] = set()  # a member registered to the event and to a workshop is told once
            for registration in registrations:
                await self.outbox.store.cancel(reminders.about(registration.id), [REMINDER], reason="annulé")
                if registration.user_id is not None and registration.user_id not in told:
                    await self._notice(CANCELLED, registration, event)
                    told.add(registration.user_id)
            for interest in await self.store.interests(event_id):
                if interest.user_id not in told:
                    await self.outbox.store.put(
                        CANCELLED, Target.dm, interest.user_id, guild_id=event.guild_id, locale=interest.locale,
                        about=about_event(event.id), payload={"event": event.id, "interest": interest.user_id},
                    )  # fmt: skip
                    told.add(interest.user_id)
            await self._card_changed(event)
            for hook in self.on_changed:
                await hook(event)
        return event, len(told)

    async def add_session(self, event_id: int, draft: SessionDraft, *, by: Manager) -> Session:
        """A workshop with its own times and seats, shown on the card."""
        async with self.db.transaction():
            event = await self._managed(event_id, by)
            session = await self.store.add_session(event_id, draft)
            await self._card_changed(event)
        self.outbox.nudge()
        return session

    async def roster(self, event_id: int, *, by: Manager) -> Roster:
        event = await self._managed(event_id, by)
        registrations = await self.store.participants(event_id, sessions=True)
        return Roster(event, tuple(registrations), tuple(await self.store.sessions(event_id)))

    async def set_discord_event(self, event_id: int, discord_event_id: int) -> None:
        await self.store.set_discord_event(event_id, discord_event_id)

    async def without_discord_event(self, guild_id: int) -> list[Event]:
        return await self.store.without_discord_event(guild_id, self.clock())

    async def _managed(self, event_id: int, by: Manager) -> Event:
        event = await self.store.must_get(event_id)
        if not by.may_manage(event):
            raise UserError("Seuls l'organisateur de l'événement et les modérateurs du serveur peuvent le gérer.")
        return event

    # ----------------------------------------------------------------- members

    async def register(self, event_id: int, *, seats: int, **signup: Unpack[Signup]) -> Outcome:
        async with self.db.transaction():
            outcome = await self.store.register(event_id, seats=seats, **signup)
            event = outcome.event
            settings = await self.settings.get(event.guild_id)
            await self._replan(outcome.registration, event, settings, fresh=outcome.created)
            await self._promoted(event, outcome.promoted, settings)
            # The card counts the seats of a capacity or of a workshop.
            if event.capacity is not None or outcome.registration.session_id is not None:
                await self._card_changed(event)
        self.outbox.nudge()
        return outcome

    async def unregister(self, registration_id: int, user_id: int) -> Event:
        """A member leaves; the seats go down the waiting list, and who moved up is told."""
        async with self.db.transaction():
            registration = await self._own(registration_id, user_id)
            promoted = await self.store.unregister(registration_id)
            await self.outbox.store.cancel(reminders.about(registration_id), [REMINDER], reason="désinscrit")
            event = await self.store.plain(registration.event_id)
            await self._promoted(event, promoted, await self.settings.get(event.guild_id))
            if event.capacity is not None or registration.session_id is not None:
                await self._card_changed(event)
        self.outbox.nudge()
        return event

    async def _own(self, registration_id: int, user_id: int) -> Registration:
        """The registration a button under a member's message is about, if it is still theirs."""
        registration = await self.store.registration_by_id(registration_id)
        if registration is None:
            raise UserError("Cette inscription n'existe plus.")
        if registration.user_id != user_id:
            raise UserError("Ce bouton ne concerne que la personne inscrite.")
        return registration

    async def leave(self, event_id: int, user_id: int, session_id: int | None = None) -> Event:
        """/evenement desinscrire: the member's own registration to the event (or to one workshop)."""
        registration = await self.store.registration_of(event_id, user_id, session_id)
        if registration is None:
            raise UserError("Vous n'êtes pas inscrit·e à cet événement.")
        return await self.unregister(registration.id, user_id)

    async def interest(self, event_id: int, user_id: int, locale: str) -> tuple[Event, bool]:
        """« Intéressé·e » on the card: the member follows the event without a seat, or, clicking again,
        no longer does. Returns the event and whether the member is now interested."""
        async with self.db.transaction():
            # As a registration (which ends an interest) does: else a member could end up registered and interested.
            await self.db.hold("events", event_id)
            event = await self.store.plain(event_id)
            if await self.store.withdraw_interest(event_id, user_id):
                await self._forget_interest(event_id, user_id)
                interested = False
            else:
                if event.cancelled or event.ends_at <= self.clock():
                    raise UserError("Cet événement est annulé ou terminé.")
                if await self.store.registration_of(event_id, user_id) is not None:
                    raise UserError("Vous êtes déjà inscrit·e à « {titre} ».", titre=event.title)
                await self.store.add_interest(event_id, user_id, locale)
                interested = True
            await self._card_changed(event)  # the card counts the interested members
        self.outbox.nudge()
        return event, interested

    async def remind_interest(self, event_id: int, user_id: int) -> Event:
        """« Me le rappeler » under the answer to « Intéressé·e »: the member's reminders, at their delays
        (or the server's), as a registrant's."""
        async with self.db.transaction():
            interest = await self.store.remind_interest(event_id, user_id)
            if interest is None:
                raise UserError("Vous ne suivez plus cet événement.")
            event = await self.store.plain(event_id)
            await self._plan_interest(interest, event, await self.settings.get(event.guild_id))
        self.outbox.nudge()
        return event

    async def still_coming(self, registration_id: int, user_id: int) -> Event:
        """« Je viens toujours » under a change notice: the registration's answer is recorded."""
        async with self.db.transaction():
            registration = await self._own(registration_id, user_id)
            await self.store.confirm(registration_id)
        return await self.store.plain(registration.event_id)

    async def still_interested(self, event_id: int, user_id: int) -> Event:
        """« Je viens toujours » under a change notice, from an interested member."""
        if not await self.store.confirm_interest(event_id, user_id):
            raise UserError("Vous ne suivez plus cet événement.")
        return await self.store.plain(event_id)

    async def no_longer_interested(self, event_id: int, user_id: int) -> Event:
        """« Je ne viens plus » under a change notice, from an interested member: the interest goes."""
        async with self.db.transaction():
            if not await self.store.withdraw_interest(event_id, user_id):
                raise UserError("Vous ne suivez plus cet événement.")
            await self._forget_interest(event_id, user_id)
            event = await self.store.plain(event_id)
            await self._card_changed(event)
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

    async def _replan(
        self, registration: Registration, event: Event, settings: GuildSettings, *, fresh: bool = False
    ) -> None:
        """A registration's pending reminders, planned again from its times and delays (a fresh one has
        none to cancel)."""
        if not fresh:
            await self.outbox.store.cancel(reminders.about(registration.id), [REMINDER], reason="replanifié")
        if not registration.remind or registration.user_id is None or registration.waiting:
            return
        starts_at, ends_at = await self.store.times_of(registration, event)
        own = await self.store.member_offsets(registration.user_id)
        rows = reminders.plan(registration, event.guild_id, starts_at, ends_at, policy_for(settings, own), self.clock())
        await self.outbox.store.put_many(rows)

    async def _plan_interest(self, interest: Interest, event: Event, settings: GuildSettings) -> None:
        """An interested member's reminders, planned again (none unless they asked)."""
        await self._forget_interest(event.id, interest.user_id)
        if not interest.remind:
            return
        policy = policy_for(settings, await self.store.member_offsets(interest.user_id))
        await self.outbox.store.put_many(
            [
                {
                    "kind": INTEREST_REMINDER,
                    "target": Target.dm,
                    "recipient_id": interest.user_id,
                    "guild_id": event.guild_id,
                    "locale": interest.locale,
                    "about": interest_about(event.id, interest.user_id),
                    "payload": {"event": event.id, "offset": offset},
                    "due_at": due,
                }
                for offset, due in reminders.due_times(policy, event.starts_at, event.ends_at, self.clock())
            ]
        )

    async def _forget_interest(self, event_id: int, user_id: int) -> None:
        await self.outbox.store.cancel(interest_about(event_id, user_id), [INTEREST_REMINDER], reason="replanifié")

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
            about=reminders.about(registration.id) if kind != CANCELLED else about_event(event.id),
            payload={"event": event.id, "registration": registration.id},
        )

    async def _changed(
        self, about: str, user_id: int, locale: str | None, event: Event, was: dict[str, Any], who: dict[str, int]
    ) -> None:
        """A change notice to one member; a notice still unsent is replaced, keeping the event as the
        member last heard of it."""
        earlier = await self.outbox.store.pending(about, [CHANGED])
        if earlier:
            was = earlier[0].payload.get("before", was)
            await self.outbox.store.cancel(about, [CHANGED], reason="remplacé par un changement plus récent")
        await self.outbox.store.put(
            CHANGED, Target.dm, user_id, guild_id=event.guild_id, locale=locale, about=about,
            payload={"event": event.id, "before": was, **who},
        )  # fmt: skip

    async def _card_changed(self, event: Event) -> None:
        """The card is rewritten from the rows as they are when the rewrite goes out, so one pending
        rewrite is enough however many members register in the meantime."""
        if event.announce_channel_id is None:
            return
        about = about_event(event.id)
        await self.outbox.store.cancel(about, [CARD], reason="remplacée par une plus récente")
        await self.outbox.store.put(
            CARD,
            Target.channel,
            event.announce_channel_id,
            guild_id=event.guild_id,
            about=about,
            payload={"event": event.id},
        )

    async def _render_post(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        event = await self.store.get(letter.payload["event"])
        if event is None or event.cancelled:
            raise Skip(Status.cancelled, "événement annulé ou supprimé")
        if event.ends_at <= self.clock():
            raise Skip(Status.missed, "l'événement est passé")
        return card(event, await self.store.sessions(event.id), zone, letter.locale)

    async def _after_post(self, letter: Letter, status: Status, unreachable: bool) -> None:
        """The card's message is recorded. A rewrite that came before it (the post failed once, or the
        bot stopped while sending it) was put aside: the card is rewritten once more, now that it
        exists. A card that was not posted has nothing to keep in step."""
        event_id = letter.payload["event"]
        if status is Status.sent and letter.message_id is not None:
            await self.store.set_card(event_id, letter.message_id)
            earlier = await self.outbox.store.of_subject(about_event(event_id))
            if any(row.kind == CARD and row.reason == NOT_POSTED for row in earlier):
                await self._card_changed(await self.store.plain(event_id))
            return
        await self.store.forget_card(event_id)
        await self.outbox.store.cancel(about_event(event_id), [CARD], reason="carte jamais publiée")

    async def _render_card(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        event = await self.store.get(letter.payload["event"])
        if event is None:
            raise Skip(Status.cancelled, "événement supprimé")
        if event.announce_message_id is None:
            raise Skip(Status.cancelled, NOT_POSTED)
        drawn = card(event, await self.store.sessions(event.id), zone, letter.locale)
        return replace(drawn, rewrites=event.announce_message_id)

    async def _after_card(self, letter: Letter, status: Status, unreachable: bool) -> None:
        """A card deleted by a moderator (or its channel) is not rewritten at each registration."""
        if unreachable:
            await self.store.forget_card(letter.payload["event"])

    async def _render_notice(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        event = await self.store.get(letter.payload["event"])
        if event is None:
            raise Skip(Status.cancelled, "événement supprimé")
        locale = letter.locale
        about = {"titre": event.title, "quand": discord_time(event.starts_at)}
        if letter.kind == CANCELLED:
            reason = event.cancel_reason or "—"
            text = gettext("❌ « {titre} » ({quand}) est annulé. Raison : {raison}", locale, raison=reason, **about)
        elif event.cancelled:  # a promotion or a change, overtaken by the cancellation
            raise Skip(Status.cancelled, "événement annulé")
        elif letter.kind == PROMOTED:
            text = gettext("🎉 Une place s'est libérée : vous êtes inscrit·e à « {titre} » ({quand}).", locale, **about)
        else:
            return await self._render_change(letter, event)
        return Outgoing(content=text)

    async def _render_change(self, letter: Letter, event: Event) -> Outgoing:
        """Before → after, to a member still registered or interested, with the buttons to answer."""
        payload = letter.payload
        if "registration" in payload:
            still_there = await self.store.registration_by_id(payload["registration"]) is not None
        else:
            still_there = await self.store.interest_of(event.id, payload["interest"]) is not None
        if not still_there:
            raise Skip(Status.cancelled, "plus inscrit·e ni intéressé·e")
        locale = letter.locale
        return notices.change_message(event, payload["before"], locale, notices.answers(payload, locale))

    async def _render_interest_reminder(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        event_id = int(letter.payload["event"])
        interest = await self.store.interest_of(event_id, letter.recipient_id)
        if interest is None or not interest.remind:
            raise Skip(Status.cancelled, "intérêt retiré")  # withdrawn, or registered since
        event = await self.store.plain(event_id)
        if event.cancelled:
            raise Skip(Status.cancelled, "événement annulé")
        if event.starts_at <= self.clock():
            raise Skip(Status.missed, "l'événement a commencé")
        return reminders.interest_reminder(event, letter.locale)

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
