"""The database behind every store: one engine-neutral interface, SQLite (aiosqlite) its first engine.

Why a thin dialect layer and not SQLAlchemy Core: the stores hold hand-written SQL with `?`
placeholders, tuned query by query. A layer of a few hundred lines keeps every query as it is
written, adds no ORM or expression language to learn, and the few real differences between the
engines (full text, upsert and `RETURNING`, locking a batch of due rows, schema introspection) are
named in one `Dialect` object that stores ask for the pieces they need. Stores write the standard
forms both engines accept (`ON CONFLICT … DO NOTHING/UPDATE`, `RETURNING id`, no engine-only
functions) and call only `Database`'s helpers.

SQLite: one connection serves the whole bot; a lock serialises its use so that one task's open
transaction is never seen, or joined, by another task. A task that already holds the transaction
may read and write through the same helpers without deadlocking: inside `async with
db.transaction():` every helper reuses the held connection.
"""

from __future__ import annotations

import asyncio
import contextvars
import dataclasses
import logging
import re
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Iterable, Iterator, Sequence, Sized
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, Self, TypeVar, cast

import aiosqlite
from pydantic import BaseModel

from bot.clock import Clock, to_db, utc_now
from bot.text import fts_query, stemmed

if TYPE_CHECKING:
    from bot.config import Settings

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).with_name("migrations")
BUSY_TIMEOUT_MS = 5000
_MIGRATION_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")

Params = Sequence[Any] | dict[str, Any]
Model = TypeVar("Model")


class Duplicate(Exception):
    """A row would repeat another's unique key: on PostgreSQL two members may both pass a store's check
    before either writes. The same error on every engine, for the store to say it in words."""


class Row(Protocol):
    """A row as both engines give it: its columns by name and by position."""

    def __getitem__(self, key: int | str, /) -> Any: ...

    def __iter__(self) -> Iterator[Any]: ...

    def __len__(self) -> int: ...

    def keys(self) -> Iterable[str]: ...


def from_row(model: type[Model], row: Row, **computed: Any) -> Model:
    """A pydantic model or dataclass from the row's columns named as its fields; `computed` gives the
    fields no column holds as they are (a moment, a flag a dataclass does not convert, another table's)."""
    if issubclass(model, BaseModel):
        names: Iterable[str] = model.model_fields
    else:
        names = (field.name for field in dataclasses.fields(cast(Any, model)))
    return model(**{name: row[name] for name in names if name not in computed}, **computed)


def marks(values: Sized) -> str:
    """The placeholders of `IN (...)` for these values."""
    return ",".join("?" * len(values))


def changes_since(select: str, since: int, missing: Sequence[int], limit: int) -> tuple[str, tuple[Any, ...]]:
    """The query of a change log's rows (`select`, its numbers as `c.seq`) past number `since` or numbered
    `missing`, in order (bot/changes.py). Two searches by number rather than one OR, which SQLite answers by
    reading every number; the missing numbers are all below `since`, so the two never meet."""
    extra = f" UNION ALL {select} WHERE c.seq IN ({marks(missing)})" if missing else ""
    return f"{select} WHERE c.seq > ?{extra} ORDER BY seq LIMIT ?", (since, *missing, limit)


class Where:
    """The conditions of a query, joined by AND; each is added with its parameters, so that they stay in order."""

    def __init__(self, *clauses: str) -> None:
        self.clauses = list(clauses)
        self.params: list[Any] = []

    def add(self, clause: str, *params: Any) -> None:
        self.clauses.append(clause)
        self.params.extend(params)

    def among(self, column: str, values: Sequence[Any]) -> None:
        """`column` holds one of `values` (at least one)."""
        self.add(f"{column} IN ({marks(values)})", *values)

    def __str__(self) -> str:
        return " AND ".join(self.clauses) or "TRUE"


