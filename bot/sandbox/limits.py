"""Discord's documented limits, checked on the plain JSON bodies the bot sends to the sandbox.

Each public ``check_*`` function is pure and returns human-readable violations, each starting with the
path of the offending field (``embeds[0].title: ...``); an empty list means Discord would accept the body
as far as these limits go. Malformed input is reported, never raised.

Numbers come from Discord's API documentation and its OpenAPI description. Where the description is
looser than the documentation (message content 4000, choice values 6000, modal components 40, tag names
50), the documented limit for bots wins: a bot must fit the stricter one.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, Final, TypeGuard

__all__ = [
    "check_choices",
    "check_commands",
    "check_forum_tags",
    "check_interaction_response",
    "check_message",
    "check_modal",
    "check_scheduled_event",
    "check_thread",
]

# --- Messages -----------------------------------------------------------------------------------------
CONTENT_MAX: Final = 2000  # bots get 2000; the OpenAPI 4000 is the Nitro user limit
EMBEDS_MAX: Final = 10
EMBED_TITLE_MAX: Final = 256
EMBED_DESCRIPTION_MAX: Final = 4096
EMBED_FIELDS_MAX: Final = 25
EMBED_FIELD_NAME_MAX: Final = 256
EMBED_FIELD_VALUE_MAX: Final = 1024
EMBED_FOOTER_TEXT_MAX: Final = 2048
EMBED_AUTHOR_NAME_MAX: Final = 256
EMBEDS_TOTAL_MAX: Final = 6000  # title + description + fields + footer text + author name, all embeds
EMBED_PARTS: Final = (("footer", "text", EMBED_FOOTER_TEXT_MAX), ("author", "name", EMBED_AUTHOR_NAME_MAX))
ATTACHMENTS_MAX: Final = 10
STICKERS_MAX: Final = 3
NONCE_MAX: Final = 25
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1  # nonce as an integer; such ints never exceed 20 characters
FLAGS_MAX: Final = 2**63 - 1
EPHEMERAL: Final = 1 << 6
IS_COMPONENTS_V2: Final = 1 << 15
ALLOWED_MENTIONS_KEYS: Final = frozenset({"parse", "users", "roles", "replied_user"})
MENTION_TYPES: Final = ("users", "roles", "everyone")
ALLOWED_MENTIONS_IDS_MAX: Final = 100
# Any of these makes a new message non-empty (uploaded files arrive listed in `attachments`).
MESSAGE_BODY_KEYS: Final = ("content", "embeds", "components", "attachments", "sticker_ids", "poll")

# --- Components ---------------------------------------------------------------------------------------
ACTION_ROW, BUTTON, STRING_SELECT, TEXT_INPUT = 1, 2, 3, 4
USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT = 5, 6, 7, 8
SECTION, TEXT_DISPLAY, THUMBNAIL, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER = 9, 10, 11, 12, 13, 14, 17
LABEL, FILE_UPLOAD, RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX = 18, 19, 21, 22, 23
SELECT_TYPES: Final = (STRING_SELECT, USER_SELECT, ROLE_SELECT, MENTIONABLE_SELECT, CHANNEL_SELECT)
# Layout components only valid with IS_COMPONENTS_V2; accepted without deeper checks.
V2_LAYOUT_TYPES: Final = (SECTION, THUMBNAIL, MEDIA_GALLERY, FILE, SEPARATOR, CONTAINER)
# What a modal Label may wrap besides text inputs and selects (checked loosely).
LABEL_OTHER_TYPES: Final = (FILE_UPLOAD, RADIO_GROUP, CHECKBOX_GROUP, CHECKBOX)
PRIMARY, SECONDARY, SUCCESS, DANGER, LINK, PREMIUM = 1, 2, 3, 4, 5, 6
BUTTON_STYLES: Final = (PRIMARY, SECONDARY, SUCCESS, DANGER, LINK, PREMIUM)
ACTION_ROWS_MAX: Final = 5
ROW_BUTTONS_MAX: Final = 5
CUSTOM_ID_MAX: Final = 100
BUTTON_LABEL_MAX: Final = 80
BUTTON_URL_MAX: Final = 512
SELECT_PLACEHOLDER_MAX: Final = 150
SELECT_OPTIONS_MAX: Final = 25
SELECT_OPTION_TEXT_MAX: Final = 100  # label, value and description of a string-select option
SELECT_VALUES_MAX: Final = 25  # min_values and max_values
V2_COMPONENTS_MAX: Final = 40  # every component counts, nested ones included
TEXT_DISPLAY_MAX: Final = 4000  # also the total of all text displays in one message
NESTING_MAX: Final = 4  # container > section > accessory is Discord's deepest; beyond is malformed

# --- Modals -------------------------------------------------------------------------------------------
SHORT, PARAGRAPH = 1, 2
MODAL_TITLE_MAX: Final = 45
MODAL_COMPONENTS_MAX: Final = 5
LABEL_TEXT_MAX: Final = 45  # a Label's label and a legacy text input's label
LABEL_DESCRIPTION_MAX: Final = 100
TEXT_INPUT_LENGTH_MAX: Final = 4000  # min_length, max_length and value
TEXT_INPUT_PLACEHOLDER_MAX: Final = 100

# --- Interaction callbacks ----------------------------------------------------------------------------
PONG, CHANNEL_MESSAGE, DEFERRED_CHANNEL_MESSAGE, DEFERRED_UPDATE, UPDATE_MESSAGE = 1, 4, 5, 6, 7
AUTOCOMPLETE_RESULT, MODAL, PREMIUM_REQUIRED, LAUNCH_ACTIVITY = 8, 9, 10, 12
CALLBACK_TYPES: Final = (
    PONG,
    CHANNEL_MESSAGE,
    DEFERRED_CHANNEL_MESSAGE,
    DEFERRED_UPDATE,
    UPDATE_MESSAGE,
    AUTOCOMPLETE_RESULT,
    MODAL,
    PREMIUM_REQUIRED,
    LAUNCH_ACTIVITY,
)

# --- Application commands -----------------------------------------------------------------------------
CHAT_INPUT, USER_COMMAND, MESSAGE_COMMAND = 1, 2, 3
COMMANDS_MAX: Final = {CHAT_INPUT: 100, USER_COMMAND: 15, MESSAGE_COMMAND: 15}
COMMAND_KIND_NAMES: Final = {CHAT_INPUT: "chat-input", USER_COMMAND: "user", MESSAGE_COMMAND: "message"}
SUB_COMMAND, SUB_COMMAND_GROUP, STRING, INTEGER, BOOLEAN, USER = 1, 2, 3, 4, 5, 6  # option types
CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = 7, 8, 9, 10, 11
OPTION_TYPES: Final = tuple(range(SUB_COMMAND, ATTACHMENT + 1))
NAME_MAX: Final = 32
DESCRIPTION_MAX: Final = 100
OPTIONS_MAX: Final = 25
CHOICES_MAX: Final = 25
CHOICE_NAME_MAX: Final = 100
CHOICE_VALUE_MAX: Final = 100  # string values; the OpenAPI 6000 is not what the documentation promises
OPTION_LENGTH_MAX: Final = 6000  # min_length / max_length of string options
NUMBER_BOUND: Final = 2**53  # integer and number values live in [-2^53, 2^53]
COMMAND_TEXT_MAX: Final = 4000  # names, descriptions and choices of one command, longest localisation each
# Chat-input names: Discord's ^[-_\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$. Python's \w is str.isalnum()
# plus '_', which covers \p{L}\p{N}; the two script blocks add their combining marks.
CHAT_NAME_RE: Final = re.compile(r"[-\w\u0900-\u097f\u0e00-\u0e7f]{1,32}")
LOCALES: Final = frozenset(
    {
        "id", "da", "de", "en-GB", "en-US", "es-ES", "es-419", "fr", "hr", "it", "lt", "hu", "nl", "no", "pl",
        "pt-BR", "ro", "fi", "sv-SE", "vi", "tr", "cs", "el", "bg", "ru", "uk", "hi", "th", "zh-CN", "ja",
        "zh-TW", "ko",
    }
)  # fmt: skip

# --- Threads, events, forum tags ----------------------------------------------------------------------
THREAD_NAME_MAX: Final = 100
AUTO_ARCHIVE_DURATIONS: Final = (60, 1440, 4320, 10080)  # minutes
SLOWMODE_MAX: Final = 21600  # rate_limit_per_user, seconds
APPLIED_TAGS_MAX: Final = 5
STAGE_INSTANCE, VOICE, EXTERNAL = 1, 2, 3
GUILD_ONLY: Final = 2  # the only privacy level Discord still accepts
EVENT_NAME_MAX: Final = 100
EVENT_DESCRIPTION_MAX: Final = 1000
EVENT_LOCATION_MAX: Final = 100
FORUM_TAGS_MAX: Final = 20
FORUM_TAG_NAME_MAX: Final = 20

_Check = Callable[[list[str], str, object], None]
"""A rule for one value: it appends what is wrong with it, under the given path."""
_Node = tuple[str, Mapping[str, Any]]
"""An object of the body together with its path."""


# --- Public checks ------------------------------------------------------------------------------------


def check_message(payload: Mapping[str, Any], *, creating: bool = True) -> list[str]:
    """A message body: channel message, webhook follow-up or interaction response data.

    ``creating=False`` is for edits, which may leave everything out.
    """
    out: list[str] = []
    _check_message(out, "", payload, creating=creating)
    return out


def check_modal(data: Mapping[str, Any]) -> list[str]:
    """The ``data`` of a MODAL (type 9) interaction callback."""
    out: list[str] = []
    _check_modal(out, "", data)
    return out


def check_choices(choices: Sequence[Mapping[str, Any]]) -> list[str]:
    """The ``data.choices`` of an autocomplete result (callback type 8)."""
    out: list[str] = []
    _check_choices(out, "choices", choices, _check_any_value, required=True)
    return out


def check_commands(commands: Sequence[Mapping[str, Any]]) -> list[str]:
    """The body of a bulk overwrite of global or guild application commands."""
    out: list[str] = []
    _check_commands(out, "commands", commands)
    return out


def check_interaction_response(body: Mapping[str, Any]) -> list[str]:
    """An interaction callback body ``{type, data}``."""
    out: list[str] = []
    _check_interaction_response(out, "", body)
    return out


def check_thread(payload: Mapping[str, Any], *, forum: bool) -> list[str]:
    """The body of POST /channels/{id}/threads; a forum post carries its first message."""
    out: list[str] = []
    _check_thread(out, "", payload, forum=forum)
    return out


def check_scheduled_event(payload: Mapping[str, Any], *, creating: bool = True) -> list[str]:
    """A guild scheduled event body; ``creating=False`` for PATCH, where every field is optional."""
    out: list[str] = []
    _check_scheduled_event(out, "", payload, creating=creating)
    return out


def check_forum_tags(tags: Sequence[Mapping[str, Any]]) -> list[str]:
    """The ``available_tags`` of a forum channel PATCH."""
    out: list[str] = []
    _check_forum_tags(out, "available_tags", tags)
    return out


# --- Shared helpers -----------------------------------------------------------------------------------


def _at(path: str, key: str | int) -> str:
    if isinstance(key, int):
        return f"{path}[{key}]"
    return f"{path}.{key}" if path else key


def _at_key(path: str, key: object) -> str:
    """Path of a mapping key, which the caller does not control (it may not even be a string)."""
    return _at(path, key if isinstance(key, str) else _show(key))


def _report(out: list[str], path: str, problem: str) -> None:
    out.append(f"{path or 'body'}: {problem}")


def _show(value: object) -> str:
    """A short rendering of a received value; never raises, even for huge ints (str() would)."""
    if value is None or isinstance(value, bool):
        return {None: "null", True: "true", False: "false"}[value]
    if isinstance(value, str):
        return repr(value if len(value) <= 40 else value[:37] + "...")
    if isinstance(value, int):
        return str(value) if value.bit_length() <= 64 else "a huge integer"
    if isinstance(value, float):
        return repr(value)
    return f"a {type(value).__name__}"


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)  # JSON true is not 1


def _is_number(value: object) -> TypeGuard[int | float]:
    return _is_int(value) or isinstance(value, float)


def _is_present(value: object) -> bool:
    """Whether a field says something: null and empty strings, lists or objects do not."""
    if isinstance(value, str | list | tuple | Mapping):
        return len(value) > 0
    return value is not None


def _as_list(value: object) -> list[Any]:
    """The items of an array, none for anything else; for callers that leave reporting to others."""
    return list(value) if isinstance(value, list | tuple) else []


def _as_mapping(value: object) -> Mapping[Any, Any]:
    """The entries of an object, none for anything else; for callers that leave reporting to others."""
    return value if isinstance(value, Mapping) else {}


def _kind(node: object) -> int | None:
    """The integer ``type`` of an object, None when missing or malformed."""
    kind = node.get("type") if isinstance(node, Mapping) else None
    return kind if _is_int(kind) else None


def _absent(out: list[str], path: str, value: object, *, required: bool) -> bool:
    """Whether there is no value (null counts as none); reports it when one is required."""
    if value is None and required:
        _report(out, path, "is required")
    return value is None


def _bounds(least: int, most: int) -> str:
    return f"between {least} and {most}" if least else f"at most {most}"


def _text(out: list[str], path: str, value: object, most: int, *, least: int = 0, required: bool = False) -> str | None:
    """Checks an optional string's length; returns it when it is a string."""
    if _absent(out, path, value, required=required):
        return None
    if not isinstance(value, str):
        _report(out, path, f"must be a string, not {_show(value)}")
        return None
    if not least <= len(value) <= most:
        _report(out, path, f"must be {_bounds(least, most)} characters long (got {len(value)})")
    return value


