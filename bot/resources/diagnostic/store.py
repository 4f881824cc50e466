"""Kept diagnostics in the database: written only when the member keeps one, one a member."""

from __future__ import annotations

from collections.abc import Sequence

from bot.clock import from_db, to_db
from bot.db import Database, Row
from bot.resources.diagnostic.models import Answers, Kept
from bot.vocabulary import Blocage, Etape, Initiative, Pas, Volet

STEP_COLUMNS: dict[Volet, str] = {
    Volet.immobilier: "step_immobilier",
    Volet.participatif: "step_participatif",
    Volet.collectif: "step_collectif",
}
_SELECT = "SELECT d.*, p.nom AS project_name FROM diagnostics d LEFT JOIN projects p ON p.id = d.project_id"


class DiagnosticStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def keep(self, user_id: int, answers: Answers, project_id: int | None) -> Kept:
        """Keep `answers` as the member's diagnostic, in place of the one they kept before."""
        columns = ", ".join(STEP_COLUMNS.values())
        steps = tuple(step.value if (step := answers.step(strand)) else None for strand in STEP_COLUMNS)
        async with self.db.transaction():
            await self.db.execute("DELETE FROM diagnostics WHERE user_id = ?", (user_id,))
            diagnostic_id = await self.db.insert(
                f"INSERT INTO diagnostics (user_id, project_id, initiative, etape, code_insee, {columns}, kept_at)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    user_id,
                    project_id,
                    answers.initiative.value,
                    answers.etape.value,
                    answers.code_insee,
                    *steps,
                    to_db(self.db.clock()),
                ),
            )
            await self.db.execute_many(
                "INSERT INTO diagnostic_blockers (diagnostic_id, blocker) VALUES (?, ?)",
                [(diagnostic_id, blocker.value) for blocker in sorted(answers.blocages)],
            )
        kept = await self._one(f"{_SELECT} WHERE d.id = ?", (diagnostic_id,))
        assert kept is not None
        return kept

    async def own(self, user_id: int) -> Kept | None:
        return await self._one(f"{_SELECT} WHERE d.user_id = ?", (user_id,))

    async def for_referent(self, user_id: int) -> Kept | None:
        """The latest diagnostic another référent kept on one of this member's projects."""
        return await self._one(
            f"{_SELECT} JOIN project_referents r ON r.project_id = d.project_id"
            " WHERE r.user_id = ? ORDER BY d.kept_at DESC, d.id DESC LIMIT 1",
            (user_id,),
        )

    async def forget(self, user_id: int) -> bool:
        """Remove the member's kept diagnostic; whether there was one."""
        changed = await self.db.update("DELETE FROM diagnostics WHERE user_id = ?", (user_id,))
        return changed > 0

    async def referent_projects(self, user_id: int) -> list[tuple[int, str]]:
        """(id, name) of the projects the member is a référent of, by name."""
        rows = await self.db.fetchall(
            "SELECT p.id, p.nom FROM projects p JOIN project_referents r ON r.project_id = p.id"
            " WHERE r.user_id = ? ORDER BY p.nom_cle, p.id",
            (user_id,),
        )
        return [(row["id"], row["nom"]) for row in rows]

    async def _one(self, sql: str, params: Sequence[object]) -> Kept | None:
        row = await self.db.fetchone(sql, params)
        if row is None:
            return None
        blockers = await self.db.fetchall(
            "SELECT blocker FROM diagnostic_blockers WHERE diagnostic_id = ?", (row["id"],)
        )
        return self._kept(row, [b["blocker"] for b in blockers])

    @staticmethod
    def _kept(row: Row, blockers: list[str]) -> Kept:
        answers = Answers(
            initiative=Initiative(row["initiative"]),
            etape=Etape(row["etape"]),
            code_insee=row["code_insee"],
            steps={strand: Pas(row[column]) if row[column] else None for strand, column in STEP_COLUMNS.items()},
            blocages=frozenset(Blocage(b) for b in blockers),
        )
        return Kept(
            id=row["id"],
            user_id=row["user_id"],
            project_id=row["project_id"],
            project_name=row["project_name"],
            answers=answers,
            kept_at=from_db(row["kept_at"]),
        )
