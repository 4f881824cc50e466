"""The diagnostic's wording: what usually matters at each step of the framework, in the bot's own words
(French source strings; English in bot/locales/en.toml)."""

from __future__ import annotations

from bot.errors import Text
from bot.vocabulary import Pas, Volet

# What usually matters while a group is at this step.
NOW: dict[Pas, Text] = {
    Pas.jalons: Text(
        "Chercher un terrain ou un bâtiment, confronter les premières envies aux moyens de chacun, "
        "et choisir qui portera l'opération : le groupe lui-même ou un opérateur partenaire."
    ),
    Pas.etudes: Text(
        "Écrire le programme, monter le plan de financement, signer les contrats de partenariat "
        "et de prestation, tenir un calendrier."
    ),
    Pas.conception: Text("Faire les choix de conception avec l'architecte, ensemble, sans perdre le budget de vue."),
    Pas.construction: Text(
        "Passer les marchés avec les entreprises, suivre le chantier, les factures et les paiements."
    ),
    Pas.gestion: Text(
        "Entretenir les parties communes et faire vivre la structure juridique (copropriété, "
        "société, association de locataires)."
    ),
    Pas.decouverte: Text(
        "Visiter des habitats participatifs, participer à des temps de sensibilisation, "
        "connaître les acteurs et le calendrier d'un projet."
    ),
    Pas.cadres: Text(
        "Se donner un cadre de travail : une charte du projet, des objectifs partagés avec les partenaires."
    ),
    Pas.roles: Text(
        "Répartir clairement les rôles entre les futurs habitants, le maître d'ouvrage et les concepteurs."
    ),
    Pas.rythme: Text("Accorder le rythme de la participation avec les compétences et la disponibilité du groupe."),
    Pas.attribution: Text(
        "Faire coïncider l'attribution ou la vente des logements avec l'arrivée des nouveaux foyers dans le groupe."
    ),
    Pas.montage: Text("Ajuster le montage juridique et financier aux souhaits et aux moyens des futurs habitants."),
    Pas.exploratoire: Text("Se rencontrer, échanger librement, que chacun puisse dire en confiance ce qu'il cherche."),
    Pas.intentions: Text(
        "Passer du « je » au « nous » : trouver l'intérêt commun, écrire le projet partagé, "
        "poser les premières règles pour entrer dans le groupe et en sortir."
    ),
    Pas.collectif_projet: Text(
        "Agir et décider ensemble : qui fait quoi, comment on décide, les mandats des groupes de travail, "
        "comment on communique au-dedans et au-dehors."
    ),
    Pas.voisinage: Text(
        "Faire vivre les usages et services partagés, traverser les tensions, continuer à transmettre les savoir-faire."
    ),
}

# A strand not begun yet: why it matters, before its first step.
NOT_BEGUN: dict[Volet, Text] = {
    Volet.immobilier: Text(
        "Rien n'est lancé de ce côté : le lieu, son financement et qui portera l'opération viendront en premier."
    ),
    Volet.participatif: Text(
        "Rien n'est lancé de ce côté : il s'agira de dire comment les futurs habitants prennent part au projet."
    ),
    Volet.collectif: Text("Le groupe reste à former : se rencontrer, se dire ce que chacun cherche."),
}

DONE = Text("C'est la dernière étape de ce volet.")
