"""An association's calendar feed (.ics: Google, Nextcloud, a website's agenda) read into events: pure,
no database and no network.

Each event of the feed becomes one `FeedItem` per date within the next 12 months: repeated events
(RRULE, RDATE, EXDATE) are expanded in their own zone's wall time, so that a weekly 18h stays 18h across
daylight saving, and an occurrence the feed rewrites (RECURRENCE-ID) replaces the one it names. Times:
a TZID's zone, UTC, an all-day event on its own date, a floating time in the feed's X-WR-TIMEZONE, else
the server's zone. An item's `key` (UID, and the occurrence's original start for a repeated one) is what
the agenda keeps it by across reads and across feeds.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import icalendar
from dateutil import rrule
from pydantic import BaseModel, ConfigDict

from bot.clock import to_db
from bot.geo import Commune, Geography
from bot.recurrence import wall_time
from bot.sources.bazar_mapping import plain_text
from bot.text import fold
from bot.vocabulary import EventKind

HORIZON = timedelta(days=366)  # repeated events are expanded over the next 12 months
MAX_OCCURRENCES = 400  # of one repeated event: a FREQ=MINUTELY rule is not 500,000 events
DEFAULT_LENGTH = timedelta(hours=1)  # an event with a start and no end
TITLE_MAX, DESCRIPTION_MAX, PLACE_MAX, URL_MAX = 100, 1000, 300, 300
SUB_DAILY = frozenset({"SECONDLY", "MINUTELY", "HOURLY"})  # no association's agenda; a rule that would loop
_POSTAL = re.compile(r"\b(\d{5})\b")


class NotACalendar(ValueError):
    """The body is not an iCalendar feed."""


class FeedItem(BaseModel):
    """One date of one event of a feed, as the agenda keeps it."""

    model_config = ConfigDict(frozen=True)

    key: str
    uid: str
    title: str
    description: str = ""
    starts_at: datetime  # aware, UTC
    ends_at: datetime
    all_day: bool = False
    location: str | None = None
    url: str | None = None
    cancelled: bool = False
    sequence: int = 0
    last_modified: datetime | None = None

    @property
    def fingerprint(self) -> str:
        """What the feed says of it: an unchanged item is not written again."""
        return hashlib.sha256(self.model_dump_json().encode()).hexdigest()[:24]


@dataclass(frozen=True)
class Timing:
    """Where an event's times are read: its zone (wall times of repetitions) and whether it is all-day."""

    zone: ZoneInfo
    all_day: bool


def feed_zone(calendar: icalendar.Calendar, fallback: ZoneInfo) -> ZoneInfo:
    name = str(calendar.get("X-WR-TIMEZONE") or "").strip()
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    return fallback


def parse_calendar(body: bytes) -> icalendar.Calendar:
    """The calendar in `body`, or NotACalendar."""
    if b"BEGIN:VCALENDAR" not in body[:4096].upper():
        raise NotACalendar("pas un calendrier iCalendar")
    try:
        calendar = icalendar.Calendar.from_ical(body)
    except (ValueError, KeyError, IndexError) as error:
        raise NotACalendar(f"calendrier illisible ({error})") from None
    if not isinstance(calendar, icalendar.Calendar):
        raise NotACalendar("pas un calendrier iCalendar")
    return calendar


def read_feed(body: bytes, *, zone: ZoneInfo, now: datetime) -> list[FeedItem]:
    """The items of a feed from now to 12 months on, soonest first; `zone` is the server's (floating
    times when the feed names none). A broken event is left out, never the whole feed."""
    calendar = parse_calendar(body)
    fallback = feed_zone(calendar, zone)
    masters: dict[str, Any] = {}
    overrides: dict[str, list[Any]] = {}
    for component in calendar.walk("VEVENT"):
        uid = str(component.get("UID") or "").strip()
        if not uid or component.get("DTSTART") is None:
            continue
        if component.get("RECURRENCE-ID") is not None:
            overrides.setdefault(uid, []).append(component)
        else:
            masters[uid] = component
    items: dict[str, FeedItem] = {}
    for uid, master in masters.items():
        try:
            for item in _expand(uid, master, overrides.get(uid, []), fallback, now):
                items[item.key] = item
        except (ValueError, TypeError, OverflowError):
            continue  # one event the feed writes wrong does not stop the others
    for uid, lone in overrides.items():  # an occurrence rewritten, its series not in the feed
        if uid not in masters:
            for component in lone:
                try:
                    item = _item(uid, component, fallback, key=_key(uid, _rid(component, fallback)))
                except (ValueError, TypeError):
                    continue
                if _within(item, now):
                    items[item.key] = item
    return sorted(items.values(), key=lambda item: (item.starts_at, item.key))


