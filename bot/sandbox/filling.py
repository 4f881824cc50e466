"""What a member fills in: a form's fields, a menu's options, named as the member reads them, and files."""

from __future__ import annotations

import mimetypes
from pathlib import Path
from typing import Any

from bot.sandbox.driver import Upload
from bot.sandbox.render import modal_fields
from bot.sandbox.typed import ConsoleError, Named, matches, one, split_words


def menu_values(menu: dict[str, Any], typed: str, label: str) -> list[str]:
    """The values of the options named in a menu, by label or value, in any case, with or without
    accents: `Familles, Seniors` → ["familles", "seniors"]."""
    named = [Named(o["value"], o["label"], [o["label"], o["value"]]) for o in menu.get("options") or []]
    text = typed.strip().removeprefix("[").removesuffix("]")
    whole = matches(text, named, near="," not in text)  # a label may itself hold a comma
    if len(whole) == 1:
        return [whole[0]]
    return [one(part.strip(), named, f"choix de « {label} »") for part in text.split(",") if part.strip()]


def form_values(modal: dict[str, Any], typed: str) -> dict[str, str | list[str]]:
    """`"Nom du projet"=Les Hirondelles publics=familles,seniors` → values by custom id. A field is named
    by its label or id; a word that names no field continues the value before it."""
    fields = modal_fields(modal)
    named = [Named(index, label, [label, str(inner.get("custom_id"))]) for index, (label, inner) in enumerate(fields)]
    given: dict[int, str] = {}
    current: int | None = None
    for word in split_words(typed):
        name, equals, value = word.partition("=")
        if equals and matches(name, named):
            current = one(name, named, "champs du formulaire")
            given[current] = value
        elif current is not None:
            given[current] = f"{given[current]} {word}".strip()
        else:
            labels = ", ".join(label for label, _ in fields)
            raise ConsoleError(f"« {word} » : écrivez champ=valeur (champs : {labels})")
    values: dict[str, str | list[str]] = {}
    for index, value in given.items():
        label, inner = fields[index]
        values[str(inner["custom_id"])] = value if inner.get("type") == 4 else menu_values(inner, value, label)
    return values


def upload(typed: str) -> Upload:
    """A file of the member's computer, given by its path, as an attachment option's value."""
    path = Path(typed).expanduser()
    if not path.is_file():
        raise ConsoleError(f"pas de fichier {path} : donnez le chemin d'un fichier de votre ordinateur")
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Upload(path.name, path.read_bytes(), content_type)
