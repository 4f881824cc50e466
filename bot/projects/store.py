"""The project store: SQL, the change log the in-memory index reads (searching is bot/projects/index.py),
moderation queue and the records' confirmations.

A project proposed by a member waits for a moderator; once published, a change of name, commune or
stage waits again, while the other fields change at once."""

from __future__ import annotations

import asyncio
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import Any

from bot.clock import from_db, to_db
from bot.db import Database, Duplicate, Row, changes_since, from_row, marks
from bot.errors import UserError
from bot.geo import Commune, Geography
from bot.projects.models import (
    MODERATED_FIELDS,
    RECRUTE_STALE_AFTER,
    SOURCE_FIELDS,
    STALE_AFTER,
    ImportReport,
    PendingRevision,
    Project,
    ProjectDraft,
    ProjectSource,
    ProjectStatus,
    Question,
    Referent,
    SiteState,
    SourceLink,
    StaleRecord,
    source_fingerprint,
)
from bot.text import fold, stemmed
from bot.vocabulary import EspacePartage, Public, mask_of, members_of

# The columns a draft fills, in this order, for both the INSERT and the UPDATE below: with the record, what the
# in-memory index reads of it (bot/projects/index.py), its stems and its publics' and spaces' bitmasks.
RECORD_COLUMNS = (
    "nom, nom_cle, code_insee, commune, departement, region, lat, lon, etape, initiative, forme_juridique,"
    " logements, recrute, description, site, contact, stems, public_mask, space_mask"
)
# A new record's: those of its draft, then its status and who proposed it where, and when.
INSERTED_COLUMNS = (
    *RECORD_COLUMNS.replace(" ", "").split(","),
    *("statut", "guild_id", "proposed_by", "locale", "created_at", "updated_at", "confirmed_at"),
    "recrute_confirmed_at",
)


def _record_values(draft: ProjectDraft, commune: Commune) -> tuple[Any, ...]:
    return (
        draft.nom,
        fold(draft.nom),
        draft.code_insee,
        commune.nom,
        commune.departement,
        commune.region,
        commune.lat,
        commune.lon,
        draft.etape.value,
        draft.initiative.value,
        draft.forme_juridique.value,
        draft.logements,
        int(draft.recrute),
        draft.description,
        draft.site,
        draft.contact,
        stemmed(draft.nom, commune.nom, draft.description),
        mask_of(draft.publics, Public),
        mask_of(draft.espaces_partages, EspacePartage),
    )


STATEMENT_RECORDS = 500  # records a statement of an import writes at most
# New records whose rows are built (their stems worked out) before the event loop gets a turn: ~7 ms.
BUILT_BETWEEN_TURNS = 100
# What the index reads of a description, for its excerpt (EXCERPT characters once its spaces are folded): a
# page of changes then holds no more than this of each, and the resident memory keeps no trace of the rest.
DESCRIPTION_START = 1_000


