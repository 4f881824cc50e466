"""/projet through the real discord.py client and the emulator."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path

import pytest
from PIL import Image

from bot.outbox import UNREACHABLE, Target
from bot.pictures.maps import Projection, draw_map
from bot.pictures.models import DrawnMap, MapRequest
from bot.projects.csvfile import CSV_HEADER
from bot.projects.models import ProjectDraft
from bot.projects.service import MODERATION, QUESTION, VERDICT
from bot.sandbox.driver import DriverError, Message, Reply, Upload
from bot.sandbox.harness import Sandbox
from bot.vocabulary import Etape
from cogs.ui.views import OwnedView
from tests.e2e.lives import dies_after_sending, lives
from tests.support import ManualDateClock

HIRONDELLES = "Les Hirondelles de démo (démo)"


async def project_id(sb: Sandbox, name: str) -> int:
    row = await sb.bot.db.fetchone("SELECT id FROM projects WHERE nom = ?", (name,))
    assert row is not None
    return int(row["id"])


# ---------------------------------------------------------------------- search


async def test_search_by_departement_is_paginated_for_the_asker_only(furnished: Sandbox) -> None:
    sb = furnished
    alex, sam = sb.demo.user("alex"), sb.demo.user("sam")
    reply = await sb.driver.slash(alex, "projet chercher", departement="63")
    assert not reply.ephemeral  # results are shared in the channel
    assert reply.embeds[0]["description"] == "8 projets trouvés"
    assert len(reply.embeds[0]["fields"]) == 5
    assert reply.message is not None
    refused = await sb.driver.click(sam, reply.message, "▶")
    assert refused.ephemeral
    assert reply.message.embeds[0]["fields"][0]["name"].startswith("1.")
    await sb.driver.click(alex, reply.message, "▶")
    assert [f["name"][:2] for f in reply.message.embeds[0]["fields"]] == ["6.", "7.", "8."]


async def test_results_lose_their_buttons_once_their_time_is_over(furnished: Sandbox) -> None:
    """After ten minutes the page buttons and the menu would do nothing: they are taken off the message the
    answer created, which Discord gave back with it."""
    sb = furnished
    reply = await sb.driver.slash(sb.demo.user("alex"), "projet chercher", departement="63")
    assert reply.message is not None and reply.message.buttons
    store = sb.bot._connection._view_store
    [view] = {item.view for item in store._views.get(reply.message.id, {}).values()}
    assert isinstance(view, OwnedView) and view.message is not None and view.message.id == reply.message.id
    await view.on_timeout()  # what discord.py calls when the view's time is over
    assert reply.message.components == []


async def test_anyone_can_open_a_record_from_the_results(furnished: Sandbox) -> None:
    sb = furnished
    reply = await sb.driver.slash(
        sb.demo.user("alex"), "projet chercher", departement="puy-de-dôme", texte="hirondelles"
    )
    assert reply.message is not None
    opened = await sb.driver.choose(sb.demo.user("sam"), reply.message, [HIRONDELLES])
    assert opened.ephemeral
    assert opened.embeds[0]["title"] == HIRONDELLES
    assert "Clermont-Ferrand (63)" in opened.text
    assert "Family" in opened.text or "Families" in opened.text  # Sam's Discord is in English


async def test_a_result_unconfirmed_for_a_year_says_since_when_in_the_server_s_time_zone(furnished: Sandbox) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    # Confirmed on 31 January 2025 at 23:30 in Paris, which was already 1 February in Tokyo.
    await sb.bot.db.execute(
        "UPDATE projects SET confirmed_at = '2025-01-31T22:30:00+00:00' WHERE nom = ?", (HIRONDELLES,)
    )
    reply = await sb.driver.slash(alex, "projet chercher", texte="hirondelles")
    [result] = reply.embeds[0]["fields"]
    assert result["value"].endswith("⚠️ non confirmé depuis janvier 2025")
    await sb.bot.guild_settings.update(sb.demo.guild.id, timezone="Asia/Tokyo")
    reply = await sb.driver.slash(alex, "projet chercher", texte="hirondelles")
    assert reply.embeds[0]["fields"][0]["value"].endswith("⚠️ non confirmé depuis février 2025")


async def test_search_near_a_commune_shows_distances(furnished: Sandbox) -> None:
    sb = furnished
    reply = await sb.driver.slash(
        sb.demo.user("alex"), "projet chercher", pres_de="insee:63113", rayon_km=40, texte="coopératives"
    )
    text = reply.text
    assert "Clermont-Ferrand (63) · à moins d'1 km" in text
    assert "à 0 km" not in text
    assert "Issoire (63) · à 29 km" in text
    assert "Thiers" not in text  # no coopérative in its description


async def test_old_region_and_filters(furnished: Sandbox) -> None:
    sb = furnished
    reply = await sb.driver.slash(
        sb.demo.user("alex"), "projet chercher", region="Auvergne", etape="emergence", recrute=True
    )
    assert "Thiers (63)" in reply.text
    assert all("Émergence" in f["value"] for f in reply.embeds[0]["fields"])


async def test_nothing_found_is_said_plainly(furnished: Sandbox) -> None:
    reply = await furnished.driver.slash(furnished.demo.user("alex"), "projet chercher", texte="zeppelin")
    assert reply.ephemeral
    assert reply.content.startswith("Aucun projet ne correspond")


async def test_an_ambiguous_commune_is_never_guessed(furnished: Sandbox) -> None:
    reply = await furnished.driver.slash(furnished.demo.user("alex"), "projet chercher", pres_de="Montreuil")
    assert reply.ephemeral
    assert "Montreuil (93), Montreuil (85), Montreuil (28)" in reply.content


async def test_place_autocomplete(furnished: Sandbox) -> None:
    sb, alex = furnished, furnished.demo.user("alex")
    communes = await sb.driver.autocomplete(alex, "projet chercher", "pres_de", "montreuil")
    assert communes[0]["name"].startswith("Montreuil (93)")
    assert communes[0]["value"] == "insee:93048"
    assert 3 < len(communes) <= 25
    departements = await sb.driver.autocomplete(alex, "projet chercher", "departement", "puy")
    assert [c["name"] for c in departements] == ["43 — Haute-Loire", "63 — Puy-de-Dôme"] or departements[0][
        "name"
    ].startswith("63")
    regions = await sb.driver.autocomplete(alex, "projet chercher", "region", "auvergne")
    assert "Auvergne (ancienne région)" in [c["name"] for c in regions]


# ---------------------------------------------------------------------- proposing and moderating


FORM_FR = (
    "Nom du projet",
    "Description",
    "Contact public (courriel, téléphone)",
    "Publics accueillis",
    "Espaces partagés",
)
FORM_EN = ("Project name", "Description", "Public contact (email, phone)", "Who it welcomes", "Shared spaces")


async def propose(sb: Sandbox, name: str = "Le Clos des Tests", who: str = "alex") -> Reply:
    """A proposal through the form; the ledger then posts its card in the moderation queue."""
    member = sb.demo.user(who)
    form = await sb.driver.slash(member, "projet proposer", commune="insee:63430", etape="emergence", recrute=True)
    assert form.modal is not None, form.text
    fields = FORM_EN if member.locale == "en-US" else FORM_FR
    values = (
        name,
        "Rénovation d'une ferme à plusieurs familles",
        "clos@exemple.org",
        ["familles"],
        ["jardin", "atelier"],
    )
    submitted = await sb.driver.submit(member, form, dict(zip(fields, values, strict=True)))
    assert submitted.ephemeral
    await sb.bot.scheduler.run_due()
    return submitted


def card(sb: Sandbox) -> Message:
    """The newest card in the moderation queue."""
    return Message(sb.emulator, sb.emulator.messages_in(sb.demo.channel("moderation"))[-1])


async def dms(sb: Sandbox, name: str) -> list[str]:
    """What a member received by DM once the ledger's due rows are delivered."""
    await sb.bot.scheduler.run_due()
    return [m["content"] for m in sb.emulator.dms_to(sb.demo.user(name))]


