"""The national project database: the Project model, its store (SQL, full-text search) and its rules.

A project proposed by a member waits for a moderator; once published, a change of name, commune or
stage waits again, while the other fields change at once. Records are kept alive by asking their
référents, once a year, whether they still hold (and every six months whether they still recruit).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from bot.clock import Clock, from_db, to_db
from bot.db import Database
from bot.errors import UserError, first_problem
from bot.geo import Commune, Geography, bounding_box, distance_km
from bot.i18n import gettext
from bot.notify import Button, Delivery, Notifier, Outgoing
from bot.text import fold, stems
from bot.vocabulary import EspacePartage, Etape, FormeJuridique, Initiative, Public, parse

CSV_HEADER = (
    "nom",
    "commune",
    "code_insee",
    "etape",
    "initiative",
    "forme_juridique",
    "logements",
    "recrute",
    "publics",
    "espaces_partages",
    "description",
    "site",
    "contact",
)
STALE_AFTER = timedelta(days=365)
RECRUTE_STALE_AFTER = timedelta(days=182)
SEARCH_LIMIT = 200
MODERATED_FIELDS = ("nom", "code_insee", "etape")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


class ProjectDraft(BaseModel):
    """What a group proposes, edits or imports: validated before anything is stored."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    nom: str = Field(min_length=2, max_length=100)
    code_insee: str = Field(min_length=5, max_length=5)
    etape: Etape
    initiative: Initiative = Initiative.citoyenne
    forme_juridique: FormeJuridique = FormeJuridique.autre
    logements: int | None = Field(default=None, ge=1, le=5000)
    recrute: bool = False
    publics: frozenset[Public] = frozenset()
    espaces_partages: frozenset[EspacePartage] = frozenset()
    description: str = Field(default="", max_length=2000)
    site: str | None = Field(default=None, max_length=300)
    contact: str | None = Field(default=None, max_length=200)

    @field_validator("site", "contact", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("site")
    @classmethod
    def _web_address(cls, value: str | None) -> str | None:
        if value is not None and not _URL.match(value):
            raise ValueError("le site doit commencer par http:// ou https://")
        return value


class PendingRevision(BaseModel):
    nom: str
    code_insee: str
    commune: str
    etape: Etape
    proposed_by: int
    guild_id: int | None


class Project(ProjectDraft):
    id: int
    commune: str
    departement: str
    region: str
    lat: float | None
    lon: float | None
    statut: str
    guild_id: int | None
    proposed_by: int | None
    created_at: datetime
    updated_at: datetime
    confirmed_at: datetime
    recrute_confirmed_at: datetime | None
    referents: tuple[int, ...] = ()
    pending: PendingRevision | None = None

    @property
    def published(self) -> bool:
        return self.statut == "publie"

    def unconfirmed_since(self, now: datetime) -> datetime | None:
        """When the record was last confirmed, if that is more than a year ago."""
        return self.confirmed_at if now - self.confirmed_at > STALE_AFTER else None


@dataclass(frozen=True)
class SearchFilters:
    texte: str | None = None
    departement: str | None = None
    departements: tuple[str, ...] | None = None  # a région, current or old
    pres_de: Commune | None = None
    rayon_km: float = 30.0
    etape: Etape | None = None
    initiative: Initiative | None = None
    forme_juridique: FormeJuridique | None = None
    public: Public | None = None
    recrute: bool | None = None


@dataclass(frozen=True)
class SearchHit:
    project_id: int
    distance_km: float | None


@dataclass(frozen=True)
class Nudge:
    id: int
    project_id: int
    kind: str  # 'fiche': is the record still true? 'recrute': still looking for households?


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class ImportError_(UserError):
    """Rows of a CSV that cannot be imported, each with its line number and reason."""

    def __init__(self, problems: list[tuple[int, str]]) -> None:
        self.problems = problems
        lines = "\n".join(f"ligne {line} : {reason}" for line, reason in problems[:15])
        more = f"\n… et {len(problems) - 15} autres" if len(problems) > 15 else ""
        super().__init__("Import refusé, rien n'a été enregistré :\n{lignes}", lignes=lines + more)


def fts_query(text: str) -> str | None:
    """Each word of the search as a stem prefix, all required: "coopératives bois" → "cooper"* AND "bois"*."""
    words = stems(text)
    return " AND ".join(f'"{word}"*' for word in words) if words else None


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in text.split(";") if part.strip()]


