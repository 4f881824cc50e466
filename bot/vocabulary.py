"""The network's own words (see the design page): slugs in code and files, French labels on screen.

Files and commands use the slug; the importer also takes the French label in any case, with or
without accents ("Coopérative d'habitants").
"""

from __future__ import annotations

from enum import StrEnum
from typing import TypeVar

from bot.errors import UserError
from bot.text import fold

E = TypeVar("E", bound=StrEnum)


class Etape(StrEnum):
    emergence = "emergence"
    realisation = "realisation"
    vivre_ensemble = "vivre_ensemble"


class Initiative(StrEnum):
    citoyenne = "citoyenne"
    institutionnelle = "institutionnelle"
    professionnelle = "professionnelle"


class FormeJuridique(StrEnum):
    cooperative_habitants = "cooperative_habitants"
    scia = "scia"
    sci = "sci"
    sas = "sas"
    copropriete = "copropriete"
    brs = "brs"
    locatif_social = "locatif_social"
    association = "association"
    autre = "autre"


class Public(StrEnum):
    tous = "tous"
    seniors = "seniors"
    familles = "familles"
    intergenerationnel = "intergenerationnel"
    handicap = "handicap"
    jeunes = "jeunes"


class EspacePartage(StrEnum):
    salle_commune = "salle_commune"
    jardin = "jardin"
    potager = "potager"
    atelier = "atelier"
    buanderie = "buanderie"
    chambre_amis = "chambre_amis"
    bureau_partage = "bureau_partage"
    local_velos = "local_velos"
    autre = "autre"


class EventKind(StrEnum):
    pleniere = "pleniere"
    jpo = "jpo"
    rnhp = "rnhp"
    atelier = "atelier"
    visite = "visite"
    reunion_publique = "reunion_publique"
    webinaire = "webinaire"
    autre = "autre"


# French labels, one table per vocabulary: the same slug ("autre", "atelier") can mean different things.
LABELS: dict[type[StrEnum], dict[str, str]] = {
    EventKind: {
        EventKind.pleniere: "Plénière",
        EventKind.jpo: "Journée portes ouvertes",
        EventKind.rnhp: "Rencontres nationales (RNHP)",
        EventKind.atelier: "Atelier",
        EventKind.visite: "Visite",
        EventKind.reunion_publique: "Réunion publique",
        EventKind.webinaire: "Webinaire",
        EventKind.autre: "Autre événement",
    },
    Etape: {
        Etape.emergence: "Émergence",
        Etape.realisation: "Réalisation",
        Etape.vivre_ensemble: "Vivre ensemble",
    },
    Initiative: {
        Initiative.citoyenne: "Citoyenne",
        Initiative.institutionnelle: "Institutionnelle",
        Initiative.professionnelle: "Professionnelle",
    },
    FormeJuridique: {
        FormeJuridique.cooperative_habitants: "Coopérative d'habitants",
        FormeJuridique.scia: "Société civile immobilière d'attribution (SCIA)",
        FormeJuridique.sci: "Société civile immobilière (SCI)",
        FormeJuridique.sas: "SAS",
        FormeJuridique.copropriete: "Copropriété",
        FormeJuridique.brs: "Bail réel solidaire (BRS)",
        FormeJuridique.locatif_social: "Locatif social (HLM)",
        FormeJuridique.association: "Association",
        FormeJuridique.autre: "Autre",
    },
    Public: {
        Public.tous: "Tous publics",
        Public.seniors: "Seniors",
        Public.familles: "Familles",
        Public.intergenerationnel: "Intergénérationnel",
        Public.handicap: "Personnes en situation de handicap",
        Public.jeunes: "Jeunes",
    },
    EspacePartage: {
        EspacePartage.salle_commune: "Salle commune",
        EspacePartage.jardin: "Jardin",
        EspacePartage.potager: "Potager",
        EspacePartage.atelier: "Atelier",
        EspacePartage.buanderie: "Buanderie",
        EspacePartage.chambre_amis: "Chambre d'amis",
        EspacePartage.bureau_partage: "Bureau partagé",
        EspacePartage.local_velos: "Local vélos",
        EspacePartage.autre: "Autre espace",
    },
}

# Other ways people write the same thing.
_ALIASES: dict[str, StrEnum] = {
    "cooperative": FormeJuridique.cooperative_habitants,
    "cooperative d habitants": FormeJuridique.cooperative_habitants,
    "bail reel solidaire": FormeJuridique.brs,
    "hlm": FormeJuridique.locatif_social,
    "locatif social": FormeJuridique.locatif_social,
    "societe civile immobiliere d attribution": FormeJuridique.scia,
    "societe civile immobiliere": FormeJuridique.sci,
    "personnes handicapees": Public.handicap,
    "handicap": Public.handicap,
    "tous": Public.tous,
    "vivre": Etape.vivre_ensemble,
    "habite": Etape.vivre_ensemble,
}


def label(value: StrEnum) -> str:
    return LABELS[type(value)][value]


def all_labels() -> set[str]:
    return {text for table in LABELS.values() for text in table.values()}


def parse(kind: type[E], text: str) -> E:
    """The member of `kind` meant by a slug or a French label, in any case, with or without accents."""
    key = fold(text)
    for member in kind:
        shown = label(member)
        if key in (fold(member.value), fold(shown), fold(shown.split(" (")[0])):
            return member
    alias = _ALIASES.get(key)
    if isinstance(alias, kind):
        return alias
    choices = ", ".join(member.value for member in kind)
    raise UserError("« {valeur} » n'est pas reconnu ; valeurs possibles : {choix}.", valeur=text, choix=choices)
