"""Where and when for everyone, interest before commitment, changes that reach people (issue 13):
through the real discord.py client and the emulator, as members read it."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest

from bot.events.reminders import REMINDER
from bot.events.service import CANCELLED, CHANGED
from bot.sandbox.driver import Message
from bot.sandbox.harness import Sandbox
from tests.e2e.lives import dies_after_sending, lives
from tests.e2e.test_events import START, card, create, only_event_id
from tests.support import ManualDateClock

REUNION = ZoneInfo("Indian/Reunion")
UNIX = int(START.timestamp())  # "10/04/2027 14h" in Paris
ADDRESS = "12 rue des Lilas"
MAP = "https://www.openstreetmap.org/search?query=12+rue+des+Lilas%2C+Clermont-Ferrand"
CHANGED_TO = "3 place de Jaude"


def as_read_in(text: str, zone: ZoneInfo) -> str:
    """What Discord's client shows a reader in `zone` for each full timestamp `<t:UNIX:F>`."""
    return re.sub(r"<t:(\d+):F>", lambda m: f"{datetime.fromtimestamp(int(m[1]), zone):%d/%m/%Y %H:%M}", text)


def dms_holding(sb: Sandbox, name: str, holding: str) -> list[Message]:
    found = [Message(sb.emulator, m) for m in sb.emulator.dms_to(sb.demo.user(name))]
    return [message for message in found if holding in message.text]


async def interested(sb: Sandbox, event_id: int) -> list[int]:
    rows = await sb.bot.db.fetchall(
        "SELECT user_id FROM event_interests WHERE event_id = ? ORDER BY user_id", (event_id,)
    )
    return [row["user_id"] for row in rows]


async def register(sb: Sandbox, event_id: int, *names: str) -> None:
    for name in names:
        await sb.driver.slash(sb.demo.user(name), "evenement inscrire", evenement=str(event_id))


async def click_interest(sb: Sandbox, *names: str) -> None:
    for name in names:
        await sb.driver.click(sb.demo.user(name), await card(sb), "Intéressé·e")


# ---------------------------------------------------------------------- where and when


async def test_a_member_in_la_reunion_reads_a_paris_event_in_their_own_time(furnished: Sandbox) -> None:
    sb = furnished
    created = await create(sb, capacity=10)
    assert f"<t:{UNIX}:F> (<t:{UNIX}:R>)" in created.content
    posted = await card(sb)
    assert "samedi 10 avril 2027 à 14h00 → 17h00" in posted.text  # the server's time, in words
    assert f"Dans votre fuseau : <t:{UNIX}:F> (<t:{UNIX}:R>)" in posted.text
    assert "10/04/2027 16:00" in as_read_in(posted.text, REUNION)  # 14:00 in Paris is 16:00 in La Réunion
    joined = await sb.driver.click(sb.demo.user("alex"), posted, "S'inscrire")
    assert joined.content == (
        f"Inscription confirmée pour 1 personne à « Portes ouvertes des Hirondelles », <t:{UNIX}:F> (<t:{UNIX}:R>)."
    )
    assert "10/04/2027 16:00" in as_read_in(joined.content, REUNION)
    listed = await sb.driver.slash(sb.demo.user("sam"), "evenement liste")
    assert f"<t:{UNIX}:F>" in listed.text


async def test_the_card_gives_the_address_with_its_map_and_the_online_link(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb, adresse=ADDRESS, lien="https://visio.exemple.org/jpo")
    posted = await card(sb)
    assert f"Où : {ADDRESS}, Clermont-Ferrand (63)" in posted.text
    assert f"Plan : {MAP}" in posted.text
    assert "En ligne : https://visio.exemple.org/jpo" in posted.text
    event = await sb.bot.events.store.must_get(await only_event_id(sb))
    assert (event.address, event.map_url) == (ADDRESS, MAP)
    [scheduled] = sb.emulator.guilds[sb.demo.guild.id].scheduled_events.values()
    assert scheduled["entity_metadata"]["location"] == f"{ADDRESS}, Clermont-Ferrand (63)"
    calendar = await sb.driver.slash(sb.demo.user("alex"), "evenement calendrier", evenement=str(event.id))
    [entry] = icalendar.Calendar.from_ical(calendar.messages[0].attachments[0].data).walk("VEVENT")
    assert str(entry["location"]) == f"{ADDRESS}, Clermont-Ferrand (63)"  # a file keeps words, no <t:…>
    assert "<t:" not in calendar.messages[0].attachments[0].data.decode()


