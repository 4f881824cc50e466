from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from bot.__main__ import copy_to_postgres
from bot.config import Settings
from bot.db import MIGRATIONS_DIR, Database, SqliteDatabase, discover_migrations
from bot.postgres import PG_MIGRATIONS_DIR, PostgresDatabase, numbered
from bot.problems import Stop
from tests.pg import Cluster


def test_every_sqlite_migration_has_its_postgresql_twin_and_no_other() -> None:
    sqlite = [(m.version, m.name) for m in discover_migrations(MIGRATIONS_DIR)]
    postgresql = [(m.version, m.name) for m in discover_migrations(PG_MIGRATIONS_DIR)]
    assert postgresql == sqlite


def test_placeholders_are_numbered_outside_quotes() -> None:
    sql = "SELECT '?' AS q, \"a?\" FROM t WHERE a = ? AND b IN (?, ?) AND c LIKE 'x?y'"
    assert numbered(sql) == "SELECT '?' AS q, \"a?\" FROM t WHERE a = $1 AND b IN ($2, $3) AND c LIKE 'x?y'"


async def test_only_one_of_many_claims_wins(db: Database) -> None:
    await db.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 'x')")
    row_id = await db.insert(
        "INSERT INTO outbox (kind, target, recipient_id, due_at, created_at) VALUES ('k', 'dm', 5, 'x', 'x')"
        " RETURNING id"
    )
    now = datetime(2027, 3, 1, tzinfo=UTC)
    lease = timedelta(minutes=2)
    won = await asyncio.gather(*(db.claim("outbox", row_id, now, lease) for _ in range(8)))
    assert won.count(True) == 1
    assert not await db.claim("outbox", row_id, now + timedelta(minutes=1), lease)
    assert await db.claim("outbox", row_id, now + lease + timedelta(seconds=1), lease)  # a crashed claim comes back


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
    assert "outbox : 3" in printed and "guild_reminder_offsets : 2" in printed and "6 lignes" in printed

    async def after() -> tuple[int, list[str]]:
        async with PostgresDatabase(url) as pg:
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
