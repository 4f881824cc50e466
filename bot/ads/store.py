"""The small ads store: publishing, searching, renewing, closing, reports and expiry."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bot.ads.models import DURATIONS, LIVE, PRICED, Ad, AdDraft, AdFilters, AdStatus, Report, ReportStatus, body_key
from bot.clock import from_db, to_db
from bot.db import Database, Row, Where, from_row, marks
from bot.errors import UserError
from bot.geo import Geography

_LIVE = f"status IN ({', '.join(repr(status.value) for status in LIVE)})"


class AdStore:
    def __init__(self, db: Database, geo: Geography) -> None:
        self.db = db
        self.geo = geo

    async def publish(
        self,
        draft: AdDraft,
        *,
        author_id: int,
        guild_id: int,
        max_live: int,
        max_per_day: int,
        moderated: bool = False,
        locale: str = "fr",
    ) -> Ad:
        """Store a new ad, or refuse it (over the limits, a word-for-word copy of a live ad of the author)."""
        departement = self.geo.departements.get(draft.departement)
        if departement is None:
            raise UserError("Je ne connais pas le département « {departement} ».", departement=draft.departement)
        commune = self.geo.commune(draft.code_insee) if draft.code_insee else None
        if draft.code_insee and commune is None:
            raise UserError("Je ne trouve pas la commune « {commune} ».", commune=draft.code_insee)
        now = self.db.clock()
        key = body_key(draft.title, draft.body)
        async with self.db.transaction():
            # The author's ads are counted, then one added: their concurrent publications go one after the other.
            await self.db.hold_key("ad_author", author_id)
            # An ad past its expiry stops counting at once, even before the expiry round closes it.
            live = await self.db.fetchone(
                f"SELECT COUNT(*) FROM ads WHERE author_id = ? AND {_LIVE} AND expires_at > ?", (author_id, to_db(now))
            )
            if live and live[0] >= max_live:
                raise UserError(
                    "Vous avez déjà {n} annonces en cours : retirez-en une avant d'en publier une autre.", n=max_live
                )
            today = await self.db.fetchone(
                "SELECT COUNT(*) FROM ads WHERE author_id = ? AND created_at > ?",
                (author_id, to_db(now - timedelta(days=1))),
            )
            if today and today[0] >= max_per_day:
                raise UserError("Au plus {n} annonces par jour : réessayez demain.", n=max_per_day)
            copy = await self.db.fetchone(
                f"SELECT 1 FROM ads WHERE author_id = ? AND body_key = ? AND {_LIVE} AND expires_at > ?",
                (author_id, key, to_db(now)),
            )
            if copy is not None:
                raise UserError("Vous avez déjà une annonce en cours avec exactement ce texte.")
            ad_id = await self.db.insert(
                "INSERT INTO ads (author_id, guild_id, category, departement, region, code_insee, commune, title, body,"
                " body_key, price, status, created_at, expires_at, locale)"
                " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    author_id, guild_id, draft.category.value, departement.code, departement.region, draft.code_insee,
                    commune.nom if commune else None, draft.title, draft.body, key,
                    draft.price if draft.category in PRICED else None,
                    (AdStatus.in_moderation if moderated else AdStatus.published).value,
                    to_db(now), to_db(now + timedelta(days=draft.duration_days)), locale,
                ),
            )  # fmt: skip
        return await self.must_get(ad_id)

    async def get(self, ad_id: int) -> Ad | None:
        found = await self.get_many([ad_id])
        return found[0] if found else None

    async def must_get(self, ad_id: int) -> Ad:
        ad = await self.get(ad_id)
        if ad is None:
            raise UserError("Cette annonce n'existe plus.")
        return ad

    async def get_many(self, ids: Sequence[int]) -> list[Ad]:
        if not ids:
            return []
        rows = await self.db.fetchall(f"SELECT * FROM ads WHERE id IN ({marks(ids)})", tuple(ids))
        by_id = {row["id"]: _ad(row) for row in rows}
        return [by_id[i] for i in ids if i in by_id]

    async def set_post(self, ad_id: int, forum_channel_id: int, thread_id: int) -> None:
        await self.db.execute(
            "UPDATE ads SET forum_channel_id = ?, thread_id = ? WHERE id = ?", (forum_channel_id, thread_id, ad_id)
        )

    async def search(self, filters: AdFilters, limit: int = 200) -> list[int]:
        """Live, published ads matching every filter, newest first (expired ones never show)."""
        where = Where()
        where.add("a.status = ?", AdStatus.published.value)
        where.add("a.expires_at > ?", to_db(self.db.clock()))
        source = "ads a"
        source_params: tuple[Any, ...] = ()
        if filters.texte:
            text = self.db.dialect.text_match("ad_fts", "ads", "a", filters.texte)
            if text is None:
                return []
            if filters.departement or filters.departements:
                # A département's live ads are few: walk them by index (newest first), and keep those
                # in the match, computed once. Joining the match first would read every ad in France.
                where.add(text.among, *text.among_params)
            else:
                source, source_params = text.source, text.source_params
                where.add(text.condition, *text.condition_params)
        if filters.category is not None:
            where.add("a.category = ?", filters.category.value)
        if filters.departement:
            where.add("a.departement = ?", filters.departement)
        if filters.departements:
            where.among("a.departement", filters.departements)
        if filters.author_id is not None:
            where.add("a.author_id = ?", filters.author_id)
        rows = await self.db.fetchall(
            f"SELECT a.id FROM {source} WHERE {where} ORDER BY a.created_at DESC, a.id DESC LIMIT ?",
            (*source_params, *where.params, limit),
        )
        return [row["id"] for row in rows]

    async def of_author(self, author_id: int) -> list[Ad]:
        """A member's ads still running (published or awaiting moderation), newest first."""
        rows = await self.db.fetchall(
            f"SELECT * FROM ads WHERE author_id = ? AND {_LIVE} AND expires_at > ? ORDER BY created_at DESC",
            (author_id, to_db(self.db.clock())),
        )
        return [_ad(row) for row in rows]

    async def close(self, ad_id: int, status: AdStatus, reason: str | None = None) -> Ad:
        """Withdrawn by its author, filled, removed by a moderator, or expired: it no longer shows."""
        async with self.db.transaction():
            changed = await self.db.update(
                f"UPDATE ads SET status = ?, closed_reason = ? WHERE id = ? AND {_LIVE}",
                (status.value, reason, ad_id),
            )
            if changed != 1:
                await self.must_get(ad_id)
                raise UserError("Cette annonce est déjà close.")
        return await self.must_get(ad_id)

    async def approve(self, ad_id: int) -> Ad:
        async with self.db.transaction():
            changed = await self.db.update(
                "UPDATE ads SET status = ? WHERE id = ? AND status = ?",
                (AdStatus.published.value, ad_id, AdStatus.in_moderation.value),
            )
            if changed != 1:
                await self.must_get(ad_id)
                raise UserError("Cette annonce a déjà été traitée.")
        return await self.must_get(ad_id)

    async def renew(self, ad_id: int, days: int) -> Ad:
        """Push the expiry `days` further from the later of now and its expiry; a closed or lapsed ad
        cannot be renewed."""
        if days not in DURATIONS:
            raise UserError("Une annonce dure 30, 60 ou 90 jours.")
        now = self.db.clock()
        async with self.db.transaction():
            ad = await self.must_get(ad_id)
            changed = await self.db.update(
                f"UPDATE ads SET expires_at = ?, renewed_count = renewed_count + 1"
                f" WHERE id = ? AND {_LIVE} AND expires_at > ?",
                (to_db(max(now, ad.expires_at) + timedelta(days=days)), ad_id, to_db(now)),
            )
            if changed != 1:
                raise UserError("Cette annonce est close : publiez-en une nouvelle.")
        return await self.must_get(ad_id)

    async def report(self, ad_id: int, reporter_id: int, reason: str) -> Report:
        report_id = await self.db.insert(
            "INSERT INTO ad_reports (ad_id, reporter_id, reason, created_at) VALUES (?, ?, ?, ?) RETURNING id",
            (ad_id, reporter_id, reason, to_db(self.db.clock())),
        )
        report = await self.get_report(report_id)
        assert report is not None
        return report

    async def get_report(self, report_id: int) -> Report | None:
        row = await self.db.fetchone("SELECT * FROM ad_reports WHERE id = ?", (report_id,))
        return from_row(Report, row, status=ReportStatus(row["status"])) if row else None

    async def settle_report(self, report_id: int, *, remove: bool) -> Report:
        async with self.db.transaction():
            changed = await self.db.update(
                "UPDATE ad_reports SET status = ? WHERE id = ? AND status = ?",
                ((ReportStatus.removed if remove else ReportStatus.kept).value, report_id, ReportStatus.open.value),
            )
            if changed != 1:
                raise UserError("Ce signalement a déjà été traité.")
            report = await self.get_report(report_id)
        assert report is not None
        return report

    # ----------------------------------------------------------------- expiry

    async def overdue(self, now: datetime, limit: int) -> list[Ad]:
        """Ads still running past their expiry, oldest first: the next batch the expiry round closes."""
        rows = await self.db.fetchall(
            f"SELECT * FROM ads WHERE {_LIVE} AND expires_at <= ? ORDER BY expires_at, id LIMIT ?",
            (to_db(now), limit),
        )
        return [_ad(row) for row in rows]

    async def next_expiry(self) -> datetime | None:
        row = await self.db.fetchone(f"SELECT MIN(expires_at) FROM ads WHERE {_LIVE}")
        return from_db(row[0]) if row and row[0] else None

    # ----------------------------------------------------------------- a member's data

    async def of_author_all(self, author_id: int) -> list[Ad]:
        """Every ad of a member, whatever its status."""
        rows = await self.db.fetchall("SELECT * FROM ads WHERE author_id = ? ORDER BY id", (author_id,))
        return [_ad(row) for row in rows]

    async def forget(self, user_id: int) -> None:
        """A member's ads and reports go (the reports on their ads with them)."""
        await self.db.execute("DELETE FROM ads WHERE author_id = ?", (user_id,))
        await self.db.execute("DELETE FROM ad_reports WHERE reporter_id = ?", (user_id,))


def _ad(row: Row) -> Ad:
    return from_row(Ad, row, created_at=from_db(row["created_at"]), expires_at=from_db(row["expires_at"]))
