"""Command line: `python -m bot [run | sandbox | web | migrate | invite | import-projects | export-projects |
import-resources | export-resources | import-facilitators | read-feeds | backup | copy-database]`.

Without a command: the bot when DISCORD_TOKEN is set, the offline sandbox otherwise. Whatever stops
a command (a token, the network, the database file) is said in one French line on stderr with a
non-zero exit code, never a traceback.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager, closing
from pathlib import Path

from bot.config import Settings, SettingsError, load_settings
from bot.core import Core, build_core
from bot.db import Database, SqliteDatabase, open_database
from bot.i18n import gettext, ngettext
from bot.postgres import CopyRefused, PostgresDatabase, copy_database
from bot.problems import (
    DATABASE_ERRORS,
    OPENING_ERRORS,
    USE_ERRORS,
    Stop,
    postgres_problem,
    storage_problem,
    without_password,
)
from bot.projects.csvfile import ImportError_
from bot.projects.messages import import_summary
from bot.projects.models import ImportReport
from bot.resources.facilitators.bazar import ACTORS_FORM
from bot.sources.bazar import ReadError
from bot.sources.bazar_messages import SyncReport, summary_line
from bot.sources.feed_service import FeedReport, feed_summary
from bot.sources.feed_store import Feed
from bot.web import WebServer, core_app

GO_LIVE = "mettez le jeton dans .env (cp .env.example .env, ligne DISCORD_TOKEN=)"
NO_TOKEN = (
    "DISCORD_TOKEN manquant : créez une application sur https://discord.com/developers/applications "
    f"(onglet Bot → Reset Token) et {GO_LIVE} — ou essayez sans jeton : make sandbox "
    "(ou .venv/bin/python -m bot sandbox)"
)
SANDBOX_FIRST = (
    "Pas de DISCORD_TOKEN : voici le bac à sable hors ligne, un Discord local. "
    f"Pour mettre le bot en ligne, {GO_LIVE} et relancez make run."
)
# discord.py warns when a client is made that voice libraries are missing; this bot has no voice.
VOICE_WARNINGS = ("PyNaCl is not installed", "davey is not installed")


class NoVoiceWarnings(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not record.getMessage().startswith(VOICE_WARNINGS)


NO_VOICE_WARNINGS = NoVoiceWarnings()


def configure_logging(level: int) -> None:
    """discord.py's INFO lines (logging in, gateway sessions) come before anything can go wrong and
    tell the owner nothing the bot's own lines do not: shown from LOG_LEVEL=DEBUG only."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    discord_level = logging.INFO if level <= logging.DEBUG else max(level, logging.WARNING)
    logging.getLogger("discord").setLevel(discord_level)
    logging.getLogger("discord.client").addFilter(NO_VOICE_WARNINGS)
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))


def fail(message: str, code: int = 2) -> int:
    print(message, file=sys.stderr)
    return code


@asynccontextmanager
async def opened(settings: Settings, *, write: bool = True) -> AsyncIterator[Database]:
    """The database, found writable and migrated (`write`) or only opened; whatever keeps it from
    being used becomes one line."""
    db = open_database(settings)
    try:
        await db.connect()
        if write:
            await db.check_writable()
            await db.migrate()
    except OPENING_ERRORS as exc:
        await db.close()
        raise Stop(storage_problem(exc, settings)) from None
    try:
        yield db
    except DATABASE_ERRORS as exc:
        raise Stop(storage_problem(exc, settings)) from None
    finally:
        await db.close()


async def migrate(settings: Settings) -> int:
    async with opened(settings, write=False) as db:
        try:
            await db.check_writable()
            applied = await db.migrate()
        except USE_ERRORS as exc:
            raise Stop(storage_problem(exc, settings), code=2) from None
        version = await db.schema_version()
    done = ", ".join(f"{v:04d}" for v in applied) if applied else "aucune"
    where = without_password(settings.database_url) if settings.database_url else settings.database_path
    print(f"{where} : migrations appliquées : {done} ; schéma en version {version}.")
    return 0


Importer = Callable[[Core, str], Awaitable[ImportReport]]
Exporter = Callable[[Core], Awaitable[tuple[str, int]]]


def import_projects(settings: Settings, path: Path) -> int:
    return import_csv(settings, path, lambda core, text: core.project_service.import_csv(text))


def import_facilitators(settings: Settings, path: Path) -> int:
    return import_csv(settings, path, lambda core, text: core.facilitators.import_csv(text))


def import_resources(settings: Settings, path: Path) -> int:
    return import_csv(settings, path, lambda core, text: core.resources.import_csv(text))


