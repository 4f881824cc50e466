"""Messages in the member's language: French is the source, English a translation keyed by it.

Every text the bot shows is written in French in the code and passed through `gettext`; the
English catalogue (`locales/en.toml`) maps each French source string to its translation. A
string missing from the catalogue is shown in French, and a unit test lists such strings.
"""

from __future__ import annotations

import tomllib
from functools import cache
from pathlib import Path
from typing import Any

from bot.errors import Composed, Text, UserError
from bot.limits import CONTENT, clip, quote

LOCALES_DIR = Path(__file__).with_name("locales")
SOURCE_LANGUAGE = "fr"
ENGLISH_LOCALES = frozenset({"en-US", "en-GB"})


@cache
def catalogue(language: str = "en") -> dict[str, str]:
    with (LOCALES_DIR / f"{language}.toml").open("rb") as handle:
        data = tomllib.load(handle)
    return {str(key): str(value) for key, value in data.items()}


def language_of(locale: str | None) -> str:
    """The language the bot answers in for a Discord locale ("fr", "en-US", …)."""
    return "en" if locale in ENGLISH_LOCALES else SOURCE_LANGUAGE


def translate(text: str, locale: str | None) -> str | None:
    """The translation of a French source string, or None when French is wanted or none exists."""
    if language_of(locale) == SOURCE_LANGUAGE:
        return None
    return catalogue(language_of(locale)).get(text)


def gettext(text: str, locale: str | None = None, /, **params: Any) -> str:
    """The message in the member's language, with its `{placeholders}` filled (a `Text` parameter is
    translated in turn)."""
    message = translate(text, locale) or text
    if not params:
        return message
    shown = {key: gettext(v.message, locale, **v.params) if isinstance(v, Text) else v for key, v in params.items()}
    return message.format(**shown)


def explain(error: UserError, locale: str | None) -> str:
    """A refusal in the member's language, within Discord's limits: what the member typed is quoted
    short (a 2,000-character value is not repeated back in full), in a reason as in the message."""
    return clip(gettext(error.message, locale, **_quoted(error.params)), CONTENT)


def _quoted(params: dict[str, Any]) -> dict[str, Any]:
    return {
        key: Text(value.message, **_quoted(value.params))
        if isinstance(value, Text)
        else quote(value)
        if isinstance(value, str) and not isinstance(value, Composed)
        else value
        for key, value in params.items()
    }
