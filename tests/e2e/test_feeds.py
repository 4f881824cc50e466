"""The associations' agendas through Discord: /agenda abonner by an organiser (the feed's events then in
/evenement liste), refused to a member, a bad address answered and given back; /agenda abonnements with
« Relire maintenant » and « Retirer »; a broken feed reported once in the moderation channel, again when it
reads again; a cancelled feed event told to its registrants once; and a crash test for each report."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.sandbox.driver import Message
from bot.sandbox.feed_site import FeedSite, serve_feeds
from bot.sandbox.harness import Sandbox
from bot.sources.feed_service import PROBLEM, RECOVERED
from tests.e2e.lives import dies_after_sending, lives
from tests.support import ManualDateClock

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"
NAME = "Habitat Auvergne"


@pytest.fixture
async def site() -> AsyncIterator[FeedSite]:
    feeds = {name: (FIXTURES / name).read_bytes() for name in ("auvergne.ics", "national.ics")}
    async with serve_feeds(FeedSite(feeds)) as served:
        yield served


async def subscribed(sb: Sandbox, site: FeedSite, *, annoncer: bool = False, inscriptions: bool = False) -> None:
    reply = await sb.driver.slash(
        sb.demo.user("dominique"), "agenda abonner", adresse=site.url("auvergne.ics"), nom=NAME,
        region="Auvergne-Rhône-Alpes", annoncer=annoncer, inscriptions=inscriptions,
    )  # fmt: skip
    assert reply.ephemeral and f"Abonné à l'agenda « {NAME} » : 9 événements à venir." in reply.content, reply.content


async def jpo_id(sb: Sandbox) -> int:
    row = await sb.bot.db.fetchone("SELECT id FROM events WHERE source_uid = 'jpo-tilleuls-2027@auvergne.example'")
    assert row is not None
    return int(row["id"])


async def read_again(sb: Sandbox) -> None:
    for feed in await sb.bot.core.feeds.store.every():
        await sb.bot.core.feeds.read(feed)
    await sb.bot.scheduler.run_due()


def moderation(sb: Sandbox) -> list[str]:
    return [message["content"] for message in sb.emulator.messages_in(sb.demo.channel("moderation"))]


async def test_an_organiser_subscribes_and_the_feed_s_events_are_in_the_agenda(
    furnished: Sandbox, site: FeedSite
) -> None:
    sb = furnished
    await subscribed(sb, site, annoncer=True)
    listed = await sb.driver.slash(sb.demo.user("alex"), "evenement liste", region="Auvergne-Rhône-Alpes")
    assert "Portes ouvertes aux Tilleuls Partagés" in listed.text
    assert "Réunion publique du quartier" in listed.text  # no commune: the subscription's région
    assert f"agenda de {NAME}" in listed.text
    former = await sb.driver.slash(sb.demo.user("alex"), "evenement liste", region="Auvergne")  # the former région
    assert "Réunion publique du quartier" in former.text
    elsewhere = await sb.driver.slash(sb.demo.user("alex"), "evenement liste", region="Bretagne")
    assert "Réunion publique du quartier" not in elsewhere.text
    await sb.bot.scheduler.run_due()
    cards = [Message(sb.emulator, data) for data in sb.emulator.messages_in(sb.demo.channel("annonces"))]
    titles = [card.embeds[0]["title"] for card in cards]
    assert len([title for title in titles if "Permanence de l'association" in title]) == 1  # a series: once
    [jpo] = [card for card in cards if "Tilleuls" in card.embeds[0]["title"]]
    assert f"Source : agenda de {NAME}" in jpo.text
    assert "Inscription : https://auvergne.example/inscription-jpo" in jpo.text
    assert jpo.buttons == []  # registration at the association's link only: the organiser did not ask for the bot's
    assert await sb.bot.events.without_discord_event(sb.demo.guild.id) == []  # no Discord event for each of them
    refused = await sb.driver.slash(sb.demo.user("alex"), "evenement inscrire", evenement=str(await jpo_id(sb)))
    assert "auprès de l'association : https://auvergne.example/inscription-jpo" in refused.content


async def test_a_member_may_not_subscribe(furnished: Sandbox, site: FeedSite) -> None:
    sb = furnished
    reply = await sb.driver.slash(
        sb.demo.user("alex"), "agenda abonner", adresse=site.url("auvergne.ics"), nom=NAME, region="Auvergne",
        annoncer=False,
    )  # fmt: skip
    assert reply.ephemeral and "Réservé aux organisateurs du serveur." in reply.content
    assert await sb.bot.core.feeds.of_guild(sb.demo.guild.id) == []


@pytest.mark.parametrize("address", ["agenda.auvergne.example/agenda", "absent.ics"])
async def test_a_bad_address_is_answered_and_given_back(furnished: Sandbox, site: FeedSite, address: str) -> None:
    sb = furnished
    typed = site.url(address) if address.endswith(".ics") else address
    reply = await sb.driver.slash(
        sb.demo.user("dominique"), "agenda abonner", adresse=typed, nom=NAME, region="Auvergne", annoncer=False
    )
    assert reply.ephemeral and typed in reply.content
    assert "n'est pas l'adresse d'un agenda" in reply.content or "le serveur répond par une erreur 404" in reply.content
    assert await sb.bot.core.feeds.of_guild(sb.demo.guild.id) == []


async def test_the_subscriptions_are_read_again_and_removed_by_organisers(furnished: Sandbox, site: FeedSite) -> None:
    sb = furnished
    await subscribed(sb, site)
    seen = await sb.driver.slash(sb.demo.user("alex"), "agenda abonnements")
    assert NAME in seen.text and "9 événements à venir" in seen.text and seen.message is not None
    assert seen.message.buttons == []  # a member sees them, without the buttons
    listing = await sb.driver.slash(sb.demo.user("dominique"), "agenda abonnements")
    assert listing.message is not None
    assert [button["label"] for button in listing.message.buttons] == ["Relire maintenant", "Retirer"]
    again = await sb.driver.click(sb.demo.user("dominique"), listing.message, "Relire maintenant")
    assert f"{NAME} : inchangé depuis la dernière lecture" in again.content
    refused = await sb.driver.click(sb.demo.user("alex"), listing.message, "Retirer")
    assert "Réservé aux organisateurs du serveur." in refused.content
    removed = await sb.driver.click(sb.demo.user("dominique"), listing.message, "Retirer")
    assert f"Abonnement à « {NAME} » retiré : 9 événements à venir annulés." in removed.content
    assert await sb.bot.core.feeds.of_guild(sb.demo.guild.id) == []
    listed = await sb.driver.slash(sb.demo.user("alex"), "evenement liste")
    assert "Tilleuls" not in listed.text


async def test_a_broken_feed_is_reported_once_then_when_it_reads_again(furnished: Sandbox, site: FeedSite) -> None:
    sb = furnished
    await subscribed(sb, site)
    saved = site.feeds.pop("auvergne.ics")
    await read_again(sb)
    await read_again(sb)
    [problem] = moderation(sb)
    assert f"⚠️ L'agenda « {NAME} »" in problem and "le serveur répond par une erreur 404" in problem
    site.feeds["auvergne.ics"] = saved
    await read_again(sb)
    await read_again(sb)
    assert moderation(sb)[1:] == [f"✅ L'agenda « {NAME} » se lit de nouveau : 9 événements à venir."]


async def test_a_cancelled_feed_event_tells_its_registrants_once(furnished: Sandbox, site: FeedSite) -> None:
    sb = furnished
    await subscribed(sb, site, inscriptions=True)
    alex = sb.demo.user("alex")
    registered = await sb.driver.slash(alex, "evenement inscrire", evenement=str(await jpo_id(sb)), personnes=2)
    assert "Inscription confirmée" in registered.content
    site.feeds["auvergne.ics"] = site.feeds["auvergne.ics"].replace(
        b"SEQUENCE:0\r\n", b"SEQUENCE:1\r\nSTATUS:CANCELLED\r\n"
    )
    await read_again(sb)
    await read_again(sb)
    told = [dm["content"] for dm in sb.emulator.dms_to(alex) if "est annulé" in dm["content"]]
    assert len(told) == 1 and "Portes ouvertes aux Tilleuls Partagés" in told[0]
    assert f"annulé dans l'agenda de {NAME}" in told[0]


# ---------------------------------------------------------------------- the ledger: exactly once


async def test_a_problem_queued_by_a_bot_that_dies_is_posted_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock, site: FeedSite
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await subscribed(first, site)
        site.feeds.pop("auvergne.ics")
        async with world.life(delivers=False) as dying:
            [feed] = await dying.bot.core.feeds.store.every()
            await dying.bot.core.feeds.read(feed)
            assert await dying.bot.core.outbox.store.counts(PROBLEM) == {"pending": 1}
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
            assert await again.bot.core.outbox.store.counts(PROBLEM) == {"sent": 1}
        posted = [m for m in world.emulator.messages_in(world.demo.channel("moderation")) if "⚠️" in m["content"]]
        assert len(posted) == 1


async def test_a_recovery_posted_by_a_bot_killed_before_marking_it_is_not_posted_twice(
    tmp_path: Path, clock: ManualDateClock, site: FeedSite, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with lives(tmp_path, clock) as world:
        saved = site.feeds["auvergne.ics"]
        async with world.first_life(delivers=True) as first:
            await subscribed(first, site)
            site.feeds.pop("auvergne.ics")
            await read_again(first)
            site.feeds["auvergne.ics"] = saved
            [feed] = await first.bot.core.feeds.store.every()
            await first.bot.core.feeds.read(feed)
            assert await first.bot.core.outbox.store.counts(RECOVERED) == {"pending": 1}
            dies_after_sending(monkeypatch, first.bot)
            await first.bot.scheduler.run_due()  # posted, then the bot "dies" before marking it
            monkeypatch.undo()
        async with world.life() as again:
            clock.advance(minutes=2)  # the dead bot's claim is over
            await again.bot.scheduler.run_due()  # sent again with the same nonce: Discord keeps the first
            assert await again.bot.core.outbox.store.counts(RECOVERED) == {"sent": 1}
        posted = [m for m in world.emulator.messages_in(world.demo.channel("moderation")) if "✅" in m["content"]]
        assert len(posted) == 1