def import_csv(settings: Settings, path: Path, importer: Importer) -> int:
    """All rows validated first; one bad row and nothing is written."""
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise Stop(f"Lecture impossible de {path} : {exc.strerror or exc}.", code=2) from None
    except UnicodeDecodeError:
        raise Stop(f"Lecture impossible de {path} : le fichier n'est pas en UTF-8.", code=2) from None

    async def write() -> ImportReport:
        async with opened(settings) as db:
            return await importer(build_core(settings, db=db), text)

    try:
        report = asyncio.run(write())
    except ImportError_ as error:
        for line, reason in error.problems:
            print(f"{path}:{line}: {gettext(reason.message, None, **reason.params)}", file=sys.stderr)
        refused = ngettext(
            "Import refusé : {n} ligne en erreur, rien n'a été enregistré.",
            "Import refusé : {n} lignes en erreur, rien n'a été enregistré.",
            len(error.problems),
        )
        return fail(refused, code=1)
    print(f"{import_summary(report)}.")
    return 0


def import_bazar(settings: Settings, source: str, form: Path | None, *, actors: int | None = None) -> int:
    """A sync with the national database (its projects, or with `actors` the structures of that form that
    offer support): one summary line, then one per refused entry or unknown value; a failure only when
    nothing could be read."""

    async def sync() -> SyncReport:
        async with opened(settings) as db:
            core = build_core(settings, db=db)
            if actors is not None:
                return await core.facilitators.import_bazar(source, form, actors)
            return await core.bazar.import_source(source, form)

    try:
        report = asyncio.run(sync())
    except ReadError as error:
        return fail(f"Rien n'a pu être lu de {source} : {error}.", code=1)
    print(f"{summary_line(report)}.")
    for line in report.lines:
        print(line)
    return 0


def export_projects(settings: Settings, path: Path | None) -> int:
    def told(n: int) -> str:
        return ngettext("{n} projet exporté dans {chemin}.", "{n} projets exportés dans {chemin}.", n, chemin=path)

    return export_csv(settings, path, lambda core: core.project_service.export_csv(), told)


def export_resources(settings: Settings, path: Path | None) -> int:
    def told(n: int) -> str:
        return ngettext(
            "{n} ressource exportée dans {chemin}.", "{n} ressources exportées dans {chemin}.", n, chemin=path
        )

    return export_csv(settings, path, lambda core: core.resources.export_csv(), told)


def export_csv(settings: Settings, path: Path | None, exporter: Exporter, told: Callable[[int], str]) -> int:
    """The CSV on standard output, or written to `path` and how many rows went there said on stderr."""

    async def read() -> tuple[str, int]:
        async with opened(settings) as db:
            return await exporter(build_core(settings, db=db))

    text, count = asyncio.run(read())
    if path is None:
        sys.stdout.write(text)
        return 0
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise Stop(f"Écriture impossible de {path} : {exc.strerror or exc}.") from None
    print(told(count), file=sys.stderr)
    return 0


def human_size(size: int) -> str:
    for unit, scale in (("Go", 10**9), ("Mo", 10**6), ("ko", 10**3)):
        if size >= scale:
            return f"{size / scale:.1f} {unit}".replace(".", ",")
    return f"{size} octets"


def copy_to_postgres(settings: Settings, url: str) -> int:
    """The configured SQLite database (DATABASE_PATH) copied into the empty PostgreSQL database at `url`,
    migrated first; each table's rows counted on both sides."""

    async def copy() -> list[tuple[str, int]]:
        async with opened(settings.model_copy(update={"database_url": None}), write=False) as source:
            assert isinstance(source, SqliteDatabase)
            try:
                async with PostgresDatabase(url, pool_size=1) as target:
                    await target.migrate()
                    return await copy_database(source, target)
            except CopyRefused as exc:
                raise Stop(f"Copie refusée : {exc}", code=2) from None
            except OPENING_ERRORS as exc:
                raise Stop(postgres_problem(exc, url)) from None

    if not settings.database_path.is_file():
        raise Stop(f"Rien à copier : {settings.database_path} n'existe pas (DATABASE_PATH).")
    counts = asyncio.run(copy())
    for table, rows in counts:
        print(f"{table} : {rows}")
    total = sum(rows for _, rows in counts)
    print(f"{settings.database_path} copiée dans {without_password(url)} : {len(counts)} tables, {total} lignes.")
    return 0