async def published(sb: Sandbox, name: str = "Le Clos des Tests", who: str = "alex") -> int:
    """Proposed by `who`, published by Morgane through the card."""
    await propose(sb, name, who)
    await sb.driver.click(sb.demo.user("morgane"), card(sb), "Publier")
    await sb.bot.scheduler.run_due()
    return await project_id(sb, name)


async def test_a_proposal_waits_in_the_moderation_queue_then_is_published(furnished: Sandbox) -> None:
    sb = furnished
    submitted = await propose(sb)
    assert "attend la validation d'un modérateur" in submitted.content
    row = await sb.bot.db.fetchone("SELECT statut, recrute, commune FROM projects WHERE nom = 'Le Clos des Tests'")
    assert row is not None and tuple(row) == ("en_attente", 1, "Thiers")
    assert "Le Clos des Tests" not in (await sb.driver.slash(sb.demo.user("sam"), "projet chercher", texte="clos")).text
    [posted] = sb.emulator.messages_in(sb.demo.channel("moderation"))
    message = Message(sb.emulator, posted)
    assert "Nouveau projet à valider" in message.text and "Le Clos des Tests" in message.text
    assert [b["label"] for b in message.buttons] == ["Publier", "Refuser"]
    refused = await sb.driver.click(sb.demo.user("alex"), message, "Publier")
    assert "Seuls les modérateurs" in refused.content
    await sb.driver.click(sb.demo.user("morgane"), message, "Publier")
    assert message.buttons == []
    assert "Publié par Morgane" in message.text
    assert (await sb.bot.projects.get(await project_id(sb, "Le Clos des Tests"))).published  # type: ignore[union-attr]
    assert await dms(sb, "alex") == ["✅ Votre projet « Le Clos des Tests » est publié dans la base nationale."]
    found = await sb.driver.slash(sb.demo.user("sam"), "projet chercher", texte="clos")
    assert "Le Clos des Tests" in found.text


