"""A diagnostic's answers, as the member gives them in three steps, and a kept diagnostic."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from pydantic import BaseModel, ConfigDict, model_validator

from bot.resources.framework import BLOCAGES, STEPS
from bot.vocabulary import Blocage, Etape, Initiative, Pas, Volet

STEP_COUNT = 3  # the project and its commune; where each strand stands; what feels blocked
NOT_YET = "pas_encore"  # a strand whose first step has not begun, as the forms say it


class Answers(BaseModel):
    """A whole diagnostic: who started the project, its phase, its commune, each strand's step (None:
    not begun yet) and what feels blocked."""

    model_config = ConfigDict(frozen=True)

    initiative: Initiative
    etape: Etape
    code_insee: str
    steps: dict[Volet, Pas | None]
    blocages: frozenset[Blocage] = frozenset()

    @model_validator(mode="after")
    def _each_strand_its_own(self) -> Answers:
        for strand, step in self.steps.items():
            if step is not None and step not in STEPS[strand]:
                raise ValueError(f"{step} n'est pas une étape du volet {strand}")
        return self

    def step(self, strand: Volet) -> Pas | None:
        return self.steps.get(strand)

    def blocked_in(self, strand: Volet) -> tuple[Blocage, ...]:
        """The strand's blockers the member chose, in the framework's order."""
        return tuple(blocker for blocker in BLOCAGES[strand] if blocker in self.blocages)


@dataclass(frozen=True)
class Draft:
    """A diagnostic under way, kept in memory only: `done` steps are answered (0 to 3)."""

    done: int = 0
    initiative: Initiative | None = None
    etape: Etape | None = None
    code_insee: str | None = None
    steps: dict[Volet, Pas | None] = field(default_factory=dict)
    blocages: frozenset[Blocage] = frozenset()

    @classmethod
    def of(cls, answers: Answers) -> Draft:
        """A new run prefilled with a previous diagnostic's answers (nothing counted as done)."""
        return cls(0, answers.initiative, answers.etape, answers.code_insee, dict(answers.steps), answers.blocages)

    @property
    def complete(self) -> bool:
        return self.done >= STEP_COUNT

    @property
    def next_step(self) -> int:
        return min(self.done + 1, STEP_COUNT)

    def answers(self) -> Answers:
        if not self.complete or self.initiative is None or self.etape is None or self.code_insee is None:
            raise ValueError("diagnostic incomplet")
        return Answers(
            initiative=self.initiative,
            etape=self.etape,
            code_insee=self.code_insee,
            steps=self.steps,
            blocages=self.blocages,
        )


class Kept(BaseModel):
    """A diagnostic the member chose to keep, for themself and, for a référent, on the project's record."""

    model_config = ConfigDict(frozen=True)

    id: int
    user_id: int
    project_id: int | None
    project_name: str | None
    answers: Answers
    kept_at: datetime
