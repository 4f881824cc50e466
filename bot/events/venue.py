"""The organiser's list for the venue as a CSV file: one row a registration (name as shown on the server,
party size, guests, each question's answer, registration time in the server's time zone, present or
not). Plain data in, bytes out: it runs off the event loop, so a list of thousands never holds up a
member's interaction."""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from zoneinfo import ZoneInfo

from bot.events.questions import VenueList

# What a spreadsheet would run as a formula (tab and carriage return too: some trim them first).
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
HEADER = ["statut", "atelier", "nom", "discord_id", "personnes", "accompagnants", "invite", "rappels"]


def cell(value: object) -> str:
    """A CSV cell that a spreadsheet shows as text: a member's name or answer may start like a formula."""
    text = str(value)
    return f"'{text}" if text.startswith(FORMULA_START) else text


def venue_csv(venue: VenueList, names: Mapping[int, str], zone: ZoneInfo) -> bytes:
    roster = venue.roster
    sessions = {s.id: s.title for s in roster.sessions}
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\r\n")  # RFC 4180: a lone \r in a cell is quoted too
    writer.writerow([cell(value) for value in [*HEADER, *(q.text for q in venue.questions), "inscrit_le", "present"]])
    for r in roster.registrations:
        answers = venue.answers.get(r.id, {})
        row = [
            "attente" if r.waiting else "inscrit",
            sessions.get(r.session_id or 0, ""),
            names.get(r.user_id or 0) or r.guest_name or "",
            r.user_id or "",
            r.seats,
            r.seats - 1,
            "oui" if r.guest_name else "non",
            "oui" if r.remind else "non",
            *(answers.get(q.id, "") for q in venue.questions),
            r.created_at.astimezone(zone).strftime("%Y-%m-%d %H:%M"),
            "oui" if r.checked_in_at else "non",
        ]
        writer.writerow([cell(value) for value in row])
    return output.getvalue().encode("utf-8")