async def test_a_refusal_tells_the_proposer_why_in_their_language(furnished: Sandbox) -> None:
    sb = furnished
    await propose(sb, "The Test Close", who="sam")
    form = await sb.driver.click(sb.demo.user("morgane"), card(sb), "Refuser")
    await sb.driver.submit(sb.demo.user("morgane"), form, {"Raison (envoyée à la personne)": "Doublon d'une fiche"})
    assert card(sb).buttons == []
    assert "Refusé par Morgane : Doublon d'une fiche" in card(sb).text
    assert await dms(sb, "sam") == ["❌ Your project “The Test Close” was not accepted. Reason: Doublon d'une fiche"]
    row = await sb.bot.db.fetchone("SELECT statut FROM projects WHERE nom = 'The Test Close'")
    assert row is not None and row["statut"] == "refuse"


async def test_a_bad_option_is_refused_before_the_form_in_the_members_words(furnished: Sandbox) -> None:
    sb = furnished
    french = await sb.driver.slash(
        sb.demo.user("alex"), "projet proposer", commune="insee:63430", etape="emergence", site="ftp://x"
    )
    assert french.modal is None and french.ephemeral
    assert french.content == "« site » ne convient pas : le site doit commencer par http:// ou https://."
    english = await sb.driver.slash(
        sb.demo.user("sam"), "projet proposer", commune="insee:63430", etape="emergence", site="ftp://x"
    )
    assert english.content == "“website” does not fit: the website must start with http:// or https://."
    assert await sb.bot.db.fetchone("SELECT 1 FROM projects WHERE site = 'ftp://x'") is None


async def test_a_refused_form_is_given_back_as_it_was_typed(furnished: Sandbox) -> None:
    sb, alex = furnished, furnished.demo.user("alex")
    form = await sb.driver.slash(alex, "projet proposer", commune="insee:63113", etape="emergence")
    typed: dict[str, str | list[str]] = {
        "Nom du projet": HIRONDELLES,  # already in Clermont-Ferrand
        "Description": "Une longue description tapée avec soin",
        "Publics accueillis": ["seniors"],
    }
    refused = await sb.driver.submit(alex, form, typed)
    assert refused.ephemeral
    assert refused.content == f"Un projet « {HIRONDELLES} » existe déjà à Clermont-Ferrand."
    assert refused.message is not None
    again = await sb.driver.click(alex, refused.message, "Reprendre")
    assert again.modal is not None
    saved = await sb.driver.submit(alex, again, {"Nom du projet": "Les Hirondelles bis"})
    assert "attend la validation d'un modérateur" in saved.content
    project = await sb.bot.projects.get(await project_id(sb, "Les Hirondelles bis"))
    assert project is not None
    assert project.description == "Une longue description tapée avec soin"
    assert {p.value for p in project.publics} == {"seniors"}


