"""Messages, modals and choices as plain text, for the console and for readable test failures."""

from __future__ import annotations

import re
from typing import Any

BUTTON_STYLES = {1: "", 2: "", 3: "✔ ", 4: "✖ ", 5: "🔗 "}


COMMAND_MENTION = re.compile(r"</([^:>]+):\d+>")


def render_message(message: dict[str, Any]) -> str:
    lines: list[str] = []
    if int(message.get("flags") or 0) & (1 << 6):
        lines.append("(visible par vous seul)")
    if message.get("content"):
        lines.append(str(message["content"]))
    for embed in message.get("embeds") or []:
        lines.extend(render_embed(embed))
    for row in message.get("components") or []:
        lines.append(render_row(row))
    for attachment in message.get("attachments") or []:
        lines.append(f"📎 {attachment['filename']} ({attachment['size']} octets)")
    return COMMAND_MENTION.sub(r"/\1", "\n".join(lines))


def render_embed(embed: dict[str, Any]) -> list[str]:
    lines = []
    if embed.get("title"):
        lines.append(f"┃ {embed['title']}")
    if embed.get("description"):
        lines.extend(f"┃ {line}" for line in str(embed["description"]).splitlines())
    for field in embed.get("fields") or []:
        lines.append(f"┃ ▸ {field['name']}")
        lines.extend(f"┃   {line}" for line in str(field["value"]).splitlines())
    if embed.get("footer", {}).get("text"):
        lines.append(f"┃ — {embed['footer']['text']}")
    return lines


def component_label(component: dict[str, Any]) -> str:
    emoji = (component.get("emoji") or {}).get("name") or ""
    label = component.get("label") or ""
    return f"{emoji} {label}".strip()


def render_row(row: dict[str, Any]) -> str:
    parts = []
    for component in row.get("components") or []:
        if component.get("type") == 2:
            disabled = " (inactif)" if component.get("disabled") else ""
            style = BUTTON_STYLES.get(int(component.get("style") or 2), "")
            parts.append(f"[{style}{component_label(component)}{disabled}]")
        else:
            options = ", ".join(option["label"] for option in component.get("options") or [])
            parts.append(f"⌄ {component.get('placeholder') or ''} {{{options}}}".strip())
    return " ".join(parts)


def render_modal(modal: dict[str, Any]) -> str:
    lines = [f"▭ {modal.get('title')}"]
    for row in modal.get("components") or []:
        inner = row.get("component") or (row.get("components") or [{}])[0]
        label = row.get("label") or inner.get("label") or inner.get("custom_id")
        required = "*" if inner.get("required", True) else ""
        lines.append(f"  {label}{required} [{inner.get('custom_id')}]")
    return "\n".join(lines)


def render_choices(choices: list[dict[str, Any]]) -> str:
    return "\n".join(f"  • {choice['name']}  → {choice['value']}" for choice in choices) or "  (aucune proposition)"
