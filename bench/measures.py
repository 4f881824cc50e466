"""What every benchmark here measures the same way: percentiles and an interaction's answer time."""

from __future__ import annotations

import re
from typing import Any

from bot.sandbox.emulator import Emulator, Interaction


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def answer_ms(emulator: Emulator, record: Interaction) -> float:
    """From the interaction sent to the bot's first answer. An answer after Discord's 3 s deadline is refused
    (the member saw "the application did not respond") and leaves no `answered_at`: its arrival is in the
    emulator's request log, on the same clock."""
    answered = record.answered_at
    if answered is None:
        callback = f"/interactions/{record.id}/{record.token}/callback"
        answered = next(r.at for r in reversed(emulator.requests) if r.method == "POST" and r.path == callback)
    return (answered - record.created) * 1000


def read_ms(emulator: Emulator, record: Interaction) -> float:
    """From the interaction sent to the answer the member reads: the first answer, or after a deferral
    ("the bot is thinking…") the first follow-up or edit, which the emulator logs under the interaction's
    webhook. Discord gives that follow-up 15 minutes, so a late one is slow but not refused."""
    if record.late or record.response_type not in (5, 6):
        return answer_ms(emulator, record)
    webhook = f"/webhooks/{emulator.application_id}/{record.token}"
    read = next(r.at for r in emulator.requests if r.path.startswith(webhook) and r.method in ("POST", "PATCH"))
    return (read - record.created) * 1000


def shown_total(embeds: list[dict[str, Any]]) -> int:
    """How many results the answer says it found ("57 projet(s) trouvé(s)"); no embed means none."""
    if not embeds:
        return 0
    found = re.search(r"\d+", str(embeds[0].get("description") or ""))
    return int(found.group()) if found else 0
