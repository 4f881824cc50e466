"""Per-server settings (channels, roles, time zone, reminder offsets) and their store."""

from __future__ import annotations

import re
from functools import cache
from zoneinfo import ZoneInfo, available_timezones

from pydantic import BaseModel, ConfigDict

from bot.clock import to_db
from bot.db import Database
from bot.errors import UserError

DEFAULT_REMINDER_OFFSETS: tuple[int, ...] = (7 * 24 * 60, 24 * 60, 2 * 60)
MAX_REMINDER_OFFSETS = 5
MAX_REMINDER_MINUTES = 60 * 24 * 60  # two months ahead is already far for a reminder

_UNITS = {"j": 24 * 60, "jour": 24 * 60, "jours": 24 * 60, "d": 24 * 60, "h": 60, "min": 1, "m": 1}
_OFFSET = re.compile(r"^(\d{1,6})\s*(jours?|j|d|h|min|m)$")

CHANNEL_FIELDS = (
    "announce_channel_id",
    "ads_forum_id",
    "modqueue_channel_id",
    "welcome_channel_id",
    "matching_channel_id",
    "resources_forum_id",
)
ROLE_FIELDS = ("organiser_role_id", "moderator_role_id")


class GuildSettings(BaseModel):
    model_config = ConfigDict(frozen=True)

    guild_id: int
    announce_channel_id: int | None = None
    ads_forum_id: int | None = None
    modqueue_channel_id: int | None = None
    organiser_role_id: int | None = None
    moderator_role_id: int | None = None
    timezone: str = "Europe/Paris"
    reminder_offsets: tuple[int, ...] = DEFAULT_REMINDER_OFFSETS
    quiet_start: int = 22
    quiet_end: int = 8
    welcome_channel_id: int | None = None
    matching_channel_id: int | None = None
    max_live_ads: int = 5
    max_ads_per_day: int = 3
    national_db_reports: bool = False  # each sync's summary in the moderation channel
    resources_forum_id: int | None = None  # where published resources are mirrored, one post each

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)


@cache
def _zones_by_folded_name() -> dict[str, str]:
    return {name.casefold(): name for name in available_timezones()}


def validate_timezone(name: str) -> str:
    """The canonical IANA name for `name` (case-insensitive), or a UserError."""
    canonical = _zones_by_folded_name().get(name.strip().casefold())
    if canonical is None:
        raise UserError("« {nom} » n'est pas un fuseau horaire connu (exemple : Europe/Paris).", nom=name)
    return canonical


def timezone_suggestions(typed: str, limit: int = 25) -> list[str]:
    """Zone names containing what was typed, the shortest (most likely) first."""
    folded = typed.strip().casefold()
    names = [name for key, name in _zones_by_folded_name().items() if folded in key]
    return sorted(names, key=lambda name: (not name.casefold().startswith(folded), len(name), name))[:limit]


def parse_offsets(text: str) -> tuple[int, ...]:
    """'7j 1j 2h' or '7 jours, 30min' → minutes, largest first, without repeats."""
    parts = [part for part in re.split(r"[,;\s]+(?=\d)", text.strip().casefold()) if part.strip()]
    if not parts:
        raise UserError("Indiquez au moins un délai, par exemple « 7j 1j 2h ».")
    minutes: set[int] = set()
    for part in parts:
        match = _OFFSET.match(part.strip().rstrip(",;"))
        if not match:
            raise UserError("« {delai} » n'est pas un délai compris : écrivez par exemple 7j, 2h ou 30min.", delai=part)
        value = int(match.group(1)) * _UNITS[match.group(2)]
        if not 0 < value <= MAX_REMINDER_MINUTES:
            raise UserError("Un délai de rappel va de 1 minute à 60 jours (reçu « {delai} »).", delai=part)
        minutes.add(value)
    if len(minutes) > MAX_REMINDER_OFFSETS:
        raise UserError("Au plus {n} délais de rappel.", n=MAX_REMINDER_OFFSETS)
    return tuple(sorted(minutes, reverse=True))


