"""Text as people type it: folding for lookups, French stems for full-text search, numbers naming a row."""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

import snowballstemmer  # type: ignore[import-untyped]

_SEPARATORS = re.compile(r"[\s'’‘`´\-‐‑‒–—_/.,;:!?()\[\]{}«»\"“”]+")
ABBREVIATIONS = {"st": "saint", "ste": "sainte", "sts": "saints", "stes": "saintes"}
_WORD = re.compile(r"\w+")
_stemmer = snowballstemmer.stemmer("french")
_DIGITS = re.compile(r"[0-9]{1,19}")  # ASCII digits: « ² » passes str.isdigit(), not int()
ROW_ID_MAX = 2**63 - 1  # SQLite's largest integer: a bigger number is no row's id, and cannot be bound
# Words too common to help a search; they would only make every AND query stricter.
STOPWORDS = frozenset(
    [
        "a",
        "au",
        "aux",
        "avec",
        "ce",
        "ces",
        "d",
        "dans",
        "de",
        "des",
        "du",
        "en",
        "et",
        "il",
        "ils",
        "l",
        "la",
        "le",
        "les",
        "leur",
        "leurs",
        "ou",
        "par",
        "pour",
        "qu",
        "que",
        "qui",
        "sa",
        "se",
        "ses",
        "son",
        "sur",
        "un",
        "une",
        "y",
    ]
)


def _stripped(char: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", char) if not unicodedata.combining(c))


class _Stripped(dict[int, str]):
    """Each character without its accents, as `str.translate` asks for it, worked out the first time it is seen:
    French text is rarely all ASCII (’ « » œ €), and normalising the whole of it cost ~70 µs for a
    description. Kept for the Basic Multilingual Plane only, so that odd input cannot grow it without end."""

    def __missing__(self, code: int) -> str:
        stripped = _stripped(chr(code))
        if code < 0x10000:
            self[code] = stripped
        return stripped


_STRIPPED = _Stripped()


def typed_id(typed: str) -> int | None:
    """The number a member typed to name a row (an option's value, the autocomplete's or their own), or
    None when it is no number, or none that a row's id could be."""
    digits = _DIGITS.fullmatch(typed.strip())
    number = int(digits.group()) if digits else 0
    return number if 0 < number <= ROW_ID_MAX else None


def strip_accents(text: str) -> str:
    # Character by character as the whole text would be: NFKD decomposes each alone, and only reorders the
    # combining marks, which are dropped.
    return text.translate(_STRIPPED)


_LIGATURES = str.maketrans({"œ": "oe", "æ": "ae"})


def fold(text: str) -> str:
    """Case, accents, ligatures, hyphens, apostrophes and "St"/"Ste" folded away: "St-Étienne" → "saint etienne"."""
    words = _SEPARATORS.split(strip_accents(text).casefold().translate(_LIGATURES))
    return " ".join([ABBREVIATIONS.get(word, word) for word in words if word])


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    # The French rules change letters only: a number is its own stem, and each new one would cost a call of
    # the stemmer, as many as the numbered records of an import.
    return word if word.isdigit() else str(_stemmer.stemWord(word))


def search_words(text: str) -> list[str]:
    """The folded words of `text` a search keeps: "Coopératives d'habitants" → ["cooperatives", "habitants"]."""
    return [word for word in _WORD.findall(fold(text)) if word not in STOPWORDS]


@lru_cache(maxsize=65536)
def _piece_stems(piece: str) -> tuple[str, ...]:
    # A piece of text between two spaces folds and splits alone as it does within the text (every step works
    # on characters or on words, which spaces end): the pieces of a description repeat, from one to the next.
    return tuple([_stem(word) for word in search_words(piece)])


def stems(text: str) -> list[str]:
    """Folded French stems of the words of `text`: "Coopératives d'habitants" → ["cooper", "habit"]."""
    return [stem for piece in text.split() for stem in _piece_stems(piece)]


def stemmed(*parts: str | None) -> str:
    """The text that the full-text index holds for these parts."""
    return " ".join([stem for part in parts if part for stem in stems(part)])


def fts_query(text: str) -> str | None:
    """Each word of the search as a stem prefix, all required: "coopératives bois" → "cooper"* AND "bois"*."""
    words = stems(text)
    return " AND ".join(f'"{word}"*' for word in words) if words else None
