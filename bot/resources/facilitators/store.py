"""The facilitators' store: records with their area, tags and members; the yearly confirmations; the
contact requests."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from bot.clock import from_db, to_db
from bot.db import Database, Row, from_row, marks
from bot.errors import UserError
from bot.geo import Commune, Geography
from bot.projects.models import ImportReport
from bot.resources.facilitators.models import (
    STALE_AFTER,
    Area,
    ContactRequest,
    Facilitator,
    FacilitatorDraft,
    FacilitatorStatus,
    Member,
    RequestStatus,
)
from bot.text import fold
from bot.vocabulary import Etape, Expertise, Posture, Suivi

COLUMNS = "nom, nom_cle, structure, code_insee, commune, departement, region, lat, lon, site, contact, description"
TAGS: tuple[tuple[str, str], ...] = (
    ("expertise", "expertises"),
    ("etape", "etapes"),
    ("posture", "postures"),
    ("suivi", "suivis"),
)
# What the national site says of a structure; the rest is kept as its members fill it in on Discord.
SOURCE_FIELDS = ("nom", "code_insee", "structure", "zone", "expertises", "etapes", "site", "description")
AREAS: tuple[tuple[str, str], ...] = (("commune", "communes"), ("departement", "departements"), ("region", "regions"))


def _values(draft: FacilitatorDraft, commune: Commune) -> tuple[Any, ...]:
    return (
        draft.nom,
        fold(draft.nom),
        draft.structure.value,
        draft.code_insee,
        commune.nom,
        commune.departement,
        commune.region,
        commune.lat,
        commune.lon,
        draft.site,
        draft.contact,
        draft.description,
    )


class FacilitatorStore:
    def __init__(self, db: Database, geo: Geography) -> None:
        self.db = db
        self.geo = geo

    # ----------------------------------------------------------------- reading

    async def get(self, facilitator_id: int) -> Facilitator | None:
        found = await self.get_many([facilitator_id])
        return found[0] if found else None

    async def must_get(self, facilitator_id: int) -> Facilitator:
        found = await self.get(facilitator_id)
        if found is None:
            raise UserError("Cette structure n'est plus dans l'annuaire.")
        return found

    async def get_many(self, ids: Sequence[int]) -> list[Facilitator]:
        """Records in the order of `ids` (those that exist)."""
        if not ids:
            return []
        rows = await self.db.fetchall(f"SELECT * FROM facilitators WHERE id IN ({marks(ids)})", tuple(ids))
        return await self._records(rows, ids)

    async def published(self) -> list[Facilitator]:
        rows = await self.db.fetchall("SELECT * FROM facilitators WHERE statut = 'publie' ORDER BY nom_cle")
        return await self._records(rows, [row["id"] for row in rows])

    async def _records(self, rows: Sequence[Row], ids: Sequence[int]) -> list[Facilitator]:
        if not rows:
            return []
        known = [row["id"] for row in rows]
        where = f"facilitator_id IN ({marks(known)})"
        tags: dict[int, dict[str, set[str]]] = {}
        for row in await self.db.fetchall(
            f"SELECT facilitator_id, kind, value FROM facilitator_tags WHERE {where}", known
        ):
            tags.setdefault(row[0], {}).setdefault(row[1], set()).add(row[2])
        areas: dict[int, dict[str, set[str]]] = {}
        for row in await self.db.fetchall(
            f"SELECT facilitator_id, kind, code FROM facilitator_areas WHERE {where}", known
        ):
            areas.setdefault(row[0], {}).setdefault(row[1], set()).add(row[2])
        members: dict[int, list[int]] = {}
        for row in await self.db.fetchall(
            f"SELECT facilitator_id, user_id FROM facilitator_members WHERE {where} ORDER BY id", known
        ):
            members.setdefault(row[0], []).append(row[1])
        pages = {
            row[0]: row[1]
            for row in await self.db.fetchall(
                f"SELECT facilitator_id, page_url FROM facilitator_sources WHERE {where}", known
            )
        }
        by_id = {}
        for row in rows:
            own, zone = tags.get(row["id"], {}), areas.get(row["id"], {})
            by_id[row["id"]] = from_row(
                Facilitator,
                row,
                zone=Area(**{field: frozenset(zone.get(kind, ())) for kind, field in AREAS}),
                expertises=frozenset(Expertise(v) for v in own.get("expertise", ())),
                etapes=frozenset(Etape(v) for v in own.get("etape", ())),
                postures=frozenset(Posture(v) for v in own.get("posture", ())),
                suivis=frozenset(Suivi(v) for v in own.get("suivi", ())),
                created_at=from_db(row["created_at"]),
                updated_at=from_db(row["updated_at"]),
                confirmed_at=from_db(row["confirmed_at"]),
                members=tuple(members.get(row["id"], ())),
                source_url=pages.get(row["id"]),
            )
        return [by_id[i] for i in ids if i in by_id]

    async def names_like(
        self, typed: str, *, user_id: int | None = None, limit: int = 25
    ) -> list[tuple[int, str, str]]:
        """(id, name, commune) of published records whose name holds `typed`, or of a member's own."""
        folded = f"%{fold(typed)}%"
        if user_id is not None:
            rows = await self.db.fetchall(
                "SELECT f.id, f.nom, f.commune FROM facilitators f"
                " JOIN facilitator_members m ON m.facilitator_id = f.id WHERE m.user_id = ?"
                " AND f.nom_cle LIKE ? AND f.statut != 'refuse' ORDER BY f.nom_cle LIMIT ?",
                (user_id, folded, limit),
            )
        else:
            rows = await self.db.fetchall(
                "SELECT id, nom, commune FROM facilitators WHERE statut = 'publie' AND nom_cle LIKE ?"
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

    async def _clash(self, draft: FacilitatorDraft, facilitator_id: int = 0) -> None:
        row = await self.db.fetchone(
            "SELECT id FROM facilitators WHERE nom_cle = ? AND id != ?", (fold(draft.nom), facilitator_id)
        )
        if row is not None:
            raise UserError("Une structure « {nom} » est déjà inscrite dans l'annuaire.", nom=draft.nom)

    async def register(
        self, draft: FacilitatorDraft, *, proposer_id: int, guild_id: int | None, locale: str
    ) -> Facilitator:
        """A new record waiting for a moderator; who registered it becomes its first member."""
        async with self.db.transaction():
            await self._clash(draft)
            facilitator_id = await self._insert(draft, FacilitatorStatus.en_attente, proposer_id, guild_id, locale)
            await self.add_member(facilitator_id, proposer_id, locale)
        return await self.must_get(facilitator_id)

    async def _insert(
        self,
        draft: FacilitatorDraft,
        statut: FacilitatorStatus,
        proposer_id: int | None = None,
        guild_id: int | None = None,
        locale: str = "fr",
    ) -> int:
        now = to_db(self.db.clock())
        facilitator_id = await self.db.insert(
            f"INSERT INTO facilitators ({COLUMNS}, statut, guild_id, proposed_by, locale, created_at, updated_at,"
            " confirmed_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
            (
                *_values(draft, self._commune(draft.code_insee)),
                statut.value,
                guild_id,
                proposer_id,
                locale,
                now,
                now,
                now,
            ),
        )
        await self._replace_lists(facilitator_id, draft)
        return facilitator_id

    async def _replace_lists(self, facilitator_id: int, draft: FacilitatorDraft) -> None:
        me = (facilitator_id,)
        await self.db.execute("DELETE FROM facilitator_tags WHERE facilitator_id = ?", me)
        await self.db.execute("DELETE FROM facilitator_areas WHERE facilitator_id = ?", me)
        await self.db.execute_many(
            "INSERT INTO facilitator_tags (facilitator_id, kind, value) VALUES (?, ?, ?)",
            [(facilitator_id, kind, v.value) for kind, field in TAGS for v in sorted(getattr(draft, field))],
        )
        await self.db.execute_many(
            "INSERT INTO facilitator_areas (facilitator_id, kind, code) VALUES (?, ?, ?)",
            [(facilitator_id, kind, code) for kind, field in AREAS for code in sorted(getattr(draft.zone, field))],
        )

    async def update(self, facilitator_id: int, draft: FacilitatorDraft) -> Facilitator:
        """A member's or moderator's edit, applied at once; the record counts as confirmed."""
        async with self.db.transaction():
            await self._clash(draft, facilitator_id)
            await self._update_row(facilitator_id, draft)
        return await self.must_get(facilitator_id)

    async def _update_row(self, facilitator_id: int, draft: FacilitatorDraft) -> None:
        now = to_db(self.db.clock())
        await self.db.execute(
            f"UPDATE facilitators SET ({COLUMNS}, updated_at, confirmed_at)"
            " = (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) WHERE id = ?",
            (*_values(draft, self._commune(draft.code_insee)), now, now, facilitator_id),
        )
        await self._replace_lists(facilitator_id, draft)

    async def set_status(self, facilitator_id: int, statut: FacilitatorStatus) -> None:
        await self.db.execute(
            "UPDATE facilitators SET statut = ?, updated_at = ? WHERE id = ?",
            (statut.value, to_db(self.db.clock()), facilitator_id),
        )

    async def confirm(self, facilitator_id: int) -> None:
        await self.db.execute(
            "UPDATE facilitators SET confirmed_at = ? WHERE id = ?", (to_db(self.db.clock()), facilitator_id)
        )

    async def import_drafts(self, drafts: Sequence[FacilitatorDraft]) -> ImportReport:
        """Published records created or updated by folded name, in one transaction: the same rows twice
        change nothing."""
        report = ImportReport()
        async with self.db.transaction():
            names = sorted({fold(d.nom) for d in drafts})
            rows = await self.db.fetchall(
                f"SELECT id, nom_cle FROM facilitators WHERE nom_cle IN ({marks(names)})", names
            ) if names else []  # fmt: skip
            known = {row["nom_cle"]: row["id"] for row in rows}
            current = {f.id: f for f in await self.get_many(list(known.values()))}
            for draft in drafts:
                facilitator_id = known.get(fold(draft.nom))
                if facilitator_id is None:
                    await self._insert(draft, FacilitatorStatus.publie)
                    report.created += 1
                elif current[facilitator_id].draft == draft:
                    report.unchanged += 1
                else:
                    await self._update_row(facilitator_id, draft)
                    report.updated += 1
        return report

    # ----------------------------------------------------------------- the national site (its actors)

    async def source_links(self, site: str) -> dict[str, int]:
        """The records imported from `site`, by entry id."""
        rows = await self.db.fetchall(
            "SELECT entry_id, facilitator_id FROM facilitator_sources WHERE site = ?", (site,)
        )
        return {row["entry_id"]: row["facilitator_id"] for row in rows}

    async def sync_sourced(
        self, site: str, entries: Sequence[tuple[str, str | None, FacilitatorDraft]]
    ) -> tuple[int, int, int]:
        """Entries (id, page, draft) written as published records, found by their id at the source, else
        by name (a structure registered on Discord is adopted); what the source does not say (public
        contact, stances, kinds of support, members) is kept. Returns (added, updated, unchanged)."""
        added = updated = unchanged = 0
        async with self.db.transaction():
            links = await self.source_links(site)
            for entry_id, page, draft in entries:
                facilitator_id = links.get(entry_id)
                if facilitator_id is None:
                    row = await self.db.fetchone("SELECT id FROM facilitators WHERE nom_cle = ?", (fold(draft.nom),))
                    facilitator_id = row["id"] if row else None
                current = await self.get(facilitator_id) if facilitator_id is not None else None
                if current is None:
                    facilitator_id = await self._insert(draft, FacilitatorStatus.publie)
                    added += 1
                else:
                    facilitator_id = current.id
                    merged = current.draft.model_copy(update={f: getattr(draft, f) for f in SOURCE_FIELDS})
                    if merged == current.draft and current.published:
                        unchanged += 1
                    else:
                        await self._clash(merged, current.id)
                        await self._update_row(current.id, merged)
                        await self.set_status(current.id, FacilitatorStatus.publie)
                        updated += 1
                await self.db.execute(
                    "INSERT INTO facilitator_sources (facilitator_id, site, entry_id, page_url) VALUES (?, ?, ?, ?)"
                    " ON CONFLICT (facilitator_id) DO UPDATE SET site = excluded.site, entry_id = excluded.entry_id,"
                    " page_url = excluded.page_url",
                    (facilitator_id, site, entry_id, page),
                )
        return added, updated, unchanged

    async def retire_sourced(self, site: str, present: set[str]) -> int:
        """Records of `site` whose entry is gone, stopped or no longer offers support: out of the directory."""
        gone = [fid for entry_id, fid in (await self.source_links(site)).items() if entry_id not in present]
        if not gone:
            return 0
        return await self.db.update(
            f"UPDATE facilitators SET statut = 'refuse', updated_at = ? WHERE statut = 'publie'"
            f" AND id IN ({marks(gone)})",
            (to_db(self.db.clock()), *gone),
        )

    # ----------------------------------------------------------------- members

    async def add_member(self, facilitator_id: int, user_id: int, locale: str) -> bool:
        """False when already a member."""
        row = await self.db.fetchone(
            "SELECT 1 FROM facilitator_members WHERE facilitator_id = ? AND user_id = ?", (facilitator_id, user_id)
        )
        if row is not None:
            return False
        await self.db.execute(
            "INSERT INTO facilitator_members (facilitator_id, user_id, locale) VALUES (?, ?, ?)",
            (facilitator_id, user_id, locale),
        )
        return True

    async def members(self, facilitator_id: int) -> list[Member]:
        rows = await self.db.fetchall(
            "SELECT user_id, locale FROM facilitator_members WHERE facilitator_id = ? ORDER BY id", (facilitator_id,)
        )
        return [Member(row["user_id"], row["locale"]) for row in rows]

    async def member_locale(self, user_id: int) -> str | None:
        row = await self.db.fetchone(
            "SELECT locale FROM facilitator_members WHERE user_id = ? ORDER BY id DESC LIMIT 1", (user_id,)
        )
        return row["locale"] if row else None

    async def note_locale(self, facilitator_id: int, user_id: int, locale: str) -> None:
        await self.db.execute(
            "UPDATE facilitator_members SET locale = ? WHERE facilitator_id = ? AND user_id = ?",
            (locale, facilitator_id, user_id),
        )

    # ----------------------------------------------------------------- records kept alive

    async def stale(self, now: datetime, limit: int) -> list[tuple[int, datetime, int | None]]:
        """(id, confirmed at, server) of published records a year unconfirmed and not yet asked, oldest first."""
        rows = await self.db.fetchall(
            "SELECT id, confirmed_at, guild_id FROM facilitators f WHERE statut = 'publie' AND confirmed_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM facilitator_nudges n WHERE n.facilitator_id = f.id"
            "   AND n.since = f.confirmed_at) ORDER BY confirmed_at, id LIMIT ?",
            (to_db(now - STALE_AFTER), limit),
        )
        return [(row["id"], from_db(row["confirmed_at"]), row["guild_id"]) for row in rows]

    async def record_question(self, facilitator_id: int, since: datetime) -> bool:
        """The question about this confirmation is asked; False if it already was."""
        changed = await self.db.update(
            "INSERT INTO facilitator_nudges (facilitator_id, since) VALUES (?, ?) ON CONFLICT DO NOTHING",
            (facilitator_id, to_db(since)),
        )
        return changed == 1

    async def next_stale(self) -> datetime | None:
        row = await self.db.fetchone(
            "SELECT MIN(confirmed_at) FROM facilitators f WHERE statut = 'publie' AND NOT EXISTS"
            " (SELECT 1 FROM facilitator_nudges n WHERE n.facilitator_id = f.id AND n.since = f.confirmed_at)"
        )
        return from_db(row[0]) + STALE_AFTER if row and row[0] else None

    # ----------------------------------------------------------------- contact requests

    async def open_request(self, facilitator_id: int, requester_id: int) -> ContactRequest | None:
        row = await self.db.fetchone(
            "SELECT * FROM facilitator_requests WHERE facilitator_id = ? AND requester_id = ? AND status = 'attente'",
            (facilitator_id, requester_id),
        )
        return _request(row) if row else None

    async def add_request(
        self, facilitator_id: int, requester_id: int, *, guild_id: int | None, locale: str, message: str
    ) -> ContactRequest:
        request_id = await self.db.insert(
            "INSERT INTO facilitator_requests (facilitator_id, requester_id, guild_id, locale, message, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
            (facilitator_id, requester_id, guild_id, locale, message, to_db(self.db.clock())),
        )
        return await self.must_get_request(request_id)

    async def get_request(self, request_id: int) -> ContactRequest | None:
        row = await self.db.fetchone("SELECT * FROM facilitator_requests WHERE id = ?", (request_id,))
        return _request(row) if row else None

    async def must_get_request(self, request_id: int) -> ContactRequest:
        found = await self.get_request(request_id)
        if found is None:
            raise UserError("Cette demande n'existe plus.")
        return found

    async def settle_request(self, request_id: int, status: RequestStatus, by: int | None) -> bool:
        """Only a waiting request is settled: the first answer counts."""
        changed = await self.db.update(
            "UPDATE facilitator_requests SET status = ?, answered_by = ?, answered_at = ?"
            " WHERE id = ? AND status = 'attente'",
            (status.value, by, to_db(self.db.clock()), request_id),
        )
        return changed == 1

    async def lapse_due(self, before: datetime, limit: int) -> list[ContactRequest]:
        rows = await self.db.fetchall(
            "SELECT * FROM facilitator_requests WHERE status = 'attente' AND created_at < ?"
            " ORDER BY created_at LIMIT ?",
            (to_db(before), limit),
        )
        return [_request(row) for row in rows]

    async def next_open_request(self) -> datetime | None:
        row = await self.db.fetchone("SELECT MIN(created_at) FROM facilitator_requests WHERE status = 'attente'")
        return from_db(row[0]) if row and row[0] else None


def _request(row: Row) -> ContactRequest:
    return from_row(ContactRequest, row, status=RequestStatus(row["status"]), created_at=from_db(row["created_at"]))
