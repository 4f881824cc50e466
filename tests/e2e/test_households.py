"""Newcomers, introductions, suggestions, introductions with consent and my data, end to end."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.households.index import MatchIndex
from bot.households.models import HouseholdMakeup, WhatMatters, WhereWhen
from bot.households.service import REQUEST
from bot.outbox import subject
from bot.sandbox.driver import Message, Reply
from bot.sandbox.harness import Sandbox
from bot.sandbox.state import User
from bot.vocabulary import Apport, EtapeRejointe, Horizon, Statut, Valeur
from tests.e2e.lives import dies_after_sending, lives
from tests.e2e.paging import every_page
from tests.support import ManualDateClock

THIERS, CLERMONT = "63430", "63113"
DM_ROUTE = "/channels/{channel_id}/messages"


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
    store = sb.bot.households.store
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


async def dms(sb: Sandbox, user: User) -> list[dict[str, object]]:
    """What a member received by DM once the ledger's due rows are delivered."""
    await sb.bot.scheduler.run_due()
    return sb.emulator.dms_to(user)


def containing(messages: list[dict[str, object]], text: str) -> list[dict[str, object]]:
    return [m for m in messages if text in str(m["content"])]


async def ask_first_household(sb: Sandbox, asker: User) -> Reply:
    suggestions = await sb.driver.slash(asker, "mise-en-lien suggestions")
    assert suggestions.message is not None
    return await sb.driver.choose(asker, suggestions.message, ["Foyer 1"])


async def a_project_with_a_referent(sb: Sandbox, referent: User) -> int:
    form = await sb.driver.slash(referent, "projet proposer", commune=f"insee:{THIERS}", etape="emergence",
                                 forme_juridique="cooperative_habitants", recrute=True)  # fmt: skip
    await sb.driver.submit(referent, form, {"Nom du projet": "La Coopé des Couteliers"})
    row = await sb.bot.db.fetchone("SELECT id FROM projects WHERE nom = 'La Coopé des Couteliers'")
    assert row is not None
    await sb.bot.projects.publish(row["id"])
    return int(row["id"])


async def ledger(sb: Sandbox, kind: str) -> list[tuple[str, str | None]]:
    rows = await sb.bot.db.fetchall("SELECT status, reason FROM outbox WHERE kind = ? ORDER BY id", (kind,))
    return [(row["status"], row["reason"]) for row in rows]


# ---------------------------------------------------------------------- greeting and introduction


async def test_a_newcomer_is_greeted_by_dm_with_a_button(sb: Sandbox) -> None:
    newcomer = sb.emulator.add_user("lou")
    await sb.driver.join(sb.demo.guild, newcomer)
    [greeting] = await dms(sb, newcomer)
    assert greeting["embeds"][0]["title"] == "Bienvenue dans le réseau de l'habitat participatif !"  # type: ignore[index]
    form = await sb.driver.click(newcomer, Message(sb.emulator, greeting), "Présenter mon foyer")
    assert form.modal is not None and form.modal["title"] == "Où et quand (1/3)"


async def test_a_newcomer_with_closed_dms_is_greeted_in_the_welcome_channel(furnished: Sandbox) -> None:
    sb = furnished
    newcomer = sb.emulator.add_user("lou")
    newcomer.dms_open = False
    await sb.driver.join(sb.demo.guild, newcomer)
    await sb.bot.scheduler.run_due()
    [greeting] = sb.emulator.messages_in(sb.demo.channel("accueil"))
    assert greeting["content"] == f"<@{newcomer.id}>"
    assert [int(u) for u in greeting["allowed_mentions"]["users"]] == [newcomer.id]
    assert greeting["allowed_mentions"]["parse"] == []
    assert Message(sb.emulator, greeting).button("Présenter mon foyer")
    assert await ledger(sb, "household.greeting") == [
        ("undeliverable", "messages privés fermés ou membre inconnu"),
        ("sent", None),
    ]


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


