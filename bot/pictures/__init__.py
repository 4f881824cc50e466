"""Pictures: maps of projects and events, and the observatory's charts, drawn off the event loop so
that no member waits for another's picture. Drawing uses matplotlib's object API (a Figure per
picture, never pyplot's shared state), so pictures may be drawn side by side. matplotlib is imported
by the first picture, in the drawers' thread: the bot's start does not wait for it (half a second)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

from bot.pictures.models import BarChart, DrawnMap, MapRequest

P = ParamSpec("P")
R = TypeVar("R")

# Two at a time: a third member's picture waits for one of them, never the event loop.
_DRAWERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="picture")


async def drawn(draw: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """What `draw` returns (a PNG, or a PNG with the data it was drawn from), drawn beside the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_DRAWERS, lambda: draw(*args, **kwargs))


async def drawn_map(request: MapRequest) -> DrawnMap:
    """A map (`bot.pictures.maps.draw_map`), drawn beside the event loop."""
    return await drawn(_draw_map, request)


async def drawn_bars(charts: Sequence[BarChart], title: str) -> bytes:
    """Bar charts (`bot.pictures.charts.draw_bars`), drawn beside the event loop."""
    return await drawn(_draw_bars, charts, title)


def _draw_map(request: MapRequest) -> DrawnMap:
    from bot.pictures.maps import draw_map  # with matplotlib, by the first picture

    return draw_map(request)


def _draw_bars(charts: Sequence[BarChart], title: str) -> bytes:
    from bot.pictures.charts import draw_bars  # with matplotlib, by the first picture

    return draw_bars(charts, title)
