"""An interested member gets no reminder unless they ask: « Me le rappeler » under the answer to
« Intéressé·e » plans them at the member's delays; the DM offers « S'inscrire »; a withdrawn interest or a
registration since sends nothing; a bot killed between the ask and the send delivers each once after."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from bot.events.reminders import INTEREST_REMINDER
from bot.guild_settings import DEFAULT_REMINDER_OFFSETS
from bot.sandbox.harness import Sandbox
from tests.e2e.lives import lives
from tests.e2e.test_event_places import dms_holding
from tests.e2e.test_events import START, card, create, only_event_id
from tests.support import ManualDateClock

REMINDED = "qui vous intéresse, approche"


async def asks_for_reminders(sb: Sandbox, name: str) -> None:
    noted = await sb.driver.click(sb.demo.user(name), await card(sb), "Intéressé·e")
    assert noted.message is not None and "pas de rappel" in noted.content
    asked = await sb.driver.click(sb.demo.user(name), noted.message, "Me le rappeler")
    assert asked.ephemeral and asked.content.startswith(
        "Vous recevrez un rappel en message privé avant « Portes ouvertes des Hirondelles »"
    )


async def when_all_are_due(sb: Sandbox, clock: ManualDateClock) -> None:
    clock.now = START - timedelta(minutes=min(DEFAULT_REMINDER_OFFSETS) - 1)
    await sb.bot.scheduler.run_due()


async def test_an_interested_member_is_reminded_only_when_asked(furnished: Sandbox, clock: ManualDateClock) -> None:
    sb = furnished
    await create(sb)
    await asks_for_reminders(sb, "alex")
    await sb.driver.click(sb.demo.user("camille"), await card(sb), "Intéressé·e")  # interested, asked nothing
    rows = await sb.bot.db.fetchall("SELECT recipient_id FROM outbox WHERE kind = ?", (INTEREST_REMINDER,))
    assert {row["recipient_id"] for row in rows} == {sb.demo.user("alex").id}
    await when_all_are_due(sb, clock)
    reminded = dms_holding(sb, "alex", REMINDED)
    assert len(reminded) == len(DEFAULT_REMINDER_OFFSETS)
    assert [b["label"] for b in reminded[0].buttons] == ["S'inscrire"]
    assert f"<t:{int(START.timestamp())}:F>" in reminded[0].text
    assert dms_holding(sb, "camille", "Rappel") == []


async def test_a_withdrawn_interest_or_a_registration_since_sends_no_reminder(
    furnished: Sandbox, clock: ManualDateClock
) -> None:
    sb = furnished
    await create(sb)
    event_id = await only_event_id(sb)
    await asks_for_reminders(sb, "alex")
    await asks_for_reminders(sb, "camille")
    await sb.driver.click(sb.demo.user("alex"), await card(sb), "Intéressé·e")  # withdrawn
    await sb.driver.slash(sb.demo.user("camille"), "evenement inscrire", evenement=str(event_id))
    await when_all_are_due(sb, clock)
    assert dms_holding(sb, "alex", "Rappel") == []
    assert dms_holding(sb, "camille", REMINDED) == []  # a registrant's reminders only
    assert (await sb.bot.core.outbox.store.counts(INTEREST_REMINDER)).get("sent") is None


async def test_reminders_asked_of_a_bot_that_dies_are_each_sent_once_by_the_next(
    tmp_path: Path, clock: ManualDateClock
) -> None:
    async with lives(tmp_path, clock) as world:
        async with world.first_life(delivers=True) as first:
            await create(first)
            await first.bot.scheduler.stop()  # it dies between the ask and the sends
            await asks_for_reminders(first, "alex")
        async with world.life() as again:
            await when_all_are_due(again, clock)
            await again.bot.scheduler.run_due()
            assert len(dms_holding(again, "alex", REMINDED)) == len(DEFAULT_REMINDER_OFFSETS)
            sent = await again.bot.core.outbox.store.counts(INTEREST_REMINDER)
            assert sent == {"sent": len(DEFAULT_REMINDER_OFFSETS)}
