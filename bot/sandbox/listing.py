"""What the console shows of the emulated Discord: messages with names instead of mention codes, who
can see which channel, members, channels and roles found by name, and attached files saved to a
folder and previewed."""

from __future__ import annotations

import contextlib
import json
import re
import struct
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.dates import format_day, format_time, format_when
from bot.sandbox.driver import Message
from bot.sandbox.emulator import EPHEMERAL, Emulator
from bot.sandbox.state import (
    DM,
    GUILD_FORUM,
    PRIVATE_THREAD,
    THREAD_TYPES,
    VIEW_CHANNEL,
    Channel,
    Guild,
    Role,
    User,
)
from bot.sandbox.typed import ConsoleError, Named, one

MANAGE_THREADS = 1 << 34
PREVIEW_LINES = 8
PREVIEW_WIDTH = 100
TEXT_FILES = (".csv", ".ics", ".json", ".txt")
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

_MENTION = re.compile(r"<@!?(\d+)>|<@&(\d+)>|<#(\d+)>")
_TIMESTAMP = re.compile(r"<t:(-?\d+)(?::([tTdDfFR]))?>")
PARIS = ZoneInfo("Europe/Paris")
_UNITS = (("an", 365 * 86400), ("mois", 30 * 86400), ("jour", 86400), ("heure", 3600), ("minute", 60))


