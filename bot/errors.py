"""Errors the member caused and can fix: shown to them as a clear message, never as a traceback."""

from __future__ import annotations

from typing import Any


class UserError(Exception):
    """Bad input or a refused action. `message` is a French source string of the catalogue."""

    def __init__(self, message: str, /, **params: Any) -> None:
        super().__init__(message)
        self.message = message
        self.params = params
