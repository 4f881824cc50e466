"""The associations' agendas kept in step with the bot's: a server subscribes to a calendar feed (.ics),
whose events become events of its agenda, each naming its source; the feed is read every 30 minutes
(conditionally: ETag, If-Modified-Since) and at once on demand. Events are kept by UID (and occurrence),
so nothing is duplicated across reads or across two feeds carrying the same UID; what the feed changes
is changed, what it cancels or drops is cancelled, registrants told through the ledger.

A feed that cannot be read (an error, not a calendar, too big, a redirect loop, a slow server) never
stops the others, and is reported once (the moderation channel, else a DM to whoever subscribed), then
again only when its problem changes or it reads again.
"""

from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp
from pydantic import BaseModel

from bot.clock import Clock
from bot.errors import Plural, Text, UserError
from bot.events.service import POSTED, EventService, about_event
from bot.geo import Geography, Region
from bot.guild_settings import GuildSettingsStore
from bot.i18n import gettext
from bot.limits import CONTENT, clip
from bot.notify import Outgoing
from bot.outbox import Kind, Letter, Outbox, Skip, Status, Target, subject
from bot.scheduler import Beside
from bot.sources.feed_store import Feed, FeedStore, Known, Placed
from bot.sources.feeds import FeedItem, NotACalendar, commune_of, kind_of, read_feed

log = logging.getLogger(__name__)

PROBLEM = "feed.problem"  # a feed that cannot be read, said once per problem
RECOVERED = "feed.recovered"  # the same feed read again

INTERVAL = timedelta(minutes=30)
TIMEOUT = aiohttp.ClientTimeout(total=30, sock_connect=10)
MAX_BYTES = 4 * 1024 * 1024  # a year of an association's agenda is a few hundred kilobytes
MAX_REDIRECTS = 5
MAX_URL = 500
BATCH = 200  # events written per transaction: members' commands pass in between
AT_ONCE = 4  # feeds read together in a scheduled round


def about(feed_id: int) -> str:
    return subject("feed", feed_id)


