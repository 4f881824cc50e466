"""A bot that dies and a bot that starts again, on one database and one Discord: the crash tests of
the ledger (rule 4). Every kind of message the bot sends on its own has one: the change is made by
a bot that dies before sending (or after sending, before marking), and the next bot delivers it
exactly once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.client import HabitatBot
from bot.config import Settings
from bot.sandbox.demo import DemoServer, build_demo
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import Sandbox, attach, furnish, running_bot
from tests.support import ManualDateClock


@dataclass
class Lives:
    emulator: Emulator
    demo: DemoServer
    settings: Settings
    clock: ManualDateClock

    @asynccontextmanager
    async def life(self, *, delivers: bool = True) -> AsyncIterator[Sandbox]:
        """One run of the bot. With `delivers=False` it dies before sending anything it queued: its
        scheduler is stopped from the start, so changes are written and nothing is delivered."""
        async with running_bot(self.emulator, self.settings, clock=self.clock) as bot:
            if not delivers:
                await bot.scheduler.stop()
            yield attach(self.emulator, bot, self.demo)

    @asynccontextmanager
    async def first_life(self, *, delivers: bool = False) -> AsyncIterator[Sandbox]:
        """The first run furnishes the demo server (channels, roles, projects) once."""
        async with self.life(delivers=delivers) as box:
            await furnish(box)
            yield box


@asynccontextmanager
async def lives(tmp_path: Path, clock: ManualDateClock) -> AsyncIterator[Lives]:
    async with Emulator() as emulator:
        demo = build_demo(emulator)
        settings = Settings(_env_file=None, database_path=tmp_path / "bot.sqlite3", dev_guild_id=demo.guild.id)
        yield Lives(emulator, demo, settings, clock)
        assert emulator.problems == [], "\n".join(emulator.problems)


def dies_after_sending(monkeypatch: pytest.MonkeyPatch, bot: HabitatBot) -> None:
    """The bot dies right after Discord took a message and before the ledger marks it sent."""

    async def killed(*_: object, **__: object) -> None:
        raise RuntimeError("killed after sending, before marking")

    monkeypatch.setattr(bot.core.outbox.store, "finish", killed)
