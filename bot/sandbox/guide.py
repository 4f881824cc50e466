"""What the sandbox's console says to a newcomer: the greeting, `:aide`, and the `:tour` it plays.

The tour is typed lines played through `Console.handle`, as if typed at the prompt, so it cannot drift
from the console; its only date is "samedi prochain", read from the sandbox's clock like any other.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.sandbox.console import Console

GREETING = """Bac à sable hors ligne : le vrai bot, dans un Discord local avec un serveur de démonstration.
Ses membres : Camille administre (Bureau), Dominique organise, Morgane modère, Alex et Sam sont membres
(Sam a Discord en anglais). Vous êtes Alex, dans #général ; :membre NOM pour agir en tant qu'un autre.
À essayer :
  /projet chercher pres_de:Clermont-Ferrand public:seniors
  :messages #annonces
  :tour          une visite guidée, du projet cherché à la mise en lien acceptée
:aide liste les commandes de la console, :quitter pour sortir.
Les fichiers joints par le bot seront enregistrés dans {files}"""

HELP = """Commandes de la console (les commandes du bot se tapent comme sur Discord) :
  /commande sous-commande option:valeur …   "…" ou « … » autour d'une valeur qui a des espaces ;
        un choix par son nom ou sa valeur (categorie:Foncier), #salon, @rôle, @membre, fichier:chemin.csv
  /commande ?   ou  :options /commande   ses options : type, obligatoire, limites, choix
  :commandes                    les commandes que Discord montre au membre ici
  :auto /commande option:texte  ce que le bot propose pendant qu'on tape
  :formulaire champ=valeur …    remplir et envoyer le formulaire ouvert (champ par son nom ; menu=a,b)
  :messages #salon              les derniers messages d'un salon, d'un fil ou d'un forum, numérotés
  :mp                           les messages privés du membre, numérotés
  :clic [N] BOUTON              cliquer sur un bouton du message N (sans N : de la dernière réponse)
  :choix [N] OPTION[,OPTION]    choisir dans le menu du message N (de même ; :choisir aussi)
  :membre NOM                   agir en tant que NOM ({members})
  :salon NOM                    le salon où taper les commandes ({channels})
  :langue fr|en-US              la langue de Discord du membre (sans rien : la sienne)
  :avancer 2j | 3h | 15min | 1j2h   avancer l'horloge du bot, échéance après échéance, et voir ce qui
                                arrive (rappels, expirations, récapitulatifs, relances) et quand
  :heure                        l'heure du bac à sable, à Paris
  :tour                         une visite guidée : chaque ligne tapée, et ce que le membre voit
  :quitter (ou Ctrl-D)          sortir ; ↑ et ↓ rappellent les lignes déjà tapées
Les fichiers joints par le bot sont enregistrés dans {files}"""


@dataclass(frozen=True)
class Step:
    why: str
    lines: tuple[str, ...]


HOUSEHOLD_WHERE = 'quand="dans 1 à 3 ans" rejoindre="un groupe qui se forme"'
TOUR = (
    Step(
        "Alex cherche un projet près de Clermont-Ferrand qui accueille des seniors.",
        (":membre alex", "/projet chercher pres_de:Clermont-Ferrand public:seniors"),
    ),
    Step(
        "Alex publie une petite annonce : un terrain pour un groupe, par le formulaire qui s'ouvre.",
        (
            "/annonce publier categorie:foncier departement:63",
            ':formulaire titre="Terrain à Thiers" texte="3000 m² constructibles, pour un habitat groupé"',
        ),
    ),
    Step(
        "Dominique, organisatrice, annonce une journée portes ouvertes : la carte paraît dans #annonces.",
        (
            ":membre dominique",
            '/evenement creer type:jpo titre:"Portes ouvertes des Hirondelles" debut:"samedi prochain 14h" '
            "fin:17h commune:Clermont-Ferrand",
        ),
    ),
    Step(
        "Alex lit #annonces et s'inscrit avec le bouton de la carte.",
        (":membre alex", ":messages #annonces", ":clic 1 S'inscrire"),
    ),
    Step(
        "On avance l'horloge du bac à sable au-delà des portes ouvertes : les rappels arrivent en MP.",
        (":avancer 8j", ":mp"),
    ),
    Step(
        "Alex présente son foyer, en trois formulaires (leurs menus se remplissent par leurs libellés).",
        (
            "/presentation creer",
            f":formulaire où=Clermont-Ferrand {HOUSEHOLD_WHERE}",
            ":clic Continuer",
            ":formulaire adultes=2 statut=« coopérative d'habitants »",
            ":clic Continuer",
            ':formulaire "ce qui compte"=écologie,entraide "quelques mots"="Un couple de retraités actifs." '
            '"qui peut voir"="Les autres foyers"',
        ),
    ),
    Step(
        "Morgane présente aussi le sien.",
        (
            ":membre morgane",
            "/presentation creer",
            f":formulaire où=Thiers {HOUSEHOLD_WHERE}",
            ":clic Continuer",
            ":formulaire adultes=2 enfants=1 statut=« coopérative d'habitants »",
            ":clic Continuer",
            ':formulaire "ce qui compte"=écologie,intergénérationnel "qui peut voir"="Les autres foyers"',
        ),
    ),
    Step(
        "Alex voit ses suggestions et demande une mise en lien avec le foyer de Morgane.",
        (":membre alex", "/mise-en-lien suggestions", ":choix Foyer 1"),
    ),
    Step(
        "Morgane reçoit la demande en MP et l'accepte : un fil les réunit.",
        (":membre morgane", ":mp", ":clic 1 Accepter"),
    ),
)


async def play_tour(console: Console) -> None:
    """Each step's explanation, then its lines as typed at the prompt and what they answer; the first
    refusal stops the tour in one line, and the console goes on."""
    write = console.write
    refusals: list[str] = []

    def watch(text: str) -> None:
        if text.startswith("⚠"):  # how `handle` says a line failed
            refusals.append(text)
        write(text)

    console.write = watch
    try:
        for number, step in enumerate(TOUR, start=1):
            write(f"\n— Étape {number}/{len(TOUR)} : {step.why}")
            for line in step.lines:
                write(console.prompt + line)
                await console.handle(line)
                if refusals:
                    write(f"Visite arrêtée à l'étape {number} (« {line} ») : {refusals[0].lstrip('⚠ ')}")
                    return
    finally:
        console.write = write
    write("\nFin de la visite : à vous de taper (:aide liste les commandes de la console).")
