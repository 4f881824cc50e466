"""One bot process of several, for the tests that run the bot as separate processes on one database.

    python -m tests.e2e.worker --port PORT --now ISO --at SECONDS --offset-file FILE

The real HabitatBot, configured by the environment as in production (DATABASE_PATH or DATABASE_URL,
SHARD_COUNT, SHARD_IDS, DISCORD_TOKEN), connects to the emulator listening on PORT. Its clock read --now
at the wall-clock second --at (the same for every process, so that their claims compare) and runs with real
time; SIGUSR1 moves it on by the seconds written in --offset-file and wakes the
scheduler, so that a test can let a lease expire without waiting for it. Prints « prêt » once ready.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import time
from datetime import datetime, timedelta
from pathlib import Path

import discord
import yarl

from bot.client import HabitatBot
from bot.config import Settings
from bot.sandbox.harness import GUILD_READY_TIMEOUT


class MovedClock:
    """Read `start` at the wall-clock second `origin`, runs with real time, and jumps when told."""

    def __init__(self, start: datetime, origin: float) -> None:
        self.start = start
        self.origin = origin
        self.offset = timedelta()

    def __call__(self) -> datetime:
        return self.start + timedelta(seconds=time.time() - self.origin) + self.offset


async def run(port: int, clock: MovedClock, offset_file: Path) -> None:
    discord.http.Route.BASE = f"http://127.0.0.1:{port}/api/v10"
    discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(f"ws://127.0.0.1:{port}/gateway")
    settings = Settings(_env_file=None)
    assert settings.discord_token is not None, "DISCORD_TOKEN"
    bot = HabitatBot(settings, clock=clock, guild_ready_timeout=GUILD_READY_TIMEOUT)
    # The emulator sets no rate limit here and the pace has its own tests; a round of 1,000 still lasts a couple of
    # seconds, so that a test can kill a process in the middle of it.
    bot.core.outbox.pace.per_second = 250

    def moved() -> None:
        clock.offset = timedelta(seconds=float(offset_file.read_text(encoding="utf-8")))
        bot.scheduler.notify()

    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGUSR1, moved)
    closing: set[asyncio.Task[None]] = set()
    loop.add_signal_handler(signal.SIGTERM, lambda: closing.add(loop.create_task(bot.close())))
    async with bot:
        runner = asyncio.create_task(bot.start(settings.discord_token.get_secret_value()))
        await bot.wait_until_ready()
        print("prêt", flush=True)
        await runner


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--now", type=datetime.fromisoformat, required=True)
    parser.add_argument("--at", type=float, required=True)
    parser.add_argument("--offset-file", type=Path, required=True)
    args = parser.parse_args()
    asyncio.run(run(args.port, MovedClock(args.now, args.at), args.offset_file))


if __name__ == "__main__":
    main()
