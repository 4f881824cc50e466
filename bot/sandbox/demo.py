"""The demo server of the sandbox and of the end-to-end tests: channels, roles and a few members."""

from __future__ import annotations

from dataclasses import dataclass

from bot.sandbox.emulator import Emulator
from bot.sandbox.state import ADMINISTRATOR, GUILD_FORUM, VIEW_CHANNEL, Channel, Guild, Role, User


@dataclass
class DemoServer:
    guild: Guild
    users: dict[str, User]
    channels: dict[str, Channel]
    roles: dict[str, Role]

    def user(self, name: str) -> User:
        return self.users[name]

    def channel(self, name: str) -> Channel:
        return self.channels[name]


def build_demo(emulator: Emulator, name: str = "Habitat participatif — démo") -> DemoServer:
    """Camille administers the server (its owner, with the Bureau role), Dominique organises, Morgane
    moderates, Alex and Sam are members (Sam's Discord is in English). The README introduces them."""
    camille = emulator.add_user("camille", global_name="Camille")
    guild = emulator.add_guild(name, camille)
    roles = {
        "admin": emulator.add_role(guild, "Bureau", permissions=ADMINISTRATOR),
        "organisateurs": emulator.add_role(guild, "Organisateurs", mentionable=True),
        "moderateurs": emulator.add_role(guild, "Modérateurs"),
    }
    guild.members[camille.id].roles.append(roles["admin"].id)  # the owner, and of the Bureau
    users = {"camille": camille}
    for username, display, locale, role in (
        ("dominique", "Dominique", "fr", "organisateurs"),
        ("morgane", "Morgane", "fr", "moderateurs"),
        ("alex", "Alex", "fr", None),
        ("sam", "Sam", "en-US", None),
    ):
        user = emulator.add_user(username, global_name=display, locale=locale)
        emulator.add_member(guild, user, roles=[roles[role]] if role else None)
        users[username] = user
    private_to_moderators = [
        {"id": str(guild.id), "type": 0, "allow": "0", "deny": str(VIEW_CHANNEL)},
        {"id": str(roles["moderateurs"].id), "type": 0, "allow": str(VIEW_CHANNEL), "deny": "0"},
        {"id": str(emulator.bot_user.id), "type": 1, "allow": str(VIEW_CHANNEL), "deny": "0"},
    ]
    channels = {
        "general": emulator.add_channel(guild, "général"),
        "accueil": emulator.add_channel(guild, "accueil"),
        "annonces": emulator.add_channel(guild, "annonces"),
        "petites-annonces": emulator.add_channel(guild, "petites-annonces", type=GUILD_FORUM),
        "moderation": emulator.add_channel(guild, "modération", overwrites=private_to_moderators),
        "mise-en-lien": emulator.add_channel(guild, "mise-en-lien"),
        "ressources": emulator.add_channel(guild, "ressources", type=GUILD_FORUM),
    }
    return DemoServer(guild, users, channels, roles)
