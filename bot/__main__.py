"""Command line: `python -m bot [run | sandbox | migrate | invite | import-projects | export-projects]`."""

from __future__ import annotations

import argparse
import asyncio
import logging
import sys
from collections.abc import Sequence
from pathlib import Path

from bot.config import Settings, SettingsError, load_settings
from bot.core import build_core
from bot.db import Database, MigrationError
from bot.i18n import gettext
from bot.projects.csvfile import ImportError_
from bot.projects.models import ImportReport

NO_TOKEN = (
    "DISCORD_TOKEN manquant : créez une application sur https://discord.com/developers/applications "
    "(onglet Bot → Reset Token) et mettez le jeton dans .env — ou essayez sans jeton : python -m bot sandbox"
)


def configure_logging(level: int) -> None:
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)-7s %(name)s: %(message)s")
    logging.getLogger("discord").setLevel(max(level, logging.INFO))
    logging.getLogger("apscheduler").setLevel(max(level, logging.WARNING))


def fail(message: str, code: int = 2) -> int:
    print(message, file=sys.stderr)
    return code


async def migrate(settings: Settings) -> int:
    async with Database(settings.database_path) as db:
        try:
            applied = await db.migrate()
        except MigrationError as exc:
            return fail(f"Migration impossible : {exc}")
        version = await db.schema_version()
    done = ", ".join(f"{v:04d}" for v in applied) if applied else "aucune"
    print(f"{settings.database_path} : migrations appliquées : {done} ; schéma en version {version}.")
    return 0


def import_projects(settings: Settings, path: Path) -> int:
    """All rows validated first; one bad row and nothing is written."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        return fail(f"Lecture impossible de {path} : {exc}")

    async def write() -> ImportReport:
        async with Database(settings.database_path) as db:
            await db.migrate()
            return await build_core(settings, db=db).project_service.import_csv(text)

    try:
        report = asyncio.run(write())
    except ImportError_ as error:
        for line, reason in error.problems:
            print(f"{path}:{line}: {gettext(reason.message, None, **reason.params)}", file=sys.stderr)
        return fail(f"Import refusé : {len(error.problems)} ligne(s) en erreur, rien n'a été enregistré.", code=1)
    print(f"{report.created} créé(s), {report.updated} mis à jour, {report.unchanged} inchangé(s).")
    return 0


def export_projects(settings: Settings, path: Path | None) -> int:
    async def read() -> tuple[str, int]:
        async with Database(settings.database_path) as db:
            await db.migrate()
            return await build_core(settings, db=db).project_service.export_csv()

    text, count = asyncio.run(read())
    if path is None:
        sys.stdout.write(text)
    else:
        path.write_text(text, encoding="utf-8")
        print(f"{count} projet(s) exporté(s) dans {path}.", file=sys.stderr)
    return 0


def invite(settings: Settings, client_id: int | None) -> int:
    from bot.client import REQUIRED_PERMISSIONS, application_id_from_token, invite_url

    token = settings.discord_token.get_secret_value() if settings.discord_token else None
    application_id = client_id or (application_id_from_token(token) if token else None)
    if application_id is None:
        return fail("Donnez l'identifiant de l'application (--client-id) ou un DISCORD_TOKEN valide.")
    print(invite_url(application_id))
    print("Permissions demandées :")
    for name, why in REQUIRED_PERMISSIONS.items():
        print(f"  {name} : {why}")
    return 0


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m bot", description="Bot Discord de l'habitat participatif")
    commands = root.add_subparsers(dest="command")
    commands.add_parser("run", help="lancer le bot (par défaut)")
    sandbox = commands.add_parser("sandbox", help="essayer le bot hors ligne, dans un Discord local")
    sandbox.add_argument("--database", help="fichier SQLite (par défaut : un fichier temporaire)")
    commands.add_parser("migrate", help="appliquer les migrations de la base")
    importing = commands.add_parser("import-projects", help="importer des projets depuis un CSV UTF-8")
    importing.add_argument("file", type=Path)
    exporting = commands.add_parser("export-projects", help="exporter les projets publiés en CSV")
    exporting.add_argument("file", type=Path, nargs="?", help="fichier (par défaut : la sortie standard)")
    invite_cmd = commands.add_parser("invite", help="afficher le lien d'invitation du bot")
    invite_cmd.add_argument("--client-id", type=int, help="identifiant de l'application Discord")
    return root


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        settings = load_settings()
    except SettingsError as exc:
        return fail(str(exc))
    configure_logging(settings.log_level_number)
    command = args.command or "run"
    if command == "migrate":
        return asyncio.run(migrate(settings))
    if command == "import-projects":
        return import_projects(settings, args.file)
    if command == "export-projects":
        return export_projects(settings, args.file)
    if command == "invite":
        return invite(settings, args.client_id)
    if command == "sandbox":
        from bot.sandbox.console import run_console

        return asyncio.run(run_console(settings, database=args.database))
    if settings.discord_token is None:
        return fail(NO_TOKEN, code=1)
    from bot.client import serve

    problem = asyncio.run(serve(settings))
    return fail(problem) if problem else 0


if __name__ == "__main__":
    sys.exit(main())
