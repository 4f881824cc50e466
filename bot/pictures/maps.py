"""Maps of found projects or events: département borders from data/geo/departements.json, numbered
markers matching the list's numbers, a legend by colour and shape, a scale bar, and the overseas
départements as insets only when they hold markers. Pure functions: the caller passes translated
labels and gets back the PNG with the data it was drawn from, so tests assert on data."""

from __future__ import annotations

import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import pairwise
from pathlib import Path

from matplotlib.axes import Axes
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.collections import LineCollection, PathCollection, PolyCollection
from matplotlib.figure import Figure
from matplotlib.font_manager import FontProperties
from matplotlib.patches import Circle
from matplotlib.path import Path as Outline
from matplotlib.textpath import TextPath
from matplotlib.transforms import Affine2D

from bot.geo import geography
from bot.pictures.models import Around, DrawnMap, LegendEntry, MapRequest, Marker, Placed

BOUNDARIES = Path(__file__).resolve().parent.parent.parent / "data" / "geo" / "departements.json"
EARTH_KM = 6371.0
OVERSEAS = ("971", "972", "973", "974", "976")
# Colour AND shape tell kinds apart, so the legend reads without colour vision.
STYLES = (
    ("#2e7d32", "o"),
    ("#e65100", "s"),
    ("#1565c0", "^"),
    ("#6a1b9a", "D"),
    ("#795548", "v"),
    ("#00838f", "P"),
    ("#c2185b", "X"),
    ("#455a64", "p"),
)
SCALE_STEPS = (1, 2, 5, 10, 20, 50, 100, 200, 500)
LAND, AROUND = "#f3efe6", "#dcdcdc"
DPI = 100

Ring = list[tuple[float, float]]  # (lon, lat)


@dataclass(frozen=True)
class Projection:
    """Equirectangular, scaled by cos(latitude) at the panel's middle: a fair likeness at a
    country's scale, in kilometres so that circles and the scale bar need no conversion."""

    lat0: float
    lon0: float

    def __call__(self, lat: float, lon: float) -> tuple[float, float]:
        k = math.pi / 180 * EARTH_KM
        return (lon - self.lon0) * k * math.cos(math.radians(self.lat0)), (lat - self.lat0) * k


@cache
def outlines() -> dict[str, tuple[Ring, ...]]:
    shapes: dict[str, list[list[float]]] = json.loads(BOUNDARIES.read_text(encoding="utf-8"))["departements"]
    return {
        code: tuple([(ring[i], ring[i + 1]) for i in range(0, len(ring), 2)] for ring in rings)
        for code, rings in shapes.items()
    }


@cache
def region_borders() -> tuple[tuple[tuple[float, float], tuple[float, float]], ...]:
    """The edges between two départements of different régions, drawn thicker. Neighbouring outlines
    share their vertices (scripts/build_boundaries.py), so a border is an edge met once each way."""
    region_of = {code: d.region for code, d in geography().departements.items()}
    owner: dict[tuple[tuple[float, float], tuple[float, float]], str] = {}
    for code, rings in outlines().items():
        for ring in rings:
            for start, end in pairwise(ring):
                owner[(start, end)] = code
    return tuple(
        edge
        for edge, code in owner.items()
        if (other := owner.get((edge[1], edge[0]))) is not None
        and edge < (edge[1], edge[0])
        and region_of.get(code) != region_of.get(other)
    )


def extent(codes: Sequence[str]) -> tuple[float, float, float, float]:
    """(lat_min, lat_max, lon_min, lon_max) of the départements' outlines."""
    shapes = outlines()
    points = [point for code in codes for ring in shapes[code] for point in ring]
    lons = [lon for lon, _ in points]
    lats = [lat for _, lat in points]
    return min(lats), max(lats), min(lons), max(lons)


def metropole() -> tuple[str, ...]:
    return tuple(code for code in outlines() if code not in OVERSEAS)


def nice_scale(width_km: float) -> int:
    """The longest round length within a fifth of the panel's width."""
    fitting = [step for step in SCALE_STEPS if step <= width_km / 5]
    return fitting[-1] if fitting else SCALE_STEPS[0]


_BOLD = FontProperties(weight="bold")


@cache
def _number_outline(number: int, size: float) -> Outline:
    """A marker's number as an outline in points, 4 pt up and right of the marker; kept, as numbers recur."""
    return TextPath((4, 4), str(number), size=size, prop=_BOLD)


def _numbers(numbers: Sequence[int], points: Sequence[tuple[float, float]], size: float, axes: Axes) -> PathCollection:
    """The markers' numbers as one collection of outlines: one draw for all, where a text each is laid out and
    rendered glyph by glyph (most of a 200-marker map's time)."""
    collection = PathCollection(
        [_number_outline(number, size) for number in numbers],
        offsets=points,
        offset_transform=axes.transData,
        facecolors="black",
        edgecolors="none",
        zorder=6,
    )
    collection.set_transform(Affine2D().scale(axes.figure.dpi / 72))
    return collection