class MigrationError(Exception):
    """A migration failed; the database was left as it was before it."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    path: Path


def discover_migrations(directory: Path = MIGRATIONS_DIR) -> list[Migration]:
    migrations = []
    for path in sorted(directory.glob("*.sql")):
        match = _MIGRATION_NAME.match(path.name)
        if not match:
            raise MigrationError(f"{path.name}: a migration is named NNNN_name.sql")
        migrations.append(Migration(int(match.group(1)), match.group(2), path))
    versions = [m.version for m in migrations]
    if len(set(versions)) != len(versions):
        raise MigrationError("two migrations share a number")
    return migrations


# ---------------------------------------------------------------------- dialects


@dataclass(frozen=True)
class TextSearch:
    """The pieces of a full-text search for a store's query, each with its parameters: `source` stands
    for the table in FROM (joined with its index) and goes with `condition`, ordered by `rank` (best
    first, no parameter); `among`, alone, keeps the rows whose id is in the match, for a query that walks
    the table by another index."""

    source: str
    source_params: tuple[Any, ...]
    condition: str
    condition_params: tuple[Any, ...]
    rank: str
    among: str
    among_params: tuple[Any, ...]


class Dialect(ABC):
    """What differs between the engines, as SQL pieces the stores put in their queries."""

    name: str
    # After a query's LIMIT, to pass over rows other transactions hold (SQLite has one writer at a time).
    skip_locked = ""
    # After a query, to hold the rows it reads until the transaction ends (SQLite: its write lock already does).
    for_update = ""
    # A query taking a lock on its one text parameter until the transaction ends (SQLite: none needed, as above).
    lock_name = ""
    # Rows a long write (an import) commits at a time: SQLite has one writer, and every other member's write
    # waits for the commit.
    batch_rows = 100

    @abstractmethod
    def listed(self, expression: str) -> str:
        """The aggregate of `expression` over a group's rows as one text, the values apart by spaces."""

    @abstractmethod
    def text_match(self, index: str, table: str, alias: str, text: str) -> TextSearch | None:
        """Search `text` (French words, stems and accents folded) in the full-text `index` of `table`
        (named `alias` in the query; its key is `id`); None when no word is left to search."""


class SqliteDialect(Dialect):
    name = "sqlite"

    def listed(self, expression: str) -> str:
        return f"group_concat({expression}, ' ')"

    def text_match(self, index: str, table: str, alias: str, text: str) -> TextSearch | None:
        query = fts_query(text)
        if query is None:
            return None
        return TextSearch(
            # CROSS JOIN keeps the full-text index first: the other order re-runs the match per row.
            source=f"{index} CROSS JOIN {table} {alias} ON {alias}.id = {index}.rowid",
            source_params=(),
            condition=f"{index} MATCH ?",
            condition_params=(query,),
            rank=f"bm25({index})",
            among=f"{alias}.id IN (SELECT rowid FROM {index} WHERE {index} MATCH ?)",
            among_params=(query,),
        )


# ---------------------------------------------------------------------- the interface


