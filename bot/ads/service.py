"""Small ads' flows, each from start to end: a change to an ad and the messages it causes (the expiry
notice, the moderators' verdict, the closing line of its forum post, the cards of the moderation
queue) are written in one transaction; the scheduler is nudged, never waited for. Only the relay of a
member's reply to an ad's author is sent at once: the sender is waiting to know it arrived."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from zoneinfo import ZoneInfo

from pydantic import ValidationError

from bot.ads.cards import card_lines, heading
from bot.ads.models import (
    DEFAULT_DURATION,
    MESSAGE_MAX,
    NOTICE_BEFORE,
    REASON_MAX,
    Ad,
    AdDraft,
    AdFilters,
    AdForm,
    AdStatus,
    Report,
    ReportStatus,
)
from bot.ads.store import AdStore
from bot.clock import Clock
from bot.dates import format_day
from bot.db import Database
from bot.errors import UserError, invalid
from bot.geo import AmbiguousCommune, Commune
from bot.guild_settings import GuildSettingsStore
from bot.i18n import gettext
from bot.notify import Button, Delivery, Notifier, Outgoing
from bot.outbox import Kind, Letter, Outbox, Skip, Status, Target, subject
from bot.text import typed_id

NOTICE = "ad.expiry_notice"
VERDICT = "ad.verdict"
POST_CLOSE = "ad.post_close"
MODERATION = "ad.moderation"
REPORT = "ad.report"
BATCH = 100  # ads closed per step of the expiry round
ERASED = "effacee"  # the closing line of a post whose author erased their data


class Verdict(StrEnum):
    approved = "approved"
    refused = "refused"
    removed = "removed"


CLOSING_LINES = {
    AdStatus.withdrawn.value: "🔒 Annonce retirée par son auteur·ice.",
    AdStatus.filled.value: "✅ Annonce pourvue : merci à toutes et à tous !",
    AdStatus.expired.value: "⌛ Annonce expirée.",
    AdStatus.removed.value: "🚫 Annonce retirée par la modération.",
    ERASED: "🔒 Annonce retirée.",
}


def about(ad_id: int) -> str:
    return subject("ad", ad_id)


class AdService:
    def __init__(self, store: AdStore, settings: GuildSettingsStore, outbox: Outbox, clock: Clock) -> None:
        self.store = store
        self.db: Database = store.db
        self.settings = settings
        self.outbox = outbox
        self.clock = clock
        outbox.register(NOTICE, Kind(self._render_notice))
        outbox.register(VERDICT, Kind(self._render_verdict))
        outbox.register(POST_CLOSE, Kind(self._render_closing))
        outbox.register(MODERATION, Kind(self._render_moderation))
        outbox.register(REPORT, Kind(self._render_report))

    @property
    def notifier(self) -> Notifier:
        return self.outbox.notifier

    # ----------------------------------------------------------------- authors

    def draft(self, form: AdForm) -> AdDraft:
        """The form as a draft, or a refusal naming the field as the member sees it. The commune comes
        last: an ambiguous one (AmbiguousCommune) is for the member to choose, the rest being right."""
        try:
            draft = AdDraft(
                category=form.category,
                departement=form.departement,
                title=form.title,
                body=form.body,
                price=form.price if form.priced else None,
                duration_days=form.duration_days,
            )
        except ValidationError as error:
            raise invalid(error, AdDraft) from None
        if not form.commune.strip():
            return draft
        return draft.model_copy(update={"code_insee": self._commune(form.commune, draft.departement).insee})

    def _commune(self, typed: str, departement: str) -> Commune:
        """The commune meant; among namesakes, the only one in the ad's département is not a guess."""
        try:
            return self.store.geo.resolve_commune(typed)
        except AmbiguousCommune as ambiguous:
            here = [c for c in ambiguous.candidates if c.departement == departement]
            if len(here) == 1:
                return here[0]
            raise

    async def publish(
        self, form: AdForm, *, author_id: int, guild_id: int, locale: str, forum_open: bool, queue_open: bool
    ) -> Ad:
        """Publish an ad (in the forum), or queue it for the moderators when the server has no forum.
        Its expiry notice is planned, and its card queued for the moderators, with it."""
        draft = self.draft(form)
        if not forum_open and not queue_open:
            raise UserError(
                "Les petites annonces ne sont pas encore ouvertes ici : un administrateur doit choisir le forum "
                "des annonces (/config salons petites_annonces)."
            )
        settings = await self.settings.get(guild_id)
        async with self.db.transaction():
            ad = await self.store.publish(
                draft,
                author_id=author_id,
                guild_id=guild_id,
                max_live=settings.max_live_ads,
                max_per_day=settings.max_ads_per_day,
                moderated=not forum_open,
                locale=locale,
            )
            await self._plan_notice(ad)
            if not forum_open and settings.modqueue_channel_id is not None:
                await self.outbox.store.put(
                    MODERATION, Target.channel, settings.modqueue_channel_id, guild_id=guild_id, about=about(ad.id)
                )
        self.outbox.nudge()
        return ad

    async def posted(self, ad_id: int, forum_channel_id: int, thread_id: int) -> None:
        """The ad's forum post exists: its closing line will go there."""
        await self.store.set_post(ad_id, forum_channel_id, thread_id)

    async def renew(self, ad_id: int, days: int = DEFAULT_DURATION) -> Ad:
        async with self.db.transaction():
            ad = await self.store.renew(ad_id, days)
            await self._plan_notice(ad)
        self.outbox.nudge()
        return ad

    async def withdraw(self, ad_id: int) -> Ad:
        return await self._close(ad_id, AdStatus.withdrawn)

    async def mark_filled(self, ad_id: int) -> Ad:
        return await self._close(ad_id, AdStatus.filled)

    # ----------------------------------------------------------------- everyone

    async def get(self, ad_id: int) -> Ad:
        return await self.store.must_get(ad_id)

    async def find(self, typed: str) -> Ad:
        """The ad a member named by its number (the autocomplete's value, or typed by hand)."""
        number = typed_id(typed)
        ad = await self.store.get(number) if number is not None else None
        if ad is None:
            raise UserError("Je ne trouve pas l'annonce « {annonce} » : choisissez-la dans la liste.", annonce=typed)
        return ad

    async def search(self, filters: AdFilters) -> list[int]:
        return await self.store.search(filters)

    async def page(self, ids: list[int]) -> list[Ad]:
        return await self.store.get_many(ids)

    async def of_author(self, author_id: int) -> list[Ad]:
        return await self.store.of_author(author_id)

    async def contact(self, ad_id: int, *, sender_id: int, sender: str, text: str, request_id: int) -> None:
        """Relay a member's reply to the ad's author, whose identity stays hidden; at once, so that the
        sender learns whether it arrived (`sender` is how the author sees who wrote)."""
        ad = await self.store.must_get(ad_id)
        if not ad.live:
            raise UserError("Cette annonce est close.")
        if ad.author_id == sender_id:
            raise UserError("C'est votre propre annonce.")
        _bounded(text, MESSAGE_MAX)
        message = Outgoing(
            content=gettext(
                "Réponse de {membre} à votre annonce « {titre} » :", ad.locale, membre=sender, titre=ad.title
            ),
            title=f"✉️ {ad.title}",
            lines=(text,),
        )
        delivery = await self.notifier.dm(ad.author_id, message, nonce=f"ct-{request_id}")
        if delivery is Delivery.CLOSED:
            raise UserError("L'auteur·ice de l'annonce n'accepte pas les messages privés pour l'instant.")
        if delivery is Delivery.FAILED:
            raise UserError("Discord n'a pas transmis votre message : réessayez dans un instant.")

    async def report(self, ad_id: int, reporter_id: int, reason: str) -> Report:
        """A report, and its card for the moderators of the ad's server."""
        _bounded(reason, REASON_MAX)
        async with self.db.transaction():
            ad = await self.store.must_get(ad_id)
            if not ad.live:
                raise UserError("Cette annonce est déjà close.")
            queue = (await self.settings.get(ad.guild_id)).modqueue_channel_id
            if queue is None:
                raise UserError("Ce serveur n'a pas de salon de modération : prévenez un administrateur.")
            filed = await self.store.report(ad_id, reporter_id, reason)
            await self.outbox.store.put(
                REPORT, Target.channel, queue, guild_id=ad.guild_id, about=about(ad.id), payload={"report": filed.id}
            )
        self.outbox.nudge()
        return filed

    # ----------------------------------------------------------------- moderators

    async def moderate(self, ad_id: int, *, approve: bool, reason: str | None = None) -> Ad:
        """An ad of the queue published, or refused (with a reason for its author)."""
        if not approve:
            return await self._close(ad_id, AdStatus.removed, reason, Verdict.refused)
        async with self.db.transaction():
            ad = await self.store.approve(ad_id)
            await self._verdict(ad, Verdict.approved)
        self.outbox.nudge()
        return ad

    async def settle_report(self, report_id: int, *, remove: bool, reason: str | None = None) -> Report:
        """A report kept, or upheld: the ad is removed and its author told why."""
        if reason is not None:
            _bounded(reason, REASON_MAX)
        async with self.db.transaction():
            report = await self.store.settle_report(report_id, remove=remove)
            ad = await self.store.get(report.ad_id)
            if remove and ad is not None and ad.live:
                await self._closing(await self.store.close(ad.id, AdStatus.removed, reason), Verdict.removed)
        self.outbox.nudge()
        return report

    # ----------------------------------------------------------------- a member's data

    async def forget_author(self, user_id: int) -> None:
        """Within the erasure's transaction: the member's ads and reports go, their live posts are
        closed through the ledger, and the moderators' cards about them are not posted."""
        for ad in await self.store.of_author_all(user_id):
            await self.outbox.store.cancel(about(ad.id), [MODERATION, REPORT], reason="données effacées")
            if ad.live and ad.thread_id is not None:
                await self._close_post(ad, ERASED)
        await self.store.forget(user_id)

    # ----------------------------------------------------------------- the expiry round

    async def next_due(self) -> datetime | None:
        return await self.store.next_expiry()

    async def run_due(self) -> int:
        """Close one batch of ads past their expiry: each one's post gets its closing line."""
        overdue = await self.store.overdue(self.clock(), BATCH)
        if not overdue:
            return 0
        async with self.db.transaction():
            for ad in overdue:
                try:
                    expired = await self.store.close(ad.id, AdStatus.expired, "expiration")
                except UserError:
                    continue  # withdrawn or erased since it was read
                await self._closing(expired)
        self.outbox.nudge()
        return len(overdue)

    # ----------------------------------------------------------------- the ledger

    async def _close(
        self, ad_id: int, status: AdStatus, reason: str | None = None, verdict: Verdict | None = None
    ) -> Ad:
        if reason is not None:
            _bounded(reason, REASON_MAX)
        async with self.db.transaction():
            ad = await self.store.close(ad_id, status, reason)
            await self._closing(ad, verdict)
        self.outbox.nudge()
        return ad

    async def _closing(self, ad: Ad, verdict: Verdict | None = None) -> None:
        """What follows a closed ad, in its transaction: no notice, no card, its post closed, a verdict."""
        await self.outbox.store.cancel(about(ad.id), [NOTICE, MODERATION, REPORT], reason="annonce close")
        if ad.thread_id is not None:
            await self._close_post(ad, ad.status.value)
        if verdict is not None:
            await self._verdict(ad, verdict)

    async def _plan_notice(self, ad: Ad) -> None:
        """The expiry notice, three days before the ad's expiry (planned again when it is renewed)."""
        await self.outbox.store.cancel(about(ad.id), [NOTICE], reason="replanifié")
        await self.outbox.store.put(
            NOTICE,
            Target.dm,
            ad.author_id,
            guild_id=ad.guild_id,
            locale=ad.locale,
            about=about(ad.id),
            due_at=ad.expires_at - NOTICE_BEFORE,
        )

    async def _close_post(self, ad: Ad, why: str) -> None:
        assert ad.thread_id is not None
        await self.outbox.store.put(
            POST_CLOSE, Target.thread_close, ad.thread_id, guild_id=ad.guild_id, about=about(ad.id),
            payload={"why": why},
        )  # fmt: skip

    async def _verdict(self, ad: Ad, verdict: Verdict) -> None:
        await self.outbox.store.put(
            VERDICT, Target.dm, ad.author_id, guild_id=ad.guild_id, locale=ad.locale, about=about(ad.id),
            payload={"verdict": verdict.value},
        )  # fmt: skip

    async def _ad_of(self, letter: Letter) -> Ad:
        ad = await self.store.get(int(letter.subject.split(":")[1])) if letter.subject else None
        if ad is None:
            raise Skip(Status.cancelled, "annonce effacée")
        return ad

    async def _render_notice(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        ad = await self._ad_of(letter)
        if not ad.live:
            raise Skip(Status.cancelled, "annonce close")
        if ad.expires_at <= self.clock():
            raise Skip(Status.missed, "annonce expirée")  # the bot was away until after its expiry
        locale = letter.locale
        return Outgoing(
            content=gettext(
                "Votre annonce « {titre} » expire le {date}. Renouvelez-la si elle est toujours d'actualité.",
                locale,
                titre=ad.title,
                date=format_day(ad.expires_at, zone, locale),
            ),
            buttons=(Button(gettext("Renouveler (60 jours)", locale), f"annonce:renouveler:{ad.id}", "primary"),),
        )

    async def _render_verdict(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        ad = await self._ad_of(letter)
        locale = letter.locale
        verdict = Verdict(letter.payload["verdict"])
        if verdict is Verdict.approved:
            if ad.status is not AdStatus.published:
                raise Skip(Status.cancelled, "annonce close depuis")
            text = gettext("✅ Votre annonce « {titre} » est publiée.", locale, titre=ad.title)
        elif verdict is Verdict.refused:
            text = gettext(
                "❌ Votre annonce « {titre} » n'a pas été retenue. Raison : {raison}",
                locale,
                titre=ad.title,
                raison=ad.closed_reason or "—",
            )
        else:
            text = gettext(
                "🚫 Votre annonce « {titre} » a été retirée par la modération. Raison : {raison}",
                locale,
                titre=ad.title,
                raison=ad.closed_reason or "—",
            )
        return Outgoing(content=text)

    async def _render_closing(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        return Outgoing(content=gettext(CLOSING_LINES[letter.payload["why"]], letter.locale))

    async def _render_moderation(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        ad = await self._ad_of(letter)
        if ad.status is not AdStatus.in_moderation:
            raise Skip(Status.cancelled, "annonce déjà traitée")
        return Outgoing(
            content=gettext("📝 Annonce à valider (n° {id}) :", None, id=ad.id),
            title=heading(ad),
            lines=card_lines(ad, zone, None),
            buttons=(
                Button(gettext("Publier", None), f"annonce-moderation:publier:{ad.id}", "success"),
                Button(gettext("Refuser", None), f"annonce-moderation:refuser:{ad.id}", "danger"),
            ),
        )

    async def _render_report(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        report = await self.store.get_report(int(letter.payload["report"]))
        if report is None or report.status is not ReportStatus.open:
            raise Skip(Status.cancelled, "signalement traité ou effacé")
        ad = await self._ad_of(letter)
        if not ad.live:
            raise Skip(Status.cancelled, "annonce close")
        return Outgoing(
            content=gettext(
                "🚩 Annonce signalée (n° {id}). Signalement : {raison}", None, id=ad.id, raison=report.reason
            ),
            title=heading(ad),
            lines=card_lines(ad, zone, None),
            buttons=(
                Button(gettext("Garder l'annonce", None), f"annonce-signalement:garder:{report.id}"),
                Button(gettext("Supprimer l'annonce", None), f"annonce-signalement:supprimer:{report.id}", "danger"),
            ),
        )


def _bounded(text: str, limit: int) -> None:
    if len(text) > limit:
        raise UserError("Au plus {n} caractères, s'il vous plaît.", n=limit)