def parse_csv(text: str, geo: Geography) -> list[ProjectDraft]:
    """Every row validated first; an ImportError_ lists the bad rows by their line in the file."""
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = tuple(reader.fieldnames or ())
    missing = [column for column in CSV_HEADER if column not in header]
    if missing:
        raise ImportError_([(1, f"colonnes manquantes : {', '.join(missing)}")])
    drafts: list[ProjectDraft] = []
    problems: list[tuple[int, str]] = []
    seen: dict[tuple[str, str], int] = {}
    line = reader.line_num + 1
    for row in reader:
        try:
            draft = draft_from_row(row, geo)
        except (UserError, ValidationError, ValueError) as error:
            problems.append((line, _reason(error)))
        else:
            key = (fold(draft.nom), draft.code_insee)
            if key in seen:
                problems.append((line, f"même projet que la ligne {seen[key]}"))
            seen[key] = line
            drafts.append(draft)
        line = reader.line_num + 1
    if problems:
        raise ImportError_(problems)
    return drafts


def draft_from_row(row: dict[str, str], geo: Geography) -> ProjectDraft:
    insee = (row.get("code_insee") or "").strip()
    if not geo.commune(insee):
        raise ValueError(f"code INSEE inconnu « {insee} »")
    recrute = fold(row.get("recrute") or "non")
    if recrute not in ("oui", "non"):
        raise ValueError("recrute vaut « oui » ou « non »")
    logements = (row.get("logements") or "").strip()
    return ProjectDraft(
        nom=row.get("nom") or "",
        code_insee=insee,
        etape=parse(Etape, row.get("etape") or ""),
        initiative=parse(Initiative, row.get("initiative") or "citoyenne"),
        forme_juridique=parse(FormeJuridique, row.get("forme_juridique") or "autre"),
        logements=int(logements) if logements else None,
        recrute=recrute == "oui",
        publics=frozenset(parse(Public, p) for p in _split_list(row.get("publics") or "")),
        espaces_partages=frozenset(parse(EspacePartage, e) for e in _split_list(row.get("espaces_partages") or "")),
        description=row.get("description") or "",
        site=row.get("site"),
        contact=row.get("contact"),
    )


def _reason(error: Exception) -> str:
    if isinstance(error, UserError):
        return error.message.format(**error.params)
    if isinstance(error, ValidationError):
        field, reason = first_problem(error)
        return f"{field} : {reason}"
    return str(error)


def to_csv(projects: Iterable[Project]) -> str:
    output = io.StringIO()
    writer = csv.writer(output, lineterminator="\n")
    writer.writerow(CSV_HEADER)
    for p in projects:
        writer.writerow(
            [
                p.nom,
                p.commune,
                p.code_insee,
                p.etape.value,
                p.initiative.value,
                p.forme_juridique.value,
                p.logements or "",
                "oui" if p.recrute else "non",
                ";".join(sorted(x.value for x in p.publics)),
                ";".join(sorted(x.value for x in p.espaces_partages)),
                p.description,
                p.site or "",
                p.contact or "",
            ]
        )
    return output.getvalue()


# The columns a draft fills, in this order, for both the INSERT and the UPDATE below.
RECORD_COLUMNS = (
    "nom, nom_cle, code_insee, commune, departement, region, lat, lon, etape, initiative, forme_juridique,"
    " logements, recrute, description, site, contact"
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
    )


