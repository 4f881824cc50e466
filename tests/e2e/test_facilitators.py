"""Facilitators through the real client and the emulator: the directory near Clermont-Ferrand,
registration and moderation, edits and contacts, contact through the bot (nothing revealed before an
answer), CSV import; and a crash test for every kind of message the facilitators send on their own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from bot.resources.facilitators.csvfile import CSV_HEADER
from bot.resources.facilitators.service import ANSWERED, LAPSED, MODERATION, QUESTION, REQUEST, VERDICT, WITHDRAWN
from bot.sandbox.driver import Message, Reply, Upload
from bot.sandbox.harness import Sandbox
from tests.e2e.lives import dies_after_sending, lives
from tests.support import ManualDateClock

CLERMONT, THIERS = "insee:63113", "insee:63430"
CAIRN = "Cairn Accompagnement (démo)"
FORM: dict[str, str | list[str]] = {
    "accomp-nom": "La Boussole (test)",
    "accomp-zone": "63, Allier",
    "accomp-expertises": ["dynamiques_groupes", "gestion_projets"],
    "accomp-etapes": ["emergence"],
    "accomp-postures": ["facilitation"],
}


async def facilitator_id(sb: Sandbox, name: str) -> int:
    row = await sb.bot.db.fetchone("SELECT id FROM facilitators WHERE nom = ?", (name,))
    assert row is not None
    return int(row["id"])


def card(sb: Sandbox) -> Message:
    return Message(sb.emulator, sb.emulator.messages_in(sb.demo.channel("moderation"))[-1])


def last_dm(sb: Sandbox, who: str) -> Message:
    return Message(sb.emulator, sb.emulator.dms_to(sb.demo.user(who))[-1])


async def register(sb: Sandbox, who: str = "alex", **changes: str | list[str]) -> Reply:
    member = sb.demo.user(who)
    form = await sb.driver.slash(
        member, "accompagnement inscrire", commune=THIERS, structure="cooperative", suivi="continu",
        site="https://exemple.org/boussole", contact="bonjour@exemple.org",
    )  # fmt: skip
    assert form.modal is not None, form.text
    submitted = await sb.driver.submit(member, form, {**FORM, **changes})
    await sb.bot.scheduler.run_due()
    return submitted


async def published(sb: Sandbox, who: str = "alex") -> int:
    await register(sb, who)
    await sb.driver.click(sb.demo.user("morgane"), card(sb), "Publier")
    await sb.bot.scheduler.run_due()
    return await facilitator_id(sb, "La Boussole (test)")


# ---------------------------------------------------------------------- the directory


async def test_the_directory_near_clermont_puts_the_puy_de_dome_facilitator_first(furnished: Sandbox) -> None:
    sb = furnished
    found = await sb.driver.slash(
        sb.demo.user("alex"), "accompagnement annuaire", pres_de=CLERMONT, expertise="dynamiques_groupes",
        etape="emergence", rayon_km=150,
    )  # fmt: skip
    assert not found.ephemeral
    fields = found.embeds[0]["fields"]
    assert fields[0]["name"] == f"1. 🧭 {CAIRN}"
    assert fields[0]["value"].startswith(
        "Clermont-Ferrand (63) · dynamiques de groupes, émergence, intervient sur votre territoire, à moins d'1 km"
    )
    assert [f["name"].split("🧭 ")[1] for f in fields] == [CAIRN, "Trame Commune (démo)"]
    assert found.message is not None
    opened = await sb.driver.choose(sb.demo.user("sam"), found.message, [CAIRN])
    assert opened.ephemeral and opened.embeds[0]["title"] == f"🧭 {CAIRN}"
    assert opened.embeds[0]["footer"]["text"].startswith("Record confirmed on")
    assert "**Expertise**: Citizen participation, Group dynamics" in opened.text  # Sam reads English
    assert [b["label"] for b in opened.message.buttons] == ["Ask to be put in touch"]  # type: ignore[union-attr]


async def test_the_place_is_offered_as_the_member_types_it(furnished: Sandbox) -> None:
    choices = await furnished.driver.autocomplete(
        furnished.demo.user("alex"), "accompagnement annuaire", "pres_de", "clermont-f"
    )
    assert choices[0]["value"] == CLERMONT


async def test_nothing_found_is_said_plainly(furnished: Sandbox) -> None:
    reply = await furnished.driver.slash(
        furnished.demo.user("alex"), "accompagnement annuaire", pres_de="insee:2A004", rayon_km=10
    )
    assert reply.ephemeral and reply.content == "Aucune structure ne correspond. Essayez un rayon plus large."


# ---------------------------------------------------------------------- registration and moderation


async def test_a_registration_waits_in_the_moderation_queue_then_is_published(furnished: Sandbox) -> None:
    sb = furnished
    submitted = await register(sb)
    assert submitted.ephemeral and "attend la validation d'un modérateur" in submitted.content
    row = await sb.bot.db.fetchone(
        "SELECT statut, commune, structure, contact FROM facilitators WHERE nom = 'La Boussole (test)'"
    )
    assert row is not None and tuple(row) == ("en_attente", "Thiers", "cooperative", "bonjour@exemple.org")
    message = card(sb)
    assert "Nouvelle structure d'accompagnement à valider" in message.text
    assert "Allier (03), Puy-de-Dôme (63)" in message.text
    refused = await sb.driver.click(sb.demo.user("alex"), message, "Publier")
    assert "Seuls les modérateurs" in refused.content
    await sb.driver.click(sb.demo.user("morgane"), message, "Publier")
    assert message.buttons == [] and "Publié par Morgane" in message.text
    await sb.bot.scheduler.run_due()
    assert last_dm(sb, "alex").content == "✅ « La Boussole (test) » est publiée dans l'annuaire de l'accompagnement."
    found = await sb.driver.slash(sb.demo.user("sam"), "accompagnement annuaire", pres_de=THIERS, rayon_km=5)
    assert "La Boussole (test)" in found.text


async def test_a_refusal_tells_the_member_why_in_their_language(furnished: Sandbox) -> None:
    sb = furnished
    await register(sb, "sam")
    form = await sb.driver.click(sb.demo.user("morgane"), card(sb), "Refuser")
    await sb.driver.submit(sb.demo.user("morgane"), form, {"Raison (envoyée à la personne)": "Hors réseau"})
    await sb.bot.scheduler.run_due()
    assert (
        last_dm(sb, "sam").content == "❌ “La Boussole (test)” was not accepted in the directory. Reason: Hors réseau"
    )


async def test_a_refused_form_is_given_back_as_typed_and_writes_nothing(furnished: Sandbox) -> None:
    sb = furnished
    before = await sb.bot.db.fetchone("SELECT COUNT(*) AS n FROM facilitators")
    refused = await register(sb, **{"accomp-zone": "63, Atlantide"})
    assert refused.ephemeral and "Je ne reconnais pas « Atlantide » dans le territoire" in refused.content
    assert (await sb.bot.db.fetchone("SELECT COUNT(*) AS n FROM facilitators"))["n"] == before["n"]  # type: ignore[index]
    assert refused.message is not None
    again = await sb.driver.click(sb.demo.user("alex"), refused.message, "Reprendre")
    assert again.modal is not None
    assert "63, Atlantide" in str(again.modal)
    bad_site = await sb.driver.slash(
        sb.demo.user("alex"), "accompagnement inscrire", commune=THIERS, structure="association", site="ftp://x"
    )
    assert bad_site.modal is None and "le site doit commencer par http:// ou https://" in bad_site.content


async def test_members_edit_their_record_and_add_a_contact(furnished: Sandbox) -> None:
    sb = furnished
    ident = await published(sb)
    alex, sam = sb.demo.user("alex"), sb.demo.user("sam")
    choices = await sb.driver.autocomplete(alex, "accompagnement modifier", "nom", "bous")
    assert [c["name"] for c in choices] == ["La Boussole (test) — Thiers"]
    assert await sb.driver.autocomplete(sam, "accompagnement modifier", "nom", "bous") == []
    refused = await sb.driver.slash(sam, "accompagnement modifier", nom=str(ident))
    assert "Only the structure's members and the moderators" in refused.content
    form = await sb.driver.slash(alex, "accompagnement modifier", nom=str(ident), suivi="les_deux")
    done = await sb.driver.submit(alex, form, {"accomp-zone": "Auvergne-Rhône-Alpes"})
    assert done.content == "Fiche de « La Boussole (test) » mise à jour."
    edited = await sb.bot.core.facilitators.store.must_get(ident)
    assert edited.zone.regions == {"84"} and len(edited.suivis) == 2 and edited.nom == "La Boussole (test)"
    added = await sb.driver.slash(alex, "accompagnement ajouter-contact", nom=str(ident), membre=sam)
    assert added.content == f"<@{sam.id}> est désormais contact de « La Boussole (test) »."
    assert (await sb.bot.core.facilitators.store.must_get(ident)).members == (alex.id, sam.id)


# ---------------------------------------------------------------------- contact through the bot


async def ask(sb: Sandbox, who: str, text: str = "Notre collectif bloque sur la prise de décision.") -> Reply:
    found = await sb.driver.slash(sb.demo.user(who), "accompagnement annuaire", pres_de=THIERS, rayon_km=5)
    assert found.message is not None
    opened = await sb.driver.choose(sb.demo.user(who), found.message, ["La Boussole (test)"])
    assert opened.message is not None
    label = "Ask to be put in touch" if who == "sam" else "Demander un contact"
    form = await sb.driver.click(sb.demo.user(who), opened.message, label)
    label = "Your project, your need" if who == "sam" else "Votre projet, votre besoin"
    return await sb.driver.submit(sb.demo.user(who), form, {label: text})


async def test_contact_reveals_nothing_until_the_facilitator_accepts(furnished: Sandbox) -> None:
    sb = furnished
    await published(sb)
    alex, sam = sb.demo.user("alex"), sb.demo.user("sam")
    sent = await ask(sb, "sam")
    assert sent.ephemeral and sent.content.startswith("Request sent.")
    await sb.bot.scheduler.run_due()
    request = last_dm(sb, "alex")
    assert request.embeds[0]["description"] == "Notre collectif bloque sur la prise de décision."
    assert str(sam.id) not in request.text and "Sam" not in request.text
    assert [b["label"] for b in request.buttons] == ["Accepter", "Décliner"]
    assert sb.emulator.dms_to(sam) == []
    accepted = await sb.driver.click(alex, request, "Accepter")
    assert f"<@{sam.id}>" in accepted.content and request.buttons == []
    await sb.bot.scheduler.run_due()
    told = last_dm(sb, "sam").content
    assert f"<@{alex.id}>" in told and "bonjour@exemple.org" in told
    again = await ask(sb, "sam", "Une autre question pour vous, merci.")
    assert again.content.startswith("Request sent.")


async def test_a_declined_request_tells_the_asker_and_reveals_nobody(furnished: Sandbox) -> None:
    sb = furnished
    await published(sb)
    await ask(sb, "dominique")
    await sb.bot.scheduler.run_due()
    await sb.driver.click(sb.demo.user("alex"), last_dm(sb, "alex"), "Décliner")
    await sb.bot.scheduler.run_due()
    told = last_dm(sb, "dominique").content
    assert told.startswith("« La Boussole (test) » ne donne pas suite") and "<@" not in told


async def test_moderators_import_a_csv_and_the_same_file_twice_changes_nothing(furnished: Sandbox) -> None:
    sb = furnished
    text = ",".join(CSV_HEADER) + "\nL'Escale (test),association,Thiers,63430,63,immobilier,realisation,,,,\n"
    first = await sb.driver.slash(
        sb.demo.user("morgane"), "accompagnement importer", fichier=Upload("a.csv", text.encode())
    )
    assert first.messages[-1].content == "Import terminé : 1 créé, 0 mis à jour, 0 inchangé."
    again = await sb.driver.slash(
        sb.demo.user("morgane"), "accompagnement importer", fichier=Upload("a.csv", text.encode())
    )
    assert again.messages[-1].content == "Import terminé : 0 créé, 0 mis à jour, 1 inchangé."
    bad = text + "Autre (test),association,Thiers,63430,Atlantide,immobilier,realisation,,,,\n"
    refused = await sb.driver.slash(
        sb.demo.user("morgane"), "accompagnement importer", fichier=Upload("b.csv", bad.encode())
    )
    assert "ligne 3" in refused.text and "Atlantide" in refused.text
    member = await sb.driver.slash(sb.demo.user("alex"), "accompagnement importer", fichier=Upload("a.csv", b"nom\n"))
    assert "Seuls les modérateurs" in member.content


# ---------------------------------------------------------------------- the ledger: exactly once


async def test_a_card_queued_by_a_bot_that_dies_is_posted_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life() as first:
            await register(first)
            assert world.emulator.messages_in(world.demo.channel("moderation")) == []
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
            assert len(world.emulator.messages_in(world.demo.channel("moderation"))) == 1
            assert await again.bot.core.outbox.store.counts(MODERATION) == {"sent": 1}


@pytest.mark.parametrize("verdict", ["Publier", "Refuser"])
async def test_a_verdict_of_a_bot_that_dies_is_sent_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock, verdict: str
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await register(first)
        async with world.life(delivers=False) as dying:
            answered = await dying.driver.click(world.demo.user("morgane"), card(dying), verdict)
            if answered.modal is not None:
                await dying.driver.submit(
                    world.demo.user("morgane"), answered, {"Raison (envoyée à la personne)": "Hors du réseau"}
                )
            assert world.emulator.dms_to(world.demo.user("alex")) == []
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
            assert await again.bot.core.outbox.store.counts(VERDICT) == {"sent": 1}
        assert len(world.emulator.dms_to(world.demo.user("alex"))) == 1


async def test_a_request_and_its_answer_of_bots_that_die_are_sent_once(tmp_path: Path, clock: ManualDateClock) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await published(first)
        async with world.life(delivers=False) as dying:
            await ask(dying, "sam")
            assert await dying.bot.core.outbox.store.counts(REQUEST) == {"pending": 1}
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
            request = last_dm(again, "alex")
        async with world.life(delivers=False) as dying:
            await dying.driver.click(world.demo.user("alex"), request, "Accepter")
            assert await dying.bot.core.outbox.store.counts(ANSWERED) == {"pending": 1}
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
        assert len(world.emulator.dms_to(world.demo.user("sam"))) == 1
        # The verdict, and the one request (its buttons now replaced by the answer).
        assert len(world.emulator.dms_to(world.demo.user("alex"))) == 2


async def test_an_answer_sent_by_a_bot_killed_before_marking_it_is_not_sent_twice(
    tmp_path: Path, clock: ManualDateClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await published(first)
            await ask(first, "sam")
            await first.bot.scheduler.run_due()
            await first.driver.click(world.demo.user("alex"), last_dm(first, "alex"), "Décliner")
            dies_after_sending(monkeypatch, first.bot)
            await first.bot.scheduler.run_due()
            monkeypatch.undo()
        async with world.life() as again:
            clock.advance(minutes=2)
            assert await again.bot.scheduler.run_due() == 1
        assert len(world.emulator.dms_to(world.demo.user("sam"))) == 1


async def test_the_yearly_question_of_a_bot_that_dies_is_asked_once_then_answered(
    tmp_path: Path, clock: ManualDateClock
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            ident = await published(first)
        async with world.life(delivers=False) as dying:
            clock.advance(days=400)
            await dying.bot.core.facilitators.run_due()
            assert await dying.bot.core.outbox.store.counts(QUESTION) == {"pending": 1}
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
            asked = [m for m in world.emulator.dms_to(world.demo.user("alex")) if "toujours exacte" in m["content"]]
            assert len(asked) == 1
            done = await again.driver.click(
                world.demo.user("alex"), Message(world.emulator, asked[0]), "Toujours exacte"
            )
            assert done.content == "Merci ! La fiche de « La Boussole (test) » est confirmée."
            confirmed = await again.bot.core.facilitators.store.must_get(ident)
            assert confirmed.unconfirmed_since(clock()) is None


async def test_a_request_nobody_can_receive_is_closed_and_the_asker_told(furnished: Sandbox) -> None:
    sb = furnished
    ident = await published(sb)
    sb.demo.user("alex").dms_open = False
    await ask(sb, "sam")
    await sb.bot.scheduler.run_due()
    await sb.bot.scheduler.run_due()
    told = last_dm(sb, "sam").content
    assert (
        told.startswith("Your request to “La Boussole (test)” could not be delivered") and "bonjour@exemple.org" in told
    )
    row = await sb.bot.db.fetchone("SELECT status FROM facilitator_requests WHERE facilitator_id = ?", (ident,))
    assert row is not None and row["status"] == "close"
    assert await sb.bot.core.outbox.store.counts(WITHDRAWN) == {"sent": 1}


async def test_a_withdrawal_of_a_bot_that_dies_is_sent_once_by_the_next(tmp_path: Path, clock: ManualDateClock) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await published(first)
            world.demo.user("alex").dms_open = False
        async with world.life(delivers=False) as dying:
            await ask(dying, "sam")
            await dying.bot.core.outbox.run_due()  # the request bounces; the bot dies before the withdrawal
            assert await dying.bot.core.outbox.store.counts(WITHDRAWN) == {"pending": 1}
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
            assert await again.bot.core.outbox.store.counts(WITHDRAWN) == {"sent": 1}
        assert len(world.emulator.dms_to(world.demo.user("sam"))) == 1


async def test_a_lapse_of_a_bot_that_dies_is_sent_once_by_the_next(tmp_path: Path, clock: ManualDateClock) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await published(first)
            await ask(first, "sam")
            await first.bot.scheduler.run_due()
        async with world.life(delivers=False) as dying:
            clock.advance(days=31)
            await dying.bot.core.facilitators.run_due()
            assert await dying.bot.core.outbox.store.counts(LAPSED) == {"pending": 1}
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
        [told] = world.emulator.dms_to(world.demo.user("sam"))
        assert told["content"].startswith("⌛ Your request to “La Boussole (test)”")


async def test_a_member_s_data_goes_and_the_structure_stays(furnished: Sandbox) -> None:
    sb = furnished
    ident = await published(sb)
    alex, sam = sb.demo.user("alex"), sb.demo.user("sam")
    await ask(sb, "sam")
    exported = await sb.driver.slash(sam, "mes-donnees voir")
    data = json.loads(exported.messages[0].attachments[0].data)
    assert data["accompagnement_demandes"][0]["message"] == "Notre collectif bloque sur la prise de décision."
    mine = json.loads((await sb.driver.slash(alex, "mes-donnees voir")).messages[0].attachments[0].data)
    assert mine["accompagnement_structures"][0]["nom"] == "La Boussole (test)"
    for who in (sam, alex):
        confirm = await sb.driver.slash(who, "mes-donnees supprimer")
        assert confirm.message is not None
        await sb.driver.click(who, confirm.message, "Tout effacer" if who is alex else "Erase everything")
    assert await sb.bot.db.fetchall("SELECT * FROM facilitator_requests") == []
    kept = await sb.bot.core.facilitators.store.must_get(ident)
    assert kept.published and kept.members == () and kept.proposed_by is None