async def start_step_2(sb: Sandbox, user: User) -> Reply:
    form = await sb.driver.slash(user, "presentation creer")
    step1 = await sb.driver.submit(
        user, form, {"foyer-lieu": "Thiers", "foyer-horizon": ["maintenant"], "foyer-etapes": ["lieu_existant"]}
    )
    assert step1.message is not None
    return await sb.driver.click(user, step1.message, "foyer:etape:2")


def modal_value(reply: Reply, custom_id: str) -> str:
    assert reply.modal is not None
    inputs = [row["components"][0] for row in reply.modal["components"] if row["type"] == 1]
    return str(next(i for i in inputs if i["custom_id"] == custom_id).get("value"))


async def test_a_wrong_value_is_fixed_and_the_form_resumed_not_restarted(furnished: Sandbox) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    form2 = await start_step_2(sb, alex)
    wrong = await sb.driver.submit(alex, form2, {"foyer-adultes": "un", "foyer-statuts": ["achat"]})
    assert wrong.ephemeral
    assert wrong.content == "« Nombre d'adultes » ne convient pas : un nombre entier est attendu."
    profile = await sb.bot.households.get(alex.id)
    assert profile is not None and profile.step == 2  # step 1 is kept
    assert wrong.message is not None
    again = await sb.driver.click(alex, wrong.message, "foyer:etape:2")
    assert modal_value(again, "foyer-adultes") == "un"  # what was typed comes back to be corrected
    # And /presentation creer resumes at step 2, not at step 1.
    resumed = await sb.driver.slash(alex, "presentation creer")
    assert resumed.modal is not None and resumed.modal["title"] == "Votre foyer (2/3)"


@pytest.mark.parametrize(
    ("locale", "typed", "refusal"),
    [
        ("fr", "99999999999999999999", "« Budget en €, par ex. 150000-250000 » ne convient pas : au plus 10000000."),
        ("en-US", "99999999999999999999", "“Budget in €, e.g. 150000-250000” does not fit: at most 10000000."),
    ],
)
async def test_a_budget_beyond_any_home_is_refused_naming_the_field(
    furnished: Sandbox, locale: str, typed: str, refusal: str
) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    alex.locale = locale
    form2 = await start_step_2(sb, alex)
    refused = await sb.driver.submit(
        alex, form2, {"foyer-adultes": "2", "foyer-statuts": ["achat"], "foyer-budget": typed}
    )
    assert refused.ephemeral and refused.content == refusal
    profile = await sb.bot.households.get(alex.id)
    assert profile is not None and profile.step == 2 and profile.budget_max is None  # nothing stored
    assert refused.message is not None
    again = await sb.driver.click(alex, refused.message, "foyer:etape:2")
    assert modal_value(again, "foyer-budget") == typed
    assert modal_value(again, "foyer-adultes") == "2"
    fixed = await sb.driver.submit(alex, again, {"foyer-budget": "200000-300000"})
    assert fixed.content in ("Étape 2/3 enregistrée.", "Step 2/3 saved.")
    profile = await sb.bot.households.get(alex.id)
    assert profile is not None and (profile.budget_min, profile.budget_max) == (200000, 300000)


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


async def test_suggestions_asked_while_the_households_are_still_read_come_after_thinking(furnished: Sandbox) -> None:
    """Just after a start the households' index is still being read (seconds at the national scale, beyond
    Discord's 3 s for an answer): the member sees "thinking…", then the suggestions, and what was shown is
    remembered."""
    sb = furnished
    alex, morgane = sb.demo.user("alex"), sb.demo.user("morgane")
    await introduce(sb, alex)
    await profile_for(sb, morgane)
    sb.bot.households.index, sb.bot.households.loaded = MatchIndex(), False  # as a process just started
    reply = await sb.driver.slash(alex, "mise-en-lien suggestions")
    assert reply.interaction.response_type == 5 and reply.ephemeral  # deferred, only for the asker
    assert [f for f in reply.embeds[0]["fields"] if f["name"].startswith("Foyer")]
    assert sb.bot.households.loaded
    seen = await sb.bot.db.fetchall("SELECT target_user_id FROM suggestions_seen WHERE user_id = ?", (alex.id,))
    assert morgane.id in {row["target_user_id"] for row in seen}
    again = await sb.driver.slash(alex, "mise-en-lien suggestions")
    assert again.interaction.response_type == 4  # answered at once, once read


