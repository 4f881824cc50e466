"""The observatory's figures: what the published records of the national database say, for France or
one région (current or old, as its départements). Numbers only; the pictures are bot/pictures/charts.py."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TypeVar

from bot.clock import to_db
from bot.db import Database, Where
from bot.projects.models import STALE_AFTER
from bot.vocabulary import Etape, FormeJuridique, Initiative, Public

E = TypeVar("E", bound=StrEnum)


@dataclass(frozen=True)
class Figures:
    """Counts of published projects. Every value of a vocabulary is present, zero included, in the
    vocabulary's order, so that two observatories read side by side; régions only where there are some."""

    published: int
    by_etape: dict[Etape, int]
    by_region: tuple[tuple[str, int], ...]  # région code (today's), projects; most first, then by code
    by_forme: dict[FormeJuridique, int]
    by_initiative: dict[Initiative, int]
    by_public: dict[Public, int]  # a project may welcome several publics
    recruiting: int
    logements: int  # homes of the records that say how many
    logements_unknown: int  # records that do not say
    confirmed_last_year: int


def _every(kind: type[E], counted: dict[str, int]) -> dict[E, int]:
    return {member: counted.get(member.value, 0) for member in kind}


class FiguresStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def figures(self, now: datetime, departements: Sequence[str] | None = None) -> Figures:
        """The figures of published projects, within `departements` when given (a région's)."""
        where = Where("p.statut = 'publie'")
        if departements:
            where.among("p.departement", departements)
        params = tuple(where.params)
        totals = await self.db.fetchone(
            "SELECT COUNT(*) AS n, COALESCE(SUM(p.recrute), 0) AS recruiting,"
            " COALESCE(SUM(p.logements), 0) AS logements, COUNT(*) - COUNT(p.logements) AS unknown,"
            " COALESCE(SUM(CASE WHEN p.confirmed_at >= ? THEN 1 ELSE 0 END), 0) AS confirmed"
            f" FROM projects p WHERE {where}",
            (to_db(now - STALE_AFTER), *params),
        )
        assert totals is not None  # an aggregate always gives one row

        async def grouped(column: str, source: str = "projects p") -> dict[str, int]:
            rows = await self.db.fetchall(
                f"SELECT {column} AS value, COUNT(*) AS n FROM {source} WHERE {where} GROUP BY {column}", params
            )
            return {row["value"]: row["n"] for row in rows}

        regions = await grouped("p.region")
        return Figures(
            published=totals["n"],
            by_etape=_every(Etape, await grouped("p.etape")),
            by_region=tuple(sorted(regions.items(), key=lambda item: (-item[1], item[0]))),
            by_forme=_every(FormeJuridique, await grouped("p.forme_juridique")),
            by_initiative=_every(Initiative, await grouped("p.initiative")),
            by_public=_every(
                Public, await grouped("pp.public", "projects p JOIN project_publics pp ON pp.project_id = p.id")
            ),
            recruiting=totals["recruiting"],
            logements=totals["logements"],
            logements_unknown=totals["unknown"],
            confirmed_last_year=totals["confirmed"],
        )