class Database(ABC):
    """The helpers stores use, the same on every engine. Inside `async with db.transaction():` the
    helpers reuse the transaction's connection; nested blocks are savepoints."""

    dialect: Dialect

    def __init__(self, *, clock: Clock = utc_now) -> None:
        self.clock = clock

    @abstractmethod
    async def connect(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @property
    @abstractmethod
    def is_connected(self) -> bool: ...

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.close()

    @abstractmethod
    async def check_writable(self) -> None:
        """Raise the engine's error now if the database cannot be written, without writing anything."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[None]:
        """Commit when the block ends, roll back if it raises. Nested blocks are savepoints."""

    @abstractmethod
    async def execute(self, sql: str, params: Params = ()) -> None:
        """Run one statement."""

    @abstractmethod
    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        """Run one statement for each of `rows`, all in one transaction."""

    @abstractmethod
    async def update(self, sql: str, params: Params = ()) -> int:
        """Run one UPDATE, DELETE or INSERT; returns how many rows it changed."""

    async def insert(self, sql: str, params: Params = ()) -> int:
        """Run one INSERT ending in `RETURNING id`; returns the new row's id."""
        row = await self.fetchone(sql, params)
        if row is None:
            raise RuntimeError(f"no id returned by: {sql}")
        return int(row[0])

    async def write_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        """Many new rows of `table` at once (an import's): an INSERT of a few hundred rows at a time."""
        await self._insert_rows(table, columns, rows, returning="")

    async def write_numbered(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
        """As `write_rows`, for a table keyed by `id`: the new rows' ids, in the rows' order."""
        returned = await self._insert_rows(table, columns, rows, returning=" RETURNING id")
        # SQLite numbers new rows in the order of VALUES (one past the greatest id), while RETURNING lists them
        # in no promised order. (PostgreSQL takes its ids from the sequence before copying the rows.)
        return sorted(row["id"] for row in returned)

    async def _insert_rows(
        self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]], *, returning: str
    ) -> list[Row]:
        # SQLite takes at most 32,766 parameters a statement.
        size = max(1, 32_766 // len(columns))
        returned: list[Row] = []
        for start in range(0, len(rows), size):
            part = rows[start : start + size]
            returned += await self.fetchall(
                f"INSERT INTO {table} ({', '.join(columns)}) VALUES {', '.join([f'({marks(columns)})'] * len(part))}"
                + returning,
                [value for row in part for value in row],
            )
        return returned

    @abstractmethod
    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]: ...

    async def lookup(self, sql: str, params: Params = ()) -> list[Row]:
        """`fetchall` for a read of a few rows by key, which an engine may do at once (SQLite)."""
        return await self.fetchall(sql, params)

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """The first row of a query meant to give at most one (it reads them all)."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def hold(self, table: str, row_id: int) -> None:
        """Inside a transaction, keep other processes' transactions off this row until it ends, so that what is
        read and then written from it (seats left, the waiting line) holds: PostgreSQL's transactions otherwise
        run side by side, SQLite's write transactions already one at a time. `table` comes from the code."""
        if self.dialect.for_update:
            await self.fetchone(f"SELECT id FROM {table} WHERE id = ?{self.dialect.for_update}", (row_id,))

    async def hold_key(self, scope: str, key: int) -> None:
        """As `hold`, for what no row stands for (a member's ads, their pending requests): the transactions
        holding the same `scope` and `key` go one after the other."""
        if self.dialect.lock_name:
            await self.fetchone(self.dialect.lock_name, (f"{scope}:{key}",))

    async def take(
        self,
        table: str,
        now: datetime,
        lease: timedelta,
        *,
        live: str,
        params: Sequence[Any] = (),
        order: str,
        limit: int,
        column: str = "claimed_at",
    ) -> list[Row]:
        """Claim up to `limit` rows for delivery (rule 4) and return them, in no order: the `live` rows (with
        their `params`) whose claim is free, or left by a crash and older than `lease`, first in `order`, marked
        claimed at `now` in one statement, so that a row goes to one worker only. PostgreSQL skips the rows
        another process is taking instead of waiting for them: several processes share a round rather than
        compete for its first rows. `table`, `live`, `order` and `column` come from the code, never from input."""
        return await self.fetchall(
            f"UPDATE {table} SET {column} = ? WHERE id IN (SELECT id FROM {table} WHERE ({live})"
            f" AND ({column} IS NULL OR {column} < ?) ORDER BY {order} LIMIT ?{self.dialect.skip_locked})"
            " RETURNING *",
            (to_db(now), *params, to_db(now - lease), limit),
        )

    def change_count(self, log: str) -> int | None:
        """A number that moves whenever a row of the change log `log` (`household_changes`, `project_changes`) is
        written, by any process, read in this thread at once: an in-memory index reads its log only when the
        number moved since its last reading. None: it cannot be told now, and the log must be read."""
        return None

    @abstractmethod
    async def tables(self) -> list[str]:
        """The tables holding the bot's data, by name (the full-text indexes, derived, left out)."""

    @abstractmethod
    async def schema_version(self) -> int: ...

    @abstractmethod
    async def migrate(self, directory: Path | None = None) -> list[int]:
        """Apply the migrations not yet recorded, each in its own transaction; returns their numbers."""


def open_database(settings: Settings, *, clock: Clock = utc_now) -> Database:
    """The database the settings name (not yet connected): DATABASE_URL's PostgreSQL when it is set,
    else DATABASE_PATH's SQLite file."""
    if settings.database_url is not None:
        from bot.postgres import PostgresDatabase

        return PostgresDatabase(settings.database_url, clock=clock)
    return SqliteDatabase(settings.database_path, clock=clock)


# ---------------------------------------------------------------------- SQLite


@contextmanager
def _duplicates() -> Iterator[None]:
    try:
        yield
    except sqlite3.IntegrityError as exc:
        if not str(exc).startswith("UNIQUE constraint failed"):
            raise
        raise Duplicate(str(exc)) from exc


_holder: contextvars.ContextVar[SqliteDatabase | None] = contextvars.ContextVar("db_holder", default=None)


