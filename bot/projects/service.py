"""The national project database's flows, each from start to end: searching and reading records,
proposing and editing them, moderating, the référents' confirmations, CSV in and out, and the round
that asks référents whether a stale record still holds.

What the bot says on its own (the card in the moderation queue, the verdict to the proposer, the
référents' questions) is a ledger row written in the transaction of the change that causes it, and
written out at send time (bot/projects/messages.py). Only a member's message to the référents is
sent at once, since the member waits to know whether it arrived."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.changes import catch_up
from bot.clock import Clock, to_db
from bot.errors import UserError, invalid
from bot.guild_settings import GuildSettingsStore
from bot.households.models import HouseholdProfile
from bot.notify import Delivery, Outgoing
from bot.outbox import Kind, Letter, Outbox, Skip, Status, Target, subject
from bot.projects.csvfile import parse_csv, to_csv
from bot.projects.index import ProjectIndex
from bot.projects.messages import moderation_card, question_message, relay_message, verdict_message
from bot.projects.models import (
    MESSAGE_MAX,
    MESSAGE_MIN,
    REASON_MAX,
    SEARCH_LIMIT,
    ImportReport,
    Project,
    ProjectDraft,
    ProjectFacts,
    ProjectStatus,
    ProjectSummary,
    Question,
    Relayed,
    SearchFilters,
    SearchHit,
    Submitted,
    Verdict,
)
from bot.projects.store import ProjectStore
from bot.text import typed_id

MODERATION = "project.moderation"  # the card in a server's moderation queue
VERDICT = "project.verdict"  # published / refused, a change accepted / refused: to who proposed it
QUESTION = "project.question"  # "still true?" / "still recruiting?": to each référent

QUESTION_BATCH = 100  # stale records asked per round step
EXPORT_BATCH = 500
EXPORT_LIMIT = 100_000
CHANGES_PAGE = 5_000  # changed projects read at once (all of them at start)


def about(project_id: int) -> str:
    return subject("project", project_id)


class ProjectService:
    def __init__(self, store: ProjectStore, settings: GuildSettingsStore, outbox: Outbox, clock: Clock) -> None:
        self.store = store
        self.db = store.db
        self.settings = settings
        self.outbox = outbox
        self.clock = clock
        self.index = ProjectIndex()
        self._refreshing = asyncio.Lock()
        outbox.register(MODERATION, Kind(self._render_card))
        outbox.register(VERDICT, Kind(self._render_verdict))
        outbox.register(QUESTION, Kind(self._render_question))

    # ----------------------------------------------------------------- reading

    async def refresh(self) -> None:
        """The index of published projects brought up to date with the database (all of it, the first time:
        the bot starts it in the background once connected)."""
        async with self._refreshing:
            now = self.clock().timestamp()

            async def page() -> bool:
                rows = await self.store.changes(self.index.changes.since, self.index.changes.wanted(now), CHANGES_PAGE)
                unstemmed = [
                    row["id"] for row in rows if row["stems"] is None and row["statut"] == ProjectStatus.publie
                ]
                self.index.apply(rows, now, await self.store.fill_stems(unstemmed) if unstemmed else {})
                return len(rows) < CHANGES_PAGE

            await catch_up(self.index.changes, self.db.change_count("project_changes"), now, page)

    async def search(self, filters: SearchFilters, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
        """Published projects matching every filter, by relevance then distance then name."""
        await self.refresh()
        return self.index.search(filters, limit)

    async def recruiting(
        self, household: HouseholdProfile, exclude: Collection[int], limit: int
    ) -> list[ProjectSummary]:
        """The recruiting projects best suited to a household, best first (see `ProjectIndex.recruiting`), as the
        index shows them."""
        await self.refresh()
        return self.index.summaries(self.index.recruiting(household, exclude, limit))

    async def summaries(self, ids: Sequence[int]) -> list[ProjectSummary]:
        """A page of results or its map: these projects as the index shows them, in the order of `ids` (those
        still published)."""
        await self.refresh()
        return self.index.summaries(ids)

    async def names(self, typed: str, *, user_id: int | None = None) -> list[tuple[int, str, str]]:
        """(id, name, commune) of published projects whose name holds `typed`, or of a référent's own."""
        return await self.store.names_like(typed, user_id=user_id)

    async def find(self, which: str) -> Project:
        """A project as an option names it: its id (from the autocomplete), or a name only one project has."""
        number = typed_id(which)
        project = await self.store.get(number) if number is not None else None
        if project is None:
            matches = await self.store.names_like(which, limit=2)
            project = await self.store.get(matches[0][0]) if len(matches) == 1 else None
        if project is None:
            raise UserError(
                "Je ne trouve pas le projet « {projet} » : choisissez-le dans la liste proposée.", projet=which
            )
        return project

    async def record(self, which: str, *, viewer_id: int, moderator: bool) -> Project:
        """The full record; one waiting for a moderator only for its référents and the moderators."""
        project = await self.find(which)
        if not project.published and not project.editable_by(viewer_id, moderator):
            if project.statut is ProjectStatus.refuse:
                raise UserError("Ce projet n'existe plus.")
            raise UserError("Ce projet attend encore la validation d'un modérateur.")
        return project

    # ----------------------------------------------------------------- proposing and editing

    def facts(self, options: Mapping[str, Any]) -> ProjectFacts:
        """The command's options, checked before the form opens (a bad site is refused at once)."""
        try:
            return ProjectFacts.model_validate(options)
        except ValidationError as error:
            raise invalid(error, ProjectFacts) from None

    async def edit_form(
        self, which: str, *, user_id: int, moderator: bool, changes: Mapping[str, Any]
    ) -> tuple[Project, ProjectFacts]:
        """The record to edit and its facts with the command's changes, if this member may edit it."""
        project = await self.find(which)
        if not project.editable_by(user_id, moderator):
            raise UserError("Seuls les référents du projet et les modérateurs peuvent le modifier.")
        return project, self.facts(project.facts.model_dump() | dict(changes))

    async def propose(self, draft: ProjectDraft, *, proposer_id: int, guild_id: int | None, locale: str) -> Submitted:
        """A new project waits for a moderator; its card goes to the server's moderation queue."""
        async with self.db.transaction():
            project = await self.store.propose(draft, proposer_id=proposer_id, guild_id=guild_id, locale=locale)
            queued = await self._queue_card(project, guild_id)
        self.outbox.nudge()
        return Submitted(project, waits=True, queued=queued)

    async def edit(
        self,
        project_id: int,
        draft: ProjectDraft,
        *,
        editor_id: int,
        moderator: bool,
        guild_id: int | None,
        locale: str,
    ) -> Submitted:
        """Most fields change at once (and the record counts as confirmed); a new name, commune or
        stage of a published record waits for a moderator, whose card goes to the queue of the server
        where the edit was made (from a DM, the one where the project was proposed)."""
        async with self.db.transaction():
            current = await self.store.must_get(project_id)
            if not current.editable_by(editor_id, moderator):
                raise UserError("Seuls les référents du projet et les modérateurs peuvent le modifier.")
            project = await self.store.update(project_id, draft, editor_id=editor_id, guild_id=guild_id, locale=locale)
            if editor_id in current.referents:
                await self.store.note_locale(project_id, editor_id, locale)
            await self.outbox.store.cancel(about(project_id), [QUESTION], reason="fiche mise à jour")
            queued = False
            if project.pending is not None:
                queued = await self._queue_card(project, guild_id or project.guild_id)
        self.outbox.nudge()
        return Submitted(project, waits=project.pending is not None, queued=queued)

    async def _queue_card(self, project: Project, guild_id: int | None) -> bool:
        """The card in the server's moderation queue; False when the server has none."""
        if guild_id is None:
            return False
        channel_id = (await self.settings.get(guild_id)).modqueue_channel_id
        if channel_id is None:
            return False
        # A card not yet posted shows what the next one shows: one is enough.
        await self.outbox.store.cancel(about(project.id), [MODERATION], reason="remplacée")
        await self.outbox.store.put(
            MODERATION, Target.channel, channel_id, guild_id=guild_id, about=about(project.id),
            payload={"project": project.id},
        )  # fmt: skip
        return True

    # ----------------------------------------------------------------- moderation

    async def publish(self, project_id: int) -> Project:
        """A moderator publishes a new project, or applies the pending change of a published one; who
        proposed it is told. Returns the record as the moderator saw it."""
        async with self.db.transaction():
            before = await self._awaiting(project_id)
            await self.store.publish(project_id)
            await self._verdict(before, Verdict.change_accepted if before.pending else Verdict.published, "")
        self.outbox.nudge()
        return before

    async def refuse(self, project_id: int, reason: str) -> Project:
        """A moderator refuses a new project, or only the pending change of a published one, with a
        reason sent to who proposed it. Returns the record as the moderator saw it."""
        reason = reason.strip()
        if not reason or len(reason) > REASON_MAX:
            raise UserError("La raison tient en 1 à {max} caractères.", max=REASON_MAX)
        async with self.db.transaction():
            before = await self._awaiting(project_id)
            await self.store.refuse(project_id)
            await self._verdict(before, Verdict.change_refused if before.pending else Verdict.refused, reason)
        self.outbox.nudge()
        return before

    async def _awaiting(self, project_id: int) -> Project:
        """In the verdict's transaction: the record held, so that a second moderator's verdict finds it given."""
        await self.db.hold("projects", project_id)
        project = await self.store.must_get(project_id)
        if not project.awaits_moderation:
            raise UserError("Ce projet a déjà été traité.")
        return project

    async def _verdict(self, before: Project, verdict: Verdict, reason: str) -> None:
        if before.pending is not None:
            recipient, locale = before.pending.proposed_by, before.pending.locale
        elif before.proposed_by is not None:
            recipient, locale = before.proposed_by, before.locale
        else:
            return  # imported records have no proposer
        await self.outbox.store.put(
            VERDICT, Target.dm, recipient, guild_id=before.guild_id, locale=locale, about=about(before.id),
            payload={"project": before.id, "verdict": verdict.value, "reason": reason},
        )  # fmt: skip

    # ----------------------------------------------------------------- référents

    async def confirm(self, project_id: int, user_id: int, *, still_recruiting: bool, locale: str) -> Project:
        """A référent answers « Toujours d'actualité » (or « Nous ne recrutons plus »): the record is
        confirmed, and the questions not yet sent about it are withdrawn."""
        async with self.db.transaction():
            project = await self.store.must_get(project_id)
            if user_id not in project.referents:
                raise UserError("Seuls les référents du projet peuvent répondre.")
            recrute = None if not project.recrute else still_recruiting
            confirmed = await self.store.confirm(project_id, recrute=recrute)
            await self.store.note_locale(project_id, user_id, locale)
            await self.outbox.store.cancel(about(project_id), [QUESTION], reason="confirmée")
        return confirmed

    async def relay(self, project_id: int, *, sender_id: int, sender_name: str, text: str, nonce: str) -> Relayed:
        """A member writes to a project's référents through the bot, at once (their ids stay hidden).
        Says how many received it, and the record's public site and contact for when none did."""
        text = text.strip()
        if not MESSAGE_MIN <= len(text) <= MESSAGE_MAX:
            raise UserError("Un message tient en {min} à {max} caractères.", min=MESSAGE_MIN, max=MESSAGE_MAX)
        project = await self.store.must_get(project_id)
        delivered = 0
        for referent in await self.store.referents(project_id):
            message = relay_message(project, sender_id, sender_name, text, referent.locale)
            delivered += await self.outbox.notifier.dm(referent.user_id, message, nonce=nonce) is Delivery.SENT
        return Relayed(delivered, project.site, project.contact)

    # ----------------------------------------------------------------- CSV in and out

    async def import_csv(self, text: str) -> ImportReport:
        """Every row is checked before anything is written (ImportError_ names the bad ones); the check
        runs beside the event loop, which keeps serving members meanwhile."""
        drafts = await asyncio.to_thread(parse_csv, text, self.store.geo)
        return await self.import_drafts(drafts)

    async def import_drafts(self, drafts: Sequence[ProjectDraft]) -> ImportReport:
        """Checked rows, written a batch per transaction (the engine's `batch_rows`), so that other members'
        writes pass between two batches. Importing a file again changes nothing: an import cut short by a
        crash is finished by importing the same file again."""
        report = ImportReport()
        batch = self.db.dialect.batch_rows
        for start in range(0, len(drafts), batch):
            report.add(await self.store.import_drafts(drafts[start : start + batch]))
        return report

    async def export_csv(self, filters: SearchFilters | None = None) -> tuple[str, int]:
        """CSV (the import format) of what a search finds, or of every published project; and how many."""
        if filters is None:
            ids = await self.store.published_ids()
        else:
            ids = [hit.project_id for hit in await self.search(filters, limit=EXPORT_LIMIT)]
        projects: list[Project] = []
        for start in range(0, len(ids), EXPORT_BATCH):
            projects += await self.store.get_many(ids[start : start + EXPORT_BATCH])
        return await asyncio.to_thread(to_csv, projects), len(projects)

    # ----------------------------------------------------------------- the round: records kept alive

    async def next_due(self) -> datetime | None:
        return await self.store.next_stale()

    async def run_due(self) -> int:
        """Ask the référents of a batch of stale records: the question recorded and one ledger row per
        référent, in one transaction. Returns how many records were settled."""
        async with self.db.transaction():
            records = await self.store.stale_records(self.clock(), QUESTION_BATCH)
            for record in records:
                if not await self.store.record_question(record):
                    continue  # asked by another process's round meanwhile
                for referent in await self.store.referents(record.project_id):
                    await self.outbox.store.put(
                        QUESTION, Target.dm, referent.user_id, guild_id=record.guild_id, locale=referent.locale,
                        about=about(record.project_id),
                        payload={"question": record.question.value, "since": to_db(record.since)},
                    )  # fmt: skip
        if records:
            self.outbox.nudge()
        return len(records)

    # ----------------------------------------------------------------- written at send time

    async def _subject(self, letter: Letter) -> Project:
        project = await self.store.get(int(letter.subject.split(":")[1])) if letter.subject else None
        if project is None:
            raise Skip(Status.cancelled, "projet supprimé")
        return project

    async def _render_card(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        project = await self._subject(letter)
        if not project.awaits_moderation:
            raise Skip(Status.cancelled, "déjà traité")
        return moderation_card(project, zone)

    async def _render_verdict(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        project = await self._subject(letter)
        return verdict_message(project, Verdict(letter.payload["verdict"]), letter.payload["reason"], letter.locale)

    async def _render_question(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        project = await self._subject(letter)
        question = Question(letter.payload["question"])
        since = letter.payload["since"]
        if not project.published:
            raise Skip(Status.cancelled, "projet retiré")
        if letter.recipient_id not in project.referents:
            raise Skip(Status.cancelled, "n'est plus référent")
        asked_about = project.confirmed_at if question is Question.fiche else project.recrute_confirmed_at
        if asked_about is None or to_db(asked_about) != since:
            raise Skip(Status.cancelled, "confirmée entre-temps")
        return question_message(project, question, asked_about, zone, letter.locale)
