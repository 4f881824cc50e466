"""Maps are tested by the data they were drawn from, and by the PNG opened with Pillow."""

from __future__ import annotations

import io
import itertools
import warnings

import pytest
from PIL import Image

from bot import pictures
from bot.pictures.maps import OVERSEAS, STYLES, Projection, draw_map, extent, nice_scale, outlines
from bot.pictures.models import Around, MapRequest, Marker
from bot.vocabulary import EventKind

KINDS = (("emergence", "Émergence"), ("realisation", "Réalisation"), ("vivre_ensemble", "Vivre ensemble"))
CLERMONT = Marker(1, 45.7772, 3.0870, "63", "emergence")
PARIS = Marker(2, 48.8566, 2.3522, "75", "realisation")
POINTE_A_PITRE = Marker(3, 16.2411, -61.5331, "971", "vivre_ensemble")


def image(png: bytes) -> Image.Image:
    return Image.open(io.BytesIO(png))


def test_the_boundaries_hold_every_departement_with_closed_rings() -> None:
    shapes = outlines()
    assert len(shapes) == 101
    assert set(OVERSEAS) <= set(shapes)
    for rings in shapes.values():
        assert rings
        assert all(ring[0] == ring[-1] and len(ring) >= 4 for ring in rings)
    lat_min, lat_max, lon_min, lon_max = extent(["63"])
    assert lat_min < 45.78 < lat_max and lon_min < 3.09 < lon_max  # Clermont-Ferrand lies in Puy-de-Dôme


def test_the_projection_keeps_kilometres() -> None:
    project = Projection(lat0=46.0, lon0=2.0)
    assert project(46.0, 2.0) == (0.0, 0.0)
    x, _ = project(46.0, 3.0)
    _, y = project(47.0, 2.0)
    assert x == pytest.approx(77.2, abs=0.5)  # one degree of longitude at 46° N
    assert y == pytest.approx(111.2, abs=0.5)


def test_france_with_an_overseas_result_gets_one_inset_and_every_number() -> None:
    drawn_map = draw_map(MapRequest((CLERMONT, PARIS, POINTE_A_PITRE), KINDS, title="Projets — Île-de-France"))
    assert [p.number for p in drawn_map.placed] == [1, 2, 3]
    panels = {p.number: p.panel for p in drawn_map.placed}
    assert panels == {1: "main", 2: "main", 3: "971"}
    by_number = {p.number: p for p in drawn_map.placed}
    assert by_number[2].y_km - by_number[1].y_km == pytest.approx(342, abs=5)  # Paris is north of Clermont
    assert drawn_map.insets == ("971",)
    assert [(e.label, e.shape) for e in drawn_map.legend] == [
        ("Émergence", "o"),
        ("Réalisation", "s"),
        ("Vivre ensemble", "^"),
    ]
    assert len({e.colour for e in drawn_map.legend}) == 3
    assert drawn_map.scale_km == 200


def test_no_inset_without_overseas_results_and_the_legend_holds_only_drawn_kinds() -> None:
    drawn_map = draw_map(MapRequest((CLERMONT,), KINDS))
    assert drawn_map.insets == ()
    assert [e.label for e in drawn_map.legend] == ["Émergence"]


def test_a_radius_search_is_centred_on_the_commune_with_a_fitting_scale() -> None:
    around = Around("Clermont-Ferrand", 45.7772, 3.0870, 30)
    drawn_map = draw_map(MapRequest((CLERMONT,), KINDS, around=around))
    (placed,) = drawn_map.placed
    assert (placed.x_km, placed.y_km) == pytest.approx((0.0, 0.0), abs=0.01)
    assert drawn_map.scale_km == 10


def test_the_png_is_a_picture_of_reasonable_size_and_not_blank() -> None:
    drawn_map = draw_map(MapRequest((CLERMONT, PARIS, POINTE_A_PITRE), KINDS, title="Île-de-France, Pyrénées"))
    assert len(drawn_map.png) <= 400 * 1024
    picture = image(drawn_map.png)
    assert picture.size == (800, 800)
    assert picture.mode == "RGBA"
    assert len(picture.convert("RGB").getcolors(maxcolors=1 << 16) or range(1 << 16)) > 50


def test_accented_titles_are_drawn() -> None:
    """Matplotlib warns when a font lacks a glyph (it would draw a box): none may be missing."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        accented = image(draw_map(MapRequest((CLERMONT,), KINDS, title="Île-de-France, Pyrénées")).png)
    plain = image(draw_map(MapRequest((CLERMONT,), KINDS, title="Ile-de-France, Pyrenees")).png)
    assert plain.tobytes() != accented.tobytes()


async def test_maps_are_drawn_beside_the_event_loop() -> None:
    drawn_map = await pictures.drawn_map(MapRequest((CLERMONT,), KINDS))
    assert image(drawn_map.png).size == (800, 800)


def test_the_scale_is_a_round_length_within_a_fifth_of_the_width() -> None:
    assert nice_scale(1000) == 200
    assert nice_scale(70) == 10
    assert nice_scale(3) == 1


def test_every_event_kind_gets_its_own_colour_and_shape() -> None:
    assert len(EventKind) <= len(STYLES)
    assert len({colour for colour, _ in STYLES}) == len({shape for _, shape in STYLES}) == len(STYLES)


def test_region_borders_lie_between_two_regions_only() -> None:
    """Puy-de-Dôme meets Corrèze (Nouvelle-Aquitaine) on a thick border, Loire (its own région) on a thin one."""
    from bot.pictures.maps import region_borders

    borders = set(region_borders())
    shapes = outlines()

    def shared(a: str, b: str) -> set[tuple[tuple[float, float], tuple[float, float]]]:
        edges_a = {edge for ring in shapes[a] for edge in itertools.pairwise(ring)}
        edges_b = {(end, start) for ring in shapes[b] for start, end in itertools.pairwise(ring)}
        return {min(edge, (edge[1], edge[0])) for edge in edges_a & edges_b}

    assert shared("63", "19") and shared("63", "19") <= borders
    assert shared("63", "42") and not shared("63", "42") & borders


def test_a_locator_map_is_small_and_holds_its_one_project() -> None:
    auvergne = ("03", "15", "43", "63")
    drawn_map = draw_map(MapRequest((CLERMONT,), KINDS, departements=auvergne, title="La Ruche", size_px=480))
    assert image(drawn_map.png).size == (480, 480)
    assert [p.number for p in drawn_map.placed] == [1]