class ProjectStore:
    def __init__(self, db: Database, geo: Geography) -> None:
        self.db = db
        self.geo = geo

    # ----------------------------------------------------------------- reading

    async def get(self, project_id: int) -> Project | None:
        found = await self.get_many([project_id])
        return found[0] if found else None

    async def get_many(self, ids: Sequence[int]) -> list[Project]:
        """Projects in the order of `ids` (those that exist)."""
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        rows = await self.db.fetchall(f"SELECT * FROM projects WHERE id IN ({marks})", tuple(ids))
        publics = await self._grouped(
            f"SELECT project_id, public FROM project_publics WHERE project_id IN ({marks})", ids
        )
        spaces = await self._grouped(
            f"SELECT project_id, espace FROM project_spaces WHERE project_id IN ({marks})", ids
        )
        referents = await self._grouped(
            f"SELECT project_id, user_id FROM project_referents WHERE project_id IN ({marks}) ORDER BY user_id",
            ids,
        )
        revisions = {
            row["project_id"]: row
            for row in await self.db.fetchall(
                f"SELECT * FROM project_revisions WHERE project_id IN ({marks})", tuple(ids)
            )
        }
        by_id = {
            row["id"]: self._project(
                row,
                publics.get(row["id"], []),
                spaces.get(row["id"], []),
                referents.get(row["id"], []),
                revisions.get(row["id"]),
            )
            for row in rows
        }
        return [by_id[i] for i in ids if i in by_id]

    async def _grouped(self, sql: str, ids: Sequence[int]) -> dict[int, list[Any]]:
        grouped: dict[int, list[Any]] = {}
        for row in await self.db.fetchall(sql, tuple(ids)):
            grouped.setdefault(row[0], []).append(row[1])
        return grouped

    def _project(
        self,
        row: aiosqlite.Row,
        publics: list[str],
        spaces: list[str],
        referents: list[int],
        revision: aiosqlite.Row | None,
    ) -> Project:
        pending = None
        if revision is not None:
            commune = self.geo.commune(revision["code_insee"])
            pending = PendingRevision(
                nom=revision["nom"],
                code_insee=revision["code_insee"],
                commune=commune.nom if commune else revision["code_insee"],
                etape=revision["etape"],
                proposed_by=revision["proposed_by"],
                guild_id=revision["guild_id"],
            )
        return Project(
            id=row["id"],
            nom=row["nom"],
            code_insee=row["code_insee"],
            commune=row["commune"],
            departement=row["departement"],
            region=row["region"],
            lat=row["lat"],
            lon=row["lon"],
            etape=row["etape"],
            initiative=row["initiative"],
            forme_juridique=row["forme_juridique"],
            logements=row["logements"],
            recrute=bool(row["recrute"]),
            publics=frozenset(Public(p) for p in publics),
            espaces_partages=frozenset(EspacePartage(e) for e in spaces),
            description=row["description"],
            site=row["site"],
            contact=row["contact"],
            statut=row["statut"],
            guild_id=row["guild_id"],
            proposed_by=row["proposed_by"],
            created_at=from_db(row["created_at"]),
            updated_at=from_db(row["updated_at"]),
            confirmed_at=from_db(row["confirmed_at"]),
            recrute_confirmed_at=from_db(row["recrute_confirmed_at"]) if row["recrute_confirmed_at"] else None,
            referents=tuple(referents),
            pending=pending,
        )

    async def search(self, filters: SearchFilters, limit: int = SEARCH_LIMIT) -> list[SearchHit]:
        """Published projects matching every filter, by relevance then distance then name."""
        clauses = ["p.statut = 'publie'"]
        params: list[Any] = []
        source = "projects p"
        score = "0.0"
        if filters.texte:
            query = fts_query(filters.texte)
            if query is None:
                return []
            # CROSS JOIN keeps the full-text index first: the other order re-runs the match per project.
            source = "project_fts CROSS JOIN projects p ON p.id = project_fts.rowid"
            clauses.append("project_fts MATCH ?")
            params.append(query)
            score = "bm25(project_fts)"
        if filters.departement:
            clauses.append("p.departement = ?")
            params.append(filters.departement)
        if filters.departements:
            clauses.append(f"p.departement IN ({','.join('?' * len(filters.departements))})")
            params.extend(filters.departements)
        for column, value in (
            ("etape", filters.etape),
            ("initiative", filters.initiative),
            ("forme_juridique", filters.forme_juridique),
        ):
            if value is not None:
                clauses.append(f"p.{column} = ?")
                params.append(value.value)
        if filters.recrute is not None:
            clauses.append("p.recrute = ?")
            params.append(int(filters.recrute))
        if filters.public is not None:
            clauses.append("EXISTS (SELECT 1 FROM project_publics pp WHERE pp.project_id = p.id AND pp.public = ?)")
            params.append(filters.public.value)
        origin = filters.pres_de
        if origin is not None and origin.lat is not None and origin.lon is not None:
            min_lat, max_lat, min_lon, max_lon = bounding_box(origin.lat, origin.lon, filters.rayon_km)
            clauses.append("p.lat BETWEEN ? AND ? AND p.lon BETWEEN ? AND ?")
            params.extend((min_lat, max_lat, min_lon, max_lon))
        sql = f"SELECT p.id, p.nom_cle, p.lat, p.lon, {score} AS score FROM {source} WHERE {' AND '.join(clauses)}"
        ranked = []
        for row in await self.db.fetchall(sql, params):
            distance = None
            if origin is not None and origin.lat is not None and origin.lon is not None and row["lat"] is not None:
                distance = distance_km(origin.lat, origin.lon, row["lat"], row["lon"])
                if distance > filters.rayon_km:
                    continue
            ranked.append(
                (
                    round(row["score"], 6),
                    distance if distance is not None else 0.0,
                    row["nom_cle"],
                    row["id"],
                    distance,
                )
            )
        ranked.sort()
        return [SearchHit(project_id=r[3], distance_km=r[4]) for r in ranked[:limit]]

    async def referent_of(self, project_id: int, user_id: int) -> bool:
        row = await self.db.fetchone(
            "SELECT 1 FROM project_referents WHERE project_id = ? AND user_id = ?", (project_id, user_id)
        )
        return row is not None

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

    # ----------------------------------------------------------------- writing

    def _commune(self, insee: str) -> Commune:
        commune = self.geo.commune(insee)
        if commune is None:
            raise UserError("Je ne trouve pas la commune « {commune} ».", commune=insee)
        return commune

    async def propose(self, draft: ProjectDraft, *, proposer_id: int, guild_id: int | None) -> Project:
        """A new project, waiting for a moderator; its proposer becomes its référent."""
        async with self.db.transaction():
            project_id = await self._insert(draft, statut="en_attente", proposer_id=proposer_id, guild_id=guild_id)
            await self.db.execute(
                "INSERT INTO project_referents (project_id, user_id) VALUES (?, ?)", (project_id, proposer_id)
            )
        return await self._must_get(project_id)

    async def _insert(self, draft: ProjectDraft, *, statut: str, proposer_id: int | None, guild_id: int | None) -> int:
        commune = self._commune(draft.code_insee)
        now = to_db(self.db.clock())
        duplicate = await self.db.fetchone(
            "SELECT id FROM projects WHERE nom_cle = ? AND code_insee = ?",
            (fold(draft.nom), draft.code_insee),
        )
        if duplicate is not None:
            raise UserError("Un projet « {nom} » existe déjà à {commune}.", nom=draft.nom, commune=commune.nom)
        project_id = await self.db.execute(
            f"INSERT INTO projects ({RECORD_COLUMNS}, statut, guild_id,"
            " proposed_by, created_at, updated_at, confirmed_at, recrute_confirmed_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                *_record_values(draft, commune),
                statut,
                guild_id,
                proposer_id,
                now,
                now,
                now,
                now if draft.recrute else None,
            ),
        )
        await self._replace_lists(project_id, draft)
        return project_id

    async def _replace_lists(self, project_id: int, draft: ProjectDraft) -> None:
        await self.db.execute("DELETE FROM project_publics WHERE project_id = ?", (project_id,))
        await self.db.execute("DELETE FROM project_spaces WHERE project_id = ?", (project_id,))
        await self.db.execute_many(
            "INSERT INTO project_publics (project_id, public) VALUES (?, ?)",
            [(project_id, p.value) for p in sorted(draft.publics)],
        )
        await self.db.execute_many(
            "INSERT INTO project_spaces (project_id, espace) VALUES (?, ?)",
            [(project_id, e.value) for e in sorted(draft.espaces_partages)],
        )

    async def _must_get(self, project_id: int) -> Project:
        project = await self.get(project_id)
        if project is None:
            raise UserError("Ce projet n'existe plus.")
        return project

    async def update(self, project_id: int, draft: ProjectDraft, *, editor_id: int, guild_id: int | None) -> Project:
        """Apply a référent's or moderator's edit. On a published project, a new name, commune or stage
        waits for a moderator (the returned project's `pending`); everything else applies at once."""
        async with self.db.transaction():
            current = await self._must_get(project_id)
            moderated = current.published and any(
                getattr(draft, field) != getattr(current, field) for field in MODERATED_FIELDS
            )
            applied = draft
            if moderated:
                self._commune(draft.code_insee)
                await self.db.execute(
                    "INSERT INTO project_revisions"
                    " (project_id, nom, code_insee, etape, proposed_by, guild_id, proposed_at)"
                    " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (project_id) DO UPDATE SET nom = excluded.nom,"
                    " code_insee = excluded.code_insee, etape = excluded.etape, proposed_by = excluded.proposed_by,"
                    " guild_id = excluded.guild_id, proposed_at = excluded.proposed_at",
                    (
                        project_id,
                        draft.nom,
                        draft.code_insee,
                        draft.etape.value,
                        editor_id,
                        guild_id,
                        to_db(self.db.clock()),
                    ),
                )
                applied = draft.model_copy(update={f: getattr(current, f) for f in MODERATED_FIELDS})
            await self._write(project_id, applied, current)
        return await self._must_get(project_id)

    async def _write(self, project_id: int, draft: ProjectDraft, current: Project) -> None:
        commune = self._commune(draft.code_insee)
        now = to_db(self.db.clock())
        clash = await self.db.fetchone(
            "SELECT id FROM projects WHERE nom_cle = ? AND code_insee = ? AND id != ?",
            (fold(draft.nom), draft.code_insee, project_id),
        )
        if clash is not None:
            raise UserError("Un projet « {nom} » existe déjà à {commune}.", nom=draft.nom, commune=commune.nom)
        recrute_since = to_db(current.recrute_confirmed_at) if current.recrute_confirmed_at else None
        if draft.recrute and not current.recrute:
            recrute_since = now
        await self.db.execute(
            f"UPDATE projects SET ({RECORD_COLUMNS}, updated_at, confirmed_at, recrute_confirmed_at)"
            " = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE id = ?",
            (
                *_record_values(draft, commune),
                now,
                now,
                recrute_since if draft.recrute else None,
                project_id,
            ),
        )
        await self._replace_lists(project_id, draft)

    async def publish(self, project_id: int) -> Project:
        """A moderator publishes a new project, or applies the pending change of a published one."""
        async with self.db.transaction():
            current = await self._must_get(project_id)
            if current.pending is not None:
                pending = current.pending
                draft = ProjectDraft(
                    **current.model_dump(include=set(ProjectDraft.model_fields))
                    | {
                        "nom": pending.nom,
                        "code_insee": pending.code_insee,
                        "etape": pending.etape,
                    }
                )
                await self._write(project_id, draft, current)
                await self.db.execute("DELETE FROM project_revisions WHERE project_id = ?", (project_id,))
            await self.db.execute(
                "UPDATE projects SET statut = 'publie', updated_at = ? WHERE id = ?",
                (to_db(self.db.clock()), project_id),
            )
        return await self._must_get(project_id)

    async def refuse(self, project_id: int) -> Project:
        """A moderator refuses a new project, or only the pending change of a published one."""
        async with self.db.transaction():
            current = await self._must_get(project_id)
            if current.pending is not None:
                await self.db.execute("DELETE FROM project_revisions WHERE project_id = ?", (project_id,))
            else:
                await self.db.execute(
                    "UPDATE projects SET statut = 'refuse', updated_at = ? WHERE id = ?",
                    (to_db(self.db.clock()), project_id),
                )
        return await self._must_get(project_id)

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
        return await self._must_get(project_id)

    async def import_drafts(self, drafts: Sequence[ProjectDraft]) -> ImportReport:
        """Create or update published projects keyed by name + commune, all or nothing. Importing the
        same rows twice changes nothing."""
        report = ImportReport()
        async with self.db.transaction():
            for draft in drafts:
                row = await self.db.fetchone(
                    "SELECT id FROM projects WHERE nom_cle = ? AND code_insee = ?",
                    (fold(draft.nom), draft.code_insee),
                )
                if row is None:
                    await self._insert(draft, statut="publie", proposer_id=None, guild_id=None)
                    report.created += 1
                    continue
                current = await self._must_get(row["id"])
                if ProjectDraft.model_validate(current.model_dump(include=set(ProjectDraft.model_fields))) == draft:
                    report.unchanged += 1
                    continue
                await self._write(row["id"], draft, current)
                report.updated += 1
        return report

    async def export(self, filters: SearchFilters | None = None) -> str:
        """CSV (the import format) of the projects a search finds, or of every published project."""
        if filters is None:
            rows = await self.db.fetchall(
                "SELECT id FROM projects WHERE statut = 'publie' ORDER BY nom_cle, code_insee"
            )
            ids = [row["id"] for row in rows]
        else:
            ids = [hit.project_id for hit in await self.search(filters, limit=100_000)]
        return to_csv(await self.get_many(ids))

    # ----------------------------------------------------------------- keeping records alive

    async def due_nudges(self, now: datetime) -> list[Nudge]:
        """Create the nudges that are due (one per confirmation) and return those not yet sent."""
        stale = to_db(now - STALE_AFTER)
        recrute_stale = to_db(now - RECRUTE_STALE_AFTER)
        async with self.db.transaction():
            await self.db.execute(
                "INSERT OR IGNORE INTO project_nudges (project_id, kind, since)"
                " SELECT id, 'fiche', confirmed_at FROM projects WHERE statut = 'publie' AND confirmed_at < ?",
                (stale,),
            )
            await self.db.execute(
                "INSERT OR IGNORE INTO project_nudges (project_id, kind, since)"
                " SELECT id, 'recrute', recrute_confirmed_at FROM projects"
                " WHERE statut = 'publie' AND recrute = 1 AND recrute_confirmed_at < ? AND confirmed_at >= ?",
                (recrute_stale, stale),
            )
        rows = await self.db.fetchall(
            "SELECT id, project_id, kind FROM project_nudges WHERE sent_at IS NULL ORDER BY id"
        )
        return [Nudge(row["id"], row["project_id"], row["kind"]) for row in rows]

    async def claim_nudge(self, nudge_id: int, now: datetime, lease: timedelta = timedelta(minutes=10)) -> bool:
        """Take a nudge for sending; a claim left by a crash is retaken after the lease."""
        return await self.db.claim("project_nudges", nudge_id, now, lease, live="sent_at IS NULL")

    async def next_nudge_due(self) -> datetime | None:
        """When the next record falls stale (a year unconfirmed, or six months still recruiting)."""
        row = await self.db.fetchone(
            "SELECT (SELECT MIN(confirmed_at) FROM projects WHERE statut = 'publie'"
            "   AND NOT EXISTS (SELECT 1 FROM project_nudges n WHERE n.project_id = projects.id AND n.kind = 'fiche'"
            "   AND n.since = projects.confirmed_at)),"
            " (SELECT MIN(recrute_confirmed_at) FROM projects WHERE statut = 'publie' AND recrute = 1"
            "   AND NOT EXISTS (SELECT 1 FROM project_nudges n WHERE n.project_id = projects.id AND n.kind = 'recrute'"
            "   AND n.since = projects.recrute_confirmed_at)),"
            " (SELECT 1 FROM project_nudges WHERE sent_at IS NULL LIMIT 1)"
        )
        if row is None:
            return None
        moments = []
        if row[0]:
            moments.append(from_db(row[0]) + STALE_AFTER)
        if row[1]:
            moments.append(from_db(row[1]) + RECRUTE_STALE_AFTER)
        if row[2]:
            moments.append(self.db.clock())
        return min(moments, default=None)

    async def mark_nudge_sent(self, nudge_id: int, now: datetime) -> None:
        await self.db.execute("UPDATE project_nudges SET sent_at = ? WHERE id = ?", (to_db(now), nudge_id))


