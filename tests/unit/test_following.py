"""Following another server: the régions a follow keeps, which new events reach which follower, and how the
copy reads there (the follower's language and time zone), on a real SQLite file with the core as the bot
builds it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from bot.core import Core
from bot.errors import UserError
from bot.events.following import RELAYED
from bot.events.models import EventDraft
from bot.i18n import explain
from bot.vocabulary import EventKind
from tests.support import RecordingNotifier

NATIONAL, AURA, BRETAGNE, MARTINIQUE = 1, 2, 3, 4
START = datetime(2027, 4, 10, 12, 0, tzinfo=UTC)


def draft(guild_id: int = NATIONAL, **fields: object) -> EventDraft:
    values: dict[str, object] = {
        "guild_id": guild_id,
        "kind": EventKind.pleniere,
        "title": "Plénière nationale",
        "starts_at": START,
        "ends_at": START + timedelta(hours=2),
        "code_insee": "63113",  # Clermont-Ferrand
        "organiser_id": 99,
    }
    return EventDraft.model_validate(values | fields)


async def follows(core: Core, follower: int, regions: str | None = None, *, locale: str = "fr") -> None:
    await core.guild_settings.update(follower, announce_channel_id=100 + follower)
    await core.following.follow(
        follower, NATIONAL, name="Réseau national", locale=locale, by=7, regions=core.following.regions(regions)
    )


def posted_to(notifier: RecordingNotifier) -> list[int]:
    return [channel for channel, _, _ in notifier.sent]


async def test_regions_are_read_from_a_list_and_a_bad_one_is_given_back(core: Core) -> None:
    found = core.following.regions("auvergne-rhône-alpes ; Bretagne, Auvergne, Bretagne")
    assert [r.nom for r in found] == ["Auvergne-Rhône-Alpes", "Bretagne", "Auvergne"]
    assert core.following.regions(None) == () == core.following.regions(" , ")
    with pytest.raises(UserError) as refused:
        core.following.regions("Bretagne, Narnia")
    assert explain(refused.value, "fr") == "Je ne connais pas la région « Narnia »."
    with pytest.raises(UserError):
        core.following.regions(", ".join(["Bretagne"] * 6))
    with pytest.raises(UserError):
        await core.following.follow(NATIONAL, NATIONAL, name="Réseau national", locale="fr", by=7)


async def test_each_follower_gets_what_it_chose_once_and_the_creator_nothing(
    core: Core, notifier: RecordingNotifier
) -> None:
    await follows(core, AURA, "Auvergne")  # a former région: its départements count
    await follows(core, BRETAGNE, "Bretagne")
    await core.guild_settings.update(NATIONAL, announce_channel_id=101)
    await core.events.create(draft())
    await core.events.create(draft(title="Webinaire", code_insee=None, online_url="https://visio.example"))
    await core.events.create(draft(AURA, title="Fête régionale"))  # AURA's own: nobody follows AURA
    await core.outbox.run_due()
    assert sorted(posted_to(notifier)) == sorted([101, 102, 101, 102, 103, 102])
    assert await core.outbox.store.counts(RELAYED) == {"sent": 3}


async def test_the_copy_reads_in_the_followers_language_and_time_zone(core: Core, notifier: RecordingNotifier) -> None:
    await core.guild_settings.update(MARTINIQUE, timezone="America/Martinique")
    await follows(core, MARTINIQUE, locale="en-US")
    await core.events.create(draft())
    await core.outbox.run_due()
    [(_, nonce, copy)] = notifier.sent
    assert nonce.startswith("ob-")
    assert copy.content == "📣 Relayed from the server “Réseau national”"
    assert any("8:00" in line or "08:00" in line for line in copy.lines), copy.lines  # 14:00 in Paris


async def test_a_follow_ended_before_the_post_goes_out_posts_nothing(core: Core, notifier: RecordingNotifier) -> None:
    await follows(core, AURA)
    await core.events.create(draft())
    await core.following.unfollow(AURA, NATIONAL, typed="Réseau national")
    await core.outbox.run_due()
    assert notifier.sent == []
    assert await core.outbox.store.counts(RELAYED) == {"cancelled": 1}
