"""The sandbox's console, typed into as a person would, against the real bot on the emulator."""

from __future__ import annotations

import io
import re
import sys
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.config import Settings
from bot.sandbox.console import Console, run_console
from bot.sandbox.harness import Sandbox
from tests.e2e.test_households import profile_for
from tests.support import ManualDateClock

STARTS = "/ |/projet |/projet chercher |/evenement inscrire |:clic |:choix |:formulaire |:auto /projet chercher |"
STARTS += ":messages |:membre |:avancer |:options |:salon |:langue "
STARTS_LIST = STARTS.split("|")
EVENT = 'type:JPO titre:"Portes ouvertes des Hirondelles" debut:"10/04/2027 14h" fin:17h commune:insee:63113'


class Typist:
    """A console and everything it wrote, one entry per call to `write`."""

    def __init__(self, console: Console) -> None:
        self.console = console
        self.written: list[str] = []
        console.write = self.written.append

    async def __call__(self, line: str) -> str:
        """Type `line`; what the console wrote in answer."""
        before = len(self.written)
        assert await self.console.handle(line)
        return "\n".join(self.written[before:])

    async def lines(self, line: str) -> list[str]:
        before = len(self.written)
        await self.console.handle(line)
        return self.written[before:]


@pytest.fixture
def files(tmp_path: Path) -> Path:
    return tmp_path / "fichiers"


@pytest.fixture
def typist(furnished: Sandbox, clock: ManualDateClock, files: Path) -> Typist:
    return Typist(Console(furnished, clock, files))


async def event_with_alex_registered(typist: Typist) -> str:
    """Dominique creates an open day; Alex reads #annonces and signs up with the card's button."""
    await typist(":membre dominique")
    await typist(f"/evenement creer {EVENT}")
    await typist(":membre alex")
    listed = await typist(":messages #annonces")
    assert listed.startswith("[1] #annonces\n┃ 🚪 Portes ouvertes des Hirondelles")
    return await typist(":clic 1 S'inscrire")


# ---------------------------------------------------------------------- never dies


@pytest.mark.parametrize(
    "line",
    [
        "/",
        "/ ",
        ":auto /projet chercher",
        ":auto",
        ":clic",
        ":clic 3 Publier",
        ":choix Familles",
        ":formulaire nom=x",
        ":membre personne",
        ':salon "abc',
        '"abc',
        '/projet chercher texte:"abc',
        ":avancer xyz",
        ":avancer 0min",
        "/projet",
        "/inconnue",
        "/projet chercher rayon_km:beaucoup",
        "/projet chercher departemnt:63",
        "/config voir",
        ":messages #moderation",
        ":langue klingon",
        ":quoi",
    ],
)
async def test_whatever_is_typed_gets_one_line_and_the_console_goes_on(typist: Typist, line: str) -> None:
    [answer] = await typist.lines(line)
    assert "\n" not in answer and answer
    assert "Ce que fait le bot" in await typist("/aide")


async def test_help_names_every_console_command_and_the_files_folder(typist: Typist, files: Path) -> None:
    shown = await typist(":aide")
    for command in (":commandes", ":options", ":auto", ":formulaire", ":messages", ":mp", ":clic", ":choix",
                    ":membre", ":salon", ":langue", ":avancer", ":heure", ":quitter"):  # fmt: skip
        assert f"  {command}" in shown
    assert "(camille, dominique, morgane, alex, sam)" in shown
    assert shown.endswith(f"Les fichiers joints par le bot sont enregistrés dans {files}")