async def test_an_ambiguous_commune_in_a_proposal_is_picked_from_a_menu(furnished: Sandbox) -> None:
    sb, alex = furnished, furnished.demo.user("alex")
    asked = await sb.driver.slash(alex, "projet proposer", commune="Montreuil", etape="emergence")
    assert asked.ephemeral and asked.modal is None
    assert asked.content == "Plusieurs communes portent ce nom : laquelle ?"
    assert asked.message is not None
    labels = [o["label"] for o in asked.message.select()["options"]]
    assert {"Montreuil (93)", "Montreuil (85)", "Montreuil (28)"} <= set(labels)
    form = await sb.driver.choose(alex, asked.message, ["Montreuil (85)"])
    assert form.modal is not None
    await sb.driver.submit(alex, form, {"Nom du projet": "Le Clos vendéen"})
    project = await sb.bot.projects.get(await project_id(sb, "Le Clos vendéen"))
    assert project is not None and project.departement == "85"


async def test_a_referent_edits_and_a_stage_change_waits(furnished: Sandbox) -> None:
    sb = furnished
    pid = await published(sb)
    alex = sb.demo.user("alex")
    choices = await sb.driver.autocomplete(alex, "projet modifier", "projet", "clos")
    assert [c["value"] for c in choices] == [str(pid)]
    form = await sb.driver.slash(alex, "projet modifier", projet=str(pid), etape="realisation")
    assert form.modal is not None
    done = await sb.driver.submit(alex, form, {"Description": "Le chantier commence"})
    assert "attend la validation" in done.content
    project = await sb.bot.projects.get(pid)
    assert project is not None
    assert project.description == "Le chantier commence"
    assert project.contact == "clos@exemple.org"  # the form came filled with the record
    assert project.etape == Etape.emergence
    assert project.pending is not None and project.pending.etape == Etape.realisation
    await sb.bot.scheduler.run_due()
    assert "Modification à valider" in card(sb).text
    await sb.driver.click(sb.demo.user("morgane"), card(sb), "Publier")
    assert (await dms(sb, "alex"))[-1] == "✅ La modification de votre projet « Le Clos des Tests » est validée."
    assert (await sb.bot.projects.get(pid)).etape == Etape.realisation  # type: ignore[union-attr]


async def test_only_referents_and_moderators_may_edit(furnished: Sandbox) -> None:
    sb = furnished
    pid = await project_id(sb, HIRONDELLES)
    reply = await sb.driver.slash(sb.demo.user("sam"), "projet modifier", projet=str(pid))
    assert reply.ephemeral
    assert "Only the project's contact people" in reply.content
    form = await sb.driver.slash(sb.demo.user("morgane"), "projet modifier", projet=str(pid))
    assert form.modal is not None


def shown_fields(reply: Reply) -> dict[str, str]:
    """The fields of the card the member was shown, by name."""
    return {field["name"]: field["value"] for field in reply.embeds[0]["fields"]}


# A number beyond SQLite's integers, a digit for str.isdigit() but not for int(), a name no project holds.
NAMES_NONE = ["99999999999999999999999", "²", "Le Clos des Rêves"]


