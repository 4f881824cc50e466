"""PostgreSQL behind the same `Database` interface (asyncpg), for an operator sharing one database
between processes (see bot/db.py for why a thin dialect layer).

The stores' SQL is run as written: its `?` placeholders become `$1, $2, …` once per SQL string. Values
stay those SQLite holds (moments as ISO text through bot.clock.to_db, flags as integers), so no store
changes per engine. A task inside `transaction()` keeps one pooled connection until the block ends,
like the SQLite lock: every helper it calls meanwhile reuses that connection.
"""

from __future__ import annotations

import asyncio
import contextvars
import logging
from collections import Counter
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from functools import lru_cache
from pathlib import Path
from typing import Any, cast

import asyncpg

from bot.clock import Clock, to_db, utc_now
from bot.db import (
    MIGRATIONS_DIR,
    Database,
    Dialect,
    Duplicate,
    MigrationError,
    Params,
    Row,
    SqliteDatabase,
    TextSearch,
    discover_migrations,
)
from bot.text import ABBREVIATIONS, search_words

log = logging.getLogger(__name__)

PG_MIGRATIONS_DIR = MIGRATIONS_DIR / "postgresql"
# One lock number for this bot's migrations: two processes starting together migrate one after the other.
_MIGRATION_LOCK = 0x48_41_42_49_54  # "HABIT"
# Filled by the target's own triggers as the rows they follow are copied (migrations 0022 and 0024).
DERIVED = ("household_changes", "project_changes")
UNACCENT_MISSING = (
    "L'extension PostgreSQL « unaccent » manque et ce rôle ne peut pas la créer : demandez à l'administrateur"
    " de la base d'exécuter « CREATE EXTENSION unaccent; » en superutilisateur dans cette base, puis relancez."
)

# Migration 0026: a change log's trigger names the log on this channel once its transaction commits, and in a
# notice to the connection that wrote it, with the statement's answer.
CHANGES_CHANNEL = "habitat_changes"
LISTEN_RETRY_S = 5.0  # between two attempts to open the connection that hears other processes' changes

_held: contextvars.ContextVar[tuple[PostgresDatabase, asyncpg.Connection] | None] = contextvars.ContextVar(
    "pg_held", default=None
)


@lru_cache(maxsize=4096)
def numbered(sql: str) -> str:
    """The SQL with each `?` placeholder outside quotes as `$1`, `$2`, …."""
    out: list[str] = []
    quote: str | None = None
    n = 0
    for char in sql:
        if quote is not None:
            if char == quote:
                quote = None
        elif char in "'\"":
            quote = char
        elif char == "?":
            n += 1
            out.append(f"${n}")
            continue
        out.append(char)
    return "".join(out)


def _args(params: Params) -> tuple[Any, ...]:
    if isinstance(params, dict):
        raise TypeError("the stores pass their parameters in order (?), never by name")
    # PostgreSQL's text holds no NUL character (SQLite's does); nobody sees one, so it is dropped.
    return tuple(value.replace("\x00", "") if isinstance(value, str) else value for value in params)


def _changed(status: str) -> int:
    """Rows changed, from a command's status ("UPDATE 3", "INSERT 0 1", "DELETE 0")."""
    last = status.rsplit(" ", 1)[-1]
    return int(last) if last.isdigit() else 0


def _numeric(text: str) -> int | float:
    # SUM over integers is NUMERIC on PostgreSQL: an integer, as SQLite gives it; AVG stays a float.
    return int(text) if text.lstrip("-").isdigit() else float(text)


# The search folds "Ste" into "sainte" (bot/text.py); the index keeps the text as written, so both are sought.
_SHORT = {long: short for short, long in ABBREVIATIONS.items()}


