"""Households and introductions in the database. Nothing is visible to anyone until the member consents,
separately, to being visible to other households and to projects."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot.clock import from_db, to_db
from bot.db import Database
from bot.errors import UserError
from bot.geo import Geography, bounding_box
from bot.households.models import (
    CANDIDATES,
    COMPLETE,
    MAX_PENDING_REQUESTS,
    PAUSE_AFTER_NUDGE,
    REQUEST_LIFETIME,
    STALE_AFTER,
    VISIBILITY,
    HouseholdMakeup,
    HouseholdProfile,
    Introduction,
    WhatMatters,
    WhereWhen,
)
from bot.vocabulary import Apport, EtapeRejointe, Horizon, Milieu, Statut, Valeur


class HouseholdStore:
    def __init__(self, db: Database, geo: Geography) -> None:
        self.db = db
        self.geo = geo

    # ----------------------------------------------------------------- reading

    async def get(self, user_id: int) -> HouseholdProfile | None:
        found = await self.get_many([user_id])
        return found[0] if found else None

    async def get_many(self, user_ids: Sequence[int]) -> list[HouseholdProfile]:
        if not user_ids:
            return []
        marks = ",".join("?" * len(user_ids))
        rows = await self.db.fetchall(f"SELECT * FROM household_profiles WHERE user_id IN ({marks})", tuple(user_ids))
        tags: dict[int, dict[str, set[str]]] = {}
        for tag in await self.db.fetchall(
            f"SELECT user_id, kind, value FROM household_tags WHERE user_id IN ({marks})", tuple(user_ids)
        ):
            tags.setdefault(tag["user_id"], {}).setdefault(tag["kind"], set()).add(tag["value"])
        by_id = {row["user_id"]: self._profile(row, tags.get(row["user_id"], {})) for row in rows}
        return [by_id[i] for i in user_ids if i in by_id]

    def _profile(self, row: aiosqlite.Row, tags: dict[str, set[str]]) -> HouseholdProfile:
        commune = self.geo.commune(row["code_insee"]) if row["code_insee"] else None
        # Rows were validated on the way in; building thousands per search, validation is the cost.
        return HouseholdProfile.model_construct(
            user_id=row["user_id"],
            guild_id=row["guild_id"],
            step=row["step"],
            code_insee=row["code_insee"],
            commune=commune.label if commune else None,
            lat=row["lat"],
            lon=row["lon"],
            radius_km=row["radius_km"],
            departements=frozenset(tags.get("departement", ())),
            milieux=frozenset(Milieu(v) for v in tags.get("milieu", ())),
            horizon=Horizon(row["horizon"]) if row["horizon"] else None,
            etapes=frozenset(EtapeRejointe(v) for v in tags.get("etape", ())),
            adults=row["adults"],
            children=row["children"],
            seniors=row["seniors"],
            accessibility=bool(row["accessibility"]),
            statuts=frozenset(Statut(v) for v in tags.get("statut", ())),
            budget_min=row["budget_min"],
            budget_max=row["budget_max"],
            valeurs=frozenset(Valeur(v) for v in tags.get("valeur", ())),
            apports=frozenset(Apport(v) for v in tags.get("apport", ())),
            intro=row["intro"],
            visible_households=bool(row["visible_households"]),
            visible_projects=bool(row["visible_projects"]),
            paused=bool(row["paused"]),
            digest=bool(row["digest"]),
            locale=row["locale"],
            created_at=from_db(row["created_at"]),
            updated_at=from_db(row["updated_at"]),
            nudged_at=from_db(row["nudged_at"]) if row["nudged_at"] else None,
            last_digest_at=from_db(row["last_digest_at"]) if row["last_digest_at"] else None,
        )

    # ----------------------------------------------------------------- writing the steps

    async def _ensure(self, user_id: int, guild_id: int | None, locale: str) -> None:
        now = to_db(self.db.clock())
        await self.db.execute(
            "INSERT INTO household_profiles (user_id, guild_id, locale, created_at, updated_at) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET locale = excluded.locale",
            (user_id, guild_id, locale, now, now),
        )

    async def _replace_tags(self, user_id: int, kind: str, values: Iterable[str]) -> None:
        await self.db.execute("DELETE FROM household_tags WHERE user_id = ? AND kind = ?", (user_id, kind))
        await self.db.execute_many(
            "INSERT INTO household_tags (user_id, kind, value) VALUES (?, ?, ?)",
            [(user_id, kind, value) for value in sorted(values)],
        )

    async def _advance(self, user_id: int, done: int) -> None:
        await self.db.execute(
            "UPDATE household_profiles SET step = MAX(step, ?), updated_at = ?, nudged_at = NULL WHERE user_id = ?",
            (done + 1, to_db(self.db.clock()), user_id),
        )

    async def save_where(self, user_id: int, step: WhereWhen, *, guild_id: int | None, locale: str) -> None:
        commune = self.geo.commune(step.code_insee) if step.code_insee else None
        # A circle is also kept as the départements it touches: the first filter of every match.
        departements = set(step.departements)
        if commune is not None and commune.lat is not None and commune.lon is not None:
            departements |= {c.departement for c, _ in self.geo.within(commune.lat, commune.lon, step.radius_km)}
            departements.add(commune.departement)
        async with self.db.transaction():
            await self._ensure(user_id, guild_id, locale)
            await self.db.execute(
                "UPDATE household_profiles SET code_insee = ?, lat = ?, lon = ?, radius_km = ?, horizon = ?"
                " WHERE user_id = ?",
                (
                    step.code_insee,
                    commune.lat if commune else None,
                    commune.lon if commune else None,
                    step.radius_km if commune else None,
                    step.horizon.value,
                    user_id,
                ),
            )
            await self._replace_tags(user_id, "departement", departements)
            await self._replace_tags(user_id, "milieu", (m.value for m in step.milieux))
            await self._replace_tags(user_id, "etape", (e.value for e in step.etapes))
            await self._advance(user_id, 1)

    async def save_household(self, user_id: int, step: HouseholdMakeup) -> None:
        async with self.db.transaction():
            await self.db.execute(
                "UPDATE household_profiles SET adults = ?, children = ?, seniors = ?, budget_min = ?, budget_max = ?"
                " WHERE user_id = ?",
                (step.adults, step.children, step.seniors, step.budget_min, step.budget_max, user_id),
            )
            await self._replace_tags(user_id, "statut", (s.value for s in step.statuts))
            await self._advance(user_id, 2)

    async def save_matters(self, user_id: int, step: WhatMatters) -> None:
        households, projects = VISIBILITY[step.visibility]
        async with self.db.transaction():
            await self.db.execute(
                "UPDATE household_profiles SET intro = ?, accessibility = ?, visible_households = ?,"
                " visible_projects = ?, paused = 0 WHERE user_id = ?",
                (step.intro, int(step.accessibility), int(households), int(projects), user_id),
            )
            await self._replace_tags(user_id, "valeur", (v.value for v in step.valeurs))
            await self._replace_tags(user_id, "apport", (a.value for a in step.apports))
            await self._advance(user_id, 3)

    async def set_flags(self, user_id: int, *, paused: bool | None = None, digest: bool | None = None) -> None:
        await self.db.execute(
            "UPDATE household_profiles SET paused = COALESCE(?, paused), digest = COALESCE(?, digest),"
            " updated_at = ?, nudged_at = NULL WHERE user_id = ?",
            (
                None if paused is None else int(paused),
                None if digest is None else int(digest),
                to_db(self.db.clock()),
                user_id,
            ),
        )

    # ----------------------------------------------------------------- candidates

    async def candidate_households(self, profile: HouseholdProfile, limit: int = CANDIDATES) -> list[HouseholdProfile]:
        """Complete, visible, unpaused households sharing a département with `profile`, not yet
        declined or already put in touch with it: the nearest first (the freshest, without a centre),
        so that a dense area's cap keeps the best placed rather than the oldest."""
        if not profile.departements:
            return []
        marks = ",".join("?" * len(profile.departements))
        if profile.has_centre:
            assert profile.lat is not None and profile.lon is not None
            # Squared flat distance: enough to rank neighbours; the exact one is computed when scoring.
            order = "p.lat IS NULL, (p.lat - ?) * (p.lat - ?) + (p.lon - ?) * (p.lon - ?) * ?"
            shrink = math.cos(math.radians(profile.lat)) ** 2
            order_params: tuple[Any, ...] = (profile.lat, profile.lat, profile.lon, profile.lon, shrink)
        else:
            order, order_params = "p.updated_at DESC", ()
        rows = await self.db.fetchall(
            "SELECT p.user_id FROM household_profiles p WHERE p.user_id IN (SELECT t.user_id FROM household_tags t"
            f" WHERE t.kind = 'departement' AND t.value IN ({marks})) AND p.user_id != ? AND p.step = ?"
            " AND p.paused = 0 AND p.visible_households = 1"
            " AND NOT EXISTS (SELECT 1 FROM introductions i WHERE i.status IN ('declinee', 'acceptee', 'attente')"
            "   AND ((i.requester_id = ? AND i.target_user_id = p.user_id)"
            "     OR (i.requester_id = p.user_id AND i.target_user_id = ?)))"
            f" ORDER BY {order}, p.user_id LIMIT ?",
            (
                *sorted(profile.departements), profile.user_id, COMPLETE, profile.user_id, profile.user_id,
                *order_params, limit,
            ),
        )  # fmt: skip
        return await self.get_many([row["user_id"] for row in rows])

    async def households_for_project(
        self, departement: str, lat: float | None, lon: float | None, asker_id: int, limit: int = CANDIDATES
    ) -> list[HouseholdProfile]:
        """Households that consented to be seen by projects and look in this département, nearest to the
        project first, not yet asked by (or put in touch with, or declined for) this référent."""
        order: str = "p.updated_at DESC"
        order_params: tuple[float, ...] = ()
        if lat is not None and lon is not None:
            order = "p.lat IS NULL, (p.lat - ?) * (p.lat - ?) + (p.lon - ?) * (p.lon - ?) * ?"
            order_params = (lat, lat, lon, lon, math.cos(math.radians(lat)) ** 2)
        rows = await self.db.fetchall(
            "SELECT p.user_id FROM household_profiles p WHERE p.user_id IN (SELECT t.user_id FROM household_tags t"
            " WHERE t.kind = 'departement' AND t.value = ?) AND p.user_id != ? AND p.step = ? AND p.paused = 0"
            " AND p.visible_projects = 1"
            " AND NOT EXISTS (SELECT 1 FROM introductions i WHERE i.status IN ('declinee', 'acceptee', 'attente')"
            "   AND ((i.requester_id = ? AND i.target_user_id = p.user_id)"
            "     OR (i.requester_id = p.user_id AND i.target_user_id = ?)))"
            f" ORDER BY {order}, p.user_id LIMIT ?",
            (departement, asker_id, COMPLETE, asker_id, asker_id, *order_params, limit),
        )
        return await self.get_many([row["user_id"] for row in rows])

    async def candidate_project_ids(self, profile: HouseholdProfile) -> list[int]:
        """Published projects that recruit in the household's départements (within its circle's box),
        not declined for or already asked by this household."""
        if not profile.departements:
            return []
        marks = ",".join("?" * len(profile.departements))
        clauses = [
            "p.statut = 'publie'",
            "p.recrute = 1",
            f"p.departement IN ({marks})",
            "NOT EXISTS (SELECT 1 FROM introductions i WHERE i.project_id = p.id AND i.requester_id = ?"
            " AND i.status IN ('declinee', 'acceptee', 'attente'))",
        ]
        params: list[Any] = [*sorted(profile.departements), profile.user_id]
        if profile.has_centre:
            assert profile.lat is not None and profile.lon is not None and profile.radius_km is not None
            low_lat, high_lat, low_lon, high_lon = bounding_box(profile.lat, profile.lon, profile.radius_km)
            clauses.append("p.lat BETWEEN ? AND ? AND p.lon BETWEEN ? AND ?")
            params.extend((low_lat, high_lat, low_lon, high_lon))
        rows = await self.db.fetchall(f"SELECT p.id FROM projects p WHERE {' AND '.join(clauses)}", params)
        return [row["id"] for row in rows]

    # ----------------------------------------------------------------- staleness and digests

    async def stale(self, now: datetime) -> tuple[list[int], list[int]]:
        """(profiles to ask whether they still hold, profiles to pause: asked a month ago, no answer)."""
        old = to_db(now - STALE_AFTER)
        ask = await self.db.fetchall(
            "SELECT user_id FROM household_profiles WHERE step = ? AND paused = 0 AND updated_at < ?"
            " AND nudged_at IS NULL",
            (COMPLETE, old),
        )
        pause = await self.db.fetchall(
            "SELECT user_id FROM household_profiles WHERE paused = 0 AND nudged_at IS NOT NULL AND nudged_at < ?",
            (to_db(now - PAUSE_AFTER_NUDGE),),
        )
        return [r["user_id"] for r in ask], [r["user_id"] for r in pause]

    async def mark_nudged(self, user_id: int, now: datetime) -> bool:
        """Claim the "does it still hold?" DM (once per year of silence)."""
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE household_profiles SET nudged_at = ? WHERE user_id = ? AND nudged_at IS NULL",
                (to_db(now), user_id),
            )
            return cursor.rowcount == 1

    async def digest_due(self, now: datetime, every: timedelta = timedelta(days=7), limit: int = 20) -> list[int]:
        """Profiles whose weekly digest is due (a week after the last, or after the profile was made),
        a few at a time: each costs a full suggestion search, and a large network spreads over the week."""
        rows = await self.db.fetchall(
            "SELECT user_id FROM household_profiles WHERE step = ? AND paused = 0 AND digest = 1"
            " AND COALESCE(last_digest_at, created_at) < ? ORDER BY COALESCE(last_digest_at, created_at) LIMIT ?",
            (COMPLETE, to_db(now - every), limit),
        )
        return [row["user_id"] for row in rows]

    async def claim_digest(self, user_id: int, now: datetime, every: timedelta = timedelta(days=7)) -> bool:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE household_profiles SET last_digest_at = ? WHERE user_id = ?"
                " AND COALESCE(last_digest_at, created_at) < ?",
                (to_db(now), user_id, to_db(now - every)),
            )
            return cursor.rowcount == 1

    async def next_digest_due(self, every: timedelta = timedelta(days=7)) -> datetime | None:
        row = await self.db.fetchone(
            "SELECT MIN(COALESCE(last_digest_at, created_at)) FROM household_profiles"
            " WHERE step = ? AND paused = 0 AND digest = 1",
            (COMPLETE,),
        )
        return from_db(row[0]) + every if row and row[0] else None

    async def seen(
        self, user_id: int, *, households: Iterable[int] = (), projects: Iterable[int] = ()
    ) -> set[tuple[int, int]]:
        """Mark suggestions as shown; returns the ones that were new, as (household, project) pairs."""
        now = to_db(self.db.clock())
        pairs = [(h, 0) for h in households] + [(0, p) for p in projects]
        fresh: set[tuple[int, int]] = set()
        async with self.db.transaction() as conn:
            for household, project in pairs:
                cursor = await conn.execute(
                    "INSERT OR IGNORE INTO suggestions_seen (user_id, target_user_id, project_id, seen_at)"
                    " VALUES (?, ?, ?, ?)",
                    (user_id, household, project, now),
                )
                if cursor.rowcount:
                    fresh.add((household, project))
        return fresh


class IntroductionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def request(
        self,
        requester_id: int,
        *,
        target_user_id: int | None = None,
        project_id: int | None = None,
        guild_id: int | None,
    ) -> Introduction:
        now = self.db.clock()
        async with self.db.transaction():
            await self.expire(now)
            row = await self.db.fetchone(
                "SELECT COUNT(*) FROM introductions WHERE requester_id = ? AND status = 'attente'", (requester_id,)
            )
            if row and row[0] >= MAX_PENDING_REQUESTS:
                raise UserError(
                    "Vous avez déjà {n} demandes en attente : attendez une réponse avant d'en envoyer d'autres.",
                    n=MAX_PENDING_REQUESTS,
                )
            if target_user_id == requester_id:
                raise UserError("Vous ne pouvez pas vous mettre en lien avec vous-même.")
            existing = await self.db.fetchone(
                "SELECT status FROM introductions WHERE requester_id = ? AND COALESCE(target_user_id, 0) = ?"
                " AND COALESCE(project_id, 0) = ? AND status IN ('attente', 'acceptee', 'declinee')",
                (requester_id, target_user_id or 0, project_id or 0),
            )
            if existing is not None:
                raise UserError("Une demande existe déjà pour cette mise en lien.")
            introduction_id = await self.db.execute(
                "INSERT INTO introductions (requester_id, target_user_id, project_id, guild_id, created_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (requester_id, target_user_id, project_id, guild_id, to_db(now)),
            )
        found = await self.get(introduction_id)
        assert found is not None
        return found

    async def get(self, introduction_id: int) -> Introduction | None:
        row = await self.db.fetchone("SELECT * FROM introductions WHERE id = ?", (introduction_id,))
        return _introduction(row) if row else None

    async def answer(self, introduction_id: int, *, accepted: bool, by: int) -> Introduction:
        """The first answer counts (a project may have several référents); later ones change nothing."""
        now = self.db.clock()
        async with self.db.transaction() as conn:
            await self.expire(now)
            cursor = await conn.execute(
                "UPDATE introductions SET status = ?, answered_by = ?, answered_at = ?"
                " WHERE id = ? AND status = 'attente'",
                ("acceptee" if accepted else "declinee", by, to_db(now), introduction_id),
            )
            changed = cursor.rowcount == 1
        found = await self.get(introduction_id)
        if found is None:
            raise UserError("Cette demande n'existe plus.")
        if not changed:
            raise UserError("Cette demande a déjà reçu une réponse, ou a expiré.")
        return found

    async def withdraw(self, introduction_id: int) -> None:
        """A request that reached nobody (DMs closed) is not left pending."""
        await self.db.execute("DELETE FROM introductions WHERE id = ? AND status = 'attente'", (introduction_id,))

    async def set_thread(self, introduction_id: int, thread_id: int) -> None:
        await self.db.execute("UPDATE introductions SET thread_id = ? WHERE id = ?", (thread_id, introduction_id))

    async def expire(self, now: datetime) -> int:
        async with self.db.transaction() as conn:
            cursor = await conn.execute(
                "UPDATE introductions SET status = 'expiree' WHERE status = 'attente' AND created_at < ?",
                (to_db(now - REQUEST_LIFETIME),),
            )
            return cursor.rowcount

    async def pending_of(self, requester_id: int) -> list[Introduction]:
        rows = await self.db.fetchall(
            "SELECT * FROM introductions WHERE requester_id = ? AND status = 'attente' ORDER BY id", (requester_id,)
        )
        return [_introduction(row) for row in rows]


def _introduction(row: aiosqlite.Row) -> Introduction:
    return Introduction(
        id=row["id"],
        requester_id=row["requester_id"],
        target_user_id=row["target_user_id"],
        project_id=row["project_id"],
        guild_id=row["guild_id"],
        status=row["status"],
        answered_by=row["answered_by"],
        thread_id=row["thread_id"],
        created_at=from_db(row["created_at"]),
    )
