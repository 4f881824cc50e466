"""The observatory's bar charts (bot/pictures/charts.py): a PNG of the expected size, not blank, its
accents drawn (matplotlib warns of a missing glyph), drawn beside the event loop."""

from __future__ import annotations

import io
import warnings

from PIL import Image

from bot.pictures import drawn
from bot.pictures.charts import BAR_IN, DPI, PANEL_IN, WIDTH_IN, BarChart, draw_bars

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
    data = await drawn(draw_bars, PANELS, "Observatoire")
    assert data.startswith(b"\x89PNG")