def relative(moment: datetime, now: datetime) -> str:
    """ "dans 3 jours", "il y a 2 heures": Discord's `<t:…:R>`, in French."""
    seconds = (moment - now).total_seconds()
    for unit, size in _UNITS:
        if (n := int(abs(seconds) // size)) >= 1:
            word = unit if n == 1 or unit.endswith("s") else unit + "s"
            return f"dans {n} {word}" if seconds > 0 else f"il y a {n} {word}"
    return "maintenant"


def timestamps(text: str, now: datetime) -> str:
    """Discord's timestamps as a member of the demo server reads them, in Paris time."""

    def shown(match: re.Match[str]) -> str:
        moment, style = datetime.fromtimestamp(int(match[1]), PARIS), match[2] or "f"
        if style == "R":
            return relative(moment, now)
        if style in "tT":
            return format_time(moment, PARIS)
        return format_day(moment, PARIS) if style in "dD" else format_when(moment, PARIS)

    return _TIMESTAMP.sub(shown, text)


def readable(text: str, emulator: Emulator, now: datetime) -> str:
    """Mentions as Discord draws them: `@Dominique`, `@Organisateurs`, `#annonces`; dates in Paris time."""
    text = timestamps(text, now)

    def name(match: re.Match[str]) -> str:
        user, role, channel = match.groups()
        if user and int(user) in emulator.users:
            found = emulator.users[int(user)]
            return f"@{found.global_name or found.username}"
        if role:
            for guild in emulator.guilds.values():
                if int(role) in guild.roles:
                    return f"@{guild.roles[int(role)].name}"
        if channel and int(channel) in emulator.channels:
            return f"#{emulator.channels[int(channel)].name or 'MP'}"
        return match.group(0)

    return _MENTION.sub(name, text)


def can_see(emulator: Emulator, user: User, channel: Channel) -> bool:
    if channel.type == DM:
        return any(recipient.id == user.id for recipient in channel.recipients)
    guild = emulator.guild_of(channel)
    if guild is None or user.id not in guild.members:
        return False
    permissions = guild.channel_permissions(user.id, channel)
    if channel.type == PRIVATE_THREAD and user.id not in channel.thread_members and not permissions & MANAGE_THREADS:
        return False
    return bool(permissions & VIEW_CHANNEL)


def member_named(guild: Guild, typed: str) -> User:
    members = [member.user for member in guild.members.values() if not member.user.bot]
    named = [Named(user, user.username, [user.username, user.global_name or ""]) for user in members]
    return one(typed.lstrip("@"), named, "membres")


def role_named(guild: Guild, typed: str) -> Role:
    return one(typed.lstrip("@"), [Named(r, f"@{r.name}", [r.name]) for r in guild.roles.values()], "rôles")


def channel_named(emulator: Emulator, guild: Guild, user: User, typed: str) -> Channel:
    """A channel or thread of the server that `user` sees, by its name."""
    channels = [channel for channel in guild.channels.values() if channel.id in emulator.channels]
    channel = one(typed.lstrip("#"), [Named(c, f"#{c.name}", [c.name]) for c in channels], "salons")
    if not can_see(emulator, user, channel):
        raise ConsoleError(f"{user.username} ne voit pas #{channel.name}")
    return channel


def seen_by(message: dict[str, Any], user: User) -> bool:
    """An ephemeral message shows only to the member who used the interaction."""
    if not int(message.get("flags") or 0) & EPHEMERAL:
        return True
    return str((message.get("interaction_metadata") or {}).get("user", {}).get("id")) == str(user.id)


def visible_messages(emulator: Emulator, user: User, channel: Channel) -> list[Message]:
    """What `user` reads in `channel`: its messages with their own ephemeral answers, or for a forum
    its posts (each thread's first message)."""
    if channel.type == GUILD_FORUM:
        threads = [
            c
            for c in emulator.channels.values()
            if c.parent_id == channel.id and c.type in THREAD_TYPES and can_see(emulator, user, c)
        ]
        return [Message(emulator, m) for thread in threads for m in emulator.messages_in(thread)[:1]]
    return [Message(emulator, m) for m in emulator.messages_in(channel, ephemeral=True) if seen_by(m, user)]


def arrivals(
    emulator: Emulator, user: User, mark: int, own: set[int], interaction_id: int | None
) -> tuple[list[Message], str]:
    """What the bot posted or sent after the snowflake `mark`, besides an interaction's own answers:
    the messages `user` sees, and how many went elsewhere (DMs to others, channels they cannot see)."""
    seen: list[Message] = []
    elsewhere: dict[int, int] = {}  # channel id → messages
    for key, data in list(emulator.messages.items()):
        metadata = data.get("interaction_metadata") or {}
        if key <= mark or key in own or int(data["author"]["id"]) != emulator.bot_user.id:
            continue
        if interaction_id is not None and metadata.get("id") == str(interaction_id):
            continue
        message = Message(emulator, data)
        channel = emulator.channels.get(message.channel_id)
        if channel is None or message.ephemeral:
            continue
        if can_see(emulator, user, channel):
            seen.append(message)
            continue
        elsewhere[channel.id] = elsewhere.get(channel.id, 0) + 1
    counts = [(emulator.channels[channel_id], count) for channel_id, count in elsewhere.items()]
    return seen, ", ".join(
        f"{count} MP pour {channel.recipients[0].username}"
        if channel.type == DM
        else f"{count} message{'s' if count > 1 else ''} dans #{channel.name}"
        for channel, count in counts
    )


def place(channel: Channel) -> str:
    return "MP" if channel.type == DM else f"#{channel.name}"


class Attachments:
    """Files the bot sent, saved once each into `folder` and previewed where they are shown."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.saved: dict[int, Path] = {}

    def keep(self, emulator: Emulator, message: Message) -> list[str]:
        lines = []
        for attachment in message.data.get("attachments") or []:
            attachment_id = int(attachment["id"])
            stored = emulator.attachments.get(attachment_id)
            if stored is None:
                continue
            filename, data, _ = stored
            if attachment_id not in self.saved:
                self.saved[attachment_id] = self._save(filename, data)
            lines.append(f"  ↳ enregistré : {self.saved[attachment_id]}")
            lines.extend(f"  │ {line}" for line in preview(filename, data))
        return lines

    def _save(self, filename: str, data: bytes) -> Path:
        self.folder.mkdir(parents=True, exist_ok=True)
        name = Path(filename).name or "fichier"
        path, counter = self.folder / name, 1
        while path.exists():
            counter += 1
            path = self.folder / f"{Path(name).stem}-{counter}{Path(name).suffix}"
        path.write_bytes(data)
        return path


def preview(filename: str, data: bytes) -> list[str]:
    """The first lines of a text file (JSON laid out), or a picture's size and, for a PNG, dimensions."""
    suffix = Path(filename).suffix.casefold()
    if suffix in TEXT_FILES:
        text = data.decode("utf-8", errors="replace")
        if suffix == ".json":
            with contextlib.suppress(ValueError):
                text = json.dumps(json.loads(text), ensure_ascii=False, indent=2)
        lines = text.splitlines()
        shown = [line if len(line) <= PREVIEW_WIDTH else line[: PREVIEW_WIDTH - 1] + "…" for line in lines]
        more = [f"… ({len(lines) - PREVIEW_LINES} lignes de plus)"] if len(lines) > PREVIEW_LINES else []
        return shown[:PREVIEW_LINES] + more
    if data.startswith(PNG_SIGNATURE) and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return [f"image PNG {width}×{height}, {len(data)} octets"]
    return [f"{len(data)} octets"]
