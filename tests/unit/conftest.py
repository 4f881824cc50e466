"""Unit fixtures: the core built as the bot builds it, on a clock moved by hand and a notifier that records."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.core import Core, build_core
from bot.db import Database
from tests.support import ManualDateClock, RecordingNotifier


@pytest.fixture
def clock(db: Database) -> ManualDateClock:
    manual = ManualDateClock()
    db.clock = manual
    return manual


@pytest.fixture
def notifier() -> RecordingNotifier:
    return RecordingNotifier()


@pytest.fixture
def core(db: Database, clock: ManualDateClock, notifier: RecordingNotifier) -> Core:
    return build_core(Settings(_env_file=None), db=db, clock=clock, notifier=notifier)