def _text_rule(least: int, most: int) -> _Check:
    """A required-string rule, for values that localisations must obey too."""

    def check(out: list[str], path: str, value: object) -> None:
        _text(out, path, value, most, least=least, required=True)

    return check


def _int(out: list[str], path: str, value: object, least: int, most: int, *, required: bool = False) -> int | None:
    """Checks an optional integer's range; returns it only when it is in range."""
    if _absent(out, path, value, required=required):
        return None
    if not _is_int(value):
        _report(out, path, f"must be an integer, not {_show(value)}")
        return None
    if not least <= value <= most:
        _report(out, path, f"must be between {least} and {most} (got {_show(value)})")
        return None
    return value


def _enum(out: list[str], path: str, value: object, allowed: Sequence[int], *, required: bool = False) -> int | None:
    """Checks an integer enum; returns the value only when it is allowed."""
    if _absent(out, path, value, required=required):
        return None
    if _is_int(value) and value in allowed:
        return value
    _report(out, path, f"must be one of {', '.join(map(str, allowed))} (got {_show(value)})")
    return None


def _list(
    out: list[str], path: str, value: object, most: int | None, *, least: int = 0, required: bool = False
) -> list[Any]:
    """Checks an optional array's size; returns its items (none when it is not an array)."""
    if _absent(out, path, value, required=required):
        return []
    items = _as_list(value)
    if not isinstance(value, list | tuple):
        _report(out, path, f"must be an array, not {_show(value)}")
    elif most is not None and not least <= len(items) <= most:
        _report(out, path, f"must hold {_bounds(least, most)} items (got {len(items)})")
    return items


