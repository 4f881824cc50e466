"""/annonce through the real discord.py client and the emulator."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.config import Settings
from bot.sandbox.demo import build_demo
from bot.sandbox.driver import Message, Reply
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import Sandbox, attach, furnish, running_bot
from bot.sandbox.state import GUILD_FORUM, PUBLIC_THREAD, Channel, User
from tests.e2e.lives import dies_after_sending, lives
from tests.support import ManualDateClock

TEXT = "Groupe de six foyers près de Thiers, habitat écologique en bois : nous cherchons deux familles."


async def publish(
    sb: Sandbox,
    user: User,
    *,
    title: str = "Cherche deux foyers",
    text: str = TEXT,
    extra: dict[str, Any] | None = None,
    categorie: str = "cherche_foyers",
) -> Reply:
    form = await sb.driver.slash(user, "annonce publier", categorie=categorie, departement="63")
    assert form.modal is not None
    values: dict[str, str | list[str]] = {"annonce-titre": title, "annonce-texte": text, **(extra or {})}
    return await sb.driver.submit(user, form, values)


def prefilled(form: Reply) -> dict[str, Any]:
    """What a reopened form shows in each field, by custom id."""
    assert form.modal is not None
    found = {}
    for row in form.modal["components"]:
        inner = row.get("component") if row.get("type") == 18 else row["components"][0]
        found[inner["custom_id"]] = inner.get(
            "value", [o["value"] for o in inner.get("options", []) if o.get("default")]
        )
    return found


async def queue_only(sb: Sandbox) -> None:
    """A server without an ads forum: ads wait in the moderation queue."""
    await sb.bot.guild_settings.update(sb.demo.guild.id, ads_forum_id=None)


def dms(sb: Sandbox, name: str, containing: str) -> list[dict[str, Any]]:
    return [m for m in sb.emulator.dms_to(sb.demo.user(name)) if containing in m["content"]]


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
    await sb.bot.scheduler.run_due()
    [card] = sb.emulator.messages_in(sb.demo.channel("moderation"))
    assert card["content"].startswith("📝 Annonce à valider")
    assert TEXT in Message(sb.emulator, card).text
    search = await sb.driver.slash(sb.demo.user("sam"), "annonce chercher", texte="foyers")
    assert search.content == "No open ad matches."
    refused = await sb.driver.click(sb.demo.user("alex"), Message(sb.emulator, card), "Publier")
    assert refused.content == "Réservé aux modérateurs du serveur."
    done = await sb.driver.click(sb.demo.user("morgane"), Message(sb.emulator, card), "Publier")
    assert done.message is not None and done.message.content == "Annonce publiée par Morgane."
    assert Message(sb.emulator, card).buttons == []
    found = await sb.driver.slash(sb.demo.user("sam"), "annonce chercher", texte="foyers")
    assert "Cherche deux foyers" in found.text
    await sb.bot.scheduler.run_due()
    assert len(dms(sb, "alex", "est publiée")) == 1


async def test_a_refused_ad_reaches_its_author_with_the_reason(furnished: Sandbox) -> None:
    sb = furnished
    await queue_only(sb)
    await publish(sb, sb.demo.user("sam"))
    await sb.bot.scheduler.run_due()
    card = Message(sb.emulator, sb.emulator.messages_in(sb.demo.channel("moderation"))[-1])
    form = await sb.driver.click(sb.demo.user("morgane"), card, "Refuser")
    decided = await sb.driver.submit(sb.demo.user("morgane"), form, {"Raison (envoyée à la personne)": "Hors réseau"})
    assert decided.message is not None and decided.message.content == "Annonce refusée par Morgane : Hors réseau"
    await sb.bot.scheduler.run_due()
    [verdict] = sb.emulator.dms_to(sb.demo.user("sam"))  # in Sam's language
    assert verdict["content"] == "❌ Your ad “Cherche deux foyers” was not accepted. Reason: Hors réseau"
    row = await sb.bot.db.fetchone("SELECT status, closed_reason FROM ads")
    assert row is not None and tuple(row) == ("supprimee", "Hors réseau")


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
    await sb.bot.scheduler.run_due()
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
    # Published 1 March at 10:00 in Paris for 60 days, then 30 more: in the server's zone, in French.
    assert renewed.content == "Annonce renouvelée jusqu'au 30 mai 2027."
    assert (await sb.driver.slash(sb.demo.user("sam"), "annonce retirer", annonce=choice["value"])).ephemeral
    gone = await sb.driver.slash(alex, "annonce retirer", annonce=choice["value"])
    assert gone.content == "Annonce retirée."
    await sb.bot.scheduler.run_due()
    thread, _ = post_of(sb)
    assert thread.locked
    assert (await sb.driver.slash(alex, "annonce mes-annonces")).content == "Vous n'avez pas d'annonce en cours."


async def test_an_ad_typed_by_hand_that_names_none_is_refused_clearly(furnished: Sandbox) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    await publish(sb, alex)
    mine = await sb.driver.slash(alex, "annonce mes-annonces")
    # A number beyond SQLite's integers, a digit for str.isdigit() but not for int(), words instead of a number.
    for typed in ("99999999999999999999999", "²", "ma maison"):
        withdrawn = await sb.driver.slash(alex, "annonce retirer", annonce=typed)
        renewed = await sb.driver.slash(alex, "annonce renouveler", annonce=typed, jours=90)
        for refused in (withdrawn, renewed):
            assert refused.ephemeral and refused.posted == [], typed
            assert refused.content == f"Je ne trouve pas l'annonce « {typed} » : choisissez-la dans la liste."
    english = await sb.driver.slash(sb.demo.user("sam"), "annonce retirer", annonce="²")
    assert english.ephemeral and english.content == "I cannot find the ad “²”: pick it from the list."
    # Nothing changed: the ad still runs, its post open, and the refused renewals added no day.
    assert (await sb.driver.slash(alex, "annonce mes-annonces")).text == mine.text
    thread, _ = post_of(sb)
    assert not thread.locked
    [choice] = await sb.driver.autocomplete(alex, "annonce renouveler", "annonce", "deux foyers")
    renewed = await sb.driver.slash(alex, "annonce renouveler", annonce=choice["value"], jours=30)
    assert renewed.content == "Annonce renouvelée jusqu'au 30 mai 2027."
    [choice] = await sb.driver.autocomplete(alex, "annonce retirer", "annonce", "deux foyers")
    assert (await sb.driver.slash(alex, "annonce retirer", annonce=choice["value"])).content == "Annonce retirée."


async def test_a_report_reaches_moderators_who_remove_with_a_reason(furnished: Sandbox) -> None:
    sb = furnished
    await publish(sb, sb.demo.user("alex"))
    thread, post = post_of(sb)
    form = await sb.driver.click(sb.demo.user("sam"), post, "Signaler")
    await sb.driver.submit(sb.demo.user("sam"), form, {"What is wrong": "Annonce commerciale déguisée"})
    await sb.bot.scheduler.run_due()
    [card] = sb.emulator.messages_in(sb.demo.channel("moderation"))
    assert "Annonce commerciale déguisée" in Message(sb.emulator, card).text
    refused = await sb.driver.click(sb.demo.user("alex"), Message(sb.emulator, card), "Supprimer l'annonce")
    assert refused.content == "Réservé aux modérateurs du serveur."
    form = await sb.driver.click(sb.demo.user("morgane"), Message(sb.emulator, card), "Supprimer l'annonce")
    await sb.driver.submit(
        sb.demo.user("morgane"), form, {"Raison (envoyée à la personne)": "Pas une annonce du réseau"}
    )
    assert Message(sb.emulator, card).buttons == []
    assert Message(sb.emulator, card).content == "Annonce supprimée par Morgane : Pas une annonce du réseau"
    await sb.bot.scheduler.run_due()
    assert len(dms(sb, "alex", "Raison : Pas une annonce du réseau")) == 1
    assert thread.locked


async def test_expiry_notice_renewal_then_expiry_closes_the_post(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    await publish(sb, alex, extra={"annonce-duree": ["30"]})
    thread, _ = post_of(sb)
    clock.advance(days=27, hours=1)
    await sb.bot.scheduler.run_due()
    [notice] = dms(sb, "alex", "expire le")
    assert notice["content"].startswith("Votre annonce « Cherche deux foyers » expire le 31 mars 2027.")
    renewed = await sb.driver.click(alex, Message(sb.emulator, notice), "Renouveler (60 jours)")
    assert renewed.content == "Annonce renouvelée jusqu'au 30 mai 2027."
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
    assert await sb.bot.db.fetchall("SELECT * FROM ads") == []
    await sb.bot.scheduler.run_due()
    thread, _ = post_of(sb)
    assert thread.locked
    assert sb.emulator.messages_in(thread)[-1]["content"] == "🔒 Annonce retirée."


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


# ---------------------------------------------------------------------- a refused form loses nothing


async def test_a_wrong_price_gives_the_form_back_as_typed(furnished: Sandbox) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    typed = {"annonce-commune": "Thiers", "annonce-prix": "650 € ou à débattre", "annonce-duree": ["90"]}
    refused = await publish(sb, alex, categorie="logement", title="T3 dans l'habitat", extra=typed)
    assert refused.ephemeral
    assert refused.content.startswith("« Prix ou budget en € (facultatif) » ne convient pas : un montant en euros")
    assert await sb.bot.db.fetchall("SELECT * FROM ads") == []
    assert refused.message is not None
    again = await sb.driver.click(alex, refused.message, "Reprendre")
    assert prefilled(again) == {
        "annonce-titre": "T3 dans l'habitat",
        "annonce-texte": TEXT,
        "annonce-commune": "Thiers",
        "annonce-prix": "650 € ou à débattre",
        "annonce-duree": ["90"],
    }
    done = await sb.driver.submit(alex, again, {"annonce-prix": "650 €/mois"})
    assert done.content.startswith("Annonce publiée : ")
    row = await sb.bot.db.fetchone("SELECT title, body, commune, price, expires_at FROM ads")
    assert row is not None and (row["title"], row["body"], row["commune"], row["price"]) == (
        "T3 dans l'habitat", TEXT, "Thiers", 650,
    )  # fmt: skip
    assert row["expires_at"].startswith("2027-05-30")  # 90 days, as chosen the first time


async def test_an_english_member_is_refused_in_english_with_the_field_as_they_saw_it(furnished: Sandbox) -> None:
    sb = furnished
    sam = sb.demo.user("sam")
    form = await sb.driver.slash(sam, "annonce publier", categorie="foncier", departement="63")
    refused = await sb.driver.submit(
        sam, form, {"Title": "Terrain à bâtir", "Text of the ad": TEXT, "Price or budget in € (optional)": "cher"}
    )
    assert refused.content == (
        "“Price or budget in € (optional)” does not fit: an amount in euros is expected, for example 650 or "
        "650 €/month."
    )
    assert refused.message is not None and refused.message.button("Resume")


async def test_a_commune_with_namesakes_is_chosen_from_a_menu(furnished: Sandbox) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    asked = await publish(sb, alex, extra={"annonce-commune": "Moulins"})
    assert asked.content == "Plusieurs communes s'appellent « Moulins » : laquelle ?"
    assert asked.message is not None
    options = [o["label"] for o in asked.message.select()["options"]]
    assert options[:3] == ["Moulins (03)", "Moulins (35)", "Moulins (02)"]
    assert await sb.bot.db.fetchall("SELECT * FROM ads") == []
    chosen = await sb.driver.choose(alex, asked.message, ["Moulins (35)"])
    assert asked.message.content == "Commune : Moulins (35)" and asked.message.components == []
    assert any(m.content.startswith("Annonce publiée : ") for m in chosen.messages)
    row = await sb.bot.db.fetchone("SELECT code_insee, title, body FROM ads")
    assert row is not None and (row["title"], row["body"]) == ("Cherche deux foyers", TEXT)
    assert sb.bot.geo.commune(row["code_insee"]).label == "Moulins (35)"  # type: ignore[union-attr]


async def test_the_namesakes_menu_also_gives_the_form_back(furnished: Sandbox) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    asked = await publish(sb, alex, extra={"annonce-commune": "Saint-Denis"})
    assert asked.message is not None
    again = await sb.driver.click(alex, asked.message, "Reprendre")
    assert prefilled(again)["annonce-commune"] == "Saint-Denis"
    done = await sb.driver.submit(alex, again, {"annonce-commune": "Saint-Denis (93)"})
    assert done.content.startswith("Annonce publiée : ")


# ---------------------------------------------------------------------- the ledger: delivery and crashes


async def test_a_closed_dm_is_marked_undeliverable_once(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    await publish(sb, sb.demo.user("alex"), extra={"annonce-duree": ["30"]})
    sb.demo.user("alex").dms_open = False
    clock.advance(days=27, minutes=1)
    await sb.bot.scheduler.run_due()
    [notice] = await sb.bot.db.fetchall("SELECT status, reason, attempts FROM outbox WHERE kind = 'ad.expiry_notice'")
    assert tuple(notice) == ("undeliverable", "messages privés fermés ou membre inconnu", 0)
    clock.advance(hours=1)
    assert await sb.bot.core.outbox.run_due() == 0  # not tried again
    assert sb.emulator.dms_to(sb.demo.user("alex")) == []


async def test_a_server_error_on_the_notice_is_retried_and_sent_once(
    furnished: Sandbox, clock: ManualDateClock
) -> None:
    sb = furnished
    await publish(sb, sb.demo.user("alex"), extra={"annonce-duree": ["30"]})
    clock.advance(days=27, minutes=1)
    # A 500 is retried by discord.py itself; a 503 comes back to the ledger, which tries again later.
    sb.emulator.fail_next("POST", "/channels/{channel_id}/messages", status=500)
    sb.emulator.fail_next("POST", "/channels/{channel_id}/messages", status=503)
    await sb.bot.scheduler.run_due()
    [notice] = await sb.bot.db.fetchall("SELECT status, attempts FROM outbox WHERE kind = 'ad.expiry_notice'")
    assert tuple(notice) == ("pending", 1)
    assert dms(sb, "alex", "expire le") == []
    clock.advance(seconds=31)
    await sb.bot.scheduler.run_due()
    assert len(dms(sb, "alex", "expire le")) == 1
    clock.advance(minutes=5)
    await sb.bot.scheduler.run_due()
    assert len(dms(sb, "alex", "expire le")) == 1


async def test_an_expiry_notice_planned_by_a_bot_that_died_is_sent_once(tmp_path: Path, clock: ManualDateClock) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life() as first:
            await publish(first, world.demo.user("alex"), extra={"annonce-duree": ["30"]})
        clock.advance(days=27, minutes=1)
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
        assert len(dms(again, "alex", "expire le")) == 1


async def test_a_post_closed_by_a_bot_that_died_is_closed_once(tmp_path: Path, clock: ManualDateClock) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await publish(first, world.demo.user("alex"))
        async with world.life(delivers=False) as dying:
            thread, post = post_of(dying)
            await dying.driver.click(world.demo.user("alex"), post, "Pourvue")
            open_when_it_died = not thread.locked
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
        assert (open_when_it_died, thread.locked, thread.archived) == (True, True, True)
        closing = [m for m in world.emulator.messages_in(thread) if m["content"].startswith("✅ Annonce pourvue")]
        assert len(closing) == 1


async def test_a_verdict_sent_by_a_bot_killed_before_marking_it_is_not_sent_twice(
    tmp_path: Path, clock: ManualDateClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await queue_only(first)
            await publish(first, world.demo.user("alex"))
            await first.bot.scheduler.run_due()
            card = Message(world.emulator, world.emulator.messages_in(world.demo.channel("moderation"))[-1])
            await first.driver.click(world.demo.user("morgane"), card, "Publier")
            dies_after_sending(monkeypatch, first.bot)
            await first.bot.scheduler.run_due()  # the verdict goes out, the bot "dies" before marking it
            monkeypatch.undo()
        async with world.life() as again:
            assert await again.bot.scheduler.run_due() == 0  # still claimed by the dead bot
            clock.advance(minutes=2)
            assert await again.bot.scheduler.run_due() == 1  # sent again with the same nonce...
        verdicts = dms(again, "alex", "est publiée")
        assert len(verdicts) == 1  # ...so Discord kept the first one


async def test_cards_queued_by_a_bot_that_died_reach_the_moderators_once(
    tmp_path: Path, clock: ManualDateClock
) -> None:
    """The card of an ad to approve and the card of a report, both written by a bot that died before
    posting them."""
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await publish(first, world.demo.user("alex"))
        async with world.life(delivers=False) as dying:
            _, post = post_of(dying)
            form = await dying.driver.click(world.demo.user("sam"), post, "Signaler")
            await dying.driver.submit(world.demo.user("sam"), form, {"What is wrong": "Annonce commerciale"})
            await queue_only(dying)
            await publish(dying, world.demo.user("sam"), title="Cherche un groupe")
            assert world.emulator.messages_in(world.demo.channel("moderation")) == []
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
        cards = [m["content"] for m in world.emulator.messages_in(world.demo.channel("moderation"))]
        assert len(cards) == 2
        assert sum(c.startswith("🚩 Annonce signalée") for c in cards) == 1
        assert sum(c.startswith("📝 Annonce à valider") for c in cards) == 1


async def test_a_text_too_long_for_a_message_goes_whole_into_the_post_card(furnished: Sandbox) -> None:
    sb = furnished
    text = "Habitat groupé " + "très " * 595 + "au calme !"  # 3,000 characters: more than a message holds
    assert len(text) == 3000
    reply = await publish(sb, sb.demo.user("alex"), text=text)
    assert reply.content.startswith("Annonce publiée : ")
    _, post = post_of(sb)
    assert post.content == "" and post.embeds[0]["description"] == text


async def test_a_post_discord_refuses_takes_the_ad_back_and_gives_the_form_back(furnished: Sandbox) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    sb.emulator.fail_next("POST", "/channels/{channel_id}/threads", status=403)
    failed = await publish(sb, alex)
    assert failed.content == "Discord n'a pas créé le fil de l'annonce : réessayez dans un instant."
    assert (
        await sb.driver.slash(alex, "annonce chercher", texte="foyers")
    ).content == "Aucune annonce en cours ne correspond."
    assert failed.message is not None
    again = await sb.driver.click(alex, failed.message, "Reprendre")
    done = await sb.driver.submit(alex, again, {})
    assert done.content.startswith("Annonce publiée : ")
