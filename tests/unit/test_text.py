"""Numbers as members type them to name a row; text folded for search."""

from __future__ import annotations

import unicodedata

import pytest
import snowballstemmer  # type: ignore[import-untyped]
from hypothesis import given
from hypothesis import strategies as st
from snowballstemmer.french_stemmer import FrenchStemmer  # type: ignore[import-untyped]

from bot.text import ROW_ID_MAX, search_words, stems, strip_accents, typed_id


@pytest.mark.parametrize(("typed", "number"), [("42", 42), (" 7 ", 7), ("007", 7), (str(ROW_ID_MAX), ROW_ID_MAX)])
def test_a_row_s_number(typed: str, number: int) -> None:
    assert typed_id(typed) == number


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "0",
        "-3",
        "4 2",
        "Les Hirondelles",
        "²",  # a digit for str.isdigit(), not for int()
        "٣",  # a digit for int(), typed in another script: not the number the list offered
        str(ROW_ID_MAX + 1),  # beyond SQLite's integers
        "9" * 2000,
    ],
)
def test_no_row_s_number(typed: str) -> None:
    assert typed_id(typed) is None


@given(st.text())
def test_accents_are_stripped_as_from_the_whole_text(text: str) -> None:
    """Stripped a character at a time, text is what the whole of it normalised gives (what the full-text
    entries written before hold)."""
    whole = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    assert strip_accents(text) == whole


@given(st.from_regex(r"[0-9]{1,12}", fullmatch=True))
def test_a_number_is_its_own_stem_as_the_stemmer_says(number: str) -> None:
    assert snowballstemmer.stemmer("french").stemWord(number) == number
    assert stems(f"Projet {number}, coopératives") == ["projet", number, "cooper"]


FRENCH = st.text(alphabet=st.sampled_from("aàâbcçdeéèêëfghiîïjklmnoôœpqrstuùûvwxyz AÉÈŒ'’-.,;«»\t\n\xa0\u2009St1"))


@given(st.text() | FRENCH)
def test_text_is_stemmed_a_piece_at_a_time_as_a_whole(text: str) -> None:
    """Stemmed a piece between two spaces at a time (each piece's stems kept once worked out), text gives what
    folding and splitting the whole of it gives: the stems the projects' index holds stay the same."""
    whole = [snowballstemmer.stemmer("french").stemWord(w) if not w.isdigit() else w for w in search_words(text)]
    assert stems(text) == whole


FRENCH_LETTERS = "abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüÿœæ"


@given(st.text(alphabet=FRENCH_LETTERS, min_size=1, max_size=20))
def test_the_compiled_stemmer_gives_the_stems_the_pure_python_one_wrote(word: str) -> None:
    """The projects' full-text entries written with snowballstemmer's own French stemmer are found with the one it
    takes from PyStemmer: the same Snowball rules, word for word."""
    assert type(snowballstemmer.stemmer("french")).__module__ == "Stemmer"
    assert snowballstemmer.stemmer("french").stemWord(word) == FrenchStemmer().stemWord(word)
