"""Issue 13, on the day and around it: the personal calendar (read over HTTP from the bot's own web
side), check-in at the venue, and the organiser's figures — through the real client and the emulator."""

from __future__ import annotations

import csv
import io
import json
import re
import socket
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import icalendar
import pytest
from PIL import Image

from bot.clock import to_db
from bot.config import Settings
from bot.sandbox.driver import Reply
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import Sandbox, furnish, sandbox
from tests.support import ManualClock, ManualDateClock

TITLE = "Portes ouvertes des Hirondelles"
ADDRESS = re.compile(r"<(http://127\.0\.0\.1:\d+/agenda/perso/([A-Za-z0-9_-]+)\.ics)>")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
async def served(tmp_path: Path, emulator_clock: ManualClock, clock: ManualDateClock) -> AsyncIterator[Sandbox]:
    """The furnished demo server, with the bot's HTTP side on and its public address set."""
    port = free_port()
    settings = Settings(_env_file=None, web_port=port, public_url=f"http://127.0.0.1:{port}/")
    emulator = Emulator(clock=emulator_clock)
    async with sandbox(
        tmp_path / "bot.sqlite3", emulator=emulator, clock=clock, settings=settings, with_probe=True
    ) as box:
        await furnish(box)
        yield box
        assert emulator.problems == [], "\n".join(emulator.problems)


async def create(sb: Sandbox, title: str = TITLE, day: str = "10/04/2027", **options: Any) -> int:
    await sb.driver.slash(
        sb.demo.user("dominique"), "evenement creer", type="jpo", titre=title, debut=f"{day} 14h", fin="17h",
        commune="insee:63113", **options,
    )  # fmt: skip
    row = await sb.bot.db.fetchone("SELECT id FROM events WHERE title = ?", (title,))
    assert row is not None
    return int(row["id"])


async def register(sb: Sandbox, name: str, event_id: int, **options: Any) -> Reply:
    return await sb.driver.slash(sb.demo.user(name), "evenement inscrire", evenement=str(event_id), **options)


