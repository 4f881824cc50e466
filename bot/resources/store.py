"""The resource centre's store: SQL, full-text search, the kept files, moderation and CSV import.

A resource proposed by a member waits for a moderator, seen by nobody else; published, it is found by
everyone. A resource is keyed by its folded title (one title, one resource), which CSV files rely on."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from bot.clock import from_db, to_db
from bot.db import Database, Duplicate, Row, Where, from_row, marks
from bot.errors import UserError
from bot.projects.models import ImportReport
from bot.resources.models import (
    SEARCH_LIMIT,
    FileInfo,
    Post,
    Resource,
    ResourceDraft,
    ResourceFilters,
    ResourceStatus,
    StoredFile,
)
from bot.text import fold
from bot.vocabulary import Destinataire, Etape, Pas, Volet

COLUMNS = "titre, titre_cle, resume, lien, theme, etape, volet, pas, type, auteur, date, licence, exemple"


def _values(draft: ResourceDraft) -> tuple[Any, ...]:
    return (
        draft.titre,
        fold(draft.titre),
        draft.resume,
        draft.lien,
        draft.theme.value,
        draft.etape.value if draft.etape else None,
        draft.volet.value if draft.volet else None,
        draft.pas.value if draft.pas else None,
        draft.type.value,
        draft.auteur,
        draft.date,
        draft.licence.value,
        int(draft.exemple),
    )


class ResourceStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    # ----------------------------------------------------------------- reading

    async def get(self, resource_id: int) -> Resource | None:
        found = await self.get_many([resource_id])
        return found[0] if found else None

    async def must_get(self, resource_id: int) -> Resource:
        resource = await self.get(resource_id)
        if resource is None:
            raise UserError("Cette ressource n'existe plus.")
        return resource

    async def get_many(self, ids: Sequence[int]) -> list[Resource]:
        """Resources in the order of `ids` (those that exist)."""
        if not ids:
            return []
        placeholders = marks(ids)
        rows = await self.db.fetchall(f"SELECT * FROM resources WHERE id IN ({placeholders})", tuple(ids))
        audiences: dict[int, set[Destinataire]] = {}
        for row in await self.db.fetchall(
            f"SELECT resource_id, destinataire FROM resource_audiences WHERE resource_id IN ({placeholders})",
            tuple(ids),
        ):
            audiences.setdefault(row[0], set()).add(Destinataire(row[1]))
        files = {
            row["resource_id"]: FileInfo(filename=row["filename"], content_type=row["content_type"], size=row["size"])
            for row in await self.db.fetchall(
                f"SELECT resource_id, filename, content_type, size FROM resource_files"
                f" WHERE resource_id IN ({placeholders})",
                tuple(ids),
            )
        }
        by_id = {row["id"]: _resource(row, audiences.get(row["id"], set()), files.get(row["id"])) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def file(self, resource_id: int) -> StoredFile | None:
        row = await self.db.fetchone(
            "SELECT filename, content_type, data FROM resource_files WHERE resource_id = ?", (resource_id,)
        )
        return StoredFile(row["filename"], row["content_type"], bytes(row["data"])) if row else None

    async def search(self, filters: ResourceFilters, limit: int = SEARCH_LIMIT) -> list[int]:
        """Published resources matching every filter, by relevance then newest first."""
        where = Where("r.statut = 'publie'")
        source, order = "resources r", ""
        source_params: tuple[Any, ...] = ()
        if filters.texte:
            text = self.db.dialect.text_match("resource_fts", "resources", "r", filters.texte)
            if text is None:
                return []
            source, source_params, order = text.source, text.source_params, f"{text.rank}, "
            where.add(text.condition, *text.condition_params)
        for column, value in (
            ("theme", filters.theme),
            ("etape", filters.etape),
            ("volet", filters.volet),
            ("pas", filters.pas),
            ("type", filters.type),
        ):
            if value is not None:
                where.add(f"r.{column} = ?", value.value)
        if filters.destinataire is not None:
            where.add(
                "EXISTS (SELECT 1 FROM resource_audiences a WHERE a.resource_id = r.id AND a.destinataire = ?)",
                filters.destinataire.value,
            )
        rows = await self.db.fetchall(
            f"SELECT r.id FROM {source} WHERE {where} ORDER BY {order}r.created_at DESC, r.id DESC LIMIT ?",
            (*source_params, *where.params, limit),
        )
        return [row["id"] for row in rows]

    async def for_step(self, strand: Volet, step: Pas | None, phase: Etape | None, limit: int) -> list[int]:
        """Published resources of the step first, then of the strand in the phase, then those about the
        whole strand (neither step nor phase), newest first within each."""
        rank = "CASE WHEN pas = ? THEN 0 WHEN etape = ? THEN 1 WHEN etape IS NULL AND pas IS NULL THEN 2 END"
        rows = await self.db.fetchall(
            f"SELECT id FROM (SELECT id, created_at, {rank} AS rang FROM resources WHERE statut = 'publie'"
            " AND volet = ?) AS ranked WHERE rang IS NOT NULL ORDER BY rang, created_at DESC, id DESC LIMIT ?",
            (step.value if step else None, phase.value if phase else None, strand.value, limit),
        )
        return [row["id"] for row in rows]

    async def titles(self, typed: str, *, viewer_id: int, moderator: bool, limit: int = 25) -> list[tuple[int, str]]:
        """(id, title) of the resources this member may open whose title holds `typed`: published ones,
        their own waiting proposals, and for moderators every waiting one."""
        visible = "statut = 'publie' OR (statut = 'en_attente' AND (? = 1 OR proposed_by = ?))"
        rows = await self.db.fetchall(
            f"SELECT id, titre FROM resources WHERE ({visible}) AND titre_cle LIKE ? ESCAPE '\\'"
            " ORDER BY statut = 'publie', titre_cle LIMIT ?",
            (int(moderator), viewer_id, f"%{_like(fold(typed))}%", limit),
        )
        return [(row["id"], row["titre"]) for row in rows]

    async def by_title(self, title: str) -> Resource | None:
        row = await self.db.fetchone("SELECT id FROM resources WHERE titre_cle = ?", (fold(title),))
        return await self.get(row["id"]) if row else None

    async def published_ids(self) -> list[int]:
        """Every published resource, in the export's order (by title)."""
        rows = await self.db.fetchall("SELECT id FROM resources WHERE statut = 'publie' ORDER BY titre_cle")
        return [row["id"] for row in rows]

    async def posts(self, resource_id: int) -> list[Post]:
        rows = await self.db.fetchall(
            "SELECT guild_id, forum_id, thread_id FROM resource_posts WHERE resource_id = ?", (resource_id,)
        )
        return [Post(row["guild_id"], row["forum_id"], row["thread_id"]) for row in rows]

    # ----------------------------------------------------------------- writing

    async def propose(
        self,
        draft: ResourceDraft,
        *,
        file: StoredFile | None,
        proposer_id: int,
        guild_id: int | None,
        locale: str,
    ) -> Resource:
        """A new resource waiting for a moderator, with its file (in the caller's transaction)."""
        taken = UserError("Une ressource s'appelle déjà « {titre} » : choisissez un autre titre.", titre=draft.titre)
        if await self.by_title(draft.titre) is not None:
            raise taken
        try:
            resource_id = await self._insert(draft, ResourceStatus.en_attente, proposer_id, guild_id, locale)
        except Duplicate:  # proposed by another member since the check (PostgreSQL runs both at once)
            raise taken from None
        if file is not None:
            await self.db.execute(
                "INSERT INTO resource_files (resource_id, filename, content_type, size, data) VALUES (?, ?, ?, ?, ?)",
                (resource_id, file.filename, file.content_type, len(file.data), file.data),
            )
        return await self.must_get(resource_id)

    async def _insert(
        self, draft: ResourceDraft, statut: ResourceStatus, proposer_id: int | None, guild_id: int | None, locale: str
    ) -> int:
        now = to_db(self.db.clock())
        resource_id = await self.db.insert(
            f"INSERT INTO resources ({COLUMNS}, statut, guild_id, proposed_by, locale, created_at, updated_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (*_values(draft), statut.value, guild_id, proposer_id, locale, now, now),
        )
        await self._audiences(resource_id, draft)
        return resource_id

    async def _audiences(self, resource_id: int, draft: ResourceDraft) -> None:
        await self.db.execute("DELETE FROM resource_audiences WHERE resource_id = ?", (resource_id,))
        await self.db.execute_many(
            "INSERT INTO resource_audiences (resource_id, destinataire) VALUES (?, ?)",
            [(resource_id, audience.value) for audience in sorted(draft.destinataires)],
        )

    async def settle(self, resource_id: int, statut: ResourceStatus) -> bool:
        """A waiting resource published or refused; False when it was no longer waiting."""
        changed = await self.db.update(
            "UPDATE resources SET statut = ?, updated_at = ? WHERE id = ? AND statut = 'en_attente'",
            (statut.value, to_db(self.db.clock()), resource_id),
        )
        return changed == 1

    async def set_post(self, resource_id: int, post: Post) -> None:
        await self.db.execute(
            "INSERT INTO resource_posts (resource_id, guild_id, forum_id, thread_id) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (resource_id, guild_id) DO UPDATE SET forum_id = excluded.forum_id,"
            " thread_id = excluded.thread_id",
            (resource_id, post.guild_id, post.forum_id, post.thread_id),
        )

    async def import_drafts(self, drafts: Sequence[ResourceDraft]) -> ImportReport:
        """Create or update published resources keyed by folded title, in one transaction; the same rows
        twice change nothing. A row without a link keeps the file its resource already has."""
        report = ImportReport()
        async with self.db.transaction():
            keys = sorted({fold(draft.titre) for draft in drafts})
            rows = await self.db.fetchall(
                f"SELECT id, titre_cle FROM resources WHERE titre_cle IN ({marks(keys)})", keys
            )
            known = {row["titre_cle"]: row["id"] for row in rows}
            current = {r.id: r for r in await self.get_many(list(known.values()))}
            for draft in drafts:
                resource_id = known.get(fold(draft.titre))
                if resource_id is None:
                    await self._insert(draft, ResourceStatus.publie, None, None, "fr")
                    report.created += 1
                    continue
                before = current[resource_id]
                if before.draft == draft and before.published:
                    report.unchanged += 1
                    continue
                await self.db.execute(
                    f"UPDATE resources SET ({COLUMNS}, statut, updated_at)"
                    " = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE id = ?",
                    (*_values(draft), ResourceStatus.publie.value, to_db(self.db.clock()), resource_id),
                )
                await self._audiences(resource_id, draft)
                report.updated += 1
        return report

    async def with_files(self, titles: Sequence[str]) -> set[str]:
        """The folded titles, among these, of resources that have a file."""
        keys = sorted({fold(title) for title in titles})
        if not keys:
            return set()
        rows = await self.db.fetchall(
            f"SELECT r.titre_cle FROM resources r JOIN resource_files f ON f.resource_id = r.id"
            f" WHERE r.titre_cle IN ({marks(keys)})",
            keys,
        )
        return {row["titre_cle"] for row in rows}


def _like(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def _resource(row: Row, audiences: set[Destinataire], file: FileInfo | None) -> Resource:
    return from_row(
        Resource,
        row,
        destinataires=frozenset(audiences),
        exemple=bool(row["exemple"]),
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
        fichier=file,
    )
