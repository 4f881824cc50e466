"""Issue 10: members are answered while a round of reminders is being sent under Discord's global limit.

2,000 members registered to a plenary; its reminders fall due and the bot's own worker starts sending them, the
emulator refusing anything beyond 50 requests a second. Meanwhile a member registers, another leaves a full event
(the first on its waiting list moves up), and an organiser creates an event: each gets its first answer within
Discord's 3 s, while the round is still under way, and each change is in the database with the messages it causes.
The round, paced, is never refused.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.events.models import EventDraft
from bot.events.reminders import REMINDER, about
from bot.events.service import PROMOTED
from bot.outbox import BATCH
from bot.sandbox.demo import build_demo
from bot.sandbox.driver import Message, Reply
from bot.sandbox.emulator import FIRST_ANSWER_SECONDS, Emulator
from bot.sandbox.harness import Sandbox, attach, furnish, running_bot
from bot.sandbox.state import User
from bot.vocabulary import EventKind
from tests.support import ManualDateClock

CROWD = 2000
GLOBAL_LIMIT = 50  # requests a second: Discord's global limit for a bot
OFFSET_MINUTES = 60  # one reminder an hour before: one row per registration
PLENARY = datetime(2027, 3, 1, 11, 0, tzinfo=UTC)  # noon in Paris: no quiet hours in play


async def new_event(box: Sandbox, title: str, starts_at: datetime, capacity: int | None = None) -> int:
    ends_at = starts_at + timedelta(hours=3)
    draft = EventDraft(
        guild_id=box.demo.guild.id,
        kind=EventKind.pleniere,
        title=title,
        starts_at=starts_at,
        ends_at=ends_at,
        code_insee="63113",
        capacity=capacity,
        organiser_id=box.demo.user("dominique").id,
    )
    [event] = await box.bot.events.create(draft)
    return event.id


async def register_crowd(box: Sandbox, event_id: int, people: list[User]) -> None:
    """The first member through the service; the others by copying the rows it wrote (the registration, its
    reminder), changing only who and which registration. 2,000 registrations through the service take about
    ten seconds, the copies a few milliseconds; the round then renders and sends every copied reminder."""
    outcome = await box.bot.events.register(event_id, seats=1, user_id=people[0].id)
    model = outcome.registration.id
    async with box.bot.db.transaction():
        await box.bot.db.execute_many(
            "INSERT INTO registrations (event_id, session_id, user_id, guest_name, seats, status, remind, locale,"
            " registered_by, dm_closed, created_at) SELECT event_id, session_id, ?, guest_name, seats, status, remind,"
            " locale, registered_by, dm_closed, created_at FROM registrations WHERE id = ?",
            [(user.id, model) for user in people[1:]],
        )
        await box.bot.db.execute(
            "INSERT INTO outbox (kind, target, recipient_id, guild_id, locale, subject, payload, mention_role_id,"
            " due_at, status, attempts, created_at) SELECT o.kind, o.target, r.user_id, o.guild_id, o.locale,"
            " 'registration:' || r.id, o.payload, o.mention_role_id, o.due_at, o.status, o.attempts, o.created_at"
            " FROM registrations r JOIN outbox o ON o.subject = ? WHERE r.event_id = ? AND r.id != ?",
            (about(model), event_id, model),
        )


def assert_answered_during_the_round(box: Sandbox, reply: Reply, crowd: set[int]) -> None:
    record = reply.interaction
    assert not reply.late, "answered after Discord's 3 s: the member saw « the application did not respond »"
    assert record.answered_at is not None
    assert record.answered_at - record.created < FIRST_ANSWER_SECONDS
    assert BATCH < box.emulator.dms_accepted(crowd, record.answered_at) < CROWD


async def test_members_are_answered_while_a_round_of_reminders_is_sent(tmp_path: Path) -> None:
    clock = ManualDateClock(PLENARY - timedelta(hours=2))
    # The real clock for the emulator: the 3 s deadline and the global limit are measured, not simulated.
    async with Emulator() as emulator:
        demo = build_demo(emulator)
        people = [emulator.add_user(f"membre{i:04d}") for i in range(CROWD)]
        for user in people:
            emulator.add_member(demo.guild, user)  # known from the member chunks at start, as on Discord
        crowd = {user.id for user in people}
        settings = Settings(_env_file=None, database_path=tmp_path / "bot.sqlite3", dev_guild_id=demo.guild.id)
        async with running_bot(emulator, settings, clock=clock) as bot:
            box = attach(emulator, bot, demo)
            await furnish(box)
            await bot.guild_settings.set_reminder_offsets(demo.guild.id, (OFFSET_MINUTES,))
            alex, sam, morgane, dominique = (demo.user(name) for name in ("alex", "sam", "morgane", "dominique"))

            open_day = await box.driver.slash(
                dominique, "evenement creer", type="jpo", titre="Portes ouvertes des Hirondelles",
                debut="06/03/2027 14h", fin="17h", commune="insee:63113",
            )  # fmt: skip
            assert open_day.messages[-1].content.startswith("Événement créé")
            await bot.scheduler.run_due()  # the card, posted by the ledger
            card = Message(emulator, emulator.messages_in(demo.channel("annonces"))[-1])
            visit = await new_event(box, "Visite du chantier", PLENARY + timedelta(days=2), capacity=1)
            seated = await bot.events.register(visit, seats=1, user_id=alex.id)
            alex_registration = seated.registration.id
            waiting = await bot.events.register(visit, seats=1, user_id=sam.id)
            assert waiting.registration.waiting
            await register_crowd(box, await new_event(box, "Plénière nationale", PLENARY), people)
            assert await bot.core.outbox.store.counts(REMINDER) == {"pending": CROWD + 1}  # and Alex's visit

            emulator.global_rate_limit = GLOBAL_LIMIT
            clock.now = PLENARY - timedelta(minutes=OFFSET_MINUTES) + timedelta(seconds=30)
            bot.scheduler.notify()  # the bot's own worker takes the round, as when APScheduler wakes it
            # Past the first batch: well into the round.
            await box.driver.until(lambda: box.emulator.dms_accepted(crowd) > BATCH)

            joined = await box.driver.click(morgane, card, "S'inscrire")
            assert_answered_during_the_round(box, joined, crowd)
            assert joined.content.startswith("Inscription confirmée")
            open_day_id = int(card.button("S'inscrire")["custom_id"].rsplit(":", 1)[1])
            registration = await bot.events.store.registration_of(open_day_id, morgane.id, None)
            assert registration is not None and not registration.waiting
            planned = await bot.core.outbox.store.pending(about(registration.id))
            assert [letter.kind for letter in planned] == [REMINDER]

            left = await box.driver.slash(alex, "evenement desinscrire", evenement=str(visit))
            assert_answered_during_the_round(box, left, crowd)
            assert left.content == "Vous n'êtes plus inscrit·e à « Visite du chantier »."
            assert [(r.user_id, r.status) for r in await bot.events.store.participants(visit)] == [(sam.id, "inscrit")]
            assert await bot.core.outbox.store.pending(about(alex_registration)) == []
            letters = await bot.core.outbox.store.of_subject(about(waiting.registration.id))
            by_kind = {letter.kind: letter.status for letter in letters}
            assert len(letters) == 2 and by_kind[REMINDER] == "pending"  # Sam's reminder, planned on moving up
            assert by_kind[PROMOTED] in ("pending", "sent")

            created = await box.driver.slash(
                dominique, "evenement creer", type="atelier", titre="Atelier foncier solidaire",
                debut="13/03/2027 10h", fin="12h", commune="insee:63113",
            )  # fmt: skip
            assert_answered_during_the_round(box, created, crowd)
            assert created.messages[-1].content.startswith("Événement créé : « Atelier foncier solidaire »")
            assert await bot.db.fetchone("SELECT id FROM events WHERE title = 'Atelier foncier solidaire'")

            sent = (await bot.core.outbox.store.counts(REMINDER)).get("sent", 0)
            assert 0 < sent < CROWD, "the round was over before the members were answered"
            # The round keeps under the limit on its own: Discord refused nothing (each refusal counts toward its
            # ban on invalid requests).
            assert [r.path for r in emulator.requests if r.status == 429] == []
        assert emulator.problems == [], "\n".join(emulator.problems)
