"""The diagnostic's rules: the step each phase suggests per strand and the expertise that fits, over
every phase × strand; what comes next; blockers weigh more than steps; every word translated."""

from __future__ import annotations

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from bot.i18n import catalogue
from bot.resources.diagnostic.content import DONE, NOT_BEGUN, NOW
from bot.resources.diagnostic.models import Answers
from bot.resources.diagnostic.rules import (
    EXPERTISE_BY_BLOCAGE,
    EXPERTISE_BY_STEP,
    expertise_needed,
    next_step,
    standing,
    steps_calling_for,
    suggested_step,
)
from bot.resources.diagnostic.service import LOST
from bot.resources.framework import BLOCAGES, STEPS
from bot.vocabulary import Blocage, Etape, Expertise, Initiative, Pas, Volet
from cogs.ui.diagnostic import INITIATIVES, PHASES, TITLES

E, R, V = Etape.emergence, Etape.realisation, Etape.vivre_ensemble
IMMO, PART, COLL = Volet.immobilier, Volet.participatif, Volet.collectif
DG, GP, IM, PC = (
    Expertise.dynamiques_groupes,
    Expertise.gestion_projets,
    Expertise.immobilier,
    Expertise.participation_citoyenne,
)

# Every phase × strand: the step the phase suggests, and the expertise a citizens' group at that step
# (and no other) needs, the most needed first (a step's first expertise before its others).
TABLE = [
    (E, IMMO, Pas.jalons, (IM,)),
    (E, PART, Pas.decouverte, (PC,)),
    (E, COLL, Pas.exploratoire, (DG,)),
    (R, IMMO, Pas.etudes, (IM, GP)),
    (R, PART, Pas.roles, (PC, GP)),
    (R, COLL, Pas.collectif_projet, (DG, GP)),
    (V, IMMO, Pas.gestion, (IM,)),
    (V, PART, Pas.montage, (IM, PC)),  # no step of its own once lived in: the strand is done
    (V, COLL, Pas.voisinage, (DG,)),
]


def answers(
    steps: dict[Volet, Pas | None],
    blocages: frozenset[Blocage] = frozenset(),
    *,
    initiative: Initiative = Initiative.citoyenne,
    etape: Etape = Etape.emergence,
) -> Answers:
    return Answers(initiative=initiative, etape=etape, code_insee="63113", steps=steps, blocages=blocages)


@pytest.mark.parametrize(("phase", "strand", "step", "expertise"), TABLE)
def test_every_phase_and_strand(phase: Etape, strand: Volet, step: Pas, expertise: tuple[Expertise, ...]) -> None:
    assert suggested_step(strand, phase) is step
    assert expertise_needed(answers({strand: step}, etape=phase)) == expertise


def test_the_table_covers_every_phase_and_strand() -> None:
    assert {(phase, strand) for phase, strand, _, _ in TABLE} == {(p, s) for p in Etape for s in Volet}


def test_every_step_and_blocker_has_its_expertise_and_wording() -> None:
    assert set(EXPERTISE_BY_STEP) == set(Pas) == set(NOW)
    assert set(EXPERTISE_BY_BLOCAGE) == set(Blocage)
    assert set(NOT_BEGUN) == set(Volet)


def test_what_comes_next() -> None:
    assert next_step(COLL, None) is Pas.exploratoire
    assert next_step(COLL, Pas.intentions) is Pas.collectif_projet
    assert next_step(COLL, Pas.voisinage) is None
    assert next_step(IMMO, Pas.construction) is Pas.gestion


def test_the_group_near_clermont_needs_group_dynamics_first() -> None:
    group = answers({IMMO: None, PART: Pas.decouverte, COLL: Pas.intentions}, frozenset({Blocage.decision}))
    assert expertise_needed(group) == (DG, PC)
    assert steps_calling_for(group, (DG,)) == (Pas.intentions,)
    cards = standing(group)
    assert [card.step for card in cards] == [None, Pas.decouverte, Pas.intentions]
    assert [card.next for card in cards] == [Pas.jalons, Pas.cadres, Pas.collectif_projet]
    assert cards[2].blocked == (Blocage.decision,)


def test_a_project_not_started_by_its_inhabitants_needs_participation() -> None:
    for initiative in (Initiative.institutionnelle, Initiative.professionnelle):
        assert expertise_needed(answers({}, initiative=initiative)) == (PC,)
    assert expertise_needed(answers({})) == ()


def test_a_step_outside_its_strand_is_refused() -> None:
    with pytest.raises(ValueError, match="volet"):
        answers({IMMO: Pas.intentions})


blockers = st.frozensets(st.sampled_from(list(Blocage)))
steps = st.fixed_dictionaries({strand: st.none() | st.sampled_from(STEPS[strand]) for strand in Volet})


@given(steps, blockers, st.sampled_from(list(Blocage)))
# A blocker calling for two kinds: its first passes its second, which a step had put first.
@example({Volet.immobilier: None, Volet.participatif: None, Volet.collectif: Pas.exploratoire}, frozenset(),
         Blocage.nouveaux_foyers)  # fmt: skip
def test_a_felt_blocker_always_brings_its_expertise_and_never_pushes_it_down(
    chosen: dict[Volet, Pas | None], felt: frozenset[Blocage], more: Blocage
) -> None:
    before = expertise_needed(answers(chosen, felt))
    after = expertise_needed(answers(chosen, felt | {more}))
    brought = set(EXPERTISE_BY_BLOCAGE[more])
    for kind in brought:
        assert kind in after
        if kind in before:
            # Nothing the blocker does not call for passes it; the blocker's first expertise may pass its second.
            assert set(after[: after.index(kind)]) <= set(before[: before.index(kind)]) | brought
    # Only what a step or a blocker calls for is offered.
    called = {k for s in chosen.values() if s for k in EXPERTISE_BY_STEP[s]}
    called |= {k for b in felt | {more} for k in EXPERTISE_BY_BLOCAGE[b]}
    assert set(after) == called


def test_blockers_are_offered_by_strand() -> None:
    assert {b for strand in Volet for b in BLOCAGES[strand]} == set(Blocage)


def test_every_word_of_the_diagnostic_is_translated() -> None:
    english = catalogue("en")
    words = [text.message for text in (*NOW.values(), *NOT_BEGUN.values(), DONE)]
    words += [*TITLES.values(), *INITIATIVES.values(), *PHASES.values(), LOST]
    words += ["Refaire le diagnostic", "Reprendre ({n}/3)", "Continuer ({n}/3)", "diagnostic"]
    assert [word for word in words if word not in english] == []
