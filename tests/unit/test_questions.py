"""Questions at registration: the store, the checks of answers, and the venue's CSV."""

from __future__ import annotations

import asyncio
import contextlib
import csv
import io
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from bot.core import Core
from bot.errors import UserError
from bot.events.models import Event, EventDraft, Manager, Registration, RegistrationStatus, Roster
from bot.events.questions import (
    MAX_QUESTIONS,
    Question,
    QuestionDraft,
    QuestionKind,
    VenueList,
    checked_answers,
)
from bot.events.venue import FORMULA_START, cell, venue_csv
from bot.vocabulary import EventKind

ORGANISER = 42
START = datetime(2027, 4, 10, 12, 0, tzinfo=UTC)
PARIS = ZoneInfo("Europe/Paris")
BY = Manager(ORGANISER, 1, organiser=True, moderator=False)


async def new_event(core: Core) -> int:
    draft = EventDraft(
        guild_id=1, kind=EventKind.jpo, title="Portes ouvertes", starts_at=START,
        ends_at=START + timedelta(hours=3), code_insee="63113", organiser_id=ORGANISER,
    )  # fmt: skip
    [event] = await core.events.create(draft)
    return event.id


YES_NO = QuestionDraft(text="Venez-vous en train ?", kind=QuestionKind.yes_no, required=True)
CHOICE = QuestionDraft(text="Quel atelier ?", kind=QuestionKind.choice, choices="Foncier\n\n Juridique \n")
TEXT = QuestionDraft(text="Régime alimentaire", kind=QuestionKind.text)


def test_a_choice_question_is_typed_one_a_line() -> None:
    assert CHOICE.choices == ("Foncier", "Juridique")
    for bad in ("Seul", "\n".join(str(i) for i in range(11)), "Foncier\nfoncier"):
        with pytest.raises(ValidationError):
            QuestionDraft(text="Quel atelier ?", kind=QuestionKind.choice, choices=bad)
    with pytest.raises(ValidationError):
        QuestionDraft(text="Venez-vous ?", kind=QuestionKind.yes_no, choices=("oui", "non"))


async def test_questions_are_added_in_order_up_to_five_and_removed_with_their_answers(core: Core) -> None:
    event_id = await new_event(core)
    service = core.questions
    for draft in (YES_NO, CHOICE, TEXT):
        await service.add(event_id, draft, by=BY)
    questions = await service.questions(event_id)
    assert [(q.text, q.position) for q in questions] == [(YES_NO.text, 1), (CHOICE.text, 2), (TEXT.text, 3)]
    assert questions[1].choices == ("Foncier", "Juridique") and questions[0].required

    outcome = await service.register(
        event_id, {questions[0].id: "Oui", questions[1].id: "juridique"}, seats=2, user_id=7
    )
    assert await service.answers(event_id, 7) == {questions[0].id: "oui", questions[1].id: "Juridique"}
    await service.remove(event_id, questions[1].id, by=BY)
    assert await core.questions.store.answers_of(outcome.registration.id) == {questions[0].id: "oui"}

    for _ in range(MAX_QUESTIONS - 2):
        await service.add(event_id, TEXT, by=BY)
    with pytest.raises(UserError, match="au plus par événement"):
        await service.add(event_id, TEXT, by=BY)
    with pytest.raises(UserError, match="Seuls l'organisateur"):
        await service.add(event_id, TEXT, by=Manager(7, 1, organiser=True, moderator=False))


async def test_concurrent_additions_keep_to_five_questions_numbered_once(core: Core) -> None:
    events = [await new_event(core) for _ in range(4)]

    async def attempt(event_id: int) -> None:
        with contextlib.suppress(UserError):
            await core.questions.add(event_id, TEXT, by=BY)

    await asyncio.gather(*(attempt(event_id) for event_id in events for _ in range(2 * MAX_QUESTIONS)))
    for event_id in events:
        positions = [q.position for q in await core.questions.questions(event_id)]
        assert positions == list(range(1, MAX_QUESTIONS + 1))


async def test_a_bad_answer_is_refused_quoting_it_and_changes_nothing(core: Core) -> None:
    event_id = await new_event(core)
    questions = await core.questions.add(event_id, YES_NO, by=BY)
    with pytest.raises(UserError) as refused:
        await core.questions.register(event_id, {questions[0].id: "peut-être"}, seats=1, user_id=7)
    assert refused.value.params["reponse"] == "peut-être"
    with pytest.raises(UserError, match="demande une réponse"):
        await core.questions.register(event_id, {questions[0].id: " "}, seats=1, user_id=7)
    assert await core.events.store.registration_of(event_id, 7) is None
    with pytest.raises(UserError, match="pas inscrit"):
        await core.questions.change_answers(event_id, 7, {questions[0].id: "oui"})


def test_an_empty_optional_answer_is_no_answer() -> None:
    asked = Question(id=1, event_id=1, position=1, **TEXT.model_dump())
    assert checked_answers([asked], {1: "  "}) == {}
    assert checked_answers([asked], {1: " Végétarien "}) == {1: "Végétarien"}
    with pytest.raises(UserError, match="ont changé"):
        checked_answers([asked], {2: "oui"})


@settings(max_examples=60, deadline=None)
@given(text=st.text(max_size=40))
def test_a_csv_cell_reads_back_as_typed_and_never_runs_as_a_formula(text: str) -> None:
    output = io.StringIO()
    csv.writer(output, lineterminator="\r\n").writerow([cell(text), "fin"])
    [row] = list(csv.reader(io.StringIO(output.getvalue())))
    shown = row[0]
    assert not shown.startswith(FORMULA_START)
    assert shown == (f"'{text}" if text.startswith(FORMULA_START) else text)
    assert row[1] == "fin"


@settings(max_examples=30, deadline=None)
@given(answer=st.text(min_size=1, max_size=60).filter(str.strip), name=st.text(max_size=30))
async def test_the_venue_file_keeps_answers_and_names_with_quotes_and_newlines(answer: str, name: str) -> None:
    event = Event.model_validate(
        {"id": 1, "guild_id": 1, "kind": "jpo", "title": "JPO", "starts_at": START, "organiser_id": 1,
         "ends_at": START + timedelta(hours=1), "online_url": "https://exemple.org", "commune": None,
         "departement": None, "region": None, "lat": None, "lon": None, "series_id": None, "status": "prevu",
         "cancel_reason": None, "discord_event_id": None, "announce_channel_id": None, "announce_message_id": None}
    )  # fmt: skip
    registration = Registration(
        id=5, event_id=1, session_id=None, user_id=9, guest_name=None, seats=2, status=RegistrationStatus.confirmed,
        remind=True, locale="fr", registered_by=9, dm_closed=False, created_at=START, checked_in_at=START,
    )  # fmt: skip
    question = Question(id=3, event_id=1, position=1, **TEXT.model_dump())
    venue = VenueList(Roster(event, (registration,), ()), (question,), {5: {3: answer}})
    [row] = list(csv.DictReader(io.StringIO(venue_csv(venue, {9: name}, PARIS).decode())))
    assert row[TEXT.text] == cell(answer)
    assert row["nom"] == cell(name)
    assert (row["personnes"], row["accompagnants"], row["present"]) == ("2", "1", "oui")
    assert row["inscrit_le"] == "2027-04-10 14:00"