async def test_unknown_names_are_refused_with_the_valid_ones(typist: Typist) -> None:
    assert await typist(":membre personne") == (
        "⚠ « personne » n'est pas parmi les membres : camille, dominique, morgane, alex, sam"
    )
    assert await typist(":avancer xyz") == ("⚠ « xyz » n'est pas une durée : écrivez par exemple 2j, 3h, 15min ou 1j2h")
    assert await typist("/projet") == (
        "⚠ /projet attend une sous-commande : chercher, fiche, proposer, modifier, importer, exporter"
    )
    assert await typist("/config voir") == "⚠ Discord refuserait : Discord ne montre pas /config à alex"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    line=st.one_of(
        st.text(max_size=40),
        st.builds(
            "".join,
            st.tuples(
                st.sampled_from(STARTS_LIST),
                st.text(alphabet=st.sampled_from(list("ab:=?\"«» ,'#@1j")), max_size=20),
            ),
        ),
    )
)
async def test_handle_never_raises(typist: Typist, line: str) -> None:
    await typist.console.handle(line)


# ---------------------------------------------------------------------- what Discord shows


async def test_commands_are_listed_as_registered_with_their_descriptions(typist: Typist) -> None:
    listed = await typist(":commandes")
    assert "/projet — La base nationale des projets d'habitat participatif" in listed
    assert "  /projet chercher — Chercher des projets par mots, lieu, étape, public…" in listed
    assert "  /evenement calendrier — L'agenda (ou un événement) en fichier .ics pour votre calendrier" in listed
    assert listed.endswith("(masquées pour alex : /config)")
    await typist(":membre camille")
    assert "  /config fuseau — Fuseau horaire des dates affichées sur ce serveur" in await typist(":commandes")
    await typist(":membre sam")  # Sam's Discord is in English
    assert "  /project search — Search projects by words, place, stage, public…" in await typist(":commandes")


async def test_a_question_mark_lists_the_options_their_limits_and_choices(typist: Typist) -> None:
    listed = await typist("/projet chercher ?")
    assert listed == await typist(":options /projet chercher")
    lines = listed.splitlines()
    assert lines[0] == "/projet chercher — Chercher des projets par mots, lieu, étape, public…"
    assert (
        "  texte: texte, facultatif, de 1 à 200 caractères — Mots à chercher dans le nom, la commune et la description"
    ) in lines
    assert "  rayon_km: nombre entier, facultatif, de 1 à 300 — Distance autour de la commune (30 km par défaut)" in (
        lines
    )
    assert "  etape: un choix, facultatif — Étape du projet" in lines
    assert "      choix : Émergence = emergence · Réalisation = realisation · Vivre ensemble = vivre_ensemble" in lines
    assert (
        "  departement: texte, facultatif, au plus 100 caractères, avec propositions (:auto) — Numéro ou nom du "
        "département"
    ) in lines
    creating = (await typist("/annonce publier ?")).splitlines()
    assert "  categorie: un choix, obligatoire — De quoi s'agit-il ?" in creating


async def test_a_choice_is_given_by_its_label_or_value_in_any_case_with_or_without_accents(typist: Typist) -> None:
    by_value = await typist("/projet chercher etape:realisation")
    assert "Réalisation" in by_value and "Émergence" not in by_value
    assert await typist("/projet chercher etape:Réalisation") == by_value
    assert await typist("/projet chercher etape:REALISATION") == by_value
    assert await typist("/projet chercher etape:real") == by_value  # the start of a word is enough
    assert await typist("/projet chercher etape:bientôt") == (
        "⚠ « bientôt » n'est pas parmi les choix de « etape » : "
        "Émergence (emergence), Réalisation (realisation), Vivre ensemble (vivre_ensemble)"
    )