class ProjectNudgeService:
    """The scheduler's round that keeps records alive: the référents of a stale record are asked,
    once per confirmation, whether it still holds (claim, send with a nonce, mark)."""

    def __init__(self, store: ProjectStore, notifier: Notifier, clock: Clock) -> None:
        self.store = store
        self.notifier = notifier
        self.clock = clock

    async def next_due(self) -> datetime | None:
        return await self.store.next_nudge_due()

    async def run_due(self) -> int:
        sent = 0
        for nudge in await self.store.due_nudges(self.clock()):
            if not await self.store.claim_nudge(nudge.id, self.clock()):
                continue
            project = await self.store.get(nudge.project_id)
            if project is not None:
                message = nudge_message(project, nudge.kind)
                for referent in project.referents:
                    # Closed DMs are noted in the log and not retried: the record shows "non confirmé".
                    delivery = await self.notifier.dm(referent, message, nonce=f"nudge-{nudge.id}")
                    sent += delivery is Delivery.SENT
            await self.store.mark_nudge_sent(nudge.id, self.clock())
        return sent


def nudge_message(project: Project, kind: str) -> Outgoing:
    extra: tuple[Button, ...] = ()
    if kind == "recrute":
        text = gettext(
            "Votre projet « {nom} » indique depuis plus de six mois qu'il cherche de nouveaux foyers. "
            "Est-ce toujours le cas ?",
            None,
            nom=project.nom,
        )
        extra = (Button(gettext("Nous ne recrutons plus", None), f"projet:recrute-non:{project.id}"),)
    else:
        text = gettext(
            "La fiche de votre projet « {nom} » n'a pas été confirmée depuis un an. Est-elle toujours d'actualité ?",
            None,
            nom=project.nom,
        )
    return Outgoing(
        content=text,
        buttons=(
            Button(gettext("Toujours d'actualité", None), f"projet:ok:{project.id}", "success"),
            *extra,
            Button(gettext("Mettre à jour", None), f"projet:maj:{project.id}", "primary"),
        ),
    )
