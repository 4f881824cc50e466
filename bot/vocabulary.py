"""The network's own words (see the design page): slugs in code and files, French labels on screen.

Files and commands use the slug; the importer also takes the French label in any case, with or
without accents ("Coopérative d'habitants").
"""

from __future__ import annotations

from collections.abc import Iterable
from enum import StrEnum
from functools import lru_cache
from typing import TypeVar, cast

from bot.errors import UserError
from bot.text import fold

E = TypeVar("E", bound=StrEnum)


def mask_of(values: Iterable[StrEnum], vocabulary: type[StrEnum]) -> int:
    """A set of the vocabulary's members as a bitmask, bit i for its i-th member: the columns the in-memory
    indexes read (migrations 0022 and 0024). A member added at the end keeps the masks written; reordering
    rewrites them."""
    bits = _bits(vocabulary)
    mask = 0
    for value in values:
        mask |= bits[value]
    return mask


@lru_cache(maxsize=64)
def _bits(vocabulary: type[StrEnum]) -> dict[StrEnum, int]:
    # Listing an enumeration's members is slow (~10 µs), and every record written or ranked takes a few masks.
    return {member: 1 << bit for bit, member in enumerate(vocabulary)}


def members_of(mask: int, vocabulary: type[E]) -> frozenset[E]:
    """The vocabulary's members a bitmask of `mask_of` holds."""
    return cast(frozenset[E], _members(mask, vocabulary))


@lru_cache(maxsize=4096)
def _members(mask: int, vocabulary: type[StrEnum]) -> frozenset[StrEnum]:
    # Every profile and project read turns a few masks into sets, and few masks occur: each is worked out once.
    return frozenset(member for bit, member in enumerate(vocabulary) if mask >> bit & 1)


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


class Horizon(StrEnum):
    """When a household would move in."""

    maintenant = "maintenant"
    moins_1_an = "moins_1_an"
    un_trois_ans = "un_trois_ans"
    plus_tard = "plus_tard"


class Milieu(StrEnum):
    urbain = "urbain"
    periurbain = "periurbain"
    rural = "rural"


class Statut(StrEnum):
    """Tenure and means a household can consider."""

    locatif_social = "locatif_social"
    accession_sociale = "accession_sociale"
    achat = "achat"
    cooperative = "cooperative"
    brs = "brs"


class EtapeRejointe(StrEnum):
    """The stage of a project a household would join."""

    groupe_en_formation = "groupe_en_formation"
    projet_en_cours = "projet_en_cours"
    lieu_existant = "lieu_existant"


class Valeur(StrEnum):
    ecologie = "ecologie"
    intergenerationnel = "intergenerationnel"
    mixite_sociale = "mixite_sociale"
    espaces_partages = "espaces_partages"
    gouvernance_partagee = "gouvernance_partagee"
    vieillir_chez_soi = "vieillir_chez_soi"
    accessibilite = "accessibilite"
    sobriete = "sobriete"
    entraide = "entraide"
    culture = "culture"


class Apport(StrEnum):
    """What a household brings to a group."""

    menuiserie = "menuiserie"
    maconnerie = "maconnerie"
    jardinage = "jardinage"
    electricite = "electricite"
    architecture = "architecture"
    comptabilite = "comptabilite"
    juridique = "juridique"
    animation = "animation"
    communication = "communication"
    informatique = "informatique"
    cuisine = "cuisine"
    soin = "soin"


class AdCategory(StrEnum):
    cherche_groupe = "cherche_groupe"
    cherche_foyers = "cherche_foyers"
    logement = "logement"
    foncier = "foncier"
    entraide = "entraide"
    autre = "autre"


# ------------------------------------------------------------------ the facilitators' framework (RAHP)
# Phases are `Etape`; strands, steps, expertise and stances below (bot/resources/framework.py orders them).


class Volet(StrEnum):
    """A strand of the framework."""

    immobilier = "immobilier"
    participatif = "participatif"
    collectif = "collectif"


class Pas(StrEnum):
    """A step of one strand (bot/resources/framework.py says which strand and phase)."""

    jalons = "jalons"
    etudes = "etudes"
    conception = "conception"
    construction = "construction"
    gestion = "gestion"
    decouverte = "decouverte"
    cadres = "cadres"
    roles = "roles"
    rythme = "rythme"
    attribution = "attribution"
    montage = "montage"
    exploratoire = "exploratoire"
    intentions = "intentions"
    collectif_projet = "collectif_projet"
    voisinage = "voisinage"


