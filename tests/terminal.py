"""The command line as a person sees it in a terminal, for tests that read its output with capsys."""

from __future__ import annotations

import asyncio
import logging
import socket
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import discord

from bot.__main__ import main
from bot.sandbox.emulator import Emulator


def run_main(argv: Sequence[str]) -> int:
    """`python -m bot ARGV`, its log lines going to the (captured) stderr as in a terminal: pytest's own
    log handlers are set aside meanwhile, so that `logging.basicConfig` installs the real one."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    root.handlers = []
    try:
        return main(list(argv))
    finally:
        root.handlers, root.level = handlers, level


def one_line(err: str) -> str:
    """The single line a failing command printed on stderr; fails if there is anything else."""
    assert "Traceback" not in err, err
    lines = err.splitlines()
    assert len(lines) == 1, err
    return lines[0]


@contextmanager
def voice_warnings_due() -> Iterator[None]:
    """discord.py warns once per process that voice libraries are missing: make the next client warn."""
    saved = discord.VoiceClient.warn_nacl, discord.VoiceClient.warn_dave
    discord.VoiceClient.warn_nacl = discord.VoiceClient.warn_dave = True
    try:
        yield
    finally:
        discord.VoiceClient.warn_nacl, discord.VoiceClient.warn_dave = saved


@contextmanager
def emulator_in_a_thread(emulator: Emulator | None = None) -> Iterator[Emulator]:
    """An emulator serving from its own thread and event loop, since main() runs a loop of its own.
    discord.py is pointed at it for as long as it runs."""
    emulator = emulator or Emulator()
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, name="emulator", daemon=True)
    thread.start()
    try:
        asyncio.run_coroutine_threadsafe(emulator.start(), loop).result(timeout=30)
        try:
            yield emulator
        finally:
            asyncio.run_coroutine_threadsafe(emulator.stop(), loop).result(timeout=30)
    finally:
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=30)
        loop.close()


def permissions_hold(folder: Path) -> bool:
    """Whether a file made read-only here really refuses writing (not so for root): checked, not assumed."""
    probe = folder / "permission-probe"
    probe.write_text("")
    probe.chmod(0o444)
    try:
        with probe.open("a"):
            return False
    except PermissionError:
        return True
    finally:
        probe.chmod(0o644)
        probe.unlink()


def closed_port() -> int:
    """A local port nothing listens on: connecting to it is refused at once, as with no network."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])
