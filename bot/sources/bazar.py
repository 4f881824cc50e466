"""The national project database (a YesWiki "Bazar" site) kept in step with the bot's.

Reading: the form (`?api/forms/1`: its fields and each list's labels) and its entries
(`?api/forms/1/entries/json`), from the site or from saved files; a conditional read (ETag,
If-Modified-Since) for the scheduled sync, with a timeout and a size cap.

Syncing, keyed by the entry's id at the source, never by name: new entries added, changed ones
updated, vanished or stopped ones retired (their référents told), the others unchanged; what the
groups keep on Discord only (référents, publics, shared spaces, public contact) is never touched. A
record changed both on Discord and at the source waits for the moderators, who see both versions and
choose. What the bot says on its own goes through the ledger, written with the change.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any, Protocol
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import aiohttp

from bot.clock import Clock
from bot.errors import UserError
from bot.guild_settings import GuildSettingsStore
from bot.i18n import gettext
from bot.notify import Outgoing
from bot.outbox import Kind, Letter, Outbox, Skip, Status, Target, subject
from bot.projects.models import Project, ProjectDraft, SiteState, SourceLink, source_fingerprint
from bot.projects.store import ProjectStore
from bot.scheduler import Beside
from bot.sources.bazar_mapping import BazarForm, ReadEntry, parse_entries, parse_form, read_entry
from bot.sources.bazar_messages import SyncReport, conflict_card, retired_message, summary_message
from bot.text import fold

log = logging.getLogger(__name__)

RETIRED = "bazar.retired"  # to each référent of a record retired from the national database
CONFLICT = "bazar.conflict"  # the moderators' choice between the Discord and the national version
SUMMARY = "bazar.summary"  # a sync's summary, in the moderation channels that ask for it

FORM_ID = 1
TIMEOUT = aiohttp.ClientTimeout(total=60, sock_connect=15)
MAX_BYTES = 20 * 1024 * 1024  # the national database holds a few thousand entries: ~5 MB
SYNC_BATCH = 100  # entries written per transaction: members' commands pass in between


def about(project_id: int) -> str:
    return subject("project", project_id)


class ReadError(Exception):
    """Nothing could be read from the source; the message (French) says why."""


@dataclass(frozen=True)
class Fetched:
    """What a read brought: the entries and the form, or nothing new (`entries` None), and the
    validators to send next time."""

    entries: list[dict[str, Any]] | None
    form: BazarForm | None
    etag: str | None = None
    last_modified: str | None = None


def site_of(url: str) -> str:
    """A site as the sync keys it: its address without the query (`https://site.example/`)."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}{parts.path or '/'}"


def api_url(source: str, path: str) -> str:
    return f"{source.split('?', 1)[0]}?{path}"


async def _get(
    session: aiohttp.ClientSession, url: str, headers: dict[str, str]
) -> tuple[Any, aiohttp.ClientResponse] | None:
    """The JSON at `url`, or None when the server says nothing changed (304)."""
    try:
        async with session.get(url, headers=headers) as response:
            if response.status == 304:
                return None
            if response.status != 200:
                raise ReadError(f"{url} répond {response.status}")
            body = bytearray()
            async for chunk in response.content.iter_chunked(64 * 1024):
                body += chunk
                if len(body) > MAX_BYTES:
                    raise ReadError(f"{url} dépasse {MAX_BYTES // 1024 // 1024} Mo")
            return json.loads(body.decode("utf-8-sig")), response
    except (aiohttp.ClientError, TimeoutError, OSError) as error:
        raise ReadError(f"{url} injoignable ({type(error).__name__} {error})".strip()) from None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise ReadError(f"{url} ne renvoie pas du JSON") from None


