"""Questions at registration on Discord: the organiser's page of an event's questions (/evenement
questions: add one in a form, remove one from a menu), the form a member fills when registering, and
« Modifier mes réponses » under their registration's answer."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any, ClassVar

import discord
from pydantic import ValidationError

from bot.client import bot_of
from bot.errors import invalid
from bot.events.models import Event
from bot.events.questions import (
    ANSWER_LENGTH,
    MAX_QUESTIONS,
    NO,
    YES,
    Answers,
    Question,
    QuestionDraft,
    QuestionKind,
)
from bot.limits import (
    BUTTON_LABEL,
    EMBED_FIELD_NAME,
    EMBED_FIELD_VALUE,
    EMBED_TITLE,
    INPUT_LABEL,
    INPUT_PLACEHOLDER,
    MODAL_TITLE,
    SELECT_DESCRIPTION,
    SELECT_LABEL,
    SELECT_PLACEHOLDER,
    clip,
)
from cogs.ui.buttons import ActionButton
from cogs.ui.errors import reported
from cogs.ui.events import COLOUR, manager
from cogs.ui.text import reply, t, tn
from cogs.ui.views import HabitatModal, OwnedView

KIND_LABELS = {
    QuestionKind.text: "Texte court",
    QuestionKind.yes_no: "Oui ou non",
    QuestionKind.choice: "Un choix parmi plusieurs",
}
OnAnswers = Callable[[discord.Interaction[Any], Answers], Awaitable[None]]


def field_title(name: str) -> str:
    """A form field's label: the draft's field title, the name a refusal gives it."""
    return QuestionDraft.model_fields[name].title or name


# ---------------------------------------------------------------------- the member's form


class AnswersModal(HabitatModal):
    """The event's questions, prefilled with the member's answers (kept, or typed before a refusal):
    a short text in a text field, yes/no and a choice in a menu."""

    def __init__(
        self,
        interaction: discord.Interaction[Any],
        event_title: str,
        questions: Sequence[Question],
        known: Answers,
        on_answers: OnAnswers,
    ) -> None:
        title = t(interaction, "Questions — {titre}", titre=event_title)
        super().__init__(title=clip(title, MODAL_TITLE), timeout=1800)
        self.on_answers = on_answers
        self.fields: dict[int, discord.ui.TextInput[AnswersModal] | discord.ui.Select[AnswersModal]] = {}
        for question in questions:
            field: discord.ui.TextInput[AnswersModal] | discord.ui.Select[AnswersModal]
            given = known.get(question.id)
            if question.kind is QuestionKind.text:
                field = discord.ui.TextInput(
                    required=question.required, max_length=ANSWER_LENGTH, default=given or None,
                    custom_id=f"q-{question.id}",
                )  # fmt: skip
            else:
                choices = (
                    [(YES, t(interaction, "Oui")), (NO, t(interaction, "Non"))]
                    if question.kind is QuestionKind.yes_no
                    else [(choice, choice) for choice in question.choices]
                )
                field = discord.ui.Select(
                    options=[
                        discord.SelectOption(label=clip(shown, SELECT_LABEL), value=value, default=value == given)
                        for value, shown in choices
                    ],
                    min_values=1 if question.required else 0,
                    max_values=1,
                    required=question.required,
                    custom_id=f"q-{question.id}",
                )
            self.fields[question.id] = field
            optional = None if question.required else t(interaction, "Facultatif")
            self.add_item(
                discord.ui.Label(text=clip(question.text, INPUT_LABEL), description=optional, component=field)
            )

    def values(self) -> Answers:
        return {
            key: field.value if isinstance(field, discord.ui.TextInput) else (field.values[0] if field.values else "")
            for key, field in self.fields.items()
        }

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        await self.on_answers(interaction, self.values())


async def ask(
    interaction: discord.Interaction[Any], event: Event, questions: Sequence[Question], then: OnAnswers
) -> None:
    """Open the event's questions, as the member last answered them."""
    known = await bot_of(interaction).core.questions.answers(event.id, interaction.user.id)
    await interaction.response.send_modal(AnswersModal(interaction, event.title, questions, known, then))


class AnswersButton(ActionButton, template=r"evt:(?P<action>reponses):(?P<id>\d+)"):
    """ "Modifier mes réponses", under the answer to a registration with questions."""

    PREFIX = "evt"
    LABELS: ClassVar[dict[str, str]] = {"reponses": "Modifier mes réponses"}

    @reported
    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        bot = bot_of(interaction)
        event = await bot.events.store.plain(self.target_id)
        questions = await bot.core.questions.questions(event.id)

        async def save(submitted: discord.Interaction[Any], answers: Answers) -> None:
            await bot.core.questions.change_answers(event.id, submitted.user.id, answers)
            await reply(submitted, t(submitted, "Vos réponses pour « {titre} » sont enregistrées.", titre=event.title))

        await ask(interaction, event, questions, save)


def answers_view(interaction: discord.Interaction[Any], event_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AnswersButton("reponses", event_id, t(interaction, "Modifier mes réponses")))
    return view


# ---------------------------------------------------------------------- the organiser's page


def questions_embed(
    interaction: discord.Interaction[Any], event: Event, questions: Sequence[Question]
) -> discord.Embed:
    title = t(interaction, "Questions — {titre}", titre=event.title)
    embed = discord.Embed(title=clip(title, EMBED_TITLE), colour=COLOUR)
    if not questions:
        embed.description = t(interaction, "Aucune question : les membres s'inscrivent d'un clic.")
    else:
        embed.description = tn(
            interaction,
            "{n} question posée à l'inscription (5 au plus).",
            "{n} questions posées à l'inscription (5 au plus).",
            len(questions),
        )
    for number, question in enumerate(questions, start=1):
        parts = [t(interaction, KIND_LABELS[question.kind])]
        if question.choices:
            parts.append(" / ".join(question.choices))
        parts.append(t(interaction, "obligatoire") if question.required else t(interaction, "facultative"))
        embed.add_field(
            name=clip(f"{number}. {question.text}", EMBED_FIELD_NAME),
            value=clip(" · ".join(parts), EMBED_FIELD_VALUE),
            inline=False,
        )
    return embed


