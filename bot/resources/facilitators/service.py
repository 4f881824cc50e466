"""The facilitators' flows: the directory and the ranking near a place, registration and its
moderation, edits by the structure's members, CSV import, the yearly "still accurate?", and contact
through the bot, where nothing is revealed until one of the structure's members accepts.

What the bot says on its own is a ledger row written in the transaction of the change that causes it,
and written out at send time (bot/resources/facilitators/messages.py)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.clock import Clock, to_db
from bot.errors import UserError, invalid
from bot.geo import Commune
from bot.guild_settings import GuildSettingsStore
from bot.notify import Outgoing
from bot.outbox import Kind, Letter, Outbox, Skip, Status, Target, subject
from bot.projects.models import ImportReport
from bot.resources.facilitators import messages
from bot.resources.facilitators.bazar import ACTORS_FORM, read_actor, read_source, report_lines
from bot.resources.facilitators.csvfile import parse_csv
from bot.resources.facilitators.models import (
    MEMBERS_MAX,
    MESSAGE_MAX,
    MESSAGE_MIN,
    REASON_MAX,
    REQUEST_LIFETIME,
    Area,
    ContactRequest,
    Facilitator,
    FacilitatorDraft,
    FacilitatorFacts,
    FacilitatorStatus,
    Requested,
    RequestStatus,
    Submitted,
    Verdict,
)
from bot.resources.facilitators.ranking import Need, Ranked, rank
from bot.resources.facilitators.store import FacilitatorStore
from bot.resources.facilitators.zone import parse_zone, zone_text
from bot.sources.bazar_messages import SyncReport
from bot.text import typed_id

MODERATION = "facilitator.moderation"  # the card in a server's moderation queue
VERDICT = "facilitator.verdict"  # published / refused: to who registered it
QUESTION = "facilitator.question"  # "still accurate?": to each member, a year on
REQUEST = "facilitator.request"  # a member asks to be put in touch: to each member of the structure
ANSWERED = "facilitator.answered"  # accepted (who answers, the public contact) or declined: to who asked
LAPSED = "facilitator.lapsed"  # unanswered in REQUEST_LIFETIME: to who asked
WITHDRAWN = "facilitator.withdrawn"  # none of the structure's members could receive it: to who asked

NEAR_KM = 150.0  # beyond the facilitators covering the place, those based this close are candidates
BATCH = 100


def about(facilitator_id: int) -> str:
    return subject("facilitator", facilitator_id)


def about_request(request_id: int) -> str:
    return subject("facilitator_request", request_id)


class FacilitatorService:
    def __init__(self, store: FacilitatorStore, settings: GuildSettingsStore, outbox: Outbox, clock: Clock) -> None:
        self.store = store
        self.db = store.db
        self.geo = store.geo
        self.settings = settings
        self.outbox = outbox
        self.clock = clock
        outbox.register(MODERATION, Kind(self._render_card))
        outbox.register(VERDICT, Kind(self._render_verdict))
        outbox.register(QUESTION, Kind(self._render_question))
        outbox.register(REQUEST, Kind(self._render_request, after=self._after_request))
        outbox.register(ANSWERED, Kind(self._render_answered))
        outbox.register(LAPSED, Kind(self._render_lapsed))
        outbox.register(WITHDRAWN, Kind(self._render_withdrawn))

    # ----------------------------------------------------------------- reading

    async def near(self, place: Commune, need: Need, limit: int = 5) -> list[Ranked]:
        """Published facilitators for a group at `place`: those covering it and those based within
        NEAR_KM (the nearest others when too few), that bring something the need asks; best first."""
        ranked = rank(await self.store.published(), need, place)
        if not need.empty:
            ranked = [r for r in ranked if r.fit > 0]
        close = [r for r in ranked if r.covers or (r.distance_km is not None and r.distance_km <= NEAR_KM)]
        if len(close) < limit:
            others = sorted(
                (r for r in ranked if r not in close and r.distance_km is not None), key=lambda r: r.distance_km or 0
            )
            close = rank([r.facilitator for r in [*close, *others[: limit - len(close)]]], need, place)
        return close[:limit]

    async def directory(self, place: Commune, need: Need, radius_km: float) -> list[Ranked]:
        """The directory's search: published facilitators that bring each asked expertise and phase,
        covering the place or based within `radius_km`, best first."""
        found = [
            f
            for f in await self.store.published()
            if need.expertises <= f.expertises and (need.phase is None or need.phase in f.etapes)
        ]
        return [
            r
            for r in rank(found, need, place)
            if r.covers or (r.distance_km is not None and r.distance_km <= radius_km)
        ]

    async def records(self, ids: Sequence[int]) -> list[Facilitator]:
        return await self.store.get_many(ids)

    async def names(self, typed: str, *, user_id: int | None = None) -> list[tuple[int, str, str]]:
        return await self.store.names_like(typed, user_id=user_id)

    async def find(self, which: str) -> Facilitator:
        """A record as an option names it: its id (from the autocomplete), or a name only one has."""
        number = typed_id(which)
        found = await self.store.get(number) if number is not None else None
        if found is None:
            matches = await self.store.names_like(which, limit=2)
            found = await self.store.get(matches[0][0]) if len(matches) == 1 else None
        if found is None:
            raise UserError(
                "Je ne trouve pas la structure « {nom} » : choisissez-la dans la liste proposée.", nom=which
            )
        return found

    async def record(self, which: str, *, viewer_id: int, moderator: bool) -> Facilitator:
        """The record; one not published only for its members and the moderators."""
        found = await self.find(which)
        if not found.published and not found.editable_by(viewer_id, moderator):
            raise UserError("Cette structure n'est pas (ou plus) dans l'annuaire.")
        return found

    def zone_text(self, area: Area) -> str:
        return zone_text(area, self.geo)

    # ----------------------------------------------------------------- registering and editing

    def facts(self, options: Mapping[str, Any]) -> FacilitatorFacts:
        """The command's options, checked before the form opens."""
        try:
            return FacilitatorFacts.model_validate(options)
        except ValidationError as error:
            raise invalid(error, FacilitatorFacts) from None

    def draft(self, facts: FacilitatorFacts, typed: Mapping[str, Any]) -> FacilitatorDraft:
        """The form's fields over the command's facts; the area typed as text (empty: the base's
        département)."""
        zone = str(typed.get("zone") or "").strip()
        if not zone:
            base = self.geo.commune(facts.code_insee)
            zone = base.departement if base else ""
        fields = facts.model_dump() | {key: value for key, value in typed.items() if key != "zone"}
        try:
            return FacilitatorDraft.model_validate(fields | {"zone": parse_zone(zone, self.geo)})
        except ValidationError as error:
            raise invalid(error, FacilitatorDraft) from None

    async def register(
        self, draft: FacilitatorDraft, *, proposer_id: int, guild_id: int | None, locale: str
    ) -> Submitted:
        """A new record waits for a moderator; its card goes to the server's moderation queue."""
        async with self.db.transaction():
            facilitator = await self.store.register(draft, proposer_id=proposer_id, guild_id=guild_id, locale=locale)
            queued = await self._queue_card(facilitator, guild_id)
        self.outbox.nudge()
        return Submitted(facilitator, waits=True, queued=queued)

    async def _queue_card(self, facilitator: Facilitator, guild_id: int | None) -> bool:
        if guild_id is None:
            return False
        channel_id = (await self.settings.get(guild_id)).modqueue_channel_id
        if channel_id is None:
            return False
        await self.outbox.store.put(
            MODERATION, Target.channel, channel_id, guild_id=guild_id, about=about(facilitator.id),
            payload={"facilitator": facilitator.id},
        )  # fmt: skip
        return True

    async def editable(self, which: str, *, user_id: int, moderator: bool) -> Facilitator:
        found = await self.find(which)
        if not found.editable_by(user_id, moderator):
            raise UserError("Seuls les membres de la structure et les modérateurs peuvent modifier sa fiche.")
        return found

    async def edit(
        self, facilitator_id: int, draft: FacilitatorDraft, *, editor_id: int, moderator: bool, locale: str
    ) -> Facilitator:
        """Applied at once, and the record counts as confirmed: its questions not yet sent are withdrawn."""
        async with self.db.transaction():
            current = await self.store.must_get(facilitator_id)
            if not current.editable_by(editor_id, moderator):
                raise UserError("Seuls les membres de la structure et les modérateurs peuvent modifier sa fiche.")
            updated = await self.store.update(facilitator_id, draft)
            await self.store.note_locale(facilitator_id, editor_id, locale)
            await self.outbox.store.cancel(about(facilitator_id), [QUESTION], reason="fiche mise à jour")
        return updated

    async def add_member(
        self, facilitator_id: int, user_id: int, *, by: int, moderator: bool, locale: str
    ) -> Facilitator:
        """A member of the structure (or a moderator) adds another Discord member as its contact."""
        async with self.db.transaction():
            await self.db.hold("facilitators", facilitator_id)  # its contacts are counted, then one added
            current = await self.store.must_get(facilitator_id)
            if not current.editable_by(by, moderator):
                raise UserError("Seuls les membres de la structure et les modérateurs peuvent ajouter un contact.")
            if len(current.members) >= MEMBERS_MAX:
                raise UserError("Une structure a au plus {n} contacts sur Discord.", n=MEMBERS_MAX)
            if not await self.store.add_member(facilitator_id, user_id, locale):
                raise UserError("Ce membre est déjà un contact de la structure.")
        return await self.store.must_get(facilitator_id)

    # ----------------------------------------------------------------- moderation

    async def publish(self, facilitator_id: int) -> Facilitator:
        async with self.db.transaction():
            before = await self._awaiting(facilitator_id)
            await self.store.set_status(facilitator_id, FacilitatorStatus.publie)
            await self._verdict(before, Verdict.published, "")
        self.outbox.nudge()
        return before

    async def refuse(self, facilitator_id: int, reason: str) -> Facilitator:
        reason = reason.strip()
        if not reason or len(reason) > REASON_MAX:
            raise UserError("La raison tient en 1 à {max} caractères.", max=REASON_MAX)
        async with self.db.transaction():
            before = await self._awaiting(facilitator_id)
            await self.store.set_status(facilitator_id, FacilitatorStatus.refuse)
            await self._verdict(before, Verdict.refused, reason)
        self.outbox.nudge()
        return before

    async def _awaiting(self, facilitator_id: int) -> Facilitator:
        """In the verdict's transaction: the record held, so that a second moderator's verdict finds it given."""
        await self.db.hold("facilitators", facilitator_id)
        found = await self.store.must_get(facilitator_id)
        if found.statut is not FacilitatorStatus.en_attente:
            raise UserError("Cette structure a déjà été traitée.")
        return found

    async def _verdict(self, before: Facilitator, verdict: Verdict, reason: str) -> None:
        if before.proposed_by is None:
            return
        await self.outbox.store.put(
            VERDICT, Target.dm, before.proposed_by, guild_id=before.guild_id, locale=before.locale,
            about=about(before.id), payload={"verdict": verdict.value, "reason": reason},
        )  # fmt: skip

    # ----------------------------------------------------------------- CSV in

    async def import_csv(self, text: str) -> ImportReport:
        """Every row checked before anything is written (beside the event loop); the same file twice
        changes nothing."""
        drafts = await asyncio.to_thread(parse_csv, text, self.geo)
        return await self.store.import_drafts(drafts)

    async def import_bazar(self, source: str, form: Path | None = None, form_id: int = ACTORS_FORM) -> SyncReport:
        """The national site's actors offering support (its address, or saved entries and form), synced by
        the entry's id: new ones added, changed ones updated, gone or stopped ones out of the directory."""
        site, entries, bazar_form = await read_source(source, form, form_id)
        read = await asyncio.to_thread(lambda: [read_actor(entry, bazar_form, self.geo) for entry in entries])
        actors = [actor for actor in read if actor is not None and actor.entry_id]
        linked = await self.store.source_links(site)
        report = SyncReport()
        kept = report_lines(actors, report)
        report.ignored = sum(1 for a in actors if a.stopped and a.entry_id not in linked)  # stopped, never shown
        items = [(a.entry_id, a.page, a.draft) for a in kept if a.draft is not None]
        report.added, report.updated, report.unchanged = await self.store.sync_sourced(site, items)
        # A refused entry is still there; one that stopped, vanished or no longer offers support is not.
        present = {a.entry_id for a in actors if not a.stopped}
        report.retired = await self.store.retire_sourced(site, present)
        return report

    # ----------------------------------------------------------------- records kept alive

    async def confirm(self, facilitator_id: int, user_id: int, *, locale: str) -> Facilitator:
        async with self.db.transaction():
            found = await self.store.must_get(facilitator_id)
            if user_id not in found.members:
                raise UserError("Seuls les membres de la structure peuvent répondre.")
            await self.store.confirm(facilitator_id)
            await self.store.note_locale(facilitator_id, user_id, locale)
            await self.outbox.store.cancel(about(facilitator_id), [QUESTION], reason="confirmée")
        return found

    async def next_due(self) -> datetime | None:
        moments = [await self.store.next_stale()]
        oldest = await self.store.next_open_request()
        if oldest is not None:
            moments.append(oldest + REQUEST_LIFETIME)
        return min((m for m in moments if m is not None), default=None)

    async def run_due(self) -> int:
        """A batch of stale records asked (one ledger row per member) and of unanswered requests closed."""
        now = self.clock()
        async with self.db.transaction():
            stale = await self.store.stale(now, BATCH)
            for facilitator_id, since, guild_id in stale:
                if not await self.store.record_question(facilitator_id, since):
                    continue  # asked by another process's round meanwhile
                for member in await self.store.members(facilitator_id):
                    await self.outbox.store.put(
                        QUESTION, Target.dm, member.user_id, guild_id=guild_id, locale=member.locale,
                        about=about(facilitator_id), payload={"since": to_db(since)},
                    )  # fmt: skip
            lapsed = await self.store.lapse_due(now - REQUEST_LIFETIME, BATCH)
            for request in lapsed:
                if await self.store.settle_request(request.id, RequestStatus.close, None):
                    await self.outbox.store.cancel(about_request(request.id), [REQUEST], reason="sans réponse")
                    await self._to_requester(LAPSED, request)
        if stale or lapsed:
            self.outbox.nudge()
        return len(stale) + len(lapsed)

    # ----------------------------------------------------------------- contact through the bot

    async def request_contact(
        self, facilitator_id: int, *, requester_id: int, guild_id: int | None, locale: str, message: str
    ) -> Requested:
        """A member asks to be put in touch: each member of the structure gets the message without the
        asker's name, and the asker learns nothing of them, until one accepts."""
        message = message.strip()
        if not MESSAGE_MIN <= len(message) <= MESSAGE_MAX:
            raise UserError("Un message tient en {min} à {max} caractères.", min=MESSAGE_MIN, max=MESSAGE_MAX)
        facilitator = await self.store.must_get(facilitator_id)
        if not facilitator.published:
            raise UserError("Cette structure n'est pas (ou plus) dans l'annuaire.")
        if requester_id in facilitator.members:
            raise UserError("Vous êtes vous-même un contact de cette structure.")
        if not facilitator.members:
            return Requested(None, facilitator.site, facilitator.contact)
        async with self.db.transaction():
            await self.db.hold("facilitators", facilitator_id)  # one open request per member: looked for, then added
            if await self.store.open_request(facilitator_id, requester_id) is not None:
                raise UserError("Votre demande précédente à cette structure attend encore sa réponse.")
            request = await self.store.add_request(
                facilitator_id, requester_id, guild_id=guild_id, locale=locale, message=message
            )
            for member in await self.store.members(facilitator_id):
                await self.outbox.store.put(
                    REQUEST, Target.dm, member.user_id, guild_id=guild_id, locale=member.locale,
                    about=about_request(request.id), payload={"request": request.id},
                )  # fmt: skip
        self.outbox.nudge()
        return Requested(request, None, None)

    async def answer(self, request_id: int, *, by: int, accepted: bool) -> tuple[ContactRequest, Facilitator]:
        """A member of the structure answers; the first answer counts and who asked is told either way.
        Accepted, each side learns who the other is."""
        request = await self.store.must_get_request(request_id)
        facilitator = await self.store.must_get(request.facilitator_id)
        if by not in facilitator.members:
            raise UserError("Cette demande ne vous est pas adressée.")
        status = RequestStatus.acceptee if accepted else RequestStatus.declinee
        async with self.db.transaction():
            if not await self.store.settle_request(request_id, status, by):
                raise UserError("Cette demande a déjà reçu une réponse, ou a expiré.")
            await self.outbox.store.cancel(about_request(request_id), [REQUEST], reason="répondue")
            answered = await self.store.must_get_request(request_id)
            await self._to_requester(ANSWERED, answered)
        self.outbox.nudge()
        return answered, facilitator

    async def _to_requester(self, kind: str, request: ContactRequest) -> None:
        await self.outbox.store.put(
            kind, Target.dm, request.requester_id, guild_id=request.guild_id, locale=request.locale,
            about=about_request(request.id), payload={"request": request.id},
        )  # fmt: skip

    # ----------------------------------------------------------------- written at send time

    async def _subject(self, letter: Letter) -> Facilitator:
        found = await self.store.get(int((letter.subject or ":0").split(":")[1]))
        if found is None:
            raise Skip(Status.cancelled, "structure supprimée")
        return found

    async def _request(self, letter: Letter) -> tuple[ContactRequest, Facilitator]:
        request = await self.store.get_request(int(letter.payload["request"]))
        found = await self.store.get(request.facilitator_id) if request else None
        if request is None or found is None:
            raise Skip(Status.cancelled, "demande effacée")
        return request, found

    async def _render_card(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        found = await self._subject(letter)
        if found.statut is not FacilitatorStatus.en_attente:
            raise Skip(Status.cancelled, "déjà traitée")
        return messages.moderation_card(found, self.zone_text(found.zone), zone)

    async def _render_verdict(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        found = await self._subject(letter)
        verdict = Verdict(letter.payload["verdict"])
        return messages.verdict_message(found, verdict, letter.payload["reason"], letter.locale)

    async def _render_question(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        found = await self._subject(letter)
        if not found.published:
            raise Skip(Status.cancelled, "structure retirée")
        if letter.recipient_id not in found.members:
            raise Skip(Status.cancelled, "n'est plus contact de la structure")
        if to_db(found.confirmed_at) != letter.payload["since"]:
            raise Skip(Status.cancelled, "confirmée entre-temps")
        return messages.question_message(found, found.confirmed_at, zone, letter.locale)

    async def _render_request(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        request, found = await self._request(letter)
        if request.status is not RequestStatus.attente:
            raise Skip(Status.cancelled, "demande close")
        if letter.recipient_id not in found.members:
            raise Skip(Status.cancelled, "n'est plus contact de la structure")
        return messages.request_message(found, request, letter.locale)

    async def _render_answered(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        request, found = await self._request(letter)
        if request.status is RequestStatus.acceptee and request.answered_by is None:
            raise Skip(Status.cancelled, "l'autre partie a effacé ses données")
        return messages.answered_message(found, request, letter.locale)

    async def _render_lapsed(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        request, found = await self._request(letter)
        return messages.lapsed_message(found, request, zone, letter.locale)

    async def _render_withdrawn(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        _, found = await self._request(letter)
        return messages.withdrawn_message(found, letter.locale)

    async def _after_request(self, letter: Letter, status: Status, unreachable: bool) -> None:
        """A request none of the structure's members can receive (closed DMs) is closed, and who asked is
        told. Discord failing after every retry proves nothing: the request stays, and lapses if unanswered."""
        if not unreachable:
            return
        others = await self.outbox.store.of_subject(letter.subject or "")
        if any(row.kind == REQUEST and row.status in (Status.pending, Status.sent) for row in others):
            return  # another member may still answer
        request = await self.store.get_request(int(letter.payload["request"]))
        if request is not None and await self.store.settle_request(request.id, RequestStatus.close, None):
            await self._to_requester(WITHDRAWN, request)
