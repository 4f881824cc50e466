from __future__ import annotations

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from bot.db import MIGRATIONS_DIR, Database, Duplicate, MigrationError, SqliteDatabase, discover_migrations
from bot.geo import geography
from bot.postgres import PostgresDatabase
from bot.projects.models import ProjectDraft
from bot.projects.store import ProjectStore
from bot.vocabulary import Etape
from tests.support import another, heard


async def tables(db: Database) -> set[str]:
    return set(await db.tables())


async def test_fresh_database_gets_every_migration(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "a.sqlite3") as db:
        applied = await db.migrate()
        assert applied == [m.version for m in discover_migrations()]
        assert await db.schema_version() == applied[-1]
        assert {"guild_settings", "guild_reminder_offsets", "schema_version"} <= await tables(db)


async def test_migrating_twice_changes_nothing(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "a.sqlite3") as db:
        await db.migrate()
        before = await db.fetchall("SELECT * FROM schema_version")
        assert await db.migrate() == []
        assert [tuple(r) for r in await db.fetchall("SELECT * FROM schema_version")] == [tuple(r) for r in before]


async def test_failed_migration_leaves_database_as_it_was(tmp_path: Path) -> None:
    migrations = tmp_path / "migrations"
    migrations.mkdir()
    (migrations / "0001_good.sql").write_text("CREATE TABLE kept (id INTEGER PRIMARY KEY);", encoding="utf-8")
    (migrations / "0002_broken.sql").write_text(
        "CREATE TABLE half_done (id INTEGER PRIMARY KEY);\nINSERT INTO kept VALUES (1);\nTHIS IS NOT SQL;",
        encoding="utf-8",
    )
    async with SqliteDatabase(tmp_path / "a.sqlite3") as db:
        with pytest.raises(MigrationError, match="0002_broken"):
            await db.migrate(migrations)
        assert await db.schema_version() == 1
        assert "half_done" not in await tables(db)
        assert await db.fetchall("SELECT * FROM kept") == []
        # Once fixed, the same migration applies.
        (migrations / "0002_broken.sql").write_text("CREATE TABLE half_done (id INTEGER);", encoding="utf-8")
        assert await db.migrate(migrations) == [2]


def test_migration_files_are_numbered_without_gaps() -> None:
    versions = [m.version for m in discover_migrations(MIGRATIONS_DIR)]
    assert sorted(versions) == list(range(1, max(versions) + 1))


async def test_bad_migration_name_is_refused(tmp_path: Path) -> None:
    (tmp_path / "initial.sql").write_text("SELECT 1;", encoding="utf-8")
    with pytest.raises(MigrationError, match="NNNN_name"):
        discover_migrations(tmp_path)


async def test_wal_foreign_keys_and_busy_timeout_are_on(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "a.sqlite3") as db:  # SQLite's own settings
        await db.migrate()
        assert (await db.fetchone("PRAGMA journal_mode"))[0] == "wal"  # type: ignore[index]
        assert (await db.fetchone("PRAGMA foreign_keys"))[0] == 1  # type: ignore[index]
        assert (await db.fetchone("PRAGMA busy_timeout"))[0] == 5000  # type: ignore[index]
        with pytest.raises(sqlite3.IntegrityError):
            await db.execute("INSERT INTO guild_reminder_offsets (guild_id, minutes) VALUES (999, 10)")


async def test_transaction_rolls_back_on_error(db: Database) -> None:
    with pytest.raises(RuntimeError):
        async with db.transaction():
            await db.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 'x')")
            raise RuntimeError("boom")
    assert await db.fetchall("SELECT * FROM guild_settings") == []


async def test_transaction_commits(db: Database) -> None:
    async with db.transaction():
        await db.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 'x')")
    assert len(await db.fetchall("SELECT * FROM guild_settings")) == 1


async def test_insert_gives_the_new_id_and_update_the_rows_changed(db: Database) -> None:
    first = await db.insert(
        "INSERT INTO announcements (guild_id, channel_id, author_id, content, rule, at_hour, at_minute, timezone,"
        " created_at) VALUES (1, 2, 3, 'a', 'once', 9, 0, 'Europe/Paris', 'x') RETURNING id"
    )
    second = await db.insert(
        "INSERT INTO announcements (guild_id, channel_id, author_id, content, rule, at_hour, at_minute, timezone,"
        " created_at) VALUES (1, 2, 3, 'b', 'once', 9, 0, 'Europe/Paris', 'x') RETURNING id"
    )
    assert second == first + 1
    assert await db.update("UPDATE announcements SET active = 0 WHERE guild_id = ?", (1,)) == 2
    assert await db.update("UPDATE announcements SET active = 0 WHERE guild_id = ?", (9,)) == 0


async def test_nested_block_rolls_back_alone(db: Database) -> None:
    async with db.transaction():
        await db.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 'x')")
        with pytest.raises(ValueError):
            async with db.transaction():
                await db.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (2, 'x')")
                raise ValueError
    rows = await db.fetchall("SELECT guild_id FROM guild_settings")
    assert [r["guild_id"] for r in rows] == [1]


async def test_other_tasks_never_see_an_open_transaction(db: Database) -> None:
    inside = asyncio.Event()
    release = asyncio.Event()
    seen: list[int] = []

    async def writer() -> None:
        async with db.transaction():
            await db.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 'x')")
            inside.set()
            await release.wait()
            raise RuntimeError("rolled back")

    async def reader() -> None:
        await inside.wait()
        task = asyncio.create_task(db.fetchall("SELECT * FROM guild_settings"))
        await asyncio.sleep(0)  # let the read queue behind the open transaction
        release.set()
        seen.append(len(await task))

    results = await asyncio.gather(writer(), reader(), return_exceptions=True)
    assert isinstance(results[0], RuntimeError)
    assert seen == [0]