async def test_an_address_without_its_commune_is_refused_and_creates_nothing(furnished: Sandbox) -> None:
    refused = await furnished.driver.slash(
        furnished.demo.user("dominique"), "evenement creer", type="webinaire", titre="Visio", debut="10/04/2027 14h",
        fin="17h", lien="https://visio.exemple.org/jpo", adresse=ADDRESS,
    )  # fmt: skip
    assert refused.ephemeral and refused.content == "Cela ne convient pas : une adresse va avec sa commune."
    assert await furnished.bot.db.fetchall("SELECT * FROM events") == []


# ---------------------------------------------------------------------- interest


async def test_interest_is_counted_apart_takes_no_seat_nor_reminder_and_a_second_click_withdraws_it(
    furnished: Sandbox,
) -> None:
    sb = furnished
    await create(sb, capacity=3)
    event_id = await only_event_id(sb)
    noted = await sb.driver.click(sb.demo.user("alex"), await card(sb), "Intéressé·e")
    assert noted.ephemeral and noted.content.startswith("Noté : « Portes ouvertes des Hirondelles » vous intéresse")
    english = await sb.driver.click(sb.demo.user("sam"), await card(sb), "Intéressé·e")
    assert english.content.startswith("Noted: you are interested in")
    shown = await card(sb)
    assert "2 intéressé·e·s" in shown.text and "3 places libres sur 3" in shown.text
    assert await sb.bot.db.fetchall("SELECT * FROM registrations") == []
    assert await sb.bot.db.fetchall("SELECT * FROM outbox WHERE kind = ?", (REMINDER,)) == []
    venue = await sb.driver.slash(sb.demo.user("dominique"), "evenement participants", evenement=str(event_id))
    assert "0 personne inscrite, 0 foyer en attente" in venue.text and "👀 2 intéressé·e·s" in venue.text
    withdrawn = await sb.driver.click(sb.demo.user("alex"), shown, "Intéressé·e")
    assert withdrawn.content == "Intérêt retiré : vous ne suivez plus « Portes ouvertes des Hirondelles »."
    assert "1 intéressé·e\n" in (await card(sb)).text + "\n"
    assert await interested(sb, event_id) == [sb.demo.user("sam").id]
    # Who registers is no longer merely interested.
    await sb.driver.click(sb.demo.user("sam"), await card(sb), "S'inscrire")
    assert await interested(sb, event_id) == []
    again = await sb.driver.click(sb.demo.user("sam"), await card(sb), "Intéressé·e")
    assert again.content == "You are already registered for “Portes ouvertes des Hirondelles”."
    assert "intéressé" not in (await card(sb)).text


# ---------------------------------------------------------------------- changes reach people


async def place_changed(sb: Sandbox, event_id: int) -> None:
    await sb.driver.slash(sb.demo.user("dominique"), "evenement modifier", evenement=str(event_id), adresse=CHANGED_TO)


async def ready_for_a_change(sb: Sandbox) -> int:
    """Alex seated, Morgane waiting, Sam (English) and Camille interested."""
    await create(sb, capacity=1, adresse=ADDRESS)
    event_id = await only_event_id(sb)
    await register(sb, event_id, "alex", "morgane")
    await click_interest(sb, "sam", "camille")
    await sb.bot.scheduler.run_due()
    return event_id


TOLD = ("alex", "morgane", "sam", "camille")


def change_notices(sb: Sandbox) -> dict[str, list[Message]]:
    return {name: dms_holding(sb, name, CHANGED_TO) for name in TOLD}


