"""The foundation through the real discord.py client and the emulator."""

from __future__ import annotations

import asyncio
import gc
import logging
import re
from pathlib import Path
from typing import Any

import discord
import pytest

from bot.config import Settings
from bot.i18n import catalogue
from bot.sandbox import limits
from bot.sandbox.driver import DriverError
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import Sandbox, sandbox
from tests.e2e.paging import every_page
from tests.support import ManualClock

CALLBACK = "/interactions/{interaction_id}/{token}/callback"


async def test_bot_registers_valid_commands_with_english_names(sb: Sandbox) -> None:
    commands = list(sb.emulator.guild_commands[sb.demo.guild.id].values())
    assert {"aide", "config"} <= {c["name"] for c in commands}
    assert limits.check_commands(commands) == []
    config = next(c for c in commands if c["name"] == "config")
    assert config["name_localizations"]["en-US"] == "config"
    assert config["default_member_permissions"] == str(1 << 3)
    for option in config["options"]:
        assert option["description_localizations"]["en-US"], option["name"]


def untranslated(entries: list[dict[str, Any]], path: str = "") -> list[str]:
    """Names, descriptions and choices of registered commands that have no English localisation."""
    missing = []
    for entry in entries:
        where = f"{path}/{entry['name']}"
        if "en-US" not in (entry.get("name_localizations") or {}):
            missing.append(f"{where} (name)")
        if entry.get("description") and "en-US" not in (entry.get("description_localizations") or {}):
            missing.append(f"{where} (description)")
        for choice in entry.get("choices") or []:
            if "en-US" not in (choice.get("name_localizations") or {}):
                missing.append(f"{where}: {choice['name']}")
        missing += untranslated(entry.get("options") or [], where)
    return missing


async def test_every_command_option_and_choice_is_translated(sb: Sandbox) -> None:
    assert untranslated(list(sb.emulator.guild_commands[sb.demo.guild.id].values())) == []


def slash_paths(entries: list[dict[str, Any]], french: str = "", english: str = "") -> list[tuple[str, str]]:
    """(French path, English path) of every registered slash command and subcommand."""
    found = []
    for entry in entries:
        here = (f"{french} {entry['name']}".strip(), f"{english} {entry['name_localizations']['en-US']}".strip())
        found.append(here)
        found += slash_paths([o for o in entry.get("options") or [] if o["type"] in (1, 2)], *here)
    return found


async def test_english_answers_name_commands_as_an_english_client_types_them(sb: Sandbox) -> None:
    """« /config salons » in an English sentence is a command an English member cannot find."""
    registered = [c for c in sb.emulator.guild_commands[sb.demo.guild.id].values() if c.get("type", 1) == 1]
    french_only = [(fr, en) for fr, en in slash_paths(registered) if fr != en]
    assert ("config salons", "config channels") in french_only
    leftovers = [
        (english, f"/{fr}")
        for english in catalogue("en").values()
        for fr, _ in french_only
        if re.search(rf"/{re.escape(fr)}(?![\w-])", english)
    ]
    assert leftovers == []


async def test_what_is_loaded_at_start_is_left_out_of_the_collectors_passes_until_closing(sb: Sandbox) -> None:
    assert sb.bot.index_loading is not None
    await sb.bot.index_loading
    assert gc.get_freeze_count() > 0  # the geography and the indexes' rows among them
    reply = await sb.driver.slash(sb.demo.user("alex"), "projet chercher", departement="63")
    assert "Aucun projet ne correspond" in reply.text  # the bot works on
    await sb.bot.close()
    assert gc.get_freeze_count() == 0  # nothing of it kept past the bot


async def test_members_are_chunked_after_guild_create(sb: Sandbox) -> None:
    guild = sb.bot.get_guild(sb.demo.guild.id)
    assert guild is not None
    assert {m.name for m in guild.members} >= {"camille", "alex", "sam", "dominique", "morgane"}
    requests = [r for r in sb.emulator.requests if r.route == "/users/@me"]
    assert requests, "the bot logged in through the emulator"


async def test_help_in_french(sb: Sandbox) -> None:
    reply = await sb.driver.slash(sb.demo.user("alex"), "aide")
    assert reply.ephemeral
    assert reply.embeds[0]["title"] == "Aide du bot de l'habitat participatif"
    assert "/aide" in reply.text
    assert "/config" not in reply.text  # hidden from a member who cannot use it


