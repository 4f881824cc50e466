"""The optional HTTP side (`WEB_PORT`): the agenda as a calendar feed anyone can subscribe to, and a
health check. `/agenda.ics?region=Bretagne&type=jpo&departement=35`. A member's personal calendar
(bot/events/personal.py) at its secret address; a revoked one is not found."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from aiohttp import web

from bot.clock import Clock
from bot.errors import UserError
from bot.events.models import EventFilters
from bot.events.personal import FEED_PATH, PersonalCalendar
from bot.events.store import EventStore
from bot.geo import Geography
from bot.ics import to_ics
from bot.vocabulary import EventKind, parse

if TYPE_CHECKING:
    from bot.core import Core

log = logging.getLogger(__name__)


def make_app(
    events: EventStore, geo: Geography, clock: Clock, zone: ZoneInfo, *, personal: PersonalCalendar | None = None
) -> web.Application:
    async def agenda(request: web.Request) -> web.Response:
        query = request.query
        try:
            region = geo.region(query["region"]) if query.get("region") else None
            filters = EventFilters(
                kind=parse(EventKind, query["type"]) if query.get("type") else None,
                departement=geo.departement(query["departement"]).code if query.get("departement") else None,
                departements=region.departements if region else None,
                region=geo.region_today(region) if region else None,
            )
        except UserError as error:
            return web.Response(status=400, text=error.message.format(**error.params), content_type="text/plain")
        body = to_ics(await events.upcoming(filters, clock()), zone, now=clock())
        return web.Response(body=body, content_type="text/calendar", charset="utf-8")

    async def own(request: web.Request) -> web.Response:
        body = await personal.feed(request.match_info["token"]) if personal is not None else None
        if body is None:
            raise web.HTTPNotFound(text="Adresse inconnue ou remplacée.")
        return web.Response(
            body=body, content_type="text/calendar", charset="utf-8", headers={"Cache-Control": "private, no-store"}
        )

    async def health(_: web.Request) -> web.Response:
        return web.Response(text="ok")

    app = web.Application()
    app.router.add_get("/agenda.ics", agenda)
    app.router.add_get("/healthz", health)
    app.router.add_get(FEED_PATH, own)
    return app


def core_app(core: Core) -> web.Application:
    """The HTTP side of a core, alike in the bot and in `python -m bot web` (no Discord connection)."""
    zone = ZoneInfo(core.settings.default_tz)
    return make_app(core.events.store, core.geo, core.clock, zone, personal=core.personal)


class WebServer:
    def __init__(self, app: web.Application, port: int, host: str = "0.0.0.0") -> None:
        self.app, self.port, self.host = app, port, host
        self._runner: web.AppRunner | None = None

    async def start(self) -> None:
        self._runner = web.AppRunner(self.app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, self.host, self.port).start()
        log.info("agenda servi sur http://%s:%s/agenda.ics", self.host, self.port)

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
