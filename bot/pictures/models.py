"""What a picture is asked with and what it gives back: plain data, without matplotlib, so that the cogs
build their requests and the bot starts without importing it (bot.pictures draws them)."""

from __future__ import annotations

from dataclasses import dataclass

SIZE_PX = 800  # a map's side


@dataclass(frozen=True)
class Marker:
    number: int
    lat: float
    lon: float
    departement: str
    kind: str  # key of one of the legend's kinds


@dataclass(frozen=True)
class Around:
    """The searched commune and radius, drawn as a star and a circle."""

    name: str
    lat: float
    lon: float
    radius_km: float


@dataclass(frozen=True)
class MapRequest:
    markers: tuple[Marker, ...]
    kinds: tuple[tuple[str, str], ...]  # (key, label), in legend order
    departements: tuple[str, ...] = ()  # the searched area; empty: all of metropolitan France
    around: Around | None = None
    title: str = ""
    size_px: int = SIZE_PX  # a square; a project's locator map is smaller than a search's


@dataclass(frozen=True)
class Placed:
    number: int
    panel: str  # "main" or the code of an overseas inset
    x_km: float
    y_km: float


@dataclass(frozen=True)
class LegendEntry:
    label: str
    colour: str
    shape: str


@dataclass(frozen=True)
class DrawnMap:
    png: bytes
    placed: tuple[Placed, ...]
    legend: tuple[LegendEntry, ...]
    insets: tuple[str, ...]
    scale_km: int


@dataclass(frozen=True)
class BarChart:
    """One panel: its title and its bars (label, value), drawn top to bottom in this order."""

    title: str
    bars: tuple[tuple[str, int], ...]