def _object(out: list[str], path: str, value: object, *, required: bool = False) -> Mapping[str, Any] | None:
    if _absent(out, path, value, required=required):
        return None
    if not isinstance(value, Mapping):
        _report(out, path, f"must be an object, not {_show(value)}")
        return None
    return value


def _objects(
    out: list[str], path: str, value: object, most: int | None, *, least: int = 0, required: bool = False
) -> list[_Node]:
    """Like `_list`, for arrays of objects: reports the items that are not, returns the others."""
    nodes: list[_Node] = []
    for index, item in enumerate(_list(out, path, value, most, least=least, required=required)):
        if isinstance(item, Mapping):
            nodes.append((_at(path, index), item))
        else:
            _report(out, _at(path, index), f"must be an object, not {_show(item)}")
    return nodes


def _ordered(out: list[str], path: str, low_key: str, low: object, high_key: str, high: object) -> None:
    if _is_number(low) and _is_number(high) and low > high:
        _report(out, _at(path, low_key), f"must not exceed {high_key} ({_show(low)} > {_show(high)})")


def _unique(out: list[str], values: Iterable[tuple[str, object]], what: str) -> None:
    seen: set[str] = set()
    for path, value in values:
        if isinstance(value, str):
            if value in seen:
                _report(out, path, f"duplicate {what} {_show(value)}")
            seen.add(value)


def _unique_key(out: list[str], nodes: Sequence[_Node], key: str, what: str) -> None:
    _unique(out, ((_at(path, key), node.get(key)) for path, node in nodes), what)