async def test_an_ad_category_by_label_and_its_contact_button(typist: Typist, furnished: Sandbox) -> None:
    await typist(":membre sam")
    form = await typist('/annonce publier categorie:"Foncier (terrain, bâtiment)" departement:63')
    assert "How long the ad runs* : menu, 1 choix parmi 30 days, 60 days ✓, 90 days" in form
    published = await typist(':formulaire title="Terrain à Thiers" text=Un terrain pour un habitat groupé')
    assert published.startswith("(visible par vous seul)\nAd published:")
    assert "[1] #Terrain à Thiers\nUn terrain pour un habitat groupé" in published
    for typed in ("Foncier", "foncier", '"Foncier (terrain, bâtiment)"'):
        assert "Terrain à Thiers" in await typist(f"/annonce chercher categorie:{typed}")
    assert await typist("/annonce chercher categorie:cherche") == (
        "⚠ « cherche » peut désigner plusieurs choix de « category » : "
        "Household seeks group (cherche_groupe), Group seeks households (cherche_foyers)"
    )
    await typist(":membre alex")
    assert (await typist(":messages #petites-annonces")).startswith("[1] #Terrain à Thiers")
    assert "Votre message* : texte long, 10 à 1500 caractères" in await typist(":clic 1 Contacter")
    sent = await typist(":formulaire message=Bonjour, le terrain est-il encore libre ?")
    assert sent.startswith("(visible par vous seul)\nMessage transmis")
    assert "Ailleurs : 1 MP pour sam" in sent
    [contact] = furnished.emulator.dms_to(furnished.demo.user("sam"))
    assert contact["embeds"][0]["description"] == "Bonjour, le terrain est-il encore libre ?"


async def test_a_form_is_listed_by_labels_and_submitted_by_labels(typist: Typist, furnished: Sandbox) -> None:
    form = await typist("/projet proposer commune:insee:63430 etape:Émergence recrute:oui")
    assert form.splitlines()[:6] == [
        "▭ Proposer un projet",
        "  Nom du projet* : texte, 2 à 100 caractères",
        "  Description : texte long, jusqu'à 2000 caractères (Le projet, ses valeurs, qui vous cherchez…)",
        "  Contact public (courriel, téléphone) : texte, jusqu'à 200 caractères",
        "  Publics accueillis : menu, 0 à 6 choix parmi Tous publics, Seniors, Familles, Intergénérationnel, "
        "Personnes en situation de handicap, Jeunes",
        "  Espaces partagés : menu, 0 à 9 choix parmi Salle commune, Jardin, Potager, Atelier, Buanderie, "
        "Chambre d'amis, Bureau partagé, Local vélos, Autre espace",
    ]
    assert not re.search(r"[0-9a-f]{32}", form)  # no random custom ids
    wrong = await typist(':formulaire "nom du projet"=Le Clos publics=bientôt')
    assert wrong.startswith("⚠ « bientôt » n'est pas parmi les choix de « Publics accueillis » : Tous publics, ")
    sent = await typist(
        ':formulaire "NOM DU PROJET"=Le Clos des Tests description=Une ferme à rénover à plusieurs '
        'publics=familles,INTERGENERATIONNEL "espaces partages"=[Jardin, local velos]'
    )
    assert "« Le Clos des Tests » attend la validation d'un modérateur" in sent
    assert "Ailleurs : 1 message dans #modération" in sent
    row = await furnished.bot.db.fetchone(
        "SELECT id, description, recrute FROM projects WHERE nom = 'Le Clos des Tests'"
    )
    assert row is not None and (row["description"], row["recrute"]) == ("Une ferme à rénover à plusieurs", 1)
    publics = await furnished.bot.db.fetchall("SELECT public FROM project_publics WHERE project_id = ?", (row["id"],))
    spaces = await furnished.bot.db.fetchall("SELECT espace FROM project_spaces WHERE project_id = ?", (row["id"],))
    assert {r["public"] for r in publics} == {"familles", "intergenerationnel"}
    assert {r["espace"] for r in spaces} == {"jardin", "local_velos"}


# ---------------------------------------------------------------------- acting on any message


