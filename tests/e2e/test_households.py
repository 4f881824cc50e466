"""Newcomers, introductions, suggestions, introductions with consent and my data, end to end."""

from __future__ import annotations

import json

from bot.households.models import HouseholdMakeup, WhatMatters, WhereWhen
from bot.sandbox.driver import Message, Reply
from bot.sandbox.harness import Sandbox
from bot.sandbox.state import User
from bot.vocabulary import Apport, EtapeRejointe, Horizon, Statut, Valeur
from tests.support import ManualDateClock

THIERS, CLERMONT = "63430", "63113"


async def introduce(sb: Sandbox, user: User, *, visibility: str = "tous", lieu: str = f"insee:{THIERS}") -> Reply:
    """The three steps, as the member fills them in."""
    form = await sb.driver.slash(user, "presentation creer")
    step1 = await sb.driver.submit(
        user,
        form,
        {
            "foyer-lieu": lieu,
            "foyer-rayon": "40",
            "foyer-horizon": ["un_trois_ans"],
            "foyer-etapes": ["groupe_en_formation", "projet_en_cours"],
            "foyer-milieux": ["rural"],
        },
    )
    assert step1.content == "Étape 1/3 enregistrée." or step1.content == "Step 1/3 saved."
    assert step1.message is not None
    form2 = await sb.driver.click(user, step1.message, "foyer:etape:2")
    step2 = await sb.driver.submit(
        user,
        form2,
        {
            "foyer-adultes": "2",
            "foyer-enfants": "2",
            "foyer-statuts": ["cooperative", "achat"],
            "foyer-budget": "180000-260000",
        },
    )
    assert step2.message is not None
    form3 = await sb.driver.click(user, step2.message, "foyer:etape:3")
    return await sb.driver.submit(
        user,
        form3,
        {
            "foyer-valeurs": ["ecologie", "intergenerationnel"],
            "foyer-apports": ["menuiserie"],
            "foyer-intro": "Deux adultes, deux enfants, envie de jardin et de voisins.",
            "foyer-visibilite": [visibility],
        },
    )


async def profile_for(
    sb: Sandbox,
    user: User,
    *,
    insee: str = CLERMONT,
    visibility: str = "tous",
    apports: frozenset[Apport] = frozenset(),
) -> None:
    """A household already introduced (through the store, to keep the test on what it checks)."""
    store = sb.bot.households
    await store.save_where(
        user.id,
        WhereWhen(
            code_insee=insee,
            radius_km=40,
            horizon=Horizon.un_trois_ans,
            etapes=frozenset({EtapeRejointe.groupe_en_formation}),
        ),
        guild_id=sb.demo.guild.id,
        locale=user.locale,
    )
    await store.save_household(user.id, HouseholdMakeup(adults=2, statuts=frozenset({Statut.cooperative})))
    await store.save_matters(
        user.id,
        WhatMatters(
            valeurs=frozenset({Valeur.ecologie, Valeur.gouvernance_partagee}),
            apports=apports,
            intro="Un couple de retraités actifs.",
            visibility=visibility,
        ),
    )


# ---------------------------------------------------------------------- greeting and introduction


async def test_a_newcomer_is_greeted_by_dm_with_a_button(sb: Sandbox) -> None:
    newcomer = sb.emulator.add_user("lou")
    await sb.driver.join(sb.demo.guild, newcomer)
    [greeting] = sb.emulator.dms_to(newcomer)
    assert greeting["embeds"][0]["title"] == "Bienvenue dans le réseau de l'habitat participatif !"
    assert Message(sb.emulator, greeting).button("Présenter mon foyer")


async def test_a_newcomer_with_closed_dms_is_greeted_in_the_welcome_channel(furnished: Sandbox) -> None:
    sb = furnished
    newcomer = sb.emulator.add_user("lou")
    newcomer.dms_open = False
    await sb.driver.join(sb.demo.guild, newcomer)
    [greeting] = sb.emulator.messages_in(sb.demo.channel("accueil"))
    assert greeting["content"] == f"<@{newcomer.id}>"
    assert [int(u) for u in greeting["allowed_mentions"]["users"]] == [newcomer.id]
    assert greeting["allowed_mentions"]["parse"] == []


async def test_the_introduction_in_three_steps(furnished: Sandbox) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    done = await introduce(sb, alex)
    assert done.content.startswith("Présentation enregistrée !")
    assert "Thiers (63), dans un rayon de 40 km" in done.text
    profile = await sb.bot.households.get(alex.id)
    assert profile is not None and profile.complete
    assert (profile.adults, profile.children, profile.budget_min, profile.budget_max) == (2, 2, 180000, 260000)
    assert profile.visible_households and profile.visible_projects
    assert "63" in profile.departements
    shown = await sb.driver.slash(alex, "presentation voir")
    assert "la menuiserie" in shown.text


