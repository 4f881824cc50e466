"""/evenement and /rappel through the real discord.py client and the emulator."""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import icalendar
import pytest
from aiohttp.test_utils import TestClient, TestServer
from PIL import Image

from bot.announcements.service import ANNOUNCEMENT
from bot.events.reminders import REMINDER
from bot.events.service import CANCELLED, CARD, CHANGED, POSTED, PROMOTED
from bot.outbox import FIRST_RETRY, Status
from bot.pictures.maps import draw_map
from bot.pictures.models import DrawnMap, MapRequest
from bot.sandbox.driver import Message, Reply
from bot.sandbox.harness import Sandbox
from bot.sandbox.state import User
from bot.web import make_app
from cogs.ui.events import ScheduledEvents
from tests.e2e.lives import dies_after_sending, lives
from tests.support import ManualDateClock, due_letters

PARIS = ZoneInfo("Europe/Paris")
START = datetime(2027, 4, 10, 12, 0, tzinfo=UTC)  # "10/04/2027 14h" in Paris, a Saturday


async def create(sb: Sandbox, capacity: int | None = None, **options: Any) -> Reply:
    values: dict[str, Any] = {
        "type": "jpo",
        "titre": "Portes ouvertes des Hirondelles",
        "debut": "10/04/2027 14h",
        "fin": "17h",
        "commune": "insee:63113",
        "description": "Visite du chantier et goûter partagé.",
    }
    if capacity is not None:
        values["capacite"] = capacity
    return await sb.driver.slash(sb.demo.user("dominique"), "evenement creer", **(values | options))


async def only_event_id(sb: Sandbox) -> int:
    row = await sb.bot.db.fetchone("SELECT id FROM events ORDER BY id LIMIT 1")
    assert row is not None
    return int(row["id"])


async def card(sb: Sandbox) -> Message:
    """The event's card in #annonces, once the ledger has posted (or rewritten) it."""
    await sb.bot.scheduler.run_due()
    return Message(sb.emulator, sb.emulator.messages_in(sb.demo.channel("annonces"))[-1])


async def dms(sb: Sandbox, name: str) -> list[str]:
    """What a member received by DM once the ledger's due rows are delivered."""
    await sb.bot.scheduler.run_due()
    return [m["content"] for m in sb.emulator.dms_to(sb.demo.user(name))]


# ---------------------------------------------------------------------- organisers


async def test_an_organiser_creates_an_event_announced_with_a_signup_button(furnished: Sandbox) -> None:
    sb = furnished
    reply = await create(sb, capacity=10)
    assert reply.messages[-1].content.startswith(
        "Événement créé : « Portes ouvertes des Hirondelles », <t:1807358400:F> (<t:1807358400:R>)."
    )
    event = await sb.bot.events.store.must_get(await only_event_id(sb))
    assert (event.starts_at, event.ends_at) == (START, START + timedelta(hours=3))
    [scheduled] = sb.emulator.guilds[sb.demo.guild.id].scheduled_events.values()
    assert scheduled["name"] == "Portes ouvertes des Hirondelles"
    assert scheduled["entity_metadata"]["location"] == "Clermont-Ferrand (63)"
    assert int(scheduled["id"]) == event.discord_event_id
    posted = await card(sb)
    assert "samedi 10 avril 2027 à 14h00 → 17h00" in posted.text
    assert posted.button("S'inscrire")["custom_id"] == f"evt:inscrire:{event.id}"
    assert (await sb.bot.events.store.must_get(event.id)).announce_message_id == posted.id


async def test_members_cannot_create_events(furnished: Sandbox) -> None:
    reply = await furnished.driver.slash(
        furnished.demo.user("alex"), "evenement creer", type="jpo", titre="Ma fête", debut="10/04/2027 14h", fin="17h",
        commune="insee:63113",
    )  # fmt: skip
    assert reply.content == "Réservé aux organisateurs du serveur."
    assert await furnished.bot.db.fetchall("SELECT * FROM events") == []


@pytest.mark.parametrize(
    ("debut", "fin", "message"),
    [
        ("31/02/2027 10h", "12h", "n'est pas une date qui existe"),
        ("10/01/2027 10h", "12h", "est déjà passé"),
        ("bientôt", "12h", "Je ne comprends pas la date"),
        ("28/03/2027 2h30", "4h", "heure sautée"),
        ("10/04/2027 14h", "12h", "la fin doit venir après le début"),
    ],
)
async def test_bad_dates_get_a_clear_message_and_create_nothing(
    furnished: Sandbox, debut: str, fin: str, message: str
) -> None:
    reply = await create(furnished, debut=debut, fin=fin)
    assert reply.ephemeral
    assert message in reply.text
    assert await furnished.bot.db.fetchall("SELECT * FROM events") == []


