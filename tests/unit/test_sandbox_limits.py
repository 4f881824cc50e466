"""Discord's documented limits, as the sandbox checks them on the JSON bodies the bot sends."""

from __future__ import annotations

import copy
import string
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.sandbox.limits import (
    IS_COMPONENTS_V2,
    LOCALES,
    check_choices,
    check_commands,
    check_forum_tags,
    check_interaction_response,
    check_message,
    check_modal,
    check_scheduled_event,
    check_thread,
)

Json = dict[str, Any]
KeyPath = tuple[str | int, ...]
DELETE = object()
"""As a value in a violation table: remove the key instead of setting it."""


def _with(base: Any, path: KeyPath, value: object) -> Any:
    """A deep copy of a valid payload with one value replaced (or removed); an empty path replaces it all."""
    if not path:
        return copy.deepcopy(value)
    result = copy.deepcopy(base)
    parent = result
    for key in path[:-1]:
        parent = parent[key]
    if value is DELETE:
        del parent[path[-1]]
    else:
        parent[path[-1]] = value
    return result


def _case(name: str, path: KeyPath, value: object, field: str) -> pytest.ParameterSet:
    return pytest.param(path, value, field, id=name)


def _assert_names(problems: list[str], field: str) -> None:
    """A single violation gives a single message, and it names the offending field."""
    assert len(problems) == 1, problems
    assert field in problems[0], problems


def _button(custom_id: str, label: str = "Je participe") -> Json:
    return {"type": 2, "style": 1, "label": label, "custom_id": custom_id}


def _row(*components: Json) -> Json:
    return {"type": 1, "components": list(components)}


def _text_display(content: str) -> Json:
    return {"type": 10, "content": content}


# --- Messages -----------------------------------------------------------------------------------------

MESSAGE: Json = {
    "content": "Réunion de l'habitat participatif : l'évènement commence jeudi à 19 h.",
    "embeds": [
        {
            "title": "Évènement : visite de l'habitat « Les Colibris »",
            "description": "Visite guidée, suivie d'un repas partagé. Apportez un plat !",
            "color": 0x2E8B57,
            "fields": [
                {"name": "Lieu", "value": "12 rue de l'Église, Lyon", "inline": True},
                {"name": "Places", "value": "15 places restantes", "inline": True},
            ],
            "footer": {"text": "Réseau national de l'habitat participatif"},
            "author": {"name": "Équipe d'animation"},
        }
    ],
    "components": [
        _row(
            {"type": 2, "style": 3, "label": "Je participe", "custom_id": "rsvp:oui"},
            {"type": 2, "style": 4, "label": "Je ne viens pas", "custom_id": "rsvp:non"},
            {"type": 2, "style": 5, "label": "Plan d'accès", "url": "https://example.org/plan"},
        ),
        _row(
            {
                "type": 3,
                "custom_id": "atelier",
                "placeholder": "Choisissez un atelier",
                "min_values": 1,
                "max_values": 2,
                "options": [
                    {
                        "label": "Gouvernance partagée",
                        "value": "gouvernance",
                        "description": "Décider ensemble",
                    },
                    {"label": "Chantier participatif", "value": "chantier"},
                ],
            }
        ),
    ],
    "allowed_mentions": {"parse": ["roles"], "users": ["80351110224678912"], "replied_user": False},
    "nonce": "1234567890",
}
ROW_0 = ("components", 0, "components")
SELECT = ("components", 1, "components", 0)
SELECT_MENU: Json = MESSAGE["components"][1]["components"][0]


def test_a_realistic_message_passes() -> None:
    assert check_message(MESSAGE) == []


@pytest.mark.parametrize(
    "payload",
    [
        {"content": "Bonjour à toutes et à tous !"},
        {"embeds": [{"description": "Ordre du jour de l'assemblée"}]},
        {"attachments": [{"id": 0, "filename": "compte-rendu.pdf"}]},
        {"sticker_ids": ["749054660769218631"]},
        {"poll": {"question": {"text": "Quelle date ?"}, "answers": []}},
        {"components": [_row(_button("inscription"))]},
        {"content": "Relance", "nonce": 1234567890123456789, "allowed_mentions": {"parse": []}},
    ],
)
def test_any_one_kind_of_content_makes_a_message(payload: Json) -> None:
    assert check_message(payload) == []


