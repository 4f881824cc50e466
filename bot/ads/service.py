"""Small ads' flows that run on their own: a notice three days before expiry, then the forum post
closed with a line that says why."""

from __future__ import annotations

from datetime import datetime

from bot.ads.models import Ad
from bot.ads.store import AdStore
from bot.clock import Clock
from bot.i18n import gettext
from bot.notify import Button, Delivery, Notifier, Outgoing
from bot.outbox import Outbox


class AdService:
    """The scheduler's round for ads: a notice three days before expiry, then closing what expired."""

    def __init__(self, store: AdStore, outbox: Outbox, clock: Clock) -> None:
        self.store = store
        self.outbox = outbox
        self.clock = clock

    @property
    def notifier(self) -> Notifier:
        return self.outbox.notifier

    async def next_due(self) -> datetime | None:
        return await self.store.next_due()

    async def run_due(self) -> int:
        now = self.clock()
        await self.store.expire_overdue(now)
        done = 0
        for ad in await self.store.notices_due(now):
            if not await self.store.claim(ad.id, "notice_claimed_at", now):
                continue
            message = Outgoing(
                content=gettext(
                    "Votre annonce « {titre} » expire le {date}. Renouvelez-la si elle est toujours d'actualité.",
                    ad.locale,
                    titre=ad.title,
                    date=f"{ad.expires_at:%d/%m/%Y}",
                ),
                buttons=(
                    Button(gettext("Renouveler (60 jours)", ad.locale), f"annonce:renouveler:{ad.id}", "primary"),
                ),
            )
            delivery = await self.notifier.dm(ad.author_id, message, nonce=f"annonce-{ad.id}-{ad.renewed_count}")
            if delivery is not Delivery.FAILED:
                await self.store.mark_notice_sent(ad.id, now)
                done += delivery is Delivery.SENT
        for ad in await self.store.posts_to_close(now):
            done += await self.close_post(ad)
        return done

    async def close_post(self, ad: Ad) -> bool:
        """Close and lock an ad's forum post with a line that says why; once."""
        if ad.thread_id is None or not await self.store.claim(ad.id, "close_claimed_at", self.clock()):
            return False
        why = CLOSING_LINES.get(ad.status, CLOSING_LINES["retiree"])
        delivery = await self.notifier.close_thread(ad.thread_id, Outgoing(content=gettext(why, None)))
        if delivery is not Delivery.FAILED:
            await self.store.mark_post_closed(ad.id)
        return delivery is Delivery.SENT


CLOSING_LINES = {
    "retiree": "🔒 Annonce retirée par son auteur·ice.",
    "pourvue": "✅ Annonce pourvue : merci à toutes et à tous !",
    "expiree": "⌛ Annonce expirée.",
    "supprimee": "🚫 Annonce retirée par la modération.",
}
