"""/projet through the real discord.py client and the emulator."""

from __future__ import annotations

import csv
import io

import pytest

from bot.projects.csvfile import CSV_HEADER
from bot.projects.models import ProjectDraft
from bot.sandbox.driver import DriverError, Upload
from bot.sandbox.harness import Sandbox
from bot.vocabulary import Etape
from tests.support import ManualDateClock

HIRONDELLES = "Les Hirondelles de démo (démo)"


async def project_id(sb: Sandbox, name: str) -> int:
    row = await sb.bot.db.fetchone("SELECT id FROM projects WHERE nom = ?", (name,))
    assert row is not None
    return int(row["id"])


# ---------------------------------------------------------------------- search


async def test_search_by_departement_is_paginated_for_the_asker_only(furnished: Sandbox) -> None:
    sb = furnished
    alex, sam = sb.demo.user("alex"), sb.demo.user("sam")
    reply = await sb.driver.slash(alex, "projet chercher", departement="63")
    assert not reply.ephemeral  # results are shared in the channel
    assert reply.embeds[0]["description"] == "8 projet(s) trouvé(s)"
    assert len(reply.embeds[0]["fields"]) == 5
    assert reply.message is not None
    refused = await sb.driver.click(sam, reply.message, "▶")
    assert refused.ephemeral
    assert reply.message.embeds[0]["fields"][0]["name"].startswith("1.")
    await sb.driver.click(alex, reply.message, "▶")
    assert [f["name"][:2] for f in reply.message.embeds[0]["fields"]] == ["6.", "7.", "8."]


async def test_anyone_can_open_a_record_from_the_results(furnished: Sandbox) -> None:
    sb = furnished
    reply = await sb.driver.slash(
        sb.demo.user("alex"), "projet chercher", departement="puy-de-dôme", texte="hirondelles"
    )
    assert reply.message is not None
    opened = await sb.driver.choose(sb.demo.user("sam"), reply.message, [HIRONDELLES])
    assert opened.ephemeral
    assert opened.embeds[0]["title"] == HIRONDELLES
    assert "Clermont-Ferrand (63)" in opened.text
    assert "Family" in opened.text or "Families" in opened.text  # Sam's Discord is in English


async def test_search_near_a_commune_shows_distances(furnished: Sandbox) -> None:
    sb = furnished
    reply = await sb.driver.slash(
        sb.demo.user("alex"), "projet chercher", pres_de="insee:63113", rayon_km=40, texte="coopératives"
    )
    text = reply.text
    assert "à 0 km" in text
    assert "Issoire (63) · à 29 km" in text
    assert "Thiers" not in text  # no coopérative in its description


async def test_old_region_and_filters(furnished: Sandbox) -> None:
    sb = furnished
    reply = await sb.driver.slash(
        sb.demo.user("alex"), "projet chercher", region="Auvergne", etape="emergence", recrute=True
    )
    assert "Thiers (63)" in reply.text
    assert all("Émergence" in f["value"] for f in reply.embeds[0]["fields"])


async def test_nothing_found_is_said_plainly(furnished: Sandbox) -> None:
    reply = await furnished.driver.slash(furnished.demo.user("alex"), "projet chercher", texte="zeppelin")
    assert reply.ephemeral
    assert reply.content.startswith("Aucun projet ne correspond")


async def test_an_ambiguous_commune_is_never_guessed(furnished: Sandbox) -> None:
    reply = await furnished.driver.slash(furnished.demo.user("alex"), "projet chercher", pres_de="Montreuil")
    assert reply.ephemeral
    assert "Montreuil (93), Montreuil (85), Montreuil (28)" in reply.content