def backup(settings: Settings, target: Path, *, force: bool) -> int:
    """A copy of the live database, safe while the bot runs (SQLite's online backup); written under a
    temporary name and renamed, so `target` is never a half copy."""
    if settings.database_url is not None:
        raise Stop("La base est sur PostgreSQL (DATABASE_URL) : sauvegardez-la avec pg_dump.")
    source = settings.database_path
    if not source.is_file():
        raise Stop(f"Rien à sauvegarder : {source} n'existe pas (DATABASE_PATH).")
    if target.is_dir():
        raise Stop(f"{target} est un dossier : donnez le nom du fichier de sauvegarde.", code=2)
    if target.exists() and target.resolve() == source.resolve():
        raise Stop(f"{target} est la base elle-même : sauvegardez-la dans un autre fichier.", code=2)
    if target.exists() and not force:
        raise Stop(f"{target} existe déjà : choisissez un autre nom, ou ajoutez --force pour l'écraser.")
    partial = target.with_name(f".{target.name}.partiel")

    async def copy() -> None:
        async with opened(settings, write=False) as db:
            assert isinstance(db, SqliteDatabase)  # DATABASE_URL is refused above
            try:
                await db.backup(partial)
            except sqlite3.Error as exc:  # the source opened: what failed is writing the copy
                raise Stop(f"Écriture impossible de {target} : {exc}.") from None

    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        partial.unlink(missing_ok=True)
        asyncio.run(copy())
        with closing(sqlite3.connect(f"{partial.resolve().as_uri()}?mode=ro", uri=True)) as check:
            row = check.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
        partial.replace(target)
    except OSError as exc:
        raise Stop(f"Écriture impossible de {target} : {exc.strerror or exc}.") from None
    except sqlite3.Error as exc:
        raise Stop(f"La copie {target} ne se relit pas : {exc}.") from None
    finally:
        partial.unlink(missing_ok=True)
    size = human_size(target.stat().st_size)
    print(f"Sauvegarde de {source} dans {target} : {size}, schéma en version {row[0]}.")
    return 0


def invite(settings: Settings, client_id: int | None) -> int:
    from bot.client import REQUIRED_PERMISSIONS, application_id_from_token, invite_url

    token = settings.discord_token.get_secret_value() if settings.discord_token else None
    application_id = client_id or (application_id_from_token(token) if token else None)
    if application_id is None:
        return fail(
            "Donnez l'identifiant de l'application (--client-id, « Application ID » dans le portail "
            "développeur) ou mettez un DISCORD_TOKEN valide dans .env."
        )
    print(invite_url(application_id))
    print("Permissions demandées :")
    for name, why in REQUIRED_PERMISSIONS.items():
        print(f"  {name} : {why}")
    return 0


def run(settings: Settings) -> int:
    if settings.discord_token is None:
        return fail(NO_TOKEN, code=1)
    from bot.client import serve

    problem = asyncio.run(serve(settings))
    return fail(problem, code=1) if problem else 0


NO_WEB_PORT = (
    "python -m bot web sert l'agenda (/agenda.ics, agendas personnels, /healthz) sur WEB_PORT : "
    "réglez WEB_PORT dans .env (par exemple WEB_PORT=8080)."
)


def web_only(settings: Settings) -> int:
    """The HTTP side alone, without a Discord connection, until Ctrl+C or SIGTERM."""
    port = settings.web_port
    if port is None:
        return fail(NO_WEB_PORT)

    async def serve() -> None:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for signal_number in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(signal_number, stop.set)
        async with opened(settings) as db:
            server = WebServer(core_app(build_core(settings, db=db)), port)
            await server.start()
            print(f"Agenda servi sur le port {port} (/agenda.ics, /healthz) ; Ctrl+C pour arrêter.", flush=True)
            try:
                await stop.wait()
            finally:
                await server.stop()

    asyncio.run(serve())
    return 0