def test_a_message_cannot_be_empty_on_creation_but_an_edit_can() -> None:
    for empty in ({}, {"content": "", "embeds": []}, {"content": None}):
        _assert_names(check_message(empty), "content")
        assert check_message(empty, creating=False) == []


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        _case("content", ("content",), "é" * 2001, "content"),
        _case("embeds count", ("embeds",), [{"title": "Compte rendu"}] * 11, "embeds"),
        _case("embed title", ("embeds", 0, "title"), "É" * 257, "embeds[0].title"),
        _case("embed description", ("embeds", 0, "description"), "d" * 4097, "description"),
        _case("embed fields count", ("embeds", 0, "fields"), [{"name": "n", "value": "v"}] * 26, "fields"),
        _case("field name empty", ("embeds", 0, "fields", 0, "name"), "", "fields[0].name"),
        _case("field name long", ("embeds", 0, "fields", 0, "name"), "n" * 257, "fields[0].name"),
        _case("field value empty", ("embeds", 0, "fields", 1, "value"), "", "fields[1].value"),
        _case("field value long", ("embeds", 0, "fields", 1, "value"), "v" * 1025, "fields[1].value"),
        _case("field value missing", ("embeds", 0, "fields", 1, "value"), DELETE, "fields[1].value"),
        _case("footer text", ("embeds", 0, "footer", "text"), "f" * 2049, "footer.text"),
        _case("author name", ("embeds", 0, "author", "name"), "a" * 257, "author.name"),
        _case("embed not an object", ("embeds", 0), "titre", "embeds[0]"),
        _case(
            "embeds total",
            ("embeds",),
            [{"description": "d" * 4000}, {"description": "d" * 1900, "title": "t" * 101}],
            "embeds",
        ),
        _case("action rows", ("components",), [_row(_button(f"b{i}")) for i in range(6)], "components"),
        _case("buttons per row", ROW_0, [_button(f"b{i}") for i in range(6)], "components"),
        _case("empty row", ROW_0, [], "components"),
        _case("button and select", (*ROW_0, 2), {"type": 5, "custom_id": "membres"}, "not both"),
        _case(
            "two selects",
            ("components", 1, "components"),
            [SELECT_MENU, {"type": 5, "custom_id": "m"}],
            "select",
        ),
        _case("button outside a row", ("components", 0), _button("seul"), "components[0].type"),
        _case("text display without v2", ("components", 0), _text_display("Bonjour"), "type"),
        _case("unknown component", ("components", 0), {"type": 99}, "type"),
        _case("button label", (*ROW_0, 0, "label"), "l" * 81, "label"),
        _case("button custom_id missing", (*ROW_0, 0, "custom_id"), DELETE, "custom_id"),
        _case("button custom_id long", (*ROW_0, 0, "custom_id"), "c" * 101, "custom_id"),
        _case("button custom_id empty", (*ROW_0, 0, "custom_id"), "", "custom_id"),
        _case("button style", (*ROW_0, 0, "style"), 7, "style"),
        _case("link with custom_id", (*ROW_0, 2, "custom_id"), "plan", "custom_id"),
        _case("link without url", (*ROW_0, 2, "url"), DELETE, "url"),
        _case("premium without sku", (*ROW_0, 0), {"type": 2, "style": 6}, "sku_id"),
        _case("duplicate custom_id", (*ROW_0, 1, "custom_id"), "rsvp:oui", "custom_id"),
        _case("select custom_id", (*SELECT, "custom_id"), DELETE, "custom_id"),
        _case("select placeholder", (*SELECT, "placeholder"), "p" * 151, "placeholder"),
        _case("select min above max", (*SELECT, "min_values"), 3, "min_values"),
        _case("select min negative", (*SELECT, "min_values"), -1, "min_values"),
        _case("select max", (*SELECT, "max_values"), 26, "max_values"),
        _case("select max zero", (*SELECT, "max_values"), 0, "max_values"),
        _case("select no options", (*SELECT, "options"), [], "options"),
        _case(
            "select many options",
            (*SELECT, "options"),
            [{"label": f"Atelier {i}", "value": str(i)} for i in range(26)],
            "options",
        ),
        _case("option label", (*SELECT, "options", 0, "label"), "l" * 101, "label"),
        _case("option value", (*SELECT, "options", 0, "value"), "", "value"),
        _case("option description", (*SELECT, "options", 0, "description"), "d" * 101, "description"),
        _case("nonce long", ("nonce",), "n" * 26, "nonce"),
        _case("nonce huge", ("nonce",), 2**64, "nonce"),
        _case("nonce float", ("nonce",), 1.5, "nonce"),
        _case("mention type", ("allowed_mentions", "parse"), ["roles", "tout le monde"], "parse"),
        _case("mention users twice", ("allowed_mentions", "parse"), ["users"], "users"),
        _case("mention users", ("allowed_mentions", "users"), [str(i) for i in range(101)], "users"),
        _case("mention key", ("allowed_mentions", "everyone"), True, "everyone"),
        _case("replied_user", ("allowed_mentions", "replied_user"), "oui", "replied_user"),
        _case("attachments", ("attachments",), [{"id": i} for i in range(11)], "attachments"),
        _case("stickers", ("sticker_ids",), ["1", "2", "3", "4"], "sticker_ids"),
        _case("flags", ("flags",), "64", "flags"),
    ],
)
def test_message_violations(path: KeyPath, value: object, field: str) -> None:
    _assert_names(check_message(_with(MESSAGE, path, value)), field)


