"""The agenda as iCalendar (RFC 5545): times in the server's zone, with its VTIMEZONE, so that
Thunderbird, Google and Apple calendars show them right, daylight saving included."""

from __future__ import annotations

from collections.abc import Collection, Iterable
from datetime import datetime
from zoneinfo import ZoneInfo

import icalendar

from bot.events.models import Event
from bot.vocabulary import label

PRODUCT = "-//Habitat participatif//Bot Discord//FR"
DOMAIN = "habitat-participatif.bot"


def to_ics(
    events: Iterable[Event],
    zone: ZoneInfo,
    *,
    now: datetime,
    name: str = "Agenda de l'habitat participatif",
    waiting: Collection[int] = (),
) -> bytes:
    """`waiting`: the events where the calendar's reader only holds a place on the waiting list."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODUCT)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    calendar.add("x-wr-timezone", str(zone))
    for event in events:
        entry = icalendar.Event()
        entry.add("uid", f"evenement-{event.id}@{DOMAIN}")
        entry.add("dtstamp", now)
        entry.add("dtstart", event.starts_at.astimezone(zone))
        entry.add("dtend", event.ends_at.astimezone(zone))
        on_list = "[liste d'attente] " if event.id in waiting else ""
        entry.add("summary", f"{on_list}{event.title} ({label(event.kind)})")
        if event.description:
            entry.add("description", event.description)
        entry.add("location", event.place)
        if event.online_url or event.registration_url:
            entry.add("url", event.online_url or event.registration_url)
        entry.add("status", "CANCELLED" if event.cancelled else "TENTATIVE" if event.id in waiting else "CONFIRMED")
        entry.add("categories", [label(event.kind)])
        calendar.add_component(entry)
    calendar.add_missing_timezones()
    return bytes(calendar.to_ical())
