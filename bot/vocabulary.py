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


LABELS: dict[StrEnum, str] = {
    Etape.emergence: "Émergence",
    Etape.realisation: "Réalisation",
    Etape.vivre_ensemble: "Vivre ensemble",
    Initiative.citoyenne: "Citoyenne",
    Initiative.institutionnelle: "Institutionnelle",
    Initiative.professionnelle: "Professionnelle",
    FormeJuridique.cooperative_habitants: "Coopérative d'habitants",
    FormeJuridique.scia: "Société civile immobilière d'attribution (SCIA)",
    FormeJuridique.sci: "Société civile immobilière (SCI)",
    FormeJuridique.sas: "SAS",
    FormeJuridique.copropriete: "Copropriété",
    FormeJuridique.brs: "Bail réel solidaire (BRS)",
    FormeJuridique.locatif_social: "Locatif social (HLM)",
    FormeJuridique.association: "Association",
    FormeJuridique.autre: "Autre",
    Public.tous: "Tous publics",
    Public.seniors: "Seniors",
    Public.familles: "Familles",
    Public.intergenerationnel: "Intergénérationnel",
    Public.handicap: "Personnes en situation de handicap",
    Public.jeunes: "Jeunes",
    EspacePartage.salle_commune: "Salle commune",
    EspacePartage.jardin: "Jardin",
    EspacePartage.potager: "Potager",
    EspacePartage.atelier: "Atelier",
    EspacePartage.buanderie: "Buanderie",
    EspacePartage.chambre_amis: "Chambre d'amis",
    EspacePartage.bureau_partage: "Bureau partagé",
    EspacePartage.local_velos: "Local vélos",
    EspacePartage.autre: "Autre espace",
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
    return LABELS[value]


def parse(kind: type[E], text: str) -> E:
    """The member of `kind` meant by a slug or a French label, in any case, with or without accents."""
    key = fold(text)
    for member in kind:
        if key in (fold(member.value), fold(LABELS[member]), fold(LABELS[member].split(" (")[0])):
            return member
    alias = _ALIASES.get(key)
    if isinstance(alias, kind):
        return alias
    choices = ", ".join(member.value for member in kind)
    raise UserError("« {valeur} » n'est pas reconnu ; valeurs possibles : {choix}.", valeur=text, choix=choices)