async def test_place_autocomplete(furnished: Sandbox) -> None:
    sb, alex = furnished, furnished.demo.user("alex")
    communes = await sb.driver.autocomplete(alex, "projet chercher", "pres_de", "montreuil")
    assert communes[0]["name"].startswith("Montreuil (93)")
    assert communes[0]["value"] == "insee:93048"
    assert 3 < len(communes) <= 25
    departements = await sb.driver.autocomplete(alex, "projet chercher", "departement", "puy")
    assert [c["name"] for c in departements] == ["43 — Haute-Loire", "63 — Puy-de-Dôme"] or departements[0][
        "name"
    ].startswith("63")
    regions = await sb.driver.autocomplete(alex, "projet chercher", "region", "auvergne")
    assert "Auvergne (ancienne région)" in [c["name"] for c in regions]


# ---------------------------------------------------------------------- proposing and moderating


async def propose(sb: Sandbox, name: str = "Le Clos des Tests") -> None:
    alex = sb.demo.user("alex")
    form = await sb.driver.slash(alex, "projet proposer", commune="insee:63430", etape="emergence", recrute=True)
    assert form.modal is not None
    submitted = await sb.driver.submit(
        alex,
        form,
        {
            "Nom du projet": name,
            "Description": "Rénovation d'une ferme à plusieurs familles",
            "Publics accueillis": ["familles"],
            "Espaces partagés": ["jardin", "atelier"],
        },
    )
    assert submitted.ephemeral
    assert "attend la validation d'un modérateur" in submitted.content


async def test_a_proposal_waits_in_the_moderation_queue_then_is_published(furnished: Sandbox) -> None:
    sb = furnished
    await propose(sb)
    row = await sb.bot.db.fetchone("SELECT statut, recrute, commune FROM projects WHERE nom = 'Le Clos des Tests'")
    assert row is not None and tuple(row) == ("en_attente", 1, "Thiers")
    assert "Le Clos des Tests" not in (await sb.driver.slash(sb.demo.user("sam"), "projet chercher", texte="clos")).text
    [card] = sb.emulator.messages_in(sb.demo.channel("moderation"))
    from bot.sandbox.driver import Message

    message = Message(sb.emulator, card)
    assert "Nouveau projet à valider : Le Clos des Tests" in message.text
    refused = await sb.driver.click(sb.demo.user("alex"), message, "Publier")
    assert "Seuls les modérateurs" in refused.content
    await sb.driver.click(sb.demo.user("morgane"), message, "Publier")
    assert message.buttons == []
    assert "Publié par Morgane" in message.text
    assert (await sb.bot.projects.get(await project_id(sb, "Le Clos des Tests"))).published  # type: ignore[union-attr]
    assert "est publié" in sb.emulator.dms_to(sb.demo.user("alex"))[-1]["content"]
    found = await sb.driver.slash(sb.demo.user("sam"), "projet chercher", texte="clos")
    assert "Le Clos des Tests" in found.text


async def test_a_refusal_tells_the_proposer_why(furnished: Sandbox) -> None:
    sb = furnished
    await propose(sb)
    from bot.sandbox.driver import Message

    card = Message(sb.emulator, sb.emulator.messages_in(sb.demo.channel("moderation"))[-1])
    form = await sb.driver.click(sb.demo.user("morgane"), card, "Refuser")
    await sb.driver.submit(sb.demo.user("morgane"), form, {"Raison (envoyée à la personne)": "Doublon d'une fiche"})
    assert card.buttons == []
    dm = sb.emulator.dms_to(sb.demo.user("alex"))[-1]["content"]
    assert "n'a pas été retenu" in dm and "Doublon d'une fiche" in dm
    row = await sb.bot.db.fetchone("SELECT statut FROM projects WHERE nom = 'Le Clos des Tests'")
    assert row is not None and row["statut"] == "refuse"


async def test_a_bad_field_in_the_form_changes_nothing(furnished: Sandbox) -> None:
    sb, alex = furnished, furnished.demo.user("alex")
    form = await sb.driver.slash(alex, "projet proposer", commune="insee:63430", etape="emergence", site="ftp://x")
    reply = await sb.driver.submit(alex, form, {"Nom du projet": "Le Clos"})
    assert reply.ephemeral
    assert "site" in reply.content
    assert await sb.bot.db.fetchone("SELECT 1 FROM projects WHERE nom = 'Le Clos'") is None


