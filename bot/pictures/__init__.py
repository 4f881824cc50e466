"""Pictures: maps of projects and events, and the observatory's charts, drawn off the event loop so
that no member waits for another's picture. Drawing uses matplotlib's object API (a Figure per
picture, never pyplot's shared state), so pictures may be drawn side by side."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

# Two at a time: a third member's picture waits for one of them, never the event loop.
_DRAWERS = ThreadPoolExecutor(max_workers=2, thread_name_prefix="picture")


async def drawn(draw: Callable[P, R], *args: P.args, **kwargs: P.kwargs) -> R:
    """What `draw` returns (a PNG, or a PNG with the data it was drawn from), drawn beside the event loop."""
    return await asyncio.get_running_loop().run_in_executor(_DRAWERS, lambda: draw(*args, **kwargs))
