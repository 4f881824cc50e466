"""/annonce through the real discord.py client and the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bot.config import Settings
from bot.sandbox.demo import build_demo
from bot.sandbox.driver import Message, Reply
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import Sandbox, attach, furnish, running_bot
from bot.sandbox.state import GUILD_FORUM, PUBLIC_THREAD, Channel, User
from tests.support import ManualDateClock

TEXT = "Groupe de six foyers près de Thiers, habitat écologique en bois : nous cherchons deux familles."


async def publish(
    sb: Sandbox,
    user: User,
    *,
    title: str = "Cherche deux foyers",
    text: str = TEXT,
    extra: dict[str, Any] | None = None,
) -> Reply:
    form = await sb.driver.slash(user, "annonce publier", categorie="cherche_foyers", departement="63")
    assert form.modal is not None
    values: dict[str, str | list[str]] = {"annonce-titre": title, "annonce-texte": text, **(extra or {})}
    return await sb.driver.submit(user, form, values)


def post_of(sb: Sandbox) -> tuple[Channel, Message]:
    thread = next(c for c in sb.emulator.channels.values() if c.type == PUBLIC_THREAD)
    return thread, Message(sb.emulator, sb.emulator.messages_in(thread)[0])


async def test_an_ad_becomes_a_tagged_forum_post_that_pings_nobody(furnished: Sandbox) -> None:
    sb = furnished
    text = "@everyone et <@&123456789012345678> : " + TEXT
    reply = await publish(sb, sb.demo.user("alex"), text=text, extra={"annonce-commune": "Thiers"})
    assert reply.ephemeral and reply.content.startswith("Annonce publiée : https://discord.com/channels/")
    thread, post = post_of(sb)
    assert thread.name == "Cherche deux foyers"
    assert post.content == text  # shown as written...
    assert post.data["allowed_mentions"]["parse"] == []  # ...and pinging nobody
    assert not post.data["allowed_mentions"].get("roles") and not post.data["allowed_mentions"].get("users")
    forum = sb.demo.channel("petites-annonces")
    assert forum.type == GUILD_FORUM
    names = {tag["name"]: int(tag["id"]) for tag in forum.available_tags}
    assert {"Cherche des foyers", "Auvergne-Rhône-Alpes"} <= set(names)
    assert set(thread.applied_tags) == {names["Cherche des foyers"], names["Auvergne-Rhône-Alpes"]}
    assert "Thiers (63)" in post.text
    assert str(sb.demo.user("alex").id) not in post.text  # the author stays hidden
    row = await sb.bot.db.fetchone("SELECT status, thread_id FROM ads")
    assert row is not None and (row["status"], row["thread_id"]) == ("publiee", thread.id)


async def test_the_second_ad_reuses_the_tags(furnished: Sandbox) -> None:
    sb = furnished
    await publish(sb, sb.demo.user("alex"))
    await publish(sb, sb.demo.user("sam"), title="Autre groupe")
    assert len(sb.demo.channel("petites-annonces").available_tags) == 2


async def test_without_a_forum_it_goes_to_moderation_or_is_refused(sb: Sandbox) -> None:
    refused = await publish(sb, sb.demo.user("alex"))
    assert "un administrateur doit choisir le forum des annonces" in refused.content
    assert await sb.bot.db.fetchall("SELECT * FROM ads") == []
    await sb.bot.guild_settings.update(
        sb.demo.guild.id,
        modqueue_channel_id=sb.demo.channel("moderation").id,
        moderator_role_id=sb.demo.roles["moderateurs"].id,
    )
    queued = await publish(sb, sb.demo.user("alex"))
    assert queued.content.startswith("Annonce transmise à la modération")
    [card] = sb.emulator.messages_in(sb.demo.channel("moderation"))
    assert card["content"] == TEXT
    search = await sb.driver.slash(sb.demo.user("sam"), "annonce chercher", texte="foyers")
    assert search.content == "No open ad matches."
    await sb.driver.click(sb.demo.user("morgane"), Message(sb.emulator, card), "Publier")
    found = await sb.driver.slash(sb.demo.user("sam"), "annonce chercher", texte="foyers")
    assert "Cherche deux foyers" in found.text


async def test_limits_come_from_the_server_settings(furnished: Sandbox) -> None:
    sb = furnished
    await sb.driver.slash(sb.demo.user("camille"), "config petites-annonces", en_cours=1, par_jour=3)
    await publish(sb, sb.demo.user("alex"))
    over = await publish(sb, sb.demo.user("alex"), title="Encore une")
    assert over.content == "Vous avez déjà 1 annonces en cours : retirez-en une avant d'en publier une autre."
    assert len(await sb.bot.db.fetchall("SELECT * FROM ads")) == 1


async def test_search_by_words_and_departement(furnished: Sandbox) -> None:
    sb = furnished
    await publish(sb, sb.demo.user("alex"))
    found = await sb.driver.slash(sb.demo.user("sam"), "annonce chercher", texte="ecologique bois", departement="63")
    assert "Cherche deux foyers" in found.text
    by_name = await sb.driver.slash(sb.demo.user("sam"), "annonce chercher", departement="puy de dome")
    assert "Cherche deux foyers" in by_name.text
    choices = await sb.driver.autocomplete(sb.demo.user("sam"), "annonce chercher", "departement", "puy")
    assert "63 — Puy-de-Dôme" in [c["name"] for c in choices]
    none = await sb.driver.slash(sb.demo.user("sam"), "annonce chercher", texte="bois", departement="75")
    assert none.ephemeral and none.content == "No open ad matches."


async def test_contact_goes_through_the_bot(furnished: Sandbox) -> None:
    sb = furnished
    alex, sam = sb.demo.user("alex"), sb.demo.user("sam")
    await publish(sb, alex)
    _, post = post_of(sb)
    form = await sb.driver.click(sam, post, "Contacter")
    sent = await sb.driver.submit(sam, form, {"Your message": "Bonjour, nous sommes intéressés !"})
    assert sent.content == "Message passed on to the ad's author."
    dm = sb.emulator.dms_to(alex)[-1]
    assert dm["embeds"][0]["description"] == "Bonjour, nous sommes intéressés !"
    alex.dms_open = False
    form = await sb.driver.click(sam, post, "Contacter")
    closed = await sb.driver.submit(sam, form, {"Your message": "Toujours là ? Merci de répondre."})
    assert closed.content == "The ad's author does not accept direct messages right now."


async def test_filled_by_its_author_only_closes_and_locks_the_post(furnished: Sandbox) -> None:
    sb = furnished
    await publish(sb, sb.demo.user("alex"))
    thread, post = post_of(sb)
    refused = await sb.driver.click(sb.demo.user("sam"), post, "Pourvue")
    assert refused.content == "Only the ad's author and the moderators can do that."
    done = await sb.driver.click(sb.demo.user("alex"), post, "Pourvue")
    assert done.content == "Annonce marquée comme pourvue et fermée."
    assert thread.locked and thread.archived
    assert sb.emulator.messages_in(thread)[-1]["content"].startswith("✅ Annonce pourvue")
    row = await sb.bot.db.fetchone("SELECT status FROM ads")
    assert row is not None and row["status"] == "pourvue"


async def test_withdraw_and_renew_by_command(furnished: Sandbox) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    await publish(sb, alex)
    [choice] = await sb.driver.autocomplete(alex, "annonce renouveler", "annonce", "")
    renewed = await sb.driver.slash(alex, "annonce renouveler", annonce=choice["value"], jours=30)
    assert renewed.content.startswith("Annonce renouvelée jusqu'au ")
    assert (await sb.driver.slash(sb.demo.user("sam"), "annonce retirer", annonce=choice["value"])).ephemeral
    gone = await sb.driver.slash(alex, "annonce retirer", annonce=choice["value"])
    assert gone.content == "Annonce retirée."
    thread, _ = post_of(sb)
    assert thread.locked
    assert (await sb.driver.slash(alex, "annonce mes-annonces")).content == "Vous n'avez pas d'annonce en cours."


async def test_a_report_reaches_moderators_who_remove_with_a_reason(furnished: Sandbox) -> None:
    sb = furnished
    await publish(sb, sb.demo.user("alex"))
    thread, post = post_of(sb)
    form = await sb.driver.click(sb.demo.user("sam"), post, "Signaler")
    await sb.driver.submit(sb.demo.user("sam"), form, {"What is wrong": "Annonce commerciale déguisée"})
    [card] = sb.emulator.messages_in(sb.demo.channel("moderation"))
    assert "Annonce commerciale déguisée" in Message(sb.emulator, card).text
    refused = await sb.driver.click(sb.demo.user("alex"), Message(sb.emulator, card), "Supprimer l'annonce")
    assert refused.content == "Réservé aux modérateurs du serveur."
    form = await sb.driver.click(sb.demo.user("morgane"), Message(sb.emulator, card), "Supprimer l'annonce")
    await sb.driver.submit(
        sb.demo.user("morgane"), form, {"Raison (envoyée à la personne)": "Pas une annonce du réseau"}
    )
    assert "Pas une annonce du réseau" in sb.emulator.dms_to(sb.demo.user("alex"))[-1]["content"]
    assert thread.locked
    assert Message(sb.emulator, card).buttons == []


async def test_expiry_notice_renewal_then_expiry_closes_the_post(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    await publish(sb, alex, extra={"annonce-duree": ["30"]})
    thread, _ = post_of(sb)
    clock.advance(days=27, hours=1)
    await sb.bot.scheduler.run_due()
    [notice] = [m for m in sb.emulator.dms_to(alex) if "expire le" in m["content"]]
    renewed = await sb.driver.click(alex, Message(sb.emulator, notice), "Renouveler (60 jours)")
    assert renewed.content.startswith("Annonce renouvelée jusqu'au ")
    clock.advance(days=10)
    await sb.bot.scheduler.run_due()
    states = [(thread.locked, thread.archived)]
    clock.advance(days=60)
    await sb.bot.scheduler.run_due()
    states.append((thread.locked, thread.archived))
    assert states == [(False, False), (True, True)]  # renewed: still open; then expired: closed
    assert sb.emulator.messages_in(thread)[-1]["content"] == "⌛ Annonce expirée."
    search = await sb.driver.slash(sb.demo.user("sam"), "annonce chercher", texte="foyers")
    assert search.content == "No open ad matches."


async def test_my_data_includes_my_ads(furnished: Sandbox) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    await publish(sb, alex)
    exported = await sb.driver.slash(alex, "mes-donnees voir")
    data = json.loads(exported.messages[0].attachments[0].data)
    assert data["petites_annonces"][0]["title"] == "Cherche deux foyers"
    confirm = await sb.driver.slash(alex, "mes-donnees supprimer")
    assert confirm.message is not None
    await sb.driver.click(alex, confirm.message, "Tout effacer")
    thread, _ = post_of(sb)
    assert thread.locked
    assert await sb.bot.db.fetchall("SELECT * FROM ads") == []


async def test_buttons_keep_working_after_a_restart(tmp_path: Path, clock: ManualDateClock) -> None:
    """The post's buttons and the event's "S'inscrire" are answered by a bot started afterwards."""
    emulator = Emulator()
    async with emulator:
        demo = build_demo(emulator)
        settings = Settings(_env_file=None, database_path=tmp_path / "bot.sqlite3", dev_guild_id=demo.guild.id)
        async with running_bot(emulator, settings, clock=clock) as bot:
            first = attach(emulator, bot, demo)
            await furnish(first)
            await publish(first, demo.user("alex"))
            await first.driver.slash(
                demo.user("dominique"), "evenement creer", type="jpo", titre="JPO", debut="10/04/2027 14h", fin="17h",
                commune="insee:63113",
            )  # fmt: skip
        async with running_bot(emulator, settings, clock=clock) as again:
            second = attach(emulator, again, demo)
            _, post = post_of(second)
            form = await second.driver.click(demo.user("sam"), post, "Contacter")
            assert form.modal is not None
            await again.scheduler.run_due()  # the event's card is posted by the ledger, by whichever bot runs
            card = Message(emulator, emulator.messages_in(demo.channel("annonces"))[-1])
            joined = await second.driver.click(demo.user("sam"), card, "S'inscrire")
            assert joined.content.startswith("Registration confirmed")
        assert emulator.problems == []


async def test_the_author_is_told_in_their_own_language(furnished: Sandbox) -> None:
    sb = furnished
    sam, alex = sb.demo.user("sam"), sb.demo.user("alex")  # Sam's Discord is in English
    await publish(sb, sam)
    _, post = post_of(sb)
    form = await sb.driver.click(alex, post, "Contacter")
    await sb.driver.submit(alex, form, {"Votre message": "Bonjour, nous sommes intéressés !"})
    assert sb.emulator.dms_to(sam)[-1]["content"].startswith(f"Reply from <@{alex.id}> to your ad")
