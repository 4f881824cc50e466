"""What the core may ask Discord to do, without knowing Discord (rule 1 of the house).

The Discord layer implements `Notifier`; tests of the core may pass their own.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum
from typing import Literal, Protocol


class Delivery(Enum):
    SENT = "sent"
    CLOSED = "closed"  # the member's DMs are closed, or the channel is gone: retrying will not help
    FAILED = "failed"  # Discord failed this time: worth retrying later


@dataclass(frozen=True)
class Sent:
    """A post Discord took, and the message it became: the ledger hands its id to the kind's `after`
    hook, so that the bot can rewrite that message later (an event's card as seats are taken)."""

    message_id: int


NotSent = Literal[Delivery.CLOSED, Delivery.FAILED]


@dataclass(frozen=True)
class Button:
    label: str
    custom_id: str
    style: str = "secondary"  # primary, secondary, success, danger


@dataclass(frozen=True)
class Outgoing:
    """A message in plain data: text, an optional card (title, lines) and buttons."""

    content: str
    title: str | None = None
    lines: tuple[str, ...] = ()
    buttons: tuple[Button, ...] = field(default_factory=tuple)
    # Members this message may ping (a greeting names its newcomer): nobody else, ever (rule 7).
    pings: tuple[int, ...] = ()
    # A post that rewrites the bot's own message `rewrites` in the channel, as a whole, instead of
    # posting a new one (an event's card as seats are taken).
    rewrites: int | None = None


class Notifier(Protocol):
    async def dm(self, user_id: int, message: Outgoing, *, nonce: str) -> Delivery: ...

    async def post(
        self, channel_id: int, message: Outgoing, *, nonce: str, mention_role_id: int | None = None
    ) -> Sent | NotSent: ...

    async def edit(self, channel_id: int, message_id: int, message: Outgoing) -> Delivery:
        """Rewrite one of the bot's own messages as a whole (no buttons in `message`: none left)."""
        ...

    async def close_thread(self, thread_id: int, message: Outgoing) -> Delivery:
        """Say why in the thread, then archive and lock it (a forum post whose ad is closed)."""
        ...
