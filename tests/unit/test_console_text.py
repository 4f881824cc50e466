"""The sandbox console's pure parts: typed words, names, durations, option values, file previews."""

from __future__ import annotations

import contextlib
import json
import struct
import zlib
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sandbox.driver import Message
from bot.sandbox.emulator import Emulator
from bot.sandbox.filling import form_values, menu_values
from bot.sandbox.listing import Attachments, preview
from bot.sandbox.schema import BOOLEAN, INTEGER, STRING, option_value
from bot.sandbox.timeshift import ShiftedClock, parse_duration, through_due_moments
from bot.sandbox.typed import ConsoleError, Named, matches, one, split_words
from tests.support import ManualDateClock

CATEGORY: dict[str, Any] = {
    "type": STRING,
    "name": "categorie",
    "choices": [
        {"name": "Foncier", "value": "foncier", "name_localizations": {"en-US": "Land"}},
        {"name": "Foyer cherche groupe", "value": "cherche_groupe"},
        {"name": "Groupe cherche foyers", "value": "cherche_foyers"},
    ],
}
MENU: dict[str, Any] = {
    "type": 3,
    "custom_id": "foyer-horizon",
    "options": [
        {"label": "dès maintenant", "value": "maintenant"},
        {"label": "d'ici un an", "value": "moins_1_an"},
        {"label": "Chambre d'amis, bureau", "value": "amis"},
    ],
}


def no_lookup(kind: int, typed: str) -> Any:
    raise AssertionError("nothing to look up")


def test_words_keep_apostrophes_and_quoted_spaces() -> None:
    assert split_words("clic 1 S'inscrire") == ["clic", "1", "S'inscrire"]
    assert split_words('titre:"Les Hirondelles" fin:17h') == ["titre:Les Hirondelles", "fin:17h"]
    assert split_words("categorie:« Foncier (terrain) »") == ["categorie:Foncier (terrain)"]
    assert split_words('a "" b') == ["a", "", "b"]
    with pytest.raises(ConsoleError, match="guillemet ouvert"):
        split_words('"abc')


@given(st.text())
def test_without_quotes_words_are_what_spaces_separate(line: str) -> None:
    try:
        words = split_words(line)
    except ConsoleError:
        assert any(quote in line for quote in '"«“')
        return
    if not any(quote in line for quote in '"«“'):
        assert words == line.split()


def test_names_match_without_case_accents_or_punctuation_then_by_words() -> None:
    named = [Named(c["value"], c["name"], [c["name"], c["value"]]) for c in CATEGORY["choices"]]
    assert matches("FONCIER", named) == ["foncier"]
    assert matches("Foncier (terrain, bâtiment)", named) == ["foncier"]
    assert matches("cherche_groupe", named) == ["cherche_groupe"]
    assert matches("cherche", named) == ["cherche_groupe", "cherche_foyers"]
    assert matches("cherche", named, near=False) == []
    assert matches("", named) == []
    with pytest.raises(ConsoleError, match=r"« x » n'est pas parmi les choix : Foncier, Foyer cherche groupe"):
        one("x", named, "choix")


def test_choices_are_given_by_label_localised_label_or_value() -> None:
    assert option_value(CATEGORY, "foncier", "fr", no_lookup) == "foncier"
    assert option_value(CATEGORY, "Land", "en-US", no_lookup) == "foncier"
    with pytest.raises(ConsoleError, match=r"« cherche » peut désigner plusieurs choix de « categorie »"):
        option_value(CATEGORY, "cherche", "fr", no_lookup)
    assert option_value({"type": INTEGER, "name": "n"}, "12", "fr", no_lookup) == 12
    assert option_value({"type": BOOLEAN, "name": "recrute"}, "Non", "fr", no_lookup) is False
    assert option_value({"type": BOOLEAN, "name": "recrute"}, "oui", "fr", no_lookup) is True
    with pytest.raises(ConsoleError, match="attend oui ou non"):
        option_value({"type": BOOLEAN, "name": "recrute"}, "peut-être", "fr", no_lookup)


def test_menu_values_by_label_even_with_a_comma_in_it() -> None:
    assert menu_values(MENU, "Dès maintenant", "Quand") == ["maintenant"]
    assert menu_values(MENU, "[maintenant, d'ici un an]", "Quand") == ["maintenant", "moins_1_an"]
    assert menu_values(MENU, "chambre d'amis, bureau", "Quand") == ["amis"]
    with pytest.raises(ConsoleError, match=r"« bientôt » n'est pas parmi les choix de « Quand » : dès maintenant, "):
        menu_values(MENU, "bientôt", "Quand")


def test_form_fields_by_label_or_id_with_values_that_have_spaces() -> None:
    modal = {
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "f1", "label": "Nom du projet"}]},
            {"type": 10, "content": "Un texte"},
            {"type": 18, "label": "Quand", "component": MENU},
        ]
    }
    assert form_values(modal, "nom=Les Hirondelles du Puy foyer-horizon=d'ici un an") == {
        "f1": "Les Hirondelles du Puy",
        "foyer-horizon": ["moins_1_an"],
    }
    with pytest.raises(ConsoleError, match=r"« bonjour » : écrivez champ=valeur \(champs : Nom du projet, Quand\)"):
        form_values(modal, "bonjour")


