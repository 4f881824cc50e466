from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.db import Database
from bot.errors import UserError
from bot.guild_settings import (
    DEFAULT_REMINDER_OFFSETS,
    GuildSettingsStore,
    format_offset,
    parse_offsets,
    timezone_suggestions,
    validate_timezone,
)


async def test_unknown_server_gets_defaults(db: Database) -> None:
    settings = await GuildSettingsStore(db, default_timezone="America/Cayenne").get(7)
    assert settings.timezone == "America/Cayenne"
    assert settings.reminder_offsets == DEFAULT_REMINDER_OFFSETS
    assert settings.announce_channel_id is None


async def test_update_keeps_other_settings(db: Database) -> None:
    store = GuildSettingsStore(db)
    await store.update(7, announce_channel_id=11, organiser_role_id=22)
    settings = await store.update(7, timezone="europe/brussels")
    assert settings.announce_channel_id == 11
    assert settings.organiser_role_id == 22
    assert settings.timezone == "Europe/Brussels"


async def test_servers_do_not_share_settings(db: Database) -> None:
    store = GuildSettingsStore(db)
    await store.update(1, moderator_role_id=5)
    assert (await store.get(2)).moderator_role_id is None


async def test_invalid_timezone_changes_nothing(db: Database) -> None:
    store = GuildSettingsStore(db)
    await store.update(7, timezone="Europe/Paris")
    with pytest.raises(UserError):
        await store.update(7, timezone="Paris/Montmartre")
    assert (await store.get(7)).timezone == "Europe/Paris"


async def test_unknown_column_is_refused(db: Database) -> None:
    with pytest.raises(ValueError, match="unknown"):
        await GuildSettingsStore(db).update(7, owner_id=8)


async def test_reminder_offsets_replace_the_previous_ones(db: Database) -> None:
    store = GuildSettingsStore(db)
    await store.set_reminder_offsets(7, (60, 1440))
    settings = await store.set_reminder_offsets(7, (30,))
    assert settings.reminder_offsets == (30,)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("7j 1j 2h", (10080, 1440, 120)),
        ("2h, 7 jours", (10080, 120)),
        ("30min", (30,)),
        ("1 jour;1j", (1440,)),
        ("3J 45M", (4320, 45)),
    ],
)
def test_parse_offsets(text: str, expected: tuple[int, ...]) -> None:
    assert parse_offsets(text) == expected


@pytest.mark.parametrize("text", ["", "demain", "7 semaines", "0h", "61j", "1j 2j 3j 4j 5j 6j"])
def test_parse_offsets_refuses(text: str) -> None:
    with pytest.raises(UserError):
        parse_offsets(text)


@given(st.lists(st.integers(min_value=1, max_value=60 * 24 * 60), min_size=1, max_size=5))
def test_offsets_survive_their_own_format(minutes: list[int]) -> None:
    text = " ".join(f"{m}min" for m in minutes)
    assert parse_offsets(text) == tuple(sorted(set(minutes), reverse=True))


@pytest.mark.parametrize(("minutes", "text"), [(10080, "7 j"), (120, "2 h"), (90, "1 h 30"), (45, "45 min")])
def test_format_offset(minutes: int, text: str) -> None:
    assert format_offset(minutes) == text


def test_timezone_is_case_insensitive_and_suggested() -> None:
    assert validate_timezone("  america/martinique ") == "America/Martinique"
    suggestions = timezone_suggestions("paris")
    assert suggestions[0] == "Europe/Paris"
    assert len(timezone_suggestions("")) == 25
