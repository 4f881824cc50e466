"""`python -m bot import-projects --format bazar SOURCE [--form FILE]`: one summary line, then one line per
refused entry or unknown value with its page; a failure only when nothing could be read."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.sandbox.bazar_site import BazarSite, serve_bazar
from tests.support import served_in_thread, without_settings
from tests.terminal import closed_port, one_line

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bazar"
SUMMARY = "4 ajoutés, 0 mis à jour, 0 retiré, 0 inchangé, 1 ignoré (arrêté), 2 refusés."


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    without_settings(monkeypatch, tmp_path, tmp_path / "db.sqlite3")


@pytest.fixture
def site() -> Iterator[BazarSite]:
    """The fixture site, served from its own thread: the command runs its own event loop."""
    served = BazarSite(
        entries=json.loads((FIXTURES / "entries.json").read_text(encoding="utf-8")),
        form=json.loads((FIXTURES / "form.json").read_text(encoding="utf-8")),
    )
    with served_in_thread(serve_bazar(served)):
        yield served


def test_a_site_is_imported_then_synced(site: BazarSite, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-projects", "--format", "bazar", site.url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == SUMMARY
    assert len(out) == 4  # two refused entries, one unknown value
    assert any(line.startswith("Refusée : « La Ruche des Marais »") and "?LaRucheDesMarais" in line for line in out)
    assert any("Valeur inconnue : Structure juridique « Habitat léger & réversible (leger) »" in line for line in out)
    del site.entries["LesTilleulsPartages"]
    assert main(["import-projects", "--format", "bazar", site.url]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "0 ajouté, 0 mis à jour, 1 retiré, 3 inchangés, 1 ignoré (arrêté), 2 refusés."
    )


def test_saved_files_with_or_without_their_form(capsys: pytest.CaptureFixture[str]) -> None:
    entries = str(FIXTURES / "entries_list.json")
    assert main(["import-projects", "--format", "bazar", entries, "--form", str(FIXTURES / "form.json")]) == 0
    assert capsys.readouterr().out.splitlines()[0] == SUMMARY
    assert main(["import-projects", "--format", "bazar", str(FIXTURES / "entries.json")]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "0 ajouté, 0 mis à jour, 0 retiré, 4 inchangés, 1 ignoré (arrêté), 2 refusés."
    assert any("Valeur inconnue : Forme juridique « leger »" in line for line in out)  # our words, no form


def test_nothing_read_is_one_line_and_a_failure(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["import-projects", "--format", "bazar", f"http://127.0.0.1:{closed_port()}/"]) == 1
    assert "Rien n'a pu être lu" in one_line(capsys.readouterr().err)
    empty = tmp_path / "vide.json"
    empty.write_text("[]", encoding="utf-8")
    assert main(["import-projects", "--format", "bazar", str(empty)]) == 1
    assert "aucune fiche" in one_line(capsys.readouterr().err)
    assert main(["import-projects", "--format", "bazar", str(tmp_path / "absent.json")]) == 1
    assert "absent.json" in one_line(capsys.readouterr().err)