async def test_a_wrong_value_is_fixed_and_the_form_resumed_not_restarted(furnished: Sandbox) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    form = await sb.driver.slash(alex, "presentation creer")
    step1 = await sb.driver.submit(
        alex, form, {"foyer-lieu": "Thiers", "foyer-horizon": ["maintenant"], "foyer-etapes": ["lieu_existant"]}
    )
    assert step1.message is not None
    form2 = await sb.driver.click(alex, step1.message, "foyer:etape:2")
    wrong = await sb.driver.submit(alex, form2, {"foyer-adultes": "un", "foyer-statuts": ["achat"]})
    assert wrong.ephemeral
    assert wrong.content == "« un » n'est pas un nombre."
    profile = await sb.bot.households.get(alex.id)
    assert profile is not None and profile.step == 2  # step 1 is kept
    assert wrong.message is not None
    again = await sb.driver.click(alex, wrong.message, "foyer:etape:2")
    assert again.modal is not None
    adults = next(row["components"][0] for row in again.modal["components"] if row["type"] == 1)
    assert adults["value"] == "un"  # what was typed comes back to be corrected
    # And /presentation creer resumes at step 2, not at step 1.
    resumed = await sb.driver.slash(alex, "presentation creer")
    assert resumed.modal is not None and resumed.modal["title"] == "Votre foyer (2/3)"


async def test_an_ambiguous_commune_is_asked_again(furnished: Sandbox) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    form = await sb.driver.slash(alex, "presentation creer")
    reply = await sb.driver.submit(
        alex, form, {"foyer-lieu": "Montreuil", "foyer-horizon": ["maintenant"], "foyer-etapes": ["lieu_existant"]}
    )
    assert "Montreuil (93), Montreuil (85), Montreuil (28)" in reply.content
    assert await sb.bot.households.get(alex.id) is None


# ---------------------------------------------------------------------- suggestions and consent


async def test_suggestions_explain_themselves_and_respect_consent(furnished: Sandbox) -> None:
    sb = furnished
    alex, morgane, camille = sb.demo.user("alex"), sb.demo.user("morgane"), sb.demo.user("camille")
    await introduce(sb, alex)
    await profile_for(sb, morgane, apports=frozenset({Apport.jardinage}))
    await profile_for(sb, camille, visibility="aucune")  # only receives suggestions
    reply = await sb.driver.slash(alex, "mise-en-lien suggestions")
    assert reply.ephemeral
    fields = [f for f in reply.embeds[0]["fields"] if f["name"].startswith("Foyer")]
    assert len(fields) == 1  # Camille is not visible
    text = fields[0]["value"]
    assert "km, à Clermont-Ferrand (63)" in text
    assert "même horizon : dans 1 à 3 ans" in text
    assert "en commun : écologie" in text
    assert "vous apportez la menuiserie qui leur manque" in text
    assert "ils apportent le jardinage" in text
    assert "Un couple de retraités actifs." in text
    assert str(morgane.id) not in reply.text  # no identity before both agree...
    assert reply.message is not None
    values = [option["value"] for option in reply.message.select()["options"]]
    assert all(str(morgane.id) not in value for value in values)  # ...not even in the menu's data
    projects = [f["name"] for f in reply.embeds[0]["fields"] if f["name"].startswith("🏡")]
    assert projects and all("(démo)" in name for name in projects)


async def test_an_accepted_introduction_opens_a_private_thread_with_both(furnished: Sandbox) -> None:
    sb = furnished
    alex, morgane = sb.demo.user("alex"), sb.demo.user("morgane")
    await introduce(sb, alex)
    await profile_for(sb, morgane)
    suggestions = await sb.driver.slash(alex, "mise-en-lien suggestions")
    assert suggestions.message is not None
    asked = await sb.driver.choose(alex, suggestions.message, ["Foyer 1"])
    assert asked.content.startswith("Demande envoyée.")
    [request] = sb.emulator.dms_to(morgane)
    assert "Deux adultes, deux enfants" in request["embeds"][0]["description"]
    accepted = await sb.driver.click(morgane, Message(sb.emulator, request), "Accepter")
    assert accepted.content.startswith("Mise en lien acceptée : <#")
    thread = next(c for c in sb.emulator.channels.values() if c.type == 12)
    assert thread.parent_id == sb.demo.channel("mise-en-lien").id
    assert {alex.id, morgane.id} <= thread.thread_members
    [hello] = sb.emulator.messages_in(thread)
    assert f"<@{alex.id}>" in hello["content"] and f"<@{morgane.id}>" in hello["content"]
    # Already in touch: not suggested again.
    again = await sb.driver.slash(alex, "mise-en-lien suggestions")
    assert not [f for f in again.embeds[0]["fields"] if f["name"].startswith("Foyer")]


