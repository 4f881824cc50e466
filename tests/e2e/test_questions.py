"""Issue 13: questions at registration, the list for the venue, registering from /evenement liste — through
the real discord.py client and the emulator."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import threading
from collections.abc import Mapping
from typing import Any
from zoneinfo import ZoneInfo

import pytest

import cogs.ui.events
from bot.dates import discord_time
from bot.events.questions import VenueList
from bot.events.venue import venue_csv
from bot.sandbox.driver import Message, Reply
from bot.sandbox.harness import Sandbox
from bot.sandbox.state import User
from tests.e2e.test_events import card, create, only_event_id, two_events_listed

TRAIN = "Venez-vous en train ?"
WORKSHOP = "Quel atelier d'abord ?"
ACCESS = "Besoins d'accessibilité"
CROWD = 3000


async def add_question(sb: Sandbox, page: Message, values: dict[str, str | list[str]]) -> Reply:
    organiser = sb.demo.user("dominique")
    form = await sb.driver.click(organiser, page, "Ajouter une question")
    assert form.modal is not None, form.text
    return await sb.driver.submit(organiser, form, values)


async def event_with_questions(sb: Sandbox, capacity: int | None = None) -> int:
    """An event with a required yes/no, a choice and an optional short text, added as an organiser does."""
    await create(sb, capacity=capacity)
    event_id = await only_event_id(sb)
    page = await sb.driver.slash(sb.demo.user("dominique"), "evenement questions", evenement=str(event_id))
    assert "Aucune question" in page.text
    assert page.message is not None
    added = await add_question(
        sb, page.message, {"question-texte": TRAIN, "question-type": ["oui_non"], "question-obligatoire": ["oui"]}
    )
    assert added.message is not None
    added = await add_question(
        sb, added.message,
        {"question-texte": WORKSHOP, "question-type": ["choix"], "question-choix": "Foncier solidaire\nJuridique\n"},
    )  # fmt: skip
    assert added.message is not None
    added = await add_question(sb, added.message, {"question-texte": ACCESS, "question-type": ["texte"]})
    assert "3 questions posées à l'inscription" in added.text
    assert "Foncier solidaire / Juridique" in added.text
    return event_id


def modal_values(reply: Reply) -> dict[str, Any]:
    """What the form shows, by label: a text field's value, a menu's chosen values."""
    assert reply.modal is not None, reply.text
    shown: dict[str, Any] = {}
    for row in reply.modal["components"]:
        inner = row["component"] if row["type"] == 18 else row["components"][0]
        label = row.get("label") or inner["label"]
        if inner["type"] == 4:
            shown[label] = inner.get("value")
        else:
            shown[label] = [o["value"] for o in inner["options"] if o.get("default")]
    return shown


async def csv_rows(sb: Sandbox, event_id: int) -> tuple[Reply, list[dict[str, str]]]:
    listing = await sb.driver.slash(sb.demo.user("dominique"), "evenement participants", evenement=str(event_id))
    [attachment] = [a for m in listing.messages for a in m.attachments]
    return listing, list(csv.DictReader(io.StringIO(attachment.data.decode())))


async def test_a_member_answers_the_questions_when_registering_and_changes_them(furnished: Sandbox) -> None:
    sb = furnished
    event_id = await event_with_questions(sb, capacity=10)
    alex = sb.demo.user("alex")

    form = await sb.driver.click(alex, await card(sb), "S'inscrire")
    assert list(modal_values(form)) == [TRAIN, WORKSHOP, ACCESS]
    done = await sb.driver.submit(alex, form, {TRAIN: ["oui"], WORKSHOP: ["Juridique"], ACCESS: "Fauteuil roulant"})
    assert done.content.startswith("Inscription confirmée pour 1 personne")
    assert done.message is not None

    _, rows = await csv_rows(sb, event_id)
    [row] = rows
    assert (row["nom"], row[TRAIN], row[WORKSHOP], row[ACCESS]) == ("Alex", "oui", "Juridique", "Fauteuil roulant")
    assert row["present"] == "non" and row["personnes"] == "1" and row["accompagnants"] == "0"
    assert row["inscrit_le"].count(":") == 1  # "2027-… 14:00", in Paris time, as text

    again = await sb.driver.click(alex, done.message, "Modifier mes réponses")
    assert modal_values(again) == {TRAIN: ["oui"], WORKSHOP: ["Juridique"], ACCESS: "Fauteuil roulant"}
    changed = await sb.driver.submit(alex, again, {TRAIN: ["non"], ACCESS: ""})
    assert "sont enregistrées" in changed.content
    _, [row] = await csv_rows(sb, event_id)
    assert (row[TRAIN], row[WORKSHOP], row[ACCESS]) == ("non", "Juridique", "")

    # /evenement inscrire asks them too, as the member left them; registering again keeps one registration.
    through_command = await sb.driver.slash(alex, "evenement inscrire", evenement=str(event_id))
    assert modal_values(through_command)[TRAIN] == ["non"]
    updated = await sb.driver.submit(alex, through_command, {WORKSHOP: ["Foncier solidaire"]})
    assert updated.content.startswith("Inscription mise à jour")
    _, [row] = await csv_rows(sb, event_id)
    assert row[WORKSHOP] == "Foncier solidaire"


async def test_a_bad_question_is_refused_and_given_back(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb)
    event_id = await only_event_id(sb)
    organiser = sb.demo.user("dominique")
    page = await sb.driver.slash(organiser, "evenement questions", evenement=str(event_id))
    assert page.message is not None
    typed: dict[str, str | list[str]] = {
        "question-texte": WORKSHOP,
        "question-type": ["choix"],
        "question-choix": "Un seul atelier",
    }
    refused = await add_question(sb, page.message, typed)
    assert "de 2 à 10" in refused.text and refused.ephemeral
    assert await sb.bot.core.questions.questions(event_id) == []
    back = await sb.driver.click(organiser, refused.messages[-1], "Reprendre")
    assert modal_values(back)["Choix, un par ligne (question à choix)"] == "Un seul atelier"
    # A member may not change an event's questions.
    member = await sb.driver.slash(sb.demo.user("alex"), "evenement questions", evenement=str(event_id))
    assert "Seuls l'organisateur" in member.content


async def test_the_organiser_removes_a_question_and_its_answers(furnished: Sandbox) -> None:
    sb = furnished
    event_id = await event_with_questions(sb)
    alex = sb.demo.user("alex")
    form = await sb.driver.slash(alex, "evenement inscrire", evenement=str(event_id))
    await sb.driver.submit(alex, form, {TRAIN: ["oui"], WORKSHOP: ["Juridique"]})
    page = await sb.driver.slash(sb.demo.user("dominique"), "evenement questions", evenement=str(event_id))
    assert page.message is not None
    [question] = [q for q in await sb.bot.core.questions.questions(event_id) if q.text == TRAIN]
    removed = await sb.driver.choose(sb.demo.user("dominique"), page.message, [str(question.id)])
    assert "2 questions posées" in removed.text
    _, [row] = await csv_rows(sb, event_id)
    assert TRAIN not in row and row[WORKSHOP] == "Juridique"


async def test_answers_are_exported_and_erased_with_the_members_data(furnished: Sandbox) -> None:
    sb = furnished
    event_id = await event_with_questions(sb)
    alex = sb.demo.user("alex")
    form = await sb.driver.slash(alex, "evenement inscrire", evenement=str(event_id))
    await sb.driver.submit(alex, form, {TRAIN: ["oui"], WORKSHOP: ["Juridique"], ACCESS: "Fauteuil roulant"})

    exported = await sb.driver.slash(alex, "mes-donnees voir")
    [attachment] = exported.messages[0].attachments
    answers = json.loads(attachment.data)["reponses_aux_questions"]
    assert {(a["question"], a["reponse"]) for a in answers} == {
        (TRAIN, "oui"), (WORKSHOP, "Juridique"), (ACCESS, "Fauteuil roulant"),
    }  # fmt: skip

    confirm = await sb.driver.slash(alex, "mes-donnees supprimer")
    assert confirm.message is not None
    await sb.driver.click(alex, confirm.message, "Tout effacer")
    assert await sb.bot.db.fetchall("SELECT * FROM registration_answers") == []
    assert (await sb.bot.events.store.must_get(event_id)).seats_taken == 1  # the seat stays counted


async def test_register_from_the_lists_menu(furnished: Sandbox) -> None:
    sb = furnished
    alex, listing = await two_events_listed(sb)
    menu = listing.select("S'inscrire à un de ces événements")
    assert [o["label"] for o in menu["options"]] == ["1. Portes ouvertes des Hirondelles", "2. JPO lyonnaise"]
    joined = await sb.driver.choose(alex, listing, ["2. JPO lyonnaise"])
    event = (await sb.bot.events.titles_like("JPO lyonnaise"))[0]
    assert (
        joined.content == f"Inscription confirmée pour 1 personne à « JPO lyonnaise », {discord_time(event.starts_at)}."
    )
    mine = await sb.driver.slash(alex, "evenement liste", mes_inscriptions=True)
    assert "JPO lyonnaise" in mine.text and "Hirondelles" not in mine.text


async def test_register_from_the_list_then_answer_the_questions(furnished: Sandbox) -> None:
    sb = furnished
    event_id = await event_with_questions(sb)
    sam = sb.demo.user("sam")
    listing = await sb.driver.slash(sam, "evenement liste")
    assert listing.message is not None
    form = await sb.driver.choose(sam, listing.message, [str(event_id)])
    assert list(modal_values(form)) == [TRAIN, WORKSHOP, ACCESS]
    done = await sb.driver.submit(sam, form, {TRAIN: ["non"], WORKSHOP: ["Foncier solidaire"]})
    assert done.content.startswith("Registration confirmed")  # Sam reads English
    assert await sb.bot.events.store.registration_of(event_id, sam.id) is not None


async def seed_crowd(sb: Sandbox, event_id: int, people: list[User]) -> None:
    """3,000 registrations with their answers, written through the stores (not 3,000 interactions)."""
    questions = await sb.bot.core.questions.questions(event_id)
    store = sb.bot.events.store
    for i, person in enumerate(people):
        outcome = await store.register(event_id, seats=1 + i % 3, user_id=person.id)
        answer = '=HYPERLINK("x")' if i == 0 else f"réponse {i}"
        await sb.bot.core.questions.store.save(
            outcome.registration.id, {questions[0].id: "oui", questions[2].id: answer}
        )


async def test_the_list_of_three_thousand_is_made_while_other_members_are_answered(
    furnished: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = furnished
    event_id = await event_with_questions(sb, capacity=10_000)
    people = [sb.emulator.add_user(f"membre{i:04d}") for i in range(CROWD)]
    await seed_crowd(sb, event_id, people)

    # The file is held half-written until another member has been answered: written on the event loop, the
    # bot could answer nobody meanwhile and the gate would time out.
    gate, writing = threading.Event(), threading.Event()

    def held(venue: VenueList, names: Mapping[int, str], zone: ZoneInfo) -> bytes:
        writing.set()
        assert gate.wait(timeout=10), "nobody was answered while the file was written"
        return venue_csv(venue, names, zone)

    monkeypatch.setattr(cogs.ui.events, "venue_csv", held)
    sent_before = len(sb.emulator.requests)
    listing_task = asyncio.create_task(
        sb.driver.slash(sb.demo.user("dominique"), "evenement participants", evenement=str(event_id))
    )
    assert await asyncio.to_thread(writing.wait, 10)
    [record] = [i for i in sb.emulator.interactions.values() if i.type == 2 and i.response_type == 5]
    assert record.followup_ids == []  # deferred ("thinking"), the file still to come

    other = sb.emulator.interactions
    before = set(other)
    alex_task = asyncio.create_task(sb.driver.slash(sb.demo.user("alex"), "evenement liste"))
    await sb.driver.until(lambda: any(other[k].response_type is not None for k in set(other) - before))
    assert record.followup_ids == []  # Alex answered while the list is being written
    gate.set()
    listing, alex = await asyncio.gather(listing_task, alex_task)

    assert "événement" in alex.text
    # Names come from the member cache: no request per member (only the answers' own requests).
    assert not [r for r in sb.emulator.requests[sent_before:] if "/members" in r.route], "a request per member"
    assert listing.deferred
    [attachment] = [a for m in listing.messages for a in m.attachments]
    rows = list(csv.DictReader(io.StringIO(attachment.data.decode())))
    assert len(rows) == CROWD
    assert rows[0][ACCESS] == '\'=HYPERLINK("x")'  # shown as text by a spreadsheet, never run
    assert sum(int(row["personnes"]) for row in rows) == sum(1 + i % 3 for i in range(CROWD))
    summary = listing.messages[-1].embeds[0]
    assert "Places prises : 6000 sur 10000." in summary["description"]


async def test_an_answer_outside_the_choices_is_refused_quoted_and_the_form_comes_back(furnished: Sandbox) -> None:
    """Discord's client only sends a menu's own options; a forged or outdated one gets a clear refusal."""
    sb = furnished
    event_id = await event_with_questions(sb)
    alex = sb.demo.user("alex")
    form = await sb.driver.slash(alex, "evenement inscrire", evenement=str(event_id))
    assert form.modal is not None
    [train] = [row["component"] for row in form.modal["components"] if row["label"] == TRAIN]
    train["options"].append({"label": "Peut-être", "value": "peut-être"})
    refused = await sb.driver.submit(alex, form, {TRAIN: ["peut-être"], WORKSHOP: ["Juridique"], ACCESS: "Aucun"})
    assert refused.content == "« peut-être » ne répond pas à « Venez-vous en train ? » : choisissez parmi oui / non."
    assert refused.ephemeral
    assert await sb.bot.events.store.registration_of(event_id, alex.id) is None
    back = await sb.driver.click(alex, refused.messages[-1], "Reprendre")
    assert modal_values(back)[ACCESS] == "Aucun" and modal_values(back)[WORKSHOP] == ["Juridique"]


async def test_no_form_for_a_cancelled_event(furnished: Sandbox) -> None:
    sb = furnished
    event_id = await event_with_questions(sb)
    await sb.driver.slash(
        sb.demo.user("dominique"), "evenement annuler", evenement=str(event_id), raison="Salle fermée"
    )
    refused = await sb.driver.slash(sb.demo.user("alex"), "evenement inscrire", evenement=str(event_id))
    assert refused.modal is None and "annulé" in refused.content
