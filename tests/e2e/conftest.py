"""End-to-end fixtures: the real bot, connected to the emulator, with the demo server."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.config import Settings
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import Sandbox, furnish, invite, sandbox
from tests.e2e.servers import Network, build_server, configure
from tests.pg import Cluster
from tests.support import ManualClock, ManualDateClock


@pytest.fixture
def emulator_clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
def clock() -> ManualDateClock:
    """The bot's clock: time moves only when a test says so."""
    return ManualDateClock()


async def engine_settings(engine: str, request: pytest.FixtureRequest) -> Settings | None:
    """The bot's settings for a fresh PostgreSQL database, or None for the sandbox's SQLite file."""
    if engine != "postgresql":
        return None
    cluster: Cluster | None = request.getfixturevalue("postgres_cluster")
    if cluster is None:
        pytest.skip("PostgreSQL indisponible")
    return Settings(_env_file=None, database_url=await cluster.fresh())


@pytest.fixture
async def sb(
    tmp_path: Path, emulator_clock: ManualClock, clock: ManualDateClock, engine: str, request: pytest.FixtureRequest
) -> AsyncIterator[Sandbox]:
    """Fails the test if the bot sent anything Discord would refuse or the emulator does not know."""
    emulator = Emulator(clock=emulator_clock)
    settings = await engine_settings(engine, request)
    async with sandbox(
        tmp_path / "bot.sqlite3", emulator=emulator, clock=clock, with_probe=True, settings=settings
    ) as box:
        yield box
        assert box.emulator.problems == [], "\n".join(box.emulator.problems)


@pytest.fixture
async def furnished(sb: Sandbox) -> Sandbox:
    """The demo server configured (channels, roles) with the 60 demo projects."""
    await furnish(sb)
    return sb


@pytest.fixture
async def network(
    tmp_path: Path, emulator_clock: ManualClock, clock: ManualDateClock, engine: str, request: pytest.FixtureRequest
) -> AsyncIterator[Network]:
    """Three servers: the furnished demo server (A, national) and B and C, which invite the bot once it
    runs. Commands are global, as on Discord without a development server."""
    emulator = Emulator(clock=emulator_clock)
    settings = await engine_settings(engine, request)
    async with sandbox(
        tmp_path / "bot.sqlite3", emulator=emulator, clock=clock, dev_guild=False, settings=settings
    ) as box:
        await furnish(box)
        servers = []
        for name, tag in (("Habitat participatif AURA", "aura"), ("Habitat participatif Bretagne", "bzh")):
            server = build_server(emulator, name, tag)
            await invite(box, server.guild)
            await configure(box.bot, server)
            servers.append(server)
        yield Network(box, box.demo, *servers)
        assert emulator.problems == [], "\n".join(emulator.problems)
