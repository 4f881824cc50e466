"""Discord's size limits, and the one helper that keeps text within them.

Everything the bot sends goes through `clip` (never a bare slice): a long value is cut at a word
boundary when one is near, never inside what the member sees as one character (an accent, a flag, an
emoji joined by zero-width joiners), and ends with "…" so the member sees it was shortened.

Discord counts code points (its API is written in Python), as `len` does.
"""

from __future__ import annotations

import unicodedata

CONTENT = 2000
EMBEDS = 10
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELDS = 25
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_AUTHOR = 256
EMBED_TOTAL = 6000  # title, description, field names and values, footer and author of all a message's embeds
CHOICES = 25
CHOICE_NAME = 100
CHOICE_VALUE = 100
ACTION_ROWS = 5
ROW_BUTTONS = 5
BUTTONS = ACTION_ROWS * ROW_BUTTONS
BUTTON_LABEL = 80
SELECT_OPTIONS = 25
SELECT_LABEL = 100
SELECT_DESCRIPTION = 100
SELECT_PLACEHOLDER = 150
MODAL_TITLE = 45
MODAL_ITEMS = 5
INPUT_LABEL = 45
INPUT_PLACEHOLDER = 100
INPUT_VALUE = 4000
THREAD_NAME = 100
SCHEDULED_EVENT_NAME = 100
SCHEDULED_EVENT_LOCATION = 100
SCHEDULED_EVENT_DESCRIPTION = 1000
QUOTE = 100  # typed text quoted back in a refusal: enough to recognise it, never a wall of text
ELLIPSIS = "…"

ZWJ = "\u200d"
# Explicit bidirectional embeddings and overrides (closed by PDF) and isolates (closed by PDI): an open one
# turns around everything after it on the line, the "…" and the bot's own words included.
PDF, PDI = "\u202c", "\u2069"
EMBEDDINGS = frozenset("\u202a\u202b\u202d\u202e")
ISOLATES = frozenset("\u2066\u2067\u2068")
BIDI_CONTROLS = EMBEDDINGS | ISOLATES | {PDF, PDI}
# Shown as nothing: a cut text does not end with them before its "…".
INVISIBLE = frozenset("\u200b\u200c\u200d\u2060\ufeff\u200e\u200f\u061c") | BIDI_CONTROLS
# Past this many code points a "character" is not one a member typed (a Zalgo pile of accents): cut anyway.
LONGEST_WORD = 25  # « anticonstitutionnellement »: a longer run is cut where it must be
LONGEST_CLUSTER = 32


def clip(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its start and "…" (cut at a space when one is near)."""
    if len(text) <= limit:
        return text
    room = limit - len(ELLIPSIS)
    while room > 0:
        head = _head(text, room, limit)
        closers = _closers(head)
        over = len(head) + len(closers) - (limit - len(ELLIPSIS))
        if over <= 0:
            return head + closers + ELLIPSIS
        room -= over
    return ELLIPSIS if limit >= len(ELLIPSIS) else ""


def quote(typed: str) -> str:
    """What a member typed, as a refusal quotes it back: on one line, short, and unable to turn the
    sentence around it right to left."""
    flat = "".join(char for char in typed if char not in BIDI_CONTROLS)
    return clip(" ".join(flat.split()), QUOTE)


def _head(text: str, room: int, limit: int) -> str:
    """The start of `text` kept by a cut after at most `room` characters."""
    head = text[: _cluster_start(text, room)]
    space = head.rfind(" ")
    if space >= max(limit // 2, limit - LONGEST_WORD):  # never a word cut in two, nor half the room lost
        head = head[:space]
    end = len(head)
    while end and (head[end - 1].isspace() or head[end - 1] in INVISIBLE):
        end -= 1
    return head[:end]


def _cluster_start(text: str, index: int) -> int:
    """`index`, moved back to the start of the character the member sees there (text[index] exists)."""
    start = index
    while start > 0 and _joined(text, start):
        start -= 1
        if index - start > LONGEST_CLUSTER:
            return index
    return start


def _joined(text: str, index: int) -> bool:
    """Whether text[index] belongs to the character before it."""
    char, before = text[index], text[index - 1]
    if before == ZWJ or "\ud800" <= before <= "\udbff":  # after a joiner; a surrogate pair's second half
        return True
    if _is_regional_indicator(char):  # a flag is a pair of these: do not split one
        run = 0
        while index - run > 0 and _is_regional_indicator(text[index - run - 1]):
            run += 1
        return run % 2 == 1
    code = ord(char)
    return (
        unicodedata.category(char) in ("Mn", "Mc", "Me")  # accents and other combining marks
        or char == ZWJ
        or 0xFE00 <= code <= 0xFE0F  # variation selectors (text or emoji presentation)
        or 0xE0100 <= code <= 0xE01EF
        or 0x1F3FB <= code <= 0x1F3FF  # skin tones
        or 0xE0020 <= code <= 0xE007F  # tags of subdivision flags
    )


def _is_regional_indicator(char: str) -> bool:
    return 0x1F1E6 <= ord(char) <= 0x1F1FF


def _closers(head: str) -> str:
    """The PDF and PDI that close the embeddings and isolates `head` leaves open, innermost first."""
    open_: list[str] = []
    for char in head:
        if char in EMBEDDINGS or char in ISOLATES:
            open_.append(char)
        elif char == PDF and open_ and open_[-1] in EMBEDDINGS:
            open_.pop()
        elif char == PDI and any(opener in ISOLATES for opener in open_):
            while open_.pop() not in ISOLATES:  # a PDI also closes the embeddings inside its isolate
                pass
    return "".join(PDF if opener in EMBEDDINGS else PDI for opener in reversed(open_))