class PostgresDialect(Dialect):
    name = "postgresql"
    skip_locked = " FOR UPDATE SKIP LOCKED"
    for_update = " FOR UPDATE"
    # A 64-bit hash names the lock: two keys sharing one only wait for each other, which stays correct.
    lock_name = "SELECT pg_advisory_xact_lock(hashtextextended(?, 0))"
    # Writers do not wait for each other's commits here: five times fewer of them made an import of 20,000
    # projects 4.0–4.3 s against 4.9–5.1 s (tried alternately).
    batch_rows = 500

    def listed(self, expression: str) -> str:
        return f"string_agg(CAST({expression} AS TEXT), ' ')"

    def text_match(self, index: str, table: str, alias: str, text: str) -> TextSearch | None:
        # Each word a stem prefix, all required, as on SQLite; the words are folded and stemmed by the same
        # Snowball French stemmer, here the fr_unaccent configuration's (migration 0001).
        words = search_words(text)
        if not words:
            return None
        query = " & ".join(f"({word}:* | {_SHORT[word]})" if word in _SHORT else f"{word}:*" for word in words)
        return TextSearch(
            source=f"{index} JOIN {table} {alias} ON {alias}.id = {index}.id"
            f" CROSS JOIN to_tsquery('fr_unaccent', ?) AS {index}_q",
            source_params=(query,),
            condition=f"{index}.body @@ {index}_q",
            condition_params=(),
            rank=f"-ts_rank({index}.body, {index}_q)",
            among=f"{alias}.id IN (SELECT id FROM {index} WHERE body @@ to_tsquery('fr_unaccent', ?))",
            among_params=(query,),
        )


async def _setup(conn: asyncpg.Connection) -> None:
    await conn.set_type_codec("numeric", encoder=str, decoder=_numeric, schema="pg_catalog", format="text")


