"""Command names stay apart in every language the bot speaks, and Discord accepts each of them.

The payloads are those `CommandTree.sync` would send: the bot's own cogs loaded into a HabitatBot
that never connects, each command's translated payload built with the bot's translator.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest

from bot.client import HabitatBot, HabitatTranslator, cog_extensions
from bot.config import Settings
from bot.i18n import ENGLISH_LOCALES, names

Json = dict[str, Any]
LOCALES: tuple[str | None, ...] = (None, *sorted(ENGLISH_LOCALES))  # None: the French source names
NAME_RULE = re.compile(r"[-_\w]{1,32}")  # Discord's rule for slash command and option names
SLASH = 1  # the command type the rule applies to (context menus may hold spaces and capitals)


@pytest.fixture
async def payloads(tmp_path: Path) -> AsyncIterator[list[Json]]:
    bot = HabitatBot(Settings(_env_file=None, database_path=tmp_path / "bot.sqlite3"))
    await bot.tree.set_translator(HabitatTranslator())
    for extension in cog_extensions():
        await bot.load_extension(extension)
    translator = bot.tree.translator
    assert translator is not None
    try:
        yield [await command.get_translated_payload(bot.tree, translator) for command in bot.tree.get_commands()]
    finally:
        await bot.close()


def shown(node: Json, locale: str | None) -> str:
    """The name a member whose Discord is in `locale` sees: its localisation, else the French name."""
    name: str = node["name"]
    return name if locale is None else (node.get("name_localizations") or {}).get(locale, name)


def siblings(commands: list[Json]) -> Iterator[tuple[str, list[Json]]]:
    """Each set of names that must differ, with where it is: the top-level commands of one type, then
    the subcommands or options of each command, and the choices of each option."""
    for kind in sorted({command.get("type", 1) for command in commands}):
        yield f"commands of type {kind}", [command for command in commands if command.get("type", 1) == kind]
    for command in commands:
        yield from _levels(f"/{command['name']}", command)


def _levels(where: str, node: Json) -> Iterator[tuple[str, list[Json]]]:
    options: list[Json] = node.get("options") or []
    for key, nodes in (("options", options), ("choices", node.get("choices") or [])):
        if nodes:
            yield f"{where} ({key})", nodes
    for option in options:
        yield from _levels(f"{where} {option['name']}", option)


def clashes(commands: list[Json]) -> list[str]:
    """Names shared by two siblings, locale by locale."""
    found = []
    for where, nodes in siblings(commands):
        for locale in LOCALES:
            seen = [shown(node, locale) for node in nodes]
            for name in sorted({name for name in seen if seen.count(name) > 1}):
                found.append(f"{locale or 'fr'}: {where} has {name!r} twice")
    return found


def named(nodes: list[Json]) -> Iterator[Json]:
    """Every command, group, subcommand and option (choices are free text, not names)."""
    for node in nodes:
        yield node
        yield from named(node.get("options") or [])


def paths(nodes: list[Json], locale: str | None, french: str = "", local: str = "") -> dict[str, str]:
    """French path of every command, subcommand and option → the path a member in `locale` types."""
    found = {}
    for node in nodes:
        here, there = f"{french} {node['name']}".lstrip(), f"{local} {shown(node, locale)}".lstrip()
        found[here] = there
        found |= paths(node.get("options") or [], locale, here, there)
    return found


def test_no_two_siblings_share_a_name_in_any_locale(payloads: list[Json]) -> None:
    assert clashes(payloads) == []


def test_a_shared_english_name_is_caught() -> None:
    """What the catalogue once did: /annonce and /rappel both /announcement in English."""
    english = {"en-US": "announcement", "en-GB": "announcement"}
    commands: list[Json] = [
        {"name": "annonce", "name_localizations": english},
        {"name": "rappel", "name_localizations": english},
    ]
    assert clashes(commands) == [
        "en-GB: commands of type 1 has 'announcement' twice",
        "en-US: commands of type 1 has 'announcement' twice",
    ]


def test_every_name_is_one_discord_accepts(payloads: list[Json]) -> None:
    slash_commands = [command for command in payloads if command.get("type", 1) == SLASH]
    refused = [
        f"{locale or 'fr'}: {shown(node, locale)!r}"
        for node in named(slash_commands)
        for locale in LOCALES
        if NAME_RULE.fullmatch(shown(node, locale)) is None or shown(node, locale) != shown(node, locale).lower()
    ]
    assert refused == []


def test_small_ads_and_scheduled_announcements_read_apart_in_english(payloads: list[Json]) -> None:
    for locale in ENGLISH_LOCALES:
        english = paths(payloads, locale)
        assert english["annonce"] == "classified"
        assert english["annonce publier"] == "classified publish"
        assert english["annonce retirer annonce"] == "classified withdraw ad"
        assert english["rappel"] == "announcement"
        assert english["rappel programmer"] == "announcement schedule"
        assert english["rappel annuler annonce"] == "announcement cancel announcement"
        assert english["evenement mes-rappels"] == "event my-reminders"  # reminders are the DMs before an event


def test_every_name_entry_is_a_path_the_bot_registers(payloads: list[Json]) -> None:
    assert sorted(names("en").keys() - paths(payloads, None).keys()) == []
