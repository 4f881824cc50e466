"""A throwaway PostgreSQL cluster for the tests: started once per test session in a temporary folder
(initdb, then the server on a unix socket in that folder, no TCP), as the `postgres` user when the
tests run as root; each test gets its own database, copied from a migrated template.

When no server can be started the PostgreSQL half of the tests is skipped (one line says so at the
end); with REQUIRE_POSTGRES=1, as CI sets it, it fails instead."""

from __future__ import annotations

import asyncio
import itertools
import os
import shutil
import socket
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg

from bot.postgres import PostgresDatabase

TEMPLATE = "habitat_template"
PREFIX = "habitat-pg-"
OWNER = "owner"  # in a cluster's folder: the process id of the test session that started it


class NoServer(Exception):
    """No PostgreSQL server could be started here; the message says why."""


def _bindir() -> Path:
    found = shutil.which("pg_ctl")
    if found:
        return Path(found).resolve().parent
    versions = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"))
    if not versions:
        raise NoServer("PostgreSQL n'est pas installé (paquet Debian postgresql)")
    return versions[-1].parent


def _stop_orphans(bindir: Path, as_user: list[str]) -> None:
    """Stop the clusters of test sessions killed before they could (a normal end stops its own); those of
    sessions still running, here or in other workers, are left alone."""
    for folder in Path(tempfile.gettempdir()).glob(f"{PREFIX}*"):
        try:
            owner = int((folder / OWNER).read_text())
        except (OSError, ValueError):
            continue  # being set up, or not ours to judge
        try:
            os.kill(owner, 0)
        except ProcessLookupError:
            Cluster(folder, 0, bindir, as_user).stop()
        except PermissionError:
            pass  # alive, another user's


def _free_port() -> int:
    # The server listens on a unix socket only; its port number names the socket, and must be free.
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Cluster:
    folder: Path
    port: int
    bindir: Path
    as_user: list[str]
    _names: itertools.count[int] = field(default_factory=itertools.count)

    def url(self, database: str) -> str:
        return f"postgresql://postgres@/{database}?host={self.folder}&port={self.port}"

    def _run(self, *command: str) -> None:
        done = subprocess.run([*self.as_user, *command], capture_output=True, text=True, timeout=120, check=False)
        if done.returncode != 0:
            raise NoServer(f"{Path(command[0]).name} : {(done.stderr or done.stdout).strip()[-300:]}")

    @classmethod
    def start(cls) -> Cluster:
        bindir = _bindir()
        as_user = ["runuser", "-u", "postgres", "--"] if os.geteuid() == 0 else []
        _stop_orphans(bindir, as_user)
        folder = Path(tempfile.mkdtemp(prefix=PREFIX))
        (folder / OWNER).write_text(str(os.getpid()))
        if as_user:
            shutil.chown(folder, "postgres")
        cluster = cls(folder, _free_port(), bindir, as_user)
        try:
            cluster._run(
                str(bindir / "initdb"), "-D", str(folder / "data"), "-A", "trust", "-U", "postgres",
                "-E", "UTF8", "--locale=C.UTF-8", "--no-sync",
            )  # fmt: skip
            options = (
                f"-k {folder} -p {cluster.port} -c listen_addresses='' -c fsync=off -c synchronous_commit=off"
                " -c full_page_writes=off -c max_connections=200"
            )
            cluster._run(
                str(bindir / "pg_ctl"), "-D", str(folder / "data"), "-o", options, "-l", str(folder / "log"), "-w",
                "start",
            )  # fmt: skip
            # Its own event loop, in a thread: the first test that asks for the cluster already runs in one.
            with ThreadPoolExecutor(1) as worker:
                worker.submit(asyncio.run, cluster._template()).result()
        except (NoServer, OSError, subprocess.SubprocessError, asyncpg.PostgresError) as exc:
            cluster.stop()
            raise NoServer(str(exc)) from exc
        return cluster

    async def _template(self) -> None:
        conn = await asyncpg.connect(self.url("postgres"))
        try:
            await conn.execute(f"CREATE DATABASE {TEMPLATE}")
        finally:
            await conn.close()
        async with PostgresDatabase(self.url(TEMPLATE), pool_size=1) as db:
            await db.migrate()

    async def fresh(self) -> str:
        """A new database holding the latest schema; its URL."""
        return await self._create(TEMPLATE)

    async def empty(self) -> str:
        """A new database holding no schema, for a test that migrates it one step at a time; its URL."""
        return await self._create("template0")

    async def _create(self, template: str) -> str:
        name = f"test_{os.getpid()}_{next(self._names)}"
        conn = await asyncpg.connect(self.url("postgres"))
        try:
            await conn.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        finally:
            await conn.close()
        return self.url(name)

    def stop(self) -> None:
        if (self.folder / "data" / "postmaster.pid").exists():
            subprocess.run(
                [*self.as_user, str(self.bindir / "pg_ctl"), "-D", str(self.folder / "data"), "-m", "immediate",
                 "stop"],
                capture_output=True, timeout=60, check=False,
            )  # fmt: skip
        shutil.rmtree(self.folder, ignore_errors=True)
