from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.__main__ import copy_to_postgres
from bot.config import Settings
from bot.db import MIGRATIONS_DIR, Database, SqliteDatabase, discover_migrations
from bot.geo import geography
from bot.postgres import PG_MIGRATIONS_DIR, PostgresDatabase, numbered
from bot.problems import Stop
from bot.projects.models import ProjectDraft
from bot.projects.store import ProjectStore
from bot.vocabulary import Etape
from tests.pg import Cluster


def test_every_sqlite_migration_has_its_postgresql_twin_and_no_other() -> None:
    sqlite = [(m.version, m.name) for m in discover_migrations(MIGRATIONS_DIR)]
    postgresql = [(m.version, m.name) for m in discover_migrations(PG_MIGRATIONS_DIR)]
    assert postgresql == sqlite


def test_placeholders_are_numbered_outside_quotes() -> None:
    sql = "SELECT '?' AS q, \"a?\" FROM t WHERE a = ? AND b IN (?, ?) AND c LIKE 'x?y'"
    assert numbered(sql) == "SELECT '?' AS q, \"a?\" FROM t WHERE a = $1 AND b IN ($2, $3) AND c LIKE 'x?y'"


async def test_concurrent_takers_share_the_due_rows_each_taken_once(db: Database) -> None:
    """Eight workers taking ten rows at a time from 100 due rows: each row goes to one of them; a claim
    outlives no lease (taken again after it, as after a crash) and rows not yet due are left alone."""
    await db.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 'x')")
    for n in range(100):
        await db.insert(
            "INSERT INTO outbox (kind, target, recipient_id, due_at, created_at) VALUES ('k', 'dm', ?, ?, 'x')"
            " RETURNING id",
            (n, "2027-03-01T00:00:00+00:00" if n < 90 else "2027-03-02T00:00:00+00:00"),
        )
    now = datetime(2027, 3, 1, 12, tzinfo=UTC)
    lease = timedelta(minutes=2)

    async def taker() -> list[int]:
        taken: list[int] = []
        while rows := await db.take(
            "outbox", now, lease, live="due_at <= ?", params=("2027-03-01T12:00:00+00:00",), order="due_at, id",
            limit=10,
        ):  # fmt: skip
            taken += [row["recipient_id"] for row in rows]
        return taken

    shares = await asyncio.gather(*(taker() for _ in range(8)))
    assert sorted(n for share in shares for n in share) == list(range(90))
    again = now + lease + timedelta(seconds=1)
    rows = await db.take("outbox", again, lease, live="TRUE", order="id", limit=5)
    assert sorted(row["recipient_id"] for row in rows) == [0, 1, 2, 3, 4]  # a crashed claim comes back, the first first


async def test_the_data_tables_leave_the_full_text_indexes_out(db: Database) -> None:
    tables = await db.tables()
    assert {"projects", "ads", "resources", "outbox", "schema_version"} <= set(tables)
    assert not [name for name in tables if "_fts" in name]


def test_copy_database_moves_every_row_into_an_empty_postgresql_once(
    tmp_path: Path, postgres_cluster: Cluster | None, capsys: pytest.CaptureFixture[str]
) -> None:
    if postgres_cluster is None:
        pytest.skip("PostgreSQL indisponible")
    settings = Settings(_env_file=None, database_path=tmp_path / "bot.sqlite3")

    async def furnish() -> None:
        async with SqliteDatabase(settings.database_path) as lite:
            await lite.migrate()
            await lite.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 'x')")
            await lite.execute_many(
                "INSERT INTO guild_reminder_offsets (guild_id, minutes) VALUES (1, ?)", [(10,), (60,)]
            )
            projects = ProjectStore(lite, geography())
            await projects.propose(
                ProjectDraft(nom="Les Choux", code_insee="63113", etape=Etape.emergence),
                proposer_id=5, guild_id=None, locale="fr",
            )  # fmt: skip
            for n in range(3):
                await lite.insert(
                    "INSERT INTO outbox (kind, target, recipient_id, due_at, created_at) VALUES (?, 'dm', 5, 'x', 'x')"
                    " RETURNING id",
                    (f"k{n}",),
                )

    asyncio.run(furnish())
    url = asyncio.run(postgres_cluster.fresh())
    assert copy_to_postgres(settings, url) == 0
    printed = capsys.readouterr().out
    assert "outbox : 3" in printed and "guild_reminder_offsets : 2" in printed and "projects : 1" in printed

    async def after() -> tuple[int, list[str]]:
        async with PostgresDatabase(url) as pg:
            # The copied project is in the target's change log, as the target's triggers wrote it: its index
            # finds it, and the next change is numbered after it.
            logged = await pg.fetchall("SELECT seq, project_id FROM project_changes")
            assert [tuple(row) for row in logged] == [(1, 1)]
            new_id = await pg.insert(
                "INSERT INTO outbox (kind, target, recipient_id, due_at, created_at) VALUES ('n', 'dm', 5, 'x', 'x')"
                " RETURNING id"
            )
            kinds = [row["kind"] for row in await pg.fetchall("SELECT kind FROM outbox ORDER BY id")]
            return new_id, kinds

    new_id, kinds = asyncio.run(after())
    assert new_id == 4 and kinds == ["k0", "k1", "k2", "n"]
    with pytest.raises(Stop, match="n'est pas vide"):
        copy_to_postgres(settings, url)