async def test_a_change_of_place_made_by_a_bot_that_dies_reaches_everyone_once(
    tmp_path: Path, clock: ManualDateClock
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            event_id = await ready_for_a_change(first)
            await first.bot.scheduler.stop()  # it dies between the change and the sends
            await place_changed(first, event_id)
            assert all(found == [] for found in change_notices(first).values())
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
            notices = change_notices(again)
            assert {name: len(found) for name, found in notices.items()} == dict.fromkeys(TOLD, 1)
            [alex] = notices["alex"]
            assert alex.content == "📅 « Portes ouvertes des Hirondelles » a changé."
            assert f"Où : {ADDRESS}, Clermont-Ferrand (63) → {CHANGED_TO}, Clermont-Ferrand (63)" in alex.text
            assert [b["label"] for b in alex.buttons] == ["Je viens toujours", "Je ne viens plus"]
            [sam] = notices["sam"]
            assert sam.content == "📅 “Portes ouvertes des Hirondelles” has changed."
            assert [b["label"] for b in sam.buttons] == ["I'm still coming", "I'm not coming"]
            assert (await again.bot.core.outbox.store.counts(CHANGED)).get("sent") == len(TOLD)


async def test_a_change_notice_sent_by_a_bot_that_dies_before_marking_it_is_not_sent_twice(
    tmp_path: Path, clock: ManualDateClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            event_id = await ready_for_a_change(first)
            dies_after_sending(monkeypatch, first.bot)
            await place_changed(first, event_id)
            await first.bot.scheduler.run_due()
            monkeypatch.undo()
        async with world.life() as again:
            clock.advance(minutes=2)
            await again.bot.scheduler.run_due()
            await again.bot.scheduler.run_due()
            notices = change_notices(again)
            assert {name: len(found) for name, found in notices.items()} == dict.fromkeys(TOLD, 1)
            assert (await again.bot.core.outbox.store.counts(CHANGED)).get("sent") == len(TOLD)


async def test_the_answers_to_a_change_notice(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb, capacity=2)
    event_id = await only_event_id(sb)
    await register(sb, event_id, "alex", "camille", "morgane")  # Morgane waits
    await click_interest(sb, "sam")
    await sb.driver.slash(
        sb.demo.user("dominique"), "evenement modifier", evenement=str(event_id), debut="11/04/2027 10h"
    )
    await sb.bot.scheduler.run_due()
    moved = int(datetime(2027, 4, 11, 8, 0, tzinfo=UTC).timestamp())

    [camille] = dms_holding(sb, "camille", "a changé")
    assert f"Quand : <t:{UNIX}:f> → <t:{moved}:F> (<t:{moved}:R>)" in camille.text
    still = await sb.driver.click(sb.demo.user("camille"), camille, "Je viens toujours")
    assert still.content == (
        f"C'est noté : vous venez toujours à « Portes ouvertes des Hirondelles », <t:{moved}:F> (<t:{moved}:R>)."
    )
    answered = "SELECT confirmed_at FROM registrations WHERE user_id = ?"
    row = await sb.bot.db.fetchone(answered, (sb.demo.user("camille").id,))
    assert row is not None and row["confirmed_at"] is not None

    [alex] = dms_holding(sb, "alex", "a changé")
    gone = await sb.driver.click(sb.demo.user("alex"), alex, "Je ne viens plus")
    assert gone.content == "Vous n'êtes plus inscrit·e à « Portes ouvertes des Hirondelles »."
    seated = await sb.bot.db.fetchall("SELECT user_id FROM registrations WHERE status = 'inscrit' ORDER BY user_id")
    assert {r["user_id"] for r in seated} == {sb.demo.user("camille").id, sb.demo.user("morgane").id}
    await sb.bot.scheduler.run_due()
    assert len(dms_holding(sb, "morgane", "Une place s'est libérée")) == 1

    [sam] = dms_holding(sb, "sam", "has changed")
    kept = await sb.driver.click(sb.demo.user("sam"), sam, "I'm still coming")
    assert kept.content == "Noted: you still follow “Portes ouvertes des Hirondelles”."
    dropped = await sb.driver.click(sb.demo.user("sam"), sam, "I'm not coming")
    assert dropped.content == "You no longer follow “Portes ouvertes des Hirondelles”."
    assert await interested(sb, event_id) == []
    # Another change asks again: the earlier answer was about the event as it was.
    await sb.driver.slash(
        sb.demo.user("dominique"), "evenement modifier", evenement=str(event_id), debut="11/04/2027 11h"
    )
    row = await sb.bot.db.fetchone(answered, (sb.demo.user("camille").id,))
    assert row is not None and row["confirmed_at"] is None


async def test_one_date_of_a_weekly_series_is_moved_or_cancelled_alone(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb, repetition="weekly", occurrences=3)
    ids = [r["id"] for r in await sb.bot.db.fetchall("SELECT id FROM events ORDER BY starts_at")]
    for event_id in ids:
        await register(sb, event_id, "alex")
    before = {e.id: e for e in await sb.bot.events.store.get_many(ids)}
    organiser = sb.demo.user("dominique")
    await sb.driver.slash(organiser, "evenement modifier", evenement=str(ids[1]), debut="18/04/2027 10h")
    await sb.driver.slash(organiser, "evenement annuler", evenement=str(ids[2]), raison="Salle prise")
    after = {e.id: e for e in await sb.bot.events.store.get_many(ids)}
    assert after[ids[0]] == before[ids[0]]
    assert after[ids[1]].starts_at == datetime(2027, 4, 18, 8, 0, tzinfo=UTC) != before[ids[1]].starts_at
    assert [after[i].cancelled for i in ids] == [False, False, True]
    assert after[ids[2]].starts_at == before[ids[2]].starts_at
    await sb.bot.scheduler.run_due()
    told = await sb.bot.db.fetchall(
        "SELECT kind, payload FROM outbox WHERE kind IN (?, ?) ORDER BY id", (CHANGED, CANCELLED)
    )
    assert [(r["kind"], json.loads(r["payload"])["event"]) for r in told] == [(CHANGED, ids[1]), (CANCELLED, ids[2])]


async def test_a_cancellation_tells_registrants_and_interested_members_once(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb)
    event_id = await only_event_id(sb)
    organiser = sb.demo.user("dominique")
    await sb.driver.slash(
        organiser, "evenement atelier", evenement=str(event_id), titre="Visite", debut="10/04/2027 15h", fin="16h"
    )
    await register(sb, event_id, "alex")
    await sb.driver.slash(sb.demo.user("alex"), "evenement inscrire", evenement=str(event_id), atelier=1)
    await click_interest(sb, "sam")
    done = await sb.driver.slash(organiser, "evenement annuler", evenement=str(event_id), raison="Tempête annoncée")
    assert "2 membres prévenus" in done.text
    await sb.bot.scheduler.run_due()
    assert len(dms_holding(sb, "alex", "Tempête annoncée")) == 1
    [sam] = dms_holding(sb, "sam", "Tempête annoncée")
    assert f"<t:{UNIX}:F>" in sam.text
    assert (await sb.bot.core.outbox.store.counts(CANCELLED)).get("sent") == 2
    assert (await card(sb)).buttons == []


async def test_my_data_holds_my_interests_and_erasing_them_leaves_none(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb)
    event_id = await only_event_id(sb)
    sam = sb.demo.user("sam")
    await click_interest(sb, "sam")
    exported = await sb.driver.slash(sam, "mes-donnees voir")
    data: dict[str, Any] = json.loads(exported.messages[0].attachments[0].data)
    assert [(i["event_id"], i["title"]) for i in data["interets"]] == [(event_id, "Portes ouvertes des Hirondelles")]
    confirm = await sb.driver.slash(sam, "mes-donnees supprimer")
    assert confirm.message is not None
    await sb.driver.click(sam, confirm.message, "Erase everything")
    assert await interested(sb, event_id) == []


async def test_two_changes_before_the_send_make_one_notice_and_a_change_undone_makes_none(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb, adresse=ADDRESS)
    event_id = await only_event_id(sb)
    await register(sb, event_id, "alex")
    await sb.bot.scheduler.run_due()
    organiser, number = sb.demo.user("dominique"), str(event_id)
    await sb.bot.scheduler.stop()  # the sends wait: both changes are written before them
    await sb.driver.slash(organiser, "evenement modifier", evenement=number, adresse="Salle des fêtes")
    await sb.driver.slash(organiser, "evenement modifier", evenement=number, adresse=CHANGED_TO)
    await sb.bot.core.outbox.run_due()
    [notice] = dms_holding(sb, "alex", "a changé")
    assert f"Où : {ADDRESS}, Clermont-Ferrand (63) → {CHANGED_TO}, Clermont-Ferrand (63)" in notice.text
    await sb.driver.slash(organiser, "evenement modifier", evenement=number, debut="11/04/2027 14h")
    await sb.driver.slash(organiser, "evenement modifier", evenement=number, debut="10/04/2027 14h")
    await sb.bot.core.outbox.run_due()
    assert len(dms_holding(sb, "alex", "a changé")) == 1  # back as it was: nothing to tell
