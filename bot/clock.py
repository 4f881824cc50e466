"""Time in one place: aware UTC datetimes, their text form in the database, and an injectable clock."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime

Clock = Callable[[], datetime]
"""What the core asks for the current time; tests pass their own to move time without sleeping."""


def utc_now() -> datetime:
    return datetime.now(UTC)


def to_db(moment: datetime) -> str:
    """UTC ISO-8601 text, second precision: sorts the same as the moments it stands for."""
    if moment.tzinfo is None:
        raise ValueError("naive datetime: the core only handles aware datetimes")
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def from_db(text: str) -> datetime:
    return datetime.fromisoformat(text).astimezone(UTC)
