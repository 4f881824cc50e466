"""A local YesWiki "Bazar" site on 127.0.0.1: a form (1, the projects', by default) and its entries, as the
national database serves them, with ETag and Last-Modified answered by 304. For tests and benchmarks:
nothing reaches the internet."""

from __future__ import annotations

import hashlib
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from email.utils import format_datetime
from typing import Any

from aiohttp import web

from bot.clock import utc_now
from bot.sandbox.local_http import serve_local


@dataclass
class BazarSite:
    """What the site serves; change `entries` (or `form`) and the next read sees it, with a new ETag."""

    entries: Any
    form: Any = None
    url: str = ""
    requests: list[str] = field(default_factory=list)  # the query of each request, in order
    not_modified: int = 0  # answers 304
    last_modified: str = field(default_factory=lambda: format_datetime(utc_now(), usegmt=True))
    form_id: int = 1  # the projects' form; the actors' form for the facilitators

    def body(self, query: str) -> bytes | None:
        if query == f"api/forms/{self.form_id}/entries/json":
            return json.dumps(self.entries, ensure_ascii=False).encode()
        if query == f"api/forms/{self.form_id}" and self.form is not None:
            return json.dumps(self.form, ensure_ascii=False).encode()
        return None

    async def handle(self, request: web.Request) -> web.Response:
        self.requests.append(request.query_string)
        body = self.body(request.query_string)
        if body is None:
            return web.Response(status=404, text="page inconnue")
        etag = f'"{hashlib.sha256(body).hexdigest()[:16]}"'
        if request.headers.get("If-None-Match") == etag:
            self.not_modified += 1
            return web.Response(status=304, headers={"ETag": etag})
        headers = {"ETag": etag, "Last-Modified": self.last_modified}
        return web.Response(body=body, content_type="application/json", headers=headers)


@asynccontextmanager
async def serve_bazar(site: BazarSite) -> AsyncIterator[BazarSite]:
    """Serve `site` on a free port of 127.0.0.1; `site.url` is its address while it runs."""
    async with serve_local("/", site.handle) as base:
        site.url = base
        yield site
