"""One network, many servers: a project proposed on one server is found from the others; a server follows
another's agenda (all of it or some régions) and its new events are announced there once, through the
ledger; and an event may be a project's open day, shown on the project's card."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.events.following import RELAY_CARD, RELAYED
from bot.sandbox.demo import DemoServer
from bot.sandbox.driver import Message, Reply
from bot.sandbox.harness import Sandbox
from bot.sandbox.state import Channel
from tests.e2e.lives import dies_after_sending, lives
from tests.e2e.servers import Network, build_server, configure
from tests.e2e.test_households import every_cell
from tests.e2e.test_projects import project_id, published
from tests.support import ManualDateClock

AURA = "Auvergne-Rhône-Alpes"


async def create_on_a(sb: Sandbox, who: str = "dominique", **options: Any) -> Reply:
    values: dict[str, Any] = {
        "type": "jpo",
        "titre": "Rencontre nationale",
        "debut": "10/04/2027 14h",
        "fin": "17h",
        "commune": "insee:63113",  # Clermont-Ferrand, in Auvergne-Rhône-Alpes
    }
    return await sb.driver.slash(sb.demo.user(who), "evenement creer", **(values | options))


async def event_id(sb: Sandbox, title: str) -> int:
    row = await sb.bot.db.fetchone("SELECT id FROM events WHERE title = ?", (title,))
    assert row is not None
    return int(row["id"])


def posts(sb: Sandbox, channel: Channel) -> list[Message]:
    return [Message(sb.emulator, data) for data in sb.emulator.messages_in(channel)]


async def follow(net: Network, regions: str | None = None) -> Reply:
    """B's administrator follows A (the national server)."""
    options = {"serveur": str(net.national.guild.id)} | ({"regions": regions} if regions else {})
    return await net.box.driver.slash(
        net.aura.user("admin"), "agenda suivre", channel=net.aura.channel("general"), **options
    )


# ---------------------------------------------------------------------- projects, network-wide


async def test_a_project_proposed_and_moderated_on_a_is_found_from_b(network: Network) -> None:
    sb = network.box
    await published(sb, "Le Clos du Réseau")
    found = await sb.driver.slash(
        network.aura.user("membre"), "projet chercher", texte="clos du réseau", channel=network.aura.channel("general")
    )
    assert "Le Clos du Réseau" in found.text
    fiche = await sb.driver.slash(
        network.bretagne.user("membre"), "projet fiche", projet="Le Clos du Réseau",
        channel=network.bretagne.channel("general"),
    )  # fmt: skip
    assert fiche.embeds[0]["title"] == "Le Clos du Réseau"


# ---------------------------------------------------------------------- following a server


async def test_suivre_offers_the_bots_other_servers_and_never_this_one(network: Network) -> None:
    sb, admin = network.box, network.aura.user("admin")
    offered = await sb.driver.autocomplete(
        admin, "agenda suivre", "serveur", "", channel=network.aura.channel("general")
    )
    names = [choice["name"] for choice in offered]
    assert names == ["Habitat participatif Bretagne", "Habitat participatif — démo"]  # by name; never AURA itself
    regions = await sb.driver.autocomplete(
        admin, "agenda suivre", "regions", "Bretagne, auv", channel=network.aura.channel("general")
    )
    assert f"Bretagne, {AURA}" in [choice["value"] for choice in regions]


async def test_bad_input_is_refused_with_what_was_typed(network: Network) -> None:
    sb = network.box
    general = network.aura.channel("general")
    bad = await follow(network, regions=f"{AURA}, Atlantide")
    assert bad.ephemeral and "Je ne connais pas la région « Atlantide »" in bad.content
    unknown = await sb.driver.slash(network.aura.user("admin"), "agenda suivre", serveur="Mordor", channel=general)
    assert unknown.ephemeral and "« Mordor »" in unknown.content
    itself = await sb.driver.slash(
        network.aura.user("admin"), "agenda suivre", serveur=str(network.aura.guild.id), channel=general
    )
    assert itself.ephemeral and "Je ne trouve pas le serveur" in itself.content
    member = await sb.driver.slash(
        network.aura.user("orga"), "agenda suivre", serveur=str(network.national.guild.id), channel=general
    )
    assert member.ephemeral and "administrateurs" in member.content
    assert await sb.bot.db.fetchall("SELECT * FROM guild_follows") == []


