from __future__ import annotations

import os
import re
import signal
import sqlite3
import subprocess
import sys
import urllib.request
from pathlib import Path

import discord
import pytest

from bot.__main__ import human_size, main
from bot.client import REQUIRED_PERMISSIONS, application_id_from_token, cog_extensions, required_permissions
from bot.problems import database_problem, network_problem
from bot.text import stemmed
from tests.support import without_settings
from tests.terminal import closed_port, one_line, permissions_hold, run_main, voice_warnings_due


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    without_settings(monkeypatch, tmp_path)


def test_run_without_token_one_line_points_to_the_portal_the_env_file_and_the_sandbox(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert run_main(["run"]) == 1
    err = one_line(capsys.readouterr().err)
    assert "DISCORD_TOKEN" in err
    assert "discord.com/developers" in err
    assert "cp .env.example .env" in err and "DISCORD_TOKEN=" in err
    # `python -m bot sandbox` fails outside the virtual environment: what works from a fresh clone.
    assert "make sandbox" in err and ".venv/bin/python -m bot sandbox" in err


def test_malformed_setting_stops_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WEB_PORT", "quatre-vingts")
    assert main([]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert "WEB_PORT" in err


def test_migrate_twice(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    assert main(["migrate"]) == 0
    assert "0001" in capsys.readouterr().out
    assert main(["migrate"]) == 0
    assert "aucune" in capsys.readouterr().out


def test_invite_link_asks_for_exactly_the_documented_permissions(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["invite", "--client-id", "123456789012345678"]) == 0
    out = capsys.readouterr().out
    link = out.splitlines()[0]
    assert "client_id=123456789012345678" in link
    assert "scope=bot+applications.commands" in link
    match = re.search(r"permissions=(\d+)", link)
    assert match is not None
    granted = int(match.group(1))
    assert granted == required_permissions().value
    assert not granted & (1 << 3), "never ask for Administrator"
    assert not granted & (1 << 17), "never ask for Mention Everyone"
    for name in REQUIRED_PERMISSIONS:
        assert name in out


def test_invite_reads_the_application_id_from_the_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # A token's first part is the bot's id in base64: "MTIzNDU2Nzg5" is "123456789".
    monkeypatch.setenv("DISCORD_TOKEN", "MTIzNDU2Nzg5.xxxx.yyyy")
    assert main(["invite"]) == 0
    assert "client_id=123456789" in capsys.readouterr().out
    assert application_id_from_token("not a token") is None


def test_every_cog_module_is_an_extension() -> None:
    assert {"cogs.admin", "cogs.onboarding"} <= set(cog_extensions())
    assert "cogs.ui" not in cog_extensions()


CSV_TEXT = (
    "nom,commune,code_insee,etape,initiative,forme_juridique,logements,recrute,publics,espaces_partages,"
    "description,site,contact\n"
    "Les Hirondelles,Clermont-Ferrand,63113,realisation,citoyenne,cooperative_habitants,14,oui,familles,jardin,"
    "Bois et paille,,\n"
)


def test_import_and_export_projects(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    source = tmp_path / "in.csv"
    source.write_text(CSV_TEXT, encoding="utf-8")
    assert main(["import-projects", str(source)]) == 0
    assert "1 créé," in capsys.readouterr().out
    assert main(["import-projects", str(source)]) == 0
    assert "0 créé, 0 mis à jour, 1 inchangé" in capsys.readouterr().out
    assert main(["export-projects"]) == 0
    assert capsys.readouterr().out == CSV_TEXT.replace(",familles,jardin,", ",familles,jardin,")
    target = tmp_path / "out.csv"
    assert main(["export-projects", str(target)]) == 0
    assert target.read_text(encoding="utf-8") == CSV_TEXT


def test_a_bad_import_says_which_lines_and_writes_nothing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    source = tmp_path / "in.csv"
    source.write_text(CSV_TEXT + "Autre,Nulle part,00000,emergence,,,,non,,,,,\n", encoding="utf-8")
    assert main(["import-projects", str(source)]) == 1
    err = capsys.readouterr().err
    assert f"{source}:3:" in err and "00000" in err
    assert main(["export-projects"]) == 0
    assert capsys.readouterr().out.count("\n") == 1  # the header only


def test_invite_without_token_asks_for_the_client_id(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_main(["invite"]) == 2
    assert "--client-id" in one_line(capsys.readouterr().err)


# ----------------------------------------------------------------- what stops a command, in one line

TOKEN = "MTIzNDU2Nzg5.xxxx.yyyy"


def test_no_network_is_one_line_without_voice_warnings(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    port = closed_port()
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{port}/api/v10")
    with voice_warnings_due():
        assert run_main([]) == 1  # with a token, no command runs the bot
    captured = capsys.readouterr()
    assert captured.out == ""
    err = one_line(captured.err)
    assert err.startswith("Connexion à Discord impossible") and f"127.0.0.1:{port}" in err
    assert "PyNaCl" not in err and "davey" not in err


def test_network_problems_say_what_failed() -> None:
    import socket

    import aiohttp

    assert "ne se résout pas" in network_problem(socket.gaierror(-3, "Temporary failure in name resolution"))
    assert "délai dépassé" in network_problem(TimeoutError())
    assert "Connexion à Discord impossible" in network_problem(aiohttp.ServerDisconnectedError())


def test_only_the_voice_warnings_of_discord_client_are_silenced(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    import logging

    from bot.__main__ import configure_logging

    configure_logging(logging.INFO)
    log = logging.getLogger("discord.client")
    records: list[str] = []
    handler = logging.Handler()
    handler.emit = lambda record: records.append(record.getMessage())  # type: ignore[method-assign]
    log.addHandler(handler)
    try:
        log.warning("PyNaCl is not installed, voice will NOT be supported")
        log.warning("davey is not installed, voice will NOT be supported")
        log.warning("Shard ID None heartbeat blocked for more than 10 seconds.")
    finally:
        log.removeHandler(handler)
    assert records == ["Shard ID None heartbeat blocked for more than 10 seconds."]


def _not_a_database(path: Path) -> Path:
    path.write_text("Ceci est une liste de courses, pas une base de données.\n" * 20, encoding="utf-8")
    return path


DATABASE_COMMANDS = [
    ["run"],
    ["migrate"],
    ["import-projects", "in.csv"],
    ["export-projects"],
    ["backup", "copie.sqlite3"],
]


@pytest.fixture
def csv_file(tmp_path: Path) -> Path:
    path = tmp_path / "in.csv"
    path.write_text(CSV_TEXT, encoding="utf-8")
    return path


@pytest.mark.parametrize("argv", DATABASE_COMMANDS, ids=lambda argv: argv[0])
def test_a_file_that_is_not_a_database_is_one_line(
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    csv_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)  # `run` must stop on the database before any network
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{closed_port()}/api/v10")
    database = _not_a_database(tmp_path / "notes.sqlite3")
    monkeypatch.setenv("DATABASE_PATH", str(database))
    with voice_warnings_due():
        assert run_main(argv) == 1
    err = one_line(capsys.readouterr().err)
    assert str(database) in err and "n'est pas une base SQLite" in err
    assert not (tmp_path / "copie.sqlite3").exists()


@pytest.mark.parametrize("argv", DATABASE_COMMANDS, ids=lambda argv: argv[0])
def test_a_read_only_database_is_one_line(
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    csv_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not permissions_hold(tmp_path):
        pytest.skip("file permissions are not enforced for this user (root)")
    database = tmp_path / "lecture-seule" / "habitat.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(database))
    assert run_main(["migrate"]) == 0
    capsys.readouterr()
    database.chmod(0o444)
    database.parent.chmod(0o555)
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    monkeypatch.setattr(discord.http.Route, "BASE", f"http://127.0.0.1:{closed_port()}/api/v10")
    try:
        code = run_main(argv)
    finally:
        database.parent.chmod(0o755)
        database.chmod(0o644)
    assert code == 1
    err = one_line(capsys.readouterr().err)
    assert str(database) in err and "lecture seule" in err
    assert not (tmp_path / "copie.sqlite3").exists()


@pytest.mark.parametrize("argv", DATABASE_COMMANDS[:4], ids=lambda argv: argv[0])
def test_a_database_folder_that_cannot_be_made_is_one_line(
    argv: list[str],
    monkeypatch: pytest.MonkeyPatch,
    tmp_path: Path,
    csv_file: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    if not permissions_hold(tmp_path):
        pytest.skip("file permissions are not enforced for this user (root)")
    locked = tmp_path / "verrouillé"
    locked.mkdir(mode=0o555)
    monkeypatch.setenv("DATABASE_PATH", str(locked / "data" / "habitat.sqlite3"))
    monkeypatch.setenv("DISCORD_TOKEN", TOKEN)
    try:
        assert run_main(argv) == 1
    finally:
        locked.chmod(0o755)
    err = one_line(capsys.readouterr().err)
    assert "accès refusé" in err and str(locked / "data") in err


def test_database_problems_name_the_file_and_what_to_do(tmp_path: Path) -> None:
    path = tmp_path / "data" / "habitat.sqlite3"
    readonly = database_problem(sqlite3.OperationalError("attempt to write a readonly database"), path)
    assert "lecture seule" in readonly and str(path.parent) in readonly
    unopened = database_problem(sqlite3.OperationalError("unable to open database file"), path)
    assert "ouverture impossible" in unopened and str(path.parent) in unopened
    assert "verrouillée" in database_problem(sqlite3.OperationalError("database is locked"), path)
    assert "c'est un dossier" in database_problem(sqlite3.OperationalError("unable to open"), tmp_path)
    denied = database_problem(PermissionError(13, "Permission denied", str(path.parent)), path)
    assert "accès refusé" in denied


def test_a_database_path_that_is_a_folder_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path))
    assert run_main(["migrate"]) == 1
    assert "c'est un dossier" in one_line(capsys.readouterr().err)


def test_an_export_that_cannot_be_written_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    target = tmp_path / "pas-de-dossier" / "projets.csv"
    assert run_main(["export-projects", str(target)]) == 1
    err = one_line(capsys.readouterr().err)
    assert str(target) in err and "Écriture impossible" in err


def test_an_unreadable_import_is_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "db.sqlite3"))
    assert run_main(["import-projects", str(tmp_path / "absent.csv")]) == 2
    assert "Lecture impossible" in one_line(capsys.readouterr().err)


# ----------------------------------------------------------------- backup


@pytest.fixture
def with_projects(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, csv_file: Path) -> Path:
    database = tmp_path / "data" / "habitat.sqlite3"
    monkeypatch.setenv("DATABASE_PATH", str(database))
    assert main(["import-projects", str(csv_file)]) == 0
    return database


def _rows(path: Path) -> tuple[list[tuple[str, str]], int]:
    with sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True) as conn:
        projects = conn.execute("SELECT nom, commune FROM projects ORDER BY id").fetchall()
        version = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()[0]
    return projects, version


def test_a_backup_opens_with_the_same_rows_and_schema_version(
    with_projects: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    capsys.readouterr()
    target = tmp_path / "sauvegardes" / "habitat-lundi.sqlite3"
    assert run_main(["backup", str(target)]) == 0
    captured = capsys.readouterr()
    assert captured.err == ""
    line = one_line(captured.out)
    projects, version = _rows(target)
    assert projects == _rows(with_projects)[0] and projects[0][0] == "Les Hirondelles"
    assert version == _rows(with_projects)[1] > 0
    assert str(target) in line and f"schéma en version {version}" in line
    assert human_size(target.stat().st_size) in line
    # One self-contained file: no -wal beside it, nothing left under a temporary name.
    assert sorted(p.name for p in target.parent.iterdir()) == ["habitat-lundi.sqlite3"]


def test_a_backup_never_overwrites_without_force(
    with_projects: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "copie.sqlite3"
    target.write_text("une sauvegarde précieuse", encoding="utf-8")
    capsys.readouterr()
    assert run_main(["backup", str(target)]) == 1
    err = one_line(capsys.readouterr().err)
    assert "existe déjà" in err and "--force" in err
    assert target.read_text(encoding="utf-8") == "une sauvegarde précieuse"
    assert run_main(["backup", "--force", str(target)]) == 0
    assert _rows(target)[0][0][0] == "Les Hirondelles"


def test_a_backup_is_taken_while_another_connection_holds_a_write_transaction(
    with_projects: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """As while the bot runs: its open transaction neither blocks the copy nor ends up in it."""
    bot = sqlite3.connect(with_projects, isolation_level=None)
    bot.create_function("fts_fr", -1, stemmed, deterministic=True)  # the full-text triggers call it
    try:
        bot.execute("BEGIN IMMEDIATE")
        bot.execute("UPDATE projects SET nom = 'Pas encore validé'")
        target = tmp_path / "copie.sqlite3"
        assert run_main(["backup", str(target)]) == 0
        assert _rows(target)[0][0][0] == "Les Hirondelles"
        bot.execute("COMMIT")
    finally:
        bot.close()
    assert _rows(with_projects)[0][0][0] == "Pas encore validé"


def test_there_is_nothing_to_back_up_without_a_database(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("DATABASE_PATH", str(tmp_path / "absente.sqlite3"))
    assert run_main(["backup", str(tmp_path / "copie.sqlite3")]) == 1
    assert "Rien à sauvegarder" in one_line(capsys.readouterr().err)
    assert not (tmp_path / "absente.sqlite3").exists()


def test_sizes_are_written_the_french_way() -> None:
    assert human_size(512) == "512 octets"
    assert human_size(245_760) == "245,8 ko"
    assert human_size(3_400_000) == "3,4 Mo"


def test_web_without_a_port_is_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["web"]) == 2
    err = one_line(capsys.readouterr().err)
    assert "WEB_PORT" in err and "WEB_PORT=8080" in err


def test_web_serves_the_agenda_alone_and_stops_on_sigterm(tmp_path: Path) -> None:
    """`python -m bot web` as its own process: no token, no Discord; the agenda and the health check."""
    port = closed_port()
    env = {**os.environ, "WEB_PORT": str(port), "DATABASE_PATH": str(tmp_path / "web.sqlite3")}
    env.pop("DISCORD_TOKEN", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "web"],
        cwd=Path(__file__).resolve().parents[2],
        env=env,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert process.stdout is not None
        assert f"port {port}" in process.stdout.readline()  # printed once the site listens
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=10) as health:
            assert health.read() == b"ok"
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/agenda.ics", timeout=10) as agenda:
            assert agenda.headers["Content-Type"].startswith("text/calendar")
            assert agenda.read().startswith(b"BEGIN:VCALENDAR")
    finally:
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=30)
    assert code == 0
