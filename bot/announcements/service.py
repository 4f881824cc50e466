"""Scheduled announcements from start to end: the organiser's rule, each occurrence a ledger row
posted when due, the next one written when the last is settled. An occurrence missed while the bot
was away is skipped, not posted late."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.announcements.models import MAX_CONTENT, Announcement
from bot.announcements.rules import rule_for
from bot.announcements.store import AnnouncementStore
from bot.clock import Clock
from bot.errors import UserError
from bot.guild_settings import GuildSettingsStore
from bot.notify import Outgoing
from bot.outbox import Kind, Letter, Outbox, Skip, Status, Target, subject
from bot.recurrence import Frequency

log = logging.getLogger(__name__)

ANNOUNCEMENT = "announcement"
LATE_RECURRING = timedelta(hours=1)  # a recurring announcement later than this waits for its next turn
LATE_ONE_OFF = timedelta(hours=24)


class AnnouncementService:
    def __init__(self, store: AnnouncementStore, settings: GuildSettingsStore, outbox: Outbox, clock: Clock) -> None:
        self.store = store
        self.settings = settings
        self.outbox = outbox
        self.clock = clock
        outbox.register(ANNOUNCEMENT, Kind(self._render, after=self._after))

    async def schedule(
        self,
        *,
        guild_id: int,
        channel_id: int,
        author_id: int,
        content: str,
        role_id: int | None,
        frequency: Frequency,
        first: datetime,
        weekdays: frozenset[int] | None = None,
    ) -> Announcement:
        """An announcement posted first at `first` (or, weekly on chosen days, the first of them from
        then on), at that time of day in the server's zone."""
        if not content.strip() or len(content) > MAX_CONTENT:
            raise UserError("Une annonce compte de 1 à {n} caractères.", n=MAX_CONTENT)
        zone = (await self.settings.get(guild_id)).zone
        rule, first = rule_for(frequency, first, zone, weekdays)
        if first <= self.clock():
            raise UserError("La première diffusion doit être dans le futur.")
        async with self.store.db.transaction():
            announcement_id = await self.store.create(
                guild_id=guild_id, channel_id=channel_id, author_id=author_id, content=content, role_id=role_id,
                rule=rule,
            )  # fmt: skip
            await self._occurrence(announcement_id, guild_id, channel_id, role_id, first)
        self.outbox.nudge()
        found = await self.store.get(announcement_id)
        assert found is not None
        return found

    async def of_guild(self, guild_id: int) -> list[Announcement]:
        return await self.store.of_guild(guild_id)

    async def cancel(self, announcement_id: int, guild_id: int) -> None:
        async with self.store.db.transaction():
            if not await self.store.deactivate(announcement_id, guild_id):
                raise UserError("Je ne trouve pas cette annonce sur ce serveur.")
            await self.outbox.store.cancel(subject(ANNOUNCEMENT, announcement_id), reason="arrêtée")

    async def _occurrence(
        self, announcement_id: int, guild_id: int, channel_id: int, role_id: int | None, due_at: datetime
    ) -> None:
        await self.outbox.store.put(
            ANNOUNCEMENT,
            Target.channel,
            channel_id,
            guild_id=guild_id,
            about=subject(ANNOUNCEMENT, announcement_id),
            mention_role_id=role_id,
            due_at=due_at,
        )

    async def _announcement(self, letter: Letter) -> Announcement | None:
        return await self.store.get(int(letter.subject.split(":")[1])) if letter.subject else None

    async def _render(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        announcement = await self._announcement(letter)
        if announcement is None or not announcement.active:
            raise Skip(Status.cancelled, "annonce arrêtée")
        late = LATE_ONE_OFF if announcement.rule.frequency is Frequency.once else LATE_RECURRING
        if self.clock() - letter.due_at > late:
            log.info("annonce %s : occurrence de %s manquée", announcement.id, letter.due_at)
            raise Skip(Status.missed, "le bot était absent à l'heure prévue")
        return Outgoing(content=announcement.content)

    async def _after(self, letter: Letter, status: Status, unreachable: bool) -> None:
        """Count what was posted; plan the next occurrence; a channel that is gone ends the series."""
        announcement = await self._announcement(letter)
        if announcement is None or not announcement.active:
            return
        if status is Status.sent:
            await self.store.record_sent(announcement.id, letter.due_at)
        following = None
        if not unreachable and announcement.rule.frequency is not Frequency.once:
            following = announcement.rule.next_after(max(self.clock(), letter.due_at))
        if following is None:
            if unreachable:
                log.warning("annonce %s : salon %s inaccessible, suspendue", announcement.id, letter.recipient_id)
            await self.store.deactivate(announcement.id)
            return
        await self._occurrence(
            announcement.id, announcement.guild_id, announcement.channel_id, announcement.role_id, following
        )
