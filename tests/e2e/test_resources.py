"""/ressource through the real discord.py client and the emulator: proposing with a file, moderation,
search, the card with its file, the forum mirror, a restart, and a member's erasure."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from bot.resources.service import MODERATION, VERDICT
from bot.sandbox.driver import Message, Reply, Upload
from bot.sandbox.harness import Sandbox
from tests.e2e.lives import dies_after_sending, lives
from tests.support import ManualDateClock

FORM = ("Titre", "Résumé", "Auteur ou source", "Date (AAAA, AAAA-MM ou AAAA-MM-JJ)", "Pour qui")
FORM_EN = ("Title", "Summary", "Author or source", "Date (YYYY, YYYY-MM or YYYY-MM-DD)", "For whom")
PDF = Upload("statuts-clos.pdf", b"%PDF-1.4 statuts du Clos " + bytes(range(256)) * 40, "application/pdf")
TITLE = "Statuts du Clos des Tests"
SUMMARY = "Les statuts rédigés par l'équipe : parts sociales, sortie d'un associé, gérance élue."


async def propose(sb: Sandbox, who: str = "alex", title: str = TITLE, **options: Any) -> Reply:
    """A proposal with a file through the form; the ledger then posts its card in the moderation queue."""
    member = sb.demo.user(who)
    given: dict[str, Any] = {
        "theme": "juridique",
        "type": "exemple_statuts",
        "fichier": PDF,
        "exemple": True,
        **options,
    }
    form = await sb.driver.slash(member, "ressource proposer", **given)
    assert form.modal is not None, form.text
    values = (title, SUMMARY, "Le Clos des Tests", "2024-03", ["habitants"])
    fields = FORM_EN if member.locale == "en-US" else FORM
    submitted = await sb.driver.submit(member, form, dict(zip(fields, values, strict=True)))
    await sb.bot.scheduler.run_due()
    return submitted


def card(sb: Sandbox) -> Message:
    return Message(sb.emulator, sb.emulator.messages_in(sb.demo.channel("moderation"))[-1])


async def dms(sb: Sandbox, name: str) -> list[str]:
    await sb.bot.scheduler.run_due()
    return [m["content"] for m in sb.emulator.dms_to(sb.demo.user(name))]


async def resource_id(sb: Sandbox, title: str = TITLE) -> int:
    row = await sb.bot.db.fetchone("SELECT id FROM resources WHERE titre = ?", (title,))
    assert row is not None
    return int(row["id"])


async def test_a_proposal_is_seen_by_nobody_else_until_a_moderator_publishes_it(furnished: Sandbox) -> None:
    sb = furnished
    alex, sam, morgane = sb.demo.user("alex"), sb.demo.user("sam"), sb.demo.user("morgane")
    submitted = await propose(sb)
    assert submitted.ephemeral and "attend la validation d'un modérateur" in submitted.text
    rid = await resource_id(sb)
    row = await sb.bot.db.fetchone("SELECT statut, exemple, volet FROM resources WHERE id = ?", (rid,))
    assert row is not None and tuple(row) == ("en_attente", 1, None)
    # Nobody else finds it, by search, by autocomplete or by its title typed whole.
    assert "No resource matches" in (await sb.driver.slash(sam, "ressource chercher", texte="statuts clos")).text
    assert await sb.driver.autocomplete(sam, "ressource fiche", "ressource", "clos des tests") == []
    hidden = await sb.driver.slash(sam, "ressource fiche", ressource=TITLE)
    assert hidden.ephemeral and hidden.embeds == [] and hidden.message is not None
    assert hidden.message.attachments == []
    # Its proposer does, and the moderators see its card with the file.
    [mine] = await sb.driver.autocomplete(alex, "ressource fiche", "ressource", "clos des tests")
    assert mine["value"] == str(rid)
    message = card(sb)
    assert "Ressource à valider" in message.text and TITLE in message.text
    assert "Exemple, pas un modèle" in message.text and "statuts-clos.pdf" in message.text
    assert [b["label"] for b in message.buttons] == ["Publier", "Refuser", "Voir la fiche"]
    seen = await sb.driver.click(morgane, message, "Voir la fiche")
    assert seen.message is not None and seen.message.attachments[0].data == PDF.data
    refused = await sb.driver.click(alex, message, "Publier")
    assert "Seuls les modérateurs" in refused.content
    await sb.driver.click(morgane, message, "Publier")
    assert message.buttons == [] and "Publiée par Morgane" in message.text
    assert await dms(sb, "alex") == [
        "✅ Votre ressource « Statuts du Clos des Tests » est publiée dans le centre de ressources."
    ]
    # Now everyone finds it, by a word of its summary typed without accents.
    found = await sb.driver.slash(sam, "ressource chercher", texte="gerance elue", theme="juridique")
    assert TITLE in found.text and "1 resource found" in found.text
    # And it is mirrored in the resources forum, tagged with its theme and phase, its file attached.
    forum = sb.demo.channel("ressources")
    [thread] = [c for c in sb.emulator.channels.values() if c.parent_id == forum.id]
    assert thread.name == TITLE
    names = {tag["name"]: int(tag["id"]) for tag in forum.available_tags}
    assert set(thread.applied_tags) == {names["Juridique"]}
    [first] = sb.emulator.messages_in(thread)
    assert Message(sb.emulator, first).attachments[0].data == PDF.data
    row = await sb.bot.db.fetchone("SELECT thread_id FROM resource_posts WHERE resource_id = ?", (rid,))
    assert row is not None and row["thread_id"] == thread.id


async def test_a_refusal_tells_the_proposer_why_in_their_language(furnished: Sandbox) -> None:
    sb = furnished
    await propose(sb, who="sam", title="The Close's articles")
    form = await sb.driver.click(sb.demo.user("morgane"), card(sb), "Refuser")
    await sb.driver.submit(sb.demo.user("morgane"), form, {"Raison (envoyée à la personne)": "Fichier illisible"})
    assert card(sb).buttons == [] and "Refusée par Morgane : Fichier illisible" in card(sb).text
    [told] = await dms(sb, "sam")
    assert "Fichier illisible" in told and "was not accepted" in told
    row = await sb.bot.db.fetchone("SELECT statut FROM resources WHERE titre = ?", ("The Close's articles",))
    assert row is not None and row["statut"] == "refuse"


@pytest.mark.parametrize(
    ("options", "said"),
    [
        ({"fichier": Upload("gros.pdf", b"x" * (8 * 1024 * 1024 + 1), "application/pdf")}, "Fichier trop gros : 8 Mo"),
        ({"fichier": None}, "Donnez un lien"),
        ({"fichier": None, "lien": "ftp://exemple.org"}, "le lien doit commencer par http"),
        ({"volet": "immobilier", "pas": "intentions"}, "ce pas n'appartient pas à ce volet"),
    ],
)
async def test_bad_options_are_refused_before_the_form(furnished: Sandbox, options: dict[str, Any], said: str) -> None:
    sb = furnished
    given: dict[str, Any] = {"theme": "juridique", "type": "guide", "fichier": PDF, **options}
    answer = await sb.driver.slash(sb.demo.user("alex"), "ressource proposer", **{k: v for k, v in given.items() if v})
    assert answer.modal is None and answer.ephemeral
    assert said in answer.content
    assert await sb.bot.db.fetchone("SELECT 1 FROM resources WHERE proposed_by = ?", (sb.demo.user("alex").id,)) is None


async def test_a_refused_form_is_given_back_as_typed(furnished: Sandbox) -> None:
    sb, alex = furnished, furnished.demo.user("alex")
    form = await sb.driver.slash(alex, "ressource proposer", theme="financier", type="guide", lien="https://ex.org/a")
    typed: dict[str, str | list[str]] = {
        "Titre": "Guide de la prise de décision en groupe (démo)",
        "Résumé": SUMMARY,
        "Auteur ou source": "Moi",
    }
    refused = await sb.driver.submit(alex, form, typed)
    assert refused.ephemeral and "Une ressource s'appelle déjà" in refused.content
    assert refused.message is not None
    again = await sb.driver.click(alex, refused.message, "Reprendre")
    assert again.modal is not None
    saved = await sb.driver.submit(alex, again, {"Titre": "Un autre guide"})
    assert "attend la validation" in saved.content
    resource = (await sb.bot.core.resources.resources([await resource_id(sb, "Un autre guide")]))[0]
    assert resource.resume == SUMMARY and resource.lien == "https://ex.org/a" and resource.fichier is None


async def test_demo_resources_are_found_by_filters_and_opened(furnished: Sandbox) -> None:
    sb, sam = furnished, furnished.demo.user("sam")
    every = await sb.driver.slash(sb.demo.user("alex"), "ressource chercher")
    assert every.ephemeral and every.embeds[0]["description"] == "6 ressources trouvées"
    assert every.message is not None and len(every.embeds[0]["fields"]) == 5
    await sb.driver.click(sb.demo.user("alex"), every.message, "▶")
    assert [f["name"][:2] for f in every.message.embeds[0]["fields"]] == ["6."]
    found = await sb.driver.slash(sam, "ressource chercher", volet="collectif", public="habitants")
    assert "Guide de la prise de décision en groupe (démo)" in found.text
    assert "Charte d'un groupe en émergence (démo)" in found.text
    assert "Financer" not in found.text
    assert found.message is not None
    opened = await sb.driver.choose(sb.demo.user("alex"), found.message, ["Charte d'un groupe en émergence (démo)"])
    assert opened.ephemeral and "Exemple, pas un modèle" in opened.text
    assert "Creative Commons BY-NC (citer, pas d'usage commercial)" in opened.text


async def test_after_erasure_pending_proposals_go_and_published_ones_stay_nameless(furnished: Sandbox) -> None:
    sb = furnished
    alex = sb.demo.user("alex")
    await propose(sb)
    await sb.driver.click(sb.demo.user("morgane"), card(sb), "Publier")
    await propose(sb, title="Charte du Clos des Tests")
    exported = await sb.bot.member_data.export(alex.id)
    assert {r["titre"] for r in exported["ressources_proposees"]} == {TITLE, "Charte du Clos des Tests"}
    confirm = await sb.driver.slash(alex, "mes-donnees supprimer")
    assert confirm.message is not None
    await sb.driver.click(alex, confirm.message, "Tout effacer")
    rows = await sb.bot.db.fetchall("SELECT titre, proposed_by, statut FROM resources WHERE titre LIKE '%Clos%'")
    assert [tuple(row) for row in rows] == [(TITLE, None, "publie")]
    files = await sb.bot.db.fetchone("SELECT COUNT(*) FROM resource_files")
    assert files is not None and files[0] == 1
    await sb.bot.scheduler.run_due()  # the waiting card is not posted for a resource that is gone
    found = await sb.driver.slash(sb.demo.user("sam"), "ressource chercher", texte="gerance")
    assert TITLE in found.text


# ---------------------------------------------------------------------- a restart, and the ledger


async def test_a_file_survives_a_restart_and_is_found_without_accents(tmp_path: Path, clock: ManualDateClock) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await propose(first)
            await first.driver.click(world.demo.user("morgane"), card(first), "Publier")
        async with world.life() as again:
            sam = world.demo.user("sam")
            found = await again.driver.slash(sam, "ressource chercher", texte="redige equipe")
            assert TITLE in found.text
            [choice] = await again.driver.autocomplete(sam, "ressource fiche", "ressource", "statuts du clos")
            fiche = await again.driver.slash(sam, "ressource fiche", ressource=choice["value"])
            assert fiche.message is not None
            [kept] = fiche.message.attachments
            assert (kept.filename, kept.data) == (PDF.filename, PDF.data)


async def test_a_card_queued_by_a_bot_that_dies_is_posted_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life() as first:
            await propose(first)
            assert world.emulator.messages_in(world.demo.channel("moderation")) == []
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
            assert len(world.emulator.messages_in(world.demo.channel("moderation"))) == 1
            assert await again.bot.core.outbox.store.counts(MODERATION) == {"sent": 1}


@pytest.mark.parametrize("verdict", ["Publier", "Refuser"])
async def test_a_verdict_of_a_bot_that_dies_is_sent_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock, verdict: str
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await propose(first)
        async with world.life(delivers=False) as dying:
            answered = await dying.driver.click(world.demo.user("morgane"), card(dying), verdict)
            if answered.modal is not None:
                await dying.driver.submit(
                    world.demo.user("morgane"), answered, {"Raison (envoyée à la personne)": "Doublon"}
                )
            assert world.emulator.dms_to(world.demo.user("alex")) == []
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
        [told] = world.emulator.dms_to(world.demo.user("alex"))
        assert ("est publiée" if verdict == "Publier" else "Raison : Doublon") in told["content"]


async def test_a_verdict_sent_by_a_bot_killed_before_marking_it_is_not_sent_twice(
    tmp_path: Path, clock: ManualDateClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await propose(first)
            await first.driver.click(world.demo.user("morgane"), card(first), "Publier")
            dies_after_sending(monkeypatch, first.bot)
            await first.bot.scheduler.run_due()
            monkeypatch.undo()
        async with world.life() as again:
            clock.advance(minutes=2)
            assert await again.bot.scheduler.run_due() == 1
            assert await again.bot.core.outbox.store.counts(VERDICT) == {"sent": 1}
        assert len(world.emulator.dms_to(world.demo.user("alex"))) == 1


async def test_an_administrator_sets_the_resources_forum(sb: Sandbox) -> None:
    forum = sb.demo.channel("ressources")
    done = await sb.driver.slash(sb.demo.user("camille"), "config salons", ressources=forum)
    assert done.ephemeral and f"<#{forum.id}>" in done.text
    assert (await sb.bot.guild_settings.get(sb.demo.guild.id)).resources_forum_id == forum.id
