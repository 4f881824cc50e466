"""The garbage collector waits while a member waits for an answer, and runs once they have it."""

from __future__ import annotations

import asyncio
import gc

from bot.collector import ANSWER_SECONDS, SAFETY
from bot.sandbox.harness import Sandbox
from tests.support import ManualClock


def young_objects(collector_threshold: int) -> list[list[int]]:
    """More new objects than the collector lets pass before it collects the youngest generation."""
    return [[n] for n in range(collector_threshold * 2)]


async def reaches_the_bot(box: Sandbox) -> None:
    for _ in range(1000):
        await asyncio.sleep(0)  # the emulator's event, read by the bot
        if not box.bot.collector.idle():
            return
    raise AssertionError("the interaction never reached the bot")


async def test_a_collection_due_waits_for_the_member_s_answer(sb: Sandbox) -> None:
    collector = sb.bot.collector
    young, _, _ = collector.thresholds
    assert gc.get_threshold()[0] == young * SAFETY  # CPython's own trigger is only a safety net now
    waiting = asyncio.create_task(sb.driver.slash(sb.demo.user("alex"), "attente"))
    await reaches_the_bot(sb)
    kept = young_objects(young)
    assert collector.due() == 0
    assert collector.collect() is None  # the member is still waiting
    assert gc.get_count()[0] >= len(kept)
    sb.bot.get_cog("Probe").gate.set()  # type: ignore[union-attr]
    assert (await waiting).content == "enfin"
    assert collector.idle()
    collector.collect()  # unless the bot's own watch already did
    assert gc.get_count()[0] < len(kept)


async def test_an_interaction_never_answered_stops_holding_the_collector_after_discord_s_deadline(
    sb: Sandbox,
) -> None:
    collector = sb.bot.collector
    clock = ManualClock()
    collector.clock = clock
    waiting = asyncio.create_task(sb.driver.slash(sb.demo.user("alex"), "attente"))
    await reaches_the_bot(sb)
    clock.advance(ANSWER_SECONDS - 0.1)
    assert not collector.idle()
    clock.advance(0.2)
    assert collector.idle()
    sb.bot.get_cog("Probe").gate.set()  # type: ignore[union-attr]
    await waiting


async def test_the_bot_stopped_gives_cpython_its_own_trigger_back(sb: Sandbox) -> None:
    collector = sb.bot.collector
    await collector.stop()
    assert gc.get_threshold() == collector.thresholds
    collector.start()
    assert gc.get_threshold()[0] == collector.thresholds[0] * SAFETY