def test_a_message_body_must_be_an_object() -> None:
    _assert_names(check_message(["Bonjour"]), "body")  # type: ignore[arg-type]  # malformed on purpose


def _texts(least: int, most: int) -> st.SearchStrategy[str]:
    """Strings of every length in [least, most]: random head, one character repeated up to the length."""
    parts = st.tuples(st.text(max_size=30), st.characters(), st.integers(least, most))
    return parts.map(lambda p: (p[0] + p[1] * p[2])[: p[2]])


@given(_texts(1, 2000))
def test_any_content_up_to_2000_characters_passes(content: str) -> None:
    assert check_message({"content": content}) == []


@given(_texts(2001, 6000))
def test_any_content_over_2000_characters_fails(content: str) -> None:
    _assert_names(check_message({"content": content}), "content")


# --- Components v2 ------------------------------------------------------------------------------------

V2_MESSAGE: Json = {
    "flags": IS_COMPONENTS_V2,
    "components": [
        {
            "type": 17,
            "accent_color": 0x2E8B57,
            "components": [
                _text_display("## Évènement du mois\nVisite de l'habitat « Les Colibris »."),
                {"type": 14, "divider": True},
                {
                    "type": 9,
                    "components": [_text_display("Inscriptions ouvertes jusqu'à mercredi")],
                    "accessory": _button("inscription", "S'inscrire"),
                },
                _row({"type": 2, "style": 5, "label": "Programme", "url": "https://example.org/programme"}),
            ],
        }
    ],
}
V2_CHILDREN = ("components", 0, "components")


def test_a_realistic_components_v2_message_passes() -> None:
    assert check_message(V2_MESSAGE) == []


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        _case("content", ("content",), "Bonjour", "content"),
        _case("embeds", ("embeds",), [{"title": "Compte rendu"}], "embeds"),
        _case("component count", V2_CHILDREN, [_text_display("x")] * 40, "components"),
        _case("text total", V2_CHILDREN, [_text_display("é" * 2500)] * 2, "components"),
        _case("one text display", (*V2_CHILDREN, 0, "content"), "é" * 4001, "content"),
        _case("accessory custom_id", (*V2_CHILDREN, 2, "accessory", "custom_id"), "c" * 101, "custom_id"),
        _case("row in container", (*V2_CHILDREN, 3, "components"), [], "components"),
    ],
)
def test_components_v2_violations(path: KeyPath, value: object, field: str) -> None:
    _assert_names(check_message(_with(V2_MESSAGE, path, value)), field)


def test_v2_components_need_the_flag() -> None:
    problems = check_message(_with(V2_MESSAGE, ("flags",), DELETE))
    assert problems
    assert all("IS_COMPONENTS_V2" in problem for problem in problems)


def test_deeply_nested_components_are_reported_not_raised() -> None:
    node: Json = _text_display("fond")
    for _ in range(50):
        node = {"type": 17, "components": [node]}
    problems = check_message({"flags": IS_COMPONENTS_V2, "components": [node]})
    assert any("nested too deeply" in problem for problem in problems)


# --- Modals -------------------------------------------------------------------------------------------

MODAL: Json = {
    "custom_id": "proposition",
    "title": "Proposer un évènement",
    "components": [
        _row(
            {
                "type": 4,
                "custom_id": "titre",
                "style": 1,
                "label": "Titre de l'évènement",
                "min_length": 3,
                "max_length": 100,
                "placeholder": "Visite de l'habitat",
                "required": True,
            }
        ),
        {
            "type": 18,
            "label": "Description",
            "description": "Ce qu'on y fera, qui peut venir",
            "component": {
                "type": 4,
                "custom_id": "description",
                "style": 2,
                "value": "Repas partagé à l'habitat.",
            },
        },
        {
            "type": 18,
            "label": "Thème",
            "component": {
                "type": 3,
                "custom_id": "theme",
                "options": [
                    {"label": "Écologie", "value": "ecologie"},
                    {"label": "Gouvernance", "value": "gouv"},
                ],
            },
        },
        _text_display("Les propositions sont relues par l'équipe d'animation."),
    ],
}
INPUT = ("components", 0, "components", 0)
LABELLED = ("components", 1, "component")
TEXT_INPUT: Json = MODAL["components"][0]["components"][0]
SECOND_INPUT: Json = {**TEXT_INPUT, "custom_id": "sous-titre", "label": "Sous-titre"}