class QuestionModal(HabitatModal):
    """A question to add: its text, the kind of answer, the choices (one a line), required or not."""

    def __init__(self, interaction: discord.Interaction[Any], page: QuestionsView) -> None:
        super().__init__(title=clip(t(interaction, "Ajouter une question"), MODAL_TITLE), timeout=1800)
        self.page = page
        self.text: discord.ui.TextInput[QuestionModal] = discord.ui.TextInput(
            label=clip(t(interaction, field_title("text")), INPUT_LABEL),
            placeholder=clip(t(interaction, "Ex. : Venez-vous en train ?"), INPUT_PLACEHOLDER),
            max_length=INPUT_LABEL,
            custom_id="question-texte",
        )
        self.kind: discord.ui.Select[QuestionModal] = discord.ui.Select(
            options=[
                discord.SelectOption(label=clip(t(interaction, text), SELECT_LABEL), value=kind.value)
                for kind, text in KIND_LABELS.items()
            ],
            min_values=1,
            max_values=1,
            custom_id="question-type",
        )
        self.choices: discord.ui.TextInput[QuestionModal] = discord.ui.TextInput(
            label=clip(t(interaction, field_title("choices")), INPUT_LABEL),
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=1100,
            custom_id="question-choix",
        )
        self.required: discord.ui.Select[QuestionModal] = discord.ui.Select(
            options=[
                discord.SelectOption(label=t(interaction, "Non"), value=NO, default=True),
                discord.SelectOption(label=t(interaction, "Oui"), value=YES),
            ],
            min_values=1,
            max_values=1,
            custom_id="question-obligatoire",
        )
        self.add_item(self.text)
        self.add_item(
            discord.ui.Label(text=clip(t(interaction, field_title("kind")), INPUT_LABEL), component=self.kind)
        )
        self.add_item(self.choices)
        self.add_item(
            discord.ui.Label(text=clip(t(interaction, field_title("required")), INPUT_LABEL), component=self.required)
        )

    async def on_submit(self, interaction: discord.Interaction[Any], /) -> None:
        try:
            draft = QuestionDraft(
                text=self.text.value,
                kind=QuestionKind(self.kind.values[0]),
                choices=self.choices.value,  # lines, split by the draft
                required=self.required.values[0] == YES,
            )
        except ValidationError as error:
            raise invalid(error, QuestionDraft) from None
        questions = await bot_of(interaction).core.questions.add(
            self.page.event.id, draft, by=await manager(interaction)
        )
        await self.page.show(interaction, questions)


class QuestionsView(OwnedView):
    """An event's questions for its organiser, with « Ajouter une question » and a menu to remove one."""

    def __init__(self, interaction: discord.Interaction[Any], event: Event, questions: Sequence[Question]) -> None:
        super().__init__(interaction.user.id, timeout=1800)
        self.event = event
        self.add.label = clip(t(interaction, "Ajouter une question"), BUTTON_LABEL)
        self.remover: discord.ui.Select[QuestionsView] = discord.ui.Select(
            placeholder=clip(t(interaction, "Retirer une question"), SELECT_PLACEHOLDER), custom_id="question-retirer"
        )
        self.remover.callback = self._remove  # type: ignore[method-assign]
        self.refresh(interaction, questions)

    def refresh(self, interaction: discord.Interaction[Any], questions: Sequence[Question]) -> None:
        self.add.disabled = len(questions) >= MAX_QUESTIONS
        self.remove_item(self.remover)
        if questions:
            self.remover.options = [
                discord.SelectOption(
                    label=clip(f"{number}. {question.text}", SELECT_LABEL),
                    value=str(question.id),
                    description=clip(t(interaction, KIND_LABELS[question.kind]), SELECT_DESCRIPTION),
                )
                for number, question in enumerate(questions, start=1)
            ]
            self.add_item(self.remover)

    async def show(self, interaction: discord.Interaction[Any], questions: Sequence[Question]) -> None:
        """The page, as the questions are now: sent by the command, then rewritten in place by the form and
        the menu."""
        self.refresh(interaction, questions)
        embed = questions_embed(interaction, self.event, questions)
        if interaction.type is discord.InteractionType.application_command:
            await interaction.response.send_message(embed=embed, view=self, ephemeral=True)
        else:
            await interaction.response.edit_message(content=None, embed=embed, view=self)

    @discord.ui.button(label="Ajouter une question", style=discord.ButtonStyle.primary)
    async def add(self, interaction: discord.Interaction[Any], _: discord.ui.Button[QuestionsView]) -> None:
        await interaction.response.send_modal(QuestionModal(interaction, self))

    async def _remove(self, interaction: discord.Interaction[Any]) -> None:
        questions = await bot_of(interaction).core.questions.remove(
            self.event.id, int(self.remover.values[0]), by=await manager(interaction)
        )
        await self.show(interaction, questions)


async def questions_page(interaction: discord.Interaction[Any], event: Event) -> None:
    """/evenement questions: the event's questions, for who may manage it."""
    questions = await bot_of(interaction).core.questions.managed(event.id, by=await manager(interaction))
    await QuestionsView(interaction, event, questions).show(interaction, questions)