async def test_an_accepted_introduction_opens_a_private_thread_with_both(furnished: Sandbox) -> None:
    sb = furnished
    alex, morgane = sb.demo.user("alex"), sb.demo.user("morgane")
    await introduce(sb, alex)
    await profile_for(sb, morgane)
    asked = await ask_first_household(sb, alex)
    assert asked.content.startswith("Demande envoyée.")
    [request] = await dms(sb, morgane)
    card = request["embeds"][0]["description"]  # type: ignore[index]
    assert "Deux adultes, deux enfants" in card
    # The other household is described as theirs, not as the reader's own.
    assert "**Ce qui compte pour ce foyer** : écologie" in card
    assert "**Ce que ce foyer apporte** : la menuiserie" in card
    assert "pour vous" not in card and "vous apportez" not in card
    accepted = await sb.driver.click(morgane, Message(sb.emulator, request), "Accepter")
    assert accepted.content.startswith("Mise en lien acceptée : <#")
    assert Message(sb.emulator, request).buttons == []
    thread = next(c for c in sb.emulator.channels.values() if c.type == 12)
    assert thread.parent_id == sb.demo.channel("mise-en-lien").id
    assert {alex.id, morgane.id} <= thread.thread_members
    [hello] = sb.emulator.messages_in(thread)
    assert f"<@{alex.id}>" in hello["content"] and f"<@{morgane.id}>" in hello["content"]
    assert sorted(int(u) for u in hello["allowed_mentions"]["users"]) == sorted((alex.id, morgane.id))
    # The requester is told where to meet, on the ledger.
    [told] = containing(await dms(sb, alex), "Mise en lien acceptée")
    assert told["content"] == (
        f"✅ Mise en lien acceptée : rendez-vous dans <#{thread.id}>, un fil privé où vous êtes tous les deux."
    )
    # Already in touch: not suggested again.
    again = await sb.driver.slash(alex, "mise-en-lien suggestions")
    assert not [f for f in again.embeds[0]["fields"] if f["name"].startswith("Foyer")]


async def test_without_an_introductions_channel_each_gets_the_others_name(furnished: Sandbox) -> None:
    sb = furnished
    await sb.bot.guild_settings.update(sb.demo.guild.id, matching_channel_id=None)
    alex, morgane = sb.demo.user("alex"), sb.demo.user("morgane")
    await introduce(sb, alex)
    await profile_for(sb, morgane)
    await ask_first_household(sb, alex)
    [request] = await dms(sb, morgane)
    accepted = await sb.driver.click(morgane, Message(sb.emulator, request), "Accepter")
    assert accepted.content == f"✅ Mise en lien acceptée : écrivez à <@{alex.id}> sur Discord."
    [told] = containing(await dms(sb, alex), "Mise en lien acceptée")
    assert told["content"] == f"✅ Mise en lien acceptée : écrivez à <@{morgane.id}> sur Discord."


async def test_a_declined_pair_is_never_suggested_again(furnished: Sandbox) -> None:
    sb = furnished
    alex, morgane = sb.demo.user("alex"), sb.demo.user("morgane")
    await introduce(sb, alex)
    await profile_for(sb, morgane)
    await ask_first_household(sb, alex)
    [request] = await dms(sb, morgane)
    # Only the addressee may answer.
    refused = await sb.driver.click(alex, Message(sb.emulator, request), "Accepter")
    assert refused.content == "Cette demande ne vous est pas adressée."
    declined = await sb.driver.click(morgane, Message(sb.emulator, request), "Décliner")
    assert declined.content.startswith("Demande déclinée.")
    assert containing(await dms(sb, alex), "n'a pas abouti")
    later = await sb.driver.slash(alex, "mise-en-lien suggestions")
    assert not [f for f in later.embeds[0]["fields"] if f["name"].startswith("Foyer")]
    assert Message(sb.emulator, request).buttons == []  # answered once, for good


