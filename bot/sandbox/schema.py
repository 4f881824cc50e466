"""The application commands the bot registered with the emulator, as a member's Discord shows them:
names and descriptions in the member's language, options with their type, limits and choices, and
what a typed line means against them."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from bot.sandbox.emulator import Emulator
from bot.sandbox.state import Channel
from bot.sandbox.typed import ConsoleError, Named, one
from bot.text import fold

SUBCOMMAND, GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 3, 4, 5, 6, 7, 8, 9, 10, 11
TYPE_NAMES = {
    STRING: "texte",
    INTEGER: "nombre entier",
    BOOLEAN: "oui ou non",
    USER: "membre",
    CHANNEL: "salon",
    ROLE: "rôle",
    MENTIONABLE: "membre ou rôle",
    NUMBER: "nombre",
    ATTACHMENT: "fichier",
}
CHANNEL_KINDS = {0: "textuel", 2: "vocal", 5: "d'annonces", 11: "fil", 12: "fil privé", 15: "forum", 16: "média"}
YES = {"oui", "o", "vrai", "true", "yes", "y", "1"}
NO = {"non", "n", "faux", "false", "no", "0"}

# What an option of these types refers to, found by the console from what the member typed.
Resolver = Callable[[int, str], Any]


def commands_for(emulator: Emulator, channel: Channel) -> dict[str, dict[str, Any]]:
    """The commands Discord offers in `channel`: the server's own, then the global ones."""
    own = emulator.guild_commands.get(channel.guild_id, {}) if channel.guild_id else {}
    return {**emulator.global_commands, **own}


def shown_name(entry: dict[str, Any], locale: str) -> str:
    return str((entry.get("name_localizations") or {}).get(locale) or entry["name"])


def shown_description(entry: dict[str, Any], locale: str) -> str:
    return str((entry.get("description_localizations") or {}).get(locale) or entry.get("description") or "")


def subcommands(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in entry.get("options") or [] if o["type"] in (SUBCOMMAND, GROUP)]


def options_of(entry: dict[str, Any]) -> list[dict[str, Any]]:
    return [o for o in entry.get("options") or [] if o["type"] not in (SUBCOMMAND, GROUP)]


def _named(entries: list[dict[str, Any]], locale: str) -> list[Named[dict[str, Any]]]:
    return [
        Named(entry, shown_name(entry, locale), [entry["name"], *(entry.get("name_localizations") or {}).values()])
        for entry in entries
    ]


def _same_name(typed: str, entry: dict[str, Any]) -> bool:
    names = [entry["name"], *(entry.get("name_localizations") or {}).values()]
    return fold(typed) in {fold(name) for name in names}


@dataclass
class Located:
    """A typed command followed down to what takes options: names as registered, and the words left."""

    path: list[str]
    shown: str
    entry: dict[str, Any]
    rest: list[str]


def locate(registry: dict[str, dict[str, Any]], words: list[str], locale: str) -> Located:
    """Follow `projet chercher …` (names in the member's language or as registered) down the commands."""
    if not words or not words[0]:
        raise ConsoleError("quelle commande ? Tapez son nom après le / (:commandes les liste)")
    entry = next((c for c in registry.values() if _same_name(words[0], c)), None)
    if entry is None:
        raise ConsoleError(f"/{words[0]} : Discord ne connaît pas cette commande ici (:commandes les liste)")
    path, shown, taken = [entry["name"]], [shown_name(entry, locale)], 1
    while taken < len(words) and (sub := next((s for s in subcommands(entry) if _same_name(words[taken], s)), None)):
        entry = sub
        path.append(sub["name"])
        shown.append(shown_name(sub, locale))
        taken += 1
    return Located(path, "/" + " ".join(shown), entry, words[taken:])


def require_leaf(located: Located, locale: str) -> None:
    subs = subcommands(located.entry)
    if subs:
        names = ", ".join(shown_name(sub, locale) for sub in subs)
        raise ConsoleError(f"{located.shown} attend une sous-commande : {names}")


