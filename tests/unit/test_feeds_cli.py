"""`python -m bot read-feeds`: every subscribed agenda read now, one line per feed; a failure only when
none could be read."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import Settings
from bot.core import build_core
from bot.db import SqliteDatabase
from bot.sandbox.feed_site import FeedSite, serve_feeds
from tests.support import served_in_thread, without_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "feeds"


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    without_settings(monkeypatch, tmp_path, tmp_path / "db.sqlite3")


@pytest.fixture
def site() -> Iterator[FeedSite]:
    """The fixture feeds, served from their own thread: the command runs its own event loop."""
    served = FeedSite({"auvergne.ics": (FIXTURES / "auvergne.ics").read_bytes()})
    with served_in_thread(serve_feeds(served)):
        yield served


def subscribe(tmp_path: Path, url: str, name: str) -> None:
    async def add() -> None:
        async with SqliteDatabase(tmp_path / "db.sqlite3") as db:
            await db.migrate()
            store = build_core(Settings(_env_file=None), db=db).feeds.store
            await store.add(1, url, name, "84", announce=False, signup=False, subscriber_id=5, locale=None)

    asyncio.run(add())


def test_each_feed_is_one_line(site: FeedSite, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["read-feeds"]) == 0
    assert capsys.readouterr().out.startswith("Aucun agenda abonné")
    subscribe(tmp_path, site.url("auvergne.ics"), "Habitat Auvergne")
    subscribe(tmp_path, site.url("absent.ics"), "Disparu")
    assert main(["read-feeds"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == [
        "Habitat Auvergne : 9 événements, 9 ajoutés, 0 mis à jour, 0 annulé, 0 inchangé, 0 déjà dans un autre agenda"
        f" — {site.url('auvergne.ics')}",
        f"Disparu : illisible (le serveur répond par une erreur 404) — {site.url('absent.ics')}",
    ]
    assert main(["read-feeds"]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("Habitat Auvergne : inchangé depuis la dernière lecture")
    site.feeds.clear()
    assert main(["read-feeds"]) == 1  # none could be read