async def test_a_national_event_is_announced_once_on_the_follower_and_not_elsewhere(network: Network) -> None:
    sb = network.box
    followed = await follow(network)
    assert "Ce serveur suit désormais « Habitat participatif — démo »" in followed.content
    await create_on_a(sb)
    await sb.bot.scheduler.run_due()
    [relayed] = posts(sb, network.aura.channel("annonces"))
    assert "Relayé depuis le serveur « Habitat participatif — démo »" in relayed.content
    assert "Rencontre nationale" in relayed.text and [b["label"] for b in relayed.buttons] == [
        "S'inscrire",
        "Intéressé·e",
    ]
    assert posts(sb, network.bretagne.channel("annonces")) == []
    assert len(posts(sb, sb.demo.channel("annonces"))) == 1  # A's own card, not a copy
    # A member of B registers from the copy: events are the network's.
    registered = await sb.driver.click(network.aura.user("membre"), relayed, "S'inscrire")
    assert "Inscription confirmée" in registered.content
    # An edit is not a new event: the copy is rewritten, not posted again; a cancellation shows on it.
    number = await event_id(sb, "Rencontre nationale")
    await sb.driver.slash(
        sb.demo.user("dominique"), "evenement modifier", evenement=str(number), titre="Rencontre 2027"
    )
    await sb.bot.scheduler.run_due()
    [relayed] = posts(sb, network.aura.channel("annonces"))
    assert "Rencontre 2027" in relayed.text
    await sb.driver.slash(sb.demo.user("dominique"), "evenement annuler", evenement=str(number), raison="Salle perdue")
    await sb.bot.scheduler.run_due()
    [relayed] = posts(sb, network.aura.channel("annonces"))
    assert "ANNULÉ" in relayed.text and relayed.buttons == []
    assert await sb.bot.core.outbox.store.counts(RELAYED) == {"sent": 1}


async def test_only_the_chosen_regions_are_announced_and_online_events_always(network: Network) -> None:
    sb = network.box
    followed = await follow(network, regions="auvergne-rhone-alpes")
    assert f"Seulement les événements de : {AURA}." in followed.content
    await create_on_a(sb, titre="Visite à Rennes", commune="insee:35238")
    await create_on_a(sb, titre="Visite à Clermont")
    await create_on_a(sb, titre="Webinaire national", commune=None, lien="https://visio.example/rnhp")
    await sb.bot.scheduler.run_due()
    texts = [message.text for message in posts(sb, network.aura.channel("annonces"))]
    assert len(texts) == 2
    assert "Visite à Clermont" in texts[0] and "Webinaire national" in texts[1]


async def test_the_follows_are_listed_on_both_sides_and_can_end(network: Network) -> None:
    sb = network.box
    await follow(network, regions=AURA)
    mine = await sb.driver.slash(network.aura.user("membre"), "agenda suivis", channel=network.aura.channel("general"))
    assert "Habitat participatif — démo" in mine.embeds[0]["fields"][0]["value"]
    assert AURA in mine.embeds[0]["fields"][0]["value"]
    theirs = await sb.driver.slash(sb.demo.user("alex"), "agenda suivis")
    assert "Habitat participatif AURA" in theirs.embeds[0]["fields"][1]["value"]
    offered = await sb.driver.autocomplete(
        network.aura.user("admin"), "agenda ne-plus-suivre", "serveur", "", channel=network.aura.channel("general")
    )
    assert offered == [{"name": "Habitat participatif — démo", "value": str(network.national.guild.id)}]
    stop = await sb.driver.slash(
        network.aura.user("admin"), "agenda ne-plus-suivre", serveur=str(network.national.guild.id),
        channel=network.aura.channel("general"),
    )  # fmt: skip
    assert "ne suit plus" in stop.content
    again = await sb.driver.slash(
        network.aura.user("admin"), "agenda ne-plus-suivre", serveur="Habitat participatif Bretagne",
        channel=network.aura.channel("general"),
    )  # fmt: skip
    assert again.ephemeral and "ne suit pas « Habitat participatif Bretagne »" in again.content
    await create_on_a(sb)
    await sb.bot.scheduler.run_due()
    assert posts(sb, network.aura.channel("annonces")) == []


async def test_a_follower_without_an_announcement_channel_is_warned_and_gets_no_row(network: Network) -> None:
    sb = network.box
    await configure(sb.bot, network.aura, announces=False)
    followed = await follow(network)
    assert "n'a pas de salon d'annonces" in followed.content
    await create_on_a(sb)
    assert await sb.bot.core.outbox.store.counts(RELAYED) == {}


async def test_a_server_that_invites_the_bot_later_can_be_followed(network: Network) -> None:
    from bot.sandbox.harness import invite

    sb = network.box
    later = build_server(sb.emulator, "Habitat participatif Occitanie", "occ")
    await invite(sb, later.guild)
    offered = await sb.driver.autocomplete(
        network.aura.user("admin"), "agenda suivre", "serveur", "occ", channel=network.aura.channel("general")
    )
    assert [choice["name"] for choice in offered] == ["Habitat participatif Occitanie"]


async def test_a_follow_is_the_servers_and_stays_when_its_administrator_erases_their_data(network: Network) -> None:
    sb, admin, general = network.box, network.aura.user("admin"), network.aura.channel("general")
    await follow(network)
    exported = await sb.driver.slash(admin, "mes-donnees voir", channel=general)
    [attachment] = exported.messages[0].attachments
    [mine] = json.loads(attachment.data)["agendas_suivis_mis_en_place"]
    assert mine["followed_name"] == "Habitat participatif — démo"
    confirm = await sb.driver.slash(admin, "mes-donnees supprimer", channel=general)
    assert confirm.message is not None
    await sb.driver.click(admin, confirm.message, "Tout effacer")
    assert [(t, c) for t, c, v in await every_cell(sb) if v in (admin.id, str(admin.id))] == []
    assert len(await sb.bot.core.following.store.followers(network.national.guild.id)) == 1


