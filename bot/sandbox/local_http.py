"""A local HTTP site on a free port of 127.0.0.1, for what the bot reads from outside (the national
database, calendar feeds) in the sandbox, the benchmarks and the tests: nothing reaches the internet."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from aiohttp import web

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@asynccontextmanager
async def serve_local(path: str, handler: Handler) -> AsyncIterator[str]:
    """Serve GET `path` with `handler` while the block runs; yields the site's address (ending in /)."""
    app = web.Application()
    app.router.add_get(path, handler)
    runner = web.AppRunner(app)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    try:
        yield f"http://127.0.0.1:{runner.addresses[0][1]}/"
    finally:
        await runner.cleanup()