def format_offset(minutes: int) -> str:
    """Minutes as the short French form used in /config: 10080 → '7 j', 90 → '1 h 30'."""
    days, rest = divmod(minutes, 24 * 60)
    mins = rest % 60
    if days and not rest:
        return f"{days} j"
    if minutes >= 60:
        return f"{minutes // 60} h" + (f" {mins:02d}" if mins else "")
    return f"{mins} min"


class GuildSettingsStore:
    def __init__(self, db: Database, *, default_timezone: str = "Europe/Paris") -> None:
        self.db = db
        self.default_timezone = default_timezone

    @property
    def default_zone(self) -> ZoneInfo:
        return ZoneInfo(self.default_timezone)

    async def get(self, guild_id: int) -> GuildSettings:
        row = await self.db.fetchone("SELECT * FROM guild_settings WHERE guild_id = ?", (guild_id,))
        if row is None:
            return GuildSettings(guild_id=guild_id, timezone=self.default_timezone)
        offsets = await self.db.fetchall(
            "SELECT minutes FROM guild_reminder_offsets WHERE guild_id = ? ORDER BY minutes DESC", (guild_id,)
        )
        values = {key: row[key] for key in row.keys() if key in GuildSettings.model_fields}  # noqa: SIM118
        return GuildSettings(
            **values, reminder_offsets=tuple(r["minutes"] for r in offsets) or DEFAULT_REMINDER_OFFSETS
        )

    async def update(self, guild_id: int, **changes: int | str | None) -> GuildSettings:
        """Set the given columns (channels, roles, time zone); the others keep their value."""
        allowed = {
            *CHANNEL_FIELDS,
            *ROLE_FIELDS,
            "timezone",
            "quiet_start",
            "quiet_end",
            "max_live_ads",
            "max_ads_per_day",
            "national_db_reports",
        }
        unknown = set(changes) - allowed
        if unknown:
            raise ValueError(f"unknown guild settings: {sorted(unknown)}")
        if "timezone" in changes:
            changes["timezone"] = validate_timezone(str(changes["timezone"]))
        for hour in ("quiet_start", "quiet_end"):
            value = changes.get(hour, 0)
            if not isinstance(value, int) or not 0 <= value <= 23:
                raise UserError("Une heure va de 0 à 23.")
        async with self.db.transaction():
            await self._ensure_row(guild_id)
            if changes:
                columns = sorted(changes)
                assignments = ", ".join(f"{column} = ?" for column in columns)
                await self.db.execute(
                    f"UPDATE guild_settings SET {assignments}, updated_at = ? WHERE guild_id = ?",
                    (*(changes[column] for column in columns), to_db(self.db.clock()), guild_id),
                )
        return await self.get(guild_id)

    async def national_db_channels(self) -> list[tuple[int, int]]:
        """(server, moderation channel) of the servers that asked for the national database's news."""
        rows = await self.db.fetchall(
            "SELECT guild_id, modqueue_channel_id FROM guild_settings"
            " WHERE national_db_reports = 1 AND modqueue_channel_id IS NOT NULL ORDER BY guild_id"
        )
        return [(row["guild_id"], row["modqueue_channel_id"]) for row in rows]

    async def set_reminder_offsets(self, guild_id: int, offsets: tuple[int, ...]) -> GuildSettings:
        async with self.db.transaction():
            await self._ensure_row(guild_id)
            await self.db.execute("DELETE FROM guild_reminder_offsets WHERE guild_id = ?", (guild_id,))
            await self.db.execute_many(
                "INSERT INTO guild_reminder_offsets (guild_id, minutes) VALUES (?, ?)",
                [(guild_id, minutes) for minutes in offsets],
            )
        return await self.get(guild_id)

    async def _ensure_row(self, guild_id: int) -> None:
        await self.db.execute(
            "INSERT INTO guild_settings (guild_id, timezone, updated_at) VALUES (?, ?, ?)"
            " ON CONFLICT (guild_id) DO NOTHING",
            (guild_id, self.default_timezone, to_db(self.db.clock())),
        )