class FeedProblem(Exception):
    """Why a feed could not be read, as a code kept on the subscription: `http:404`, `not_calendar`…"""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def problem_text(code: str) -> Text:
    """A problem's code as the moderators read it."""
    if code.startswith("http:"):
        return Text("le serveur répond par une erreur {statut}", statut=code.removeprefix("http:"))
    return {
        "not_calendar": Text("ce n'est pas un calendrier (.ics)"),
        "too_big": Text("le fichier dépasse {n} Mo", n=MAX_BYTES // 1024 // 1024),
        "redirects": Text("trop de redirections (une boucle ?)"),
        "timeout": Text("le serveur ne répond pas à temps"),
    }.get(code, Text("le serveur est injoignable"))


class FeedReport(BaseModel):
    """What one read did."""

    found: int = 0
    added: int = 0
    updated: int = 0
    cancelled: int = 0
    unchanged: int = 0
    duplicates: int = 0  # carried by another feed already: kept once
    not_modified: bool = False  # the server said nothing changed (304)
    problem: str | None = None

    @property
    def written(self) -> int:
        return self.added + self.updated + self.cancelled


Fetcher = Callable[..., Awaitable["Fetched"]]  # fetch's signature: tests put an offline one in its place


@dataclass(frozen=True)
class Fetched:
    body: bytes | None  # None: not modified
    etag: str | None
    last_modified: str | None


async def fetch(
    url: str, *, etag: str | None = None, last_modified: str | None = None, limits: aiohttp.ClientTimeout = TIMEOUT
) -> Fetched:
    """The feed's body, size capped, or None when the validators say it did not change; FeedProblem."""
    headers = {"Accept": "text/calendar, */*;q=0.5"}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    try:
        async with (
            aiohttp.ClientSession(timeout=limits) as session,
            session.get(url, headers=headers, max_redirects=MAX_REDIRECTS) as response,
        ):
            if response.status == 304:
                return Fetched(None, etag, last_modified)
            if response.status != 200:
                raise FeedProblem(f"http:{response.status}")
            if (response.content_length or 0) > MAX_BYTES:
                raise FeedProblem("too_big")
            body = bytearray()
            async for chunk in response.content.iter_chunked(64 * 1024):
                body += chunk
                if len(body) > MAX_BYTES:
                    raise FeedProblem("too_big")
            return Fetched(bytes(body), response.headers.get("ETag"), response.headers.get("Last-Modified"))
    except aiohttp.TooManyRedirects:
        raise FeedProblem("redirects") from None
    except TimeoutError:
        raise FeedProblem("timeout") from None
    except (aiohttp.ClientError, OSError, ValueError):
        raise FeedProblem("unreachable") from None


def feed_url(typed: str) -> str:
    """The address as the bot reads it (`webcal://`, as calendars hand them out, is https), or a refusal that
    gives back what was typed."""
    url = typed.strip()
    if url.lower().startswith("webcal://"):
        url = "https://" + url[len("webcal://") :]
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.netloc or len(url) > MAX_URL or " " in url:
        raise UserError(
            "« {adresse} » n'est pas l'adresse d'un agenda : copiez le lien .ics (ou webcal://) que donne "
            "l'agenda, qui commence par https://.",
            adresse=typed,
        )
    return url


@dataclass(frozen=True)
class Read:
    """An item as the agenda writes it."""

    item: FeedItem
    title: str
    placed: Placed


class FeedService:
    def __init__(
        self,
        store: FeedStore,
        events: EventService,
        settings: GuildSettingsStore,
        outbox: Outbox,
        geo: Geography,
        clock: Clock,
        *,
        timeout: aiohttp.ClientTimeout = TIMEOUT,
    ) -> None:
        self.store = store
        self.db = store.db
        self.events = events
        self.settings = settings
        self.outbox = outbox
        self.geo = geo
        self.clock = clock
        self.timeout = timeout
        self.fetch: Fetcher = fetch
        self.running = Beside("feeds")
        self._locks: defaultdict[int, asyncio.Lock] = defaultdict(asyncio.Lock)
        outbox.register(PROBLEM, Kind(self._render_problem))
        outbox.register(RECOVERED, Kind(self._render_problem))

    # ----------------------------------------------------------------- organisers

    async def subscribe(
        self, guild_id: int, typed_url: str, name: str, region: Region, *, announce: bool, signup: bool,
        subscriber_id: int, locale: str | None,
    ) -> tuple[Feed, FeedReport]:  # fmt: skip
        """Read the feed first: one that cannot be read is refused, and nothing is saved. The région is kept
        as today's (a former région typed, « Auvergne », is the one its départements are in now)."""
        url = feed_url(typed_url)
        current = self.geo.region_today(region)
        zone = (await self.settings.get(guild_id)).zone
        try:
            fetched = await self.fetch(url, limits=self.timeout)
            if fetched.body is None:  # "not modified", asked nothing: no calendar server answers so
                raise FeedProblem("http:304")
            reads = await self._read(fetched.body, zone, name)
        except FeedProblem as problem:
            raise UserError(
                "Je n'arrive pas à lire l'agenda « {adresse} » : {probleme}.",
                adresse=typed_url, probleme=problem_text(problem.code),
            ) from None  # fmt: skip
        feed = await self.store.add(
            guild_id, url, name.strip(), current, announce=announce, signup=signup, subscriber_id=subscriber_id,
            locale=locale,
        )  # fmt: skip
        report = await self._apply(feed, reads)
        await self.store.read_ok(
            feed.id, self.clock(), etag=fetched.etag, last_modified=fetched.last_modified, found=report.found
        )
        self.outbox.nudge()
        return await self.store.must_get(feed.id), report

    async def of_guild(self, guild_id: int) -> list[Feed]:
        return await self.store.of_guild(guild_id)

    async def read_now(self, feed_id: int, guild_id: int | None) -> tuple[Feed, FeedReport]:
        feed = await self._of(feed_id, guild_id)
        report = await self.read(feed)
        return await self.store.must_get(feed.id), report

    async def remove(self, feed_id: int, guild_id: int | None) -> tuple[Feed, int]:
        """The subscription goes, and its events to come are cancelled (registrants told); returns how many."""
        feed = await self._of(feed_id, guild_id)
        async with self._locks[feed.id]:
            coming = await self.store.coming_of(feed.id, self.clock())
            async with self.db.transaction():
                for event_id in coming.values():
                    await self.events.cancel_from_source(event_id, f"retiré de l'agenda de {feed.name}")
                await self.outbox.store.cancel(about(feed.id), [PROBLEM, RECOVERED], reason="abonnement retiré")
                await self.store.remove(feed.id)
        self.outbox.nudge()
        return feed, len(coming)

    async def _of(self, feed_id: int, guild_id: int | None) -> Feed:
        feed = await self.store.get(feed_id)
        if feed is None or feed.guild_id != guild_id:
            raise UserError("Cet abonnement n'existe plus.")
        return feed

    # ----------------------------------------------------------------- reading

    async def read_all(self) -> list[tuple[Feed, FeedReport]]:
        """Every feed, one after the other (the command line)."""
        return [(feed, await self.read(feed)) for feed in await self.store.every()]

    async def read(self, feed: Feed) -> FeedReport:
        """Read one feed and bring its events in step; a problem is reported, never raised."""
        async with self._locks[feed.id]:
            current = await self.store.get(feed.id)
            if current is None:  # removed while its read waited
                return FeedReport()
            try:
                report = await self._read_feed(current)
            except FeedProblem as problem:
                async with self.db.transaction():
                    await self.store.read_failed(current.id, self.clock(), problem.code)
                    if current.problem != problem.code:
                        await self._tell(current, PROBLEM, {"problem": problem.code})
                self.outbox.nudge()
                log.info("agenda %s illisible : %s", current.url, problem.code)
                return FeedReport(problem=problem.code)
        self.outbox.nudge()
        return report

    async def _read_feed(self, feed: Feed) -> FeedReport:
        fetched = await self.fetch(feed.url, etag=feed.etag, last_modified=feed.last_modified, limits=self.timeout)
        report = FeedReport(not_modified=True, found=feed.events_found)
        if fetched.body is not None:
            zone = (await self.settings.get(feed.guild_id)).zone
            report = await self._apply(feed, await self._read(fetched.body, zone, feed.name))
        async with self.db.transaction():
            await self.store.read_ok(
                feed.id, self.clock(), etag=fetched.etag, last_modified=fetched.last_modified,
                found=None if fetched.body is None else report.found,
            )  # fmt: skip
            if feed.problem is not None:
                await self._tell(feed, RECOVERED, {"problem": feed.problem})
        return report

    async def _read(self, body: bytes, zone: ZoneInfo, name: str) -> list[Read]:
        """Parsed and placed off the event loop (5,000 events take a while)."""
        now = self.clock()

        def parse() -> list[Read]:
            try:
                items = read_feed(body, zone=zone, now=now)
            except NotACalendar:
                raise FeedProblem("not_calendar") from None
            places: dict[str | None, Placed] = {}  # an agenda names the same few places again and again
            for item in items:
                if item.location not in places:
                    places[item.location] = self._placed(item.location)
            return [Read(item, _title(item.title, name), places[item.location]) for item in items]

        return await asyncio.to_thread(parse)

    def _placed(self, location: str | None) -> Placed:
        if location and location.startswith(("https://", "http://")):
            return Placed(None, None, location)
        return Placed(commune_of(location, self.geo), location or "", None)

    async def _apply(self, feed: Feed, reads: Sequence[Read]) -> FeedReport:
        report = FeedReport(found=sum(1 for read in reads if not read.item.cancelled))
        known = await self.store.known([read.item.key for read in reads])
        settings = await self.settings.get(feed.guild_id)
        channel = settings.announce_channel_id if feed.announce else None
        announced: set[str] = set()  # a repeated event's card: its first date only
        for start in range(0, len(reads), BATCH):
            async with self.db.transaction():
                for read in reads[start : start + BATCH]:
                    await self._one(feed, read, known.get(read.item.key), channel, announced, report)
        present = {read.item.key for read in reads if not read.item.cancelled}
        coming = await self.store.coming_of(feed.id, self.clock())
        gone = [(key, event_id) for key, event_id in coming.items() if key not in present]
        for start in range(0, len(gone), BATCH):
            async with self.db.transaction():
                for _, event_id in gone[start : start + BATCH]:
                    await self.events.cancel_from_source(event_id, f"retiré de l'agenda de {feed.name}")
                    await self.store.set_fingerprint(event_id, "retiré")  # back in the feed: written again
                    report.cancelled += 1
        return report

    async def _one(
        self, feed: Feed, read: Read, known: Known | None, channel: int | None, announced: set[str], report: FeedReport
    ) -> None:
        item = read.item
        if known is not None and known.feed_id not in (None, feed.id):
            report.duplicates += 1  # another feed carries the same UID: one event
            return
        if known is None:
            if item.cancelled:
                return
            first = item.uid not in announced
            announced.add(item.uid)
            event_id = await self.store.insert(feed, item, read.title, kind_of(item.title), read.placed, channel)
            if channel is not None and first:
                await self.outbox.store.put(
                    POSTED, Target.channel, channel, guild_id=feed.guild_id, about=about_event(event_id),
                    payload={"event": event_id},
                )  # fmt: skip
            if first and feed.announce:
                await self.events.arrived(event_id)  # announced here, so to the servers following this one
            report.added += 1
            return
        announced.add(item.uid)
        if known.fingerprint == item.fingerprint and known.feed_id == feed.id:
            report.unchanged += 1
            return
        if item.cancelled:
            if not known.cancelled:
                await self.events.cancel_from_source(known.event_id, f"annulé dans l'agenda de {feed.name}")
                report.cancelled += 1
            await self.store.set_fingerprint(known.event_id, item.fingerprint)
            return
        before = await self.events.store.must_get(known.event_id)
        await self.store.rewrite(known.event_id, feed, item, read.title, read.placed)
        if not before.cancelled:
            await self.events.changed_at_source(before)
        report.updated += 1

    # ----------------------------------------------------------------- the scheduled reads

    async def next_due(self) -> datetime | None:
        never, oldest = await self.store.oldest_read()
        if never:
            return self.clock()
        return oldest + INTERVAL if oldest else None

    async def run_due(self) -> int:
        """Start reading the feeds whose time has come, beside the scheduler's round (which keeps
        delivering); each is marked first, so a feed that fails is tried again at the next interval, and
        a feed another process's round has just marked is left to it (one read, one report)."""
        if self.running.busy:
            return 0
        before = self.clock() - INTERVAL
        due = [feed for feed in await self.store.due(before) if await self.store.attempt(feed.id, self.clock(), before)]
        if due:
            self.running.start(self._read_each(due))
        return 0

    async def _read_each(self, feeds: Sequence[Feed]) -> None:
        gate = asyncio.Semaphore(AT_ONCE)

        async def one(feed: Feed) -> None:
            async with gate:
                try:
                    await self.read(feed)
                except Exception:  # one feed never stops the others
                    log.exception("échec de la lecture de l'agenda %s", feed.url)

        await asyncio.gather(*(one(feed) for feed in feeds))

    # ----------------------------------------------------------------- reports

    async def _tell(self, feed: Feed, kind: str, payload: dict[str, str]) -> None:
        """The moderation channel, else whoever subscribed, by DM."""
        await self.outbox.store.cancel(about(feed.id), [PROBLEM, RECOVERED], reason="remplacé")
        settings = await self.settings.get(feed.guild_id)
        if settings.modqueue_channel_id is not None:
            await self.outbox.store.put(
                kind, Target.channel, settings.modqueue_channel_id, guild_id=feed.guild_id, about=about(feed.id),
                payload=payload,
            )  # fmt: skip
        else:
            await self.outbox.store.put(
                kind, Target.dm, feed.subscriber_id, guild_id=feed.guild_id, locale=feed.subscriber_locale,
                about=about(feed.id), payload=payload,
            )  # fmt: skip

    async def _render_problem(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        feed = await self.store.get(int(letter.subject.split(":")[1])) if letter.subject else None
        if feed is None:
            raise Skip(Status.cancelled, "abonnement retiré")
        locale = letter.locale
        if letter.kind == PROBLEM:
            if feed.problem != letter.payload["problem"]:
                raise Skip(Status.cancelled, "problème réglé ou changé")
            text = gettext(
                "⚠️ L'agenda « {nom} » ({adresse}) ne peut pas être lu : {probleme}. Ses événements restent tels "
                "quels, les autres agendas sont lus comme d'habitude ; je préviendrai quand il se lira de nouveau.",
                locale, nom=feed.name, adresse=feed.url, probleme=problem_text(letter.payload["problem"]),
            )  # fmt: skip
        else:
            if feed.problem is not None:
                raise Skip(Status.cancelled, "de nouveau illisible")
            text = gettext(
                "✅ L'agenda « {nom} » se lit de nouveau : {evenements}.",
                locale, nom=feed.name,
                evenements=Plural("{n} événement à venir", "{n} événements à venir", feed.events_found),
            )  # fmt: skip
        return Outgoing(content=clip(text, CONTENT))


def _title(title: str, name: str) -> str:
    """A title the agenda accepts (3 to 100 characters): a bare one says whose it is."""
    if len(title) >= 3:
        return title
    return clip(f"{name} — {title}" if title else name, 100) if len(name) >= 3 else f"Agenda {name}".strip()


def feed_summary(feed: Feed, report: FeedReport, locale: str | None = None) -> str:
    """One line per feed: the command line's, and the answer to « Relire maintenant »."""
    if report.problem:
        return gettext("{nom} : illisible ({probleme})", locale, nom=feed.name, probleme=problem_text(report.problem))
    if report.not_modified:
        return gettext("{nom} : inchangé depuis la dernière lecture", locale, nom=feed.name)
    return gettext(
        "{nom} : {trouves}, {ajoutes}, {maj} mis à jour, {annules}, {inchanges}, {doublons}",
        locale,
        nom=feed.name,
        trouves=Plural("{n} événement", "{n} événements", report.found),
        ajoutes=Plural("{n} ajouté", "{n} ajoutés", report.added),
        maj=report.updated,
        annules=Plural("{n} annulé", "{n} annulés", report.cancelled),
        inchanges=Plural("{n} inchangé", "{n} inchangés", report.unchanged),
        doublons=Plural("{n} déjà dans un autre agenda", "{n} déjà dans d'autres agendas", report.duplicates),
    )
