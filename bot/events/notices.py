"""What an event's change of date or place tells its registrants and interested members: what changed,
before → after, and two buttons to answer (« Je viens toujours », « Je ne viens plus »). The ledger row
keeps the event as it was; the message is written when it is sent, from the event as it is then (a
change undone in the meantime says nothing)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.clock import from_db, to_db
from bot.dates import discord_time
from bot.events.models import Event
from bot.i18n import gettext
from bot.notify import Button, Outgoing
from bot.outbox import Skip, Status, subject


def interest_about(event_id: int, user_id: int) -> str:
    """The subject of the messages to one interested member about one event."""
    return f"{subject('interest', event_id)}:{user_id}"


def snapshot(event: Event) -> dict[str, Any]:
    """What a change notice compares with: the times and the place, as the event stood."""
    return {
        "starts_at": to_db(event.starts_at),
        "ends_at": to_db(event.ends_at),
        "where": event.where,
        "online": event.online_url or "",
    }


def differs(before: Event, after: Event) -> bool:
    """A change of date, time or place (address, commune, online link): what registrants are told of."""
    return snapshot(before) != snapshot(after)


def _moment(value: datetime) -> str:
    return discord_time(value, "f")


def change_message(event: Event, before: dict[str, Any], locale: str | None, buttons: tuple[Button, ...]) -> Outgoing:
    """« X » a changé: each thing that changed, before → after; the new date in the reader's own time."""
    now = snapshot(event)
    lines = []
    if (before["starts_at"], before["ends_at"]) != (now["starts_at"], now["ends_at"]):
        was, start = from_db(before["starts_at"]), event.starts_at
        lines.append(gettext("Quand : {avant} → {apres}", locale, avant=_moment(was), apres=discord_time(start)))
        if from_db(before["ends_at"]) - was != event.ends_at - start:
            ends = (_moment(from_db(before["ends_at"])), _moment(event.ends_at))
            lines.append(gettext("Fin : {avant} → {apres}", locale, avant=ends[0], apres=ends[1]))
    if before["where"] != now["where"]:
        lines.append(gettext("Où : {avant} → {apres}", locale, avant=before["where"] or "—", apres=now["where"] or "—"))
        if event.map_url:
            lines.append(gettext("Plan : {lien}", locale, lien=event.map_url))
    if before["online"] != now["online"]:
        lines.append(
            gettext("En ligne : {avant} → {apres}", locale, avant=before["online"] or "—", apres=now["online"] or "—")
        )
    if not lines:
        raise Skip(Status.cancelled, "changement défait avant l'envoi")
    lines += ["", gettext("Venez-vous toujours ? Dites-le avec les boutons ci-dessous.", locale)]
    return Outgoing(
        content=gettext("📅 « {titre} » a changé.", locale, titre=event.title),
        title=event.title,
        lines=tuple(lines),
        buttons=buttons,
    )


def answers(payload: dict[str, Any], locale: str | None) -> tuple[Button, ...]:
    """« Je viens toujours » / « Je ne viens plus », for a registration or for an interest."""
    if "registration" in payload:
        still, gone = f"evt:toujours:{payload['registration']}", f"evt:quitter:{payload['registration']}"
    else:
        still, gone = f"evt:garder:{payload['event']}", f"evt:retirer:{payload['event']}"
    return (
        Button(gettext("Je viens toujours", locale), still, "success"),
        Button(gettext("Je ne viens plus", locale), gone, "danger"),
    )
