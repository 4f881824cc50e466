"""The README's sandbox examples, typed into one console in order, and the console's guided tour."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.sandbox.console import Console
from bot.sandbox.guide import GREETING, TOUR
from bot.sandbox.harness import Sandbox
from tests.support import ManualDateClock

README = Path(__file__).resolve().parents[2] / "README.md"
PROMPTED = re.compile(r"^(?P<prompt>\w+@#\S+> )(?P<line>.*)$")
COMMENT = re.compile(r"\s{2,}#\s.*$")  # `  # …` after a line; `#annonces` alone is a channel
REFUSALS = ("Discord refuserait", "incomprise", "inconnue")


def sandbox_examples() -> list[tuple[str, str]]:
    """(prompt, typed line) of the ```text blocks under « Le bac à sable »."""
    section = README.read_text(encoding="utf-8").split("\n## Le bac à sable\n", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"^```text\n(.*?)^```", section, flags=re.MULTILINE | re.DOTALL)
    examples = []
    for line in "".join(blocks).splitlines():
        match = PROMPTED.match(line)
        assert match, f"not a prompted line: {line!r}"
        examples.append((match["prompt"], COMMENT.sub("", match["line"])))
    return examples


def test_comments_are_stripped_but_not_channels() -> None:
    assert COMMENT.sub("", ":avancer 10j  # les rappels") == ":avancer 10j"
    assert COMMENT.sub("", ":messages #annonces") == ":messages #annonces"


class Written:
    def __init__(self, console: Console) -> None:
        self.lines: list[str] = []
        console.write = self.lines.append

    def since(self, start: int) -> str:
        return "\n".join(self.lines[start:])


async def test_the_readme_examples_answer_as_shown(furnished: Sandbox, clock: ManualDateClock, tmp_path: Path) -> None:
    console = Console(furnished, clock, tmp_path / "fichiers")
    written = Written(console)
    examples = sandbox_examples()
    assert len(examples) >= 10
    for prompt, line in examples:
        assert console.prompt == prompt, line
        start = len(written.lines)
        assert await console.handle(line)
        answer = written.since(start)
        assert answer and not answer.startswith("⚠"), f"{line} → {answer}"
        assert not any(refusal in answer for refusal in REFUSALS), f"{line} → {answer}"


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> ManualDateClock:
    """The bot's clock, from the start a test asks for."""
    return ManualDateClock(getattr(request, "param", None))


@pytest.mark.parametrize(
    "clock",
    [
        datetime(2027, 3, 1, 9, 0, tzinfo=UTC),  # a Monday morning
        datetime(2027, 3, 5, 15, 0, tzinfo=UTC),  # a Friday afternoon: the open day is the next day
        datetime(2027, 3, 6, 16, 0, tzinfo=UTC),  # a Saturday: « samedi prochain » is a week later
    ],
    ids=["monday", "friday", "saturday"],
    indirect=True,
)
async def test_the_tour_plays_to_its_end_and_leaves_an_accepted_introduction(
    furnished: Sandbox, clock: ManualDateClock, tmp_path: Path
) -> None:
    console = Console(furnished, clock, tmp_path / "fichiers")
    written = Written(console)
    assert await console.handle(":tour")
    played = written.since(0)
    assert not [line for line in written.lines if line.startswith(("⚠", "Visite arrêtée"))]
    assert played.count("— Étape ") == len(TOUR)
    assert "alex@#général> /projet chercher pres_de:Clermont-Ferrand public:seniors" in played
    assert "⏰ Rappel" in played
    assert written.lines[-1].startswith("\nFin de la visite")
    [row] = await furnished.bot.db.fetchall("SELECT status FROM introductions")
    assert row["status"] == "acceptee"


async def test_a_failing_step_stops_the_tour_in_one_line_and_the_console_goes_on(
    furnished: Sandbox, clock: ManualDateClock, tmp_path: Path
) -> None:
    console = Console(furnished, clock, tmp_path / "fichiers")
    written = Written(console)
    furnished.demo.channels["annonces"].name = "ailleurs"  # the open day's card is not where the tour looks
    assert await console.handle(":tour")
    assert written.lines[-1].startswith("Visite arrêtée à l'étape 4 (« :clic 1 S'inscrire ») : pas de bouton")
    assert "— Étape 5/" not in written.since(0)
    assert await console.handle(":heure")


def test_the_greeting_names_the_demo_members_and_suggests_the_tour() -> None:
    for name in ("Camille", "Dominique", "Morgane", "Alex", "Sam"):
        assert name in GREETING
    assert ":tour" in GREETING and len(GREETING.splitlines()) <= 12