async def fetch(url: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as session, session.get(url) as response:
        return response.status, await response.read()


def summaries(body: bytes) -> list[str]:
    return sorted(str(entry["summary"]) for entry in icalendar.Calendar.from_ical(body).walk("VEVENT"))


# ---------------------------------------------------------------------- the personal calendar


async def test_a_personal_address_holds_only_the_members_events_follows_them_and_can_be_replaced(
    served: Sandbox,
) -> None:
    sb = served
    alex = sb.demo.user("alex")
    open_day = await create(sb)
    other = await create(sb, "Plénière régionale", "12/04/2027")
    full = await create(sb, "Visite du chantier", "14/04/2027", capacite=1)
    await register(sb, "alex", open_day)
    await register(sb, "sam", other)
    await register(sb, "morgane", full)
    await register(sb, "alex", full)  # on the waiting list

    answer = await sb.driver.slash(alex, "evenement mon-agenda")
    assert answer.ephemeral
    found = ADDRESS.search(answer.content)
    assert found is not None, answer.content
    url, token = found.groups()
    assert len(token) >= 43 and str(alex.id) not in url
    assert "Google Agenda" in answer.content and "Apple Calendrier" in answer.content
    assert "Thunderbird" in answer.content
    assert answer.message is not None and answer.message.button("Nouvelle adresse")
    # Only a fingerprint is kept.
    [row] = await sb.bot.db.fetchall("SELECT * FROM calendar_tokens")
    assert row["user_id"] == alex.id and token not in row["token_hash"]

    status, body = await fetch(url)
    assert status == 200
    assert summaries(body) == [
        f"{TITLE} (Journée portes ouvertes)",
        "[liste d'attente] Visite du chantier (Journée portes ouvertes)",
    ]
    await sb.driver.slash(alex, "evenement desinscrire", evenement=str(open_day))
    assert summaries((await fetch(url))[1]) == ["[liste d'attente] Visite du chantier (Journée portes ouvertes)"]
    await sb.driver.slash(sb.demo.user("morgane"), "evenement desinscrire", evenement=str(full))
    assert summaries((await fetch(url))[1]) == ["Visite du chantier (Journée portes ouvertes)"]  # moved up

    again = await sb.driver.slash(alex, "evenement mon-agenda")
    assert "ne peut pas la réafficher" in again.content and ADDRESS.search(again.content) is None
    assert again.message is not None
    renewed = await sb.driver.click(alex, again.message, "Nouvelle adresse")
    fresh = ADDRESS.search(renewed.content)
    assert fresh is not None and fresh.group(1) != url
    assert (await fetch(url))[0] == 404
    assert (await fetch(fresh.group(1)))[0] == 200

    exported = await sb.driver.slash(alex, "mes-donnees voir")
    data = json.loads(exported.messages[0].attachments[0].data)
    assert [list(entry) for entry in data["agenda_personnel"]] == [["created_at"]]
    confirm = await sb.driver.slash(alex, "mes-donnees supprimer")
    assert confirm.message is not None
    await sb.driver.click(alex, confirm.message, "Tout effacer")
    assert (await fetch(fresh.group(1)))[0] == 404
    assert await sb.bot.db.fetchall("SELECT * FROM calendar_tokens") == []


async def test_the_calendar_command_gives_the_public_agenda_address(served: Sandbox) -> None:
    sb = served
    await create(sb)
    answer = await sb.driver.slash(sb.demo.user("alex"), "evenement calendrier")
    found = re.search(r"<(http://127\.0\.0\.1:\d+/agenda\.ics)>", answer.content)
    assert found is not None, answer.content
    status, body = await fetch(found.group(1))
    assert status == 200 and summaries(body) == [f"{TITLE} (Journée portes ouvertes)"]


async def test_without_a_web_side_the_member_is_told_and_still_gets_a_file(furnished: Sandbox) -> None:
    sb = furnished
    mine, theirs = await create(sb), await create(sb, "Plénière régionale", "12/04/2027")
    await register(sb, "alex", mine)
    await register(sb, "sam", theirs)
    answer = await sb.driver.slash(sb.demo.user("alex"), "evenement mon-agenda")
    assert answer.ephemeral and "WEB_PORT" in answer.content and "PUBLIC_URL" in answer.content
    [attachment] = answer.messages[0].attachments
    assert summaries(attachment.data) == [f"{TITLE} (Journée portes ouvertes)"]
    assert await sb.bot.db.fetchall("SELECT * FROM calendar_tokens") == []
    plain = await sb.driver.slash(sb.demo.user("alex"), "evenement calendrier")
    assert "agenda.ics>" not in plain.content


# ---------------------------------------------------------------------- check-in


def code_of(reply: Reply) -> str:
    found = re.search(r"^# ([A-Z0-9]{5})$", reply.text, flags=re.MULTILINE)
    assert found is not None, reply.text
    return found.group(1)


async def test_check_in_by_button_by_code_and_by_the_organiser(furnished: Sandbox) -> None:
    sb = furnished
    organiser = sb.demo.user("dominique")
    event_id = await create(sb, capacite=4)
    for name in ("alex", "morgane", "camille"):
        await register(sb, name, event_id)
    await sb.driver.slash(organiser, "evenement inscrire", evenement=str(event_id), invite="Jeanne Martin")
    await register(sb, "sam", event_id)  # full: waiting

    early = await sb.driver.slash(sb.demo.user("alex"), "evenement present", code="KXT4M")
    assert early.ephemeral and "« KXT4M » ne correspond à aucun accueil" in early.content
    status = await sb.driver.slash(organiser, "evenement accueil", evenement=str(event_id))
    assert "n'a pas encore été ouvert" in status.content
    refused = await sb.driver.slash(sb.demo.user("alex"), "evenement accueil", evenement=str(event_id), action="ouvrir")
    assert refused.content.startswith("Seuls l'organisateur de l'événement")
    assert await sb.bot.db.fetchall("SELECT * FROM event_checkin") == []

    opened = await sb.driver.slash(organiser, "evenement accueil", evenement=str(event_id), action="ouvrir")
    assert opened.message is not None and not opened.message.ephemeral  # posted in the channel, for everyone
    assert "L'accueil de « Portes ouvertes des Hirondelles » est ouvert" in opened.message.content
    [desk] = opened.followups
    assert desk.ephemeral and "0 foyer présent sur 4 inscrits (0 %)" in desk.content
    code = code_of(opened)

    arrived = await sb.driver.click(sb.demo.user("alex"), opened.message, "Je suis arrivé·e")
    assert arrived.ephemeral and arrived.content == f"Bienvenue ! Votre arrivée à « {TITLE} » est notée."
    twice = await sb.driver.click(sb.demo.user("alex"), opened.message, "Je suis arrivé·e")
    assert twice.content == f"Votre arrivée à « {TITLE} » était déjà notée."
    typed = f" {code[:2].lower()} {code[2:].lower()} "
    by_code = await sb.driver.slash(sb.demo.user("morgane"), "evenement present", code=typed)
    assert by_code.content.startswith("Bienvenue !")
    present = "SELECT id, checked_in_at, checked_in_by FROM registrations WHERE checked_in_at IS NOT NULL ORDER BY id"
    before = [tuple(row) for row in await sb.bot.db.fetchall(present)]
    wrong = await sb.driver.slash(sb.demo.user("camille"), "evenement present", code="ZZ-99")
    assert wrong.ephemeral and "« ZZ-99 » ne correspond à aucun accueil" in wrong.content
    waiting = await sb.driver.slash(sb.demo.user("sam"), "evenement present", code=code)
    assert "waiting list" in waiting.content
    stranger = await sb.driver.slash(organiser, "evenement present", code=code)
    assert stranger.content == f"Vous n'êtes pas inscrit·e à « {TITLE} »."
    stranger_button = await sb.driver.click(organiser, opened.message, "Je suis arrivé·e")
    assert stranger_button.content == f"Vous n'êtes pas inscrit·e à « {TITLE} »."
    assert [tuple(row) for row in await sb.bot.db.fetchall(present)] == before

    # The organiser marks a member by name, and the guest from the menu of those not yet here.
    marked = await sb.driver.slash(
        organiser, "evenement accueil", evenement=str(event_id), membre=sb.demo.user("camille")
    )
    assert "3 foyers présents sur 4 inscrits (75 %)" in marked.content
    assert marked.message is not None
    menu = await sb.driver.choose(organiser, marked.message, ["Jeanne Martin — 1"])
    assert "4 foyers présents sur 4 inscrits (100 %)" in menu.content
    assert await sb.bot.events.store.registration_of(event_id, sb.demo.user("sam").id) is not None
    # The organiser's list for the venue says who came.
    listing = await sb.driver.slash(organiser, "evenement participants", evenement=str(event_id))
    [attachment] = [a for m in listing.messages for a in m.attachments]
    listed = list(csv.DictReader(io.StringIO(attachment.data.decode())))
    assert sorted((row["nom"], row["present"]) for row in listed) == [
        ("Alex", "oui"), ("Camille", "oui"), ("Jeanne Martin", "oui"), ("Morgane", "oui"), ("Sam", "non"),
    ]  # fmt: skip

    desk_now = await sb.driver.slash(organiser, "evenement accueil", evenement=str(event_id))
    assert desk_now.message is not None and code_of(desk_now) == code
    closed = await sb.driver.click(organiser, desk_now.message, "Fermer l'accueil")
    assert "fermé" in closed.content and "(100 %)" in closed.content
    assert closed.message is not None and not closed.message.buttons  # nothing left to close
    late = await sb.driver.click(sb.demo.user("alex"), opened.message, "Je suis arrivé·e")
    assert late.content == f"L'accueil de « {TITLE} » n'est pas ouvert."
    too_late = await sb.driver.slash(sb.demo.user("alex"), "evenement present", code=code)
    assert too_late.content == f"L'accueil de « {TITLE} » est fermé."
    reopened = await sb.driver.slash(organiser, "evenement accueil", evenement=str(event_id), action="ouvrir")
    assert code_of(reopened) != code  # a fresh code: the old one may have been seen outside
    closed_again = await sb.driver.slash(organiser, "evenement accueil", evenement=str(event_id), action="fermer")
    assert "fermé" in closed_again.content
    rows = await sb.bot.db.fetchall(present)
    assert [row["checked_in_by"] for row in rows] == [
        sb.demo.user("alex").id, sb.demo.user("morgane").id, organiser.id, organiser.id,
    ]  # fmt: skip


# ---------------------------------------------------------------------- organisers' figures


async def test_an_organiser_reads_an_events_figures_a_member_does_not(
    furnished: Sandbox, clock: ManualDateClock
) -> None:
    sb = furnished
    event_id = await create(sb, capacite=2)
    alex = sb.demo.user("alex")
    now = to_db(clock())
    await sb.bot.db.execute(
        "INSERT INTO household_profiles (user_id, code_insee, created_at, updated_at) VALUES (?, '63113', ?, ?)",
        (alex.id, now, now),
    )
    await register(sb, "alex", event_id, personnes=2)
    clock.advance(days=8)
    await register(sb, "morgane", event_id)  # waits: two seats, both taken
    await register(sb, "sam", event_id)
    await sb.bot.events.interest(event_id, sb.demo.user("camille").id, "fr")

    figures = await sb.driver.slash(sb.demo.user("dominique"), "evenement stats", evenement=str(event_id))
    assert figures.deferred  # « thinking… » at once, the figures and their chart follow
    answer = figures.messages[-1]
    assert answer.ephemeral
    [embed] = answer.embeds
    assert embed["title"] == f"Statistiques — {TITLE}"
    assert embed["description"] == "1 foyer inscrit · 2 personnes · capacité : 2 places · 👀 1 intéressé·e"
    fields = {field["name"]: field["value"] for field in embed["fields"]}
    assert fields["Liste d'attente"] == "2 foyers en attente · 2 personnes"
    assert fields["Présence (accueil)"] == "0 foyer présent sur 1 inscrit (0 %) · 0 personne sur 2"
    weeks = fields["Inscriptions par semaine (semaine du…)"]
    assert re.search(r"1er mars 2027 █+ 1\n8 mars 2027\s+█+ 2", weeks), weeks
    regions = fields["Foyers par région (selon leur présentation)"]
    assert re.search(r"Auvergne-Rhône-Alpes █+ 1", regions) and re.search(r"non indiquée\s+█+ 2", regions)
    [chart] = answer.attachments
    assert chart.filename == "statistiques.png"
    assert embed["image"]["url"] == "attachment://statistiques.png"  # shown inside the card
    image = Image.open(io.BytesIO(chart.data))
    assert image.format == "PNG" and image.width == 800

    refused = await sb.driver.slash(alex, "evenement stats", evenement=str(event_id))
    assert refused.ephemeral and refused.embeds == []
    assert refused.content.startswith("Seuls l'organisateur de l'événement")
    english = await sb.driver.slash(sb.demo.user("morgane"), "evenement stats", evenement=str(event_id), locale="en-US")
    assert english.messages[-1].embeds[0]["title"] == f"Statistics — {TITLE}"  # Morgane moderates the server