class ProjectStore:
    def __init__(self, db: Database, geo: Geography) -> None:
        self.db = db
        self.geo = geo

    # ----------------------------------------------------------------- reading

    async def get(self, project_id: int) -> Project | None:
        found = await self.get_many([project_id])
        return found[0] if found else None

    async def get_many(self, ids: Sequence[int]) -> list[Project]:
        """Projects in the order of `ids` (those that exist), in one query whatever the number: a page of results
        is read on every search, and each query is a trip to the database's thread or server. Publics and
        shared spaces come from the row's bitmasks, written with their lists."""
        if not ids:
            return []
        # A project has at most one source and one revision waiting (both keyed by project_id).
        rows = await self.db.fetchall(
            "SELECT p.*, s.site AS source_site, s.entry_id AS source_entry_id, s.page_url AS source_page_url,"
            " s.updated_at AS source_updated_at, s.retired_at AS source_retired_at, r.nom AS revision_nom,"
            " r.code_insee AS revision_code_insee, r.etape AS revision_etape, r.proposed_by AS revision_proposed_by,"
            " r.guild_id AS revision_guild_id, r.locale AS revision_locale,"
            f" (SELECT {self.db.dialect.listed('x.user_id')} FROM project_referents x WHERE x.project_id = p.id)"
            " AS referent_ids"
            " FROM projects p LEFT JOIN project_sources s ON s.project_id = p.id"
            f" LEFT JOIN project_revisions r ON r.project_id = p.id WHERE p.id IN ({marks(ids)})",
            tuple(ids),
        )
        by_id = {row["id"]: self._project(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    def _project(self, row: Row) -> Project:
        pending = None
        if row["revision_nom"] is not None:
            commune = self.geo.commune(row["revision_code_insee"])
            pending = PendingRevision(
                nom=row["revision_nom"],
                code_insee=row["revision_code_insee"],
                commune=commune.nom if commune else row["revision_code_insee"],
                etape=row["revision_etape"],
                proposed_by=row["revision_proposed_by"],
                guild_id=row["revision_guild_id"],
                locale=row["revision_locale"],
            )
        source = None
        if row["source_site"] is not None:
            source = ProjectSource(
                site=row["source_site"],
                entry_id=row["source_entry_id"],
                page_url=row["source_page_url"],
                updated_at=row["source_updated_at"],
                retired=row["source_retired_at"] is not None,
            )
        return from_row(
            Project,
            row,
            publics=members_of(row["public_mask"], Public),
            espaces_partages=members_of(row["space_mask"], EspacePartage),
            created_at=from_db(row["created_at"]),
            updated_at=from_db(row["updated_at"]),
            confirmed_at=from_db(row["confirmed_at"]),
            recrute_confirmed_at=from_db(row["recrute_confirmed_at"]) if row["recrute_confirmed_at"] else None,
            referents=tuple(sorted(int(user) for user in (row["referent_ids"] or "").split())),
            pending=pending,
            source=source,
        )

    async def names_like(
        self, typed: str, *, user_id: int | None = None, limit: int = 25
    ) -> list[tuple[int, str, str]]:
        """(id, name, commune) of published projects whose name holds `typed`, or of a référent's own."""
        folded = f"%{fold(typed)}%"
        if user_id is not None:
            rows = await self.db.fetchall(
                "SELECT p.id, p.nom, p.commune FROM projects p JOIN project_referents r ON r.project_id = p.id"
                " WHERE r.user_id = ? AND p.nom_cle LIKE ? ORDER BY p.nom_cle LIMIT ?",
                (user_id, folded, limit),
            )
        else:
            rows = await self.db.fetchall(
                "SELECT id, nom, commune FROM projects WHERE statut = 'publie' AND nom_cle LIKE ?"
                " ORDER BY nom_cle LIMIT ?",
                (folded, limit),
            )
        return [(row["id"], row["nom"], row["commune"]) for row in rows]

    async def changes(self, since: int, missing: Sequence[int], limit: int) -> list[Row]:
        """Projects changed past change number `since` (or numbered `missing`), in order, with what the index
        reads of them (bot/projects/index.py); a deleted project's columns are NULL."""
        select = (
            "SELECT c.seq, c.project_id AS id, p.statut, p.nom, p.nom_cle, p.commune, p.lat, p.lon, p.departement,"
            " p.etape, p.initiative, p.forme_juridique, p.recrute, p.logements,"
            f" substr(p.description, 1, {DESCRIPTION_START}) AS description, p.confirmed_at,"
            " p.public_mask, p.space_mask, p.stems"
            " FROM project_changes c LEFT JOIN projects p ON p.id = c.project_id"
        )
        return await self.db.fetchall(*changes_since(select, since, missing, limit))

    async def fill_stems(self, ids: Sequence[int]) -> dict[int, str]:
        """The stems of these records, worked out and written where none were: a PostgreSQL database of records
        written before migration 0024 (SQLite's took them from its full-text index)."""
        found: dict[int, str] = {}
        for start in range(0, len(ids), STATEMENT_RECORDS):
            part = ids[start : start + STATEMENT_RECORDS]
            rows = await self.db.fetchall(
                f"SELECT id, nom, commune, description FROM projects WHERE id IN ({marks(part)})", part
            )
            found.update({row["id"]: stemmed(row["nom"], row["commune"], row["description"]) for row in rows})
        await self.db.execute_many(
            "UPDATE projects SET stems = ? WHERE id = ? AND stems IS NULL", [(text, key) for key, text in found.items()]
        )
        return found

    # ----------------------------------------------------------------- writing

    def _taken(self, draft: ProjectDraft) -> UserError:
        commune = self._commune(draft.code_insee)
        return UserError("Un projet « {nom} » existe déjà à {commune}.", nom=draft.nom, commune=commune.nom)

    def _commune(self, insee: str) -> Commune:
        commune = self.geo.commune(insee)
        if commune is None:
            raise UserError("Je ne trouve pas la commune « {commune} ».", commune=insee)
        return commune

    async def propose(self, draft: ProjectDraft, *, proposer_id: int, guild_id: int | None, locale: str) -> Project:
        """A new project, waiting for a moderator; its proposer becomes its référent."""
        async with self.db.transaction():
            project_id = await self._insert(
                draft, statut=ProjectStatus.en_attente, proposer_id=proposer_id, guild_id=guild_id, locale=locale
            )
            await self.db.execute(
                "INSERT INTO project_referents (project_id, user_id, locale) VALUES (?, ?, ?)",
                (project_id, proposer_id, locale),
            )
        return await self.must_get(project_id)

    async def _insert(
        self,
        draft: ProjectDraft,
        *,
        statut: ProjectStatus,
        proposer_id: int | None,
        guild_id: int | None,
        locale: str,
    ) -> int:
        duplicate = await self.db.fetchone(
            "SELECT id FROM projects WHERE nom_cle = ? AND code_insee = ?",
            (fold(draft.nom), draft.code_insee),
        )
        if duplicate is not None:
            raise self._taken(draft)
        try:
            [project_id] = await self._insert_rows(
                [draft], statut=statut, proposer_id=proposer_id, guild_id=guild_id, locale=locale
            )
        except Duplicate:  # written by another member since the check (PostgreSQL runs both at once)
            raise self._taken(draft) from None
        await self._add_lists([(project_id, draft)])
        return project_id

    async def _insert_rows(
        self,
        drafts: Sequence[ProjectDraft],
        *,
        statut: ProjectStatus,
        proposer_id: int | None = None,
        guild_id: int | None = None,
        locale: str = "fr",
    ) -> list[int]:
        """The new records of these drafts (one per key), written at once; their ids, in the drafts' order."""
        if not drafts:
            return []
        now = to_db(self.db.clock())
        rows: list[tuple[Any, ...]] = []
        for start in range(0, len(drafts), BUILT_BETWEEN_TURNS):
            if start:
                await asyncio.sleep(0)  # members' answers pass between
            rows += [
                (
                    *_record_values(draft, self._commune(draft.code_insee)),
                    statut.value,
                    guild_id,
                    proposer_id,
                    locale,
                    now,
                    now,
                    now,
                    now if draft.recrute else None,
                )
                for draft in drafts[start : start + BUILT_BETWEEN_TURNS]
            ]
        return await self.db.write_numbered("projects", INSERTED_COLUMNS, rows)

    async def _replace_lists(self, written: Sequence[tuple[int, ProjectDraft]]) -> None:
        """The publics and shared spaces of these projects, as their drafts say."""
        if not written:
            return
        ids = [project_id for project_id, _ in written]
        await self.db.execute(f"DELETE FROM project_publics WHERE project_id IN ({marks(ids)})", ids)
        await self.db.execute(f"DELETE FROM project_spaces WHERE project_id IN ({marks(ids)})", ids)
        await self._add_lists(written)

    async def _add_lists(self, written: Sequence[tuple[int, ProjectDraft]]) -> None:
        """The publics and shared spaces of these projects, which hold none yet."""
        await self.db.write_rows(
            "project_publics",
            ("project_id", "public"),
            [(project_id, p.value) for project_id, draft in written for p in sorted(draft.publics)],
        )
        await self.db.write_rows(
            "project_spaces",
            ("project_id", "espace"),
            [(project_id, e.value) for project_id, draft in written for e in sorted(draft.espaces_partages)],
        )

    async def must_get(self, project_id: int) -> Project:
        project = await self.get(project_id)
        if project is None:
            raise UserError("Ce projet n'existe plus.")
        return project

    async def update(
        self, project_id: int, draft: ProjectDraft, *, editor_id: int, guild_id: int | None, locale: str
    ) -> Project:
        """Apply a référent's or moderator's edit. On a published project, a new name, commune or stage
        waits for a moderator (the returned project's `pending`); everything else applies at once."""
        async with self.db.transaction():
            current = await self.must_get(project_id)
            moderated = current.published and any(
                getattr(draft, field) != getattr(current, field) for field in MODERATED_FIELDS
            )
            applied = draft
            if moderated:
                self._commune(draft.code_insee)
                await self.db.execute(
                    "INSERT INTO project_revisions"
                    " (project_id, nom, code_insee, etape, proposed_by, guild_id, locale, proposed_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project_id) DO UPDATE SET nom = excluded.nom,"
                    " code_insee = excluded.code_insee, etape = excluded.etape, proposed_by = excluded.proposed_by,"
                    " guild_id = excluded.guild_id, locale = excluded.locale, proposed_at = excluded.proposed_at",
                    (
                        project_id,
                        draft.nom,
                        draft.code_insee,
                        draft.etape.value,
                        editor_id,
                        guild_id,
                        locale,
                        to_db(self.db.clock()),
                    ),
                )
                applied = draft.model_copy(update={f: getattr(current, f) for f in MODERATED_FIELDS})
            await self._write(project_id, applied, current)
        return await self.must_get(project_id)

    async def _write(self, project_id: int, draft: ProjectDraft, current: Project) -> None:
        clash = await self.db.fetchone(
            "SELECT id FROM projects WHERE nom_cle = ? AND code_insee = ? AND id != ?",
            (fold(draft.nom), draft.code_insee, project_id),
        )
        if clash is not None:
            raise self._taken(draft)
        try:
            await self._update_row(project_id, draft, current)
        except Duplicate:
            raise self._taken(draft) from None
        await self._replace_lists([(project_id, draft)])

    async def _update_row(self, project_id: int, draft: ProjectDraft, current: Project) -> None:
        commune = self._commune(draft.code_insee)
        now = to_db(self.db.clock())
        recrute_since = to_db(current.recrute_confirmed_at) if current.recrute_confirmed_at else None
        if draft.recrute and not current.recrute:
            recrute_since = now
        values = (*_record_values(draft, commune), now, now, recrute_since if draft.recrute else None)
        await self.db.execute(
            f"UPDATE projects SET ({RECORD_COLUMNS}, updated_at, confirmed_at, recrute_confirmed_at)"
            f" = ({marks(values)}) WHERE id = ?",
            (*values, project_id),
        )

    async def publish(self, project_id: int) -> Project:
        """A moderator publishes a new project, or applies the pending change of a published one."""
        async with self.db.transaction():
            current = await self.must_get(project_id)
            if current.pending is not None:
                pending = current.pending
                draft = current.draft.model_copy(
                    update={"nom": pending.nom, "code_insee": pending.code_insee, "etape": pending.etape}
                )
                await self._write(project_id, draft, current)
                await self.db.execute("DELETE FROM project_revisions WHERE project_id = ?", (project_id,))
            await self.db.execute(
                "UPDATE projects SET statut = ?, updated_at = ? WHERE id = ?",
                (ProjectStatus.publie.value, to_db(self.db.clock()), project_id),
            )
        return await self.must_get(project_id)

    async def refuse(self, project_id: int) -> Project:
        """A moderator refuses a new project, or only the pending change of a published one."""
        async with self.db.transaction():
            current = await self.must_get(project_id)
            if current.pending is not None:
                await self.db.execute("DELETE FROM project_revisions WHERE project_id = ?", (project_id,))
            else:
                await self.db.execute(
                    "UPDATE projects SET statut = ?, updated_at = ? WHERE id = ?",
                    (ProjectStatus.refuse.value, to_db(self.db.clock()), project_id),
                )
        return await self.must_get(project_id)

    async def confirm(self, project_id: int, *, recrute: bool | None = None) -> Project:
        """A référent says the record still holds (and, when asked, whether they still recruit)."""
        now = to_db(self.db.clock())
        async with self.db.transaction():
            await self.db.execute("UPDATE projects SET confirmed_at = ? WHERE id = ?", (now, project_id))
            if recrute is not None:
                await self.db.execute(
                    "UPDATE projects SET recrute = ?, recrute_confirmed_at = ?, updated_at = ? WHERE id = ?",
                    (int(recrute), now if recrute else None, now, project_id),
                )
        return await self.must_get(project_id)

    async def import_drafts(self, drafts: Sequence[ProjectDraft]) -> ImportReport:
        """Create or update published projects keyed by name + commune, in one transaction. Importing
        the same rows twice changes nothing. (Drafts come checked, one per key.)"""
        report = ImportReport()
        async with self.db.transaction():
            # A few hundred records a statement, whatever the caller gives: SQLite takes at most 32,766
            # parameters a statement, and a record is 24.
            for start in range(0, len(drafts), STATEMENT_RECORDS):
                await self._import_part(drafts[start : start + STATEMENT_RECORDS], report)
        return report

    async def _import_part(self, drafts: Sequence[ProjectDraft], report: ImportReport) -> None:
        keys = [(fold(draft.nom), draft.code_insee) for draft in drafts]
        known = await self._ids_by_key(keys)
        current = {project.id: project for project in await self.get_many(list(known.values()))}
        new: list[ProjectDraft] = []
        changed: list[tuple[int, ProjectDraft]] = []
        for draft, key in zip(drafts, keys, strict=True):
            project_id = known.get(key)
            if project_id is None:
                new.append(draft)
            elif current[project_id].draft == draft:
                report.unchanged += 1
            else:
                changed.append((project_id, draft))
        for project_id, draft in changed:
            await self._update_row(project_id, draft, current[project_id])
        await self._replace_lists(changed)
        created = await self._insert_rows(new, statut=ProjectStatus.publie)
        await self._add_lists(list(zip(created, new, strict=True)))
        report.created += len(created)
        report.updated += len(changed)

    async def _ids_by_key(self, keys: Collection[tuple[str, str]]) -> dict[tuple[str, str], int]:
        """The projects already known under these keys (folded name, commune)."""
        if not keys:
            return {}
        # A lookup per key, by the unique index: PostgreSQL keeps the plan it made while the table was small,
        # and `nom_cle IN (…)` then stays a scan of the whole table, comparing each row with every name.
        rows = await self.db.fetchall(
            "SELECT k.column1 AS nom_cle, k.column2 AS code_insee,"
            " (SELECT p.id FROM projects p WHERE p.nom_cle = k.column1 AND p.code_insee = k.column2) AS id"
            f" FROM (VALUES {', '.join(['(?, ?)'] * len(keys))}) AS k",
            [value for key in keys for value in key],
        )
        return {(row["nom_cle"], row["code_insee"]): row["id"] for row in rows if row["id"] is not None}

    async def published_ids(self) -> list[int]:
        """Every published project, in the export's order (by name, then commune)."""
        rows = await self.db.fetchall("SELECT id FROM projects WHERE statut = 'publie' ORDER BY nom_cle, code_insee")
        return [row["id"] for row in rows]

    # ----------------------------------------------------------------- the national database (its sync)

    async def source_links(self, site: str) -> dict[str, SourceLink]:
        """The records imported from `site`, by entry id."""
        rows = await self.db.fetchall(
            "SELECT project_id, entry_id, fingerprint, conflict, retired_at FROM project_sources WHERE site = ?",
            (site,),
        )
        return {
            row["entry_id"]: SourceLink(
                row["project_id"], row["entry_id"], row["fingerprint"], row["conflict"], row["retired_at"] is not None
            )
            for row in rows
        }

    async def unsourced_by_key(self, drafts: Sequence[ProjectDraft]) -> dict[tuple[str, str], int | None]:
        """Records already known under these drafts' keys (folded name, commune): their id when no source
        feeds them yet (a sync may adopt them), None when another entry already does."""
        known = await self._ids_by_key({(fold(draft.nom), draft.code_insee) for draft in drafts})
        if not known:
            return {}
        ids = list(known.values())
        rows = await self.db.fetchall(f"SELECT project_id FROM project_sources WHERE project_id IN ({marks(ids)})", ids)
        sourced = {row["project_id"] for row in rows}
        return {key: None if project_id in sourced else project_id for key, project_id in known.items()}

    async def add_sourced(self, draft: ProjectDraft, source: ProjectSource) -> int:
        """A published record for a new entry of the national database (in the caller's transaction)."""
        [project_id] = await self._insert_rows([draft], statut=ProjectStatus.publie)
        await self._add_lists([(project_id, draft)])
        await self._link(project_id, source, source_fingerprint(draft))
        return project_id

    async def apply_source(self, current: Project, draft: ProjectDraft, source: ProjectSource) -> None:
        """The source's version of what it owns written over the record, the rest kept; a retired record
        comes back (in the caller's transaction)."""
        merged = current.draft.model_copy(update={field: getattr(draft, field) for field in SOURCE_FIELDS})
        if merged != current.draft:
            await self._update_row(current.id, merged, current)
        if not current.published:
            await self.db.execute(
                "UPDATE projects SET statut = ?, updated_at = ? WHERE id = ?",
                (ProjectStatus.publie.value, to_db(self.db.clock()), current.id),
            )
        await self._link(current.id, source, source_fingerprint(draft))

    async def _link(self, project_id: int, source: ProjectSource, fingerprint: str) -> None:
        await self.db.execute(
            "INSERT INTO project_sources (project_id, site, entry_id, page_url, updated_at, fingerprint)"
            " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (project_id) DO UPDATE SET site = excluded.site,"
            " entry_id = excluded.entry_id, page_url = excluded.page_url, updated_at = excluded.updated_at,"
            " fingerprint = excluded.fingerprint, conflict = NULL, retired_at = NULL",
            (project_id, source.site, source.entry_id, source.page_url, source.updated_at, fingerprint),
        )

    async def clashes(self, draft: ProjectDraft, project_id: int) -> bool:
        """Whether another record already holds this draft's name in its commune."""
        row = await self.db.fetchone(
            "SELECT 1 FROM projects WHERE nom_cle = ? AND code_insee = ? AND id != ?",
            (fold(draft.nom), draft.code_insee, project_id),
        )
        return row is not None

    async def hold_conflict(self, project_id: int, draft: ProjectDraft) -> None:
        """The source's version of a record also edited on Discord, kept for the moderators to choose."""
        await self.db.execute(
            "UPDATE project_sources SET conflict = ? WHERE project_id = ?", (draft.model_dump_json(), project_id)
        )

    async def source_conflict(self, project_id: int) -> ProjectDraft | None:
        row = await self.db.fetchone("SELECT conflict FROM project_sources WHERE project_id = ?", (project_id,))
        if row is None or row["conflict"] is None:
            return None
        return ProjectDraft.model_validate_json(row["conflict"])

    async def keep_local(self, project_id: int, seen: ProjectDraft) -> None:
        """The moderators keep the Discord version: the source's `seen` counts as imported, so that only
        its next change asks again."""
        await self.db.execute(
            "UPDATE project_sources SET fingerprint = ?, conflict = NULL WHERE project_id = ?",
            (source_fingerprint(seen), project_id),
        )

    async def retire_sourced(self, project_ids: Sequence[int]) -> None:
        """Gone from the source or stopped there: out of search and export (the status that hides a
        record), and marked retired, which tells it from a moderator's refusal."""
        if not project_ids:
            return
        now = to_db(self.db.clock())
        await self.db.execute(
            f"UPDATE projects SET statut = ?, updated_at = ? WHERE id IN ({marks(project_ids)})",
            (ProjectStatus.refuse.value, now, *project_ids),
        )
        await self.db.execute(
            f"UPDATE project_sources SET retired_at = ?, conflict = NULL WHERE project_id IN ({marks(project_ids)})",
            (now, *project_ids),
        )

    async def site_state(self, url: str) -> SiteState:
        row = await self.db.fetchone("SELECT * FROM source_sites WHERE url = ?", (url,))
        if row is None:
            return SiteState(None, None, None)
        last_run = from_db(row["last_run_at"]) if row["last_run_at"] else None
        return SiteState(row["etag"], row["last_modified"], last_run)

    async def save_site_state(self, url: str, state: SiteState) -> None:
        await self.db.execute(
            "INSERT INTO source_sites (url, etag, last_modified, last_run_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (url) DO UPDATE SET etag = excluded.etag, last_modified = excluded.last_modified,"
            " last_run_at = excluded.last_run_at",
            (url, state.etag, state.last_modified, to_db(state.last_run_at) if state.last_run_at else None),
        )

    # ----------------------------------------------------------------- keeping records alive

    async def referents(self, project_id: int) -> list[Referent]:
        rows = await self.db.fetchall(
            "SELECT user_id, locale FROM project_referents WHERE project_id = ? ORDER BY user_id", (project_id,)
        )
        return [Referent(row["user_id"], row["locale"]) for row in rows]

    async def note_locale(self, project_id: int, user_id: int, locale: str) -> None:
        """A référent's language as last seen: what the bot later tells them comes in it."""
        await self.db.execute(
            "UPDATE project_referents SET locale = ? WHERE project_id = ? AND user_id = ?",
            (locale, project_id, user_id),
        )

    async def stale_records(self, now: datetime, limit: int) -> list[StaleRecord]:
        """Records whose référents are not yet asked about their last confirmation, oldest first: a
        year unconfirmed, or six months still recruiting."""
        stale, recrute_stale = to_db(now - STALE_AFTER), to_db(now - RECRUTE_STALE_AFTER)
        rows = await self.db.fetchall(
            "SELECT id, 'fiche' AS question, confirmed_at AS since, guild_id FROM projects p"
            " WHERE statut = 'publie' AND confirmed_at < ? AND NOT EXISTS (SELECT 1 FROM project_nudges n"
            "   WHERE n.project_id = p.id AND n.kind = 'fiche' AND n.since = p.confirmed_at)"
            " UNION ALL"
            " SELECT id, 'recrute', recrute_confirmed_at, guild_id FROM projects p"
            " WHERE statut = 'publie' AND recrute = 1 AND recrute_confirmed_at < ? AND confirmed_at >= ?"
            "   AND NOT EXISTS (SELECT 1 FROM project_nudges n"
            "   WHERE n.project_id = p.id AND n.kind = 'recrute' AND n.since = p.recrute_confirmed_at)"
            " ORDER BY since, id LIMIT ?",
            (stale, recrute_stale, stale, limit),
        )
        return [
            StaleRecord(row["id"], Question(row["question"]), from_db(row["since"]), row["guild_id"]) for row in rows
        ]

    async def record_question(self, record: StaleRecord) -> bool:
        """The question about this confirmation is asked: never again until the next one. False if it already was."""
        changed = await self.db.update(
            "INSERT INTO project_nudges (project_id, kind, since) VALUES (?, ?, ?) ON CONFLICT DO NOTHING",
            (record.project_id, record.question.value, to_db(record.since)),
        )
        return changed == 1

    async def next_stale(self) -> datetime | None:
        """When the next record falls stale (a year unconfirmed, or six months still recruiting)."""
        row = await self.db.fetchone(
            "SELECT (SELECT MIN(confirmed_at) FROM projects WHERE statut = 'publie'"
            "   AND NOT EXISTS (SELECT 1 FROM project_nudges n WHERE n.project_id = projects.id AND n.kind = 'fiche'"
            "   AND n.since = projects.confirmed_at)),"
            " (SELECT MIN(recrute_confirmed_at) FROM projects WHERE statut = 'publie' AND recrute = 1"
            "   AND NOT EXISTS (SELECT 1 FROM project_nudges n WHERE n.project_id = projects.id AND n.kind = 'recrute'"
            "   AND n.since = projects.recrute_confirmed_at))"
        )
        if row is None:
            return None
        moments = []
        if row[0]:
            moments.append(from_db(row[0]) + STALE_AFTER)
        if row[1]:
            moments.append(from_db(row[1]) + RECRUTE_STALE_AFTER)
        return min(moments, default=None)