async def test_a_declined_pair_is_never_suggested_again(furnished: Sandbox) -> None:
    sb = furnished
    alex, morgane = sb.demo.user("alex"), sb.demo.user("morgane")
    await introduce(sb, alex)
    await profile_for(sb, morgane)
    suggestions = await sb.driver.slash(alex, "mise-en-lien suggestions")
    assert suggestions.message is not None
    await sb.driver.choose(alex, suggestions.message, ["Foyer 1"])
    [request] = sb.emulator.dms_to(morgane)
    # Only the addressee may answer.
    refused = await sb.driver.click(alex, Message(sb.emulator, request), "Accepter")
    assert refused.content == "Cette demande ne vous est pas adressée."
    declined = await sb.driver.click(morgane, Message(sb.emulator, request), "Décliner")
    assert declined.content.startswith("Demande déclinée.")
    assert "n'a pas abouti" in sb.emulator.dms_to(alex)[-1]["content"]
    later = await sb.driver.slash(alex, "mise-en-lien suggestions")
    assert not [f for f in later.embeds[0]["fields"] if f["name"].startswith("Foyer")]
    assert Message(sb.emulator, request).buttons == []  # answered once, for good


async def test_a_project_request_goes_to_its_referents(furnished: Sandbox) -> None:
    sb = furnished
    alex, dominique = sb.demo.user("alex"), sb.demo.user("dominique")
    form = await sb.driver.slash(dominique, "projet proposer", commune=f"insee:{THIERS}", etape="emergence",
                                 forme_juridique="cooperative_habitants", recrute=True)  # fmt: skip
    await sb.driver.submit(dominique, form, {"Nom du projet": "La Coopé des Couteliers"})
    row = await sb.bot.db.fetchone("SELECT id FROM projects WHERE nom = 'La Coopé des Couteliers'")
    assert row is not None
    await sb.bot.projects.publish(row["id"])
    await introduce(sb, alex)
    suggestions = await sb.driver.slash(alex, "mise-en-lien suggestions")
    assert "La Coopé des Couteliers" in suggestions.text
    assert suggestions.message is not None
    await sb.driver.choose(alex, suggestions.message, ["🏡 La Coopé des Couteliers"])
    request = sb.emulator.dms_to(dominique)[-1]
    assert "La Coopé des Couteliers" in request["content"]
    await sb.driver.click(dominique, Message(sb.emulator, request), "Accepter")
    thread = next(c for c in sb.emulator.channels.values() if c.type == 12)
    assert {alex.id, dominique.id} <= thread.thread_members