class PostgresDatabase(Database):
    dialect = PostgresDialect()

    def __init__(self, url: str, *, clock: Clock = utc_now, pool_size: int = 10) -> None:
        super().__init__(clock=clock)
        self.url = url
        self.pool_size = pool_size
        self._pool: asyncpg.Pool | None = None
        self._heard: Counter[str] = Counter()  # change log -> the times this process heard it moved
        self._listener: asyncpg.Connection | None = None
        self._listening: asyncio.Task[None] | None = None
        self._listens = 0  # connections opened to hear changes: one lost may have missed some
        self._next_listen = 0.0

    async def connect(self) -> None:
        self._pool = await asyncpg.create_pool(self.url, min_size=1, max_size=self.pool_size, init=_setup)

    async def close(self) -> None:
        if self._listening is not None:
            self._listening.cancel()
            self._listening = None
        if self._listener is not None:
            self._listener.terminate()  # it only listens: nothing to finish, and a dead link would not answer
            self._listener = None
        if self._pool is not None:
            await self._pool.close()
            self._pool = None

    @property
    def is_connected(self) -> bool:
        return self._pool is not None

    @property
    def pool(self) -> asyncpg.Pool:
        if self._pool is None:
            raise RuntimeError("Database.connect() was not called")
        return self._pool

    @asynccontextmanager
    async def _use(self) -> AsyncIterator[asyncpg.Connection]:
        held = _held.get()
        try:
            if held is not None and held[0] is self:
                yield held[1]
                return
            async with self.pool.acquire() as conn, self._telling(conn):
                yield conn
        except asyncpg.UniqueViolationError as exc:
            raise Duplicate(str(exc)) from exc

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        held = _held.get()
        if held is not None and held[0] is self:
            async with held[1].transaction():  # a savepoint inside the held transaction
                yield
            return
        async with self.pool.acquire() as conn, self._telling(conn), conn.transaction():
            token = _held.set((self, conn))
            try:
                yield
            finally:
                _held.reset(token)

    # ----------------------------------------------------------------- hearing changes

    def change_count(self, log: str) -> int | None:
        listener = self._listener
        if listener is None or listener.is_closed():
            self._listen_soon()
            return None
        # A new connection may have missed what happened while none listened: the count moves with it.
        return self._listens << 40 | self._heard[log]

    @asynccontextmanager
    async def _telling(self, conn: asyncpg.Connection) -> AsyncIterator[None]:
        """The change logs this connection's statements wrote to are counted once the block ends, its
        transaction committed: an index of this process then reads them at once, where the notification may
        arrive a moment later. asyncpg queues a notice's callback (call_soon) as it reads the notice, before the
        statement's answer that wakes the task up: the callback has run when the statement's await returns."""
        told: set[str] = set()

        def hear(_: object, message: asyncpg.PostgresLogMessage) -> None:
            detail = getattr(message, "detail", None)
            if message.message == CHANGES_CHANNEL and detail:
                told.add(detail)

        conn.add_log_listener(hear)
        try:
            yield
        finally:
            conn.remove_log_listener(hear)
            self._heard.update(told)

    def _listen_soon(self) -> None:
        loop = asyncio.get_running_loop()
        if self._pool is None or self._listening is not None or loop.time() < self._next_listen:
            return
        self._next_listen = loop.time() + LISTEN_RETRY_S
        self._listening = loop.create_task(self._listen(), name="postgres-listen")

    async def _listen(self) -> None:
        """A connection of its own hears the other processes' changes (the pool's are reset on release)."""
        conn: asyncpg.Connection | None = None
        try:
            conn = await asyncpg.connect(self.url)
            await conn.add_listener(CHANGES_CHANNEL, self._notified)
        except BaseException as exc:
            if conn is not None:
                conn.terminate()
            if not isinstance(exc, Exception):  # cancelled by close()
                raise
            # Whatever the cause, the indexes read their logs every time meanwhile.
            log.warning("écoute des changements impossible (%s) : les index liront leur journal à chaque fois", exc)
            return
        finally:
            self._listening = None
        old, self._listener = self._listener, conn
        self._listens += 1
        if old is not None:
            old.terminate()

    def _notified(self, _conn: object, _pid: int, _channel: str, payload: str) -> None:
        self._heard[payload] += 1

    async def check_writable(self) -> None:
        async with self._use() as conn:
            attempt = conn.transaction()
            await attempt.start()
            try:
                await conn.execute("CREATE TABLE _write_check (x integer)")
            finally:
                await attempt.rollback()

    async def execute(self, sql: str, params: Params = ()) -> None:
        async with self._use() as conn:
            await conn.execute(numbered(sql), *_args(params))

    async def execute_many(self, sql: str, rows: Iterable[Params]) -> None:
        async with self.transaction(), self._use() as conn:
            await conn.executemany(numbered(sql), [_args(row) for row in rows])

    async def update(self, sql: str, params: Params = ()) -> int:
        async with self._use() as conn:
            return _changed(await conn.execute(numbered(sql), *_args(params)))

    async def write_rows(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
        # COPY: no statement to parse and plan, no parameter list to build (20,000 projects imported in 5.05 s
        # instead of 6.21). It fires the tables' INSERT triggers, the change logs' included.
        if rows:
            async with self._use() as conn:
                await conn.copy_records_to_table(table, records=[_args(row) for row in rows], columns=list(columns))

    async def write_numbered(self, table: str, columns: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
        # COPY returns nothing: the ids are taken from the table's sequence first, and written with the rows.
        found = await self.fetchall(
            "SELECT nextval(pg_get_serial_sequence(?, 'id')) AS id FROM generate_series(1, ?) ORDER BY 1",
            (table, len(rows)),
        )
        ids = [int(row["id"]) for row in found]
        await self.write_rows(table, ["id", *columns], [(id_, *row) for id_, row in zip(ids, rows, strict=True)])
        return ids

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        async with self._use() as conn:
            return cast(list[Row], await conn.fetch(numbered(sql), *_args(params)))

    async def tables(self) -> list[str]:
        rows = await self.fetchall(
            "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = current_schema()"
            " AND table_type = 'BASE TABLE' AND table_name NOT LIKE '%\\_fts' ORDER BY table_name"
        )
        return [row["name"] for row in rows]

    async def schema_version(self) -> int:
        row = await self.fetchone("SELECT to_regclass('schema_version') IS NOT NULL")
        if row is None or not row[0]:
            return 0
        version = await self.fetchone("SELECT COALESCE(MAX(version), 0) FROM schema_version")
        return int(version[0]) if version else 0

    async def migrate(self, directory: Path | None = None) -> list[int]:
        applied: list[int] = []
        async with self._use() as conn:
            await conn.execute("SELECT pg_advisory_lock($1)", _MIGRATION_LOCK)
            try:
                await conn.execute(
                    "CREATE TABLE IF NOT EXISTS schema_version ("
                    " version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
                )
                done = {int(row[0]) for row in await conn.fetch("SELECT version FROM schema_version")}
                for migration in discover_migrations(directory or PG_MIGRATIONS_DIR):
                    if migration.version in done:
                        continue
                    sql = migration.path.read_text(encoding="utf-8")
                    try:
                        async with conn.transaction():
                            await conn.execute(sql)
                            await conn.execute(
                                "INSERT INTO schema_version (version, name, applied_at) VALUES ($1, $2, $3)",
                                migration.version,
                                migration.name,
                                to_db(self.clock()),
                            )
                    except asyncpg.InsufficientPrivilegeError as exc:
                        if "unaccent" in str(exc):
                            raise MigrationError(UNACCENT_MISSING) from None
                        raise MigrationError(f"migration {migration.path.name} : {exc}") from exc
                    except asyncpg.PostgresError as exc:
                        raise MigrationError(f"migration {migration.path.name} : {exc}") from exc
                    applied.append(migration.version)
                    log.debug("migration %04d_%s appliquée", migration.version, migration.name)
            finally:
                await conn.execute("SELECT pg_advisory_unlock($1)", _MIGRATION_LOCK)
        return applied


# ---------------------------------------------------------------------- copy-database


class CopyRefused(Exception):
    """The copy cannot start; the message is one French line."""


async def _dependency_order(source: SqliteDatabase) -> list[str]:
    """The source's data tables, each after those its foreign keys point to."""
    tables = [name for name in await source.tables() if name not in ("schema_version", *DERIVED)]
    needs = {
        table: {row["table"] for row in await source.fetchall(f"PRAGMA foreign_key_list({table})")} - {table}
        for table in tables
    }
    ordered: list[str] = []
    while needs:
        ready = sorted(table for table, parents in needs.items() if parents <= set(ordered))
        if not ready:
            raise CopyRefused(f"tables liées en boucle : {sorted(needs)}")
        ordered.extend(ready)
        for table in ready:
            del needs[table]
    return ordered


async def copy_database(source: SqliteDatabase, target: PostgresDatabase) -> list[tuple[str, int]]:
    """Copy every table of the SQLite `source` into the migrated, empty PostgreSQL `target`, in one
    transaction: rows in dependency order, identity sequences set past the copied ids, and each table's
    count checked; returns (table, rows) in the order copied. Nothing is written if anything fails."""
    if await source.schema_version() != await target.schema_version():
        raise CopyRefused(
            f"la base SQLite est en version {await source.schema_version()}, la cible en version"
            f" {await target.schema_version()} : lancez d'abord « python -m bot migrate » sur la base SQLite."
        )
    order = await _dependency_order(source)
    for table in order:
        if await target.fetchone(f"SELECT 1 FROM {table} LIMIT 1") is not None:
            raise CopyRefused(f"la base PostgreSQL cible n'est pas vide (table {table}) : donnez une base neuve.")
    counts: list[tuple[str, int]] = []
    async with target.transaction(), target._use() as conn:
        for table in order:
            columns = [row["name"] for row in await source.fetchall(f"PRAGMA table_info({table})")]
            rows = [tuple(row) for row in await source.fetchall(f"SELECT {', '.join(columns)} FROM {table}")]
            if rows:
                await conn.copy_records_to_table(table, records=rows, columns=columns)
            if "id" in columns and await conn.fetchval("SELECT pg_get_serial_sequence($1, 'id')", table):
                await conn.execute(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1), MAX(id) IS NOT NULL)"
                    f" FROM {table}"
                )
            copied = await conn.fetchval(f"SELECT COUNT(*) FROM {table}")
            if copied != len(rows):
                raise CopyRefused(f"{table} : {len(rows)} lignes lues, {copied} écrites ; rien n'a été copié.")
            counts.append((table, len(rows)))
    return counts