def _char_count(value: object) -> int:
    """Characters a string or number takes in a length budget."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, float) or (_is_int(value) and value.bit_length() <= 64):
        return len(str(value))
    return 0


# --- Messages -----------------------------------------------------------------------------------------


def _check_message(out: list[str], path: str, payload: object, *, creating: bool) -> None:
    body = _object(out, path, payload, required=True)
    if body is None:
        return
    flags = _int(out, _at(path, "flags"), body.get("flags"), 0, FLAGS_MAX)
    v2 = flags is not None and bool(flags & IS_COMPONENTS_V2)
    if v2:
        for key in ("content", "embeds"):
            if _is_present(body.get(key)):
                _report(out, _at(path, key), "must be absent when the IS_COMPONENTS_V2 flag is set")
    _text(out, _at(path, "content"), body.get("content"), CONTENT_MAX)
    _check_embeds(out, _at(path, "embeds"), body.get("embeds"))
    _check_message_components(out, _at(path, "components"), body.get("components"), v2=v2)
    _list(out, _at(path, "attachments"), body.get("attachments"), ATTACHMENTS_MAX)
    _list(out, _at(path, "sticker_ids"), body.get("sticker_ids"), STICKERS_MAX)
    _check_nonce(out, _at(path, "nonce"), body.get("nonce"))
    _check_allowed_mentions(out, _at(path, "allowed_mentions"), body.get("allowed_mentions"))
    if creating and not any(_is_present(body.get(key)) for key in MESSAGE_BODY_KEYS):
        _report(out, path, f"a new message needs at least one of {', '.join(MESSAGE_BODY_KEYS)}")


def _check_embeds(out: list[str], path: str, value: object) -> None:
    total = sum(_check_embed(out, where, embed) for where, embed in _objects(out, path, value, EMBEDS_MAX))
    if total > EMBEDS_TOTAL_MAX:
        _report(out, path, f"must hold at most {EMBEDS_TOTAL_MAX} characters all together (got {total})")


def _check_embed(out: list[str], path: str, embed: Mapping[str, Any]) -> int:
    """Checks one embed; returns the characters it adds to the message's shared budget."""
    texts = [
        _text(out, _at(path, "title"), embed.get("title"), EMBED_TITLE_MAX),
        _text(out, _at(path, "description"), embed.get("description"), EMBED_DESCRIPTION_MAX),
    ]
    for where, field in _objects(out, _at(path, "fields"), embed.get("fields"), EMBED_FIELDS_MAX):
        name, value = field.get("name"), field.get("value")
        texts.append(_text(out, _at(where, "name"), name, EMBED_FIELD_NAME_MAX, least=1, required=True))
        texts.append(_text(out, _at(where, "value"), value, EMBED_FIELD_VALUE_MAX, least=1, required=True))
    for key, text_key, most in EMBED_PARTS:
        part = _object(out, _at(path, key), embed.get(key))
        if part is not None:
            texts.append(_text(out, _at(_at(path, key), text_key), part.get(text_key), most))
    return sum(len(text) for text in texts if text is not None)


def _check_nonce(out: list[str], path: str, value: object) -> None:
    if value is None or isinstance(value, str):
        _text(out, path, value, NONCE_MAX)
    elif not _is_int(value):
        _report(out, path, f"must be an integer or a string, not {_show(value)}")
    elif not INT64_MIN <= value <= INT64_MAX:
        _report(out, path, "must fit in a signed 64-bit integer")


def _check_allowed_mentions(out: list[str], path: str, value: object) -> None:
    mentions = _object(out, path, value)
    if mentions is None:
        return
    for key in mentions:
        if key not in ALLOWED_MENTIONS_KEYS:
            _report(out, _at_key(path, key), f"is not one of {', '.join(sorted(ALLOWED_MENTIONS_KEYS))}")
    parse = _list(out, _at(path, "parse"), mentions.get("parse"), None)
    for index, kind in enumerate(parse):
        if not (isinstance(kind, str) and kind in MENTION_TYPES):
            _report(out, _at(_at(path, "parse"), index), f"must be one of {', '.join(MENTION_TYPES)}")
    for key in ("users", "roles"):
        ids = mentions.get(key)
        _list(out, _at(path, key), ids, ALLOWED_MENTIONS_IDS_MAX)
        if ids is not None and key in parse:
            _report(out, _at(path, key), f"cannot be given together with {key!r} in parse")
    replied_user = mentions.get("replied_user")
    if replied_user is not None and not isinstance(replied_user, bool):
        _report(out, _at(path, "replied_user"), f"must be a boolean, not {_show(replied_user)}")


# --- Components ---------------------------------------------------------------------------------------


def _walk(out: list[str], nodes: Sequence[_Node], depth: int = 0) -> list[_Node]:
    """Every component of a tree, parents first; reports children that are not objects."""
    found: list[_Node] = []
    for path, node in nodes:
        found.append((path, node))
        children = _objects(out, _at(path, "components"), node.get("components"), None)
        for key in ("accessory", "component"):  # a Section's accessory, a Label's component
            child = _object(out, _at(path, key), node.get(key))
            if child is not None:
                children.append((_at(path, key), child))
        if children and depth >= NESTING_MAX:
            _report(out, path, "components are nested too deeply")
        elif children:
            found += _walk(out, children, depth + 1)
    return found


