"""The observatory's bar charts (bot/pictures/charts.py): a PNG of the expected size, not blank, its
accents drawn (matplotlib warns of a missing glyph), drawn beside the event loop."""

from __future__ import annotations

import io
import subprocess
import sys
import warnings

from PIL import Image

from bot.pictures import drawn_bars
from bot.pictures.charts import BAR_IN, DPI, PANEL_IN, WIDTH_IN, draw_bars
from bot.pictures.models import BarChart

PANELS = [
    BarChart("Projets par étape", (("Émergence", 12), ("Réalisation", 5), ("Vivre ensemble", 0))),
    BarChart("Projets par région", (("Île-de-France", 7), ("Provence-Alpes-Côte d'Azur", 3))),
]


def test_a_chart_is_a_png_of_its_panels_with_accents_drawn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # "Glyph … missing from font" would fail the test
        data = draw_bars(PANELS, "Observatoire — Pyrénées")
    image = Image.open(io.BytesIO(data))
    assert image.format == "PNG" and image.mode == "RGBA"
    height_in = PANEL_IN * 2 + BAR_IN * (3 + 2) + 0.6
    assert image.size == (int(WIDTH_IN * DPI), round(height_in * DPI))
    colours = image.convert("RGB").getcolors(maxcolors=100_000)
    assert colours is not None and len(colours) > 50  # bars, text and its anti-aliasing: not blank
    assert len(data) < 400_000


def test_all_zero_bars_still_draw() -> None:
    data = draw_bars([BarChart("Projets par initiative", (("Citoyenne", 0),))], "Vide")
    assert Image.open(io.BytesIO(data)).size[0] == int(WIDTH_IN * DPI)


async def test_charts_are_drawn_beside_the_event_loop() -> None:
    data = await drawn_bars(PANELS, "Observatoire")
    assert data.startswith(b"\x89PNG")


def test_the_bot_starts_without_matplotlib() -> None:
    """Half a second of an operator's cold start: matplotlib waits for the first picture."""
    script = (
        "import importlib, sys, bot.__main__\n"
        "from bot.client import cog_extensions\n"
        "for name in cog_extensions(): importlib.import_module(name)\n"
        "print(len(cog_extensions()), 'matplotlib' in sys.modules)"
    )
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    count, imported = done.stdout.split()
    assert int(count) >= 12 and imported == "False"
