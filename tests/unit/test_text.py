"""Numbers as members type them to name a row."""

from __future__ import annotations

import pytest

from bot.text import ROW_ID_MAX, typed_id


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
