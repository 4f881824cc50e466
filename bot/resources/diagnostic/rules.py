"""The diagnostic's rules, pure: which step a phase suggests for each strand, what comes next, and the
kinds of expertise that fit a group's steps and blockers."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from bot.resources.diagnostic.models import Answers
from bot.resources.framework import PHASE, STEPS, steps_in
from bot.vocabulary import Blocage, Etape, Expertise, Initiative, Pas, Volet

# What a facilitator brings that usually helps at each step of the framework.
EXPERTISE_BY_STEP: dict[Pas, tuple[Expertise, ...]] = {
    Pas.jalons: (Expertise.immobilier,),
    Pas.etudes: (Expertise.immobilier, Expertise.gestion_projets),
    Pas.conception: (Expertise.immobilier, Expertise.gestion_projets),
    Pas.construction: (Expertise.gestion_projets, Expertise.immobilier),
    Pas.gestion: (Expertise.immobilier,),
    Pas.decouverte: (Expertise.participation_citoyenne,),
    Pas.cadres: (Expertise.participation_citoyenne,),
    Pas.roles: (Expertise.participation_citoyenne, Expertise.gestion_projets),
    Pas.rythme: (Expertise.participation_citoyenne, Expertise.dynamiques_groupes),
    Pas.attribution: (Expertise.participation_citoyenne, Expertise.immobilier),
    Pas.montage: (Expertise.immobilier, Expertise.participation_citoyenne),
    Pas.exploratoire: (Expertise.dynamiques_groupes,),
    Pas.intentions: (Expertise.dynamiques_groupes,),
    Pas.collectif_projet: (Expertise.dynamiques_groupes, Expertise.gestion_projets),
    Pas.voisinage: (Expertise.dynamiques_groupes,),
}

# What lifts each blocker.
EXPERTISE_BY_BLOCAGE: dict[Blocage, tuple[Expertise, ...]] = {
    Blocage.foncier: (Expertise.immobilier,),
    Blocage.financement: (Expertise.immobilier,),
    Blocage.maitrise_ouvrage: (Expertise.immobilier,),
    Blocage.budget: (Expertise.gestion_projets,),
    Blocage.entretien: (Expertise.immobilier,),
    Blocage.demarches: (Expertise.participation_citoyenne,),
    Blocage.cadre_commun: (Expertise.participation_citoyenne,),
    Blocage.partage_roles: (Expertise.participation_citoyenne,),
    Blocage.rythme: (Expertise.participation_citoyenne,),
    Blocage.nouveaux_foyers: (Expertise.participation_citoyenne, Expertise.dynamiques_groupes),
    Blocage.mobiliser: (Expertise.dynamiques_groupes,),
    Blocage.projet_commun: (Expertise.dynamiques_groupes,),
    Blocage.decision: (Expertise.dynamiques_groupes,),
    Blocage.communication: (Expertise.dynamiques_groupes,),
    Blocage.conflits: (Expertise.dynamiques_groupes,),
    Blocage.entree_sortie: (Expertise.dynamiques_groupes,),
}

# Each mapping lists the most useful expertise first: it weighs twice the others. A felt blocker weighs
# twice its step; a project started by a local authority or a professional needs a participatory process
# to bring its future inhabitants in.
FIRST, OTHER = 2, 1
BLOCKER_FACTOR = 2
NOT_CITIZEN_WEIGHT = 2


def suggested_step(strand: Volet, phase: Etape) -> Pas | None:
    """The step a group in `phase` is most likely at in `strand`: the strand's first step of that phase,
    else the last of an earlier phase (the strand is done), else None (not begun)."""
    here = steps_in(strand, phase)
    if here:
        return here[0]
    order = list(Etape)
    earlier = [step for step in STEPS[strand] if order.index(PHASE[step]) < order.index(phase)]
    return earlier[-1] if earlier else None


def next_step(strand: Volet, step: Pas | None) -> Pas | None:
    """The step after `step` in its strand (the first one when none has begun), None after the last."""
    steps = STEPS[strand]
    if step is None:
        return steps[0]
    position = steps.index(step)
    return steps[position + 1] if position + 1 < len(steps) else None


@dataclass(frozen=True)
class Standing:
    """Where a group stands in one strand: its step (None: not begun), the next one, its blockers."""

    strand: Volet
    step: Pas | None
    next: Pas | None
    blocked: tuple[Blocage, ...]


def standing(answers: Answers) -> tuple[Standing, ...]:
    return tuple(
        Standing(strand, answers.step(strand), next_step(strand, answers.step(strand)), answers.blocked_in(strand))
        for strand in Volet
    )


def _weighed(kinds: tuple[Expertise, ...], factor: int) -> dict[Expertise, int]:
    return {kind: (FIRST if rank == 0 else OTHER) * factor for rank, kind in enumerate(kinds)}


def expertise_scores(answers: Answers) -> Counter[Expertise]:
    scores: Counter[Expertise] = Counter()
    for step in answers.steps.values():
        if step is not None:
            scores.update(_weighed(EXPERTISE_BY_STEP[step], 1))
    for blocker in answers.blocages:
        scores.update(_weighed(EXPERTISE_BY_BLOCAGE[blocker], BLOCKER_FACTOR))
    if answers.initiative is not Initiative.citoyenne:
        scores.update({Expertise.participation_citoyenne: NOT_CITIZEN_WEIGHT})
    return scores


def expertise_needed(answers: Answers) -> tuple[Expertise, ...]:
    """The kinds of expertise that fit, the most needed first (ties in the framework's order)."""
    scores = expertise_scores(answers)
    order = list(Expertise)
    return tuple(sorted(scores, key=lambda kind: (-scores[kind], order.index(kind))))


def steps_calling_for(answers: Answers, expertise: tuple[Expertise, ...]) -> tuple[Pas, ...]:
    """The group's steps where these kinds of expertise help, in the strands' order: the "why" of a
    facilitator who brings them."""
    wanted = set(expertise)
    return tuple(
        step for strand in Volet if (step := answers.step(strand)) is not None and wanted & set(EXPERTISE_BY_STEP[step])
    )