def _check_message_components(out: list[str], path: str, value: object, *, v2: bool) -> None:
    top = _objects(out, path, value, None if v2 else ACTION_ROWS_MAX)
    nodes = _walk(out, top)
    if v2:
        if len(nodes) > V2_COMPONENTS_MAX:
            _report(out, path, f"must hold at most {V2_COMPONENTS_MAX} components, nested ones included")
        texts = [node.get("content") for _, node in nodes if _kind(node) == TEXT_DISPLAY]
        lengths = [len(text) for text in texts if isinstance(text, str)]
        if sum(lengths) > TEXT_DISPLAY_MAX >= max(lengths, default=0):  # an oversized one is reported alone
            _report(out, path, f"text displays must hold at most {TEXT_DISPLAY_MAX} characters together")
    else:
        for where, node in top:
            if _kind(node) in (BUTTON, *SELECT_TYPES):
                _report(out, _at(where, "type"), "buttons and selects must sit in an action row (type 1)")
    for where, node in nodes:
        kind = _kind(node)
        if kind == ACTION_ROW:
            _check_message_row(out, where, node)
        elif kind == BUTTON:
            _check_button(out, where, node)
        elif kind in SELECT_TYPES:
            _check_select(out, where, node)
        elif v2 and kind == TEXT_DISPLAY:
            _text(out, _at(where, "content"), node.get("content"), TEXT_DISPLAY_MAX, least=1, required=True)
        elif v2 and kind in V2_LAYOUT_TYPES:
            pass  # components v2 are accepted loosely
        elif kind in (TEXT_DISPLAY, *V2_LAYOUT_TYPES):
            _report(out, _at(where, "type"), f"{kind} needs the IS_COMPONENTS_V2 flag (1 << 15)")
        else:
            _report(out, _at(where, "type"), f"{_show(node.get('type'))} is not a message component type")
    _unique_key(out, nodes, "custom_id", "custom_id")


def _check_message_row(out: list[str], path: str, row: Mapping[str, Any]) -> None:
    kinds = [_kind(child) for child in _as_list(row.get("components"))]
    buttons = kinds.count(BUTTON)
    selects = sum(kind in SELECT_TYPES for kind in kinds)
    where = _at(path, "components")
    if not kinds:
        _report(out, where, "an action row needs at least one component")
    elif buttons and selects:
        _report(out, where, "an action row holds buttons or one select, not both")
    elif selects > 1:
        _report(out, where, f"an action row holds a single select (got {selects})")
    elif buttons > ROW_BUTTONS_MAX:
        _report(out, where, f"an action row holds at most {ROW_BUTTONS_MAX} buttons (got {buttons})")
    for index, kind in enumerate(kinds):
        if kind not in (BUTTON, *SELECT_TYPES):
            _report(out, _at(_at(where, index), "type"), "an action row holds only buttons and selects")


# Per special style: the field it needs and the fields it must not have; other styles need a custom_id.
_BUTTON_FIELDS: Final = {
    LINK: ("url", ("custom_id", "sku_id")),
    PREMIUM: ("sku_id", ("custom_id", "url", "label", "emoji")),
}
_BUTTON_DEFAULT_FIELDS: Final = ("custom_id", ("url", "sku_id"))


def _check_button(out: list[str], path: str, button: Mapping[str, Any]) -> None:
    _text(out, _at(path, "label"), button.get("label"), BUTTON_LABEL_MAX)
    _text(out, _at(path, "url"), button.get("url"), BUTTON_URL_MAX)
    _text(out, _at(path, "custom_id"), button.get("custom_id"), CUSTOM_ID_MAX, least=1)
    style = _enum(out, _at(path, "style"), button.get("style"), BUTTON_STYLES, required=True)
    if style is None:
        return
    needed, forbidden = _BUTTON_FIELDS.get(style, _BUTTON_DEFAULT_FIELDS)
    if button.get(needed) is None:
        _report(out, _at(path, needed), f"is required on a style {style} button")
    for key in forbidden:
        if button.get(key) is not None:
            _report(out, _at(path, key), f"is not allowed on a style {style} button")


def _check_select(out: list[str], path: str, select: Mapping[str, Any]) -> None:
    """A select menu, in a message action row or in a modal Label."""
    _text(out, _at(path, "custom_id"), select.get("custom_id"), CUSTOM_ID_MAX, least=1, required=True)
    _text(out, _at(path, "placeholder"), select.get("placeholder"), SELECT_PLACEHOLDER_MAX)
    low = _int(out, _at(path, "min_values"), select.get("min_values"), 0, SELECT_VALUES_MAX)
    high = _int(out, _at(path, "max_values"), select.get("max_values"), 1, SELECT_VALUES_MAX)
    _ordered(out, path, "min_values", low, "max_values", high)
    if _kind(select) != STRING_SELECT:
        return
    options = _objects(out, _at(path, "options"), select.get("options"), SELECT_OPTIONS_MAX, least=1, required=True)
    for where, option in options:
        for key in ("label", "value"):
            _text(out, _at(where, key), option.get(key), SELECT_OPTION_TEXT_MAX, least=1, required=True)
        _text(out, _at(where, "description"), option.get("description"), SELECT_OPTION_TEXT_MAX)


# --- Modals -------------------------------------------------------------------------------------------


def _check_modal(out: list[str], path: str, value: object) -> None:
    modal = _object(out, path, value, required=True)
    if modal is None:
        return
    _text(out, _at(path, "custom_id"), modal.get("custom_id"), CUSTOM_ID_MAX, least=1, required=True)
    _text(out, _at(path, "title"), modal.get("title"), MODAL_TITLE_MAX, least=1, required=True)
    components = modal.get("components")
    top = _objects(out, _at(path, "components"), components, MODAL_COMPONENTS_MAX, least=1, required=True)
    nodes = _walk(out, top)
    for where, node in top:
        kind = _kind(node)
        if kind == ACTION_ROW:
            _check_modal_row(out, where, node)
        elif kind == LABEL:
            _check_label(out, where, node)
        elif kind == TEXT_DISPLAY:
            _text(out, _at(where, "content"), node.get("content"), TEXT_DISPLAY_MAX, least=1, required=True)
        else:
            got = _show(node.get("type"))
            _report(out, _at(where, "type"), f"must be 1 (action row), 18 (label) or 10 (text display), not {got}")
    _unique_key(out, nodes, "custom_id", "custom_id")