async def test_a_project_typed_by_hand_that_names_none_is_refused_clearly(furnished: Sandbox) -> None:
    sb = furnished
    pid = await published(sb)
    alex, sam = sb.demo.user("alex"), sb.demo.user("sam")
    queue = len(sb.emulator.messages_in(sb.demo.channel("moderation")))
    for typed in NAMES_NONE:
        fiche = await sb.driver.slash(alex, "projet fiche", projet=typed)
        assert fiche.ephemeral and fiche.embeds == [], typed
        assert fiche.content == f"Je ne trouve pas le projet « {typed} » : choisissez-le dans la liste proposée."
        edit = await sb.driver.slash(alex, "projet modifier", projet=typed, etape="realisation", logements=99)
        assert edit.ephemeral and edit.modal is None and edit.posted == [], typed
        assert edit.content == fiche.content
    english = await sb.driver.slash(sam, "projet fiche", projet="²")
    assert english.ephemeral and english.content == "I cannot find the project “²”: pick it from the suggestions."
    # Nothing changed: no card for the moderators, and the record reads as before.
    assert len(sb.emulator.messages_in(sb.demo.channel("moderation"))) == queue
    [choice] = await sb.driver.autocomplete(alex, "projet fiche", "projet", "clos des t")
    fiche = await sb.driver.slash(alex, "projet fiche", projet=choice["value"])
    assert fiche.ephemeral and fiche.embeds[0]["title"] == "Le Clos des Tests"
    assert shown_fields(fiche)["Étape"] == "🌱 Émergence" and "Logements" not in shown_fields(fiche)
    [choice] = await sb.driver.autocomplete(alex, "projet modifier", "projet", "clos")
    assert choice["value"] == str(pid)
    form = await sb.driver.slash(alex, "projet modifier", projet=choice["value"], logements=12)
    assert form.modal is not None
    done = await sb.driver.submit(alex, form, {"Description": "Douze logements"})
    assert done.content == "Modifications enregistrées."
    assert shown_fields(await sb.driver.slash(alex, "projet fiche", projet="Le Clos des Tests"))["Logements"] == "12"


async def test_contacting_referents_goes_by_dm_without_showing_them(furnished: Sandbox) -> None:
    sb = furnished
    pid = await published(sb)
    sam = sb.demo.user("sam")
    fiche = await sb.driver.slash(sam, "projet fiche", projet=str(pid))
    assert fiche.message is not None
    assert str(sb.demo.user("alex").id) not in fiche.text
    assert "Edit" not in [b.get("label") for b in fiche.message.buttons]
    form = await sb.driver.click(sam, fiche.message, "Contact the project")
    sent = await sb.driver.submit(sam, form, {"Your message": "Bonjour, pouvons-nous visiter ?"})
    assert sent.deferred
    assert sent.messages[-1].content == "Message passed on to the project's contact people."
    dm = sb.emulator.dms_to(sb.demo.user("alex"))[-1]
    assert dm["embeds"][0]["description"] == "Bonjour, pouvons-nous visiter ?"
    assert dm["content"] == f"✉️ Sam (<@{sam.id}>) vous écrit à propos de votre projet « Le Clos des Tests » :"


async def test_when_no_referent_can_be_reached_the_record_s_contact_is_given(furnished: Sandbox) -> None:
    sb = furnished
    pid = await published(sb)
    sb.demo.user("alex").dms_open = False
    fiche = await sb.driver.slash(sb.demo.user("sam"), "projet fiche", projet=str(pid))
    assert fiche.message is not None
    form = await sb.driver.click(sb.demo.user("sam"), fiche.message, "Contact the project")
    sent = await sb.driver.submit(sb.demo.user("sam"), form, {"Your message": "Bonjour, pouvons-nous visiter ?"})
    assert sent.messages[-1].content == (
        "None of this project's contact people can receive direct messages right now.\n"
        "The project's public contact: clos@exemple.org\n\n"
        "Your message, to keep:\n> Bonjour, pouvons-nous visiter ?"
    )


# ---------------------------------------------------------------------- records kept alive


async def test_a_stale_record_gets_one_dm_and_is_flagged_until_confirmed(
    furnished: Sandbox, clock: ManualDateClock
) -> None:
    sb = furnished
    await published(sb)
    clock.advance(days=400)
    assert await sb.bot.scheduler.run_due() >= 1
    asked = [m for m in sb.emulator.dms_to(sb.demo.user("alex")) if "n'a pas été confirmée depuis le" in m["content"]]
    assert len(asked) == 1
    assert "1er mars 2027" in asked[0]["content"]
    assert await sb.bot.scheduler.run_due() == 0

    async def shown() -> str:
        results = await sb.driver.slash(sb.demo.user("sam"), "projet chercher", texte="clos tests")
        [field] = results.embeds[0]["fields"]
        return str(field["value"])

    assert "not confirmed since March 2027" in await shown()
    answered = await sb.driver.click(sb.demo.user("alex"), Message(sb.emulator, asked[0]), "Toujours d'actualité")
    assert answered.message is not None and answered.message.buttons == []
    assert "not confirmed since" not in await shown()