async def test_the_weekly_digest_and_its_pause(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    alex, morgane = sb.demo.user("alex"), sb.demo.user("morgane")
    await introduce(sb, alex)
    await profile_for(sb, morgane)
    clock.advance(days=8)
    await sb.bot.scheduler.run_due()
    digests = [m for m in sb.emulator.dms_to(alex) if "nouvelle(s) suggestion(s)" in m["content"]]
    assert len(digests) == 1
    clock.advance(days=8)
    await sb.bot.scheduler.run_due()  # nothing new since: no message
    assert len([m for m in sb.emulator.dms_to(alex) if "nouvelle(s) suggestion(s)" in m["content"]]) == 1
    paused = await sb.driver.slash(alex, "mise-en-lien pause")
    assert paused.content == "Plus de récapitulatif hebdomadaire."
    profile = await sb.bot.households.get(alex.id)
    assert profile is not None and not profile.digest


async def test_an_old_introduction_is_asked_about_then_paused(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    morgane = sb.demo.user("morgane")
    await profile_for(sb, morgane)
    await sb.bot.households.set_flags(morgane.id, digest=False)
    clock.advance(days=366)
    await sb.bot.scheduler.run_due()
    [question] = [m for m in sb.emulator.dms_to(morgane) if "a un an" in m["content"]]
    clock.advance(days=31)
    await sb.bot.scheduler.run_due()
    profile = await sb.bot.households.get(morgane.id)
    assert profile is not None and profile.paused
    kept = await sb.driver.click(morgane, Message(sb.emulator, question), "Toujours d'actualité")
    assert kept.content == "Merci, votre présentation reste active."
    profile = await sb.bot.households.get(morgane.id)
    assert profile is not None and not profile.paused


# ---------------------------------------------------------------------- my data


async def every_cell(sb: Sandbox) -> list[tuple[str, str, object]]:
    tables = await sb.bot.db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'project_fts%'"
    )
    cells: list[tuple[str, str, object]] = []
    for table in tables:
        for row in await sb.bot.db.fetchall(f"SELECT * FROM {table['name']}"):
            cells.extend((table["name"], key, row[key]) for key in row.keys())  # noqa: SIM118
    return cells


async def test_my_data_exported_then_erased_leaving_no_trace(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    alex, morgane, dominique = sb.demo.user("alex"), sb.demo.user("morgane"), sb.demo.user("dominique")
    await introduce(sb, alex)
    await profile_for(sb, morgane)
    suggestions = await sb.driver.slash(alex, "mise-en-lien suggestions")
    assert suggestions.message is not None
    await sb.driver.choose(alex, suggestions.message, ["Foyer 1"])
    form = await sb.driver.slash(alex, "projet proposer", commune=f"insee:{THIERS}", etape="emergence")
    await sb.driver.submit(alex, form, {"Nom du projet": "Mon projet à moi"})
    await sb.driver.slash(dominique, "evenement creer", type="jpo", titre="JPO", debut="10/04/2027 14h", fin="17h",
                          commune=f"insee:{THIERS}", capacite=5)  # fmt: skip
    event = await sb.bot.db.fetchone("SELECT id FROM events")
    assert event is not None
    await sb.driver.slash(alex, "evenement inscrire", evenement=str(event["id"]), personnes=2)
    await sb.driver.slash(alex, "evenement mes-rappels", delais="1j")

    exported = await sb.driver.slash(alex, "mes-donnees voir")
    [attachment] = exported.messages[0].attachments
    data = json.loads(attachment.data)
    assert data["presentation"][0]["intro"].startswith("Deux adultes")
    assert data["inscriptions"][0]["seats"] == 2
    assert data["mises_en_lien"] and data["projets_proposes"] and data["delais_de_rappel"]

    confirm = await sb.driver.slash(alex, "mes-donnees supprimer")
    assert confirm.message is not None
    done = await sb.driver.click(alex, confirm.message, "Tout effacer")
    assert done.content.startswith("C'est fait")
    leftovers = [(t, c) for t, c, v in await every_cell(sb) if v in (alex.id, str(alex.id))]
    assert leftovers == []
    # What others need stays: the event still counts two seats, the project still exists.
    registered = await sb.bot.events.store.must_get(event["id"])
    assert registered.seats_taken == 2
    assert await sb.bot.db.fetchone("SELECT 1 FROM projects WHERE nom = 'Mon projet à moi'") is not None
    clock.advance(days=1)


async def test_a_project_meets_households_that_let_projects_see_them(furnished: Sandbox) -> None:
    sb = furnished
    alex, dominique, morgane = sb.demo.user("alex"), sb.demo.user("dominique"), sb.demo.user("morgane")
    form = await sb.driver.slash(dominique, "projet proposer", commune=f"insee:{THIERS}", etape="emergence",
                                 forme_juridique="cooperative_habitants", recrute=True)  # fmt: skip
    await sb.driver.submit(dominique, form, {"Nom du projet": "La Coopé des Couteliers"})
    row = await sb.bot.db.fetchone("SELECT id FROM projects WHERE nom = 'La Coopé des Couteliers'")
    assert row is not None
    await sb.bot.projects.publish(row["id"])
    await introduce(sb, alex, visibility="projets")
    await profile_for(sb, morgane, insee=THIERS, visibility="foyers")  # does not let projects see her
    refused = await sb.driver.slash(sb.demo.user("sam"), "mise-en-lien foyers", projet=str(row["id"]))
    assert refused.content == "Only the project's contact people can do that."
    listing = await sb.driver.slash(dominique, "mise-en-lien foyers", projet=str(row["id"]))
    assert listing.embeds[0]["title"] == "Foyers pour « La Coopé des Couteliers »"
    households = [f for f in listing.embeds[0]["fields"] if f["name"].startswith("Foyer")]
    assert len(households) == 1 and "Deux adultes, deux enfants" in households[0]["value"]
    assert listing.message is not None
    assert all(str(alex.id) not in o["value"] for o in listing.message.select()["options"])
    await sb.driver.choose(dominique, listing.message, ["Foyer 1"])
    request = sb.emulator.dms_to(alex)[-1]
    assert request["content"] == "Le projet « La Coopé des Couteliers » aimerait vous rencontrer."
    await sb.driver.click(alex, Message(sb.emulator, request), "Accepter")
    thread = next(c for c in sb.emulator.channels.values() if c.type == 12)
    assert {alex.id, dominique.id} <= thread.thread_members