def split_options(located: Located, locale: str) -> dict[str, str]:
    """`texte:habitat léger departement:63` → {"texte": "habitat léger", "departement": "63"} (registered
    names). A word that names no option continues the value before it (`message:réunion à 18:30`)."""
    specs = options_of(located.entry)
    given: dict[str, str] = {}
    current: str | None = None
    for word in located.rest:
        name, colon, value = word.partition(":")
        if colon and name.replace("_", "").replace("-", "").isalpha():
            spec = one(name, _named(specs, locale), f"options de {located.shown}")
            if spec["name"] in given:
                raise ConsoleError(f"l'option « {name} » est donnée deux fois")
            current = spec["name"]
            given[current] = value
        elif current is not None:
            given[current] = f"{given[current]} {word}".strip()
        else:
            raise ConsoleError(f"« {word} » : écrivez option:valeur ({located.shown} ? liste les options)")
    return given


def option_value(spec: dict[str, Any], typed: str, locale: str, resolve: Resolver) -> Any:
    """What Discord would send for `typed`: a choice named by its label or value, a number, yes or no,
    or what `resolve` finds for a member, a channel, a role or a file."""
    kind = spec["type"]
    if spec.get("choices"):
        candidates = [
            Named(
                choice["value"],
                f"{shown_name(choice, locale)} ({choice['value']})",
                [choice["name"], *(choice.get("name_localizations") or {}).values(), str(choice["value"])],
            )
            for choice in spec["choices"]
        ]
        return one(typed, candidates, f"choix de « {shown_name(spec, locale)} »")
    try:
        if kind == INTEGER:
            return int(typed)
        if kind == NUMBER:
            return float(typed.replace(",", "."))
    except ValueError:
        raise ConsoleError(f"« {shown_name(spec, locale)} » attend un {TYPE_NAMES[kind]}, pas « {typed} »") from None
    if kind == BOOLEAN:
        if fold(typed) in YES | NO:
            return fold(typed) in YES
        raise ConsoleError(f"« {shown_name(spec, locale)} » attend oui ou non, pas « {typed} »")
    if kind in (USER, CHANNEL, ROLE, MENTIONABLE, ATTACHMENT):
        return resolve(kind, typed)
    return typed


def command_lines(registry: dict[str, dict[str, Any]], locale: str) -> list[str]:
    """Every command and subcommand, with its description, as Discord's command picker lists them."""
    lines: list[str] = []

    def walk(entry: dict[str, Any], path: str) -> None:
        for sub in subcommands(entry):
            here = f"{path} {shown_name(sub, locale)}"
            lines.append(f"  {here} — {shown_description(sub, locale)}")
            walk(sub, here)

    for command in sorted(registry.values(), key=lambda c: shown_name(c, locale)):
        path = "/" + shown_name(command, locale)
        lines.append(f"{path} — {shown_description(command, locale)}")
        walk(command, path)
    return lines


def option_lines(located: Located, locale: str) -> list[str]:
    """A command's options as Discord shows them while typing: type, required or not, limits, choices."""
    lines = [f"{located.shown} — {shown_description(located.entry, locale)}"]
    subs = subcommands(located.entry)
    if subs:
        lines.append("  sous-commandes :")
        lines.extend(f"    {shown_name(s, locale)} — {shown_description(s, locale)}" for s in subs)
        return lines
    specs = options_of(located.entry)
    if not specs:
        lines.append("  (aucune option)")
    for spec in specs:
        lines.append(f"  {shown_name(spec, locale)}: {describe_option(spec)} — {shown_description(spec, locale)}")
        if spec.get("choices"):
            choices = " · ".join(f"{shown_name(c, locale)} = {c['value']}" for c in spec["choices"])
            lines.append(f"      choix : {choices}")
    return lines


def describe_option(spec: dict[str, Any]) -> str:
    kind = spec["type"]
    named = "un choix" if spec.get("choices") else TYPE_NAMES.get(kind, f"type {kind}")
    parts = [named, "obligatoire" if spec.get("required") else "facultatif"]
    if kind == STRING:
        parts.append(_bounds(spec.get("min_length"), spec.get("max_length"), " caractères"))
    elif kind in (INTEGER, NUMBER):
        parts.append(_bounds(spec.get("min_value"), spec.get("max_value"), ""))
    if spec.get("channel_types"):
        parts.append("salon " + " ou ".join(CHANNEL_KINDS.get(t, str(t)) for t in spec["channel_types"]))
    if spec.get("autocomplete"):
        parts.append("avec propositions (:auto)")
    return ", ".join(part for part in parts if part)


def _bounds(low: Any, high: Any, unit: str) -> str:
    if low is not None and high is not None:
        return f"de {low} à {high}{unit}"
    if high is not None:
        return f"au plus {high}{unit}"
    if low is not None:
        return f"au moins {low}{unit}"
    return ""