async def test_a_refusal_names_the_option_as_the_member_typed_it_and_changes_nothing(furnished: Sandbox) -> None:
    sb = furnished
    organiser = sb.demo.user("dominique")
    short = await create(sb, titre="  ab  ")
    assert short.ephemeral and short.content == "« titre » ne convient pas : au moins 3 caractères."
    assert await sb.bot.db.fetchall("SELECT * FROM events") == []
    assert await sb.bot.db.fetchall("SELECT * FROM outbox") == []
    await create(sb)
    event_id = await only_event_id(sb)
    workshop = await sb.driver.slash(
        organiser, "evenement atelier", evenement=str(event_id), titre=" ab ", debut="10/04/2027 15h", fin="16h"
    )
    assert workshop.content == "« titre » ne convient pas : au moins 3 caractères."
    link = await sb.driver.slash(organiser, "evenement modifier", evenement=str(event_id), lien="ftp://exemple.org")
    assert link.content == "Cela ne convient pas : le lien doit commencer par https://."
    nothing = await sb.driver.slash(organiser, "evenement modifier", evenement=str(event_id))
    assert nothing.content == "Indiquez au moins une chose à changer."
    unknown = await sb.driver.slash(organiser, "evenement annuler", evenement="9" * 40, raison="Pour voir")
    assert unknown.content.startswith("Je ne trouve pas l'événement « 9999")
    event = await sb.bot.events.store.must_get(event_id)
    assert (event.online_url, event.cancelled) == (None, False)
    assert await sb.bot.db.fetchall("SELECT * FROM event_sessions") == []


async def test_a_monthly_series_is_one_event_per_date_at_the_same_local_time(furnished: Sandbox) -> None:
    sb = furnished
    reply = await create(
        sb, titre="Plénière régionale", debut="01/03/2027 18h", fin="20h", repetition="monthly_nth", occurrences=3
    )
    assert "3 dates créées" in reply.text
    rows = await sb.bot.db.fetchall("SELECT starts_at, series_id FROM events ORDER BY starts_at")
    local = [datetime.fromisoformat(r["starts_at"]).astimezone(PARIS) for r in rows]
    assert [(d.day, d.month, d.hour, d.weekday()) for d in local] == [(1, 3, 18, 0), (5, 4, 18, 0), (3, 5, 18, 0)]
    assert len({r["series_id"] for r in rows}) == 1
    assert len(sb.emulator.guilds[sb.demo.guild.id].scheduled_events) == 3
    await sb.bot.scheduler.run_due()  # the ledger posts the card: not left to the background round's timing
    assert len(sb.emulator.messages_in(sb.demo.channel("annonces"))) == 1  # one announcement for the series


# ---------------------------------------------------------------------- members register


async def test_the_button_registers_and_the_card_counts_seats(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb, capacity=3)
    reply = await sb.driver.click(sb.demo.user("alex"), await card(sb), "S'inscrire")
    assert reply.ephemeral
    assert reply.content.startswith("Inscription confirmée pour 1 personne à « Portes ouvertes des Hirondelles », <t:")
    assert reply.posted == []  # the answer waits for nothing: the card is rewritten by the ledger afterwards
    assert "2 places libres sur 3" in (await card(sb)).text
    again = await sb.driver.click(sb.demo.user("alex"), await card(sb), "S'inscrire")
    assert again.content.startswith("Inscription mise à jour")
    assert len(await sb.bot.db.fetchall("SELECT * FROM registrations")) == 1


async def test_waiting_list_position_then_promotion_by_dm(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb, capacity=3)
    event_id = await only_event_id(sb)
    await sb.driver.slash(sb.demo.user("alex"), "evenement inscrire", evenement=str(event_id), personnes=3)
    waiting = await sb.driver.slash(sb.demo.user("sam"), "evenement inscrire", evenement=str(event_id), personnes=2)
    assert waiting.content.startswith("Full: you are number 1 on the waiting list")
    assert "a freed seat goes to the first household on the list that it fits" in waiting.content
    left = await sb.driver.slash(sb.demo.user("alex"), "evenement desinscrire", evenement=str(event_id))
    assert left.content == "Vous n'êtes plus inscrit·e à « Portes ouvertes des Hirondelles »."
    assert any("A seat freed up" in text for text in await dms(sb, "sam"))  # Sam registered with an English Discord
    assert [(r.user_id, r.status) for r in await sb.bot.events.store.participants(event_id)] == [
        (sb.demo.user("sam").id, "inscrit")
    ]


