"""Maps at scale: p50/p99 time to draw France with 20, 200 and 2,000 markers (communes drawn at random,
weighted by population, across the three stages), and the PNG's size. Then, through the emulator in the
same run, what members read: `/aide` (the floor), a search near a city, the map of that search (its
follow-up after « thinking… »), and a search while another member's map is being drawn, with ratios.

    .venv/bin/python bench/pictures.py [--runs 30] [--seed 1]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import random
import statistics
import tempfile
import time
from pathlib import Path

from measures import percentile, read_ms

from bot.geo import geography
from bot.pictures.maps import draw_map
from bot.pictures.models import MapRequest, Marker
from bot.sandbox.driver import Message
from bot.sandbox.harness import Sandbox, furnish, sandbox
from bot.vocabulary import Etape

SIZES = (20, 200, 2000)
KINDS = (("emergence", "Émergence"), ("realisation", "Réalisation"), ("vivre_ensemble", "Vivre ensemble"))


def markers(count: int, rng: random.Random) -> tuple[Marker, ...]:
    placed = [c for c in geography().communes.values() if c.lat is not None and c.lon is not None]
    chosen = rng.choices(placed, weights=[max(1, c.population) for c in placed], k=count)
    stages = list(Etape)
    return tuple(
        Marker(number, c.lat, c.lon, c.departement, rng.choice(stages).value)
        for number, c in enumerate(chosen, start=1)
        if c.lat is not None and c.lon is not None
    )


PLACES = ("63113", "69123", "38185", "42218", "03185", "15014")  # the demo projects' cities, as autocompleted


async def search(box: Sandbox, member: str, rng: random.Random) -> float:
    reply = await box.driver.slash(
        box.demo.user(member), "projet chercher", pres_de=f"insee:{rng.choice(PLACES)}", rayon_km=100
    )
    return read_ms(box.emulator, reply.interaction)


async def searched(box: Sandbox, member: str, rng: random.Random) -> tuple[float, Message]:
    user = box.demo.user(member)
    reply = await box.driver.slash(user, "projet chercher", pres_de=f"insee:{rng.choice(PLACES)}", rayon_km=100)
    assert reply.message is not None
    return read_ms(box.emulator, reply.interaction), reply.message


async def mapped(box: Sandbox, member: str, listing: Message) -> float:
    """The member's click on « Voir sur la carte », timed to the map they read after « thinking… »."""
    shown = await box.driver.click(box.demo.user(member), listing, "Voir sur la carte")
    assert shown.messages and shown.messages[-1].attachments, "the map did not come"
    return read_ms(box.emulator, shown.interaction)


async def members(runs: int, rng: random.Random) -> dict[str, list[float]]:
    timings: dict[str, list[float]] = {
        name: [] for name in ("aide", "search", "map", "search beside a map", "map beside a search")
    }
    with tempfile.TemporaryDirectory() as scratch:
        async with sandbox(Path(scratch) / "bench.sqlite3") as box:
            await furnish(box)
            await box.driver.settle()
            for measured in (False, True):  # a first round warms the caches up
                for _ in range(runs):
                    aide = await box.driver.slash(box.demo.user("sam"), "aide")
                    alone = await search(box, "sam", rng)
                    first, listing = await searched(box, "alex", rng)
                    drawn_alone = await mapped(box, "alex", listing)
                    # Alex's map is drawn while Sam searches: each member's answer beside the other's work.
                    _, listing = await searched(box, "alex", rng)
                    beside_map, beside_search = await asyncio.gather(
                        mapped(box, "alex", listing), search(box, "sam", rng)
                    )
                    if measured:
                        timings["aide"].append(read_ms(box.emulator, aide.interaction))
                        timings["search"] += [alone, first]
                        timings["map"].append(drawn_alone)
                        timings["search beside a map"].append(beside_search)
                        timings["map beside a search"].append(beside_map)
                    box.emulator.interactions.clear()
    return timings


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    rng = random.Random(args.seed)
    draw_map(MapRequest(markers(20, rng), KINDS))  # warm up: boundaries loaded, fonts cached
    print("markers  p50 ms  p99 ms  PNG KB")
    for size in SIZES:
        request = MapRequest(markers(size, rng), KINDS, title="Projets d'habitat participatif — Île-de-France")
        times: list[float] = []
        png = b""
        for _ in range(args.runs):
            start = time.perf_counter()
            png = draw_map(request).png
            times.append((time.perf_counter() - start) * 1000)
        print(f"{size:7d}  {statistics.median(times):6.0f}  {percentile(times, 0.99):6.0f}  {len(png) / 1024:6.0f}")
    logging.basicConfig(level=logging.WARNING)
    timings = asyncio.run(members(args.runs, rng))
    floor = percentile(timings["aide"], 0.99)
    print(
        f"what members read, {args.runs} rounds, emulator and bot in one process (after « thinking… »: the follow-up)"
    )
    print(f"{'interaction':<34} {'p50 ms':>7} {'p99 ms':>7} {'p99 / /aide p99':>16}")
    for name, values in timings.items():
        p99 = percentile(values, 0.99)
        print(f"{name:<34} {statistics.median(values):>7.0f} {p99:>7.0f} {p99 / floor:>16.1f}")


if __name__ == "__main__":
    main()