class Blocage(StrEnum):
    """What a group may feel stuck on, per strand (bot/resources/framework.py)."""

    foncier = "foncier"
    financement = "financement"
    maitrise_ouvrage = "maitrise_ouvrage"
    budget = "budget"
    entretien = "entretien"
    demarches = "demarches"
    cadre_commun = "cadre_commun"
    partage_roles = "partage_roles"
    rythme = "rythme"
    nouveaux_foyers = "nouveaux_foyers"
    mobiliser = "mobiliser"
    projet_commun = "projet_commun"
    decision = "decision"
    communication = "communication"
    conflits = "conflits"
    entree_sortie = "entree_sortie"


class Expertise(StrEnum):
    participation_citoyenne = "participation_citoyenne"
    immobilier = "immobilier"
    gestion_projets = "gestion_projets"
    dynamiques_groupes = "dynamiques_groupes"


class Posture(StrEnum):
    animation = "animation"
    facilitation = "facilitation"
    expertise = "expertise"


class Suivi(StrEnum):
    """How a facilitator works with a group."""

    ponctuel = "ponctuel"
    continu = "continu"


# ------------------------------------------------------------------ the resource centre


class Theme(StrEnum):
    juridique = "juridique"
    financier = "financier"
    gouvernance = "gouvernance"
    conception = "conception"
    chantier = "chantier"
    vie_collective = "vie_collective"
    habitat_inclusif = "habitat_inclusif"
    foncier = "foncier"
    collectivites = "collectivites"
    bailleurs_sociaux = "bailleurs_sociaux"
    autre = "autre"


class TypeRessource(StrEnum):
    guide = "guide"
    trame_type = "trame_type"
    exemple_statuts = "exemple_statuts"
    etude = "etude"
    retour_experience = "retour_experience"
    video = "video"
    photo = "photo"
    outil = "outil"
    autre = "autre"


class Destinataire(StrEnum):
    """Whom a resource is written for."""

    habitants = "habitants"
    collectivites = "collectivites"
    professionnels = "professionnels"
    bailleurs = "bailleurs"


class Licence(StrEnum):
    cc0 = "cc0"
    cc_by = "cc_by"
    cc_by_sa = "cc_by_sa"
    cc_by_nd = "cc_by_nd"
    cc_by_nc = "cc_by_nc"
    cc_by_nc_sa = "cc_by_nc_sa"
    cc_by_nc_nd = "cc_by_nc_nd"
    tous_droits_reserves = "tous_droits_reserves"