async def test_only_referents_answer_the_question(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    await published(sb)
    clock.advance(days=400)
    await sb.bot.scheduler.run_due()
    dm = Message(sb.emulator, sb.emulator.dms_to(sb.demo.user("alex"))[-1])
    refused = await sb.driver.click(sb.demo.user("sam"), dm, "Toujours d'actualité")
    assert "Only the project's contact people can answer." in refused.content
    update = await sb.driver.click(sb.demo.user("alex"), dm, "Mettre à jour")
    assert update.modal is not None


async def test_a_recruiting_record_can_stop_recruiting_from_the_question(
    furnished: Sandbox, clock: ManualDateClock
) -> None:
    sb = furnished
    pid = await published(sb)
    clock.advance(days=190)
    await sb.bot.scheduler.run_due()
    dm = Message(sb.emulator, sb.emulator.dms_to(sb.demo.user("alex"))[-1])
    assert "cherche de nouveaux foyers" in dm.content
    done = await sb.driver.click(sb.demo.user("alex"), dm, "Nous ne recrutons plus")
    assert done.message is not None and "n'est plus présenté comme cherchant des foyers" in done.message.content
    assert not (await sb.bot.projects.get(pid)).recrute  # type: ignore[union-attr]


# ---------------------------------------------------------------------- the ledger: exactly once, retried, kept


async def test_a_card_queued_by_a_bot_that_dies_is_posted_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life() as first:  # dies before sending anything it queued
            await propose(first)
            assert world.emulator.messages_in(world.demo.channel("moderation")) == []
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
            assert len(world.emulator.messages_in(world.demo.channel("moderation"))) == 1
            await again.driver.click(world.demo.user("morgane"), card(again), "Publier")
            assert await dms(again, "alex") == [
                "✅ Votre projet « Le Clos des Tests » est publié dans la base nationale."
            ]


@pytest.mark.parametrize("verdict", ["Publier", "Refuser"])
async def test_a_verdict_of_a_bot_that_dies_is_sent_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock, verdict: str
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await propose(first)
        async with world.life(delivers=False) as dying:
            answered = await dying.driver.click(world.demo.user("morgane"), card(dying), verdict)
            if answered.modal is not None:
                await dying.driver.submit(
                    world.demo.user("morgane"), answered, {"Raison (envoyée à la personne)": "Doublon"}
                )
            assert world.emulator.dms_to(world.demo.user("alex")) == []
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
        [told] = world.emulator.dms_to(world.demo.user("alex"))
        assert "est publié" in told["content"] if verdict == "Publier" else "Raison : Doublon" in told["content"]


async def test_a_verdict_sent_by_a_bot_killed_before_marking_it_is_not_sent_twice(
    tmp_path: Path, clock: ManualDateClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await propose(first)
            await first.driver.click(world.demo.user("morgane"), card(first), "Publier")
            dies_after_sending(monkeypatch, first.bot)
            await first.bot.scheduler.run_due()  # the verdict goes out, the bot "dies"
            monkeypatch.undo()
        async with world.life() as again:
            clock.advance(minutes=2)  # the dead bot's claim is over
            assert await again.bot.scheduler.run_due() == 1  # sent again with the same nonce...
        # ...so Discord kept the first message.
        assert len(world.emulator.dms_to(world.demo.user("alex"))) == 1


async def test_a_question_asked_by_a_bot_that_dies_is_sent_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await published(first)
        async with world.life(delivers=False) as dying:
            clock.advance(days=400)
            await dying.bot.project_service.run_due()  # the round asks, the bot dies before sending
            assert await dying.bot.core.outbox.store.counts(QUESTION) == {"pending": 1}
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
        asked = [m for m in world.emulator.dms_to(world.demo.user("alex")) if "confirmée" in m["content"]]
        assert len(asked) == 1


MESSAGES = "/channels/{channel_id}/messages"


@pytest.mark.parametrize("kind", [MODERATION, VERDICT, QUESTION])
async def test_a_failed_send_is_retried_later(furnished: Sandbox, clock: ManualDateClock, kind: str) -> None:
    """A 5xx from Discord: the message waits and goes out once at the next try (discord.py retries a 500
    by itself after sleeping a second; a 503 reaches the ledger at once)."""
    sb = furnished
    if kind == MODERATION:
        sb.emulator.fail_next("POST", MESSAGES, status=503)
        await propose(sb)
    elif kind == VERDICT:
        await propose(sb)
        sb.emulator.fail_next("POST", MESSAGES, status=503)
        await sb.driver.click(sb.demo.user("morgane"), card(sb), "Publier")
        await sb.bot.scheduler.run_due()
    else:
        await published(sb)
        sb.emulator.fail_next("POST", MESSAGES, status=503)
        clock.advance(days=400)
        await sb.bot.scheduler.run_due()
    assert await sb.bot.core.outbox.store.counts(kind) == {"pending": 1}
    clock.advance(seconds=31)
    await sb.bot.scheduler.run_due()
    assert await sb.bot.core.outbox.store.counts(kind) == {"sent": 1}
    [row] = await sb.bot.db.fetchall("SELECT id, attempts FROM outbox WHERE kind = ?", (kind,))
    assert row["attempts"] == 1
    delivered = [m for m in sb.emulator.messages.values() if m.get("nonce") == f"ob-{row['id']}"]
    assert len(delivered) == 1


@pytest.mark.parametrize("kind", [VERDICT, QUESTION])
async def test_closed_dms_are_marked_undeliverable_with_their_reason(
    furnished: Sandbox, clock: ManualDateClock, kind: str
) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    if kind == VERDICT:
        await propose(sb)
        alex.dms_open = False
        await sb.driver.click(sb.demo.user("morgane"), card(sb), "Publier")
    else:
        await published(sb)
        alex.dms_open = False
        clock.advance(days=400)
    await sb.bot.scheduler.run_due()
    rows = await sb.bot.db.fetchall("SELECT status, reason FROM outbox WHERE kind = ?", (kind,))
    assert [tuple(r) for r in rows] == [("undeliverable", "messages privés fermés ou membre inconnu")]


async def test_a_card_for_a_deleted_channel_is_kept_with_its_reason(furnished: Sandbox) -> None:
    sb = furnished
    await sb.bot.guild_settings.update(sb.demo.guild.id, modqueue_channel_id=123)
    await propose(sb)
    [row] = await sb.bot.db.fetchall("SELECT status, reason FROM outbox WHERE kind = ?", (MODERATION,))
    assert tuple(row) == ("undeliverable", UNREACHABLE[Target.channel])


# ---------------------------------------------------------------------- import and export


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_organisers_export_and_import(furnished: Sandbox) -> None:
    sb = furnished
    dominique = sb.demo.user("dominique")
    exported = await sb.driver.slash(dominique, "projet exporter", departement="63")
    assert exported.deferred
    assert exported.messages[-1].ephemeral and exported.messages[-1].content == "8 projets exportés."
    [attachment] = exported.messages[-1].attachments
    rows = csv_rows(attachment.data.decode("utf-8"))
    assert len(rows) == 8
    assert list(rows[0]) == list(CSV_HEADER)
    upload = Upload("projets.csv", attachment.data)
    again = await sb.driver.slash(dominique, "projet importer", fichier=upload)
    assert again.deferred  # « thinking… » at once, the report follows
    assert again.messages[-1].content == "Import terminé : 0 créé, 0 mis à jour, 8 inchangés."


async def test_a_bad_import_names_the_rows_and_writes_nothing(furnished: Sandbox) -> None:
    sb = furnished
    before = await sb.bot.db.fetchone("SELECT COUNT(*) FROM projects")
    text = (
        ",".join(CSV_HEADER)
        + "\nNouveau,Thiers,63430,emergence,citoyenne,sci,,non,,,x,,\nMauvais,X,00000,emergence,,,,,,,,,\n"
    )
    reply = await sb.driver.slash(sb.demo.user("dominique"), "projet importer", fichier=Upload("p.csv", text.encode()))
    assert "ligne 3" in reply.text and "00000" in reply.text
    assert tuple(await sb.bot.db.fetchone("SELECT COUNT(*) FROM projects")) == tuple(before)  # type: ignore[arg-type]


async def test_members_cannot_import(furnished: Sandbox) -> None:
    reply = await furnished.driver.slash(
        furnished.demo.user("alex"), "projet importer", fichier=Upload("p.csv", b"nom\n")
    )
    assert reply.content == "Réservé aux organisateurs et aux modérateurs du serveur."


async def test_fiche_autocomplete_and_unknown_project(furnished: Sandbox) -> None:
    sb, alex = furnished, furnished.demo.user("alex")
    choices = await sb.driver.autocomplete(alex, "projet fiche", "projet", "hirond")
    assert choices[0]["name"].startswith(HIRONDELLES)
    reply = await sb.driver.slash(alex, "projet fiche", projet="Projet qui n'existe pas")
    assert "Je ne trouve pas le projet" in reply.content
    with pytest.raises(DriverError):
        await sb.driver.slash(alex, "projet chercher", rayon_km=0)


def test_draft_model_is_the_import_format() -> None:
    assert set(CSV_HEADER) - {"commune"} == set(ProjectDraft.model_fields)


async def test_the_map_of_a_search_near_clermont_numbers_the_found_projects(
    furnished: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = furnished
    maps: list[DrawnMap] = []

    def recorded(request: MapRequest) -> DrawnMap:
        maps.append(draw_map(request))
        return maps[-1]

    monkeypatch.setattr("bot.pictures.maps.draw_map", recorded)
    reply = await sb.driver.slash(sb.demo.user("alex"), "projet chercher", pres_de="insee:63113", rayon_km=30)
    assert reply.message is not None
    found = int(reply.embeds[0]["description"].split()[0])
    assert found == 7  # two pages: the map numbers them all, beyond the page shown
    listed = [field["name"].split(" ", 2)[2] for field in reply.embeds[0]["fields"]]
    shown = await sb.driver.click(sb.demo.user("sam"), reply.message, "Voir sur la carte")
    assert shown.deferred and shown.messages[-1].ephemeral
    assert shown.messages[-1].content == f"{found} projects on the map."  # Sam's Discord is in English
    [attachment] = shown.messages[-1].attachments
    picture = Image.open(io.BytesIO(attachment.data))
    assert picture.size == (800, 800) and len(attachment.data) <= 400 * 1024
    [drawn_map] = maps
    assert [p.number for p in drawn_map.placed] == list(range(1, found + 1))
    assert all(p.panel == "main" and math.hypot(p.x_km, p.y_km) <= 30 for p in drawn_map.placed)
    # The first page's markers stand where the listed projects are.
    for number, name in enumerate(listed, start=1):
        row = await sb.bot.db.fetchone("SELECT lat, lon FROM projects WHERE nom = ?", (name,))
        assert row is not None
        [marker] = [m for m in drawn_map.placed if m.number == number]
        expected = Projection(45.7772, 3.0870)(row["lat"], row["lon"])
        assert (marker.x_km, marker.y_km) == pytest.approx(expected, abs=3)


async def test_a_record_locates_its_project_on_its_regions_map(
    furnished: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = furnished
    maps: list[tuple[MapRequest, DrawnMap]] = []

    def recorded(request: MapRequest) -> DrawnMap:
        maps.append((request, draw_map(request)))
        return maps[-1][1]

    monkeypatch.setattr("bot.pictures.maps.draw_map", recorded)
    alex = sb.demo.user("alex")
    fiche = await sb.driver.slash(alex, "projet fiche", projet="Le Hameau des Essais (démo)")
    assert fiche.message is not None
    shown = await sb.driver.click(alex, fiche.message, "Situer sur la carte")
    assert shown.deferred and shown.messages[-1].ephemeral
    assert shown.messages[-1].content == "Le Hameau des Essais (démo) — Thiers, 63"
    [attachment] = shown.messages[-1].attachments
    assert Image.open(io.BytesIO(attachment.data)).size == (480, 480)
    [(request, drawn_map)] = maps
    assert "63" in request.departements and "69" in request.departements  # Auvergne-Rhône-Alpes, framed
    [marker] = request.markers
    assert (marker.departement, marker.kind) == ("63", "emergence")
    assert [p.number for p in drawn_map.placed] == [1]
