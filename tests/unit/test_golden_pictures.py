"""A few pictures compared with the ones a person looked at and kept (tests/fixtures/golden/), with a
tolerance for anti-aliasing and font hinting: a moved marker, a lost border or a missing legend fails.

After a change meant to alter the pictures, look at the new ones and keep them:
    UPDATE_GOLDEN=1 .venv/bin/pytest tests/unit/test_golden_pictures.py
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path

import pytest
from PIL import Image, ImageChops

from bot.pictures.charts import draw_bars
from bot.pictures.maps import draw_map
from bot.pictures.models import Around, BarChart, MapRequest, Marker

GOLDEN = Path(__file__).resolve().parent.parent / "fixtures" / "golden"
KINDS = (("emergence", "Émergence"), ("realisation", "Réalisation"), ("vivre_ensemble", "Vivre ensemble"))
# Pixels whose colour moved by more than this (0–255, any channel) count as changed…
CHANNEL_TOLERANCE = 48
# …and at most this share of the picture may change: 0.02 %, about 130 pixels of 800 × 800, under the
# 380 that a marker moved by 5 km changes (test below).
CHANGED_SHARE = 0.0002


def france() -> bytes:
    markers = (
        Marker(1, 45.7772, 3.0870, "63", "emergence"),
        Marker(2, 48.8566, 2.3522, "75", "realisation"),
        Marker(3, 43.6045, 1.4440, "31", "vivre_ensemble"),
        Marker(4, 16.2411, -61.5331, "971", "emergence"),
    )
    return draw_map(MapRequest(markers, KINDS, title="Projets d'habitat participatif — Pyrénées, Île-de-France")).png


def around_clermont() -> bytes:
    markers = (Marker(1, 45.7772, 3.0870, "63", "emergence"), Marker(2, 45.90, 3.11, "63", "realisation"))
    around = Around("Clermont-Ferrand", 45.7772, 3.0870, 30)
    return draw_map(MapRequest(markers, KINDS, departements=("63",), around=around)).png


def chart() -> bytes:
    stages = BarChart("Projets par étape", (("Émergence", 12), ("Réalisation", 7), ("Vivre ensemble", 30)))
    return draw_bars([stages], "Observatoire — Auvergne-Rhône-Alpes")


PICTURES: dict[str, Callable[[], bytes]] = {
    "france.png": france,
    "around_clermont.png": around_clermont,
    "chart.png": chart,
}


def changed_share(drawn: Image.Image, kept: Image.Image) -> float:
    difference = ImageChops.difference(drawn.convert("RGB"), kept.convert("RGB"))
    moved = difference.point(lambda value: 255 if value > CHANNEL_TOLERANCE else 0).convert("L")
    histogram = moved.point(lambda value: 255 if value else 0).histogram()
    return histogram[255] / (drawn.width * drawn.height)


@pytest.mark.parametrize("name", sorted(PICTURES))
def test_the_picture_looks_like_the_kept_one(name: str) -> None:
    png = PICTURES[name]()
    if os.environ.get("UPDATE_GOLDEN"):
        (GOLDEN / name).write_bytes(png)
    drawn = Image.open(io.BytesIO(png))
    kept = Image.open(GOLDEN / name)
    assert drawn.size == kept.size
    assert changed_share(drawn, kept) <= CHANGED_SHARE


def test_the_comparison_sees_a_moved_marker() -> None:
    """The tolerance is not so loose that a marker moved by a few kilometres passes."""
    kept = Image.open(io.BytesIO(around_clermont()))
    markers = (Marker(1, 45.80, 3.15, "63", "emergence"), Marker(2, 45.90, 3.11, "63", "realisation"))
    around = Around("Clermont-Ferrand", 45.7772, 3.0870, 30)
    moved = draw_map(MapRequest(markers, KINDS, departements=("63",), around=around)).png
    assert changed_share(Image.open(io.BytesIO(moved)), kept) > CHANGED_SHARE