# French labels, one table per vocabulary: the same slug ("autre", "atelier") can mean different things.
LABELS: dict[type[StrEnum], dict[str, str]] = {
    AdCategory: {
        AdCategory.cherche_groupe: "Foyer cherche groupe",
        AdCategory.cherche_foyers: "Groupe cherche foyers",
        AdCategory.logement: "Logement",
        AdCategory.foncier: "Foncier",
        AdCategory.entraide: "Entraide",
        AdCategory.autre: "Divers",
    },
    Horizon: {
        Horizon.maintenant: "dès maintenant",
        Horizon.moins_1_an: "d'ici un an",
        Horizon.un_trois_ans: "dans 1 à 3 ans",
        Horizon.plus_tard: "plus tard",
    },
    Milieu: {Milieu.urbain: "urbain", Milieu.periurbain: "périurbain", Milieu.rural: "rural"},
    Statut: {
        Statut.locatif_social: "locatif social",
        Statut.accession_sociale: "accession sociale",
        Statut.achat: "achat",
        Statut.cooperative: "coopérative d'habitants",
        Statut.brs: "bail réel solidaire",
    },
    EtapeRejointe: {
        EtapeRejointe.groupe_en_formation: "un groupe qui se forme",
        EtapeRejointe.projet_en_cours: "un projet en cours",
        EtapeRejointe.lieu_existant: "un lieu existant avec un logement libre",
    },
    Valeur: {
        Valeur.ecologie: "écologie",
        Valeur.intergenerationnel: "intergénérationnel",
        Valeur.mixite_sociale: "mixité sociale",
        Valeur.espaces_partages: "espaces partagés",
        Valeur.gouvernance_partagee: "gouvernance partagée",
        Valeur.vieillir_chez_soi: "bien vieillir chez soi",
        Valeur.accessibilite: "accessibilité",
        Valeur.sobriete: "sobriété",
        Valeur.entraide: "entraide",
        Valeur.culture: "culture",
    },
    Apport: {
        Apport.menuiserie: "la menuiserie",
        Apport.maconnerie: "la maçonnerie",
        Apport.jardinage: "le jardinage",
        Apport.electricite: "l'électricité",
        Apport.architecture: "l'architecture",
        Apport.comptabilite: "la comptabilité",
        Apport.juridique: "le droit",
        Apport.animation: "l'animation de groupe",
        Apport.communication: "la communication",
        Apport.informatique: "l'informatique",
        Apport.cuisine: "la cuisine",
        Apport.soin: "le soin",
    },
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
    Volet: {
        Volet.immobilier: "Projet immobilier",
        Volet.participatif: "Démarche participative",
        Volet.collectif: "Dynamique collective",
    },
    Pas: {
        Pas.jalons: "Poser les jalons",
        Pas.etudes: "Études pré-opérationnelles",
        Pas.conception: "Conception",
        Pas.construction: "Construction",
        Pas.gestion: "Gestion du patrimoine",
        Pas.decouverte: "Découvrir les démarches et les acteurs",
        Pas.cadres: "Poser le cadre de travail",
        Pas.roles: "Partager les rôles",
        Pas.rythme: "Accorder le rythme de la participation",
        Pas.attribution: "Accueillir les foyers (attribution, vente)",
        Pas.montage: "Ajuster le montage aux habitants",
        Pas.exploratoire: "Collectif exploratoire",
        Pas.intentions: "Collectif d'intentions",
        Pas.collectif_projet: "Collectif de projet",
        Pas.voisinage: "Collectif de voisinage",
    },
    Blocage: {
        Blocage.foncier: "Trouver un terrain ou un bâtiment",
        Blocage.financement: "Boucler le financement",
        Blocage.maitrise_ouvrage: "Choisir qui porte l'opération (maîtrise d'ouvrage)",
        Blocage.budget: "Tenir le budget et le calendrier",
        Blocage.entretien: "Gérer et entretenir le lieu",
        Blocage.demarches: "Connaître les démarches, les acteurs, les étapes",
        Blocage.cadre_commun: "Se donner un cadre (charte, objectifs)",
        Blocage.partage_roles: "Partager les rôles avec le maître d'ouvrage et les concepteurs",
        Blocage.rythme: "Tenir le rythme de la participation",
        Blocage.nouveaux_foyers: "Accueillir de nouveaux foyers",
        Blocage.mobiliser: "Mobiliser, se rencontrer",
        Blocage.projet_commun: "Passer du « je » au « nous » : écrire le projet commun",
        Blocage.decision: "Décider ensemble",
        Blocage.communication: "Communiquer, au-dedans et au-dehors",
        Blocage.conflits: "Traverser les tensions et les conflits",
        Blocage.entree_sortie: "Les règles pour entrer et sortir du groupe",
    },
    Expertise: {
        Expertise.participation_citoyenne: "Participation citoyenne",
        Expertise.immobilier: "Immobilier",
        Expertise.gestion_projets: "Gestion de projets complexes",
        Expertise.dynamiques_groupes: "Dynamiques de groupes",
    },
    Posture: {
        Posture.animation: "Animateur·rice",
        Posture.facilitation: "Facilitateur·rice",
        Posture.expertise: "Expert·e",
    },
    Suivi: {Suivi.ponctuel: "Ponctuel", Suivi.continu: "Dans la durée"},
    Theme: {
        Theme.juridique: "Juridique",
        Theme.financier: "Financier",
        Theme.gouvernance: "Gouvernance",
        Theme.conception: "Conception du bâti",
        Theme.chantier: "Chantier",
        Theme.vie_collective: "Vie collective",
        Theme.habitat_inclusif: "Habitat inclusif",
        Theme.foncier: "Foncier",
        Theme.collectivites: "Relations avec les collectivités",
        Theme.bailleurs_sociaux: "Bailleurs sociaux",
        Theme.autre: "Autre thème",
    },
    TypeRessource: {
        TypeRessource.guide: "Guide",
        TypeRessource.trame_type: "Trame-type",
        TypeRessource.exemple_statuts: "Exemple de statuts",
        TypeRessource.etude: "Étude",
        TypeRessource.retour_experience: "Retour d'expérience",
        TypeRessource.video: "Vidéo",
        TypeRessource.photo: "Photo",
        TypeRessource.outil: "Outil",
        TypeRessource.autre: "Autre document",
    },
    Destinataire: {
        Destinataire.habitants: "Habitants",
        Destinataire.collectivites: "Collectivités",
        Destinataire.professionnels: "Professionnels",
        Destinataire.bailleurs: "Bailleurs",
    },
    Licence: {
        Licence.cc0: "Domaine public (CC0)",
        Licence.cc_by: "Creative Commons BY (citer l'auteur)",
        Licence.cc_by_sa: "Creative Commons BY-SA (citer, partager à l'identique)",
        Licence.cc_by_nd: "Creative Commons BY-ND (citer, sans modification)",
        Licence.cc_by_nc: "Creative Commons BY-NC (citer, pas d'usage commercial)",
        Licence.cc_by_nc_sa: "Creative Commons BY-NC-SA (citer, pas d'usage commercial, partager à l'identique)",
        Licence.cc_by_nc_nd: "Creative Commons BY-NC-ND (citer, pas d'usage commercial, sans modification)",
        Licence.tous_droits_reserves: "Tous droits réservés",
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
