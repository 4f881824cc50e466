"""The diagnostic's flow: three steps answered in turn and kept in memory only, the result computed from
the answers (with the facilitators near the group and the resources of each step), and the choice to
keep it (the only write)."""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace

from bot.errors import UserError
from bot.geo import Commune, Geography
from bot.resources.diagnostic.models import NOT_YET, Answers, Draft, Kept
from bot.resources.diagnostic.rules import Standing, expertise_needed, standing, steps_calling_for
from bot.resources.diagnostic.store import DiagnosticStore
from bot.resources.facilitators.ranking import Need, Ranked
from bot.resources.facilitators.service import FacilitatorService
from bot.resources.framework import BLOCAGES, STEPS
from bot.resources.models import Resource
from bot.resources.service import ResourceService
from bot.vocabulary import Blocage, Etape, Expertise, Initiative, Pas, Volet, parse

KEPT_DRAFTS = 500  # diagnostics under way held in memory, the oldest forgotten first
LOST = "Ce diagnostic n'est plus en mémoire : recommencez-le avec /accompagnement diagnostic."
NEAR = 5  # facilitators offered
RESOURCES_PER_STEP = 3


@dataclass(frozen=True)
class Suggestion:
    """A facilitator near the group: what it brings of the need (the most needed first) and the group's
    steps that call for the first of it."""

    ranked: Ranked
    brings: tuple[Expertise, ...]
    steps: tuple[Pas, ...]


@dataclass(frozen=True)
class Diagnosis:
    """What the answers say: where the group stands per strand, the kinds of expertise that fit, who near
    the group brings them (best first) and the resources of each strand's step."""

    answers: Answers
    commune: Commune | None
    standing: tuple[Standing, ...]
    expertise: tuple[Expertise, ...]
    facilitators: tuple[Suggestion, ...] = ()
    resources: Mapping[Volet, tuple[Resource, ...]] = field(default_factory=dict)


class DiagnosticService:
    def __init__(
        self, store: DiagnosticStore, geo: Geography, facilitators: FacilitatorService, resources: ResourceService
    ) -> None:
        self.store = store
        self.geo = geo
        self.facilitators = facilitators
        self.resources = resources
        # Nothing is written before the member keeps the result: a run under way lives here only.
        self._drafts: OrderedDict[int, Draft] = OrderedDict()

    # ----------------------------------------------------------------- a run under way, in memory

    def draft(self, user_id: int) -> Draft | None:
        return self._drafts.get(user_id)

    async def prefill(self, user_id: int) -> Draft:
        """What the first form shows: the run under way, else the diagnostic the member can see, else nothing.
        Opening a form holds nothing: a run begins when its first step is answered."""
        draft = self._drafts.get(user_id)
        if draft is not None:
            return draft
        kept = await self.kept(user_id)
        return Draft.of(kept.answers) if kept else Draft()

    def drop(self, user_id: int) -> None:
        """Forget the member's run under way (their data erased)."""
        self._drafts.pop(user_id, None)

    def _hold(self, user_id: int, draft: Draft) -> Draft:
        self._drafts.pop(user_id, None)
        self._drafts[user_id] = draft
        while len(self._drafts) > KEPT_DRAFTS:
            self._drafts.popitem(last=False)
        return draft

    def _current(self, user_id: int, before: int) -> Draft:
        draft = self._drafts.get(user_id)
        if draft is None or draft.done < before:
            raise UserError(LOST)
        return draft

    def save_project(self, user_id: int, shown: Draft, initiative: str, etape: str, commune: Commune) -> Draft:
        """Step 1: who started the project, its phase, its commune (`shown`: what the form was prefilled
        with, whose later answers prefill the next forms)."""
        draft = self._drafts.get(user_id) or shown
        return self._hold(
            user_id,
            replace(
                draft,
                done=1,
                initiative=parse(Initiative, initiative),
                etape=parse(Etape, etape),
                code_insee=commune.insee,
            ),
        )

    def save_steps(self, user_id: int, chosen: Mapping[Volet, str]) -> Draft:
        """Step 2: each strand's step, or « pas encore »."""
        draft = self._current(user_id, 1)
        steps: dict[Volet, Pas | None] = {}
        for strand in Volet:
            value = chosen.get(strand, NOT_YET)
            if value == NOT_YET:
                steps[strand] = None
                continue
            step = parse(Pas, value)
            if step not in STEPS[strand]:
                raise UserError("« {valeur} » n'est pas une étape de ce volet.", valeur=value)
            steps[strand] = step
        return self._hold(user_id, replace(draft, done=2, steps=steps))

    async def save_blockers(self, user_id: int, chosen: Mapping[Volet, Iterable[str]]) -> Diagnosis:
        """Step 3: what feels blocked, a few per strand; then the result."""
        draft = self._current(user_id, 2)
        blockers: set[Blocage] = set()
        for strand, values in chosen.items():
            for value in values:
                blocker = parse(Blocage, value)
                if blocker not in BLOCAGES[strand]:
                    raise UserError("« {valeur} » ne concerne pas ce volet.", valeur=value)
                blockers.add(blocker)
        done = self._hold(user_id, replace(draft, done=3, blocages=frozenset(blockers)))
        return await self.diagnose(done.answers())

    async def result(self, user_id: int) -> Diagnosis:
        """The result of the member's finished run, while it is in memory."""
        draft = self._current(user_id, 3)
        return await self.diagnose(draft.answers())

    # ----------------------------------------------------------------- the result

    async def diagnose(self, answers: Answers) -> Diagnosis:
        """Computed afresh each time (a kept diagnostic keeps only its answers): the facilitators and the
        resources are those of today."""
        commune = self.geo.commune(answers.code_insee)
        expertise = expertise_needed(answers)
        cards = standing(answers)
        suggestions: tuple[Suggestion, ...] = ()
        if commune is not None:
            near = await self.facilitators.near(commune, Need(frozenset(expertise), answers.etape), limit=NEAR)
            suggestions = tuple(self._suggestion(ranked, expertise, answers) for ranked in near)
        resources = {
            # A strand not begun points to its first step.
            card.strand: tuple(
                await self.resources.for_step(
                    card.strand, card.step or card.next, answers.etape, limit=RESOURCES_PER_STEP
                )
            )
            for card in cards
        }
        return Diagnosis(answers, commune, cards, expertise, suggestions, resources)

    @staticmethod
    def _suggestion(ranked: Ranked, expertise: tuple[Expertise, ...], answers: Answers) -> Suggestion:
        brings = tuple(kind for kind in expertise if kind in ranked.matched)
        # The steps that call for its first asset: a short reason, not every step of the group.
        return Suggestion(ranked, brings, steps_calling_for(answers, brings[:1]))

    # ----------------------------------------------------------------- kept, only when the member says so

    async def keep(self, user_id: int, project_id: int | None) -> Kept:
        """Keep the finished run for the member and, for a référent, on their project's record."""
        draft = self._current(user_id, 3)
        if project_id is not None and project_id not in {pid for pid, _ in await self.projects_of(user_id)}:
            raise UserError("Vous n'êtes pas référent·e de ce projet.")
        kept = await self.store.keep(user_id, draft.answers(), project_id)
        self._drafts.pop(user_id, None)
        return kept

    async def kept(self, user_id: int) -> Kept | None:
        """The member's own kept diagnostic, else one kept on a project they are a référent of."""
        return await self.store.own(user_id) or await self.store.for_referent(user_id)

    async def forget(self, user_id: int) -> bool:
        return await self.store.forget(user_id)

    async def projects_of(self, user_id: int) -> list[tuple[int, str]]:
        return await self.store.referent_projects(user_id)