def test_a_realistic_modal_passes() -> None:
    assert check_modal(MODAL) == []


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        _case("custom_id missing", ("custom_id",), DELETE, "custom_id"),
        _case("custom_id long", ("custom_id",), "c" * 101, "custom_id"),
        _case("title empty", ("title",), "", "title"),
        _case("title long", ("title",), "t" * 46, "title"),
        _case("no components", ("components",), [], "components"),
        _case("six components", ("components",), [_text_display("Bienvenue")] * 6, "components"),
        _case("unknown top type", ("components", 3, "type"), 2, "type"),
        _case("two inputs in a row", ("components", 0, "components"), [TEXT_INPUT, SECOND_INPUT], "components"),
        _case("button in a row", INPUT, _button("valider"), "components"),
        _case("input custom_id", (*INPUT, "custom_id"), DELETE, "custom_id"),
        _case("input style", (*INPUT, "style"), 3, "style"),
        _case("input label long", (*INPUT, "label"), "l" * 46, "label"),
        _case("input label missing in a row", (*INPUT, "label"), DELETE, "label"),
        _case("input min_length", (*INPUT, "min_length"), -1, "min_length"),
        _case("input min above max", (*INPUT, "min_length"), 200, "min_length"),
        _case("input max_length zero", (*INPUT, "max_length"), 0, "max_length"),
        _case("input max_length big", (*INPUT, "max_length"), 4001, "max_length"),
        _case("input placeholder", (*INPUT, "placeholder"), "p" * 101, "placeholder"),
        _case("input value", (*LABELLED, "value"), "v" * 4001, "value"),
        _case("input label inside a Label", (*LABELLED, "label"), "Description", "label"),
        _case("label text long", ("components", 1, "label"), "l" * 46, "label"),
        _case("label text missing", ("components", 1, "label"), DELETE, "label"),
        _case("label description", ("components", 1, "description"), "d" * 101, "description"),
        _case("label component missing", LABELLED, DELETE, "component"),
        _case("button in a label", LABELLED, _button("valider"), "type"),
        _case("duplicate custom_id", (*LABELLED, "custom_id"), "titre", "custom_id"),
        _case("select options", ("components", 2, "component", "options"), [], "options"),
        _case("text display empty", ("components", 3, "content"), "", "content"),
    ],
)
def test_modal_violations(path: KeyPath, value: object, field: str) -> None:
    _assert_names(check_modal(_with(MODAL, path, value)), field)


# --- Autocomplete choices -----------------------------------------------------------------------------

CHOICES: list[Json] = [
    {"name": "Lyon — l'Îlot", "value": "lyon-ilot", "name_localizations": {"en-US": "Lyon — the Islet"}},
    {"name": "Nantes, quartier de l'Île", "value": 44},
    {"name": "Surface (m²)", "value": 12.5},
]


def test_realistic_choices_pass() -> None:
    assert check_choices(CHOICES) == []
    assert check_choices([]) == []


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        _case("too many", (), [CHOICES[0]] * 26, "choices"),
        _case("name empty", (0, "name"), "", "name"),
        _case("name long", (0, "name"), "n" * 101, "name"),
        _case("value long", (0, "value"), "v" * 101, "value"),
        _case("value boolean", (0, "value"), True, "value"),
        _case("value missing", (1, "value"), DELETE, "value"),
        _case("value list", (2, "value"), [12.5], "value"),
        _case("localisation empty", (0, "name_localizations", "en-US"), "", "name_localizations"),
        _case("localisation locale", (0, "name_localizations"), {"fr-FR": "Lyon"}, "name_localizations"),
        _case("not an object", (1,), "Nantes", "choices[1]"),
    ],
)
def test_choice_violations(path: KeyPath, value: object, field: str) -> None:
    _assert_names(check_choices(_with(CHOICES, path, value)), field)


# --- Application commands -----------------------------------------------------------------------------