async def fetch(source: str, state: SiteState | None = None, *, form_id: int = FORM_ID) -> Fetched:
    """The entries of a form (the projects' by default) at `source` (a site's address), then the form;
    `state`'s validators make the read conditional."""
    headers: dict[str, str] = {}
    if state is not None and state.etag:
        headers["If-None-Match"] = state.etag
    if state is not None and state.last_modified:
        headers["If-Modified-Since"] = state.last_modified
    async with aiohttp.ClientSession(timeout=TIMEOUT, headers={"Accept": "application/json"}) as session:
        got = await _get(session, api_url(source, f"api/forms/{form_id}/entries/json"), headers)
        if got is None:
            return Fetched(None, None, state.etag if state else None, state.last_modified if state else None)
        data, response = got
        try:  # without its form, the table's keys still map and our own labels are shown
            form_data = await _get(session, api_url(source, f"api/forms/{form_id}"), {})
        except ReadError as error:
            log.warning("formulaire de la base nationale illisible : %s", error)
            form_data = None
    try:
        entries = parse_entries(data)
        form = parse_form(form_data[0]) if form_data is not None else None
    except ValueError as error:
        raise ReadError(f"{source} : {error}") from None
    return Fetched(entries, form, response.headers.get("ETag"), response.headers.get("Last-Modified"))


def read_files(entries_path: Path, form_path: Path | None) -> Fetched:
    """Entries saved from the API, and the saved form when given (without it, our labels)."""

    def load(path: Path) -> Any:
        try:
            return json.loads(path.read_text(encoding="utf-8-sig"))
        except OSError as error:
            raise ReadError(f"lecture impossible de {path} : {error.strerror or error}") from None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise ReadError(f"{path} n'est pas un fichier JSON en UTF-8") from None

    try:
        entries = parse_entries(load(entries_path))
        form = parse_form(load(form_path)) if form_path is not None else None
    except ValueError as error:
        raise ReadError(f"{error}") from None
    return Fetched(entries, form)


def site_from(entries: Sequence[dict[str, Any]], fallback: str) -> str:
    """The site the entries' pages are on: read from the site or from a file saved from it, they feed the
    same records."""
    sites = Counter(site_of(str(entry["url"])) for entry in entries if str(entry.get("url") or "").startswith("http"))
    return sites.most_common(1)[0][0] if sites else fallback