def test_durations_add_up_and_stay_within_a_year() -> None:
    assert parse_duration("2j") == timedelta(days=2)
    assert parse_duration("1j2h") == timedelta(days=1, hours=2)
    assert parse_duration("1 jour, 30 min") == timedelta(days=1, minutes=30)
    assert parse_duration("15min") == timedelta(minutes=15)
    for wrong in ("xyz", "2 mois", "", "0h", "400j", "3h et demie"):
        with pytest.raises(ConsoleError):
            parse_duration(wrong)


@given(st.text(max_size=30))
def test_any_duration_is_understood_or_refused(text: str) -> None:
    with contextlib.suppress(ConsoleError):
        assert timedelta() < parse_duration(text) <= timedelta(days=366)


def test_the_sandbox_clock_is_real_time_plus_what_was_advanced() -> None:
    base = ManualDateClock(datetime(2027, 3, 1, 9, 0, tzinfo=UTC))
    clock = ShiftedClock(base)
    clock.advance(days=2, hours=1)
    base.advance(minutes=5)
    assert clock() == datetime(2027, 3, 3, 10, 5, tzinfo=UTC)


def png(width: int, height: int) -> bytes:
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    chunk = struct.pack(">I", len(header)) + b"IHDR" + header + struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return b"\x89PNG\r\n\x1a\n" + chunk


def test_previews_show_first_lines_or_a_picture_size() -> None:
    rows = "\n".join(f"nom,commune\nProjet {i},Thiers" for i in range(6))
    assert preview("projets.csv", rows.encode()) == [
        "nom,commune",
        "Projet 0,Thiers",
        "nom,commune",
        "Projet 1,Thiers",
        "nom,commune",
        "Projet 2,Thiers",
        "nom,commune",
        "Projet 3,Thiers",
        "… (4 lignes de plus)",
    ]
    assert preview("donnees.json", json.dumps({"membre": "1"}).encode()) == ["{", '  "membre": "1"', "}"]
    picture = png(640, 480)
    assert preview("carte.png", picture) == [f"image PNG 640×480, {len(picture)} octets"]
    assert preview("photo.jpg", b"\xff\xd8" * 10) == ["20 octets"]


def test_files_are_saved_once_each_without_overwriting(tmp_path: Path) -> None:
    emulator = Emulator()
    emulator.attachments = {1: ("agenda.ics", b"BEGIN:VCALENDAR", "text/calendar"), 2: ("agenda.ics", b"X", "")}
    first = Message(emulator, {"id": "10", "channel_id": "1", "attachments": [{"id": "1"}]})
    second = Message(emulator, {"id": "11", "channel_id": "1", "attachments": [{"id": "2"}]})
    kept = Attachments(tmp_path / "fichiers")
    assert kept.keep(emulator, first) == [
        f"  ↳ enregistré : {tmp_path / 'fichiers' / 'agenda.ics'}",
        "  │ BEGIN:VCALENDAR",
    ]
    assert kept.keep(emulator, first)[0].endswith("agenda.ics")  # shown again, saved once
    assert kept.keep(emulator, second)[0].endswith("agenda-2.ics")
    assert sorted(p.name for p in (tmp_path / "fichiers").iterdir()) == ["agenda-2.ics", "agenda.ics"]


class Rows:
    """A due source: rows due at given moments, each settled when the clock reaches it; `stuck` is a
    row that stays due whatever happens."""

    def __init__(self, clock: ManualDateClock, due: list[datetime], stuck: datetime | None = None) -> None:
        self.clock, self.due, self.stuck = clock, sorted(due), stuck
        self.delivered: list[datetime] = []

    async def run_due(self) -> int:
        ready = [moment for moment in self.due if moment <= self.clock()]
        self.due = [moment for moment in self.due if moment > self.clock()]
        self.delivered += [self.clock()] * len(ready)
        return len(ready)

    async def next_due(self) -> datetime | None:
        return min([*self.due, *([self.stuck] if self.stuck else [])], default=None)


async def test_time_passes_through_each_due_moment_up_to_the_target() -> None:
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    clock = ManualDateClock(start)
    rows = Rows(clock, [start + timedelta(days=2), start + timedelta(days=5), start + timedelta(days=40)])
    async for _ in through_due_moments(clock, [rows], start + timedelta(days=30)):
        await rows.run_due()
    assert rows.delivered == [start + timedelta(days=2), start + timedelta(days=5)]
    assert clock() == start + timedelta(days=30)


async def test_a_row_that_stays_due_does_not_hold_time_still() -> None:
    start = datetime(2027, 3, 1, 9, 0, tzinfo=UTC)
    clock = ManualDateClock(start)
    rows, stuck = Rows(clock, [start + timedelta(hours=1)]), Rows(clock, [], stuck=start - timedelta(days=1))
    async for _ in through_due_moments(clock, [stuck, rows], start + timedelta(hours=2)):
        await rows.run_due()
    assert rows.delivered == [start + timedelta(hours=1)]
    assert clock() == start + timedelta(hours=2)