async def test_a_referent_edits_and_a_stage_change_waits(furnished: Sandbox) -> None:
    sb = furnished
    await propose(sb)
    pid = await project_id(sb, "Le Clos des Tests")
    await sb.bot.projects.publish(pid)
    alex = sb.demo.user("alex")
    choices = await sb.driver.autocomplete(alex, "projet modifier", "projet", "clos")
    assert [c["value"] for c in choices] == [str(pid)]
    form = await sb.driver.slash(alex, "projet modifier", projet=str(pid), etape="realisation")
    assert form.modal is not None
    done = await sb.driver.submit(alex, form, {"Description": "Le chantier commence"})
    assert "attend la validation" in done.content
    project = await sb.bot.projects.get(pid)
    assert project is not None
    assert project.description == "Le chantier commence"
    assert project.etape == Etape.emergence
    assert project.pending is not None and project.pending.etape == Etape.realisation
    card = sb.emulator.messages_in(sb.demo.channel("moderation"))[-1]
    assert "Modification à valider" in card["embeds"][0]["title"]


async def test_only_referents_and_moderators_may_edit(furnished: Sandbox) -> None:
    sb = furnished
    pid = await project_id(sb, HIRONDELLES)
    reply = await sb.driver.slash(sb.demo.user("sam"), "projet modifier", projet=str(pid))
    assert reply.ephemeral
    assert "Only the project's contact people" in reply.content
    form = await sb.driver.slash(sb.demo.user("morgane"), "projet modifier", projet=str(pid))
    assert form.modal is not None


async def test_contacting_referents_goes_by_dm_without_showing_them(furnished: Sandbox) -> None:
    sb = furnished
    await propose(sb)
    pid = await project_id(sb, "Le Clos des Tests")
    await sb.bot.projects.publish(pid)
    sam = sb.demo.user("sam")
    fiche = await sb.driver.slash(sam, "projet fiche", projet=str(pid))
    assert fiche.message is not None
    assert str(sb.demo.user("alex").id) not in fiche.text
    assert "Edit" not in [b.get("label") for b in fiche.message.buttons]
    form = await sb.driver.click(sam, fiche.message, "Contact the project")
    sent = await sb.driver.submit(sam, form, {"Your message": "Bonjour, pouvons-nous visiter ?"})
    assert sent.content == "Message passed on to the project's contact people."
    dm = sb.emulator.dms_to(sb.demo.user("alex"))[-1]
    assert dm["embeds"][0]["description"] == "Bonjour, pouvons-nous visiter ?"
    assert f"<@{sam.id}>" in dm["content"]


async def test_contact_when_referents_dms_are_closed(furnished: Sandbox) -> None:
    sb = furnished
    await propose(sb)
    pid = await project_id(sb, "Le Clos des Tests")
    await sb.bot.projects.publish(pid)
    sb.demo.user("alex").dms_open = False
    fiche = await sb.driver.slash(sb.demo.user("sam"), "projet fiche", projet=str(pid))
    assert fiche.message is not None
    form = await sb.driver.click(sb.demo.user("sam"), fiche.message, "Contact the project")
    sent = await sb.driver.submit(sb.demo.user("sam"), form, {"Your message": "Bonjour, pouvons-nous visiter ?"})
    assert "cannot receive direct messages" in sent.content


# ---------------------------------------------------------------------- records kept alive


