"""Errors the member caused and can fix: shown to them as a clear message, never as a traceback."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, ValidationError
from pydantic_core import ErrorDetails


class Text:
    """A French source string with its parameters, translated when shown (a reason inside a message)."""

    def __init__(self, message: str, /, **params: Any) -> None:
        self.message = message
        self.params = params

    def __repr__(self) -> str:
        return f"Text({self.message!r}, {self.params!r})"

    def __eq__(self, other: object) -> bool:  # the same words shown the same way: reasons compare by value
        return type(other) is type(self) and vars(other) == vars(self)


class Plural(Text):
    """A count and its noun in two French forms, the one shown chosen by `n` in the member's language
    (the catalogue translates each form). `n` also fills the `{n}` placeholder unless given otherwise."""

    def __init__(self, singular: str, plural: str, n: float, /, **params: Any) -> None:
        super().__init__(singular, **params)
        self.plural = plural
        self.n = n

    def __repr__(self) -> str:
        return f"Plural({self.message!r}, {self.plural!r}, {self.n!r}, {self.params!r})"


class Composed(str):
    """A parameter the bot wrote itself (a list of rows in error…): shown whole, not quoted short."""

    __slots__ = ()


class UserError(Exception):
    """Bad input or a refused action. `message` is a French source string of the catalogue; a
    parameter may be a `Text`, translated in turn, and typed text is quoted short when shown."""

    def __init__(self, message: str, /, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


# What pydantic found wrong, said as the member reads it (French source strings of the catalogue).
REASONS: dict[str, str] = {
    "greater_than_equal": "au moins {ge}",
    "greater_than": "plus de {gt}",
    "less_than_equal": "au plus {le}",
    "less_than": "moins de {lt}",
    "int_parsing": "un nombre entier est attendu",
    "int_type": "un nombre entier est attendu",
    "int_from_float": "un nombre entier est attendu",
    "float_parsing": "un nombre est attendu",
    "float_type": "un nombre est attendu",
    "bool_parsing": "oui ou non est attendu",
    "bool_type": "oui ou non est attendu",
    "string_type": "un texte est attendu",
    "frozen_set_type": "choisissez une ou plusieurs valeurs proposées",
    "set_type": "choisissez une ou plusieurs valeurs proposées",
    "list_type": "choisissez une ou plusieurs valeurs proposées",
    "datetime_type": "une date et une heure sont attendues",
    "datetime_parsing": "une date et une heure sont attendues",
    "datetime_from_date_parsing": "une date et une heure sont attendues",
    "timezone_aware": "une date et une heure sont attendues",
    "enum": "choisissez parmi les valeurs proposées",
    "literal_error": "choisissez parmi les valeurs proposées",
    "missing": "à remplir",
    "string_pattern_mismatch": "forme non reconnue",
    "url_parsing": "une adresse web complète est attendue (https://…)",
}


# Reasons that count something: (singular, plural, the context value that counts).
COUNTED_REASONS: dict[str, tuple[str, str, str]] = {
    "string_too_short": ("au moins {min_length} caractère", "au moins {min_length} caractères", "min_length"),
    "string_too_long": ("au plus {max_length} caractère", "au plus {max_length} caractères", "max_length"),
    "too_short": ("au moins {min_length} élément", "au moins {min_length} éléments", "min_length"),
    "too_long": ("au plus {max_length} élément", "au plus {max_length} éléments", "max_length"),
}

UNKNOWN_REASON = "valeur non valable"


def reason(detail: ErrorDetails) -> Text:
    """One problem as a translatable reason. Our own validators raise ValueError with a French source
    string of the catalogue, which is kept; any other message (a library's, in English) is not shown."""
    if detail["type"] == "value_error":
        from bot.i18n import catalogue  # bot.i18n renders these errors: imported when one is explained

        message = str((detail.get("ctx") or {}).get("error", ""))
        return Text(message if message in catalogue() else UNKNOWN_REASON)
    context = {key: value for key, value in (detail.get("ctx") or {}).items() if isinstance(value, int | float | str)}
    if detail["type"] in COUNTED_REASONS:
        count = context.get(COUNTED_REASONS[detail["type"]][2])
        if isinstance(count, int | float):
            return counted_reason(detail["type"], count)
    return Text(REASONS.get(detail["type"], UNKNOWN_REASON), **context)


def counted_reason(kind: str, count: float) -> Plural:
    """A reason of `COUNTED_REASONS` ("au moins 3 caractères") for `count`."""
    singular, plural, counted = COUNTED_REASONS[kind]
    return Plural(singular, plural, count, **{counted: count})


def field_label(detail: ErrorDetails, model: type[BaseModel] | None, labels: Mapping[str, str]) -> str:
    """The field as the member sees it: the given label, else the model field's `title`, else its name."""
    name = str(detail["loc"][0]) if detail["loc"] else ""
    if name in labels:
        return labels[name]
    field = model.model_fields.get(name) if model is not None else None
    return field.title if field is not None and field.title else name or "?"


def first_problem(error: ValidationError, model: type[BaseModel] | None = None) -> tuple[str, Text]:
    """(field as the member sees it, reason) of the first problem pydantic found."""
    first = error.errors()[0]
    return field_label(first, model, {}), reason(first)


def invalid(
    error: ValidationError, model: type[BaseModel] | None = None, labels: Mapping[str, str] | None = None
) -> UserError:
    """A validation failure as a message for the member, naming the field as they see it."""
    first = error.errors()[0]
    if not first["loc"]:  # a rule across fields (the end after the start…)
        return UserError("Cela ne convient pas : {raison}.", raison=reason(first))
    return UserError(
        "« {champ} » ne convient pas : {raison}.",
        champ=Text(field_label(first, model, labels or {})),
        raison=reason(first),
    )
