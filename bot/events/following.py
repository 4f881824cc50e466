"""One network, many servers: a server's administrators follow another server of the network (the
national one, a neighbour), for all its events or only those of some régions. Each new event of the
followed server is then posted, once, in the follower's announcement channel: a row of the ledger
written in the transaction that creates the event (EventService.on_created), rendered at send time
in the follower's language and time zone. Its copies are rewritten when it changes or is cancelled
(EventService.on_changed), so a follower's members never keep a cancelled event's « S'inscrire ».

A follower without an announcement channel gets no row: there is nowhere to post, and `/agenda suivre`
and `/agenda suivis` say so. An event without a place (online) belongs to no région and is posted to
every follower, whatever régions they chose."""

from __future__ import annotations

from dataclasses import dataclass, replace
from zoneinfo import ZoneInfo

from bot.errors import UserError
from bot.events.card import card
from bot.events.follows import Follow, FollowStore, Relay
from bot.events.models import Event
from bot.events.service import EventService, about_event
from bot.geo import Geography, Region
from bot.guild_settings import GuildSettingsStore
from bot.i18n import gettext
from bot.notify import Outgoing
from bot.outbox import Kind, Letter, Skip, Status, Target

RELAYED = "event.relayed"  # a followed server's new event, posted on the follower
RELAY_CARD = "event.relayed.card"  # that copy rewritten: the event changed or was cancelled
MAX_REGIONS = 5
ROWS_PER_STATEMENT = 500  # 10 values a row: well within SQLite's limit on a statement's parameters


@dataclass(frozen=True)
class Follows:
    """What a server follows, and who follows it."""

    following: tuple[Follow, ...]
    followers: tuple[Follow, ...]


class Following:
    def __init__(self, store: FollowStore, events: EventService, settings: GuildSettingsStore, geo: Geography) -> None:
        self.store = store
        self.events = events
        self.settings = settings
        self.geo = geo
        self.outbox = events.outbox
        self.clock = events.clock
        events.on_created.append(self._relay)
        events.on_changed.append(self._copies_changed)
        self.outbox.register(RELAYED, Kind(self._render_relayed, after=self._after_relayed))
        self.outbox.register(RELAY_CARD, Kind(self._render_copy, after=self._after_copy))

    # ----------------------------------------------------------------- administrators

    def regions(self, typed: str | None) -> tuple[Region, ...]:
        """« Auvergne-Rhône-Alpes, Occitanie » → the régions (a former one, « Auvergne », too); an
        unknown name is refused with what was typed."""
        names = [part.strip() for part in (typed or "").replace(";", ",").split(",") if part.strip()]
        if len(names) > MAX_REGIONS:
            raise UserError(
                "{n} régions au plus, séparées par des virgules : « {regions} ».", n=MAX_REGIONS, regions=typed
            )
        found: dict[str, Region] = {}
        for name in names:
            region = self.geo.region(name)
            found.setdefault(region.nom, region)
        return tuple(found.values())

    async def follow(
        self,
        follower_id: int,
        followed_id: int,
        *,
        name: str,
        locale: str,
        by: int,
        regions: tuple[Region, ...] = (),
    ) -> tuple[Follow, bool]:
        """Follow a server's new events (or change the régions of a follow). True when it is new."""
        if follower_id == followed_id:
            raise UserError("Un serveur ne peut pas se suivre lui-même : choisissez un autre serveur.")
        created = await self.store.follow(
            follower_id, followed_id, name=name, locale=locale, by=by, regions=tuple(r.nom for r in regions)
        )
        follow = await self.store.get(follower_id, followed_id)
        assert follow is not None
        return follow, created

    async def unfollow(self, follower_id: int, followed_id: int, *, typed: str) -> None:
        """Stop following; events created before, not yet posted, are not posted any more."""
        if not await self.store.unfollow(follower_id, followed_id):
            raise UserError("Ce serveur ne suit pas « {serveur} ».", serveur=typed)

    async def of(self, guild_id: int) -> Follows:
        return Follows(tuple(await self.store.following(guild_id)), tuple(await self.store.followers(guild_id)))

    # ----------------------------------------------------------------- the ledger

    def _wants(self, follow: Follow, event: Event) -> bool:
        if not follow.regions or event.departement is None:
            return True
        return any(event.departement in self.geo.region(name).departements for name in follow.regions)

    async def _relay(self, event: Event) -> None:
        """In the creation's transaction: one row per follower that wants it and has somewhere to post it."""
        rows = []
        for follow in await self.store.followers(event.guild_id):  # never the event's own server
            if not self._wants(follow, event):
                continue
            channel_id = (await self.settings.get(follow.follower_id)).announce_channel_id
            if channel_id is None:
                continue
            rows.append(
                {
                    "kind": RELAYED,
                    "target": Target.channel,
                    "recipient_id": channel_id,
                    "guild_id": follow.follower_id,
                    "locale": follow.locale,
                    "about": about_event(event.id),
                    "payload": {"event": event.id, "source": follow.followed_name},
                }
            )
        for start in range(0, len(rows), ROWS_PER_STATEMENT):
            await self.outbox.store.put_many(rows[start : start + ROWS_PER_STATEMENT])

    async def _copies_changed(self, event: Event) -> None:
        """In the change's transaction: each copy already posted is rewritten from the rows as they are
        when the rewrite goes out (one pending rewrite per copy is enough)."""
        relays = await self.store.relays(event.id)
        if not relays:
            return
        await self.outbox.store.cancel(about_event(event.id), [RELAY_CARD], reason="remplacée par une plus récente")
        for relay in relays:  # even for a server that no longer follows: its copy must not mislead
            await self.outbox.store.put(
                RELAY_CARD,
                Target.channel,
                relay.channel_id,
                guild_id=relay.guild_id,
                locale=relay.locale,
                about=about_event(event.id),
                payload={"event": event.id, "source": relay.source, "message": relay.message_id},
            )

    async def _copy(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        """The event's card, headed with the server it comes from."""
        event = await self.events.store.get(letter.payload["event"])
        if event is None:
            raise Skip(Status.cancelled, "événement supprimé")
        drawn = card(event, await self.events.store.sessions(event.id), zone, letter.locale)
        source = gettext("📣 Relayé depuis le serveur « {serveur} »", letter.locale, serveur=letter.payload["source"])
        return replace(drawn, content=source)

    async def _render_relayed(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        event = await self.events.store.get(letter.payload["event"])
        if event is None or event.cancelled:
            raise Skip(Status.cancelled, "événement annulé")
        if event.ends_at <= self.clock():
            raise Skip(Status.missed, "l'événement est passé")
        if await self.store.get(letter.guild_id or 0, event.guild_id) is None:
            raise Skip(Status.cancelled, "le serveur ne suit plus celui de l'événement")
        return await self._copy(letter, zone)

    async def _after_relayed(self, letter: Letter, status: Status, unreachable: bool) -> None:
        if status is Status.sent and letter.message_id is not None and letter.guild_id is not None:
            relay = Relay(
                event_id=letter.payload["event"],
                guild_id=letter.guild_id,
                channel_id=letter.recipient_id,
                message_id=letter.message_id,
                source=letter.payload["source"],
                locale=letter.locale,
            )
            await self.store.record_relay(relay)

    async def _render_copy(self, letter: Letter, zone: ZoneInfo) -> Outgoing:
        return replace(await self._copy(letter, zone), rewrites=letter.payload["message"])

    async def _after_copy(self, letter: Letter, status: Status, unreachable: bool) -> None:
        if unreachable and letter.guild_id is not None:
            await self.store.forget_relay(letter.payload["event"], letter.guild_id)
