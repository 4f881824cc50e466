"""Settings of the bot, read from the environment and `.env` (see `.env.example`)."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
# NATIONAL_DB_INTERVAL: hours ("6"), or a duration ("6h", "30min", "1j").
_DURATION = re.compile(r"^(\d{1,5})\s*(h|heures?|j|jours?|d|min|m)?$")
_MINUTES = {"h": 60, "heure": 60, "heures": 60, "j": 1440, "jour": 1440, "jours": 1440, "d": 1440, "min": 1, "m": 1}


class SettingsError(Exception):
    """A setting is missing or malformed; the message is one line naming it."""


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore")

    discord_token: SecretStr | None = None
    database_path: Path = Path("data/habitat.sqlite3")
    # postgresql://user:password@host/base: every store on PostgreSQL, DATABASE_PATH then unused.
    database_url: str | None = Field(default=None, pattern=r"^postgres(ql)?://")
    dev_guild_id: int | None = Field(default=None, gt=0)
    log_level: str = "INFO"
    web_port: int | None = Field(default=None, ge=1, le=65535)
    public_url: str | None = None  # the HTTP side's address as members reach it (personal calendars)
    default_tz: str = "Europe/Paris"
    national_db_url: str | None = None  # the national project database (a YesWiki site) to keep in step
    national_db_interval: timedelta = timedelta(hours=24)
    # Shards of one bot: SHARD_COUNT alone runs them all in this process; with SHARD_IDS ("0,1"), only those,
    # the others in other processes on the same PostgreSQL. Neither: as many as Discord recommends.
    shard_count: int | None = Field(default=None, ge=1, le=1024)
    shard_ids: Annotated[tuple[int, ...] | None, NoDecode] = None

    @field_validator("discord_token", mode="before")
    @classmethod
    def _blank_token_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _id_list(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        parts = [part.strip() for part in value.split(",")]
        if not all(part.isdecimal() for part in parts):
            raise ValueError("des numéros de shards séparés par des virgules, par exemple 0,1")
        return tuple(int(part) for part in parts)

    @model_validator(mode="after")
    def _shards_within_count(self) -> Settings:
        if self.shard_ids is None:
            return self
        if self.shard_count is None:
            raise ValueError("SHARD_IDS demande SHARD_COUNT (le nombre total de shards)")
        count = self.shard_count
        if any(shard >= count for shard in self.shard_ids) or len(set(self.shard_ids)) != len(self.shard_ids):
            raise ValueError(f"SHARD_IDS : des numéros distincts de 0 à {count - 1} (SHARD_COUNT={count})")
        return self

    @field_validator("dev_guild_id", "web_port", "shard_count", mode="before")
    @classmethod
    def _blank_is_none(cls, value: object) -> object:
        return None if isinstance(value, str) and not value.strip() else value

    @field_validator("national_db_url", mode="before")
    @classmethod
    def _site_address(cls, value: object) -> object:
        if isinstance(value, str) and not value.strip():
            return None
        if isinstance(value, str) and not value.strip().startswith(("http://", "https://")):
            raise ValueError("l'adresse du site commence par http:// ou https://")
        return value.strip() if isinstance(value, str) else value

    @field_validator("public_url", mode="before")
    @classmethod
    def _public_address(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        if not value.strip():
            return None
        if not value.strip().startswith(("http://", "https://")):
            raise ValueError("l'adresse publique commence par http:// ou https://")
        return value.strip().rstrip("/")

    @field_validator("national_db_interval", mode="before")
    @classmethod
    def _duration(cls, value: object) -> object:
        if not isinstance(value, str):
            return value
        found = _DURATION.match(value.strip().casefold())
        minutes = int(found.group(1)) * _MINUTES[found.group(2) or "h"] if found else 0
        if minutes < 15:
            raise ValueError("une durée d'au moins 15 minutes : un nombre d'heures (6) ou 6h, 30min, 1j")
        return timedelta(minutes=minutes)

    @field_validator("log_level")
    @classmethod
    def _known_level(cls, value: str) -> str:
        level = value.strip().upper()
        if level not in LOG_LEVELS:
            raise ValueError(f"niveau inconnu, choisir parmi {', '.join(LOG_LEVELS)}")
        return level

    @field_validator("default_tz")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError("fuseau horaire IANA inconnu (exemple : Europe/Paris)") from None
        return value

    @property
    def log_level_number(self) -> int:
        return logging.getLevelNamesMapping()[self.log_level]


def load_settings(env_file: Path | str | None = ".env") -> Settings:
    """Read the settings, turning pydantic's report into one line that names the setting."""
    try:
        return Settings(_env_file=env_file)
    except ValidationError as exc:
        error = exc.errors()[0]
        message = str(error["msg"]).removeprefix("Value error, ")
        if not error["loc"]:  # a rule between settings, whose message names them
            raise SettingsError(f"Réglages incompatibles : {message}.") from None
        name = str(error["loc"][0]).upper()
        raise SettingsError(f"Réglage {name} invalide : {message} (reçu « {error.get('input')} »).") from None
