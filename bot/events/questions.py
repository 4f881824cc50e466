"""Questions at registration: an event's organiser asks up to five (a short text, yes or no, one choice
among a few); a member answers them in the form that registers them, and may change them later. The
answers are kept with the registration, shown in the organiser's list for the venue, and leave with
the registration or with the member's data."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Unpack

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from bot.db import Database, Row, from_row
from bot.errors import UserError
from bot.events.models import Manager, Outcome, Roster, Signup
from bot.events.service import EventService
from bot.limits import INPUT_LABEL, SELECT_LABEL
from bot.text import fold

MAX_QUESTIONS = 5  # a Discord form holds five fields: the whole questionnaire fits in one
MAX_CHOICES = 10
ANSWER_LENGTH = 300
YES, NO = "oui", "non"


class QuestionKind(StrEnum):
    text = "texte"
    yes_no = "oui_non"
    choice = "choix"


class QuestionDraft(BaseModel):
    """A question as the organiser typed it; its text is the form field's label (45 characters on Discord)."""

    model_config = ConfigDict(frozen=True, str_strip_whitespace=True)

    text: str = Field(min_length=3, max_length=INPUT_LABEL, title="Question")
    kind: QuestionKind = Field(title="Type de réponse")
    choices: tuple[str, ...] = Field(default=(), title="Choix, un par ligne (question à choix)")
    required: bool = Field(default=False, title="Réponse obligatoire")

    @field_validator("choices", mode="before")
    @classmethod
    def _lines(cls, value: object) -> object:
        """Choices typed one a line: blank lines and spaces around go."""
        if isinstance(value, str):
            value = value.splitlines()
        if isinstance(value, list | tuple):
            return tuple(line.strip() for line in value if isinstance(line, str) and line.strip())
        return value

    @model_validator(mode="after")
    def _coherent(self) -> QuestionDraft:
        if self.kind is not QuestionKind.choice:
            if self.choices:
                raise ValueError("les choix ne servent qu'à une question à choix")
            return self
        if not 2 <= len(self.choices) <= MAX_CHOICES:
            raise ValueError("une question à choix en propose de 2 à 10, un par ligne")
        if any(len(choice) > SELECT_LABEL for choice in self.choices):
            raise ValueError("un choix tient en 100 caractères au plus")
        if len({fold(choice) for choice in self.choices}) < len(self.choices):
            raise ValueError("deux choix sont les mêmes")
        return self


class Question(QuestionDraft):
    id: int
    event_id: int
    position: int


Answers = dict[int, str]  # question id → answer ("oui"/"non", the choice's text, or the text typed)


@dataclass(frozen=True)
class VenueList:
    """The organiser's list for the venue: the roster, the questions, and each registration's answers."""

    roster: Roster
    questions: tuple[Question, ...]
    answers: Mapping[int, Answers]  # by registration id


def checked_answers(questions: Sequence[Question], given: Mapping[int, str]) -> Answers:
    """The answers to keep: each stripped, a choice or a yes/no as the question spells it; an empty
    optional answer is no answer. A wrong one is refused, quoting what was given."""
    known = {question.id for question in questions}
    if set(given) - known:
        raise UserError("Ces questions ont changé : ouvrez le formulaire à nouveau.")
    kept: Answers = {}
    for question in questions:
        typed = (given.get(question.id) or "").strip()
        if not typed:
            if question.required:
                raise UserError("« {question} » demande une réponse.", question=question.text)
            continue
        if len(typed) > ANSWER_LENGTH:
            raise UserError(
                "« {question} » : {n} caractères au plus ; vous en avez écrit {ecrits} : « {reponse} ».",
                question=question.text, n=ANSWER_LENGTH, ecrits=len(typed), reponse=typed,
            )  # fmt: skip
        if question.kind is QuestionKind.yes_no:
            options: Sequence[str] = (YES, NO)
        elif question.kind is QuestionKind.choice:
            options = question.choices
        else:
            kept[question.id] = typed
            continue
        match = next((option for option in options if fold(option) == fold(typed)), None)
        if match is None:
            raise UserError(
                "« {reponse} » ne répond pas à « {question} » : choisissez parmi {choix}.",
                reponse=typed, question=question.text, choix=" / ".join(options),
            )  # fmt: skip
        kept[question.id] = match
    return kept