def _check_modal_row(out: list[str], path: str, row: Mapping[str, Any]) -> None:
    children = _as_list(row.get("components"))
    if len(children) == 1 and _kind(children[0]) == TEXT_INPUT:
        _check_text_input(out, _at(_at(path, "components"), 0), children[0], in_label=False)
    else:
        _report(out, _at(path, "components"), "a modal action row holds exactly one text input (type 4)")


def _check_label(out: list[str], path: str, label: Mapping[str, Any]) -> None:
    _text(out, _at(path, "label"), label.get("label"), LABEL_TEXT_MAX, least=1, required=True)
    _text(out, _at(path, "description"), label.get("description"), LABEL_DESCRIPTION_MAX, least=1)
    child, where = label.get("component"), _at(path, "component")
    kind = _kind(child)
    if _absent(out, where, child, required=True) or not isinstance(child, Mapping):
        return  # other shapes were reported by the walk
    if kind == TEXT_INPUT:
        _check_text_input(out, where, child, in_label=True)
    elif kind in SELECT_TYPES:
        _check_select(out, where, child)
    elif kind not in LABEL_OTHER_TYPES:
        _report(out, _at(where, "type"), f"{_show(child.get('type'))} cannot sit in a label")


def _check_text_input(out: list[str], path: str, field: Mapping[str, Any], *, in_label: bool) -> None:
    _text(out, _at(path, "custom_id"), field.get("custom_id"), CUSTOM_ID_MAX, least=1, required=True)
    _enum(out, _at(path, "style"), field.get("style"), (SHORT, PARAGRAPH), required=True)
    if not in_label:
        _text(out, _at(path, "label"), field.get("label"), LABEL_TEXT_MAX, least=1, required=True)
    elif field.get("label") is not None:
        _report(out, _at(path, "label"), "is not allowed inside a Label, which carries the label itself")
    low = _int(out, _at(path, "min_length"), field.get("min_length"), 0, TEXT_INPUT_LENGTH_MAX)
    high = _int(out, _at(path, "max_length"), field.get("max_length"), 1, TEXT_INPUT_LENGTH_MAX)
    _ordered(out, path, "min_length", low, "max_length", high)
    _text(out, _at(path, "placeholder"), field.get("placeholder"), TEXT_INPUT_PLACEHOLDER_MAX)
    _text(out, _at(path, "value"), field.get("value"), TEXT_INPUT_LENGTH_MAX)


# --- Interaction callbacks ----------------------------------------------------------------------------


def _check_interaction_response(out: list[str], path: str, value: object) -> None:
    response = _object(out, path, value, required=True)
    if response is None:
        return
    kind = _enum(out, _at(path, "type"), response.get("type"), CALLBACK_TYPES, required=True)
    data, where = response.get("data"), _at(path, "data")
    if kind == CHANNEL_MESSAGE or (kind == UPDATE_MESSAGE and data is not None):
        _check_message(out, where, data, creating=kind == CHANNEL_MESSAGE)
    elif kind == DEFERRED_CHANNEL_MESSAGE:
        _check_deferred(out, where, data)
    elif kind == AUTOCOMPLETE_RESULT:
        result = _object(out, where, data, required=True)
        if result is not None:
            _check_choices(out, _at(where, "choices"), result.get("choices"), _check_any_value, required=True)
    elif kind == MODAL:
        _check_modal(out, where, data)


def _check_deferred(out: list[str], path: str, value: object) -> None:
    data = _object(out, path, value)
    if data is None:
        return
    for key in data:
        if key != "flags":
            _report(out, _at_key(path, key), "is not allowed when deferring, only flags is")
    flags = _int(out, _at(path, "flags"), data.get("flags"), 0, FLAGS_MAX)
    if flags is not None and flags & ~EPHEMERAL:
        _report(out, _at(path, "flags"), f"only the EPHEMERAL flag ({EPHEMERAL}) is allowed when deferring")


# --- Choices and application commands -----------------------------------------------------------------


def _check_string_value(out: list[str], path: str, value: object) -> None:
    _text(out, path, value, CHOICE_VALUE_MAX, required=True)


def _check_integer_value(out: list[str], path: str, value: object) -> None:
    if not (_is_int(value) and -NUMBER_BOUND <= value <= NUMBER_BOUND):
        _report(out, path, f"must be an integer between -2^53 and 2^53, not {_show(value)}")


def _check_number_value(out: list[str], path: str, value: object) -> None:
    # The bounds also turn away NaN and infinities; math.isfinite would overflow on huge ints.
    if not (_is_number(value) and -NUMBER_BOUND <= value <= NUMBER_BOUND):
        _report(out, path, f"must be a number between -2^53 and 2^53, not {_show(value)}")


def _check_any_value(out: list[str], path: str, value: object) -> None:
    """An autocomplete choice may answer a string, integer or number option."""
    if _is_number(value):
        _check_number_value(out, path, value)
    else:
        _check_string_value(out, path, value)


_VALUE_CHECKS: Final[dict[int, _Check]] = {
    STRING: _check_string_value,
    INTEGER: _check_integer_value,
    NUMBER: _check_number_value,
}
_check_description = _text_rule(1, DESCRIPTION_MAX)
_check_context_name = _text_rule(1, NAME_MAX)  # user and message commands: any case, spaces allowed
_check_choice_name = _text_rule(1, CHOICE_NAME_MAX)


def _check_chat_name(out: list[str], path: str, value: object) -> None:
    """A chat-input command or option name."""
    name = _text(out, path, value, NAME_MAX, least=1, required=True)
    if name is None or not 1 <= len(name) <= NAME_MAX:
        return
    if CHAT_NAME_RE.fullmatch(name) is None:  # fullmatch: a '$' would let a trailing newline through
        _report(out, path, f"{_show(name)} may only hold letters, digits, '-' and '_'")
    elif name != name.lower():
        _report(out, path, f"{_show(name)} must be lowercase")


