"""What a person types in the console: words (quotes keep spaces), names matched as people write them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.text import fold

T = TypeVar("T")

QUOTES = {'"': '"', "«": "»", "“": "”"}


class ConsoleError(ValueError):
    """What the console refuses, said in one line."""


def split_words(line: str) -> list[str]:
    """Words separated by spaces; "…" or « … » keep spaces inside a word (`titre:"Les Hirondelles"`).
    An apostrophe is only an apostrophe (`:clic S'inscrire`)."""
    words: list[str] = []
    current = ""
    quoted = False  # a word made of an empty quote is still a word
    closing: str | None = None
    segment = ""
    for char in line:
        if closing is not None:
            if char == closing:
                current += segment.strip()
                closing, segment = None, ""
            else:
                segment += char
        elif char in QUOTES:
            closing, quoted = QUOTES[char], True
        elif char.isspace():
            if current or quoted:
                words.append(current)
            current, quoted = "", False
        else:
            current += char
    if closing is not None:
        raise ConsoleError(f"guillemet ouvert sans son {closing} fermant")
    if current or quoted:
        words.append(current)
    return words


@dataclass(frozen=True)
class Named(Generic[T]):
    """Something a person may name in several ways; `shown` is how the console lists it."""

    item: T
    shown: str
    names: Sequence[str]


def matches(typed: str, candidates: Sequence[Named[T]], *, near: bool = True) -> list[T]:
    """The candidates one of whose names is `typed`, case, accents and punctuation aside; failing that
    (unless `near` is False), those with a name that contains the typed words, or is contained in them
    (`inscrire` for « S'inscrire », « Foncier (terrain) » for « Foncier »)."""
    wanted = fold(typed)
    if not wanted:
        return []
    exact: list[T] = []
    close: list[T] = []
    for candidate in candidates:
        folded = [name for name in (fold(str(n)) for n in candidate.names) if name]
        if wanted in folded:
            exact.append(candidate.item)
        elif near and any(f" {wanted}" in f" {name}" or f" {name} " in f" {wanted} " for name in folded):
            close.append(candidate.item)
    return exact or close


def one(typed: str, candidates: Sequence[Named[T]], what: str) -> T:
    """The one candidate `typed` names, or a ConsoleError that lists them."""
    found = matches(typed, candidates)
    if len(found) == 1:
        return found[0]
    if found:
        shown = [c.shown for c in candidates if c.item in found]
        raise ConsoleError(f"« {typed} » peut désigner plusieurs {what} : {', '.join(shown)}")
    valid = ", ".join(c.shown for c in candidates) or "aucun"
    raise ConsoleError(f"« {typed} » n'est pas parmi les {what} : {valid}")


def one_line(error: BaseException) -> str:
    return (str(error).strip().splitlines() or [type(error).__name__])[0]