async def test_an_organiser_registers_a_member_and_a_guest(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb, capacity=10)
    event_id = await only_event_id(sb)
    organiser = sb.demo.user("dominique")
    await sb.driver.slash(organiser, "evenement inscrire", evenement=str(event_id), pour=sb.demo.user("alex"))
    await sb.driver.slash(organiser, "evenement inscrire", evenement=str(event_id), invite="Jeanne Martin", personnes=2)
    refused = await sb.driver.slash(sb.demo.user("sam"), "evenement inscrire", evenement=str(event_id), invite="Un ami")
    assert refused.content == "For the server's organisers only."
    listing = await sb.driver.slash(organiser, "evenement participants", evenement=str(event_id))
    assert "3 personnes inscrites, 0 foyer en attente" in listing.text
    [attachment] = listing.messages[0].attachments
    rows = list(csv.DictReader(io.StringIO(attachment.data.decode())))
    assert sorted(row["nom"] for row in rows) == ["Alex", "Jeanne Martin"]


async def test_workshops_have_their_own_seats(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb, titre="Rencontres nationales", type="rnhp", debut="10/04/2027 9h", fin="18h")
    event_id = await only_event_id(sb)
    added = await sb.driver.slash(
        sb.demo.user("dominique"), "evenement atelier", evenement=str(event_id), titre="Foncier solidaire",
        debut="10/04/2027 10h", fin="11h30", lieu="Salle B", capacite=1,
    )  # fmt: skip
    session_id = int(added.content.split("n° ")[1].rstrip(")."))
    ok = await sb.driver.slash(sb.demo.user("alex"), "evenement inscrire", evenement=str(event_id), atelier=session_id)
    full = await sb.driver.slash(sb.demo.user("sam"), "evenement inscrire", evenement=str(event_id), atelier=session_id)
    assert ok.content.startswith("Inscription confirmée")
    assert "waiting list" in full.content
    assert "Foncier solidaire" in (await card(sb)).text


async def test_list_near_me_and_my_registrations(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb)
    await create(sb, titre="JPO lyonnaise", commune="insee:69123")
    alex = sb.demo.user("alex")
    near = await sb.driver.slash(alex, "evenement liste", pres_de="insee:63430", rayon_km=60)
    assert "Portes ouvertes des Hirondelles" in near.text and "JPO lyonnaise" not in near.text
    everything = await sb.driver.slash(alex, "evenement liste")
    assert "2 événements à venir" in everything.text
    mine = await sb.driver.slash(alex, "evenement liste", mes_inscriptions=True)
    assert mine.content == "Aucun événement à venir ne correspond."


async def test_calendar_file_parses_with_local_times(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb)
    reply = await sb.driver.slash(sb.demo.user("alex"), "evenement calendrier")
    [attachment] = reply.messages[0].attachments
    calendar = icalendar.Calendar.from_ical(attachment.data)
    [entry] = list(calendar.walk("VEVENT"))
    start = entry.decoded("dtstart")
    assert start.tzinfo is not None and str(start.tzinfo) == "Europe/Paris"
    assert (start.hour, start.minute) == (14, 0)
    assert start.astimezone(UTC) == START
    assert list(calendar.walk("VTIMEZONE"))


