"""Messages in the member's language: French is the source, English a translation keyed by it.

Every text the bot shows is written in French in the code and passed through `gettext`; the
English catalogue (`locales/en.toml`) maps each French source string to its translation. A
string missing from the catalogue is shown in French, and a unit test lists such strings.

Command, group and option names are words, and one French word may need two English ones by where
it sits (`/annonce` is the small ads, the `annonce` option of `/rappel annuler` a scheduled
announcement). The catalogue's `[names]` table holds such names under their French path
("rappel annuler annonce"); any other name takes its word's plain entry.
"""

from __future__ import annotations

import copy
import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from bot.errors import Composed, Plural, Text, UserError
from bot.limits import CONTENT, clip, quote

LOCALES_DIR = Path(__file__).with_name("locales")
SOURCE_LANGUAGE = "fr"
ENGLISH_LOCALES = frozenset({"en-US", "en-GB"})
NAMES_TABLE = "names"


@cache
def _load(language: str) -> dict[str, Any]:
    with (LOCALES_DIR / f"{language}.toml").open("rb") as handle:
        return tomllib.load(handle)


@cache
def catalogue(language: str = "en") -> dict[str, str]:
    """Each French source string and its translation (the `[names]` table aside)."""
    return {str(key): str(value) for key, value in _load(language).items() if key != NAMES_TABLE}


@cache
def names(language: str = "en") -> dict[str, str]:
    """The French path of a command, group or option ("rappel annuler annonce") and its name there."""
    return {str(path): str(name) for path, name in _load(language).get(NAMES_TABLE, {}).items()}


def language_of(locale: str | None) -> str:
    """The language the bot answers in for a Discord locale ("fr", "en-US", …)."""
    return "en" if locale in ENGLISH_LOCALES else SOURCE_LANGUAGE


def translate(text: str, locale: str | None) -> str | None:
    """The translation of a French source string, or None when French is wanted or none exists."""
    if language_of(locale) == SOURCE_LANGUAGE:
        return None
    return catalogue(language_of(locale)).get(text)


def translate_name(path: str, locale: str | None) -> str | None:
    """The name at a French command path: its own `[names]` entry, else its last word's translation;
    None when French is wanted or none exists."""
    language = language_of(locale)
    if language == SOURCE_LANGUAGE:
        return None
    return names(language).get(path) or catalogue(language).get(path.rpartition(" ")[2])


def command_path(qualified_name: str, locale: str | None) -> str:
    """A command's French qualified name as a member in `locale` types it ("annonce publier" → "classified publish")."""
    words = qualified_name.split(" ")
    return " ".join(translate_name(" ".join(words[: i + 1]), locale) or word for i, word in enumerate(words))


def gettext(text: str, locale: str | None = None, /, **params: Any) -> str:
    """The message in the member's language, with its `{placeholders}` filled (a `Text` or `Plural`
    parameter is translated in turn)."""
    message = translate(text, locale) or text
    if not params:
        return message
    return message.format(**{key: _shown(value, locale) for key, value in params.items()})


def is_plural(n: float, locale: str | None) -> bool:
    """Whether `n` takes the plural in the member's language: French says "0 personne, 1,5 kilo", from
    2 on plural; English "0 people, 1 person", plural but for one."""
    if language_of(locale) == SOURCE_LANGUAGE:
        return abs(n) >= 2
    return n != 1


def ngettext(singular: str, plural: str, n: float, locale: str | None = None, /, **params: Any) -> str:
    """A count and its noun in the member's language: the French form their language's rule asks for,
    translated (each form is its own catalogue entry). `n` fills `{n}` unless another value is given."""
    return gettext(plural if is_plural(n, locale) else singular, locale, **{"n": n, **params})


def _shown(value: Any, locale: str | None) -> Any:
    if isinstance(value, Plural):
        return ngettext(value.message, value.plural, value.n, locale, **value.params)
    if isinstance(value, Text):
        return gettext(value.message, locale, **value.params)
    return value


def explain(error: UserError, locale: str | None) -> str:
    """A refusal in the member's language, within Discord's limits: what the member typed is quoted
    short (a 2,000-character value is not repeated back in full), in a reason as in the message."""
    return clip(gettext(error.message, locale, **_quoted(error.params)), CONTENT)


def _quoted(params: dict[str, Any]) -> dict[str, Any]:
    return {key: _quoted_value(value) for key, value in params.items()}


def _quoted_value(value: Any) -> Any:
    if isinstance(value, Text):
        inner = copy.copy(value)  # a Plural stays one
        inner.params = _quoted(value.params)
        return inner
    if isinstance(value, str) and not isinstance(value, Composed):
        return quote(value)
    return value