def sandbox(settings: Settings, database: str | None) -> int:
    from bot.sandbox.console import run_console

    return asyncio.run(run_console(settings, database=database))


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(
        prog="python -m bot",
        description="Bot Discord de l'habitat participatif. Sans commande : le bot si DISCORD_TOKEN est "
        "réglé, le bac à sable hors ligne sinon.",
    )
    commands = root.add_subparsers(dest="command")
    commands.add_parser("run", help="lancer le bot (il faut DISCORD_TOKEN)")
    sandbox_cmd = commands.add_parser("sandbox", help="essayer le bot hors ligne, dans un Discord local")
    sandbox_cmd.add_argument("--database", help="fichier SQLite (par défaut : un fichier temporaire)")
    commands.add_parser("migrate", help="appliquer les migrations de la base")
    commands.add_parser("web", help="servir l'agenda et /healthz seuls, sans connexion à Discord (WEB_PORT)")
    importing = commands.add_parser(
        "import-projects", help="importer des projets depuis un CSV UTF-8, ou la base nationale (--format bazar)"
    )
    importing.add_argument(
        "file", metavar="SOURCE", help="fichier CSV ; avec --format bazar : adresse du site ou fichier"
    )
    importing.add_argument("--format", choices=("csv", "bazar"), default="csv", help="csv (par défaut) ou bazar")
    importing.add_argument("--form", type=Path, help="avec --format bazar : le formulaire enregistré (JSON)")
    facilitating = commands.add_parser(
        "import-facilitators", help="importer des structures d'accompagnement depuis un CSV UTF-8"
    )
    facilitating.add_argument(
        "file", metavar="SOURCE", help="fichier CSV ; avec --format bazar : adresse du site national ou fichier"
    )
    facilitating.add_argument("--format", choices=("csv", "bazar"), default="csv", help="csv (par défaut) ou bazar")
    facilitating.add_argument("--form", type=Path, help="avec --format bazar : le formulaire enregistré (JSON)")
    facilitating.add_argument(
        "--form-id",
        type=int,
        default=ACTORS_FORM,
        help=f"avec --format bazar : le formulaire des acteurs ({ACTORS_FORM})",
    )
    exporting = commands.add_parser("export-projects", help="exporter les projets publiés en CSV")
    exporting.add_argument("file", type=Path, nargs="?", help="fichier (par défaut : la sortie standard)")
    resources_in = commands.add_parser("import-resources", help="importer des ressources depuis un CSV UTF-8")
    resources_in.add_argument("file", type=Path, help="fichier CSV (l'en-tête de l'export)")
    resources_out = commands.add_parser("export-resources", help="exporter les ressources publiées en CSV")
    resources_out.add_argument("file", type=Path, nargs="?", help="fichier (par défaut : la sortie standard)")
    invite_cmd = commands.add_parser("invite", help="afficher le lien d'invitation du bot")
    invite_cmd.add_argument("--client-id", type=int, help="identifiant de l'application Discord")
    commands.add_parser("read-feeds", help="lire maintenant les agendas (.ics) auxquels les serveurs sont abonnés")
    copying = commands.add_parser("copy-database", help="copier la base SQLite dans une base PostgreSQL vide")
    copying.add_argument("--to", required=True, metavar="postgresql://…", help="la base PostgreSQL, vide")
    backup_cmd = commands.add_parser("backup", help="copier la base dans un fichier, même bot en marche")
    backup_cmd.add_argument("file", type=Path, help="fichier de sauvegarde (jamais écrasé sans --force)")
    backup_cmd.add_argument("--force", action="store_true", help="écraser le fichier s'il existe")
    return root


def quiet(level: int) -> int:
    """The sandbox's console shows what happens: log lines only from WARNING, unless DEBUG is asked for."""
    return level if level <= logging.DEBUG else max(level, logging.WARNING)


def read_feeds(settings: Settings) -> int:
    """Every subscribed calendar feed read now: one line per feed; a failure only when none could be read."""

    async def read() -> list[tuple[Feed, FeedReport]]:
        async with opened(settings) as db:
            return await build_core(settings, db=db).feeds.read_all()

    results = asyncio.run(read())
    if not results:
        print("Aucun agenda abonné : /agenda abonner en ajoute un.")
        return 0
    for feed, report in results:
        print(f"{feed_summary(feed, report)} — {feed.url}")
    return 1 if all(report.problem for _, report in results) else 0


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return fail(str(exc))
    command = args.command or ("run" if settings.discord_token else None)
    level = settings.log_level_number
    configure_logging(quiet(level) if command in (None, "sandbox") else level)
    try:
        if command is None:
            print(SANDBOX_FIRST, flush=True)
            return sandbox(settings, None)
        if command == "sandbox":
            return sandbox(settings, args.database)
        if command == "run":
            return run(settings)
        if command == "migrate":
            return asyncio.run(migrate(settings))
        if command == "web":
            return web_only(settings)
        if command == "import-projects" and args.format == "bazar":
            return import_bazar(settings, args.file, args.form)
        if command == "import-projects":
            return import_projects(settings, Path(args.file))
        if command == "import-facilitators" and args.format == "bazar":
            return import_bazar(settings, args.file, args.form, actors=args.form_id)
        if command == "import-facilitators":
            return import_facilitators(settings, Path(args.file))
        if command == "export-projects":
            return export_projects(settings, args.file)
        if command == "import-resources":
            return import_resources(settings, args.file)
        if command == "export-resources":
            return export_resources(settings, args.file)
        if command == "invite":
            return invite(settings, args.client_id)
        if command == "copy-database":
            return copy_to_postgres(settings, args.to)
        if command == "backup":
            return backup(settings, args.file, force=args.force)
        if command == "read-feeds":
            return read_feeds(settings)
        raise AssertionError(command)
    except Stop as stop:
        return fail(stop.message, stop.code)
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