async def test_a_lookup_reads_what_is_committed_without_waiting_and_a_transaction_its_own_writes(db: Database) -> None:
    sql = "SELECT guild_id FROM guild_settings WHERE guild_id IN (1, 2) ORDER BY guild_id"
    await db.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 'x')")
    inside = asyncio.Event()
    release = asyncio.Event()

    async def writer() -> None:
        async with db.transaction():
            await db.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (2, 'x')")
            assert [row["guild_id"] for row in await db.lookup(sql)] == [1, 2]
            inside.set()
            await release.wait()

    writing = asyncio.create_task(writer())
    await inside.wait()
    read = asyncio.create_task(db.lookup(sql))
    done, _ = await asyncio.wait({read}, timeout=30)  # a guard: the read must not wait for the transaction
    release.set()
    await writing
    assert read in done
    assert [row["guild_id"] for row in read.result()] == [1]
    assert [row["guild_id"] for row in await db.lookup(sql)] == [1, 2]


def test_a_file_that_cannot_be_opened_leaves_no_thread_behind(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Neither a worker thread that keeps the process alive (not a database) nor one that reports to
    a closed event loop with a traceback (a folder): the command line stops with one line."""
    failures: list[threading.ExceptHookArgs] = []
    monkeypatch.setattr(threading, "excepthook", failures.append)
    before = set(threading.enumerate())
    not_a_database = tmp_path / "notes.sqlite3"
    not_a_database.write_text("Pas une base de données.\n" * 50, encoding="utf-8")
    for path in (not_a_database, tmp_path):
        with pytest.raises(sqlite3.DatabaseError):
            asyncio.run(SqliteDatabase(path).connect())
    for thread in set(threading.enumerate()) - before:
        thread.join(timeout=5)
        assert not thread.is_alive(), thread
    assert failures == []


async def test_check_writable_writes_nothing(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "a.sqlite3") as db:
        await db.migrate()
        before = await tables(db)
        await db.check_writable()
        assert await tables(db) == before


async def test_a_backup_is_one_file_with_everything(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "a.sqlite3") as db:
        await db.migrate()
        await db.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (42, '2027-03-01')")
        await db.backup(tmp_path / "copie.sqlite3")
        version = await db.schema_version()
    with sqlite3.connect(tmp_path / "copie.sqlite3") as copy:
        assert copy.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
        assert copy.execute("SELECT guild_id FROM guild_settings").fetchall() == [(42,)]
        assert copy.execute("SELECT MAX(version) FROM schema_version").fetchone()[0] == version


async def test_a_repeated_unique_key_is_the_same_error_on_every_engine(db: Database) -> None:
    insert = "INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 'x')"
    await db.execute(insert)
    with pytest.raises(Duplicate):
        await db.execute(insert)
    with pytest.raises(Duplicate):  # inside a transaction too, which it undoes
        async with db.transaction():
            await db.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (2, 'x')")
            await db.execute(insert)
    assert [row["guild_id"] for row in await db.fetchall("SELECT guild_id FROM guild_settings")] == [1]


async def test_a_change_log_counts_what_this_process_writes_at_once_and_another_s_once_heard(db: Database) -> None:
    """An index reads its change log only when the count moved: at once for this process's writes, for another
    process's from the database (SQLite) or its notification (PostgreSQL); never for another table's writes."""
    log = "project_changes"
    verger = ProjectDraft(nom="Le Verger", code_insee="63113", etape=Etape.emergence)
    async with another(db) as other:
        await heard(db, log, None)  # on PostgreSQL, listening
        start = db.change_count(log)
        await db.execute("INSERT INTO guild_settings (guild_id, updated_at) VALUES (1, 'x')")
        assert db.change_count(log) == start
        await ProjectStore(db, geography()).import_drafts([verger])
        mine = db.change_count(log)
        assert mine != start
        households = db.change_count("household_changes")
        await ProjectStore(other, geography()).import_drafts([verger.model_copy(update={"nom": "La Grange"})])
        await heard(db, log, mine)
        assert db.change_count("household_changes") == households


async def test_postgresql_hears_changes_again_once_its_listening_connection_is_back(db: Database) -> None:
    if not isinstance(db, PostgresDatabase):
        pytest.skip("PostgreSQL's notifications")
    log = "project_changes"
    await heard(db, log, None)
    before = db.change_count(log)
    listener = db._listener
    assert listener is not None
    await db.execute("SELECT pg_terminate_backend(?)", (listener.get_server_pid(),))
    # Another process's change while nobody listened: the count moves with the new connection, and the index
    # reads its log (meanwhile the count is unknown, and it reads it every time).
    async with another(db) as other:
        await ProjectStore(other, geography()).import_drafts(
            [ProjectDraft(nom="Le Verger", code_insee="63113", etape=Etape.emergence)]
        )
    await heard(db, log, before)
    assert db._listener is not listener and not db._listener.is_closed()  # type: ignore[union-attr]


async def test_the_count_of_changes_is_read_in_place_whatever_the_file_is_called(tmp_path: Path) -> None:
    async with SqliteDatabase(tmp_path / "habitat #1 ?à%20.sqlite3") as db:
        await db.migrate()
        assert db.change_count("project_changes") == 0  # read from the file, not unknown
        await ProjectStore(db, geography()).import_drafts(
            [ProjectDraft(nom="Le Verger", code_insee="63113", etape=Etape.emergence)]
        )
        assert db.change_count("project_changes") == 1