def _check_localizations(out: list[str], path: str, value: object, check: _Check) -> None:
    """Keys must be Discord locales; each translation obeys the rule of what it translates."""
    translations = _object(out, path, value)
    for locale, text in (translations or {}).items():
        where = _at_key(path, locale)
        if locale not in LOCALES:
            _report(out, where, "is not a Discord locale")
        check(out, where, text)


def _check_localised(out: list[str], path: str, node: Mapping[str, Any], key: str, check: _Check) -> None:
    check(out, _at(path, key), node.get(key))
    _check_localizations(out, _at(path, f"{key}_localizations"), node.get(f"{key}_localizations"), check)


def _check_choices(out: list[str], path: str, value: object, check_value: _Check, *, required: bool) -> None:
    for where, choice in _objects(out, path, value, CHOICES_MAX, required=required):
        _check_localised(out, where, choice, "name", _check_choice_name)
        check_value(out, _at(where, "value"), choice.get("value"))


def _check_commands(out: list[str], path: str, value: object) -> None:
    by_kind: dict[int, list[_Node]] = {}
    for where, command in _objects(out, path, value, None, required=True):
        given = command.get("type")
        kind = _enum(out, _at(where, "type"), CHAT_INPUT if given is None else given, tuple(COMMANDS_MAX))
        if kind is not None:
            by_kind.setdefault(kind, []).append((where, command))
            _check_command(out, where, command, kind)
    for kind, commands in by_kind.items():
        name = COMMAND_KIND_NAMES[kind]
        if len(commands) > COMMANDS_MAX[kind]:
            _report(out, path, f"at most {COMMANDS_MAX[kind]} {name} commands (got {len(commands)})")
        _unique_names(out, commands, f"{name} command name")


def _check_command(out: list[str], path: str, command: Mapping[str, Any], kind: int) -> None:
    if kind != CHAT_INPUT:
        _check_localised(out, path, command, "name", _check_context_name)
        for key in ("description", "options"):
            if _is_present(command.get(key)):
                _report(out, _at(path, key), "must be empty on user and message commands")
        return
    _check_localised(out, path, command, "name", _check_chat_name)
    _check_localised(out, path, command, "description", _check_description)
    _check_options(out, _at(path, "options"), command.get("options"), parent=None)
    total = _command_length(command)
    if total > COMMAND_TEXT_MAX:
        _report(
            out,
            path,
            f"names, descriptions and choices must hold at most {COMMAND_TEXT_MAX} characters (got {total})",
        )


def _check_options(out: list[str], path: str, value: object, *, parent: int | None) -> None:
    """Options of a command (parent None), a subcommand group or a subcommand."""
    options = _objects(out, path, value, OPTIONS_MAX)
    kinds: list[int | None] = []
    for where, option in options:
        kind = _enum(out, _at(where, "type"), option.get("type"), OPTION_TYPES, required=True)
        kinds.append(kind)
        _check_option(out, where, option, kind)
    nesting = [kind in (SUB_COMMAND, SUB_COMMAND_GROUP) for kind in kinds]
    for (where, option), kind in zip(options, kinds, strict=True):
        if parent == SUB_COMMAND_GROUP and kind != SUB_COMMAND:
            _report(out, _at(where, "type"), "a subcommand group holds only subcommands (type 1)")
        elif parent == SUB_COMMAND and kind in (SUB_COMMAND, SUB_COMMAND_GROUP):
            _report(out, _at(where, "type"), "a subcommand cannot hold subcommands or groups")
        elif kind in (SUB_COMMAND, SUB_COMMAND_GROUP):  # each level is checked once, so recursion ends
            _check_options(out, _at(where, "options"), option.get("options"), parent=kind)
    if parent is None and any(nesting) and not all(nesting):
        _report(out, path, "subcommands and groups cannot sit beside other option types")
    seen_optional = False
    for (where, option), is_nesting in zip(options, nesting, strict=True):
        required = option.get("required") is True
        if required and seen_optional and not is_nesting:
            _report(out, _at(where, "required"), "required options must come before optional ones")
        seen_optional = seen_optional or not required
    _unique_names(out, options, "option name")


def _unique_names(out: list[str], nodes: Sequence[_Node], what: str) -> None:
    """Siblings' names differ, and so do the names a member sees in each locale: the localised name, or
    the name itself where a sibling has none for that locale. A clash of plain names is reported once."""
    _unique_key(out, nodes, "name", what)
    localised = [(path, node, _as_mapping(node.get("name_localizations"))) for path, node in nodes]
    for locale in sorted({locale for _, _, names in localised for locale in names if isinstance(locale, str)}):
        seen: dict[str, bool] = {}  # name shown in this locale -> whether a localisation shows it
        for path, node, names in localised:
            is_localised = locale in names
            shown = names.get(locale) if is_localised else node.get("name")
            if not isinstance(shown, str):
                continue
            if shown in seen and (is_localised or seen[shown]):
                where = _at_key(_at(path, "name_localizations"), locale) if is_localised else _at(path, "name")
                _report(out, where, f"duplicate {what} {_show(shown)} in {locale}")
            seen[shown] = seen.get(shown, False) or is_localised


