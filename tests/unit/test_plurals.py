"""Every count the bot says, said properly: each plural pair of the code rendered at 0, 1 and 2 in French
and in English (« 0 personne, 1 personne, 2 personnes »; "0 people, 1 person, 2 people")."""

from __future__ import annotations

import ast
import re
import string
from pathlib import Path

import pytest

from bot.errors import COUNTED_REASONS
from bot.i18n import catalogue, ngettext

ROOT = Path(__file__).resolve().parents[2]
# Where each plural helper takes its two French forms.
PLURAL_CALLS = {"ngettext": (0, 1), "tn": (1, 2), "Plural": (0, 1)}
HELPERS = {("bot/i18n.py", "ngettext"), ("bot/errors.py", "Plural"), ("cogs/ui/text.py", "ngettext")}
# English words that do not change with the count ("1 created, 2 created").
SAME_IN_ENGLISH = {"{n} créé", "{n} inchangé", "… et {n} autre"}
SAME_IN_ENGLISH |= {"{n} ajouté", "{n} retiré", "{n} ignoré (arrêté)", "{n} refusé"}  # a sync's summary
SAME_IN_ENGLISH |= {"{n} annulé"}  # a calendar feed's read
HALF_PLURAL = re.compile(r"\(s\)|\(e\)s|\(x\)", re.IGNORECASE)


def plural_pairs() -> list[tuple[str, str]]:
    """(singular, plural) of every plural call with written-out forms, and of the counted refusals."""
    found = {(singular, plural) for singular, plural, _ in COUNTED_REASONS.values()}
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("cogs/**/*.py")]:
        where = path.relative_to(ROOT).as_posix()
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            if name not in PLURAL_CALLS:
                continue
            first, second = (node.args[i] if len(node.args) > i else None for i in PLURAL_CALLS[name])
            if isinstance(first, ast.Constant) and isinstance(second, ast.Constant):
                found.add((str(first.value), str(second.value)))
            else:  # only the helpers themselves pass their forms through
                assert (where, name) in HELPERS, f"{where}:{node.lineno}"
    return sorted(found)


def test_the_pairs_are_found() -> None:
    pairs = plural_pairs()
    assert ("{n} personne", "{n} personnes") in pairs
    assert ("{n} serveur", "{n} serveurs") in pairs
    assert len(pairs) >= 20


def filled(text: str, n: int) -> dict[str, object]:
    """Every placeholder of a form given the count (the counted one may bear any name)."""
    return {name: n for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize(("singular", "plural"), plural_pairs())
def test_a_count_is_said_properly_in_both_languages(singular: str, plural: str) -> None:
    english = catalogue("en")
    assert singular in english and plural in english, "each form has its own English entry"
    assert singular != plural
    assert english[singular] != english[plural] or singular in SAME_IN_ENGLISH, "« 1 people »"
    params = filled(singular, 0) | filled(plural, 0)
    said = {
        (language, n): ngettext(singular, plural, n, locale, **dict.fromkeys(params, n))
        for language, locale in (("fr", "fr"), ("en", "en-US"))
        for n in (0, 1, 2)
    }
    for text in said.values():
        assert not HALF_PLURAL.search(text), text
        assert "{" not in text, text
    # French: 0 and 1 take the singular, 2 the plural; English: only 1 takes the singular.
    assert said["fr", 0] == singular.format(**filled(singular, 0))
    assert said["fr", 1] == singular.format(**filled(singular, 1))
    assert said["fr", 2] == plural.format(**filled(plural, 2))
    assert said["en", 0] == english[plural].format(**filled(plural, 0))
    assert said["en", 1] == english[singular].format(**filled(singular, 1))
    assert said["en", 2] == english[plural].format(**filled(plural, 2))


def test_no_message_in_the_catalogue_writes_half_a_plural() -> None:
    assert [key for key in catalogue("en") if HALF_PLURAL.search(key)] == []
    assert [value for value in catalogue("en").values() if HALF_PLURAL.search(value)] == []


def test_the_known_slips_are_gone() -> None:
    assert ngettext("{n} personne", "{n} personnes", 1, "en-US") == "1 person"
    assert ngettext("{n} personne", "{n} personnes", 0, "fr") == "0 personne"
    assert ngettext("{n} serveur", "{n} serveurs", 1, "fr") == "1 serveur"
