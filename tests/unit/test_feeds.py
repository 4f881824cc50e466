"""The associations' agendas: a feed read into dated items (time zones, repetitions, overrides), its places
found among the communes, and the service from start to end on a real SQLite file against a local site:
subscribing, re-reading (conditionally or not) without writing anything, following changes, cancellations
and removals, one event for one UID across feeds, and broken feeds reported once."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import aiohttp
import icalendar
import pytest
from aiohttp.test_utils import TestClient, TestServer
from hypothesis import given
from hypothesis import strategies as st

from bot.config import Settings
from bot.core import Core, build_core
from bot.db import Database, SqliteDatabase
from bot.errors import UserError
from bot.events.models import EventFilters, EventStatus
from bot.geo import geography
from bot.ics import to_ics
from bot.outbox import Target
from bot.sandbox.feed_site import HUGE, LOOP, SLOW, FeedSite, serve_feeds
from bot.sources.feed_service import INTERVAL, PROBLEM, RECOVERED, FeedService, feed_summary, feed_url
from bot.sources.feeds import FeedItem, NotACalendar, commune_of, kind_of, read_feed
from bot.vocabulary import EventKind
from bot.web import make_app
from tests.support import ManualDateClock, RecordingNotifier

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
PARIS = ZoneInfo("Europe/Paris")
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
GUILD, ORGANISER, MODERATION = 1, 42, 500
AURA = "84"  # Auvergne-Rhône-Alpes


def fixture(name: str) -> bytes:
    return (FIXTURES / name).read_bytes()


def by_key(items: list[FeedItem]) -> dict[str, FeedItem]:
    return {item.key: item for item in items}


# ---------------------------------------------------------------------- reading a feed


def test_times_are_read_in_their_zone() -> None:
    items = by_key(read_feed(fixture("auvergne.ics"), zone=ZoneInfo("America/Martinique"), now=NOW))
    jpo = items["jpo-tilleuls-2027@auvergne.example"]  # TZID=Europe/Paris, 14h
    assert jpo.starts_at == datetime(2027, 3, 20, 13, 0, tzinfo=UTC)
    assert jpo.url == "https://auvergne.example/inscription-jpo"
    assert jpo.description == "Visite du chantier, goûter partagé."  # HTML as text
    webinar = items["webinaire-financement@auvergne.example"]  # UTC
    assert webinar.starts_at == datetime(2027, 3, 10, 18, 0, tzinfo=UTC)
    # Floating: the feed's X-WR-TIMEZONE (Paris) wins over the server's zone.
    assert items["reunion-quartier@auvergne.example"].starts_at == datetime(2027, 3, 15, 18, 0, tzinfo=UTC)
    party = items["fete-voisins@auvergne.example"]  # all day, on its own date
    assert party.all_day and party.starts_at.astimezone(PARIS).date().isoformat() == "2027-04-05"
    assert party.ends_at - party.starts_at == timedelta(days=1)
    assert items["visite-annulee@auvergne.example"].cancelled


def test_floating_times_without_a_feed_zone_are_the_server_s() -> None:
    items = by_key(read_feed(fixture("national.ics"), zone=ZoneInfo("America/Martinique"), now=NOW))
    assert items["rnhp-2027@national.example"].starts_at == datetime(2027, 6, 12, 13, 0, tzinfo=UTC)


def test_a_repeated_event_is_expanded_without_its_exceptions_and_with_its_override() -> None:
    items = read_feed(fixture("auvergne.ics"), zone=PARIS, now=NOW)
    dates = [item for item in items if item.uid == "permanence@auvergne.example"]
    # Six Tuesdays from 2 March, the 16th excluded, the 23rd moved to Wednesday 24th at 19h.
    shown = [(item.starts_at.astimezone(PARIS).strftime("%d %a %H:%M"), item.title) for item in dates]
    assert shown == [
        ("02 Tue 18:30", "Permanence de l'association"),
        ("09 Tue 18:30", "Permanence de l'association"),
        ("24 Wed 19:00", "Permanence exceptionnelle (mercredi)"),
        ("30 Tue 18:30", "Permanence de l'association"),  # after the change to summer time: still 18:30
        ("06 Tue 18:30", "Permanence de l'association"),
    ]
    assert len({item.key for item in dates}) == 5
    assert dates[2].key == "permanence@auvergne.example/2027-03-23T17:30:00+00:00"


@given(
    count=st.integers(min_value=1, max_value=30),
    interval=st.integers(min_value=1, max_value=3),
    excluded=st.sets(st.integers(min_value=0, max_value=29), max_size=10),
    hour=st.integers(min_value=0, max_value=23),
)
def test_a_weekly_rule_gives_its_dates_at_their_wall_time(
    count: int, interval: int, excluded: set[int], hour: int
) -> None:
    start = datetime(2027, 3, 2, hour, 30)  # noqa: DTZ001 - a wall time in Paris, as the feed writes it
    exdates = sorted(start + timedelta(weeks=interval * i) for i in excluded if i < count)
    lines = [
        "BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:test", "BEGIN:VEVENT", "UID:regle@test", "DTSTAMP:20270101T000000Z",
        f"DTSTART;TZID=Europe/Paris:{start:%Y%m%dT%H%M%S}", "DURATION:PT1H",
        f"RRULE:FREQ=WEEKLY;INTERVAL={interval};COUNT={count}", "SUMMARY:Réunion",
        *(f"EXDATE;TZID=Europe/Paris:{day:%Y%m%dT%H%M%S}" for day in exdates), "END:VEVENT", "END:VCALENDAR",
    ]  # fmt: skip
    items = read_feed("\r\n".join(lines).encode(), zone=PARIS, now=datetime(2027, 3, 1, tzinfo=UTC))
    within = [i for i in range(count) if start + timedelta(weeks=interval * i) < datetime(2028, 3, 1)]  # noqa: DTZ001
    assert len(items) == len([i for i in within if i not in excluded])
    assert len({item.key for item in items}) == len(items)
    for item in items:
        local = item.starts_at.astimezone(PARIS)
        assert (local.minute, local.weekday()) == (30, 1)
        assert local.hour in (hour, (hour + 1) % 24)  # the hour skipped in spring happens an hour later


@pytest.mark.parametrize("body", [b"", b"<html>page</html>", b"\x00\xff" * 100, b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n"])
def test_what_is_not_a_calendar_is_said_so(body: bytes) -> None:
    with pytest.raises(NotACalendar):
        read_feed(body, zone=PARIS, now=NOW)


def test_a_sub_daily_rule_does_not_flood_the_agenda() -> None:
    body = fixture("national.ics").replace(
        b"SUMMARY:Rencontres", b"RRULE:FREQ=MINUTELY\r\nSUMMARY:Rencontres", 1
    )  # the RNHP event repeats every minute: left out, the other kept
    assert [item.uid for item in read_feed(body, zone=PARIS, now=NOW)] == ["jpo-tilleuls-2027@auvergne.example"]


def test_places_are_found_among_the_communes_when_they_name_one() -> None:
    geo = geography()
    found = commune_of("Les Tilleuls, 12 chemin des Écoles, 63430 Pont-du-Château", geo)
    assert found is not None and found.nom == "Pont-du-Château"
    assert (commune_of("Thiers", geo) or found).departement == "63"
    assert commune_of("Salle des fêtes du quartier Saint-Jacques", geo) is None
    assert commune_of(None, geo) is None


def test_a_former_region_is_today_s() -> None:
    geo = geography()
    assert geo.region_today(geo.region("Auvergne")) == geo.region_today(geo.region("Rhône-Alpes")) == AURA
    assert geo.region_today(geo.region("Bretagne")) == geo.region("Bretagne").code


def test_a_kind_is_guessed_from_the_title() -> None:
    assert kind_of("Portes ouvertes aux Tilleuls") is EventKind.jpo
    assert kind_of("Réunion publique du quartier") is EventKind.reunion_publique
    assert kind_of("Apéro partagé") is EventKind.autre


def test_an_address_is_an_http_one() -> None:
    assert feed_url("webcal://agenda.example/a.ics") == "https://agenda.example/a.ics"
    for typed in ("agenda.example/a.ics", "ftp://agenda.example/a.ics", "https://"):
        with pytest.raises(Exception, match="n'est pas l'adresse d'un agenda"):
            feed_url(typed)


# ---------------------------------------------------------------------- the service, against a local site


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    feeds = {name: fixture(name) for name in ("auvergne.ics", "national.ics", "not_a_calendar.html")}
    async with serve_feeds(FeedSite(feeds)) as served:
        yield served


@pytest.fixture
def feeds(core: Core) -> FeedService:
    core.feeds.timeout = aiohttp.ClientTimeout(total=0.5)  # the slow server: half a second, no more
    return core.feeds


async def moderated(core: Core) -> None:
    await core.guild_settings.update(GUILD, modqueue_channel_id=MODERATION)


async def subscribe(feeds: FeedService, url: str, name: str = "Habitat Auvergne", signup: bool = False) -> int:
    feed, _ = await feeds.subscribe(
        GUILD, url, name, geography().region("Auvergne"), announce=False, signup=signup, subscriber_id=ORGANISER,
        locale="fr",
    )  # fmt: skip
    assert feed.region == AURA  # the former région typed: today's is kept
    return feed.id


async def feed_events(db: Database) -> dict[str, tuple[int, str, str]]:
    rows = await db.fetchall("SELECT id, source_uid, status, title FROM events WHERE source_uid IS NOT NULL")
    return {row["source_uid"]: (row["id"], row["status"], row["title"]) for row in rows}


async def test_a_subscription_brings_the_feed_s_events_with_their_source(
    core: Core, feeds: FeedService, site: FeedSite
) -> None:
    feed_id = await subscribe(feeds, site.url("auvergne.ics"))
    found = await feed_events(core.db)
    assert len(found) == 9 and "visite-annulee@auvergne.example" not in found  # cancelled: not brought
    jpo = await core.events.store.must_get(found["jpo-tilleuls-2027@auvergne.example"][0])
    assert (jpo.kind, jpo.commune, jpo.region, jpo.source_name) == (
        EventKind.jpo,
        "Pont-du-Château",
        AURA,
        "Habitat Auvergne",
    )
    assert jpo.registration_url == "https://auvergne.example/inscription-jpo" and not jpo.signup
    meeting = await core.events.store.must_get(found["reunion-quartier@auvergne.example"][0])
    assert meeting.commune is None and meeting.place == "Salle des fêtes du quartier Saint-Jacques"
    # Searchable by région: the meeting's place is no commune, it keeps the subscription's région.
    aura = geography().region("Auvergne-Rhône-Alpes")
    listed = await core.events.upcoming(EventFilters(departements=aura.departements, region=aura.code))
    assert {e.title for e in listed} >= {jpo.title, meeting.title}
    elsewhere = geography().region("Bretagne")
    assert await core.events.upcoming(EventFilters(departements=elsewhere.departements, region=elsewhere.code)) == []
    exported = to_ics([jpo], PARIS, now=NOW).decode()
    assert "URL:https://auvergne.example/inscription-jpo" in exported
    assert (await core.feeds.store.must_get(feed_id)).events_found == 9


async def test_the_feed_s_events_are_in_the_agenda_served_over_http(
    core: Core, feeds: FeedService, site: FeedSite
) -> None:
    await subscribe(feeds, site.url("auvergne.ics"))
    app = make_app(core.events.store, core.geo, core.clock, PARIS)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/agenda.ics", params={"region": "Auvergne"})
        events = icalendar.Calendar.from_ical(await response.read()).walk("VEVENT")
    by_title = {str(event.get("summary")): event for event in events}
    assert len(events) == 9 and len(by_title) == 6  # the permanences: four dates, one title
    jpo = by_title["Portes ouvertes aux Tilleuls Partagés (Journée portes ouvertes)"]
    assert str(jpo.get("url")) == "https://auvergne.example/inscription-jpo"
    assert "Pont-du-Château" in str(jpo.get("location"))
    meeting = by_title["Réunion publique du quartier (Réunion publique)"]
    assert str(meeting.get("location")) == "Salle des fêtes du quartier Saint-Jacques"


async def test_reading_again_unchanged_writes_nothing(core: Core, feeds: FeedService, site: FeedSite) -> None:
    feed_id = await subscribe(feeds, site.url("auvergne.ics"))
    feed = await feeds.store.must_get(feed_id)
    again = await feeds.read(feed)
    assert again.not_modified and site.not_modified == 1 and again.written == 0
    site.validators = False
    await core.db.execute("UPDATE feeds SET etag = NULL, last_modified = NULL")
    plain = await feeds.read(await feeds.store.must_get(feed_id))
    assert (plain.not_modified, plain.written, plain.unchanged) == (False, 0, 9)
    assert "0 ajouté, 0 mis à jour, 0 annulé, 9 inchangés" in feed_summary(feed, plain)


async def test_the_feed_is_followed(
    core: Core, feeds: FeedService, site: FeedSite, notifier: RecordingNotifier
) -> None:
    feed_id = await subscribe(feeds, site.url("auvergne.ics"), signup=True)
    found = await feed_events(core.db)
    jpo_id = found["jpo-tilleuls-2027@auvergne.example"][0]
    webinar_id = found["webinaire-financement@auvergne.example"][0]
    await core.events.register(jpo_id, seats=2, user_id=7, locale="fr")
    await core.events.register(webinar_id, seats=1, user_id=8, locale="fr")
    body = fixture("auvergne.ics")
    body = body.replace(
        b"SEQUENCE:0\r\nDTSTART;TZID=Europe/Paris:20270320T140000",
        b"SEQUENCE:1\r\nDTSTART;TZID=Europe/Paris:20270320T150000",
    )
    body = body.replace(b"DTSTART:20270310T180000Z", b"STATUS:CANCELLED\r\nDTSTART:20270310T180000Z")
    body = body.replace(b"UID:fete-voisins@auvergne.example", b"UID:fete-2@auvergne.example")  # one gone, one new
    site.feeds["auvergne.ics"] = body
    report = await feeds.read(await feeds.store.must_get(feed_id))
    assert (report.added, report.updated, report.cancelled) == (1, 1, 2)
    jpo = await core.events.store.must_get(jpo_id)
    assert jpo.starts_at == datetime(2027, 3, 20, 14, 0, tzinfo=UTC) and jpo.status is EventStatus.planned
    assert (await core.events.store.must_get(webinar_id)).cancelled
    gone = await core.events.store.must_get(found["fete-voisins@auvergne.example"][0])
    assert gone.cancelled and gone.cancel_reason == "retiré de l'agenda de Habitat Auvergne"
    await core.scheduler.run_due()
    told = {(user, message.content.split(" ")[0]) for user, _, message in notifier.sent}
    assert told == {(7, "📅"), (8, "❌")}  # moved: its registrant told; cancelled: its registrant told
    again = await feeds.read(await feeds.store.must_get(feed_id))
    assert again.not_modified and again.written == 0


async def test_two_feeds_with_one_uid_make_one_event(core: Core, feeds: FeedService, site: FeedSite) -> None:
    await subscribe(feeds, site.url("auvergne.ics"))
    feed, report = await feeds.subscribe(
        GUILD, site.url("national.ics"), "Coordin'action", geography().region("Auvergne-Rhône-Alpes"), announce=False,
        signup=False,
        subscriber_id=ORGANISER, locale="fr",
    )  # fmt: skip
    assert (report.added, report.duplicates) == (1, 1)
    rows = await core.db.fetchall("SELECT COUNT(*) AS n FROM events WHERE title LIKE 'Portes ouvertes%'")
    assert rows[0]["n"] == 1
    assert (await feeds.read(feed)).written == 0


async def test_a_broken_feed_is_reported_once_then_on_change_and_recovery(
    core: Core, feeds: FeedService, site: FeedSite, notifier: RecordingNotifier
) -> None:
    await moderated(core)
    feed_id = await subscribe(feeds, site.url("auvergne.ics"))
    saved = site.feeds.pop("auvergne.ics")
    for _ in range(2):
        assert (await feeds.read(await feeds.store.must_get(feed_id))).problem == "http:404"
    site.feeds["auvergne.ics"] = b"<html>maintenance</html>"
    assert (await feeds.read(await feeds.store.must_get(feed_id))).problem == "not_calendar"
    site.feeds["auvergne.ics"] = saved
    assert (await feeds.read(await feeds.store.must_get(feed_id))).problem is None
    letters = await core.outbox.store.of_subject(f"feed:{feed_id}")
    assert [(letter.kind, letter.payload["problem"], letter.target) for letter in letters] == [
        (PROBLEM, "http:404", Target.channel),
        (PROBLEM, "not_calendar", Target.channel),
        (RECOVERED, "not_calendar", Target.channel),
    ]
    await core.scheduler.run_due()
    sent = [message.content for channel, _, message in notifier.sent if channel == MODERATION]
    assert len(sent) == 1 and sent[0].startswith("✅ L'agenda « Habitat Auvergne » se lit de nouveau : 9 événements")


async def test_without_a_moderation_channel_the_subscriber_is_told(
    core: Core, feeds: FeedService, site: FeedSite
) -> None:
    feed_id = await subscribe(feeds, site.url("auvergne.ics"))
    site.feeds.pop("auvergne.ics")
    await feeds.read(await feeds.store.must_get(feed_id))
    [letter] = await core.outbox.store.of_subject(f"feed:{feed_id}")
    assert (letter.target, letter.recipient_id) == (Target.dm, ORGANISER)


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        (LOOP, "redirects"),
        (HUGE, "too_big"),
        (SLOW, "timeout"),
        ("absent.ics", "http:404"),
        ("not_a_calendar.html", "not_calendar"),
    ],
)
async def test_each_way_a_feed_breaks_is_named_and_stops_no_other(
    core: Core, feeds: FeedService, site: FeedSite, name: str, problem: str
) -> None:
    good = await subscribe(feeds, site.url("auvergne.ics"))
    bad = await core.feeds.store.add(
        GUILD, site.url(name), "Cassé", AURA, announce=False, signup=False, subscriber_id=ORGANISER, locale=None
    )
    site.feeds["auvergne.ics"] += b"\r\n"  # changed: read again in full
    results = {feed.id: report for feed, report in await feeds.read_all()}
    assert results[bad.id].problem == problem and results[good].problem is None and results[good].unchanged == 9


async def test_a_bad_address_or_an_unreadable_feed_is_refused_and_nothing_saved(
    core: Core, feeds: FeedService, site: FeedSite
) -> None:
    with pytest.raises(Exception, match="n'arrive pas à lire") as refused:
        await subscribe(feeds, site.url("absent.ics"))
    assert refused.value.params["adresse"] == site.url("absent.ics")  # type: ignore[attr-defined]
    assert await feeds.of_guild(GUILD) == []


async def test_feeds_are_read_every_half_hour(
    core: Core, feeds: FeedService, site: FeedSite, clock: ManualDateClock
) -> None:
    assert await feeds.next_due() is None
    feed_id = await subscribe(feeds, site.url("auvergne.ics"))
    assert await feeds.next_due() == clock() + INTERVAL
    clock.advance(minutes=31)
    await feeds.run_due()
    await feeds.running.idle()
    assert site.requests == ["auvergne.ics", "auvergne.ics"] and site.not_modified == 1
    assert (await feeds.store.must_get(feed_id)).last_read_at == clock()
    assert await feeds.next_due() == clock() + INTERVAL


async def test_removing_a_subscription_cancels_its_coming_events(
    core: Core, feeds: FeedService, site: FeedSite
) -> None:
    feed_id = await subscribe(feeds, site.url("auvergne.ics"))
    _, cancelled = await feeds.remove(feed_id, GUILD)
    assert cancelled == 9 and await feeds.of_guild(GUILD) == []
    statuses = {status for _, status, _ in (await feed_events(core.db)).values()}
    assert statuses == {"annule"}
    with pytest.raises(Exception, match="n'existe plus"):
        await feeds.remove(feed_id, GUILD)


# ---------------------------------------------------------------------- the migration


async def test_the_events_rebuilt_by_migration_0012_keep_their_registrations(tmp_path: Path) -> None:
    from bot.db import MIGRATIONS_DIR

    early = tmp_path / "early"
    early.mkdir()
    for path in MIGRATIONS_DIR.glob("*.sql"):
        if int(path.name[:4]) < 12:
            (early / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    async with SqliteDatabase(tmp_path / "old.sqlite3") as db:
        await db.migrate(early)
        event_id = await db.insert(
            "INSERT INTO events (guild_id, kind, title, starts_at, ends_at, code_insee, organiser_id, created_at,"
            " updated_at) VALUES (1, 'jpo', 'JPO', '2027-04-01T10:00:00+00:00', '2027-04-01T12:00:00+00:00',"
            " '63430', 9, '2027-03-01T00:00:00+00:00', '2027-03-01T00:00:00+00:00')"
            " RETURNING id"
        )
        await db.execute(
            "INSERT INTO registrations (event_id, user_id, seats, status, created_at)"
            " VALUES (?, 5, 2, 'inscrit', '2027-03-01T00:00:00+00:00')",
            (event_id,),
        )
        assert 12 in await db.migrate()
        row = await db.fetchone("SELECT COUNT(*) FROM registrations r JOIN events e ON e.id = r.event_id")
        assert row is not None and row[0] == 1
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]


async def test_the_same_agenda_twice_is_refused_in_words(core: Core, feeds: FeedService, site: FeedSite) -> None:
    await subscribe(feeds, site.url("auvergne.ics"))
    with pytest.raises(UserError, match="déjà abonné"):
        await subscribe(feeds, site.url("auvergne.ics"), name="Encore")
    assert [feed.name for feed in await feeds.store.of_guild(GUILD)] == ["Habitat Auvergne"]


async def test_two_processes_rounds_read_a_due_feed_once(
    core: Core, feeds: FeedService, site: FeedSite, clock: ManualDateClock, notifier: RecordingNotifier
) -> None:
    await subscribe(feeds, site.url("auvergne.ics"))
    other = build_core(Settings(_env_file=None), db=core.db, clock=clock, notifier=notifier).feeds
    clock.advance(minutes=31)
    await asyncio.gather(feeds.run_due(), other.run_due())
    await asyncio.gather(feeds.running.idle(), other.running.idle())
    assert site.requests == ["auvergne.ics", "auvergne.ics"]  # the subscription's read, then one round's