def _check_option(out: list[str], path: str, option: Mapping[str, Any], kind: int | None) -> None:
    _check_localised(out, path, option, "name", _check_chat_name)
    _check_localised(out, path, option, "description", _check_description)
    if kind is None:
        return  # its type was reported; what it may hold depends on it
    check_value = _VALUE_CHECKS.get(kind)
    choices = option.get("choices")
    if choices is not None:
        if check_value is None:
            _report(out, _at(path, "choices"), "only string, integer and number options take choices")
        else:
            _check_choices(out, _at(path, "choices"), choices, check_value, required=False)
    if option.get("autocomplete") is True:
        if check_value is None:
            _report(out, _at(path, "autocomplete"), "only string, integer and number options autocomplete")
        elif _is_present(choices):
            _report(out, _at(path, "autocomplete"), "cannot be combined with choices")
    for key in ("min_value", "max_value"):
        bound = option.get(key)
        if bound is not None:
            if kind in (INTEGER, NUMBER):
                _VALUE_CHECKS[kind](out, _at(path, key), bound)
            else:
                _report(out, _at(path, key), "only integer and number options take it")
    _ordered(out, path, "min_value", option.get("min_value"), "max_value", option.get("max_value"))
    low, high = option.get("min_length"), option.get("max_length")
    if kind == STRING:
        low = _int(out, _at(path, "min_length"), low, 0, OPTION_LENGTH_MAX)
        high = _int(out, _at(path, "max_length"), high, 1, OPTION_LENGTH_MAX)
        _ordered(out, path, "min_length", low, "max_length", high)
    else:
        for key, bound in (("min_length", low), ("max_length", high)):
            if bound is not None:
                _report(out, _at(path, key), "only string options take it")
    channel_types = option.get("channel_types")
    if channel_types is not None and kind != CHANNEL:
        _report(out, _at(path, "channel_types"), "only channel options take it")
    for index, channel_type in enumerate(_list(out, _at(path, "channel_types"), channel_types, None)):
        if not _is_int(channel_type):
            _report(out, _at(_at(path, "channel_types"), index), "must be a channel type (an integer)")


def _longest(node: Mapping[str, Any], key: str) -> int:
    """Characters Discord counts for a localisable string: the longest of it and its translations."""
    translations = node.get(f"{key}_localizations")
    others = translations.values() if isinstance(translations, Mapping) else ()
    return max([_char_count(node.get(key)), *map(_char_count, others)])


def _command_length(node: Mapping[str, Any], depth: int = 0) -> int:
    """Characters of a command or option, its choices and, down to the leaves, its options."""
    total = _longest(node, "name") + _longest(node, "description")
    for choice in _as_list(node.get("choices")):
        if isinstance(choice, Mapping):
            total += _longest(choice, "name") + _char_count(choice.get("value"))
    if depth < 3:  # command > group > subcommand > option; deeper nesting is reported elsewhere
        for option in _as_list(node.get("options")):
            if isinstance(option, Mapping):
                total += _command_length(option, depth + 1)
    return total


# --- Threads, scheduled events, forum tags ------------------------------------------------------------


def _check_thread(out: list[str], path: str, value: object, *, forum: bool) -> None:
    thread = _object(out, path, value, required=True)
    if thread is None:
        return
    _text(out, _at(path, "name"), thread.get("name"), THREAD_NAME_MAX, least=1, required=True)
    duration = thread.get("auto_archive_duration")
    _enum(out, _at(path, "auto_archive_duration"), duration, AUTO_ARCHIVE_DURATIONS)
    _int(out, _at(path, "rate_limit_per_user"), thread.get("rate_limit_per_user"), 0, SLOWMODE_MAX)
    if forum:
        _list(out, _at(path, "applied_tags"), thread.get("applied_tags"), APPLIED_TAGS_MAX)
        _check_message(out, _at(path, "message"), thread.get("message"), creating=True)


def _check_scheduled_event(out: list[str], path: str, value: object, *, creating: bool) -> None:
    event = _object(out, path, value, required=True)
    if event is None:
        return
    _text(out, _at(path, "name"), event.get("name"), EVENT_NAME_MAX, least=1, required=creating)
    _text(out, _at(path, "description"), event.get("description"), EVENT_DESCRIPTION_MAX)
    _enum(out, _at(path, "privacy_level"), event.get("privacy_level"), (GUILD_ONLY,), required=creating)
    entity_types = (STAGE_INSTANCE, VOICE, EXTERNAL)
    kind = _enum(out, _at(path, "entity_type"), event.get("entity_type"), entity_types, required=creating)
    start_path, end_path = _at(path, "scheduled_start_time"), _at(path, "scheduled_end_time")
    start = _timestamp(out, start_path, event.get("scheduled_start_time"), required=creating)
    # External events happen somewhere for some time: a place and an end are needed.
    end = _timestamp(out, end_path, event.get("scheduled_end_time"), required=kind == EXTERNAL)
    if kind == EXTERNAL:
        metadata_path = _at(path, "entity_metadata")
        metadata = _object(out, metadata_path, event.get("entity_metadata"), required=True)
        if metadata is not None:
            location = metadata.get("location")
            _text(out, _at(metadata_path, "location"), location, EVENT_LOCATION_MAX, least=1, required=True)
    elif kind is not None and creating and event.get("channel_id") is None:
        _report(out, _at(path, "channel_id"), "is required for stage and voice events")
    if start is not None and end is not None and end <= start:
        _report(out, end_path, "must be after scheduled_start_time")


def _timestamp(out: list[str], path: str, value: object, *, required: bool) -> datetime | None:
    if _absent(out, path, value, required=required):
        return None
    if isinstance(value, str):
        try:
            moment = datetime.fromisoformat(value)  # Python 3.11 reads a trailing 'Z' itself
        except ValueError:
            pass
        else:
            return moment if moment.tzinfo else moment.replace(tzinfo=UTC)  # zone-less means UTC
    _report(out, path, f"must be an ISO-8601 timestamp, not {_show(value)}")
    return None


def _check_forum_tags(out: list[str], path: str, value: object) -> None:
    tags = _objects(out, path, value, FORUM_TAGS_MAX, required=True)
    for where, tag in tags:
        _text(out, _at(where, "name"), tag.get("name"), FORUM_TAG_NAME_MAX, least=1, required=True)
    _unique_key(out, tags, "name", "tag name")
