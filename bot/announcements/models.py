"""Organisers' scheduled announcements: once or on a rule, in a channel, with at most one role mentioned."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.recurrence import Rule

WEEKDAY_BITS = 7
MAX_CONTENT = 1900  # Discord's 2,000 characters, less the role mention put in front


@dataclass(frozen=True)
class Announcement:
    id: int
    guild_id: int
    channel_id: int
    author_id: int
    content: str
    role_id: int | None
    rule: Rule
    next_at: datetime | None
    sent_count: int
    active: bool