def _panel(
    axes: Axes,
    request: MapRequest,
    codes: Sequence[str],
    markers: Sequence[Marker],
    panel: str,
    around: Around | None,
) -> tuple[list[Placed], float]:
    """Draws one panel (borders, markers, numbers); returns the markers placed and its width in km."""
    lat_min, lat_max, lon_min, lon_max = extent(codes)
    if around is not None:
        dlat = around.radius_km / 111.2
        dlon = dlat / max(0.2, math.cos(math.radians(around.lat)))
        lat_min, lat_max = around.lat - dlat * 1.15, around.lat + dlat * 1.15
        lon_min, lon_max = around.lon - dlon * 1.15, around.lon + dlon * 1.15
    project = Projection((lat_min + lat_max) / 2, (lon_min + lon_max) / 2)
    x_min, y_min = project(lat_min, lon_min)
    x_max, y_max = project(lat_max, lon_max)
    pad = 0.04 * max(x_max - x_min, y_max - y_min)
    x_min, x_max, y_min, y_max = x_min - pad, x_max + pad, y_min - pad, y_max + pad
    # Every département whose outline meets the view, so the neighbours' borders show too.
    shown = [
        (code, [project(lat, lon) for lon, lat in ring])
        for code, rings in outlines().items()
        for ring in rings
        if any(lat_min - 1 <= lat <= lat_max + 1 and lon_min - 1.5 <= lon <= lon_max + 1.5 for lon, lat in ring[::4])
    ]
    # The searched area in the land's colour, its neighbours greyed.
    area = set(codes)
    axes.add_collection(
        PolyCollection(
            [ring for _, ring in shown],
            facecolors=[LAND if code in area else AROUND for code, _ in shown],
            edgecolors="#8a8a8a",
            linewidths=0.5,
        )
    )
    axes.add_collection(
        LineCollection(
            [
                [project(lat, lon) for lon, lat in edge]
                for edge in region_borders()
                if any(lat_min - 1 <= lat <= lat_max + 1 and lon_min - 1.5 <= lon <= lon_max + 1.5 for lon, lat in edge)
            ],
            colors="#5a5a5a",
            linewidths=1.4,
        )
    )
    if around is not None:
        centre = project(around.lat, around.lon)
        axes.add_patch(Circle(centre, around.radius_km, fill=False, edgecolor="#c62828", linestyle="--", linewidth=1))
        axes.plot(*centre, marker="*", markersize=12, color="#c62828", zorder=4)
        axes.annotate(around.name, centre, xytext=(6, 6), textcoords="offset points", fontsize=9, color="#c62828")
    placed: list[Placed] = []
    styles = {key: STYLES[i % len(STYLES)] for i, (key, _) in enumerate(request.kinds)}
    small = len(markers) > 60
    for key, (colour, shape) in styles.items():
        mine = [m for m in markers if m.kind == key]
        if not mine:
            continue
        points = [project(m.lat, m.lon) for m in mine]
        axes.scatter(
            [x for x, _ in points],
            [y for _, y in points],
            s=30 if small else 110,
            c=colour,
            marker=shape,
            edgecolors="white",
            linewidths=0.6,
            zorder=5,
        )
        placed += [Placed(marker.number, panel, x, y) for marker, (x, y) in zip(mine, points, strict=True)]
        axes.add_collection(_numbers([m.number for m in mine], points, 6 if small else 9, axes))
    axes.set_xlim(x_min, x_max)
    axes.set_ylim(y_min, y_max)
    axes.set_aspect("equal")
    axes.set_xticks([])
    axes.set_yticks([])
    return placed, x_max - x_min


def draw_map(request: MapRequest) -> DrawnMap:
    figure = Figure(figsize=(request.size_px / DPI, request.size_px / DPI), dpi=DPI)
    FigureCanvasAgg(figure)
    main_codes = request.departements or metropole()
    main_overseas = set(main_codes) & set(OVERSEAS)
    inset_codes = tuple(
        code for code in OVERSEAS if code not in main_overseas and any(m.departement == code for m in request.markers)
    )
    main_markers = [m for m in request.markers if m.departement not in inset_codes]
    left = 0.2 if inset_codes else 0.02
    axes = figure.add_axes((left, 0.02, 0.98 - left, 0.9))
    placed, width_km = _panel(axes, request, main_codes, main_markers, "main", request.around)
    scale = nice_scale(width_km)
    x0, x1 = axes.get_xlim()
    y0, y1 = axes.get_ylim()
    bar_x, bar_y = x0 + 0.04 * (x1 - x0), y0 + 0.04 * (y1 - y0)
    axes.plot([bar_x, bar_x + scale], [bar_y, bar_y], color="black", linewidth=3, solid_capstyle="butt", zorder=7)
    axes.annotate(f"{scale} km", (bar_x, bar_y), xytext=(0, 5), textcoords="offset points", fontsize=9, zorder=7)
    height = min(0.2, 0.88 / max(1, len(inset_codes)))
    for index, code in enumerate(inset_codes):
        inset = figure.add_axes((0.01, 0.92 - (index + 1) * height, 0.17, height - 0.02))
        mine = [m for m in request.markers if m.departement == code]
        found, _ = _panel(inset, request, (code,), mine, code, None)
        placed.extend(found)
    legend = tuple(
        LegendEntry(label, *STYLES[i % len(STYLES)])
        for i, (key, label) in enumerate(request.kinds)
        if any(m.kind == key for m in request.markers)
    )
    for entry in legend:
        axes.scatter([], [], c=entry.colour, marker=entry.shape, s=80, label=entry.label)
    if legend:
        axes.legend(loc="upper right", fontsize=9, framealpha=0.9)
    if request.title:
        figure.suptitle(request.title, fontsize=13, y=0.97)
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI)
    return DrawnMap(
        png=buffer.getvalue(),
        placed=tuple(sorted(placed, key=lambda p: p.number)),
        legend=legend,
        insets=inset_codes,
        scale_km=scale,
    )