async def _open(path: Path) -> aiosqlite.Connection:
    """An aiosqlite connection, whose worker thread is over when opening fails: aiosqlite stops it
    without waiting, and a thread that answers once the event loop is closed prints a traceback
    (omnilib/aiosqlite#241)."""
    conn = aiosqlite.connect(path, isolation_level=None)
    try:
        return await conn
    except BaseException:
        await asyncio.to_thread(conn._thread.join)
        raise


class SqliteDatabase(Database):
    dialect = SqliteDialect()

    def __init__(self, path: Path | str, *, clock: Clock = utc_now) -> None:
        super().__init__(clock=clock)
        self.path = Path(path)
        self._conn: aiosqlite.Connection | None = None
        self._lock = asyncio.Lock()
        # Read in the event loop's thread, for `change_count` and `lookup`: reads of a few pages, where the trip
        # to aiosqlite's thread and back is worth tenths of a millisecond, or more, to a member waiting.
        self._reader: sqlite3.Connection | None = None

    async def connect(self) -> None:
        if self.path.parent != Path():
            self.path.parent.mkdir(parents=True, exist_ok=True)
        conn = await _open(self.path)
        try:
            conn.row_factory = aiosqlite.Row
            await conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
            await conn.execute("PRAGMA journal_mode = WAL")
            await conn.execute("PRAGMA foreign_keys = ON")
            await conn.execute("PRAGMA synchronous = NORMAL")
            # The full-text triggers of ads and resources call this, so every connection that writes must know it.
            await conn.create_function("fts_fr", -1, stemmed, deterministic=True)
        except BaseException:
            # Not a database, or read-only: close it, or its thread keeps the process alive.
            await conn.close()
            raise
        self._conn = conn
        try:
            # Never waits for a lock (timeout 0): a busy database answers None, and the log is read.
            self._reader = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True, timeout=0)
            self._reader.row_factory = sqlite3.Row
        except sqlite3.Error:
            log.warning("%s : lecteur immédiat indisponible, les index liront leur journal", self.path)

    async def check_writable(self) -> None:
        """Raise sqlite3's error now if the file cannot be written (read-only file or folder), without
        writing anything: a table created in a transaction that is rolled back."""
        async with self._use() as conn:
            await conn.execute("BEGIN IMMEDIATE")
            try:
                await conn.execute("CREATE TABLE main._write_check (x)")
            finally:
                await conn.execute("ROLLBACK")

    async def backup(self, target: Path) -> None:
        """Copy the database into the new file `target` with SQLite's online backup API: a consistent
        copy even while the bot writes, which waits for no one. The copy is one file (no -wal)."""
        async with self._use() as conn:
            copy = await _open(target)
            try:
                await conn.backup(copy)
                await copy.execute("PRAGMA journal_mode = DELETE")
            finally:
                await copy.close()

    async def close(self) -> None:
        if self._reader is not None:
            self._reader.close()
            self._reader = None
        if self._conn is not None:
            await self._conn.close()
            self._conn = None

    def change_count(self, log: str) -> int | None:
        # A log's AUTOINCREMENT number, which each row written takes past all others (a row renumbered as well),
        # committed by any connection: SQLite writes one transaction at a time, so none comes in later below it.
        if self._reader is None:
            return None
        try:
            # fetchall: the statement ends, and with it the read that would hold back the WAL's checkpoints.
            rows = self._reader.execute("SELECT seq FROM sqlite_sequence WHERE name = ?", (log,)).fetchall()
        except sqlite3.Error:  # busy, or not migrated yet
            return None
        return int(rows[0][0]) if rows else 0

    @property
    def is_connected(self) -> bool:
        return self._conn is not None

    @property
    def conn(self) -> aiosqlite.Connection:
        if self._conn is None:
            raise RuntimeError("Database.connect() was not called")
        return self._conn

    @asynccontextmanager
    async def _use(self) -> AsyncIterator[aiosqlite.Connection]:
        if _holder.get() is self:
            with _duplicates():
                yield self.conn
            return
        async with self._lock:
            token = _holder.set(self)
            try:
                with _duplicates():
                    yield self.conn
            finally:
                _holder.reset(token)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        async with self._use() as conn:
            if conn.in_transaction:
                await conn.execute("SAVEPOINT nested")
                try:
                    yield
                except BaseException:
                    await conn.execute("ROLLBACK TO nested")
                    await conn.execute("RELEASE nested")
                    raise
                await conn.execute("RELEASE nested")
                return
            await conn.execute("BEGIN IMMEDIATE")
            try:
                yield
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            await conn.execute("COMMIT")

    async def execute(self, sql: str, params: Params = ()) -> None:
        async with self._use() as conn:
            await conn.execute(sql, params)

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction():
            await self.conn.executemany(sql, rows)

    async def update(self, sql: str, params: Params = ()) -> int:
        async with self._use() as conn:
            cursor = await conn.execute(sql, params)
            return cursor.rowcount

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        # One trip to aiosqlite's thread; a cursor would take three (execute, fetch, close).
        async with self._use() as conn:
            return list(await conn.execute_fetchall(sql, params))

    async def lookup(self, sql: str, params: Params = ()) -> list[Row]:
        # In WAL mode a reader never waits for the writer: what is committed, read at once (timeout 0: busy, as
        # when the file is being recovered, it goes the usual way). Inside this task's transaction, that way
        # too, which sees what the transaction wrote.
        if self._reader is not None and _holder.get() is not self:
            try:
                return self._reader.execute(sql, params).fetchall()
            except sqlite3.OperationalError:
                pass
        return await self.fetchall(sql, params)

    async def tables(self) -> list[str]:
        # An FTS5 table's shadow tables are named after it: project_fts_data, …; sqlite_sequence is SQLite's own.
        rows = await self.fetchall(
            "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE '%\\_fts%' ESCAPE '\\'"
            " AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name"
        )
        return [row["name"] for row in rows]

    async def schema_version(self) -> int:
        async with self._use() as conn:
            if not await self._has_version_table(conn):
                return 0
            async with conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version") as cursor:
                row = await cursor.fetchone()
        return int(row[0]) if row else 0

    @staticmethod
    async def _has_version_table(conn: aiosqlite.Connection) -> bool:
        sql = "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
        async with conn.execute(sql) as cursor:
            return await cursor.fetchone() is not None

    async def migrate(self, directory: Path | None = None) -> list[int]:
        applied: list[int] = []
        async with self._use() as conn:
            await conn.execute(
                "CREATE TABLE IF NOT EXISTS schema_version ("
                " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
            )
            async with conn.execute("SELECT version FROM schema_version") as cursor:
                done = {int(row[0]) for row in await cursor.fetchall()}
            # A migration may rebuild a table others refer to (SQLite changes a CHECK no other way): with
            # foreign keys on, dropping the old table would delete its rows' dependants. The pragma cannot
            # change inside a transaction, so it is off around them, and each migration checks the keys.
            await conn.execute("PRAGMA foreign_keys = OFF")
            try:
                for migration in discover_migrations(directory or MIGRATIONS_DIR):
                    if migration.version in done:
                        continue
                    await self._apply(conn, migration)
                    applied.append(migration.version)
                    log.debug("migration %04d_%s appliquée", migration.version, migration.name)
            finally:
                await conn.execute("PRAGMA foreign_keys = ON")
            # Fresh statistics for the query planner, as SQLite advises at each connection's start.
            await conn.execute("PRAGMA optimize")
        return applied

    async def _apply(self, conn: aiosqlite.Connection, migration: Migration) -> None:
        sql = migration.path.read_text(encoding="utf-8")
        # executescript runs the whole file inside BEGIN; COMMIT once the foreign keys are found whole makes
        # it all-or-nothing, since SQLite's DDL is transactional.
        script = (
            f"BEGIN IMMEDIATE;\n{sql}\n;"
            f"INSERT INTO schema_version (version, name, applied_at) "
            f"VALUES ({migration.version}, '{migration.name}', '{to_db(self.clock())}');"
        )
        try:
            await conn.executescript(script)
            async with conn.execute("PRAGMA foreign_key_check") as cursor:
                broken = list(await cursor.fetchall())
            if broken:
                raise MigrationError(f"clés étrangères rompues : {[tuple(row) for row in broken[:5]]}")
            await conn.execute("COMMIT")
        except Exception as exc:
            if conn.in_transaction:
                await conn.execute("ROLLBACK")
            raise MigrationError(f"migration {migration.path.name} : {exc}") from exc