async def test_a_moderator_publishes_from_the_moderation_channel(typist: Typist, furnished: Sandbox) -> None:
    await typist("/projet proposer commune:insee:63430 etape:emergence")
    await typist(":formulaire nom=Le Clos des Tests")
    assert await typist(":messages #moderation") == "⚠ alex ne voit pas #modération"
    await typist(":membre morgane")
    card = await typist(":messages #moderation")
    assert card.startswith("[1] #modération\n🆕 Nouveau projet à valider")
    assert "Proposé par @Alex" in card and "<@" not in card
    assert card.endswith("[✔ Publier] [✖ Refuser]")
    published = await typist(":clic 1 publier")
    assert "— Publié par Morgane" in published
    assert "Ailleurs : 1 MP pour alex" in published
    row = await furnished.bot.db.fetchone("SELECT statut FROM projects WHERE nom = 'Le Clos des Tests'")
    assert row is not None and row["statut"] == "publie"


async def test_a_member_signs_up_with_the_button_of_the_card_in_announcements(
    typist: Typist, furnished: Sandbox
) -> None:
    signed = await event_with_alex_registered(typist)
    # Discord's timestamps as a member in Paris reads them.
    assert "1 personne à « Portes ouvertes des Hirondelles », samedi 10 avril 2027 à 14h00 (dans" in signed
    card = await typist(":messages #annonces")
    assert "┃ Organisé par @Dominique\n" in card and "<@" not in card
    rows = await furnished.bot.db.fetchall("SELECT user_id, status FROM registrations")
    assert [(r["user_id"], r["status"]) for r in rows] == [(furnished.demo.user("alex").id, "inscrit")]
    assert (
        await typist(":clic 1 S'abonner") == "⚠ pas de bouton « S'abonner » ici ; boutons : [S'inscrire] [Intéressé·e]"
    )


async def test_time_moves_a_reminder_arrives_and_is_answered_in_dms(
    typist: Typist, furnished: Sandbox, clock: ManualDateClock
) -> None:
    await event_with_alex_registered(typist)
    assert await typist(":heure") == "Il est lundi 1er mars 2027 à 10h00 (heure de Paris, horloge du bac à sable)."
    assert await typist(":mp") == "Rien à montrer dans ses messages privés."
    quiet = await typist(":avancer 1j")
    assert quiet == "Il est maintenant mardi 2 mars 2027 à 10h00 (heure de Paris).\nRien de nouveau pour alex."
    moved = await typist(":avancer 32j3h")  # seven days before the open day (summer time since 28 March)
    assert moved.startswith("Il est maintenant samedi 3 avril 2027 à 14h00 (heure de Paris).\n— arrivé depuis :")
    assert "[1] MP — samedi 3 avril 2027 à 14h00\n⏰ Rappel : vous êtes inscrit·e à « Portes ouvertes des " in moved
    dms = await typist(":mp")
    assert dms.startswith("[1] MP\n⏰ Rappel") and dms.endswith("[✖ Je ne viens plus]")
    left = await typist(":clic 1 Je ne viens plus")
    assert left == "(visible par vous seul)\nVous n'êtes plus inscrit·e à « Portes ouvertes des Hirondelles »."
    assert await furnished.bot.db.fetchall("SELECT * FROM registrations") == []


async def test_a_jump_past_the_event_stops_at_each_reminder_on_the_way(typist: Typist) -> None:
    await event_with_alex_registered(typist)
    moved = await typist(":avancer 60j")
    assert moved.startswith("Il est maintenant vendredi 30 avril 2027 à 11h00 (heure de Paris).\n— arrivé depuis :")
    headers = [line for line in moved.splitlines() if line.startswith("[") and " MP — " in line]
    assert headers == [
        "[1] MP — samedi 3 avril 2027 à 14h00",  # seven days,
        "[2] MP — vendredi 9 avril 2027 à 14h00",  # one day
        "[3] MP — samedi 10 avril 2027 à 12h00",  # and two hours before
    ]