class QuestionStore:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def questions(self, event_id: int) -> list[Question]:
        rows = await self.db.fetchall(
            "SELECT * FROM event_questions WHERE event_id = ? ORDER BY position, id", (event_id,)
        )
        return [_question(row) for row in rows]

    async def add(self, event_id: int, draft: QuestionDraft) -> Question:
        async with self.db.transaction():
            # Counted and numbered from the last one: two organisers' additions go one after the other.
            await self.db.hold("events", event_id)
            row = await self.db.fetchone(
                "SELECT COUNT(*) AS n, COALESCE(MAX(position), 0) AS last FROM event_questions WHERE event_id = ?",
                (event_id,),
            )
            assert row is not None
            if row["n"] >= MAX_QUESTIONS:
                raise UserError(
                    "{n} questions au plus par événement : retirez-en une d'abord (« {question} »).",
                    n=MAX_QUESTIONS, question=draft.text,
                )  # fmt: skip
            question_id = await self.db.insert(
                "INSERT INTO event_questions (event_id, position, text, kind, choices, required)"
                " VALUES (?, ?, ?, ?, ?, ?) RETURNING id",
                (
                    event_id, row["last"] + 1, draft.text, draft.kind.value,
                    json.dumps(list(draft.choices), ensure_ascii=False), int(draft.required),
                ),
            )  # fmt: skip
        return Question(id=question_id, event_id=event_id, position=row["last"] + 1, **draft.model_dump())

    async def remove(self, event_id: int, question_id: int) -> bool:
        """The question and every answer to it."""
        changed = await self.db.update(
            "DELETE FROM event_questions WHERE id = ? AND event_id = ?", (question_id, event_id)
        )
        return changed > 0

    async def answers_of(self, registration_id: int) -> Answers:
        rows = await self.db.fetchall(
            "SELECT question_id, answer FROM registration_answers WHERE registration_id = ?", (registration_id,)
        )
        return {row["question_id"]: row["answer"] for row in rows}

    async def save(self, registration_id: int, answers: Answers) -> None:
        """The registration's answers, all replaced (an answer left empty is no longer kept)."""
        async with self.db.transaction():
            await self.db.execute("DELETE FROM registration_answers WHERE registration_id = ?", (registration_id,))
            await self.db.execute_many(
                "INSERT INTO registration_answers (registration_id, question_id, answer) VALUES (?, ?, ?)",
                [(registration_id, question_id, answer) for question_id, answer in answers.items()],
            )

    async def answers_for_event(self, event_id: int) -> dict[int, Answers]:
        """Every registration's answers in one read (a plenary has thousands)."""
        rows = await self.db.fetchall(
            "SELECT a.registration_id, a.question_id, a.answer FROM registration_answers a"
            " JOIN event_questions q ON q.id = a.question_id WHERE q.event_id = ?",
            (event_id,),
        )
        found: dict[int, Answers] = {}
        for row in rows:
            found.setdefault(row["registration_id"], {})[row["question_id"]] = row["answer"]
        return found


class QuestionService:
    def __init__(self, store: QuestionStore, events: EventService) -> None:
        self.store = store
        self.events = events
        self.db = store.db

    async def questions(self, event_id: int) -> list[Question]:
        return await self.store.questions(event_id)

    async def managed(self, event_id: int, *, by: Manager) -> list[Question]:
        """The questions, for who may change them."""
        await self._managed(event_id, by)
        return await self.store.questions(event_id)

    async def add(self, event_id: int, draft: QuestionDraft, *, by: Manager) -> list[Question]:
        """Add a question; returns the event's questions now."""
        await self._managed(event_id, by)
        await self.store.add(event_id, draft)
        return await self.store.questions(event_id)

    async def remove(self, event_id: int, question_id: int, *, by: Manager) -> list[Question]:
        await self._managed(event_id, by)
        if not await self.store.remove(event_id, question_id):
            raise UserError("Cette question n'existe plus.")
        return await self.store.questions(event_id)

    async def register(
        self, event_id: int, given: Mapping[int, str], *, seats: int, **signup: Unpack[Signup]
    ) -> Outcome:
        """Register with the answers to the event's questions, in one transaction."""
        answers = checked_answers(await self.store.questions(event_id), given)
        async with self.db.transaction():
            outcome = await self.events.register(event_id, seats=seats, **signup)
            await self.store.save(outcome.registration.id, answers)
        return outcome

    async def answers(self, event_id: int, user_id: int) -> Answers:
        """A member's answers, to show the form again as they left it."""
        registration = await self.events.store.registration_of(event_id, user_id)
        return await self.store.answers_of(registration.id) if registration else {}

    async def change_answers(self, event_id: int, user_id: int, given: Mapping[int, str]) -> Answers:
        registration = await self.events.store.registration_of(event_id, user_id)
        if registration is None:
            raise UserError("Vous n'êtes pas inscrit·e à cet événement.")
        answers = checked_answers(await self.store.questions(event_id), given)
        await self.store.save(registration.id, answers)
        return answers

    async def venue_list(self, event_id: int, *, by: Manager) -> VenueList:
        roster = await self.events.roster(event_id, by=by)
        return VenueList(
            roster, tuple(await self.store.questions(event_id)), await self.store.answers_for_event(event_id)
        )

    async def _managed(self, event_id: int, by: Manager) -> None:
        if not by.may_manage(await self.events.store.plain(event_id)):
            raise UserError("Seuls l'organisateur de l'événement et les modérateurs du serveur peuvent le gérer.")


def _question(row: Row) -> Question:
    return from_row(Question, row, choices=tuple(json.loads(row["choices"])), required=bool(row["required"]))
