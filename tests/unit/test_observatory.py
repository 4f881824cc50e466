"""The observatory's figures (bot/projects/stats.py) on a real SQLite file: published records only,
counted for France and for one région."""

from __future__ import annotations

from bot.core import Core
from bot.db import Database
from bot.projects.models import ProjectDraft
from bot.projects.stats import FiguresStore
from bot.vocabulary import Etape, FormeJuridique, Initiative, Public
from tests.support import ManualDateClock

CLERMONT, LYON, MONTREUIL = "63113", "69123", "93048"


def draft(nom: str, insee: str, **fields: object) -> ProjectDraft:
    return ProjectDraft.model_validate({"nom": nom, "code_insee": insee, "etape": Etape.emergence, **fields})


async def network(core: Core, clock: ManualDateClock) -> None:
    """Four published records (three in Auvergne-Rhône-Alpes), one proposal waiting, one confirmed lately."""
    await core.projects.import_drafts(
        [
            draft("Le Verger", CLERMONT, logements=12, recrute=True, publics={Public.seniors, Public.familles}),
            draft(
                "La Ruche",
                LYON,
                etape=Etape.vivre_ensemble,
                forme_juridique=FormeJuridique.cooperative_habitants,
                logements=20,
                publics={Public.familles},
            ),
            draft("Les Tilleuls", LYON, initiative=Initiative.institutionnelle, recrute=True),
            draft("Le Chêne", MONTREUIL, etape=Etape.realisation, logements=8, forme_juridique=FormeJuridique.sci),
        ]
    )
    await core.projects.propose(draft("En attente", LYON, logements=99), proposer_id=7, guild_id=1, locale="fr")
    clock.advance(days=400)
    ruche = await core.db.fetchone("SELECT id FROM projects WHERE nom = 'La Ruche'")
    assert ruche is not None
    await core.projects.confirm(ruche["id"])


async def test_figures_for_france_count_the_published_records(core: Core, db: Database, clock: ManualDateClock) -> None:
    await network(core, clock)
    figures = await FiguresStore(db).figures(clock())
    assert figures.published == 4
    assert figures.by_etape == {Etape.emergence: 2, Etape.realisation: 1, Etape.vivre_ensemble: 1}
    assert figures.by_region == (("84", 3), ("11", 1))
    assert figures.by_forme[FormeJuridique.autre] == 2
    assert figures.by_forme[FormeJuridique.cooperative_habitants] == 1
    assert figures.by_forme[FormeJuridique.sci] == 1
    assert list(figures.by_forme) == list(FormeJuridique)  # every legal form, zero included, in order
    assert figures.by_initiative == {
        Initiative.citoyenne: 3,
        Initiative.institutionnelle: 1,
        Initiative.professionnelle: 0,
    }
    assert figures.by_public[Public.familles] == 2
    assert figures.by_public[Public.seniors] == 1
    assert sum(figures.by_public.values()) == 3
    assert figures.recruiting == 2
    assert (figures.logements, figures.logements_unknown) == (40, 1)
    assert figures.confirmed_last_year == 1


async def test_figures_for_a_region_count_its_departements_only(
    core: Core, db: Database, clock: ManualDateClock
) -> None:
    await network(core, clock)
    region = core.geo.region("Auvergne-Rhône-Alpes")
    figures = await FiguresStore(db).figures(clock(), region.departements)
    assert figures.published == 3
    assert figures.by_region == (("84", 3),)
    assert figures.by_etape == {Etape.emergence: 2, Etape.realisation: 0, Etape.vivre_ensemble: 1}
    assert (figures.recruiting, figures.logements, figures.logements_unknown) == (2, 32, 1)
    old = await FiguresStore(db).figures(clock(), core.geo.region("Auvergne").departements)
    assert (old.published, old.logements) == (1, 12)


async def test_figures_of_an_empty_database_are_zeros(db: Database, clock: ManualDateClock) -> None:
    figures = await FiguresStore(db).figures(clock())
    assert (figures.published, figures.recruiting, figures.logements, figures.confirmed_last_year) == (0, 0, 0, 0)
    assert figures.by_region == ()
    assert set(figures.by_etape.values()) == {0}