async def test_a_project_request_goes_to_its_referents(furnished: Sandbox) -> None:
    sb = furnished
    alex, dominique = sb.demo.user("alex"), sb.demo.user("dominique")
    await a_project_with_a_referent(sb, dominique)
    await introduce(sb, alex)
    suggestions = await sb.driver.slash(alex, "mise-en-lien suggestions")
    assert "La Coopé des Couteliers" in suggestions.text
    assert suggestions.message is not None
    await sb.driver.choose(alex, suggestions.message, ["🏡 La Coopé des Couteliers"])
    request = (await dms(sb, dominique))[-1]
    assert "La Coopé des Couteliers" in request["content"]  # type: ignore[operator]
    await sb.driver.click(dominique, Message(sb.emulator, request), "Accepter")
    thread = next(c for c in sb.emulator.channels.values() if c.type == 12)
    assert {alex.id, dominique.id} <= thread.thread_members


async def test_a_project_with_nobody_on_discord_gives_its_public_contact(furnished: Sandbox) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    await introduce(sb, alex)
    suggestions = await sb.driver.slash(alex, "mise-en-lien suggestions")
    assert suggestions.message is not None
    options = [o["label"] for o in suggestions.message.select()["options"]]
    assert "🏡 Le Hameau des Essais (démo)" in options
    answer = await sb.driver.choose(alex, suggestions.message, ["🏡 Le Hameau des Essais (démo)"])
    assert answer.content == (
        "Le projet « Le Hameau des Essais (démo) » n'a pas de référent sur Discord : contactez-le directement, "
        "hameau-essais@exemple.org"
    )
    assert await sb.bot.db.fetchall("SELECT * FROM introductions") == []


async def test_a_request_to_closed_dms_is_withdrawn_and_the_requester_told(furnished: Sandbox) -> None:
    sb = furnished
    alex, morgane = sb.demo.user("alex"), sb.demo.user("morgane")
    await introduce(sb, alex)
    await profile_for(sb, morgane)
    morgane.dms_open = False
    await ask_first_household(sb, alex)
    [told] = containing(await dms(sb, alex), "n'a pu être remise")
    assert told["content"] == (
        "Votre demande de mise en lien n'a pu être remise : ce foyer ne reçoit pas de messages privés. "
        "Rien n'a été partagé."
    )
    assert await ledger(sb, REQUEST) == [("undeliverable", "messages privés fermés ou membre inconnu")]
    row = await sb.bot.db.fetchone("SELECT status FROM introductions")
    assert row is not None and row["status"] == "retiree"
    # Known from now on: Morgane is no longer suggested, and nobody is left waiting on her.
    later = await sb.driver.slash(alex, "mise-en-lien suggestions")
    assert not [f for f in later.embeds[0]["fields"] if f["name"].startswith("Foyer")]


async def test_a_request_nobody_answers_lapses_and_the_requester_is_told(
    furnished: Sandbox, clock: ManualDateClock
) -> None:
    sb = furnished
    alex, morgane = sb.demo.user("alex"), sb.demo.user("morgane")
    await introduce(sb, alex)
    await profile_for(sb, morgane)
    await ask_first_household(sb, alex)
    [request] = await dms(sb, morgane)
    clock.advance(days=15)
    [told] = containing(await dms(sb, alex), "sans réponse")
    assert str(told["content"]).startswith(
        "⌛ Votre demande de mise en lien du 1er mars 2027 est restée sans réponse pendant 14 jours"
    )
    late = await sb.driver.click(morgane, Message(sb.emulator, request), "Accepter")
    assert late.content == "Cette demande a déjà reçu une réponse, ou a expiré."


async def test_a_server_error_on_a_request_is_retried_and_sent_once(furnished: Sandbox) -> None:
    sb = furnished
    alex, morgane = sb.demo.user("alex"), sb.demo.user("morgane")
    await introduce(sb, alex)
    await profile_for(sb, morgane)
    await ask_first_household(sb, alex)
    sb.emulator.fail_next("POST", DM_ROUTE, status=500)
    assert len(await dms(sb, morgane)) == 1
    assert await ledger(sb, REQUEST) == [("sent", None)]