async def test_a_stale_record_gets_one_dm_and_is_flagged_until_confirmed(
    furnished: Sandbox, clock: ManualDateClock
) -> None:
    sb = furnished
    await propose(sb)
    pid = await project_id(sb, "Le Clos des Tests")
    await sb.bot.projects.publish(pid)
    clock.advance(days=400)
    assert await sb.bot.scheduler.run_due() >= 1
    dms = [m for m in sb.emulator.dms_to(sb.demo.user("alex")) if "n'a pas été confirmée depuis un an" in m["content"]]
    assert len(dms) == 1
    assert await sb.bot.scheduler.run_due() == 0

    async def shown() -> str:
        results = await sb.driver.slash(sb.demo.user("sam"), "projet chercher", texte="clos tests")
        [field] = results.embeds[0]["fields"]
        return str(field["value"])

    assert "not confirmed since March 2027" in await shown()
    from bot.sandbox.driver import Message

    await sb.driver.click(sb.demo.user("alex"), Message(sb.emulator, dms[0]), "Toujours d'actualité")
    assert "not confirmed since" not in await shown()


async def test_only_referents_answer_the_nudge(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    await propose(sb)
    await sb.bot.projects.publish(await project_id(sb, "Le Clos des Tests"))
    clock.advance(days=400)
    await sb.bot.scheduler.run_due()
    from bot.sandbox.driver import Message

    dm = Message(sb.emulator, sb.emulator.dms_to(sb.demo.user("alex"))[-1])
    refused = await sb.driver.click(sb.demo.user("sam"), dm, "Toujours d'actualité")
    assert "Only the project's contact people can answer." in refused.content


# ---------------------------------------------------------------------- import and export


def csv_rows(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text)))


async def test_organisers_export_and_import(furnished: Sandbox) -> None:
    sb = furnished
    dominique = sb.demo.user("dominique")
    exported = await sb.driver.slash(dominique, "projet exporter", departement="63")
    assert exported.ephemeral
    [attachment] = exported.message.attachments  # type: ignore[union-attr]
    rows = csv_rows(attachment.data.decode("utf-8"))
    assert len(rows) == 8
    assert list(rows[0]) == list(CSV_HEADER)
    upload = Upload("projets.csv", attachment.data)
    again = await sb.driver.slash(dominique, "projet importer", fichier=upload)
    assert again.messages[-1].content == "Import terminé : 0 créé(s), 0 mis à jour, 8 inchangé(s)."


async def test_a_bad_import_names_the_rows_and_writes_nothing(furnished: Sandbox) -> None:
    sb = furnished
    before = await sb.bot.db.fetchone("SELECT COUNT(*) FROM projects")
    text = (
        ",".join(CSV_HEADER)
        + "\nNouveau,Thiers,63430,emergence,citoyenne,sci,,non,,,x,,\nMauvais,X,00000,emergence,,,,,,,,,\n"
    )
    reply = await sb.driver.slash(sb.demo.user("dominique"), "projet importer", fichier=Upload("p.csv", text.encode()))
    assert "ligne 3" in reply.text and "00000" in reply.text
    assert tuple(await sb.bot.db.fetchone("SELECT COUNT(*) FROM projects")) == tuple(before)  # type: ignore[arg-type]


async def test_members_cannot_import(furnished: Sandbox) -> None:
    reply = await furnished.driver.slash(
        furnished.demo.user("alex"), "projet importer", fichier=Upload("p.csv", b"nom\n")
    )
    assert reply.content == "Réservé aux organisateurs et aux modérateurs du serveur."


async def test_fiche_autocomplete_and_unknown_project(furnished: Sandbox) -> None:
    sb, alex = furnished, furnished.demo.user("alex")
    choices = await sb.driver.autocomplete(alex, "projet fiche", "projet", "hirond")
    assert choices[0]["name"].startswith(HIRONDELLES)
    reply = await sb.driver.slash(alex, "projet fiche", projet="Projet qui n'existe pas")
    assert "Je ne trouve pas le projet" in reply.content
    with pytest.raises(DriverError):
        await sb.driver.slash(alex, "projet chercher", rayon_km=0)


def test_draft_model_is_the_import_format() -> None:
    assert set(CSV_HEADER) - {"commune"} == set(ProjectDraft.model_fields)
