from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.client import REQUIRED_PERMISSIONS, application_id_from_token, cog_extensions, required_permissions


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)  # no stray .env
    for name in ("DISCORD_TOKEN", "DEV_GUILD_ID", "DATABASE_PATH", "DEFAULT_TZ", "LOG_LEVEL", "WEB_PORT"):
        monkeypatch.delenv(name, raising=False)


def test_without_token_one_line_points_to_the_portal_and_the_sandbox(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main([]) == 1
    err = capsys.readouterr().err.strip()
    assert "\n" not in err
    assert "DISCORD_TOKEN" in err
    assert "discord.com/developers" in err
    assert "python -m bot sandbox" in err


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
    assert "1 créé(s)" in capsys.readouterr().out
    assert main(["import-projects", str(source)]) == 0
    assert "0 créé(s), 0 mis à jour, 1 inchangé(s)" in capsys.readouterr().out
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
