"""Associations' agendas on 127.0.0.1: calendar feeds served with ETag and Last-Modified (answered by
304), and the ways a feed breaks: a missing page, a redirect loop, a body far too big, a server that does
not answer. For tests and benchmarks: nothing reaches the internet."""

from __future__ import annotations

import asyncio
import hashlib
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime

from aiohttp import web

from bot.clock import utc_now
from bot.sandbox.local_http import serve_local

LOOP = "boucle.ics"  # redirects to itself
HUGE = "enorme.ics"  # 10 MB of garbage
SLOW = "lent.ics"  # answers only when the site closes
HUGE_BYTES = 10 * 1024 * 1024


@dataclass
class FeedSite:
    """What the site serves, by file name; change `feeds` and the next read sees it, with a new ETag.
    Without `validators`, it sends neither ETag nor Last-Modified (many websites' agendas)."""

    feeds: dict[str, bytes]
    validators: bool = True
    base: str = ""
    requests: list[str] = field(default_factory=list)
    not_modified: int = 0
    last_modified: str = field(default_factory=lambda: format_datetime(utc_now(), usegmt=True))
    _closing: asyncio.Event = field(default_factory=asyncio.Event)

    def url(self, name: str) -> str:
        return f"{self.base}{name}"

    async def handle(self, request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        self.requests.append(name)
        if name == LOOP:
            raise web.HTTPFound(self.url(LOOP))
        if name == SLOW:
            await self._closing.wait()
            return web.Response(status=503)
        if name == HUGE:
            return await self._huge(request)
        body = self.feeds.get(name)
        if body is None:
            return web.Response(status=404, text="page introuvable")
        if not self.validators:
            return web.Response(body=body, content_type="text/calendar")
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if request.headers.get("If-None-Match") == etag:
            self.not_modified += 1
            return web.Response(status=304, headers={"ETag": etag})
        headers = {"ETag": etag, "Last-Modified": self.last_modified}
        return web.Response(body=body, content_type="text/calendar", headers=headers)

    async def _huge(self, request: web.Request) -> web.StreamResponse:
        response = web.StreamResponse(headers={"Content-Type": "text/calendar"})
        await response.prepare(request)
        chunk = b"BEGIN:VCALENDAR\r\n" + b"x" * (64 * 1024)
        try:
            for _ in range(HUGE_BYTES // len(chunk)):
                await response.write(chunk)
        except (ConnectionError, RuntimeError):
            pass  # the reader stopped at its cap
        return response


@asynccontextmanager
async def serve_feeds(site: FeedSite) -> AsyncIterator[FeedSite]:
    """Serve `site` on a free port of 127.0.0.1; `site.url(name)` is a feed's address while it runs."""
    async with serve_local("/{name}", site.handle) as base:
        site.base = base
        try:
            yield site
        finally:
            site._closing.set()
