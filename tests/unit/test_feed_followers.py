"""An association's calendar feed on a followed server: the events it announces there reach the servers that
follow it, once each, like an organiser's; a feed kept out of the announcements reaches nobody."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.core import Core
from bot.events.following import RELAYED
from bot.events.service import POSTED
from bot.sandbox.feed_site import FeedSite, serve_feeds
from tests.support import RecordingNotifier

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
NATIONAL, AURA = 1, 2


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    feeds = {name: (FIXTURES / name).read_bytes() for name in ("auvergne.ics", "national.ics")}
    async with serve_feeds(FeedSite(feeds)) as served:
        yield served


@pytest.fixture(autouse=True)
async def followed(core: Core) -> None:
    """The national server and AURA, which follows it, each with an announcement channel."""
    await core.guild_settings.update(NATIONAL, announce_channel_id=101)
    await core.guild_settings.update(AURA, announce_channel_id=102)
    await core.following.follow(AURA, NATIONAL, name="Réseau national", locale="fr", by=7)


async def subscribe(core: Core, site: FeedSite, name: str, *, announce: bool) -> None:
    await core.feeds.subscribe(
        NATIONAL,
        site.url(name),
        name,
        core.geo.region("Auvergne-Rhône-Alpes"),
        announce=announce,
        signup=True,
        subscriber_id=7,
        locale="fr",
    )


async def test_a_feed_announced_on_a_followed_server_reaches_its_followers_once(
    core: Core, notifier: RecordingNotifier, site: FeedSite
) -> None:
    await subscribe(core, site, "auvergne.ics", announce=True)
    await core.outbox.run_due()
    here = [channel for channel, _, _ in notifier.sent if channel == 101]
    there = [channel for channel, _, _ in notifier.sent if channel == 102]
    assert here and len(there) == len(here)
    assert await core.outbox.store.counts(RELAYED) == {"sent": len(here)} == await core.outbox.store.counts(POSTED)

    for feed in await core.feeds.store.every():  # read again: nothing new, nothing posted again
        await core.feeds.read(feed)
    await core.outbox.run_due()
    assert await core.outbox.store.counts(RELAYED) == {"sent": len(here)}


async def test_a_feed_kept_out_of_the_announcements_is_not_relayed(
    core: Core, notifier: RecordingNotifier, site: FeedSite
) -> None:
    await subscribe(core, site, "national.ics", announce=False)
    await core.outbox.run_due()
    assert notifier.sent == []
    assert await core.feeds.store.every()  # subscribed, its events in the agenda, announced nowhere
