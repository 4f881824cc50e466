"""What stops the bot or a command before it starts, as one French line saying what to fix.

The command line prints these instead of a traceback: a database file the bot cannot open or
write, and a network that does not reach Discord.
"""

from __future__ import annotations

import socket
import sqlite3
from pathlib import Path

import aiohttp

from bot.db import MigrationError


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


def network_problem(exc: BaseException) -> str:
    """Why Discord could not be reached."""
    if isinstance(exc, aiohttp.ClientConnectorDNSError | socket.gaierror):
        return "Connexion à Discord impossible : le nom de Discord ne se résout pas (pas de réseau ? DNS ?)."
    if isinstance(exc, aiohttp.ClientConnectorError):
        return f"Connexion à Discord impossible ({exc.host}:{exc.port}) : pas de réseau ? Vérifiez-le, puis relancez."
    if isinstance(exc, TimeoutError):
        return "Discord ne répond pas (délai dépassé) : vérifiez le réseau, puis relancez."
    return f"Connexion à Discord impossible : {exc or type(exc).__name__}."
