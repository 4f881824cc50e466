"""The console in a terminal: lines read in a thread (the bot keeps running while the member types),
with editing and history by the standard `readline` where there is one, Ctrl-C explained, and a
folder for the session."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import tempfile
from collections.abc import Iterator
from pathlib import Path

HISTORY = "habitat-sandbox-historique"  # in the system's temporary folder, kept between sessions
HISTORY_LENGTH = 1000
DATABASE = "sandbox.sqlite3"
INTERRUPTED = "\n(Ctrl-C ne quitte pas le bac à sable : :quitter ou Ctrl-D)"


@contextlib.contextmanager
def line_editing() -> Iterator[None]:
    """Arrows, editing and the lines typed in earlier sessions, saved again at the end."""
    history = Path(tempfile.gettempdir()) / HISTORY
    try:
        import readline
    except ImportError:  # no readline (Windows): lines are read plainly
        yield
        return
    readline.set_history_length(HISTORY_LENGTH)
    with contextlib.suppress(OSError):
        readline.read_history_file(history)
    try:
        yield
    finally:
        with contextlib.suppress(OSError):
            readline.write_history_file(history)


async def read_line(prompt: str) -> str | None:
    """The next line typed, None at the end of input (Ctrl-D)."""
    try:
        return await asyncio.get_running_loop().run_in_executor(None, input, prompt)
    except EOFError:
        return None


@contextlib.contextmanager
def ctrl_c_explained() -> Iterator[None]:
    """Ctrl-C would stop the bot midway and leave the reading thread waiting: it only says how to quit."""
    loop = asyncio.get_running_loop()
    try:
        loop.add_signal_handler(signal.SIGINT, print, INTERRUPTED)
    except (NotImplementedError, RuntimeError):  # not on this platform, or not in the main thread
        yield
        return
    try:
        yield
    finally:
        loop.remove_signal_handler(signal.SIGINT)


@contextlib.contextmanager
def session_folder() -> Iterator[Path]:
    """A folder of its own under the system's temporary folder, for the database and the files the bot
    sends (in `fichiers/`). At the end the database goes; files received stay, for the member to open."""
    session = Path(tempfile.mkdtemp(prefix="habitat-sandbox-"))
    try:
        yield session
    finally:
        files = session / "fichiers"
        if files.is_dir() and any(files.iterdir()):
            for leftover in session.glob(f"{DATABASE}*"):
                leftover.unlink()
            print(f"Les fichiers reçus restent dans {files}")
        else:
            shutil.rmtree(session, ignore_errors=True)