async def test_help_in_english_for_an_english_discord(sb: Sandbox) -> None:
    sam = sb.demo.user("sam")
    reply = await sb.driver.slash(sam, "aide")
    assert reply.embeds[0]["title"] == "Help for the participatory housing bot"
    assert "What the bot does" in reply.text
    everything = "\n".join(await every_page(sb, sam, reply))
    # Small ads and scheduled announcements under their own English names; a mention stays clickable
    # only under its French name, so the name to type follows it.
    assert "/classified — The network's small ads" in everything
    assert "/annonce publier (/classified publish) — Publish a small ad" in everything
    assert "/announcement — Scheduled announcements (organisers)" in everything
    assert "/rappel programmer (/announcement schedule)" in everything


async def test_help_shows_admin_commands_to_admins_on_its_pages(sb: Sandbox) -> None:
    camille = sb.demo.user("camille")
    pages = await every_page(sb, camille, await sb.driver.slash(camille, "aide"))
    assert len(pages) > 1
    assert "Page 1 sur" in pages[0]
    everything = "\n".join(pages)
    assert "/config voir" in everything
    assert "Réglages du bot sur ce serveur" in everything
    assert pages[0].index("/aide") < pages[0].index("/projet chercher")  # getting started comes first


async def test_paginator_only_answers_its_owner(sb: Sandbox) -> None:
    alex, sam = sb.demo.user("alex"), sb.demo.user("sam")
    reply = await sb.driver.slash(alex, "pages", nombre=3)
    assert reply.embeds[0]["title"] == "Page 1"
    assert reply.message is not None
    assert reply.message.button("◀")["disabled"]
    turned = await sb.driver.click(alex, reply.message, "▶")
    assert turned.embeds[0]["title"] == "Page 2"
    refused = await sb.driver.click(sam, reply.message, "▶")
    assert refused.ephemeral
    assert "These buttons belong" in refused.content
    assert reply.message.embeds[0]["title"] == "Page 2"
    await sb.driver.click(alex, reply.message, "▶")
    assert reply.message.embeds[0]["title"] == "Page 3"
    assert reply.message.button("▶")["disabled"]


async def test_no_command_name_is_refused_as_discord_would(sb: Sandbox) -> None:
    for typed in ("", "/", "  "):
        with pytest.raises(DriverError, match="aucune commande"):
            await sb.driver.slash(sb.demo.user("alex"), typed)


async def test_config_hidden_from_members_and_refused_if_opened_to_them(sb: Sandbox) -> None:
    alex = sb.demo.user("alex")
    with pytest.raises(DriverError, match="ne montre pas"):
        await sb.driver.slash(alex, "config fuseau", fuseau="Europe/Brussels")
    # An administrator opens the command to everyone in the server's integration settings:
    # the bot's own check still refuses.
    sb.demo.guild.command_overrides.add("config")
    reply = await sb.driver.slash(alex, "config fuseau", fuseau="Europe/Brussels")
    assert reply.ephemeral
    assert reply.content == "Cette commande demande la permission « Administrateur »."
    assert (await sb.bot.guild_settings.get(sb.demo.guild.id)).timezone == "Europe/Paris"


async def test_config_stores_a_valid_time_zone(sb: Sandbox) -> None:
    reply = await sb.driver.slash(sb.demo.user("camille"), "config fuseau", fuseau="america/martinique")
    assert reply.ephemeral
    assert "America/Martinique" in reply.content
    assert (await sb.bot.guild_settings.get(sb.demo.guild.id)).timezone == "America/Martinique"
    row = await sb.bot.db.fetchone("SELECT timezone FROM guild_settings WHERE guild_id = ?", (sb.demo.guild.id,))
    assert row is not None and row["timezone"] == "America/Martinique"


async def test_invalid_time_zone_gets_a_clear_message_and_changes_nothing(sb: Sandbox) -> None:
    reply = await sb.driver.slash(sb.demo.user("camille"), "config fuseau", fuseau="Paris/Montmartre")
    assert reply.ephemeral
    assert reply.content == "« Paris/Montmartre » n'est pas un fuseau horaire connu (exemple : Europe/Paris)."
    assert await sb.bot.db.fetchall("SELECT * FROM guild_settings") == []


async def test_time_zone_autocomplete(sb: Sandbox) -> None:
    choices = await sb.driver.autocomplete(sb.demo.user("camille"), "config fuseau", "fuseau", "paris")
    assert choices[0]["value"] == "Europe/Paris"
    assert len(await sb.driver.autocomplete(sb.demo.user("camille"), "config fuseau", "fuseau", "")) == 25