COMMANDS: list[Json] = [
    {
        "type": 1,
        "name": "évènement",
        "description": "Gérer les évènements de l'habitat",
        "name_localizations": {"en-US": "event", "en-GB": "event"},
        "description_localizations": {"en-US": "Manage the events of the community"},
        "options": [
            {
                "type": 1,
                "name": "créer",
                "description": "Créer un évènement",
                "options": [
                    {
                        "type": 3,
                        "name": "titre",
                        "description": "Titre de l'évènement",
                        "required": True,
                        "min_length": 3,
                        "max_length": 100,
                    },
                    {"type": 3, "name": "lieu", "description": "Où ça se passe", "autocomplete": True},
                    {
                        "type": 4,
                        "name": "places",
                        "description": "Nombre de places",
                        "min_value": 1,
                        "max_value": 500,
                    },
                    {"type": 7, "name": "salon", "description": "Salon d'annonce", "channel_types": [0, 5]},
                    {
                        "type": 3,
                        "name": "thème",
                        "description": "Thème de l'évènement",
                        "choices": [
                            {"name": "Écologie", "value": "ecologie"},
                            {"name": "Vivre ensemble", "value": "vivre-ensemble"},
                        ],
                    },
                    {
                        "type": 10,
                        "name": "budget",
                        "description": "Budget en euros",
                        "choices": [{"name": "Petit", "value": 50}, {"name": "Moyen", "value": 150.5}],
                    },
                ],
            },
            {
                "type": 2,
                "name": "rappels",
                "description": "Rappels avant l'évènement",
                "options": [{"type": 1, "name": "activer", "description": "Activer les rappels", "options": []}],
            },
        ],
    },
    {
        "type": 1,
        "name": "profil",
        "description": "Voir le profil d'un membre",
        "options": [{"type": 6, "name": "membre", "description": "Le membre", "required": True}],
    },
    {"type": 2, "name": "profil", "description": ""},
    {"type": 3, "name": "Signaler le message"},
]
LEAVES = (0, "options", 0, "options")
STRING_OPTION: Json = {"type": 3, "name": "texte", "description": "Texte libre"}
GROUP = (0, "options", 1)


def test_realistic_commands_pass() -> None:
    assert check_commands(COMMANDS) == []
    assert check_commands([]) == []


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        _case("uppercase name", (0, "name"), "Évènement", "lowercase"),
        _case("space in name", (0, "name"), "mon évènement", "name"),
        _case("trailing newline", (0, "name"), "évènement\n", "name"),
        _case("long name", (0, "name"), "a" * 33, "name"),
        _case("empty name", (0, "name"), "", "name"),
        _case("duplicate name", (1, "name"), "évènement", "name"),
        _case("empty description", (0, "description"), "", "description"),
        _case("long description", (0, "description"), "d" * 101, "description"),
        _case("missing description", (0, "description"), DELETE, "description"),
        _case("unknown locale", (0, "name_localizations"), {"fr-FR": "évènement"}, "fr-FR"),
        _case("uppercase localisation", (0, "name_localizations", "en-US"), "Event", "name_localizations"),
        _case("empty localisation", (0, "description_localizations", "en-US"), "", "description_localizations"),
        _case("command type", (0, "type"), 5, "type"),
        _case("context name long", (3, "name"), "n" * 33, "name"),
        _case("context description", (2, "description"), "Voir le profil", "description"),
        _case(
            "context options",
            (3, "options"),
            [{"type": 3, "name": "motif", "description": "Motif"}],
            "options",
        ),
        _case("option type", (*LEAVES, 0, "type"), 12, "type"),
        _case("option uppercase", (*LEAVES, 0, "name"), "Titre", "name"),
        _case("option duplicate", (*LEAVES, 1, "name"), "titre", "name"),
        _case("option description", (*LEAVES, 0, "description"), "", "description"),
        _case("required after optional", (*LEAVES, 2, "required"), True, "required"),
        _case(
            "too many options",
            (0, "options"),
            [{"type": 1, "name": f"sous-{i}", "description": "Sous-commande"} for i in range(26)],
            "options",
        ),
        _case(
            "group in subcommand",
            (*LEAVES, 0),
            {"type": 2, "name": "groupe", "description": "Groupe"},
            "type",
        ),
        _case("leaf in group", (*GROUP, "options", 0, "type"), 3, "type"),
        _case("subcommand beside leaf", (0, "options"), [*COMMANDS[0]["options"], STRING_OPTION], "beside"),
        _case(
            "too many choices",
            (*LEAVES, 4, "choices"),
            [{"name": "Écologie", "value": "eco"}] * 26,
            "choices",
        ),
        _case("choice name", (*LEAVES, 4, "choices", 0, "name"), "", "name"),
        _case("choice value long", (*LEAVES, 4, "choices", 0, "value"), "v" * 101, "value"),
        _case("int in string choice", (*LEAVES, 4, "choices", 0, "value"), 3, "value"),
        _case("string in number choice", (*LEAVES, 5, "choices", 0, "value"), "cinquante", "value"),
        _case(
            "float in integer choice",
            (*LEAVES, 2, "choices"),
            [{"name": "Dix et demi", "value": 10.5}],
            "value",
        ),
        _case("channel_types on a boolean", (*LEAVES, 3, "type"), 5, "channel_types"),
        _case(
            "choices on a boolean",
            (*LEAVES, 3),
            {**STRING_OPTION, "type": 5, "choices": CHOICES[:1]},
            "choices",
        ),
        _case("autocomplete with choices", (*LEAVES, 4, "autocomplete"), True, "autocomplete"),
        _case("min_value on a string", (*LEAVES, 0, "min_value"), 1, "min_value"),
        _case("min_value above max", (*LEAVES, 2, "min_value"), 600, "min_value"),
        _case("min_length on an integer", (*LEAVES, 2, "min_length"), 1, "min_length"),
        _case("max_length big", (*LEAVES, 0, "max_length"), 6001, "max_length"),
        _case("max_length zero", (*LEAVES, 0, "max_length"), 0, "max_length"),
        _case("min_length above max", (*LEAVES, 0, "min_length"), 200, "min_length"),
        _case("channel_types on a string", (*LEAVES, 0, "channel_types"), [0], "channel_types"),
        _case("channel_types not a list", (*LEAVES, 3, "channel_types"), "texte", "channel_types"),
    ],
)
def test_command_violations(path: KeyPath, value: object, field: str) -> None:
    _assert_names(check_commands(_with(COMMANDS, path, value)), field)


