"""Fixtures shared by unit and end-to-end tests."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from bot.db import Database, SqliteDatabase
from bot.postgres import PostgresDatabase
from tests.pg import Cluster, NoServer

# The unit test modules whose `db` stays on SQLite: they count the steps of SQLite's virtual machine.
SQLITE_ONLY = frozenset({"test_scheduler"})

_skipped_postgres: list[str] = []


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    module = metafunc.module.__name__
    name = module.rsplit(".", 1)[-1]
    unit = "db" in metafunc.fixturenames and ".unit." in module and name not in SQLITE_ONLY
    # Every end-to-end test on a sandbox (one server or three); the shards' test and the two processes' (which
    # runs on both engines by itself) start their own bots.
    e2e = ".e2e." in module and ("sb" in metafunc.fixturenames or "network" in metafunc.fixturenames)
    if unit or e2e:
        metafunc.parametrize("engine", ["sqlite", "postgresql"])


@pytest.fixture
def engine() -> str:
    return "sqlite"


@pytest.fixture(scope="session")
def postgres_cluster() -> Iterator[Cluster | None]:
    try:
        cluster = Cluster.start()
    except NoServer as exc:
        if os.environ.get("REQUIRE_POSTGRES") == "1":
            pytest.fail(f"REQUIRE_POSTGRES=1 mais aucun serveur PostgreSQL n'a pu démarrer : {exc}")
        _skipped_postgres.append(str(exc))
        yield None
        return
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture
async def db(tmp_path: Path, engine: str, request: pytest.FixtureRequest) -> AsyncIterator[Database]:
    """A real database, migrated to the latest schema: a SQLite file, or a fresh PostgreSQL database."""
    database: Database
    if engine == "postgresql":
        cluster: Cluster | None = request.getfixturevalue("postgres_cluster")
        if cluster is None:
            pytest.skip("PostgreSQL indisponible")
        database = PostgresDatabase(await cluster.fresh(), pool_size=4)
    else:
        database = SqliteDatabase(tmp_path / "test.sqlite3")
    await database.connect()
    await database.migrate()
    try:
        yield database
    finally:
        await database.close()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _skipped_postgres:
        terminalreporter.write_line(f"moitié PostgreSQL des tests sautée : {_skipped_postgres[0]}")
