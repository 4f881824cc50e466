"""`python -m bot import-facilitators --format bazar SOURCE`: the national site's actors that offer
support, from a local site serving the fixture (nothing reaches the internet) or from saved files; never
a person's contact details."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.config import load_settings
from bot.core import build_core
from bot.db import SqliteDatabase
from bot.resources.facilitators.models import Facilitator, FacilitatorStatus, Structure
from bot.sandbox.bazar_site import BazarSite, serve_bazar
from bot.vocabulary import Etape, Expertise
from tests.support import served_in_thread, without_settings

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "bazar"
SUMMARY = "2 ajoutés, 0 mis à jour, 0 retiré, 0 inchangé, 1 ignoré (arrêté), 1 refusé."


@pytest.fixture(autouse=True)
def isolated(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    without_settings(monkeypatch, tmp_path, tmp_path / "db.sqlite3")


@pytest.fixture
def site() -> Iterator[BazarSite]:
    served = BazarSite(
        entries=json.loads((FIXTURES / "actors_entries.json").read_text(encoding="utf-8")),
        form=json.loads((FIXTURES / "actors_form.json").read_text(encoding="utf-8")),
        form_id=2,
    )
    with served_in_thread(serve_bazar(served)):
        yield served


def records() -> list[Facilitator]:
    async def read() -> list[Facilitator]:
        settings = load_settings()
        async with SqliteDatabase(settings.database_path) as db:
            store = build_core(settings, db=db).facilitators.store
            rows = await db.fetchall("SELECT id FROM facilitators ORDER BY nom_cle")
            return await store.get_many([row["id"] for row in rows])

    return asyncio.run(read())


def test_the_actors_offering_support_are_imported_without_personal_contacts(
    site: BazarSite, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["import-facilitators", "--format", "bazar", site.url]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == SUMMARY
    assert any(line.startswith("Refusée : « Collectif Sans Expertise »") for line in out)
    assert any("Valeur inconnue : Expertises « Droit et fiscalité (juridique) »" in line for line in out)
    assert site.requests == ["api/forms/2/entries/json", "api/forms/2"]
    ecotone, habiter = records()
    assert ecotone.nom == "Écotone Accompagnement" and ecotone.statut is FacilitatorStatus.publie
    assert ecotone.structure is Structure.cooperative and ecotone.zone.departements == {"63", "03"}
    assert ecotone.expertises == {Expertise.dynamiques_groupes, Expertise.participation_citoyenne}
    assert ecotone.site == "https://www.ecotone.example" and ecotone.contact is None
    assert ecotone.source_url == "https://habitat.example/?EcotoneAccompagnement"
    assert "claire" not in ecotone.description.lower() and "06 11" not in ecotone.description
    assert habiter.structure is Structure.autre and habiter.etapes == set(Etape)  # no phase said: all
    assert habiter.zone.departements == {"44"}
    # Again: nothing changes; then an entry stops, and leaves the directory.
    assert main(["import-facilitators", "--format", "bazar", site.url]) == 0
    assert capsys.readouterr().out.splitlines()[0] == (
        "0 ajouté, 0 mis à jour, 0 retiré, 2 inchangés, 1 ignoré (arrêté), 1 refusé."
    )
    site.entries["HabiterAutrementConseil"]["listeListeEtat"] = "arrete"
    assert main(["import-facilitators", "--format", "bazar", site.url]) == 0
    assert capsys.readouterr().out.splitlines()[0].startswith("0 ajouté, 0 mis à jour, 1 retiré, 1 inchangé")
    assert [r.published for r in records()] == [True, False]


def test_saved_files_give_the_same_records(capsys: pytest.CaptureFixture[str]) -> None:
    entries, form = str(FIXTURES / "actors_entries.json"), str(FIXTURES / "actors_form.json")
    assert main(["import-facilitators", "--format", "bazar", entries, "--form", form]) == 0
    assert capsys.readouterr().out.splitlines()[0] == SUMMARY
    assert [r.nom for r in records()] == ["Écotone Accompagnement", "Habiter Autrement Conseil"]


def test_nothing_read_is_a_failure(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    empty = tmp_path / "vide.json"
    empty.write_text("{}", encoding="utf-8")
    assert main(["import-facilitators", "--format", "bazar", str(empty)]) == 1
    assert "aucune fiche" in capsys.readouterr().err