@pytest.mark.parametrize(("kind", "limit", "word"), [(1, 100, "chat-input"), (2, 15, "user"), (3, 15, "message")])
def test_commands_per_type(kind: int, limit: int, word: str) -> None:
    def commands(count: int) -> list[Json]:
        description = "Commande de test" if kind == 1 else ""
        return [{"type": kind, "name": f"commande-{i}", "description": description} for i in range(count)]

    assert check_commands(commands(limit)) == []
    _assert_names(check_commands(commands(limit + 1)), word)


def test_combined_length_counts_the_longest_localisation() -> None:
    def command(localised: bool) -> Json:
        longer = {"en-US": "d" * 100} if localised else {}
        options = [
            {
                "type": 3,
                "name": f"o{i}",
                "description": "d",
                "description_localizations": longer,
                "choices": [{"name": "c" * 50, "name_localizations": longer, "value": "v" * 60}],
            }
            for i in range(25)
        ]
        return {"name": "habitat", "description": "Chercher un habitat", "options": options}

    assert check_commands([command(localised=False)]) == []
    _assert_names(check_commands([command(localised=True)]), "4000")


@given(st.text(alphabet=string.ascii_lowercase + string.digits + "-_éèàçœ", min_size=1, max_size=32))
def test_lowercase_command_names_pass(name: str) -> None:
    assert check_commands([{"name": name, "description": "Commande de test"}]) == []


@given(
    st.text(alphabet=string.ascii_lowercase + string.digits + "-_é", max_size=31),
    st.sampled_from(string.ascii_uppercase + "ÉÈÀÇ"),
    st.integers(0, 31),
)
def test_command_names_with_uppercase_fail(name: str, upper: str, where: int) -> None:
    name = name[:where] + upper + name[where:]
    _assert_names(check_commands([{"name": name, "description": "Commande de test"}]), "lowercase")


def test_every_locale_is_accepted() -> None:
    command = {
        "name": "habitat",
        "description": "Chercher",
        "name_localizations": dict.fromkeys(LOCALES, "habitat"),
    }
    assert check_commands([command]) == []


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        _case("two commands localised alike", (1, "name_localizations"), {"en-US": "event"}, "en-US"),
        _case("a localisation matching a plain name", (0, "name_localizations"), {"en-GB": "profil"}, "en-GB"),
        _case("two subcommands", (*GROUP, "name_localizations"), {"en-US": "créer"}, "en-US"),
        _case("two options", (*LEAVES, 1, "name_localizations"), {"en-GB": "titre"}, "en-GB"),
    ],
)
def test_names_are_unique_in_every_locale(path: KeyPath, value: object, field: str) -> None:
    problems = check_commands(_with(COMMANDS, path, value))
    _assert_names(problems, field)
    assert "duplicate" in problems[0]


def test_a_localised_name_may_repeat_in_another_locale_or_kind() -> None:
    commands = _with(COMMANDS, (1, "name_localizations"), {"en-GB": "profile", "fr": "event"})
    commands = _with(commands, (2, "name_localizations"), {"en-US": "event"})  # a user command
    assert check_commands(commands) == []


# --- Interaction responses ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        {"type": 1},
        {"type": 4, "data": MESSAGE},
        {"type": 4, "data": {"content": "C'est noté !", "flags": 64}},
        {"type": 5},
        {"type": 5, "data": {"flags": 64}},
        {"type": 6},
        {"type": 7, "data": {"content": "Inscription enregistrée", "components": []}},
        {"type": 7},
        {"type": 8, "data": {"choices": CHOICES}},
        {"type": 9, "data": MODAL},
    ],
)
def test_realistic_interaction_responses_pass(body: Json) -> None:
    assert check_interaction_response(body) == []