async def test_agenda_feed_over_http(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    await create(sb)
    await sb.driver.slash(
        sb.demo.user("dominique"), "evenement creer", type="webinaire", titre="Webinaire", debut="12/04/2027 18h",
        fin="19h", lien="https://visio.exemple.org/abc",
    )  # fmt: skip
    app = make_app(sb.bot.events.store, sb.bot.geo, sb.bot.clock, PARIS)
    async with TestClient(TestServer(app)) as client:
        response = await client.get("/agenda.ics", params={"region": "Auvergne"})
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/calendar")
        body = await response.read()
        titles = [str(e.get("summary")) for e in icalendar.Calendar.from_ical(body).walk("VEVENT")]
        assert titles == ["Portes ouvertes des Hirondelles (Journée portes ouvertes)"]
        assert (await client.get("/agenda.ics", params={"type": "webinaire"})).status == 200
        assert (await client.get("/agenda.ics", params={"region": "Atlantide"})).status == 400
        assert await (await client.get("/healthz")).text() == "ok"


# ---------------------------------------------------------------------- changes and cancellation


async def test_raising_capacity_promotes_and_syncs_discord(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb, capacity=1)
    event_id = await only_event_id(sb)
    await sb.driver.slash(sb.demo.user("alex"), "evenement inscrire", evenement=str(event_id))
    await sb.driver.slash(sb.demo.user("morgane"), "evenement inscrire", evenement=str(event_id))
    changed = await sb.driver.slash(
        sb.demo.user("dominique"), "evenement modifier", evenement=str(event_id), capacite=2, titre="JPO (2 places)"
    )
    assert changed.content == "Événement modifié."
    assert any("Une place s'est libérée" in text for text in await dms(sb, "morgane"))
    [scheduled] = sb.emulator.guilds[sb.demo.guild.id].scheduled_events.values()
    assert scheduled["name"] == "JPO (2 places)"
    refused = await sb.driver.slash(sb.demo.user("sam"), "evenement modifier", evenement=str(event_id), capacite=5)
    assert "Only the event's organiser" in refused.content


async def test_cancelling_tells_registrants_why(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb, capacity=1)
    event_id = await only_event_id(sb)
    await sb.driver.click(sb.demo.user("alex"), await card(sb), "S'inscrire")
    await sb.driver.click(sb.demo.user("morgane"), await card(sb), "S'inscrire")  # waiting
    done = await sb.driver.slash(
        sb.demo.user("dominique"), "evenement annuler", evenement=str(event_id), raison="Tempête annoncée"
    )
    assert "2 membres prévenus" in done.text
    assert any("Tempête annoncée" in text for text in await dms(sb, "alex"))
    assert any("Tempête annoncée" in text for text in await dms(sb, "morgane"))
    cancelled = await card(sb)
    assert "ANNULÉ" in cancelled.text and "Tempête annoncée" in cancelled.text and cancelled.buttons == []
    [scheduled] = sb.emulator.guilds[sb.demo.guild.id].scheduled_events.values()
    assert scheduled["status"] == 4
    assert (
        "This event is cancelled."
        in (await sb.driver.slash(sb.demo.user("sam"), "evenement inscrire", evenement=str(event_id))).text
    )


# ---------------------------------------------------------------------- reminders


def reminders_to(sb: Sandbox, name: str) -> list[dict[str, Any]]:
    return [m for m in sb.emulator.dms_to(sb.demo.user(name)) if "Rappel" in m["content"]]


async def test_reminders_arrive_by_dm_and_the_button_unregisters(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    await create(sb, capacity=5)
    await sb.driver.click(sb.demo.user("alex"), await card(sb), "S'inscrire")
    clock.now = START - timedelta(days=1)
    await sb.bot.scheduler.run_due()
    [_, day] = reminders_to(sb, "alex")  # the 7-day one (late but still ahead) and the 1-day one
    assert "Clermont-Ferrand (63)" in day["embeds"][0]["description"]
    assert "<t:1807358400:F>" in day["embeds"][0]["description"]  # 14:00 in Paris, in each reader's time
    left = await sb.driver.click(sb.demo.user("alex"), Message(sb.emulator, day), "Je ne viens plus")
    assert left.content.startswith("Vous n'êtes plus inscrit·e")
    clock.now = START - timedelta(hours=2)
    await sb.bot.scheduler.run_due()
    assert len(reminders_to(sb, "alex")) == 2
    assert "5 places libres sur 5" in (await card(sb)).text


async def test_my_own_reminder_delays(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    await create(sb)
    await sb.driver.click(sb.demo.user("alex"), await card(sb), "S'inscrire")
    reply = await sb.driver.slash(sb.demo.user("alex"), "evenement mes-rappels", delais="3h")
    assert reply.content == "Vos rappels : 3 h."
    rows = await sb.bot.db.fetchall("SELECT payload FROM outbox WHERE kind = 'event.reminder' AND status = 'pending'")
    assert [r["payload"] for r in rows] == ['{"offset": 180}']
    none = await sb.driver.slash(sb.demo.user("alex"), "evenement mes-rappels", delais="aucun")
    assert none.content == "Vos rappels : aucun rappel."
    assert await sb.bot.db.fetchall("SELECT * FROM outbox WHERE status = 'pending'") == []


async def test_closed_dms_are_noted_and_not_retried(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    await create(sb)
    await sb.driver.click(sb.demo.user("alex"), await card(sb), "S'inscrire")
    sb.demo.user("alex").dms_open = False
    clock.now = START - timedelta(days=7)
    await sb.bot.scheduler.run_due()
    row = await sb.bot.db.fetchone("SELECT dm_closed FROM registrations")
    assert row is not None and row["dm_closed"] == 1
    clock.now = START - timedelta(hours=2)
    assert await sb.bot.scheduler.run_due() == 0
    assert await sb.bot.core.outbox.store.counts("event.reminder") == {"undeliverable": 1, "cancelled": 2}
    assert await dms(sb, "alex") == []


async def test_a_restart_between_two_reminders_sends_each_exactly_once(
    tmp_path: Path, clock: ManualDateClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bot dies right after sending a reminder and before marking it; a new bot on the same
    database and the same Discord sends the next ones, and the interrupted one is not sent twice."""
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await create(first)
            await first.driver.click(world.demo.user("alex"), await card(first), "S'inscrire")
            clock.now = START - timedelta(days=7)
            assert await first.bot.scheduler.run_due() == 1
            clock.now = START - timedelta(days=1)
            dies_after_sending(monkeypatch, first.bot)
            await first.bot.scheduler.run_due()  # the 1-day reminder goes out, the bot "dies"
            monkeypatch.undo()
        async with world.life() as again:
            assert await again.bot.scheduler.run_due() == 0  # not yet due again
            clock.advance(minutes=2)  # its wait is over
            assert await again.bot.scheduler.run_due() == 1  # sent again with the same nonce...
            clock.now = START - timedelta(hours=2)
            assert await again.bot.scheduler.run_due() == 1
        reminders = reminders_to(again, "alex")
        # ...so Discord kept the first message: three reminders, three messages, none twice.
        assert len(reminders) == 3
        assert len({m["nonce"] for m in reminders}) == 3


# ---------------------------------------------------------------------- every kind, whatever happens


@dataclass(frozen=True)
class Case:
    """One kind of message the agenda sends on its own: what comes before it (delivered as usual),
    the change that queues it (with the clock moved to when it is due), and what Discord has of it."""

    kind: str
    before: Callable[[Sandbox], Awaitable[Any]]
    change: Callable[[Sandbox, ManualDateClock], Awaitable[Any]]
    seen: Callable[[Sandbox], list[str]]
    to: str  # a member's name (by DM) or a channel's
    route: str = "/channels/{channel_id}/messages"  # the request that delivers it
    method: str = "POST"

    async def ready(self, sb: Sandbox) -> None:
        """What comes before the message, delivered as usual."""
        await self.before(sb)
        await sb.bot.scheduler.run_due()

    async def tried(self, sb: Sandbox, clock: ManualDateClock) -> None:
        """The change that queues the message, then one delivery round."""
        await self.change(sb, clock)
        await sb.bot.scheduler.run_due()


async def nothing(_: Sandbox) -> None:
    return None


async def event_with(sb: Sandbox, *registered: str, capacity: int | None = None) -> int:
    await create(sb, capacity=capacity)
    event_id = await only_event_id(sb)
    for name in registered:
        await sb.driver.slash(sb.demo.user(name), "evenement inscrire", evenement=str(event_id))
    return event_id


def dm_texts(name: str, holding: str) -> Callable[[Sandbox], list[str]]:
    return lambda sb: [m["content"] for m in sb.emulator.dms_to(sb.demo.user(name)) if holding in m["content"]]


def posts(holding: str) -> Callable[[Sandbox], list[str]]:
    def seen(sb: Sandbox) -> list[str]:
        found = [Message(sb.emulator, m).text for m in sb.emulator.messages_in(sb.demo.channel("annonces"))]
        return [text for text in found if holding in text]

    return seen


async def announced(sb: Sandbox) -> None:
    await sb.driver.slash(
        sb.demo.user("dominique"), "rappel programmer", salon=sb.demo.channel("annonces"), message="Plénière ce soir",
        quand="lundi 9h",
    )  # fmt: skip


async def monday(sb: Sandbox, clock: ManualDateClock) -> None:
    clock.now = datetime(2027, 3, 8, 8, 0, tzinfo=UTC)  # 09:00 in Paris: the announcement is due


async def register_alex(sb: Sandbox, clock: ManualDateClock) -> None:
    await sb.driver.slash(sb.demo.user("alex"), "evenement inscrire", evenement=str(await only_event_id(sb)))
    clock.now = START - timedelta(days=7)


async def alex_leaves(sb: Sandbox, clock: ManualDateClock) -> None:
    await sb.driver.slash(sb.demo.user("alex"), "evenement desinscrire", evenement=str(await only_event_id(sb)))


async def moved(sb: Sandbox, clock: ManualDateClock) -> None:
    await sb.driver.slash(
        sb.demo.user("dominique"), "evenement modifier", evenement=str(await only_event_id(sb)), debut="11/04/2027 14h"
    )


async def called_off(sb: Sandbox, clock: ManualDateClock) -> None:
    await sb.driver.slash(
        sb.demo.user("dominique"),
        "evenement annuler",
        evenement=str(await only_event_id(sb)),
        raison="Tempête annoncée",
    )


async def organised(sb: Sandbox, clock: ManualDateClock) -> None:
    await create(sb, capacity=3)


CASES = [
    Case(POSTED, nothing, organised, posts("Portes ouvertes des Hirondelles"), "annonces"),
    Case(
        CARD,
        lambda sb: event_with(sb, capacity=3),
        register_alex,
        posts("2 places libres sur 3"),
        "annonces",
        route="/channels/{channel_id}/messages/{message_id}",
        method="PATCH",
    ),
    Case(REMINDER, lambda sb: event_with(sb), register_alex, dm_texts("alex", "Rappel"), "alex"),
    Case(
        PROMOTED,
        lambda sb: event_with(sb, "alex", "morgane", capacity=1),
        alex_leaves,
        dm_texts("morgane", "place s'est libérée"),
        "morgane",
    ),
    Case(CHANGED, lambda sb: event_with(sb, "alex"), moved, dm_texts("alex", "a changé"), "alex"),
    Case(CANCELLED, lambda sb: event_with(sb, "alex"), called_off, dm_texts("alex", "Tempête annoncée"), "alex"),
    Case(ANNOUNCEMENT, announced, monday, posts("Plénière ce soir"), "annonces"),
]
KINDS = [case.kind for case in CASES]


@pytest.mark.parametrize("case", CASES, ids=KINDS)
async def test_a_message_queued_by_a_bot_that_dies_is_sent_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock, case: Case
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await case.ready(first)
            await first.bot.scheduler.stop()  # from now on, it dies before sending what it queues
            await case.change(first, clock)
            assert case.seen(first) == []
        async with world.life() as again:
            await again.bot.scheduler.run_due()
            assert len(case.seen(again)) == 1
            due = await due_letters(again.bot.core.outbox.store, clock())
            assert [row for row in due if row.kind == case.kind] == []


@pytest.mark.parametrize("case", CASES, ids=KINDS)
async def test_a_message_sent_by_a_bot_that_dies_before_marking_it_is_not_sent_twice(
    tmp_path: Path, clock: ManualDateClock, monkeypatch: pytest.MonkeyPatch, case: Case
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await case.ready(first)
            dies_after_sending(monkeypatch, first.bot)
            await case.tried(first, clock)
            assert len(case.seen(first)) == 1  # Discord took it; the ledger does not know
            monkeypatch.undo()
        async with world.life() as again:
            clock.advance(minutes=2)
            await again.bot.scheduler.run_due()
            assert len(case.seen(again)) == 1  # sent again with the same nonce: Discord kept the first
            assert (await again.bot.core.outbox.store.counts(case.kind)).get("sent") == 1


@pytest.mark.parametrize("case", CASES, ids=KINDS)
async def test_a_server_error_is_retried_later_and_delivers_once(
    furnished: Sandbox, clock: ManualDateClock, case: Case
) -> None:
    """503 is what discord.py does not retry by itself: the ledger does, after a wait."""
    sb = furnished
    await case.ready(sb)
    sb.emulator.fail_next(case.method, case.route, status=503)
    await case.tried(sb, clock)
    assert case.seen(sb) == []
    due = await due_letters(sb.bot.core.outbox.store, clock() + FIRST_RETRY)
    [letter] = [row for row in due if row.kind == case.kind]
    assert letter.attempts == 1
    clock.advance(seconds=FIRST_RETRY.total_seconds())
    await sb.bot.scheduler.run_due()
    assert len(case.seen(sb)) == 1


async def test_a_500_is_retried_by_discord_py_within_the_send(furnished: Sandbox) -> None:
    sb = furnished
    sb.emulator.fail_next("POST", "/channels/{channel_id}/messages", status=500)
    await create(sb)
    posted = await card(sb)
    assert "Portes ouvertes des Hirondelles" in posted.text
    assert len(sb.emulator.messages_in(sb.demo.channel("annonces"))) == 1
    assert await sb.bot.core.outbox.store.counts(POSTED) == {"sent": 1}


@pytest.mark.parametrize("case", CASES, ids=KINDS)
async def test_a_closed_dm_or_a_deleted_channel_is_undeliverable_with_its_reason(
    furnished: Sandbox, clock: ManualDateClock, case: Case
) -> None:
    sb = furnished
    await case.ready(sb)
    if case.to in sb.demo.users:
        sb.demo.user(case.to).dms_open = False
        reason = "messages privés fermés"
    else:
        await sb.emulator.delete_channel(sb.demo.channel(case.to))
        reason = "salon ou message supprimé"
    await case.tried(sb, clock)
    rows = await sb.bot.db.fetchall(
        "SELECT status, reason FROM outbox WHERE kind = ? AND status != 'cancelled'", (case.kind,)
    )
    assert [(row["status"], reason in row["reason"]) for row in rows] == [(Status.undeliverable, True)]
    clock.advance(hours=1)
    due = await due_letters(sb.bot.core.outbox.store, clock())
    assert [row for row in due if row.kind == case.kind] == []  # not again
    assert case.seen(sb) == []


async def test_a_card_deleted_by_a_moderator_is_not_rewritten_at_each_registration(furnished: Sandbox) -> None:
    sb = furnished
    await create(sb, capacity=10)
    event_id = await only_event_id(sb)
    posted = await card(sb)
    sb.emulator.messages.pop(posted.id)  # a moderator deleted the card
    for name in ("alex", "sam", "morgane"):
        await sb.driver.slash(sb.demo.user(name), "evenement inscrire", evenement=str(event_id))
        await sb.bot.scheduler.run_due()
    assert await sb.bot.core.outbox.store.counts(CARD) == {"undeliverable": 1}
    assert (await sb.bot.events.store.must_get(event_id)).announce_message_id is None


# ---------------------------------------------------------------------- Discord scheduled events


async def test_an_event_left_without_its_discord_event_gets_one_when_the_bot_starts_again(
    tmp_path: Path, clock: ManualDateClock
) -> None:
    async with lives(tmp_path, clock) as world:
        scheduled = world.emulator.guilds[world.demo.guild.id].scheduled_events
        async with world.first_life(delivers=True) as first:
            await create(first)
            # The bot died after Discord made its scheduled event, before recording it...
            await first.bot.db.execute("UPDATE events SET discord_event_id = NULL")
            world.emulator.fail_next("POST", "/guilds/{guild_id}/scheduled-events", status=503)
            await create(first, titre="Plénière de printemps")
            # ...the next try finds it in Discord's list instead of making it twice; the new one failed.
            assert [s["name"] for s in scheduled.values()] == ["Portes ouvertes des Hirondelles"]
        async with world.life() as again:
            # Each life loads the extension afresh: its cog is reached by name, its helper by type.
            keeper = vars(again.bot.get_cog("Events"))["scheduled"]
            guild = again.bot.get_guild(world.demo.guild.id)
            assert isinstance(keeper, ScheduledEvents) and guild is not None
            await keeper.ensure(guild)  # waits for the pass the start made
            rows = await again.bot.db.fetchall("SELECT discord_event_id FROM events")
        names = sorted(s["name"] for s in scheduled.values())
        assert names == ["Plénière de printemps", "Portes ouvertes des Hirondelles"]
        assert sorted(row["discord_event_id"] for row in rows) == sorted(scheduled)


# ---------------------------------------------------------------------- scheduled announcements


async def test_a_weekly_announcement_pings_only_its_role(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    organisers = sb.demo.roles["organisateurs"]  # mentionable
    reply = await sb.driver.slash(
        sb.demo.user("dominique"), "rappel programmer", salon=sb.demo.channel("annonces"),
        message="Plénière ce soir ! @everyone est bienvenu", quand="lundi 9h", repetition="weekly",
        jours="lundi jeudi", role=organisers,
    )  # fmt: skip
    # It is Monday 1 March, 10:00 in Paris: "lundi 9h" is next Monday.
    assert "programmée dans" in reply.content and "lundi 8 mars 2027 à 9h00" in reply.content
    clock.now = datetime(2027, 3, 8, 8, 0, tzinfo=UTC)  # Monday 09:00 in Paris
    assert await sb.bot.scheduler.run_due() == 1
    [posted] = sb.emulator.messages_in(sb.demo.channel("annonces"))
    assert posted["content"].startswith(f"<@&{organisers.id}> Plénière ce soir")
    assert [int(role) for role in posted["allowed_mentions"]["roles"]] == [organisers.id]
    assert "everyone" not in posted["allowed_mentions"]["parse"]
    clock.now = datetime(2027, 3, 11, 8, 0, tzinfo=UTC)  # Thursday
    assert await sb.bot.scheduler.run_due() == 1
    listing = await sb.driver.slash(sb.demo.user("dominique"), "rappel liste")
    assert "lundi 15 mars 2027 à 9h00" in listing.text
    [announcement_id] = [r["id"] for r in await sb.bot.db.fetchall("SELECT id FROM announcements")]
    choices = await sb.driver.autocomplete(sb.demo.user("dominique"), "rappel annuler", "annonce", "plénière")
    assert [c["value"] for c in choices] == [str(announcement_id)]
    stopped = await sb.driver.slash(sb.demo.user("dominique"), "rappel annuler", annonce=str(announcement_id))
    assert stopped.content == f"Annonce n° {announcement_id} arrêtée."
    clock.now = datetime(2027, 3, 15, 8, 0, tzinfo=UTC)
    assert await sb.bot.scheduler.run_due() == 0


async def test_announcements_refuse_a_role_the_organiser_may_not_ping(furnished: Sandbox) -> None:
    sb = furnished
    reply = await sb.driver.slash(
        sb.demo.user("dominique"), "rappel programmer", salon=sb.demo.channel("annonces"), message="Bonjour",
        quand="lundi 9h", role=sb.demo.roles["moderateurs"],
    )  # fmt: skip
    assert reply.content == "Vous ne pouvez pas mentionner le rôle Modérateurs."
    assert await sb.bot.db.fetchall("SELECT * FROM announcements") == []


async def test_announcement_days_are_read_or_refused_and_a_refusal_schedules_nothing(furnished: Sandbox) -> None:
    sb = furnished
    options: dict[str, Any] = {"salon": sb.demo.channel("annonces"), "message": "Bonjour", "quand": "lundi 9h"}
    typo = await sb.driver.slash(
        sb.demo.user("dominique"), "rappel programmer", repetition="weekly", jours="lundi jeudj", **options
    )
    assert typo.content == "Je ne reconnais pas le jour « jeudj » : écrivez par exemple « lundi jeudi »."
    daily = await sb.driver.slash(
        sb.demo.user("dominique"), "rappel programmer", repetition="daily", jours="lundi", **options
    )
    assert daily.content == "Les jours ne servent qu'à une annonce répétée chaque semaine."
    assert await sb.bot.db.fetchall("SELECT * FROM announcements") == []
    # It is Monday 1 March in Paris: from Wednesday 3 on, the first of Monday and Thursday is Thursday 4.
    options["quand"] = "mercredi 9h"
    ok = await sb.driver.slash(
        sb.demo.user("dominique"), "rappel programmer", repetition="weekly", jours="Lun., JEUDI", **options
    )
    assert "première diffusion jeudi 4 mars 2027 à 9h00" in ok.content


async def test_members_cannot_schedule_announcements(furnished: Sandbox) -> None:
    reply = await furnished.driver.slash(
        furnished.demo.user("alex"), "rappel programmer", salon=furnished.demo.channel("annonces"),
        message="Spam", quand="lundi 9h",
    )  # fmt: skip
    assert reply.content == "Réservé aux organisateurs du serveur."


async def test_quiet_hours_are_a_server_setting(furnished: Sandbox) -> None:
    sb = furnished
    reply = await sb.driver.slash(sb.demo.user("camille"), "config heures-calmes", debut=23, fin=7)
    assert "23 h → 7 h" in reply.text
    settings = await sb.bot.guild_settings.get(sb.demo.guild.id)
    assert (settings.quiet_start, settings.quiet_end) == (23, 7)


async def two_events_listed(sb: Sandbox) -> tuple[User, Message]:
    """Two open days, one near Clermont-Ferrand, one in Lyon, as Alex's /evenement liste shows them."""
    await create(sb)
    await create(sb, titre="JPO lyonnaise", commune="insee:69123")
    alex = sb.demo.user("alex")
    listing = await sb.driver.slash(alex, "evenement liste")
    assert listing.message is not None
    return alex, listing.message


async def test_the_events_map_numbers_the_listed_events_by_kind(furnished: Sandbox) -> None:
    sb = furnished
    alex, listing = await two_events_listed(sb)
    shown = await sb.driver.click(alex, listing, "Voir sur la carte")
    assert shown.deferred and shown.messages[-1].ephemeral
    assert shown.messages[-1].content == "2 événements sur la carte."
    [attachment] = shown.messages[-1].attachments
    assert attachment.filename == "carte.png"
    assert Image.open(io.BytesIO(attachment.data)).size == (800, 800)


async def test_the_events_map_is_framed_on_the_listed_departement(
    furnished: Sandbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    sb = furnished
    requests: list[MapRequest] = []

    def recorded(request: MapRequest) -> DrawnMap:
        requests.append(request)
        return draw_map(request)

    monkeypatch.setattr("bot.pictures.maps.draw_map", recorded)
    await create(sb)
    await create(sb, titre="JPO lyonnaise", commune="insee:69123")
    alex = sb.demo.user("alex")
    listing = await sb.driver.slash(alex, "evenement liste", departement="63")
    assert listing.message is not None
    shown = await sb.driver.click(alex, listing.message, "Voir sur la carte")
    assert shown.messages[-1].content == "1 événement sur la carte."
    [request] = requests
    assert request.departements == ("63",) and [m.departement for m in request.markers] == ["63"]
