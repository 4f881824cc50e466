"""Errors the member caused and can fix: shown to them as a clear message, never as a traceback."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError


class UserError(Exception):
    """Bad input or a refused action. `message` is a French source string of the catalogue."""

    def __init__(self, message: str, /, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params


def first_problem(error: ValidationError) -> tuple[str, str]:
    """(field, reason) of the first problem pydantic found."""
    first = error.errors()[0]
    field = ".".join(str(part) for part in first["loc"]) or "?"
    return field, str(first["msg"]).removeprefix("Value error, ")


def invalid(error: ValidationError) -> UserError:
    """A validation failure as a message for the member."""
    field, reason = first_problem(error)
    return UserError("Le champ « {champ} » ne convient pas : {raison}", champ=field, raison=reason)
