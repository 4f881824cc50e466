"""The national database through Discord: the record's link to its page, the moderators' choice when a
record changed on both sides, /config base-nationale; and a crash test for each message a sync queues
(the référents' notice, the conflict card, the summary): the bot dies after the change, the next one
sends it exactly once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from bot.sandbox.driver import Message
from bot.sandbox.harness import Sandbox
from bot.sources.bazar import CONFLICT, RETIRED, SUMMARY
from tests.e2e.lives import dies_after_sending, lives
from tests.support import ManualDateClock

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bazar"
FORM = FIXTURES / "form.json"
PAGE = "https://habitat.example/?LesTilleulsPartages"


def entries() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((FIXTURES / "entries.json").read_text(encoding="utf-8"))
    return loaded


async def imported(sb: Sandbox, tmp_path: Path, changes: dict[str, dict[str, Any] | None] | None = None) -> None:
    """The fixture's entries (with `changes` to some of them, None removing one) synced as the command line does."""
    saved = entries()
    for entry_id, change in (changes or {}).items():
        if change is None:
            del saved[entry_id]
        else:
            saved[entry_id].update(change)
    path = tmp_path / "fiches.json"
    path.write_text(json.dumps(saved), encoding="utf-8")
    await sb.bot.core.bazar.import_source(str(path), FORM)


async def tilleuls(sb: Sandbox) -> int:
    row = await sb.bot.db.fetchone("SELECT project_id FROM project_sources WHERE entry_id = 'LesTilleulsPartages'")
    assert row is not None
    return int(row["project_id"])


async def reports_asked(sb: Sandbox) -> None:
    await sb.bot.guild_settings.update(sb.demo.guild.id, national_db_reports=True)


async def edited_on_discord(sb: Sandbox, project_id: int) -> None:
    """Alex, its référent, changes the number of homes through the service, as the form does."""
    project = await sb.bot.projects.must_get(project_id)
    await sb.bot.project_service.edit(
        project_id, project.draft.model_copy(update={"logements": 14}), editor_id=sb.demo.user("alex").id,
        moderator=False, guild_id=sb.demo.guild.id, locale="fr",
    )  # fmt: skip


async def made_referent(sb: Sandbox, project_id: int, who: str = "alex") -> None:
    await sb.bot.db.execute(
        "INSERT INTO project_referents (project_id, user_id) VALUES (?, ?)", (project_id, sb.demo.user(who).id)
    )


def moderation(sb: Sandbox) -> list[Message]:
    return [Message(sb.emulator, data) for data in sb.emulator.messages_in(sb.demo.channel("moderation"))]


async def test_the_card_links_to_the_national_page(furnished: Sandbox, tmp_path: Path) -> None:
    sb = furnished
    await imported(sb, tmp_path)
    fiche = await sb.driver.slash(sb.demo.user("sam"), "projet fiche", projet=str(await tilleuls(sb)))
    assert fiche.ephemeral and fiche.embeds[0]["title"] == "Les Tilleuls Partagés"
    assert fiche.message is not None
    [link] = [button for button in fiche.message.buttons if button.get("url")]
    assert link["url"] == PAGE and link["label"] == "View in the national database"  # Sam reads English
    assert "marie.dupont" not in fiche.text and "06 12 34 56 78" not in fiche.text


async def test_a_moderator_chooses_between_the_two_versions(furnished: Sandbox, tmp_path: Path) -> None:
    sb = furnished
    await reports_asked(sb)
    await imported(sb, tmp_path)
    project_id = await tilleuls(sb)
    await made_referent(sb, project_id)
    await edited_on_discord(sb, project_id)
    await imported(sb, tmp_path, {"LesTilleulsPartages": {"bf_nblogement": "10"}})
    await sb.bot.scheduler.run_due()
    [card] = [message for message in moderation(sb) if message.buttons]
    assert "a été modifié sur Discord et dans la base nationale" in card.content
    assert "Discord : 14" in card.text and "Base nationale : 10" in card.text
    assert [b["label"] for b in card.buttons] == ["Garder la version Discord", "Prendre la base nationale"]
    refused = await sb.driver.click(sb.demo.user("alex"), card, "Prendre la base nationale")
    assert "Seuls les modérateurs" in refused.content
    assert (await sb.bot.projects.must_get(project_id)).logements == 14
    await sb.driver.click(sb.demo.user("morgane"), card, "Prendre la base nationale")
    assert card.buttons == [] and "Base nationale retenue par Morgane" in card.text
    assert (await sb.bot.projects.must_get(project_id)).logements == 10
    summaries = [message for message in moderation(sb) if message.content.startswith("🔄")]
    assert len(summaries) == 2 and "1 en attente du choix des modérateurs" in summaries[1].content


async def test_administrators_ask_for_the_summaries(furnished: Sandbox) -> None:
    sb = furnished
    reply = await sb.driver.slash(sb.demo.user("camille"), "config base-nationale", recevoir=True)
    assert reply.ephemeral and "Bilans de la base nationale enregistrés." in reply.content
    assert (await sb.bot.guild_settings.get(sb.demo.guild.id)).national_db_reports


# ---------------------------------------------------------------------- the ledger: exactly once


async def test_a_notice_of_retirement_queued_by_a_bot_that_dies_is_sent_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock
) -> None:
    async with lives(tmp_path, clock) as world:
        alex = world.demo.user("alex")
        async with world.first_life(delivers=True) as first:
            await imported(first, tmp_path)
            await made_referent(first, await tilleuls(first))
        async with world.life(delivers=False) as dying:
            await imported(dying, tmp_path, {"LesTilleulsPartages": None})  # gone from the source; dies
            assert await dying.bot.core.outbox.store.counts(RETIRED) == {"pending": 1}
        assert world.emulator.dms_to(alex) == []
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
        [told] = world.emulator.dms_to(alex)
        assert "n'est plus dans la base nationale" in told["content"] and PAGE in told["content"]


async def test_a_conflict_card_queued_by_a_bot_that_dies_is_posted_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await reports_asked(first)
            await imported(first, tmp_path)
            await made_referent(first, await tilleuls(first))
            await edited_on_discord(first, await tilleuls(first))
            await first.bot.scheduler.run_due()
        async with world.life(delivers=False) as dying:
            await imported(dying, tmp_path, {"LesTilleulsPartages": {"bf_nblogement": "10"}})
            assert await dying.bot.core.outbox.store.counts(CONFLICT) == {"pending": 1}
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
            cards = [message for message in moderation(again) if message.buttons]
            assert len(cards) == 1
            await again.driver.click(world.demo.user("morgane"), cards[0], "Garder la version Discord")
            assert (await again.bot.projects.must_get(await tilleuls(again))).logements == 14


async def test_a_summary_posted_by_a_bot_killed_before_marking_it_is_not_posted_twice(
    tmp_path: Path, clock: ManualDateClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await reports_asked(first)
            await imported(first, tmp_path)
            assert await first.bot.core.outbox.store.counts(SUMMARY) == {"pending": 1}
            dies_after_sending(monkeypatch, first.bot)
            await first.bot.scheduler.run_due()  # the summary goes out, the bot "dies" before marking it
            monkeypatch.undo()
        async with world.life() as again:
            clock.advance(minutes=2)  # the dead bot's claim is over
            await again.bot.scheduler.run_due()  # sent again with the same nonce: Discord keeps the first
            assert await again.bot.core.outbox.store.counts(SUMMARY) == {"sent": 1}
        summaries = [m for m in world.emulator.messages_in(world.demo.channel("moderation")) if "🔄" in m["content"]]
        assert len(summaries) == 1