# ---------------------------------------------------------------------- the ledger: exactly once


async def follows_the_national_server(sb: Sandbox, aura: DemoServer) -> None:
    """AURA, set up, follows the demo (national) server."""
    national = sb.demo.guild
    await configure(sb.bot, aura)
    await sb.bot.core.following.follow(aura.guild.id, national.id, name=national.name, locale="fr", by=1)


async def test_a_relay_queued_by_a_bot_that_dies_is_posted_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with lives(tmp_path, clock) as world:
        aura = build_server(world.emulator, "Habitat participatif AURA", "aura", with_bot=True)
        async with world.first_life(delivers=True) as first:
            await follows_the_national_server(first, aura)
        async with world.life(delivers=False) as dying:
            await create_on_a(dying)  # the event and its copy's row, in one transaction; the bot dies
            assert await dying.bot.core.outbox.store.counts(RELAYED) == {"pending": 1}
        assert world.emulator.messages_in(aura.channel("annonces")) == []
        async with world.life() as again:
            dies_after_sending(monkeypatch, again.bot)
            await again.bot.scheduler.run_due()  # posted; the bot "dies" before marking it
            monkeypatch.undo()
        async with world.life() as last:
            clock.advance(minutes=2)  # the dead bot's claim is over
            await last.bot.scheduler.run_due()  # sent again with the same nonce: Discord keeps the first
            assert await last.bot.core.outbox.store.counts(RELAYED) == {"sent": 1}
            assert len(await last.bot.core.following.store.relays(await event_id(last, "Rencontre nationale"))) == 1
        [relayed] = world.emulator.messages_in(aura.channel("annonces"))
        assert "Relayé depuis" in relayed["content"]


async def test_a_rewrite_of_a_copy_queued_by_a_bot_that_dies_is_done_by_the_next(
    tmp_path: Path, clock: ManualDateClock
) -> None:
    async with lives(tmp_path, clock) as world:
        aura = build_server(world.emulator, "Habitat participatif AURA", "aura", with_bot=True)
        async with world.first_life(delivers=True) as first:
            await follows_the_national_server(first, aura)
            await create_on_a(first)
            await first.bot.scheduler.run_due()
        async with world.life(delivers=False) as dying:
            number = await event_id(dying, "Rencontre nationale")
            await dying.driver.slash(
                world.demo.user("dominique"), "evenement annuler", evenement=str(number), raison="Salle perdue"
            )
            assert await dying.bot.core.outbox.store.counts(RELAY_CARD) == {"pending": 1}
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            assert await again.bot.core.outbox.store.counts(RELAY_CARD) == {"sent": 1}
        [relayed] = world.emulator.messages_in(aura.channel("annonces"))
        assert "ANNULÉ" in Message(world.emulator, relayed).text


# ---------------------------------------------------------------------- projects and their open days


async def test_an_open_day_belongs_to_its_project_and_shows_on_its_card(network: Network) -> None:
    sb = network.box
    project = await published(sb, "Les Tilleuls Partagés")
    offered = await sb.driver.autocomplete(sb.demo.user("dominique"), "evenement creer", "projet", "tilleuls")
    assert offered == [{"name": "Les Tilleuls Partagés — Thiers", "value": str(project)}]
    refused = await create_on_a(sb, titre="JPO des Tilleuls", projet=str(project))
    assert refused.ephemeral and "Seuls les référents du projet « Les Tilleuls Partagés »" in refused.content
    assert await sb.bot.db.fetchall("SELECT * FROM events") == []
    await sb.bot.db.execute(
        "INSERT INTO project_referents (project_id, user_id) VALUES (?, ?)", (project, sb.demo.user("dominique").id)
    )
    created = await create_on_a(sb, titre="JPO des Tilleuls", projet=str(project))
    assert "Événement créé" in created.content
    await create_on_a(sb, who="morgane", titre="Chantier participatif", projet=str(project), debut="12/04/2027 9h")
    await create_on_a(sb, titre="Sans projet")
    number = await event_id(sb, "JPO des Tilleuls")
    fiche = await sb.driver.slash(sb.demo.user("sam"), "projet fiche", projet=str(project))
    [coming] = [field for field in fiche.embeds[0]["fields"] if field["name"] == "Next events"]
    assert "JPO des Tilleuls (no. " in coming["value"] and "Chantier participatif" in coming["value"]
    assert "Sans projet" not in coming["value"] and "<t:" in coming["value"]
    assert coming["value"].index("JPO") < coming["value"].index("Chantier")
    await sb.bot.scheduler.run_due()
    card = posts(sb, sb.demo.channel("annonces"))[0]
    assert f"Projet : Les Tilleuls Partagés — `/projet fiche projet:{project}`" in card.text
    assert await project_id(sb, "Les Tilleuls Partagés") == project
    assert (await sb.bot.events.store.must_get(number)).project_id == project