@pytest.mark.parametrize(
    ("body", "field"),
    [
        pytest.param({"type": 3}, "type", id="unknown type"),
        pytest.param({"type": True}, "type", id="boolean type"),
        pytest.param({}, "type", id="missing type"),
        pytest.param({"type": 4}, "data", id="message without data"),
        pytest.param({"type": 4, "data": {}}, "data", id="empty message"),
        pytest.param({"type": 4, "data": {"content": "é" * 2001}}, "data.content", id="long content"),
        pytest.param({"type": 5, "data": {"flags": 64 | 4096}}, "flags", id="deferred flags"),
        pytest.param({"type": 5, "data": {"content": "Patience"}}, "data.content", id="deferred content"),
        pytest.param({"type": 7, "data": {"embeds": [{"title": "t" * 257}]}}, "title", id="update title"),
        pytest.param({"type": 8, "data": {}}, "choices", id="autocomplete without choices"),
        pytest.param({"type": 8, "data": {"choices": [{"name": "", "value": "a"}]}}, "name", id="choice name"),
        pytest.param({"type": 9}, "data", id="modal without data"),
        pytest.param({"type": 9, "data": _with(MODAL, ("title",), "t" * 46)}, "data.title", id="modal title"),
    ],
)
def test_interaction_response_violations(body: Json, field: str) -> None:
    _assert_names(check_interaction_response(body), field)


# --- Threads ------------------------------------------------------------------------------------------

FORUM_POST: Json = {
    "name": "Proposition : atelier compost à l'habitat",
    "auto_archive_duration": 10080,
    "rate_limit_per_user": 60,
    "applied_tags": ["1189000000000000001", "1189000000000000002"],
    "message": {"content": "Qui serait partant pour l'évènement ? Réponses ici."},
}


def test_realistic_threads_pass() -> None:
    assert check_thread(FORUM_POST, forum=True) == []
    assert check_thread({"name": "Suivi de l'évènement", "auto_archive_duration": 1440}, forum=False) == []


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        _case("name empty", ("name",), "", "name"),
        _case("name long", ("name",), "n" * 101, "name"),
        _case("name missing", ("name",), DELETE, "name"),
        _case("archive duration", ("auto_archive_duration",), 120, "auto_archive_duration"),
        _case("slowmode", ("rate_limit_per_user",), 21601, "rate_limit_per_user"),
        _case("tags", ("applied_tags",), [str(i) for i in range(6)], "applied_tags"),
        _case("message missing", ("message",), DELETE, "message"),
        _case("message empty", ("message",), {}, "message"),
        _case("message content", ("message", "content"), "é" * 2001, "message.content"),
    ],
)
def test_forum_post_violations(path: KeyPath, value: object, field: str) -> None:
    _assert_names(check_thread(_with(FORUM_POST, path, value), forum=True), field)


# --- Scheduled events ---------------------------------------------------------------------------------

EXTERNAL_EVENT: Json = {
    "name": "Visite de l'habitat « Les Colibris »",
    "description": "Visite guidée puis repas partagé : l'évènement est ouvert à tous.",
    "privacy_level": 2,
    "entity_type": 3,
    "entity_metadata": {"location": "12 rue de l'Église, Lyon"},
    "scheduled_start_time": "2025-06-12T17:00:00Z",
    "scheduled_end_time": "2025-06-12T21:00:00+00:00",
}


def test_realistic_scheduled_events_pass() -> None:
    assert check_scheduled_event(EXTERNAL_EVENT) == []
    voice = {
        "name": "Réunion mensuelle",
        "privacy_level": 2,
        "entity_type": 2,
        "channel_id": "1189000000000000003",
        "scheduled_start_time": "2025-06-12T19:00:00+02:00",
    }
    assert check_scheduled_event(voice) == []
    assert check_scheduled_event({"description": "Nouvelle description de l'évènement"}, creating=False) == []


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        _case("name empty", ("name",), "", "name"),
        _case("name long", ("name",), "n" * 101, "name"),
        _case("name missing", ("name",), DELETE, "name"),
        _case("description", ("description",), "d" * 1001, "description"),
        _case("privacy", ("privacy_level",), 1, "privacy_level"),
        _case("entity type", ("entity_type",), 4, "entity_type"),
        _case("metadata missing", ("entity_metadata",), DELETE, "entity_metadata"),
        _case("location empty", ("entity_metadata", "location"), "", "location"),
        _case("location long", ("entity_metadata", "location"), "l" * 101, "location"),
        _case("end missing", ("scheduled_end_time",), DELETE, "scheduled_end_time"),
        _case("end before start", ("scheduled_end_time",), "2025-06-12T16:00:00", "scheduled_end_time"),
        _case("start missing", ("scheduled_start_time",), DELETE, "scheduled_start_time"),
        _case("start not a date", ("scheduled_start_time",), "jeudi à 19 h", "scheduled_start_time"),
        _case("start a number", ("scheduled_start_time",), 1749747600, "scheduled_start_time"),
    ],
)
def test_scheduled_event_violations(path: KeyPath, value: object, field: str) -> None:
    _assert_names(check_scheduled_event(_with(EXTERNAL_EVENT, path, value)), field)


