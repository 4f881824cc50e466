"""French first, English complete: every French string shown to members has an English translation."""

from __future__ import annotations

import ast
import string
from pathlib import Path

import pytest

from bot.i18n import catalogue, command_path, gettext, language_of, names, translate_name

ROOT = Path(__file__).resolve().parents[2]
# Each call's French source strings, by argument position (the two forms of a plural).
TRANSLATED_CALLS = {
    "t": (1,),
    "gettext": (0,),
    "UserError": (0,),
    "Text": (0,),
    "Refused": (0,),
    "ngettext": (0, 1),
    "tn": (1, 2),
    "Plural": (0, 1),
}


def source_strings() -> set[str]:
    """First string arguments of t(…, "…"), gettext("…"), UserError("…") and Text("…") in the bot's code,
    and the ValueError messages of the models that members fill (shown as the reason of a refusal)."""
    found: set[str] = set()
    for path in ROOT.glob("bot/**/models.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Raise) and isinstance(node.exc, ast.Call) and node.exc.args:
                argument = node.exc.args[0]
                if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                    found.add(argument.value)
    for path in [*ROOT.glob("bot/**/*.py"), *ROOT.glob("cogs/**/*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", "")
            for position in TRANSLATED_CALLS.get(name, ()):
                given = node.args[position] if len(node.args) > position else None
                if isinstance(given, ast.Constant) and isinstance(given.value, str):
                    found.add(given.value)
    return found


def test_every_validation_reason_has_an_english_translation() -> None:
    from bot.errors import COUNTED_REASONS, REASONS

    counted = {form for singular, plural, _ in COUNTED_REASONS.values() for form in (singular, plural)}
    assert sorted((set(REASONS.values()) | counted) - catalogue("en").keys()) == []


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_every_message_has_an_english_translation() -> None:
    missing = sorted(source_strings() - catalogue("en").keys())
    assert missing == []


@pytest.mark.parametrize(("source", "english"), sorted(catalogue("en").items()))
def test_translation_keeps_placeholders(source: str, english: str) -> None:
    assert placeholders(source) == placeholders(english)


def test_locale_picks_language() -> None:
    assert language_of("en-US") == "en"
    assert language_of("en-GB") == "en"
    assert language_of("fr") == "fr"
    assert language_of("de") == "fr"  # French is the network's language and the fallback
    assert gettext("Page {n} sur {total}", "en-US", n=2, total=3) == "Page 2 of 3"
    assert gettext("Page {n} sur {total}", "fr", n=2, total=3) == "Page 2 sur 3"


def test_every_vocabulary_label_has_an_english_translation() -> None:
    from bot.vocabulary import all_labels

    assert sorted(all_labels() - catalogue("en").keys()) == []


def test_a_name_is_translated_by_its_place() -> None:
    """`annonce` is a small ad under /annonce and a scheduled announcement under /rappel."""
    assert command_path("annonce retirer annonce", "en-US") == "classified withdraw ad"
    assert command_path("rappel annuler annonce", "en-GB") == "announcement cancel announcement"
    assert command_path("rappel annuler annonce", "fr") == "rappel annuler annonce"
    assert translate_name("projet chercher", "en-US") == "search"  # no entry of its own: the word's
    assert translate_name("projet", "de") is None  # French for every other locale


def test_names_stay_out_of_the_messages() -> None:
    assert "names" not in catalogue("en")
    assert names("en")["annonce"] == "classified"
    assert catalogue("en")["annonce"] == "ad"