def _within(item: FeedItem, now: datetime) -> bool:
    return item.ends_at > now and item.starts_at < now + HORIZON


def _key(uid: str, original: datetime | None) -> str:
    return uid if original is None else f"{uid}/{to_db(original)}"


def _timing(component: Any, fallback: ZoneInfo) -> Timing:
    start = component.decoded("DTSTART")
    if not isinstance(start, datetime):
        return Timing(fallback, True)
    if start.tzinfo is None:
        return Timing(fallback, False)
    if isinstance(start.tzinfo, ZoneInfo):
        return Timing(start.tzinfo, False)
    key = getattr(start.tzinfo, "key", None) or getattr(start.tzinfo, "zone", None)  # another library's zone
    if key:
        try:
            return Timing(ZoneInfo(str(key)), False)
        except (ZoneInfoNotFoundError, ValueError):
            pass
    if start.utcoffset() == timedelta(0):  # `Z`, as datetime.UTC
        return Timing(ZoneInfo("UTC"), False)
    return Timing(fallback, False)


def _local(value: date | datetime, timing: Timing) -> datetime:
    """A DTSTART, RDATE, EXDATE or RECURRENCE-ID as a naive wall time in the event's zone."""
    if not isinstance(value, datetime):
        return datetime.combine(value, time(0))
    if value.tzinfo is None:
        return value
    return value.astimezone(timing.zone).replace(tzinfo=None)


def _aware(local: datetime, timing: Timing) -> datetime:
    return wall_time(local.date(), local.time(), timing.zone)


def _rid(component: Any, fallback: ZoneInfo) -> datetime:
    """The original start (UTC) of the occurrence an override rewrites."""
    timing = _timing(component, fallback)
    return _aware(_local(component.decoded("RECURRENCE-ID"), timing), timing)


def _dates(component: Any, name: str) -> list[date | datetime]:
    found = component.get(name)
    if found is None:
        return []
    lists = found if isinstance(found, list) else [found]
    return [entry.dt for lst in lists for entry in lst.dts if isinstance(entry.dt, date)]


def _rule(component: Any, start: datetime, timing: Timing) -> Iterable[datetime] | None:
    recur = component.get("RRULE")
    if recur is None:
        return None
    recur = icalendar.vRecur(dict(recur))
    if str(recur.get("FREQ", [""])[0]).upper() in SUB_DAILY:
        raise ValueError("répétition plus fréquente que quotidienne")
    if "UNTIL" in recur:  # in the event's wall time, as the expansion runs
        until = recur["UNTIL"][0]
        recur["UNTIL"] = [_local(until, timing) if isinstance(until, datetime) else datetime.combine(until, time.max)]
    text = recur.to_ical().decode()  # type: ignore[no-untyped-call]
    return rrule.rrulestr(text, dtstart=start, ignoretz=True)  # type: ignore[no-any-return]