def test_stage_and_voice_events_need_a_channel() -> None:
    event = _with(EXTERNAL_EVENT, ("entity_type",), 2)
    _assert_names(check_scheduled_event(event), "channel_id")


# --- Forum tags ---------------------------------------------------------------------------------------

TAGS: list[Json] = [
    {"name": "Écologie", "emoji_name": "🌱"},
    {"name": "Gouvernance partagée"},
    {"name": "Chantier", "moderated": True},
]


def test_realistic_forum_tags_pass() -> None:
    assert check_forum_tags(TAGS) == []


@pytest.mark.parametrize(
    ("path", "value", "field"),
    [
        _case("too many", (), [{"name": f"Thème {i}"} for i in range(21)], "available_tags"),
        _case("name empty", (0, "name"), "", "name"),
        _case("name long", (1, "name"), "Gouvernance partagée!", "name"),
        _case("name missing", (2, "name"), DELETE, "name"),
        _case("duplicate", (2, "name"), "Écologie", "name"),
    ],
)
def test_forum_tag_violations(path: KeyPath, value: object, field: str) -> None:
    _assert_names(check_forum_tags(_with(TAGS, path, value)), field)


# --- Malformed input ----------------------------------------------------------------------------------

_KEYS = st.sampled_from(
    [
        "type", "content", "embeds", "title", "description", "fields", "name", "value", "footer", "text",
        "author", "components", "custom_id", "style", "label", "url", "sku_id", "options", "min_values",
        "max_values", "placeholder", "flags", "nonce", "allowed_mentions", "parse", "users", "roles", "data",
        "choices", "name_localizations", "description_localizations", "required", "autocomplete",
        "min_value", "max_value", "min_length", "max_length", "channel_types", "component", "accessory",
        "message", "applied_tags", "entity_type", "entity_metadata", "location", "scheduled_start_time",
        "scheduled_end_time", "privacy_level",
    ]
)  # fmt: skip
_JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-1, 25) | st.integers() | st.floats() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(_KEYS, inner, max_size=6),
    max_leaves=40,
)


def check_forum_post(value: Any) -> list[str]:
    return check_thread(value, forum=True)


CHECKS: list[Callable[[Any], list[str]]] = [
    check_message,
    check_modal,
    check_choices,
    check_commands,
    check_interaction_response,
    check_forum_post,
    check_scheduled_event,
    check_forum_tags,
]


@pytest.mark.parametrize("check", CHECKS)
@given(value=_JSON)
def test_malformed_input_is_reported_not_raised(check: Callable[[Any], list[str]], value: Any) -> None:
    problems = check(value)
    assert isinstance(problems, list)
    assert all(isinstance(problem, str) for problem in problems)


VALID = [
    pytest.param(check_message, MESSAGE, id="message"),
    pytest.param(check_message, V2_MESSAGE, id="v2 message"),
    pytest.param(check_modal, MODAL, id="modal"),
    pytest.param(check_choices, CHOICES, id="choices"),
    pytest.param(check_commands, COMMANDS, id="commands"),
    pytest.param(check_interaction_response, {"type": 9, "data": MODAL}, id="modal response"),
    pytest.param(check_forum_post, FORUM_POST, id="forum post"),
    pytest.param(check_scheduled_event, EXTERNAL_EVENT, id="scheduled event"),
    pytest.param(check_forum_tags, TAGS, id="forum tags"),
]


def _paths(value: Any, prefix: KeyPath = ()) -> list[KeyPath]:
    """Every place in a payload that holds a value."""
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else []
    found = [prefix] if prefix else []
    for key, child in children:
        found += _paths(child, (*prefix, key))
    return found


@pytest.mark.parametrize(("check", "payload"), VALID)
@given(data=st.data())
def test_any_value_anywhere_in_a_valid_payload_is_reported_not_raised(
    check: Callable[[Any], list[str]], payload: Any, data: st.DataObject
) -> None:
    path = data.draw(st.sampled_from(_paths(payload)))
    problems = check(_with(payload, path, data.draw(_JSON)))
    assert all(isinstance(problem, str) for problem in problems)


@pytest.mark.parametrize("check", CHECKS)
def test_huge_integers_do_not_break_messages(check: Callable[[Any], list[str]]) -> None:
    huge = 10**5000  # str() refuses such ints since Python 3.11
    body = dict.fromkeys(["type", "content", "name", "nonce", "flags", "value", "style"], huge)
    assert check({**body, "data": body, "components": [body], "options": [body]})
    assert check([body, huge])
