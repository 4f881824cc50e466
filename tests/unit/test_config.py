from __future__ import annotations

from pathlib import Path

import pytest

from bot.config import SettingsError, load_settings

SETTING_NAMES = ("DISCORD_TOKEN", "DATABASE_PATH", "DEV_GUILD_ID", "LOG_LEVEL", "WEB_PORT", "DEFAULT_TZ")


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in SETTING_NAMES:
        monkeypatch.delenv(name, raising=False)


def test_defaults_without_any_setting() -> None:
    settings = load_settings(env_file=None)
    assert settings.discord_token is None
    assert settings.database_path == Path("data/habitat.sqlite3")
    assert settings.default_tz == "Europe/Paris"
    assert settings.dev_guild_id is None


def test_reads_dotenv_file(tmp_path: Path) -> None:
    env = tmp_path / ".env"
    env.write_text("DISCORD_TOKEN=abc.def\nDEV_GUILD_ID=42\nLOG_LEVEL=debug\nWEB_PORT=\n", encoding="utf-8")
    settings = load_settings(env_file=env)
    assert settings.discord_token is not None
    assert settings.discord_token.get_secret_value() == "abc.def"
    assert settings.dev_guild_id == 42
    assert settings.log_level == "DEBUG"
    assert settings.web_port is None


def test_environment_wins_over_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    env = tmp_path / ".env"
    env.write_text("DEFAULT_TZ=Europe/Paris\n", encoding="utf-8")
    monkeypatch.setenv("DEFAULT_TZ", "America/Martinique")
    assert load_settings(env_file=env).default_tz == "America/Martinique"


def test_blank_token_counts_as_missing(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "   ")
    assert load_settings(env_file=None).discord_token is None


def test_token_never_shows_in_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "super-secret")
    assert "super-secret" not in repr(load_settings(env_file=None))


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("DEV_GUILD_ID", "mon-serveur"),
        ("DEV_GUILD_ID", "-3"),
        ("WEB_PORT", "99999"),
        ("LOG_LEVEL", "bavard"),
        ("DEFAULT_TZ", "Europe/Lutece"),
    ],
)
def test_malformed_setting_gives_one_line_naming_it(monkeypatch: pytest.MonkeyPatch, name: str, value: str) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(SettingsError) as caught:
        load_settings(env_file=None)
    message = str(caught.value)
    assert name in message
    assert value in message
    assert "\n" not in message
    assert "Traceback" not in message


def test_shards_are_read_as_a_count_and_a_list(monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.client import sharding

    assert sharding(load_settings(env_file=None)) == {}  # as many as Discord recommends
    monkeypatch.setenv("SHARD_COUNT", "4")
    monkeypatch.setenv("SHARD_IDS", " 2, 3")
    settings = load_settings(env_file=None)
    assert (settings.shard_count, settings.shard_ids) == (4, (2, 3))
    assert sharding(settings) == {"shard_count": 4, "shard_ids": [2, 3]}


@pytest.mark.parametrize(
    ("count", "ids", "said"),
    [
        ("", "0,1", "SHARD_IDS demande SHARD_COUNT"),
        ("2", "0,2", "SHARD_IDS : des numéros distincts de 0 à 1"),
        ("2", "1,1", "SHARD_IDS : des numéros distincts de 0 à 1"),
        ("2", "zéro", "Réglage SHARD_IDS invalide"),
        ("0", "", "Réglage SHARD_COUNT invalide"),
    ],
)
def test_shards_that_cannot_be_are_one_line(monkeypatch: pytest.MonkeyPatch, count: str, ids: str, said: str) -> None:
    monkeypatch.setenv("SHARD_COUNT", count)
    monkeypatch.setenv("SHARD_IDS", ids)
    with pytest.raises(SettingsError) as stopped:
        load_settings(env_file=None)
    assert said in str(stopped.value) and "\n" not in str(stopped.value)