async def test_an_introduction_is_accepted_from_the_dm_it_arrives_in(typist: Typist, furnished: Sandbox) -> None:
    alex, morgane = furnished.demo.user("alex"), furnished.demo.user("morgane")
    await profile_for(furnished, alex, insee="63430")
    await profile_for(furnished, morgane)
    assert "Foyer 1" in await typist("/mise-en-lien suggestions")
    asked = await typist(":choix foyer 1")
    assert asked.startswith("(visible par vous seul)\nDemande envoyée.")
    assert "Ailleurs : 1 MP pour morgane" in asked
    await typist(":membre morgane")
    request = await typist(":mp")
    assert request.startswith("[1] MP\n") and request.endswith("[✔ Accepter] [Décliner]")
    accepted = await typist(":clic 1 Accepter")
    assert accepted.startswith("Mise en lien acceptée : #")  # the thread, named as Discord shows it
    assert "<#" not in accepted


# ---------------------------------------------------------------------- files


async def test_a_calendar_file_is_saved_outside_the_checkout_and_its_first_lines_shown(
    typist: Typist, files: Path
) -> None:
    await event_with_alex_registered(typist)
    shown = await typist("/evenement calendrier")
    saved = files / "agenda.ics"
    assert f"  ↳ enregistré : {saved}" in shown
    assert "  │ BEGIN:VCALENDAR\n  │ VERSION:2.0\n" in shown
    assert saved.read_bytes().startswith(b"BEGIN:VCALENDAR")
    again = await typist("/evenement calendrier")
    assert f"  ↳ enregistré : {files / 'agenda-2.ics'}" in again  # a second file does not overwrite the first


async def test_a_csv_export_is_shown_by_its_first_lines_and_a_local_file_can_be_imported(
    typist: Typist, files: Path, tmp_path: Path
) -> None:
    await typist(":membre dominique")
    shown = await typist("/projet exporter etape:Émergence")
    assert f"  ↳ enregistré : {files / 'projets.csv'}\n  │ nom,commune,code_insee,etape," in shown
    assert "  │ … (" in shown  # the rest of the file is in the folder
    edited = (
        (files / "projets.csv")
        .read_text(encoding="utf-8")
        .replace("61038,emergence,citoyenne,sci,6,", "61038,emergence,citoyenne,sci,7,")
    )
    (tmp_path / "corrige.csv").write_text(edited, encoding="utf-8")
    imported = await typist(f"/projet importer fichier:{tmp_path / 'corrige.csv'}")
    assert imported.endswith("Import terminé : 0 créé, 1 mis à jour, 19 inchangés.")
    assert await typist("/projet importer fichier:nulle/part.csv") == (
        "⚠ pas de fichier nulle/part.csv : donnez le chemin d'un fichier de votre ordinateur"
    )


async def test_my_data_arrive_as_json_laid_out(typist: Typist, files: Path) -> None:
    shown = await typist("/mes-donnees voir")
    assert f"  ↳ enregistré : {files / 'mes-donnees.json'}" in shown
    assert '  │ {\n  │   "membre": ' in shown


# ---------------------------------------------------------------------- in a terminal


def folders(path: Path) -> list[Path]:
    """What `path` holds, files or folders, apart from the console's history."""
    return sorted(child for child in path.iterdir() if child.name != "habitat-sandbox-historique")


async def test_the_sandbox_reads_lines_until_the_end_and_keeps_only_the_files_received(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(sys, "stdin", io.StringIO("/\n/evenement calendrier\n:heure\n"))
    assert await run_console(Settings(_env_file=None)) == 0
    out = capsys.readouterr().out
    [session] = folders(tmp_path)
    assert session.name.startswith("habitat-sandbox-")
    assert f"Les fichiers joints par le bot seront enregistrés dans {session / 'fichiers'}\n" in out
    assert "alex@#général> ⚠ quelle commande ? Tapez son nom après le / (:commandes les liste)\n" in out
    assert f"  ↳ enregistré : {session / 'fichiers' / 'agenda.ics'}\n" in out
    assert out.endswith(f"Les fichiers reçus restent dans {session / 'fichiers'}\n")
    assert folders(session) == [session / "fichiers"]  # the database is gone, with nothing else left
