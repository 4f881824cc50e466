"""Maps at scale: p50/p99 time to draw France with 20, 200 and 2,000 markers (communes drawn at random,
weighted by population, across the three stages), and the PNG's size.

    .venv/bin/python bench/pictures.py [--runs 30] [--seed 1]
"""

from __future__ import annotations

import argparse
import random
import statistics
import time

from measures import percentile

from bot.geo import geography
from bot.pictures.maps import MapRequest, Marker, draw_map
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


if __name__ == "__main__":
    main()
