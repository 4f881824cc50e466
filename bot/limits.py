"""Discord's size limits, and the one helper that keeps text within them.

Everything the bot sends goes through `clip` (never a bare slice): a long value is cut at a word
boundary when one is near, and ends with "…" so the member sees it was shortened.
"""

from __future__ import annotations

CONTENT = 2000
EMBED_TITLE = 256
EMBED_DESCRIPTION = 4096
EMBED_FIELD_NAME = 256
EMBED_FIELD_VALUE = 1024
EMBED_FOOTER = 2048
EMBED_TOTAL = 6000
CHOICE_NAME = 100
CHOICE_VALUE = 100
BUTTON_LABEL = 80
SELECT_LABEL = 100
SELECT_DESCRIPTION = 100
MODAL_TITLE = 45
INPUT_LABEL = 45
INPUT_VALUE = 4000
THREAD_NAME = 100
SCHEDULED_EVENT_LOCATION = 100
SCHEDULED_EVENT_DESCRIPTION = 1000
QUOTE = 100  # typed text quoted back in a refusal: enough to recognise it, never a wall of text
ELLIPSIS = "…"


def clip(text: str, limit: int) -> str:
    """`text` if it fits in `limit` characters, else its start and "…" (cut at a space when one is near)."""
    if len(text) <= limit:
        return text
    head = text[: limit - len(ELLIPSIS)]
    space = head.rfind(" ")
    if space >= limit * 3 // 4:
        head = head[:space]
    return head.rstrip() + ELLIPSIS


def quote(typed: str) -> str:
    """What a member typed, as a refusal quotes it back: on one line, and short."""
    return clip(" ".join(typed.split()), QUOTE)