async def test_config_channels_roles_and_reminders(sb: Sandbox) -> None:
    camille = sb.demo.user("camille")
    reply = await sb.driver.slash(
        camille,
        "config salons",
        annonces=sb.demo.channel("annonces"),
        petites_annonces=sb.demo.channel("petites-annonces"),
        moderation=sb.demo.channel("moderation"),
    )
    assert reply.content == "Salons enregistrés."
    await sb.driver.slash(camille, "config roles", organisateurs=sb.demo.roles["organisateurs"])
    await sb.driver.slash(camille, "config rappels", delais="2j 3h")
    settings = await sb.bot.guild_settings.get(sb.demo.guild.id)
    assert settings.announce_channel_id == sb.demo.channel("annonces").id
    assert settings.ads_forum_id == sb.demo.channel("petites-annonces").id
    assert settings.modqueue_channel_id == sb.demo.channel("moderation").id
    assert settings.organiser_role_id == sb.demo.roles["organisateurs"].id
    assert settings.reminder_offsets == (2880, 180)
    shown = await sb.driver.slash(camille, "config voir")
    assert f"<#{settings.announce_channel_id}>" in shown.text
    assert "2 j, 3 h" in shown.text


async def test_config_refuses_a_channel_the_bot_cannot_write_in(sb: Sandbox) -> None:
    closed = sb.emulator.add_channel(
        sb.demo.guild,
        "bureau",
        overwrites=[{"id": str(sb.demo.guild.id), "type": 0, "allow": "0", "deny": str(1 << 10)}],
    )
    # The bot learns of the new channel as it would from Discord.
    await sb.driver.dispatch("CHANNEL_CREATE", closed.to_json())
    reply = await sb.driver.slash(sb.demo.user("camille"), "config salons", annonces=closed)
    assert "Je ne peux pas publier dans" in reply.content
    assert await sb.bot.db.fetchall("SELECT * FROM guild_settings") == []


async def test_bad_reminder_delays_change_nothing(sb: Sandbox) -> None:
    reply = await sb.driver.slash(sb.demo.user("camille"), "config rappels", delais="bientôt")
    assert reply.ephemeral
    assert "n'est pas un délai compris" in reply.content
    assert await sb.bot.db.fetchall("SELECT * FROM guild_reminder_offsets") == []


async def test_error_inside_a_command_gives_an_id_to_the_member_and_the_log(
    sb: Sandbox, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.ERROR, logger="bot.errors"):
        reply = await sb.driver.slash(sb.demo.user("alex"), "panne")
    assert reply.ephemeral
    match = re.search(r"réf\. ([0-9a-f]{6})", reply.content)
    assert match is not None, reply.content
    assert "Traceback" not in reply.text
    logged = [r for r in caplog.records if match.group(1) in r.getMessage()]
    assert logged and logged[0].exc_info is not None


async def test_error_message_in_english(sb: Sandbox) -> None:
    reply = await sb.driver.slash(sb.demo.user("sam"), "panne")
    assert reply.content.startswith("Something unexpected went wrong (ref. ")


async def test_a_rate_limited_answer_is_retried(sb: Sandbox) -> None:
    sb.emulator.fail_next("POST", CALLBACK, status=429)
    reply = await sb.driver.slash(sb.demo.user("alex"), "echo", texte="bonjour")
    assert reply.content == "bonjour"
    statuses = [r.status for r in sb.emulator.requests if r.route == CALLBACK]
    assert statuses == [429, 200]


