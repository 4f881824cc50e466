"""Reminders before an event: when each registrant is reminded (offsets, quiet hours), and the DM.

A reminder is a row of the ledger about its registration (`registration:ID`), planned in the
transaction that registers, moves or cancels; the DM is written when it is sent, from the event as
it is then."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.dates import discord_time, local_to_utc
from bot.events.models import Event, Registration, Session
from bot.guild_settings import parse_offsets
from bot.i18n import gettext
from bot.notify import Button, Outgoing
from bot.outbox import Target, subject


@dataclass(frozen=True)
class ReminderPolicy:
    """When a member is reminded: offsets before the start, and the server's quiet hours."""

    offsets: tuple[int, ...]
    zone: ZoneInfo
    quiet_start: int = 22
    quiet_end: int = 8

    def in_quiet_hours(self, moment: datetime) -> bool:
        hour = moment.astimezone(self.zone).hour
        if self.quiet_start == self.quiet_end:
            return False
        if self.quiet_start > self.quiet_end:
            return hour >= self.quiet_start or hour < self.quiet_end
        return self.quiet_start <= hour < self.quiet_end

    def due_at(self, starts_at: datetime, ends_at: datetime, offset_minutes: int) -> datetime:
        """`offset` before the start; in quiet hours, the next morning instead, unless the event is
        over by then (a late reminder beats none)."""
        due = starts_at - timedelta(minutes=offset_minutes)
        if not self.in_quiet_hours(due):
            return due
        local = due.astimezone(self.zone)
        day = local.date() if local.hour < self.quiet_end else local.date() + timedelta(days=1)
        morning = local_to_utc(day, time(self.quiet_end), self.zone)
        return morning if morning < ends_at else due


REMINDER = "event.reminder"
INTEREST_REMINDER = "event.interest_reminder"  # to an interested member who asked for it
SERVER_WORDS = {"serveur", "server", "défaut", "defaut", "default"}
NONE_WORDS = {"aucun", "aucune", "none", "non", "no"}


def member_offsets(typed: str) -> tuple[int, ...] | None:
    """A member's own delays as typed for /evenement mes-rappels: « 1j 2h »; « aucun » is (): no
    reminders; « serveur » is None: the server's delays."""
    word = typed.strip().casefold()
    if word in SERVER_WORDS:
        return None
    if word in NONE_WORDS:
        return ()
    return parse_offsets(typed)


def about(registration_id: int) -> str:
    return subject("registration", registration_id)


def plan(registration: Registration, guild_id: int, starts_at: datetime, ends_at: datetime,
         policy: ReminderPolicy | None, now: datetime) -> list[dict[str, Any]]:  # fmt: skip
    """The ledger rows of a confirmed registration's reminders; none for a guest, a household still
    waiting, a member who opted out (policy None) or whose DMs are known to be closed."""
    if policy is None or registration.user_id is None or registration.waiting or registration.dm_closed:
        return []
    return [
        {
            "kind": REMINDER,
            "target": Target.dm,
            "recipient_id": registration.user_id,
            "guild_id": guild_id,
            "locale": registration.locale,
            "about": about(registration.id),
            "payload": {"offset": offset},
            "due_at": due,
        }
        for offset, due in due_times(policy, starts_at, ends_at, now)
    ]


def due_times(
    policy: ReminderPolicy, starts_at: datetime, ends_at: datetime, now: datetime
) -> list[tuple[int, datetime]]:
    """Each delay of the policy and when it falls, those still to come."""
    return [(offset, due) for offset in policy.offsets if (due := policy.due_at(starts_at, ends_at, offset)) > now]


def reminder_message(
    registration: Registration, event: Event, session: Session | None, zone: ZoneInfo, locale: str | None
) -> Outgoing:
    """The DM a registrant gets: what, when, where (or the link), and a way to cancel."""
    title = event.title if session is None else f"{event.title} — {session.title}"
    lines = where_and_when(event, session, locale)
    return Outgoing(
        content=gettext("⏰ Rappel : vous êtes inscrit·e à « {titre} ».", locale, titre=title),
        title=title,
        lines=tuple(lines),
        buttons=(Button(gettext("Je ne viens plus", locale), f"evt:quitter:{registration.id}", "danger"),),
    )


def interest_reminder(event: Event, locale: str | None) -> Outgoing:
    """The DM an interested member who asked for it gets: what, when, where, and the way to register."""
    buttons = (Button(gettext("S'inscrire", locale), f"evt:inscrire:{event.id}", "success"),) if event.signup else ()
    return Outgoing(
        content=gettext("⏰ Rappel : « {titre} », qui vous intéresse, approche.", locale, titre=event.title),
        title=event.title,
        lines=tuple(where_and_when(event, None, locale)),
        buttons=buttons,
    )


def where_and_when(event: Event, session: Session | None, locale: str | None) -> list[str]:
    """When (the reader's own time), where (the place, its map) and the online link, for a reminder."""
    starts_at, ends_at = (session.starts_at, session.ends_at) if session else (event.starts_at, event.ends_at)
    lines = [
        gettext(
            "Quand : {quand} (jusqu'à {fin})",
            locale,
            quand=discord_time(starts_at),
            fin=discord_time(ends_at, "t"),
        )
    ]
    place = (session.place if session else None) or (event.where if event.commune else None)
    if place:
        lines.append(gettext("Où : {lieu}", locale, lieu=place))
    if event.map_url and not (session and session.place):
        lines.append(gettext("Plan : {lien}", locale, lien=event.map_url))
    if event.online_url:
        lines.append(gettext("Lien : {lien}", locale, lien=event.online_url))
    return lines
