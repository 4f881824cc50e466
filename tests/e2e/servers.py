"""A network of three servers on one emulator: the demo server (A, the national one, where the bot
starts) and two regional servers (B and C) that invite the bot once it runs, as Discord tells it
(GUILD_CREATE). Each regional server has its administrator, an organiser, a member and an
announcement channel."""

from __future__ import annotations

from dataclasses import dataclass

from bot.client import HabitatBot
from bot.sandbox.demo import DemoServer
from bot.sandbox.emulator import Emulator
from bot.sandbox.harness import Sandbox
from bot.sandbox.state import ADMINISTRATOR


@dataclass
class Network:
    box: Sandbox
    national: DemoServer  # A: the demo server
    aura: DemoServer  # B
    bretagne: DemoServer  # C


def build_server(
    emulator: Emulator, name: str, tag: str, *, with_bot: bool = False, shard: int | None = None
) -> DemoServer:
    """`{tag}-admin` owns the server, `{tag}-orga` organises, `{tag}-membre` is a member."""
    admin = emulator.add_user(f"{tag}-admin", global_name=f"Admin {tag}")
    guild = emulator.add_guild(name, admin, with_bot=with_bot, shard=shard)
    roles = {
        "admin": emulator.add_role(guild, "Bureau", permissions=ADMINISTRATOR),
        "organisateurs": emulator.add_role(guild, "Organisateurs"),
    }
    guild.members[admin.id].roles.append(roles["admin"].id)
    users = {"admin": admin}
    for role, username in (("organisateurs", f"{tag}-orga"), (None, f"{tag}-membre")):
        user = emulator.add_user(username)
        emulator.add_member(guild, user, roles=[roles[role]] if role else None)
        users[username.rpartition("-")[2]] = user
    channels = {"general": emulator.add_channel(guild, "général"), "annonces": emulator.add_channel(guild, "annonces")}
    return DemoServer(guild, users, channels, roles)


async def configure(bot: HabitatBot, server: DemoServer, *, announces: bool = True) -> None:
    await bot.guild_settings.update(
        server.guild.id,
        announce_channel_id=server.channel("annonces").id if announces else None,
        organiser_role_id=server.roles["organisateurs"].id,
    )
