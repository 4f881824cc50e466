"""The first commands a newcomer types, through `python -m bot` as they would see it in a terminal.

main() runs its own event loop, so the emulator serves from a thread of its own here.
"""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from bot.__main__ import SANDBOX_FIRST
from bot.client import MEMBERS_INTENT_OFF
from bot.sandbox.emulator import Emulator
from tests.support import without_settings
from tests.terminal import emulator_in_a_thread, one_line, run_main, voice_warnings_due


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    without_settings(monkeypatch, tmp_path, tmp_path / "data" / "habitat.sqlite3")


def test_without_a_token_the_first_command_opens_the_sandbox_saying_so_first(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr("sys.stdin", io.StringIO("/aide\n:quitter\n"))
    with voice_warnings_due():
        assert run_main([]) == 0
    captured = capsys.readouterr()
    lines = captured.out.splitlines()
    assert lines[0] == SANDBOX_FIRST
    assert "bac à sable" in lines[0] and "cp .env.example .env" in lines[0] and "DISCORD_TOKEN=" in lines[0]
    assert "Aide du bot" in captured.out  # the console answered /aide
    assert captured.err == "", "no log line, no voice warning in the newcomer's console"


def test_a_refused_token_is_one_line(monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "MTIzNDU2Nzg5.faux.jeton")
    with emulator_in_a_thread() as emulator, voice_warnings_due():
        assert run_main(["run"]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert one_line(captured.err).startswith("DISCORD_TOKEN refusé par Discord")
    assert [(r.route, r.status) for r in emulator.requests] == [("/users/@me", 401)]


def test_a_refused_members_intent_is_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    emulator = Emulator()
    emulator.allowed_privileged_intents = 0
    monkeypatch.setenv("DISCORD_TOKEN", emulator.token)
    with emulator_in_a_thread(emulator), voice_warnings_due():
        assert run_main([]) == 1
    captured = capsys.readouterr()
    assert captured.out == ""
    assert one_line(captured.err) == MEMBERS_INTENT_OFF
    assert emulator.problems == []
