"""Scheduled announcements posted when due; an occurrence missed while the bot was away is skipped."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.announcements.store import AnnouncementStore
from bot.clock import Clock
from bot.notify import Delivery, Notifier, Outgoing
from bot.recurrence import Frequency

log = logging.getLogger(__name__)

LATE_ANNOUNCEMENT = timedelta(hours=1)  # a recurring announcement later than this waits for its next turn
LATE_ONE_OFF = timedelta(hours=24)


class AnnouncementService:
    def __init__(self, store: AnnouncementStore, notifier: Notifier, clock: Clock) -> None:
        self.store = store
        self.notifier = notifier
        self.clock = clock

    async def next_due(self) -> datetime | None:
        return await self.store.next_due()

    async def run_due(self) -> int:
        sent = 0
        for announcement in await self.store.due(self.clock()):
            now = self.clock()
            assert announcement.next_at is not None
            late = now - announcement.next_at
            recurring = announcement.rule.frequency is not Frequency.once
            if late > (LATE_ANNOUNCEMENT if recurring else LATE_ONE_OFF):
                # The bot was away: an old occurrence is not worth posting now.
                log.info("annonce %s : occurrence de %s manquée", announcement.id, announcement.next_at)
                await self.store.advance(announcement, sent=False, after=now)
                continue
            if not await self.store.claim(announcement.id, now):
                continue
            # One nonce per occurrence (at most 25 characters, as Discord allows).
            nonce = f"a{announcement.id}-{int(announcement.next_at.timestamp())}"
            delivery = await self.notifier.post(
                announcement.channel_id,
                Outgoing(content=announcement.content),
                nonce=nonce,
                mention_role_id=announcement.role_id,
            )
            if delivery is Delivery.SENT:
                await self.store.advance(announcement, sent=True, after=max(now, announcement.next_at))
                sent += 1
            elif delivery is Delivery.CLOSED:
                log.warning(
                    "annonce %s : salon %s inaccessible, annonce suspendue", announcement.id, announcement.channel_id
                )
                await self.store.deactivate(announcement.id)
            else:
                await self.store.retry_later(announcement, now)
        return sent