async def test_a_server_error_is_retried(sb: Sandbox) -> None:
    sb.emulator.fail_next("POST", "/channels/{channel_id}/messages", status=500)
    channel = sb.bot.get_channel(sb.demo.channel("annonces").id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("Plénière samedi")
    assert [m["content"] for m in sb.emulator.messages_in(sb.demo.channel("annonces"))] == ["Plénière samedi"]


async def test_a_dropped_gateway_is_resumed_without_losing_events(sb: Sandbox) -> None:
    await sb.emulator.drop_gateway()
    # An event sent while the bot is away is replayed when it resumes.
    reply_task = asyncio.create_task(sb.driver.slash(sb.demo.user("alex"), "echo", texte="toujours là"))
    await asyncio.wait_for(sb.emulator.gateway.connected.wait(), 10)
    reply = await reply_task
    assert reply.content == "toujours là"
    assert sb.emulator.gateway.resumed == 1
    assert sb.emulator.gateway.identified == 1


async def test_a_late_first_answer_is_refused_as_discord_does(sb: Sandbox, emulator_clock: ManualClock) -> None:
    task = asyncio.create_task(sb.driver.slash(sb.demo.user("alex"), "attente"))
    for _ in range(100):
        await asyncio.sleep(0)  # let the interaction reach the bot
    emulator_clock.advance(3.5)
    probe = sb.bot.get_cog("Probe")
    probe.gate.set()  # type: ignore[union-attr]
    reply = await task
    assert reply.late
    assert reply.message is None


async def test_same_nonce_posts_once(sb: Sandbox) -> None:
    channel = sb.bot.get_channel(sb.demo.channel("annonces").id)
    assert isinstance(channel, discord.TextChannel)
    first = await channel.send("Rappel : JPO demain", nonce=4242)
    again = await channel.send("Rappel : JPO demain", nonce=4242)
    assert first.id == again.id
    assert len(sb.emulator.messages_in(sb.demo.channel("annonces"))) == 1
    await channel.send("Rappel : JPO demain", nonce=4243)
    assert len(sb.emulator.messages_in(sb.demo.channel("annonces"))) == 2


async def test_closed_dms_answer_50007(sb: Sandbox) -> None:
    alex = sb.demo.user("alex")
    alex.dms_open = False
    user = await sb.bot.fetch_user(alex.id)
    with pytest.raises(discord.Forbidden) as caught:
        await user.send("Bonjour")
    assert caught.value.code == 50007


async def test_mass_pings_are_off_by_default(sb: Sandbox) -> None:
    channel = sb.bot.get_channel(sb.demo.channel("general").id)
    assert isinstance(channel, discord.TextChannel)
    await channel.send("@everyone venez !")
    sent = sb.emulator.messages_in(sb.demo.channel("general"))[-1]
    assert sent["allowed_mentions"]["parse"] == []
    assert not sent["allowed_mentions"].get("users") and not sent["allowed_mentions"].get("roles")


async def test_limit_violations_and_unknown_routes_are_reported(sb: Sandbox) -> None:
    channel = sb.bot.get_channel(sb.demo.channel("general").id)
    assert isinstance(channel, discord.TextChannel)
    with pytest.raises(discord.HTTPException) as caught:
        await channel.send("x" * 2001)
    assert caught.value.code == 50035
    with pytest.raises(discord.NotFound):
        await sb.bot.http.request(discord.http.Route("GET", "/voice/regions"))
    assert len(sb.emulator.problems) == 2
    assert "2000" in sb.emulator.problems[0] or "content" in sb.emulator.problems[0]
    assert "route inconnue" in sb.emulator.problems[1]
    sb.emulator.problems.clear()


async def test_missing_members_intent_is_one_clear_line(tmp_path: Path) -> None:
    from bot.client import MEMBERS_INTENT_OFF, serve

    emulator = Emulator()
    emulator.allowed_privileged_intents = 0
    async with emulator:
        settings = Settings(_env_file=None, discord_token=emulator.token, database_path=tmp_path / "b.sqlite3")
        assert await serve(settings) == MEMBERS_INTENT_OFF


async def test_a_wrong_token_is_one_clear_line(tmp_path: Path) -> None:
    from bot.client import serve

    async with Emulator():
        settings = Settings(_env_file=None, discord_token="faux.jeton", database_path=tmp_path / "b.sqlite3")
        problem = await serve(settings)
    assert problem is not None and "DISCORD_TOKEN" in problem


async def test_commands_sync_globally_without_a_dev_guild(tmp_path: Path) -> None:
    async with sandbox(tmp_path / "c.sqlite3", dev_guild=False) as box:
        assert "aide" in box.emulator.global_commands
        assert box.emulator.guild_commands == {}
        reply = await box.driver.slash(box.demo.user("alex"), "aide")
        assert reply.embeds


async def test_the_global_rate_limit_is_waited_out(sb: Sandbox) -> None:
    sb.emulator.global_rate_limit = 5
    channel = sb.bot.get_channel(sb.demo.channel("annonces").id)
    assert isinstance(channel, discord.TextChannel)
    for n in range(8):
        await channel.send(f"Annonce {n}")
    assert [m["content"] for m in sb.emulator.messages_in(sb.demo.channel("annonces"))] == [
        f"Annonce {n}" for n in range(8)
    ]
    assert 429 in [r.status for r in sb.emulator.requests]
