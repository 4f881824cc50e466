"""Everything the bot holds about a member: seen as one JSON document, erased in one transaction.

What others still need stays without the member's identity: an event keeps its head count (the
registration loses its member), an event or scheduled announcement keeps existing (its author
becomes 0, "unknown"), a project keeps its record (without its proposer or this référent). The
forum posts of the member's running ads are closed through the ledger, written with the erasure.
"""

from __future__ import annotations

from typing import Any

from bot.ads.service import AdService
from bot.clock import to_db
from bot.db import Database
from bot.outbox import Outbox

UNKNOWN = 0


class MemberData:
    """`/mes-donnees`: the export, and the erasure with what it causes."""

    def __init__(self, store: MemberDataStore, ads: AdService, outbox: Outbox) -> None:
        self.store = store
        self.ads = ads
        self.outbox = outbox

    async def export(self, user_id: int) -> dict[str, Any]:
        return await self.store.export(user_id)

    async def erase(self, user_id: int) -> None:
        async with self.store.db.transaction():
            await self.ads.forget_author(user_id)
            await self.store.erase(user_id)
        self.outbox.nudge()


class MemberDataStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def _rows(self, sql: str, params: tuple[Any, ...]) -> list[dict[str, Any]]:
        return [dict(row) for row in await self.db.fetchall(sql, params)]

    async def export(self, user_id: int) -> dict[str, Any]:
        me = (user_id,)
        both = (user_id, user_id)
        return {
            "membre": str(user_id),
            "exporte_le": to_db(self.db.clock()),
            "presentation": await self._rows("SELECT * FROM household_profiles WHERE user_id = ?", me),
            "presentation_choix": await self._rows("SELECT kind, value FROM household_tags WHERE user_id = ?", me),
            "mises_en_lien": await self._rows(
                "SELECT id, requester_id, target_user_id, project_id, status, created_at, answered_at"
                " FROM introductions WHERE requester_id = ? OR target_user_id = ? OR answered_by = ?",
                (user_id, user_id, user_id),
            ),
            "suggestions_vues": await self._rows("SELECT * FROM suggestions_seen WHERE user_id = ?", me),
            "inscriptions": await self._rows(
                "SELECT r.id, r.event_id, e.title, e.starts_at, r.session_id, r.guest_name, r.seats, r.status,"
                " r.remind, r.created_at, r.confirmed_at FROM registrations r JOIN events e ON e.id = r.event_id"
                " WHERE r.user_id = ? OR r.registered_by = ?",
                both,
            ),
            "reponses_aux_questions": await self._rows(
                "SELECT r.event_id, q.text AS question, a.answer AS reponse FROM registration_answers a"
                " JOIN registrations r ON r.id = a.registration_id JOIN event_questions q ON q.id = a.question_id"
                " WHERE r.user_id = ?",
                me,
            ),
            "interets": await self._rows(
                "SELECT i.event_id, e.title, e.starts_at, i.remind, i.locale, i.created_at, i.confirmed_at"
                " FROM event_interests i JOIN events e ON e.id = i.event_id WHERE i.user_id = ?",
                me,
            ),
            "messages_du_bot": await self._rows(
                "SELECT kind, due_at, status, sent_at, reason FROM outbox WHERE target = 'dm' AND recipient_id = ?",
                me,
            ),
            "delais_de_rappel": await self._rows("SELECT minutes FROM member_reminder_offsets WHERE user_id = ?", me),
            "projets_referent": await self._rows(
                "SELECT p.id, p.nom, p.commune FROM projects p JOIN project_referents r ON r.project_id = p.id"
                " WHERE r.user_id = ?",
                me,
            ),
            "projets_proposes": await self._rows("SELECT id, nom, statut FROM projects WHERE proposed_by = ?", me),
            "modifications_proposees": await self._rows("SELECT * FROM project_revisions WHERE proposed_by = ?", me),
            "evenements_organises": await self._rows(
                "SELECT id, title, starts_at, status FROM events WHERE organiser_id = ?", me
            ),
            "petites_annonces": await self._rows(
                "SELECT id, guild_id, category, departement, region, code_insee, commune, title, body, price, status,"
                " closed_reason, created_at, expires_at, renewed_count, forum_channel_id, thread_id, locale"
                " FROM ads WHERE author_id = ?",
                me,
            ),
            "signalements": await self._rows(
                "SELECT ad_id, reason, status, created_at FROM ad_reports WHERE reporter_id = ?", me
            ),
            "annonces_programmees": await self._rows(
                "SELECT id, channel_id, content, active, sent_count, last_sent_at FROM announcements"
                " WHERE author_id = ?",
                me,
            ),
            # Only the personal calendar's creation date: its address cannot be rebuilt from what is kept.
            "agenda_personnel": await self._rows("SELECT created_at FROM calendar_tokens WHERE user_id = ?", me),
            "presences": await self._rows(
                "SELECT id AS registration_id, event_id, checked_in_at FROM registrations"
                " WHERE user_id = ? AND checked_in_at IS NOT NULL",
                me,
            ),
            "ressources_proposees": await self._rows(
                "SELECT id, titre, resume, lien, theme, type, auteur, date, licence, statut, created_at"
                " FROM resources WHERE proposed_by = ?",
                me,
            ),
            "agendas_suivis_mis_en_place": await self._rows(
                "SELECT follower_id, followed_id, followed_name, created_at FROM guild_follows WHERE created_by = ?", me
            ),
            "accompagnement_structures": await self._rows(
                "SELECT f.id, f.nom, f.statut, f.proposed_by = m.user_id AS inscrite_par_vous"
                " FROM facilitators f JOIN facilitator_members m ON m.facilitator_id = f.id WHERE m.user_id = ?",
                me,
            ),
            "accompagnement_demandes": await self._rows(
                "SELECT r.id, f.nom AS structure, r.message, r.status, r.created_at, r.answered_at,"
                " r.requester_id = ? AS envoyee_par_vous FROM facilitator_requests r"
                " JOIN facilitators f ON f.id = r.facilitator_id WHERE r.requester_id = ? OR r.answered_by = ?",
                (user_id, user_id, user_id),
            ),
        }

    async def erase(self, user_id: int) -> None:
        """Every domain's rows but the ads' (AdService.forget_author does those)."""
        me = (user_id,)
        async with self.db.transaction():
            await self.db.execute("DELETE FROM household_profiles WHERE user_id = ?", me)
            await self.db.execute(
                "DELETE FROM suggestions_seen WHERE user_id = ? OR target_user_id = ?", (user_id, user_id)
            )
            await self.db.execute(
                "DELETE FROM introductions WHERE requester_id = ? OR target_user_id = ?", (user_id, user_id)
            )
            await self.db.execute("UPDATE introductions SET answered_by = NULL WHERE answered_by = ?", me)
            # Messages to the member, sent or not, leave with them (reminders, notices, digests…).
            await self.db.execute("DELETE FROM outbox WHERE target = 'dm' AND recipient_id = ?", me)
            # The answers to an event's questions are the member's own words: they go.
            await self.db.execute(
                "DELETE FROM registration_answers WHERE registration_id IN"
                " (SELECT id FROM registrations WHERE user_id = ?)",
                me,
            )
            # The seats stay counted; nothing says any more whose they were.
            await self.db.execute(
                "UPDATE registrations SET user_id = NULL, guest_name = NULL, locale = 'fr' WHERE user_id = ?", me
            )
            await self.db.execute("UPDATE registrations SET registered_by = NULL WHERE registered_by = ?", me)
            await self.db.execute("DELETE FROM member_reminder_offsets WHERE user_id = ?", me)
            await self.db.execute("DELETE FROM event_interests WHERE user_id = ?", me)
            # The personal calendar's address stops answering; a presence stays counted, anonymous.
            await self.db.execute("DELETE FROM calendar_tokens WHERE user_id = ?", me)
            await self.db.execute("UPDATE registrations SET checked_in_by = NULL WHERE checked_in_by = ?", me)
            await self.db.execute("UPDATE event_checkin SET opened_by = NULL WHERE opened_by = ?", me)
            await self.db.execute("DELETE FROM project_referents WHERE user_id = ?", me)
            await self.db.execute("DELETE FROM project_revisions WHERE proposed_by = ?", me)
            await self.db.execute("UPDATE projects SET proposed_by = NULL WHERE proposed_by = ?", me)
            await self.db.execute("UPDATE events SET organiser_id = ? WHERE organiser_id = ?", (UNKNOWN, user_id))
            await self.db.execute("UPDATE announcements SET author_id = ? WHERE author_id = ?", (UNKNOWN, user_id))
            # Proposed resources never published go, files and all; published ones stay, nameless.
            await self.db.execute("DELETE FROM resources WHERE proposed_by = ? AND statut != 'publie'", me)
            await self.db.execute("UPDATE resources SET proposed_by = NULL WHERE proposed_by = ?", me)
            # A follow is the server's: it stays, without saying which administrator set it up.
            await self.db.execute("UPDATE guild_follows SET created_by = ? WHERE created_by = ?", (UNKNOWN, user_id))
            # The member leaves the structures they were a contact of (a structure stays); their requests go.
            await self.db.execute("DELETE FROM facilitator_members WHERE user_id = ?", me)
            await self.db.execute("UPDATE facilitators SET proposed_by = NULL WHERE proposed_by = ?", me)
            await self.db.execute("DELETE FROM facilitator_requests WHERE requester_id = ?", me)
            await self.db.execute("UPDATE facilitator_requests SET answered_by = NULL WHERE answered_by = ?", me)