class BazarSync:
    def __init__(
        self,
        store: ProjectStore,
        settings: GuildSettingsStore,
        outbox: Outbox,
        clock: Clock,
        *,
        url: str | None = None,
        interval: timedelta = timedelta(hours=24),
    ) -> None:
        self.store = store
        self.db = store.db
        self.settings = settings
        self.outbox = outbox
        self.clock = clock
        self.url = url
        self.interval = interval
        self.running = Beside("bazar-sync")
        outbox.register(RETIRED, Kind(self._render_retired))
        outbox.register(CONFLICT, Kind(self._render_conflict))
        outbox.register(SUMMARY, Kind(self._render_summary))

    # ----------------------------------------------------------------- importing on demand

    async def import_source(self, source: str, form: Path | None = None) -> SyncReport:
        """A site's address or a file of saved entries (with its saved form)."""
        if source.startswith(("http://", "https://")):
            fetched, fallback = await fetch(source), site_of(source)
        else:
            fetched = await asyncio.to_thread(read_files, Path(source), form)
            fallback = f"fichier:{Path(source).name}"
        entries = fetched.entries or []
        return await self.sync(site_from(entries, fallback), entries, fetched.form or BazarForm())

    async def sync(self, site: str, entries: Sequence[dict[str, Any]], form: BazarForm) -> SyncReport:
        """Bring the records of `site` in step with its entries; an empty read changes nothing."""
        if not entries:
            raise ReadError("aucune fiche dans la réponse")
        geo = self.store.geo
        read = await asyncio.to_thread(lambda: [read_entry(entry, form, geo, site) for entry in entries])
        report = SyncReport()
        links = await self.store.source_links(site)
        present: set[str] = set()
        to_write: list[ReadEntry] = []
        to_retire: list[SourceLink] = []
        for entry in read:
            if not entry.entry_id or entry.entry_id in present:
                continue
            present.add(entry.entry_id)
            link = links.get(entry.entry_id)
            report.lines += [unknown_line(entry, unknown.field, unknown.value) for unknown in entry.unknown]
            if entry.stopped:
                if link is not None and not link.retired:
                    to_retire.append(link)
                else:
                    report.ignored += 1
            elif entry.draft is None:
                why = entry.refusal
                report.refused += 1
                report.lines.append(refused_line(entry, gettext(why.message, None, **why.params) if why else "?"))
            else:
                to_write.append(entry)
        for start in range(0, len(to_write), SYNC_BATCH):
            await self._write(to_write[start : start + SYNC_BATCH], links, report)
        # A refused entry is still there: only what vanished from the source, or stopped, is retired.
        to_retire += [link for entry_id, link in links.items() if entry_id not in present and not link.retired]
        for start in range(0, len(to_retire), SYNC_BATCH):
            await self._retire(to_retire[start : start + SYNC_BATCH])
        report.retired = len(to_retire)
        if report.changed:  # the refusals ride along; an unchanged run says nothing, however often it runs
            async with self.db.transaction():
                for guild_id, channel_id in await self.settings.national_db_channels():
                    await self.outbox.store.put(
                        SUMMARY, Target.channel, channel_id, guild_id=guild_id, payload=report.model_dump()
                    )
        self.outbox.nudge()
        return report

    async def _write(self, batch: Sequence[ReadEntry], links: dict[str, SourceLink], report: SyncReport) -> None:
        async with self.db.transaction():
            new = [entry.draft for entry in batch if entry.draft is not None and entry.entry_id not in links]
            by_key = await self.store.unsourced_by_key(new)
            linked = [links[entry.entry_id].project_id for entry in batch if entry.entry_id in links]
            current = {project.id: project for project in await self.store.get_many(linked)}
            for entry in batch:
                assert entry.draft is not None
                link = links.get(entry.entry_id)
                if link is None:
                    key = (fold(entry.draft.nom), entry.draft.code_insee)
                    if key not in by_key:
                        await self.store.add_sourced(entry.draft, entry.source)
                        report.added += 1
                    elif (adopted := by_key[key]) is not None:  # a record made before it was linked
                        project = await self.store.must_get(adopted)
                        await self.store.apply_source(project, entry.draft, entry.source)
                        report.updated += 1
                    else:
                        report.refused += 1
                        report.lines.append(refused_line(entry, gettext("même nom et même commune qu'une autre fiche")))
                    by_key[key] = None
                    continue
                await self._update(current[link.project_id], link, entry, entry.draft, report)

    async def _update(
        self, project: Project, link: SourceLink, entry: ReadEntry, draft: ProjectDraft, report: SyncReport
    ) -> None:
        fingerprint = source_fingerprint(draft)
        if fingerprint == link.fingerprint and not link.retired:
            if link.conflict:  # the source went back to what was imported: nothing left to choose
                await self.store.keep_local(project.id, draft)
                await self.outbox.store.cancel(about(project.id), [CONFLICT], reason="plus de différence")
            report.unchanged += 1
            return
        if await self.store.clashes(draft, project.id):
            report.refused += 1
            report.lines.append(refused_line(entry, gettext("même nom et même commune qu'une autre fiche")))
            return
        edited_here = source_fingerprint(project.draft) != link.fingerprint
        if link.retired or not edited_here:
            await self.store.apply_source(project, draft, entry.source)
            if link.retired:
                report.added += 1
            else:
                report.updated += 1
            return
        held = ProjectDraft.model_validate_json(link.conflict) if link.conflict else None
        if held is not None and source_fingerprint(held) == fingerprint:
            report.unchanged += 1  # still waiting for the moderators, who already have the card
            return
        await self.store.hold_conflict(project.id, draft)
        await self.outbox.store.cancel(about(project.id), [CONFLICT], reason="remplacée")
        for guild_id, channel_id in await self.settings.national_db_channels():
            await self.outbox.store.put(
                CONFLICT, Target.channel, channel_id, guild_id=guild_id, about=about(project.id),
                payload={"fingerprint": fingerprint},
            )  # fmt: skip
        report.conflicts += 1

    async def _retire(self, links: Sequence[SourceLink]) -> None:
        async with self.db.transaction():
            ids = [link.project_id for link in links]
            await self.store.retire_sourced(ids)
            for project_id in ids:
                await self.outbox.store.cancel(about(project_id), [CONFLICT], reason="fiche retirée")
                for referent in await self.store.referents(project_id):
                    await self.outbox.store.put(
                        RETIRED, Target.dm, referent.user_id, locale=referent.locale, about=about(project_id)
                    )

    # ----------------------------------------------------------------- the moderators' choice

    async def settle(self, project_id: int, *, take_source: bool) -> Project:
        """Keep the Discord version (the source's counts as seen) or take the national one; returns the
        record as it now is."""
        async with self.db.transaction():
            held = await self.store.source_conflict(project_id)
            if held is None:
                raise UserError("Ce choix a déjà été fait.")
            project = await self.store.must_get(project_id)
            if not take_source:
                await self.store.keep_local(project_id, held)
            elif project.source is None or await self.store.clashes(held, project_id):
                raise UserError("Un autre projet porte déjà ce nom dans cette commune : gardez la version Discord.")
            else:
                await self.store.apply_source(project, held, project.source)
            await self.outbox.store.cancel(about(project_id), [CONFLICT], reason="choix fait")
        return await self.store.must_get(project_id)

    # ----------------------------------------------------------------- the scheduled sync

    async def next_due(self) -> datetime | None:
        if not self.url:
            return None
        state = await self.store.site_state(self.url)
        return state.last_run_at + self.interval if state.last_run_at else self.clock()

    async def run_due(self) -> int:
        """Start the sync when its time has come, beside the scheduler's round (which keeps delivering):
        the run is recorded first, so that a site that fails is tried again at the next interval."""
        due = await self.next_due()
        if self.url is None or due is None or due > self.clock() or self.running.busy:
            return 0
        state = await self.store.site_state(self.url)
        await self.store.save_site_state(self.url, replace(state, last_run_at=self.clock()))
        self.running.start(self._scheduled(self.url, state))
        return 0

    async def _scheduled(self, url: str, state: SiteState) -> None:
        try:
            fetched = await fetch(url, state)
            if fetched.entries is not None:
                site = site_from(fetched.entries, site_of(url))
                report = await self.sync(site, fetched.entries, fetched.form or BazarForm())
                log.info("base nationale synchronisée : %s", report.model_dump(exclude={"lines"}))
            current = await self.store.site_state(url)
            await self.store.save_site_state(
                url, replace(current, etag=fetched.etag, last_modified=fetched.last_modified)
            )
        except ReadError as error:
            log.warning("base nationale illisible : %s", error)
        except Exception:
            log.exception("échec de la synchronisation avec la base nationale")

    # ----------------------------------------------------------------- written at send time

    async def _subject(self, letter: Letter) -> Project:
        project = await self.store.get(int(letter.subject.split(":")[1])) if letter.subject else None
        if project is None:
            raise Skip(Status.cancelled, "projet supprimé")
        return project

    async def _render_retired(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        project = await self._subject(letter)
        if project.source is None or not project.source.retired:
            raise Skip(Status.cancelled, "revenu dans la base nationale")
        if letter.recipient_id not in project.referents:
            raise Skip(Status.cancelled, "n'est plus référent")
        return retired_message(project, letter.locale)

    async def _render_conflict(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        project = await self._subject(letter)
        held = await self.store.source_conflict(project.id)
        if held is None or source_fingerprint(held) != letter.payload["fingerprint"]:
            raise Skip(Status.cancelled, "choix déjà fait")
        commune = self.store.geo.commune(held.code_insee)
        return conflict_card(project, held, commune.nom if commune else held.code_insee)

    async def _render_summary(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        return summary_message(SyncReport.model_validate(letter.payload))


class Entry(Protocol):
    """What a report line names of an entry (a project's, or an actor's for the facilitators)."""

    @property
    def entry_id(self) -> str: ...

    @property
    def name(self) -> str: ...

    @property
    def page(self) -> str | None: ...


def refused_line(entry: Entry, why: str) -> str:
    return gettext(
        "Refusée : « {nom} » ({raison}) — {page}", None, nom=entry.name, raison=why, page=entry.page or entry.entry_id
    )


def unknown_line(entry: Entry, field: str, value: str) -> str:
    return gettext(
        "Valeur inconnue : {champ} « {valeur} » pour « {nom} » — {page}",
        None,
        champ=field,
        valeur=value,
        nom=entry.name,
        page=entry.page or entry.entry_id,
    )
