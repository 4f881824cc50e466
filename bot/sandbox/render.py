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


def button_name(button: dict[str, Any]) -> str:
    return component_label(button) or str(button.get("custom_id"))


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


def modal_field(row: dict[str, Any]) -> tuple[str, dict[str, Any]] | None:
    """A modal row's field and the label the member reads above it; None for a text display."""
    if row.get("type") == 10:
        return None
    rows_inner = row.get("components") or [{}]
    inner: dict[str, Any] = (row.get("component") or {}) if row.get("type") == 18 else rows_inner[0]
    return str(row.get("label") or inner.get("label") or inner.get("custom_id")), inner


def modal_fields(modal: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [field for row in modal.get("components") or [] if (field := modal_field(row))]


def render_modal(modal: dict[str, Any]) -> str:
    """A form as the member sees it: each field by its label, what it takes, and a menu's options."""
    lines = [f"▭ {modal.get('title')}"]
    for row in modal.get("components") or []:
        field = modal_field(row)
        if field is None:
            lines.append(f"  {row.get('content')}")
            continue
        label, inner = field
        required = "*" if inner.get("required", True) else ""
        if inner.get("type") == 4:
            kind = "texte long" if inner.get("style") == 2 else "texte"
            low, high = inner.get("min_length"), inner.get("max_length")
            size = f", {low} à {high} caractères" if low else f", jusqu'à {high} caractères" if high else ""
            value = f" = « {inner['value']} »" if inner.get("value") else ""
            hint = f" ({inner['placeholder']})" if inner.get("placeholder") and not value else ""
            lines.append(f"  {label}{required} : {kind}{size}{value}{hint}")
        else:
            low, high = int(inner.get("min_values", 1)), int(inner.get("max_values", 1))
            count = f"{low} choix" if low == high else f"{low} à {high} choix"
            options = ", ".join(
                option["label"] + (" ✓" if option.get("default") else "") for option in inner.get("options") or []
            )
            lines.append(f"  {label}{required} : menu, {count} parmi {options}")
    return "\n".join(lines)


def render_choices(choices: list[dict[str, Any]]) -> str:
    return "\n".join(f"  • {choice['name']}  → {choice['value']}" for choice in choices) or "  (aucune proposition)"