async def test_the_weekly_digest_and_its_pause(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    alex, morgane = sb.demo.user("alex"), sb.demo.user("morgane")
    await introduce(sb, alex)
    await profile_for(sb, morgane)
    clock.advance(days=8)
    assert len(containing(await dms(sb, alex), "de mise en lien cette semaine")) == 1
    clock.advance(days=8)
    assert len(containing(await dms(sb, alex), "de mise en lien cette semaine")) == 1  # nothing new: no message
    paused = await sb.driver.slash(alex, "mise-en-lien pause")
    assert paused.content == "Plus de récapitulatif hebdomadaire."
    profile = await sb.bot.households.get(alex.id)
    assert profile is not None and not profile.digest


async def test_an_old_introduction_is_asked_about_then_paused(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    morgane = sb.demo.user("morgane")
    await profile_for(sb, morgane)
    await sb.bot.households.set_digest(morgane.id, False)
    clock.advance(days=366)
    [question] = containing(await dms(sb, morgane), "a un an")
    clock.advance(days=31)
    await sb.bot.scheduler.run_due()
    profile = await sb.bot.households.get(morgane.id)
    assert profile is not None and profile.paused
    kept = await sb.driver.click(morgane, Message(sb.emulator, question), "Toujours d'actualité")
    assert kept.content == "Merci, votre présentation reste active."
    profile = await sb.bot.households.get(morgane.id)
    assert profile is not None and not profile.paused


async def test_a_member_who_could_not_be_asked_is_never_paused(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    morgane = sb.demo.user("morgane")
    await profile_for(sb, morgane)
    await sb.bot.households.set_digest(morgane.id, False)
    morgane.dms_open = False
    clock.advance(days=366)
    await sb.bot.scheduler.run_due()
    clock.advance(days=29)
    await sb.bot.scheduler.run_due()
    profile = await sb.bot.households.get(morgane.id)
    assert profile is not None and not profile.paused and profile.dm_closed
    # Asked again a month later; delivered this time, then a month without answer: paused.
    morgane.dms_open = True
    clock.advance(days=2)
    assert len(containing(await dms(sb, morgane), "a un an")) == 1
    clock.advance(days=31)
    await sb.bot.scheduler.run_due()
    profile = await sb.bot.households.get(morgane.id)
    assert profile is not None and profile.paused and not profile.dm_closed
    assert await ledger(sb, "household.question") == [
        ("undeliverable", "messages privés fermés ou membre inconnu"),
        ("sent", None),
    ]


async def test_help_says_the_rules_of_a_request(furnished: Sandbox) -> None:
    sb = furnished
    for user, rule in (
        (sb.demo.user("alex"), "10 demandes en attente au plus ; sans réponse en 14 jours, la demande est close"),
        (sb.demo.user("sam"), "10 pending requests at most; with no answer in 14 days, the request is closed"),
    ):
        pages = await every_page(sb, user, await sb.driver.slash(user, "aide"))
        assert rule in "\n".join(pages)


# ---------------------------------------------------------------------- my data


async def every_cell(sb: Sandbox) -> list[tuple[str, str, object]]:
    cells: list[tuple[str, str, object]] = []
    for table in await sb.bot.db.tables():
        for row in await sb.bot.db.fetchall(f"SELECT * FROM {table}"):
            cells.extend((table, key, row[key]) for key in row.keys())  # noqa: SIM118
    return cells


async def test_my_data_exported_then_erased_leaving_no_trace(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    alex, morgane, dominique = sb.demo.user("alex"), sb.demo.user("morgane"), sb.demo.user("dominique")
    await introduce(sb, alex)
    await profile_for(sb, morgane)
    await ask_first_household(sb, alex)
    form = await sb.driver.slash(alex, "projet proposer", commune=f"insee:{THIERS}", etape="emergence")
    await sb.driver.submit(alex, form, {"Nom du projet": "Mon projet à moi"})
    await sb.driver.slash(dominique, "evenement creer", type="jpo", titre="JPO", debut="10/04/2027 14h", fin="17h",
                          commune=f"insee:{THIERS}", capacite=5)  # fmt: skip
    event = await sb.bot.db.fetchone("SELECT id FROM events")
    assert event is not None
    await sb.driver.slash(alex, "evenement inscrire", evenement=str(event["id"]), personnes=2)
    await sb.driver.slash(alex, "evenement mes-rappels", delais="1j")
    clock.advance(days=8)
    await sb.bot.scheduler.run_due()  # a digest, a request: messages about Alex in the ledger

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


async def test_a_project_meets_households_that_let_projects_see_them(furnished: Sandbox) -> None:
    sb = furnished
    alex, dominique, morgane = sb.demo.user("alex"), sb.demo.user("dominique"), sb.demo.user("morgane")
    project_id = await a_project_with_a_referent(sb, dominique)
    await introduce(sb, alex, visibility="projets")
    await profile_for(sb, morgane, insee=THIERS, visibility="foyers")  # does not let projects see her
    refused = await sb.driver.slash(sb.demo.user("sam"), "mise-en-lien foyers", projet=str(project_id))
    assert refused.content == "Only the project's contact people can do that."
    listing = await sb.driver.slash(dominique, "mise-en-lien foyers", projet=str(project_id))
    assert listing.embeds[0]["title"] == "Foyers pour « La Coopé des Couteliers »"
    households = [f for f in listing.embeds[0]["fields"] if f["name"].startswith("Foyer")]
    assert len(households) == 1 and "Deux adultes, deux enfants" in households[0]["value"]
    assert listing.message is not None
    assert all(str(alex.id) not in o["value"] for o in listing.message.select()["options"])
    await sb.driver.choose(dominique, listing.message, ["Foyer 1"])
    request = (await dms(sb, alex))[-1]
    assert request["content"] == "Le projet « La Coopé des Couteliers » aimerait vous rencontrer."
    await sb.driver.click(alex, Message(sb.emulator, request), "Accepter")
    thread = next(c for c in sb.emulator.channels.values() if c.type == 12)
    assert {alex.id, dominique.id} <= thread.thread_members
    [told] = containing(await dms(sb, dominique), "Mise en lien acceptée")
    assert f"<#{thread.id}>" in str(told["content"])


async def test_a_project_typed_by_hand_that_names_none_is_refused_clearly(furnished: Sandbox) -> None:
    sb = furnished
    alex, dominique = sb.demo.user("alex"), sb.demo.user("dominique")
    await a_project_with_a_referent(sb, dominique)
    await introduce(sb, alex, visibility="projets")
    # A number beyond SQLite's integers, a digit for str.isdigit() but not for int(), a name no project holds.
    for typed in ("99999999999999999999999", "²", "La Coopé des Rêves"):
        refused = await sb.driver.slash(dominique, "mise-en-lien foyers", projet=typed)
        assert refused.ephemeral and refused.embeds == [] and refused.posted == [], typed
        assert refused.content == f"Je ne trouve pas le projet « {typed} » : choisissez-le dans la liste proposée."
    await sb.bot.scheduler.run_due()
    assert await dms(sb, alex) == []  # nobody was asked anything
    [choice] = await sb.driver.autocomplete(dominique, "mise-en-lien foyers", "projet", "coopé")
    listing = await sb.driver.slash(dominique, "mise-en-lien foyers", projet=choice["value"])
    assert listing.embeds[0]["title"] == "Foyers pour « La Coopé des Couteliers »"
    by_name = await sb.driver.slash(dominique, "mise-en-lien foyers", projet="La Coopé des Couteliers")
    assert by_name.embeds == listing.embeds


# ---------------------------------------------------------------------- crashes: each message exactly once


async def nothing_more(sb: Sandbox, clock: ManualDateClock) -> None:
    return None


async def morgane_declines(sb: Sandbox, clock: ManualDateClock) -> None:
    [request] = await dms(sb, sb.demo.user("morgane"))
    await sb.bot.scheduler.stop()  # dies before sending what the answer queues
    await sb.driver.click(sb.demo.user("morgane"), Message(sb.emulator, request), "Décliner")


async def the_request_is_refused(sb: Sandbox, clock: ManualDateClock) -> None:
    sb.demo.user("morgane").dms_open = False
    [letter] = await sb.bot.core.outbox.store.pending(subject("introduction", 1))
    await sb.bot.core.outbox.deliver(letter)  # refused; the withdrawal is queued, then the bot dies


async def the_request_lapses(sb: Sandbox, clock: ManualDateClock) -> None:
    clock.advance(days=15)
    assert await sb.bot.households.run_due() >= 1  # marked lapsed, the notice queued; then it dies


@dataclass(frozen=True)
class Crash:
    """A message of an introduction (alex asked to meet morgane) that a bot queues and dies before
    sending; the next bot sends it once."""

    dies: Callable[[Sandbox, ManualDateClock], Awaitable[None]]  # what the bot does last
    to: str
    holding: str  # a piece of the message's text
    delivers: bool = False  # the dying bot sent what came before (the request)
    request_void: bool = False  # the request itself is no longer worth sending: morgane never gets it


CRASHES = {
    "request": Crash(nothing_more, "morgane", "Une demande de mise en lien vous attend."),
    "answer": Crash(morgane_declines, "alex", "n'a pas abouti", delivers=True),
    "withdrawal": Crash(the_request_is_refused, "alex", "n'a pu être remise", request_void=True),
    "lapse": Crash(the_request_lapses, "alex", "sans réponse", request_void=True),
}


@pytest.mark.parametrize("crash", CRASHES.values(), ids=CRASHES.keys())
async def test_an_introduction_message_queued_by_a_bot_that_dies_is_sent_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock, crash: Crash
) -> None:
    async with lives(tmp_path, clock) as world:
        alex, morgane = world.demo.user("alex"), world.demo.user("morgane")
        async with world.first_life(delivers=crash.delivers) as first:
            await introduce(first, alex)
            await profile_for(first, morgane)
            await ask_first_household(first, alex)
            await crash.dies(first, clock)
        recipient = world.demo.user(crash.to)
        assert containing(world.emulator.dms_to(recipient), crash.holding) == []
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
        assert len(containing(world.emulator.dms_to(recipient), crash.holding)) == 1
        if crash.request_void:
            assert containing(world.emulator.dms_to(morgane), "Une demande de mise en lien") == []


async def test_a_digest_queued_by_a_bot_that_dies_is_sent_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with lives(tmp_path, clock) as world:
        alex, morgane = world.demo.user("alex"), world.demo.user("morgane")
        async with world.first_life(delivers=True) as first:
            await introduce(first, alex)
            await profile_for(first, morgane)
            await first.bot.households.set_digest(morgane.id, False)
            clock.advance(days=8)
            dies_after_sending(monkeypatch, first.bot)
            await first.bot.scheduler.run_due()  # the digest goes out, the bot "dies" before marking it
            monkeypatch.undo()
        async with world.life() as again:
            assert await again.bot.scheduler.run_due() == 0  # still claimed by the dead bot
            clock.advance(minutes=2)  # its lease is over
            await again.bot.scheduler.run_due()  # sent again with the same nonce: Discord keeps the first
        assert len(containing(world.emulator.dms_to(alex), "de mise en lien cette semaine")) == 1


async def test_a_yearly_question_queued_by_a_bot_that_dies_is_sent_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock
) -> None:
    async with lives(tmp_path, clock) as world:
        morgane = world.demo.user("morgane")
        async with world.first_life() as first:
            await profile_for(first, morgane)
            await first.bot.households.set_digest(morgane.id, False)
            clock.advance(days=366)
            assert await first.bot.households.run_due() == 1  # asked in the ledger; then it dies
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
            profile = await again.bot.households.get(morgane.id)
            assert profile is not None and profile.asked_delivered_at == clock.now
        assert len(containing(world.emulator.dms_to(morgane), "a un an")) == 1


async def test_a_greeting_queued_by_a_bot_that_dies_is_sent_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock
) -> None:
    async with lives(tmp_path, clock) as world:
        newcomer = world.emulator.add_user("lou")
        async with world.first_life() as first:
            await first.driver.join(world.demo.guild, newcomer)
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
        assert len(world.emulator.dms_to(newcomer)) == 1