def _expand(uid: str, master: Any, overrides: list[Any], fallback: ZoneInfo, now: datetime) -> Iterator[FeedItem]:
    timing = _timing(master, fallback)
    start = _local(master.decoded("DTSTART"), timing)
    rule = _rule(master, start, timing)
    extra = [_local(value, timing) for value in _dates(master, "RDATE")]
    if rule is None and not extra:
        item = _item(uid, master, fallback, key=uid)
        if _within(item, now):
            yield item
        return
    base = _item(uid, master, fallback, key=uid)
    length = base.ends_at - base.starts_at
    excluded = {_local(value, timing) for value in _dates(master, "EXDATE")}
    rewritten = {}
    for override in overrides:
        rewritten[_rid(override, fallback)] = override
    window_start = (now - length).astimezone(timing.zone).replace(tzinfo=None)
    window_end = (now + HORIZON).astimezone(timing.zone).replace(tzinfo=None)
    dates = set(extra) | {start}
    if rule is not None:
        dates |= set(islice((d for d in rule if d >= window_start), MAX_OCCURRENCES))
        dates = {d for d in dates if d < window_end}
    for local in sorted(d for d in dates if d not in excluded and window_start <= d < window_end)[:MAX_OCCURRENCES]:
        original = _aware(local, timing)
        key = _key(uid, original)
        if original in rewritten:
            item = _item(uid, rewritten.pop(original), fallback, key=key)
        else:
            item = base.model_copy(update={"key": key, "starts_at": original, "ends_at": original + length})
        if _within(item, now):
            yield item
    for original, override in rewritten.items():  # moved from a date the rule no longer gives
        item = _item(uid, override, fallback, key=_key(uid, original))
        if _within(item, now):
            yield item


def _text(component: Any, name: str) -> str:
    value = component.get(name)
    return str(value).strip() if value is not None else ""


def _item(uid: str, component: Any, fallback: ZoneInfo, *, key: str) -> FeedItem:
    timing = _timing(component, fallback)
    starts_at = _aware(_local(component.decoded("DTSTART"), timing), timing)
    if component.get("DTEND") is not None:
        ends_at = _aware(_local(component.decoded("DTEND"), timing), timing)
    elif component.get("DURATION") is not None:
        ends_at = starts_at + component.decoded("DURATION")
    else:
        ends_at = starts_at + (timedelta(days=1) if timing.all_day else DEFAULT_LENGTH)
    if ends_at <= starts_at:
        ends_at = starts_at + (timedelta(days=1) if timing.all_day else DEFAULT_LENGTH)
    url = _text(component, "URL")
    modified = component.get("LAST-MODIFIED")
    description = _text(component, "DESCRIPTION")
    return FeedItem(
        key=key,
        uid=uid,
        title=" ".join(_text(component, "SUMMARY").split())[:TITLE_MAX],
        description=(plain_text(description) if "<" in description else description)[:DESCRIPTION_MAX],
        starts_at=starts_at.astimezone(UTC),
        ends_at=ends_at.astimezone(UTC),
        all_day=timing.all_day,
        location=" ".join(_text(component, "LOCATION").split())[:PLACE_MAX] or None,
        url=url if url.startswith(("https://", "http://")) and len(url) <= URL_MAX else None,
        cancelled=_text(component, "STATUS").upper() == "CANCELLED",
        sequence=int(str(component.get("SEQUENCE") or 0) or 0),
        last_modified=modified.dt.astimezone(UTC)
        if modified is not None and isinstance(modified.dt, datetime)
        else None,
    )


def commune_of(location: str | None, geo: Geography) -> Commune | None:
    """The commune a free-text place names, when it names one for sure: a postal code (with the name
    when the code serves several communes), or a part between commas that is exactly one commune's name."""
    if not location:
        return None
    folded = fold(location)
    for code in _POSTAL.findall(location):
        candidates = geo.with_postal_code(code)
        if len(candidates) == 1:
            return candidates[0]
        named = [c for c in candidates if fold(c.nom) in folded]
        if len(named) == 1:
            return named[0]
    for part in reversed(location.split(",")):
        name = fold(_POSTAL.sub("", part))
        if not name:
            continue
        exact = [c for c in geo.find_communes(name, limit=25) if fold(c.nom) == name]
        if len(exact) == 1:
            return exact[0]
    return None


KIND_WORDS = (  # the first that a title holds gives the event's kind; none: « autre »
    ("portes ouvertes", EventKind.jpo),
    ("jpo", EventKind.jpo),
    ("rencontres nationales", EventKind.rnhp),
    ("rnhp", EventKind.rnhp),
    ("webinaire", EventKind.webinaire),
    ("visio", EventKind.webinaire),
    ("atelier", EventKind.atelier),
    ("visite", EventKind.visite),
    ("reunion publique", EventKind.reunion_publique),
    ("pleniere", EventKind.pleniere),
)


def kind_of(title: str) -> EventKind:
    folded = f" {fold(title)} "
    return next((kind for word, kind in KIND_WORDS if f" {word} " in folded), EventKind.autre)
