"""Run the real HabitatBot against the emulator, in this event loop: for tests, the sandbox and benchmarks."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

from bot.client import HabitatBot, cog_extensions
from bot.clock import Clock, utc_now
from bot.config import Settings
from bot.projects.csvfile import parse_csv
from bot.resources.facilitators import csvfile as facilitators_csv
from bot.sandbox.demo import DemoServer, build_demo
from bot.sandbox.driver import Driver
from bot.sandbox.emulator import Emulator
from bot.sandbox.state import Guild

READY_GUARD_SECONDS = 30.0
# discord.py waits this long after the last GUILD_CREATE before it is ready (2 s by default);
# the emulator sends them all at once, so waiting longer only slows every test down.
GUILD_READY_TIMEOUT = 0.05
PROBE_EXTENSION = "bot.sandbox.probe"


@dataclass
class Sandbox:
    emulator: Emulator
    driver: Driver
    bot: HabitatBot
    demo: DemoServer


@asynccontextmanager
async def running_bot(
    emulator: Emulator,
    settings: Settings,
    *,
    clock: Clock = utc_now,
    extensions: Sequence[str] | None = None,
) -> AsyncIterator[HabitatBot]:
    """Start the bot on the emulator, wait until it is ready, stop it cleanly afterwards."""
    bot = HabitatBot(settings, clock=clock, extensions=extensions, guild_ready_timeout=GUILD_READY_TIMEOUT)
    runner = asyncio.create_task(bot.start(emulator.token), name="sandbox-bot")
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait({runner, ready}, timeout=READY_GUARD_SECONDS, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        await bot.close()
        if runner.done() and runner.exception():
            raise runner.exception()  # type: ignore[misc]
        raise TimeoutError("the bot did not become ready on the emulator")
    try:
        yield bot
    finally:
        await bot.close()
        await asyncio.wait({runner}, timeout=READY_GUARD_SECONDS)


@asynccontextmanager
async def sandbox(
    database: Path,
    *,
    clock: Clock = utc_now,
    emulator: Emulator | None = None,
    with_probe: bool = False,
    dev_guild: bool = True,
    settings: Settings | None = None,
) -> AsyncIterator[Sandbox]:
    """An emulator with the demo server, the bot connected to it, and a driver to act as members."""
    emulator = emulator or Emulator()
    async with emulator:
        demo = build_demo(emulator)
        base = settings or Settings(_env_file=None)
        settings = base.model_copy(
            update={"database_path": database, "dev_guild_id": demo.guild.id if dev_guild else None}
        )
        extensions = [*cog_extensions(), *([PROBE_EXTENSION] if with_probe else [])]
        async with running_bot(emulator, settings, clock=clock, extensions=extensions) as bot:
            yield attach(emulator, bot, demo)


def attach(emulator: Emulator, bot: HabitatBot, demo: DemoServer) -> Sandbox:
    """A driver that knows when this bot has caught up with what the emulator sent it."""
    driver = Driver(emulator)
    driver.bot_sequence = lambda shard_id: shard_sequence(bot, shard_id)
    return Sandbox(emulator, driver, bot, demo)


def shard_sequence(bot: HabitatBot, shard_id: int) -> int | None:
    """The last event sequence a shard of the bot has read (discord.py keeps it on the shard's socket)."""
    shard = bot.get_shard(shard_id)
    return shard._parent.ws.sequence if shard is not None else None


async def invite(box: Sandbox, guild: Guild) -> None:
    """An administrator invites the bot to another server: it joins, and Discord sends it GUILD_CREATE.
    Commands are global unless the bot was started for one development server."""
    if box.emulator.bot_user.id not in guild.members:
        box.emulator.add_bot(guild)
    await box.driver.dispatch("GUILD_CREATE", guild.to_json(box.emulator.bot_user.id))


DEMO_PROJECTS = Path(__file__).resolve().parents[2] / "data" / "demo" / "projects.csv"
DEMO_RESOURCES = DEMO_PROJECTS.with_name("resources.csv")
DEMO_FACILITATORS = DEMO_PROJECTS.with_name("facilitators.csv")


async def furnish(box: Sandbox) -> None:
    """What a newcomer's first try needs: the demo projects, resources and facilitators, and a configured server."""
    demo = box.demo
    await box.bot.projects.import_drafts(parse_csv(DEMO_PROJECTS.read_text(encoding="utf-8"), box.bot.geo))
    facilitators = facilitators_csv.parse_csv(DEMO_FACILITATORS.read_text(encoding="utf-8"), box.bot.geo)
    await box.bot.core.facilitators.store.import_drafts(facilitators)
    await box.bot.guild_settings.update(
        demo.guild.id,
        announce_channel_id=demo.channel("annonces").id,
        ads_forum_id=demo.channel("petites-annonces").id,
        modqueue_channel_id=demo.channel("moderation").id,
        organiser_role_id=demo.roles["organisateurs"].id,
        moderator_role_id=demo.roles["moderateurs"].id,
        welcome_channel_id=demo.channel("accueil").id,
        matching_channel_id=demo.channel("mise-en-lien").id,
        resources_forum_id=demo.channel("ressources").id,
    )
    await box.bot.core.resources.import_csv(DEMO_RESOURCES.read_text(encoding="utf-8"))
