"""Households and introductions in the database. Nothing is visible to anyone until the member consents,
separately, to being visible to other households and to projects."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import NamedTuple

from bot.clock import from_db, to_db
from bot.db import Database, Row, changes_since, from_row, marks
from bot.errors import UserError
from bot.geo import Geography
from bot.households.models import (
    CANDIDATES,
    COMPLETE,
    MAX_PENDING_REQUESTS,
    PAUSE_AFTER_QUESTION,
    REQUEST_LIFETIME,
    SETTLED,
    STALE_AFTER,
    VISIBILITY,
    HouseholdMakeup,
    HouseholdProfile,
    Introduction,
    IntroductionKind,
    IntroductionStatus,
    WhatMatters,
    WhereWhen,
)
from bot.vocabulary import (
    Apport,
    EtapeRejointe,
    Horizon,
    Milieu,
    Statut,
    Valeur,
    mask_of,
    members_of,
)

_SETTLED = "(" + ", ".join(f"'{status.value}'" for status in SETTLED) + ")"
# A member's introductions that are settled, either way round (their id twice).
_MINE = (
    "SELECT requester_id, target_user_id, project_id FROM introductions"
    f" WHERE requester_id = ? AND status IN {_SETTLED}"
    " UNION ALL SELECT requester_id, target_user_id, project_id FROM introductions WHERE target_user_id = ?"
    f" AND status IN {_SETTLED}"
)


def _moment(text: str | None) -> datetime | None:
    return from_db(text) if text else None


def _settled_of(row: Row) -> tuple[set[int], set[int]]:
    """The households and projects of `settled_households` and `settled_projects` (ids apart by spaces)."""
    households, projects = (
        {int(i) for i in (row[column] or "").split()} for column in ("settled_households", "settled_projects")
    )
    return households, projects


class Asking(NamedTuple):
    """A member asking for suggestions, as `HouseholdStore.get_settled` reads them."""

    profile: HouseholdProfile | None
    settled: tuple[set[int], set[int]]  # the households and projects met, declined or waited on
    others: list[HouseholdProfile]  # those asked for that exist, in the order asked


class HouseholdStore:
    def __init__(self, db: Database, geo: Geography) -> None:
        self.db = db
        self.geo = geo

    # ----------------------------------------------------------------- reading

    async def get(self, user_id: int) -> HouseholdProfile | None:
        found = await self.get_many([user_id])
        return found[0] if found else None

    async def get_many(self, user_ids: Sequence[int]) -> list[HouseholdProfile]:
        """Profiles in the order of `user_ids` (those that exist), from their rows alone: the sets are the rows'
        bitmasks and départements, written with the tags (migrations 0022 and 0025)."""
        if not user_ids:
            return []
        rows = await self.db.lookup(
            f"SELECT * FROM household_profiles WHERE user_id IN ({marks(user_ids)})", tuple(user_ids)
        )
        by_id = {row["user_id"]: self._profile(row) for row in rows}
        return [by_id[i] for i in user_ids if i in by_id]

    def _profile(self, found: Row) -> HouseholdProfile:
        # SQLite's rows find a column by name by comparing it with each name in turn: a dict, once, is faster.
        row = dict(zip(found.keys(), found, strict=True))
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
            departements=frozenset(row["departements"].split()),
            milieux=members_of(row["milieu_mask"], Milieu),
            horizon=Horizon(row["horizon"]) if row["horizon"] else None,
            etapes=members_of(row["etape_mask"], EtapeRejointe),
            adults=row["adults"],
            children=row["children"],
            seniors=row["seniors"],
            accessibility=bool(row["accessibility"]),
            statuts=members_of(row["statut_mask"], Statut),
            budget_min=row["budget_min"],
            budget_max=row["budget_max"],
            valeurs=members_of(row["valeur_mask"], Valeur),
            apports=members_of(row["apport_mask"], Apport),
            intro=row["intro"],
            visible_households=bool(row["visible_households"]),
            visible_projects=bool(row["visible_projects"]),
            paused=bool(row["paused"]),
            digest=bool(row["digest"]),
            locale=row["locale"],
            created_at=from_db(row["created_at"]),
            updated_at=from_db(row["updated_at"]),
            digest_done_at=_moment(row["digest_done_at"]),
            asked_at=_moment(row["asked_at"]),
            asked_delivered_at=_moment(row["asked_delivered_at"]),
            dm_closed=bool(row["dm_closed"]),
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
        # A member who edits is there: the yearly question is answered, and they may have opened their DMs.
        await self.db.execute(
            "UPDATE household_profiles SET step = CASE WHEN step < ? THEN ? ELSE step END, updated_at = ?,"
            " asked_at = NULL, asked_delivered_at = NULL, dm_closed = 0 WHERE user_id = ?",
            (done + 1, done + 1, to_db(self.db.clock()), user_id),
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
                "UPDATE household_profiles SET code_insee = ?, lat = ?, lon = ?, radius_km = ?, horizon = ?,"
                " departements = ?, etape_mask = ?, milieu_mask = ? WHERE user_id = ?",
                (
                    step.code_insee,
                    commune.lat if commune else None,
                    commune.lon if commune else None,
                    step.radius_km if commune else None,
                    step.horizon.value,
                    " ".join(sorted(departements)),
                    mask_of(step.etapes, EtapeRejointe),
                    mask_of(step.milieux, Milieu),
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
                "UPDATE household_profiles SET adults = ?, children = ?, seniors = ?, budget_min = ?, budget_max = ?,"
                " statut_mask = ? WHERE user_id = ?",
                (
                    step.adults,
                    step.children,
                    step.seniors,
                    step.budget_min,
                    step.budget_max,
                    mask_of(step.statuts, Statut),
                    user_id,
                ),
            )
            await self._replace_tags(user_id, "statut", (s.value for s in step.statuts))
            await self._advance(user_id, 2)

    async def save_matters(self, user_id: int, step: WhatMatters) -> None:
        households, projects = VISIBILITY[step.visibility]
        async with self.db.transaction():
            await self.db.execute(
                "UPDATE household_profiles SET intro = ?, accessibility = ?, visible_households = ?,"
                " visible_projects = ?, paused = 0, valeur_mask = ?, apport_mask = ? WHERE user_id = ?",
                (
                    step.intro,
                    int(step.accessibility),
                    int(households),
                    int(projects),
                    mask_of(step.valeurs, Valeur),
                    mask_of(step.apports, Apport),
                    user_id,
                ),
            )
            await self._replace_tags(user_id, "valeur", (v.value for v in step.valeurs))
            await self._replace_tags(user_id, "apport", (a.value for a in step.apports))
            await self._advance(user_id, 3)

    async def set_flags(self, user_id: int, *, paused: bool | None = None, digest: bool | None = None) -> bool:
        """Pause or resume, stop or restart the digest: an answer to the yearly question too. False when
        the member has no introduction."""
        changed = await self.db.update(
            "UPDATE household_profiles SET paused = COALESCE(?, paused), digest = COALESCE(?, digest),"
            " updated_at = ?, asked_at = NULL, asked_delivered_at = NULL WHERE user_id = ?",
            (
                None if paused is None else int(paused),
                None if digest is None else int(digest),
                to_db(self.db.clock()),
                user_id,
            ),
        )
        return changed == 1

    async def note_dm(self, user_id: int, *, closed: bool) -> None:
        """What the last DM to this member taught: their DMs are closed, or open again."""
        await self.db.execute(
            "UPDATE household_profiles SET dm_closed = ? WHERE user_id = ? AND dm_closed != ?",
            (int(closed), user_id, int(closed)),
        )

    # ----------------------------------------------------------------- candidates

    async def changes(self, since: int, missing: Sequence[int], limit: int) -> list[Row]:
        """Households changed past change number `since` (or numbered `missing`), in order, with what the
        index reads of them (bot/households/index.py); an erased household is no longer there."""
        select = (
            "SELECT c.seq, p.user_id, p.step, p.lat, p.lon, p.radius_km, p.horizon, p.visible_households, p.paused,"
            " p.dm_closed, p.departements, p.statut_mask, p.etape_mask, p.valeur_mask, p.apport_mask"
            " FROM household_changes c JOIN household_profiles p ON p.user_id = c.user_id"
        )
        return await self.db.fetchall(*changes_since(select, since, missing, limit))

    async def settled(self, user_id: int) -> tuple[set[int], set[int]]:
        """The households and the projects this member was put in touch with, declined, or is waiting on
        (either way round)."""
        row = await self.db.fetchone(f"WITH mine AS ({_MINE}) SELECT {self._settled_columns()}", (user_id,) * 3)
        assert row is not None
        return _settled_of(row)

    async def get_settled(self, user_id: int, others: Sequence[int] = ()) -> Asking:
        """`get` and `settled` in one trip to the database (what settled is empty for a member with no profile),
        and `get_many(others)`."""
        ids = [user_id, *(other for other in others if other != user_id)]
        rows = await self.db.lookup(
            f"WITH mine AS ({_MINE}) SELECT p.*, {self._settled_columns()} FROM household_profiles p"
            f" WHERE p.user_id IN ({marks(ids)})",
            (user_id,) * 3 + tuple(ids),
        )
        by_id = {row["user_id"]: row for row in rows}
        mine = by_id.pop(user_id, None)
        if mine is None:
            return Asking(None, (set(), set()), [])
        return Asking(self._profile(mine), _settled_of(mine), [self._profile(by_id[i]) for i in others if i in by_id])

    def _settled_columns(self) -> str:
        listed = self.db.dialect.listed
        other = listed("CASE WHEN requester_id = ? THEN target_user_id ELSE requester_id END")
        return (
            f"(SELECT {other} FROM mine) AS settled_households, (SELECT {listed('project_id')} FROM mine)"
            " AS settled_projects"
        )

    async def households_for_project(
        self,
        project_id: int,
        departement: str,
        lat: float | None,
        lon: float | None,
        asker_id: int,
        limit: int = CANDIDATES,
    ) -> list[HouseholdProfile]:
        """Households that consented to be seen by projects and look in this département, nearest to the
        project first, not yet asked by (or put in touch with, or declined for) this référent or project."""
        order: str = "p.updated_at DESC"
        order_params: tuple[float, ...] = ()
        if lat is not None and lon is not None:
            order = "p.lat IS NULL, (p.lat - ?) * (p.lat - ?) + (p.lon - ?) * (p.lon - ?) * ?"
            order_params = (lat, lat, lon, lon, math.cos(math.radians(lat)) ** 2)
        rows = await self.db.fetchall(
            "SELECT p.user_id FROM household_profiles p WHERE p.user_id IN (SELECT t.user_id FROM household_tags t"
            " WHERE t.kind = 'departement' AND t.value = ?) AND p.user_id != ? AND p.step = ? AND p.paused = 0"
            " AND p.visible_projects = 1 AND p.dm_closed = 0"
            f" AND NOT EXISTS (SELECT 1 FROM introductions i WHERE i.status IN {_SETTLED}"
            "   AND ((i.requester_id = ? AND i.target_user_id = p.user_id)"
            "     OR (i.requester_id = p.user_id AND i.target_user_id = ?)"
            "     OR (i.project_id = ? AND (i.requester_id = p.user_id OR i.target_user_id = p.user_id))))"
            f" ORDER BY {order}, p.user_id LIMIT ?",
            (departement, asker_id, COMPLETE, asker_id, asker_id, project_id, *order_params, limit),
        )
        return await self.get_many([row["user_id"] for row in rows])

    async def to_ask(self, now: datetime, limit: int) -> list[int]:
        """Complete, active introductions untouched for a year and not asked yet."""
        rows = await self.db.fetchall(
            "SELECT user_id FROM household_profiles WHERE step = ? AND paused = 0 AND asked_at IS NULL"
            " AND updated_at < ? ORDER BY updated_at LIMIT ?",
            (COMPLETE, to_db(now - STALE_AFTER), limit),
        )
        return [row["user_id"] for row in rows]

    async def mark_asked(self, user_id: int, now: datetime) -> bool:
        """The question is being written to the ledger (in the caller's transaction); False if it already was."""
        changed = await self.db.update(
            "UPDATE household_profiles SET asked_at = ? WHERE user_id = ? AND asked_at IS NULL",
            (to_db(now), user_id),
        )
        return changed == 1

    async def asked_delivered(self, user_id: int, now: datetime) -> None:
        await self.db.execute(
            "UPDATE household_profiles SET asked_delivered_at = ? WHERE user_id = ? AND asked_at IS NOT NULL",
            (to_db(now), user_id),
        )

    async def to_pause(self, now: datetime, limit: int) -> list[int]:
        """Asked (and the question delivered) a month ago, no answer since."""
        rows = await self.db.fetchall(
            "SELECT user_id FROM household_profiles WHERE paused = 0 AND asked_delivered_at < ?"
            " ORDER BY asked_delivered_at LIMIT ?",
            (to_db(now - PAUSE_AFTER_QUESTION), limit),
        )
        return [row["user_id"] for row in rows]

    async def pause_unanswered(self, user_ids: Sequence[int]) -> None:
        await self.db.execute(
            f"UPDATE household_profiles SET paused = 1, asked_at = NULL, asked_delivered_at = NULL"
            f" WHERE user_id IN ({marks(user_ids)})",
            tuple(user_ids),
        )

    async def next_question_due(self) -> datetime | None:
        row = await self.db.fetchone(
            "SELECT (SELECT MIN(updated_at) FROM household_profiles WHERE step = ? AND paused = 0"
            "   AND asked_at IS NULL),"
            " (SELECT MIN(asked_delivered_at) FROM household_profiles WHERE paused = 0)",
            (COMPLETE,),
        )
        if row is None:
            return None
        moments = [from_db(row[0]) + STALE_AFTER] if row[0] else []
        if row[1]:
            moments.append(from_db(row[1]) + PAUSE_AFTER_QUESTION)
        return min(moments, default=None)

    # ----------------------------------------------------------------- the weekly digest

    async def digest_due(self, now: datetime, every: timedelta, limit: int) -> list[int]:
        """Profiles whose weekly digest is due (a week after the last, or after the profile was made),
        a few at a time: each costs a full suggestion search, and a large network spreads over the week."""
        rows = await self.db.fetchall(
            "SELECT user_id FROM household_profiles WHERE step = ? AND paused = 0 AND digest = 1"
            " AND COALESCE(digest_done_at, created_at) < ? ORDER BY COALESCE(digest_done_at, created_at) LIMIT ?",
            (COMPLETE, to_db(now - every), limit),
        )
        return [row["user_id"] for row in rows]

    async def digest_done(self, user_id: int, now: datetime, every: timedelta) -> bool:
        """This week's digest is composed (in the caller's transaction); False if it already was."""
        changed = await self.db.update(
            "UPDATE household_profiles SET digest_done_at = ? WHERE user_id = ?"
            " AND COALESCE(digest_done_at, created_at) < ?",
            (to_db(now), user_id, to_db(now - every)),
        )
        return changed == 1

    async def next_digest_due(self, every: timedelta) -> datetime | None:
        row = await self.db.fetchone(
            "SELECT MIN(COALESCE(digest_done_at, created_at)) FROM household_profiles"
            " WHERE step = ? AND paused = 0 AND digest = 1",
            (COMPLETE,),
        )
        return from_db(row[0]) + every if row and row[0] else None

    async def seen(
        self, user_id: int, *, households: Iterable[int] = (), projects: Iterable[int] = ()
    ) -> set[tuple[int, int]]:
        """Mark suggestions as shown; returns the ones that were new, as (household, project) pairs."""
        pairs = [(h, 0) for h in households] + [(0, p) for p in projects]
        if not pairs:
            return set()
        now = to_db(self.db.clock())
        # One statement: the rows it adds are the new ones.
        rows = await self.db.fetchall(
            "INSERT INTO suggestions_seen (user_id, target_user_id, project_id, seen_at) VALUES"
            f" {', '.join(['(?, ?, ?, ?)'] * len(pairs))} ON CONFLICT DO NOTHING RETURNING target_user_id, project_id",
            [value for household, project in pairs for value in (user_id, household, project, now)],
        )
        return {(row["target_user_id"], row["project_id"]) for row in rows}


class IntroductionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def request(
        self,
        kind: IntroductionKind,
        requester_id: int,
        *,
        target_user_id: int | None = None,
        project_id: int | None = None,
        guild_id: int | None,
    ) -> Introduction:
        """A pending request (in the caller's transaction): at most MAX_PENDING_REQUESTS live ones a
        member, and never twice the same."""
        now = self.db.clock()
        if target_user_id == requester_id:
            raise UserError("Vous ne pouvez pas vous mettre en lien avec vous-même.")
        async with self.db.transaction():
            # The member's requests are counted and looked through, then one added: theirs go one at a time.
            await self.db.hold_key("requester", requester_id)
            row = await self.db.fetchone(
                "SELECT COUNT(*) FROM introductions WHERE requester_id = ? AND status = ? AND created_at >= ?",
                (requester_id, IntroductionStatus.attente.value, to_db(now - REQUEST_LIFETIME)),
            )
            if row and row[0] >= MAX_PENDING_REQUESTS:
                raise UserError(
                    "Vous avez déjà {n} demandes en attente : attendez une réponse avant d'en envoyer d'autres.",
                    n=MAX_PENDING_REQUESTS,
                )
            existing = await self.db.fetchone(
                "SELECT 1 FROM introductions WHERE requester_id = ? AND COALESCE(target_user_id, 0) = ?"
                f" AND COALESCE(project_id, 0) = ? AND status IN {_SETTLED}",
                (requester_id, target_user_id or 0, project_id or 0),
            )
            if existing is not None:
                raise UserError("Une demande existe déjà pour cette mise en lien.")
            introduction_id = await self.db.insert(
                "INSERT INTO introductions (kind, requester_id, target_user_id, project_id, guild_id, created_at)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (kind.value, requester_id, target_user_id, project_id, guild_id, to_db(now)),
            )
            return await self.must_get(introduction_id)

    async def get(self, introduction_id: int) -> Introduction | None:
        row = await self.db.fetchone("SELECT * FROM introductions WHERE id = ?", (introduction_id,))
        return _introduction(row) if row else None

    async def must_get(self, introduction_id: int) -> Introduction:
        found = await self.get(introduction_id)
        if found is None:
            raise UserError("Cette demande n'existe plus.")
        return found

    async def answer(
        self, introduction_id: int, *, accepted: bool, by: int, thread_id: int | None = None
    ) -> Introduction:
        """The first answer counts (a project may have several référents); later ones change nothing, and
        a request past its lifetime is no longer answered even before the round marks it lapsed."""
        now = self.db.clock()
        status = IntroductionStatus.acceptee if accepted else IntroductionStatus.declinee
        async with self.db.transaction():
            changed = await self.db.update(
                "UPDATE introductions SET status = ?, answered_by = ?, answered_at = ?, thread_id = ?"
                " WHERE id = ? AND status = ? AND created_at >= ?",
                (
                    status.value, by, to_db(now), thread_id, introduction_id, IntroductionStatus.attente.value,
                    to_db(now - REQUEST_LIFETIME),
                ),
            )  # fmt: skip
            found = await self.must_get(introduction_id)
            if changed != 1:
                raise UserError("Cette demande a déjà reçu une réponse, ou a expiré.")
            return found

    async def withdraw(self, introduction_id: int) -> bool:
        """A request that reached nobody (DMs closed) is withdrawn; False if it was answered meanwhile."""
        return await self._close_pending(introduction_id, IntroductionStatus.retiree)

    async def _close_pending(self, introduction_id: int, status: IntroductionStatus) -> bool:
        """Close a request still waiting for its answer; False if it no longer was."""
        changed = await self.db.update(
            "UPDATE introductions SET status = ? WHERE id = ? AND status = ?",
            (status.value, introduction_id, IntroductionStatus.attente.value),
        )
        return changed == 1

    async def lapse_due(self, now: datetime, limit: int) -> list[Introduction]:
        rows = await self.db.fetchall(
            "SELECT * FROM introductions WHERE status = ? AND created_at < ? ORDER BY created_at LIMIT ?",
            (IntroductionStatus.attente.value, to_db(now - REQUEST_LIFETIME), limit),
        )
        return [_introduction(row) for row in rows]

    async def lapse(self, introduction_id: int) -> bool:
        """Marked lapsed (in the caller's transaction, with the requester's notice); False if answered."""
        return await self._close_pending(introduction_id, IntroductionStatus.expiree)

    async def next_lapse(self) -> datetime | None:
        row = await self.db.fetchone(
            "SELECT MIN(created_at) FROM introductions WHERE status = ?", (IntroductionStatus.attente.value,)
        )
        return from_db(row[0]) + REQUEST_LIFETIME if row and row[0] else None


def _introduction(row: Row) -> Introduction:
    return from_row(Introduction, row, created_at=from_db(row["created_at"]))
