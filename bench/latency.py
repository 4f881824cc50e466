"""Time from an interaction sent by the emulator to the bot's first answer, for `/aide` and for a bare
echo command (the floor: gateway, discord.py's dispatch and the HTTP callback, with no work of ours).

    .venv/bin/python bench/latency.py [--count 1000]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
from pathlib import Path
from typing import Any

from measures import percentile

from bot.sandbox.harness import sandbox


async def measure(count: int) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {"echo": [], "aide": []}
    with tempfile.TemporaryDirectory() as scratch:
        async with sandbox(Path(scratch) / "bench.sqlite3", with_probe=True) as box:
            member = box.demo.user("alex")
            commands: dict[str, dict[str, Any]] = {"echo": {"texte": "bonjour"}, "aide": {}}
            for name, options in commands.items():
                for _ in range(20):  # warm-up: caches, first-use imports
                    await box.driver.slash(member, name, **options)
                for _ in range(count):
                    reply = await box.driver.slash(member, name, **options)
                    record = reply.interaction
                    assert record.answered_at is not None
                    timings[name].append((record.answered_at - record.created) * 1000)
                # Keep the emulator's memory flat across thousands of interactions.
                box.emulator.interactions.clear()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=1000)
    args = parser.parse_args()
    logging.basicConfig(level=logging.WARNING)
    timings = asyncio.run(measure(args.count))
    print(f"{args.count} interactions per command, emulator and bot in one process on this machine")
    print(f"{'command':<8} {'median ms':>10} {'p99 ms':>8} {'max ms':>8}")
    for name, values in timings.items():
        median, p99 = statistics.median(values), percentile(values, 0.99)
        print(f"/{name:<7} {median:>10.2f} {p99:>8.2f} {max(values):>8.2f}")


if __name__ == "__main__":
    main()
