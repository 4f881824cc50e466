"""The facilitators' framework (RAHP référentiel-métier) as data: three phases (`Etape`), three strands
each with its steps in order, and what a group may feel stuck on in each strand. The words are the
network's (bot/vocabulary.py); the diagnostic (bot/resources/diagnostic.py) reads this structure."""

from __future__ import annotations

from bot.vocabulary import Blocage, Etape, Pas, Volet

# Each strand's steps, in the order a project goes through them.
STEPS: dict[Volet, tuple[Pas, ...]] = {
    Volet.immobilier: (Pas.jalons, Pas.etudes, Pas.conception, Pas.construction, Pas.gestion),
    Volet.participatif: (Pas.decouverte, Pas.cadres, Pas.roles, Pas.rythme, Pas.attribution, Pas.montage),
    Volet.collectif: (Pas.exploratoire, Pas.intentions, Pas.collectif_projet, Pas.voisinage),
}

# The phase in which a step usually happens.
PHASE: dict[Pas, Etape] = {
    Pas.jalons: Etape.emergence,
    Pas.etudes: Etape.realisation,
    Pas.conception: Etape.realisation,
    Pas.construction: Etape.realisation,
    Pas.gestion: Etape.vivre_ensemble,
    Pas.decouverte: Etape.emergence,
    Pas.cadres: Etape.emergence,
    Pas.roles: Etape.realisation,
    Pas.rythme: Etape.realisation,
    Pas.attribution: Etape.realisation,
    Pas.montage: Etape.realisation,
    Pas.exploratoire: Etape.emergence,
    Pas.intentions: Etape.emergence,
    Pas.collectif_projet: Etape.realisation,
    Pas.voisinage: Etape.vivre_ensemble,
}

# What a group may feel stuck on, offered per strand.
BLOCAGES: dict[Volet, tuple[Blocage, ...]] = {
    Volet.immobilier: (
        Blocage.foncier,
        Blocage.financement,
        Blocage.maitrise_ouvrage,
        Blocage.budget,
        Blocage.entretien,
    ),
    Volet.participatif: (
        Blocage.demarches,
        Blocage.cadre_commun,
        Blocage.partage_roles,
        Blocage.rythme,
        Blocage.nouveaux_foyers,
    ),
    Volet.collectif: (
        Blocage.mobiliser,
        Blocage.projet_commun,
        Blocage.decision,
        Blocage.communication,
        Blocage.conflits,
        Blocage.entree_sortie,
    ),
}


def strand_of(step: Pas) -> Volet:
    return next(strand for strand, steps in STEPS.items() if step in steps)


def steps_in(strand: Volet, phase: Etape) -> tuple[Pas, ...]:
    """The strand's steps of one phase, in order."""
    return tuple(step for step in STEPS[strand] if PHASE[step] is phase)
