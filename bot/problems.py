"""What stops the bot or a command before it starts, as one French line saying what to fix.

The command line prints these instead of a traceback: a database file the bot cannot open or
write, and a network that does not reach Discord.
"""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import asyncpg

from bot.config import Settings
from bot.db import MigrationError

# What either engine raises when its database cannot be used.
DATABASE_ERRORS: tuple[type[Exception], ...] = (sqlite3.Error, asyncpg.PostgresError, asyncpg.InterfaceError)
# What keeps a database in use from serving, and one from being opened at all (a file, a server unreached).
USE_ERRORS: tuple[type[Exception], ...] = (*DATABASE_ERRORS, MigrationError)
OPENING_ERRORS: tuple[type[Exception], ...] = (*USE_ERRORS, OSError)


class Stop(Exception):
    """A problem already put in one line for the person at the keyboard, with the exit code to give."""

    def __init__(self, message: str, code: int = 1) -> None:
        super().__init__(message)
        self.message, self.code = message, code


def _folder(path: Path) -> Path:
    return path.parent if path.parent != Path() else Path.cwd()


def database_problem(exc: BaseException, path: Path) -> str:
    """Why the SQLite file at `path` cannot be used, and what to do about it."""
    where = f"Base de données {path}"
    folder = _folder(path)
    if path.is_dir():
        return f"{where} : c'est un dossier ; DATABASE_PATH doit nommer un fichier (par exemple data/habitat.sqlite3)."
    cause = exc.__cause__ if isinstance(exc, MigrationError) else exc
    if isinstance(cause, PermissionError):
        denied = cause.filename or folder
        return f"{where} : accès refusé à {denied} ; donnez-y les droits d'écriture au bot, ou changez DATABASE_PATH."
    if isinstance(cause, OSError):
        return f"{where} : {cause.strerror or cause} ({cause.filename or folder}) ; vérifiez DATABASE_PATH."
    text = str(cause).lower() if isinstance(cause, sqlite3.Error) else ""
    if "readonly" in text or "read-only" in text:
        return (
            f"{where} en lecture seule : le bot doit pouvoir écrire ce fichier et son dossier {folder} "
            "(il y crée les fichiers -wal et -shm)."
        )
    if "not a database" in text or "malformed" in text:
        return f"{where} : ce fichier n'est pas une base SQLite, ou elle est abîmée ; vérifiez DATABASE_PATH."
    if "unable to open" in text:
        return f"{where} : ouverture impossible ; le dossier {folder} doit exister et le bot doit pouvoir y écrire."
    if "locked" in text or "busy" in text:
        return f"{where} verrouillée par un autre programme : réessayez quand il aura fini."
    if "disk is full" in text:
        return f"{where} : le disque est plein."
    if isinstance(exc, MigrationError):
        return f"{where} : migration impossible : {exc}"
    return f"{where} inutilisable : {exc}."


def postgres_problem(exc: BaseException, url: str) -> str:
    """Why the PostgreSQL database at `url` cannot be used (its password never shown)."""
    where = f"Base PostgreSQL {without_password(url)}"
    if isinstance(exc, MigrationError) and exc.__cause__ is None:
        return str(exc)  # already one line saying what to do (the unaccent extension)
    if isinstance(exc, MigrationError):
        return f"{where} : migration impossible : {exc}"
    if isinstance(exc, OSError):
        return f"{where} injoignable ({exc.strerror or exc}) : vérifiez DATABASE_URL et que le serveur tourne."
    return f"{where} inutilisable : {exc}."


def without_password(url: str) -> str:
    parts = urlsplit(url)
    if parts.password is None:
        return url
    return urlunsplit(parts._replace(netloc=parts.netloc.replace(f":{parts.password}@", ":***@")))


def storage_problem(exc: BaseException, settings: Settings) -> str:
    """Why the configured database cannot be used, whichever engine it is on."""
    if settings.database_url is not None:
        return postgres_problem(exc, settings.database_url)
    return database_problem(exc, settings.database_path)


def network_problem(exc: BaseException) -> str:
    """Why Discord could not be reached."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError | socket.gaierror):
        return "Connexion à Discord impossible : le nom de Discord ne se résout pas (pas de réseau ? DNS ?)."
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"Connexion à Discord impossible ({exc.host}:{exc.port}) : pas de réseau ? Vérifiez-le, puis relancez."
    if isinstance(exc, TimeoutError):
        return "Discord ne répond pas (délai dépassé) : vérifiez le réseau, puis relancez."
    return f"Connexion à Discord impossible : {exc or type(exc).__name__}."
