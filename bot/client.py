"""HabitatBot: the Discord client that wires the stores, the translator and every cog."""

from __future__ import annotations

import asyncio
import base64
import binascii
import gc
import logging
import pkgutil
import socket
import time
from collections.abc import Iterable, Sequence
from typing import Any

import aiohttp
import discord
from discord import app_commands
from discord.ext import commands

import cogs
from bot import i18n
from bot.clock import Clock, utc_now
from bot.collector import IdleCollector
from bot.config import Settings
from bot.core import build_core
from bot.db import Database, open_database
from bot.problems import OPENING_ERRORS, USE_ERRORS, network_problem, storage_problem
from bot.web import WebServer, core_app
from cogs.ui.errors import check_options, report_error
from cogs.ui.notifier import DiscordNotifier

log = logging.getLogger(__name__)

# What the bot needs on a server, and why: the invite asks for exactly these.
REQUIRED_PERMISSIONS: dict[str, str] = {
    "view_channel": "voir les salons où il répond et publie",
    "send_messages": "publier annonces, rappels et petites annonces",
    "send_messages_in_threads": "répondre dans les fils des petites annonces",
    "create_public_threads": "ouvrir un fil par petite annonce dans le forum",
    "create_private_threads": "ouvrir un fil privé quand deux foyers acceptent une mise en lien",
    "manage_threads": "fermer et archiver le fil d'une annonce retirée ou expirée",
    "manage_channels": "créer les étiquettes (catégorie, région) du forum des annonces",
    "embed_links": "présenter projets, annonces et événements en fiches",
    "attach_files": "joindre les calendriers .ics et les exports CSV",
    "read_message_history": "retrouver ses propres annonces après un redémarrage",
    "manage_events": "créer les événements Discord du serveur (JPO, plénières…)",
}
SCOPES = ("bot", "applications.commands")
MEMBERS_INTENT_OFF = (
    "Discord refuse l'intent « Server Members » : dans le portail développeur, onglet Bot, "
    "activez « SERVER MEMBERS INTENT » (Privileged Gateway Intents), puis relancez."
)


def required_permissions() -> discord.Permissions:
    return discord.Permissions(**dict.fromkeys(REQUIRED_PERMISSIONS, True))


def application_id_from_token(token: str) -> int | None:
    """A bot token starts with its user id in base64, which is also the application id."""
    head = token.split(".", 1)[0]
    try:
        return int(base64.b64decode(head + "=" * (-len(head) % 4), validate=True).decode())
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return None


def invite_url(application_id: int) -> str:
    return discord.utils.oauth_url(application_id, permissions=required_permissions(), scopes=SCOPES)


def cog_extensions() -> list[str]:
    """Every module directly under `cogs/` is an extension; `cogs/ui` is shared code, not one."""
    return [f"cogs.{module.name}" for module in pkgutil.iter_modules(cogs.__path__) if not module.ispkg]


NAME_LOCATIONS = frozenset(
    {
        app_commands.TranslationContextLocation.command_name,
        app_commands.TranslationContextLocation.group_name,
        app_commands.TranslationContextLocation.parameter_name,
    }
)


class HabitatTranslator(app_commands.Translator):
    """Command names, descriptions, options and choices: French source, English from the catalogue."""

    async def translate(
        self,
        string: app_commands.locale_str,
        locale: discord.Locale,
        context: app_commands.TranslationContextTypes,
    ) -> str | None:
        path = name_path(context)
        if path is not None:
            return i18n.translate_name(path, locale.value)
        return i18n.translate(string.message, locale.value)


def name_path(context: app_commands.TranslationContextTypes) -> str | None:
    """Where a slash command, group or option name sits, as its French path ("rappel annuler annonce"),
    since one French word may take two English names by place; None for other text."""
    if context.location not in NAME_LOCATIONS:
        return None
    data: object = context.data
    if isinstance(data, app_commands.Parameter):
        return f"{data.command.qualified_name} {data.display_name}"
    if isinstance(data, app_commands.Command | app_commands.Group):
        return data.qualified_name
    return None  # a context menu's name is free text, translated as such


class HabitatTree(app_commands.CommandTree["HabitatBot"]):
    async def interaction_check(self, interaction: discord.Interaction[HabitatBot], /) -> bool:
        check_options(interaction)
        return True

    async def on_error(
        self, interaction: discord.Interaction[HabitatBot], error: app_commands.AppCommandError, /
    ) -> None:
        await report_error(interaction, error)


def sharding(settings: Settings) -> dict[str, Any]:
    """SHARD_COUNT and SHARD_IDS as discord.py takes them; neither: as many shards as Discord recommends."""
    chosen: dict[str, Any] = {}
    if settings.shard_count is not None:
        chosen["shard_count"] = settings.shard_count
    if settings.shard_ids is not None:
        chosen["shard_ids"] = list(settings.shard_ids)
    return chosen


class HabitatBot(commands.AutoShardedBot):
    def __init__(
        self,
        settings: Settings,
        *,
        db: Database | None = None,
        clock: Clock = utc_now,
        extensions: Sequence[str] | None = None,
        **options: Any,
    ) -> None:
        intents = discord.Intents.default()
        intents.members = True  # privileged: greeting newcomers needs member joins
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            tree_cls=HabitatTree,
            help_command=None,
            **sharding(settings),
            **options,
        )
        self.settings = settings
        self.clock = clock
        self.core = core = build_core(settings, db=db, clock=clock, notifier=DiscordNotifier(self))
        self.db = core.db
        self.geo = core.geo
        self.guild_settings = core.guild_settings
        self.scheduler = core.scheduler
        self.projects = core.projects
        self.project_service = core.project_service
        self.events = core.events
        self.announcements = core.announcements
        self.households = core.households
        self.member_data = core.member_data
        self.ad_service = core.ad_service
        self.web: WebServer | None = None
        self.index_loading: asyncio.Task[None] | None = None
        self.extensions_to_load = list(extensions) if extensions is not None else cog_extensions()
        self.command_ids: dict[str, int] = {}
        # What the start did, said at INFO once Discord has let the bot in: until then, the only line
        # the owner sees is what stops it (token, intent, network), if anything does.
        self.startup_notes: list[str] = []
        self.collector = IdleCollector(time.monotonic)

    def dispatch(self, event_name: str, /, *args: Any, **kwargs: Any) -> None:
        if event_name == "interaction":
            # Called as the interaction is received, its handling only scheduled: counted as waiting from here.
            self.collector.arrived(args[0].response.is_done)
        super().dispatch(event_name, *args, **kwargs)

    async def setup_hook(self) -> None:
        self.collector.start()
        if not self.db.is_connected:
            await self.db.connect()
        applied = await self.db.migrate()
        version = await self.db.schema_version()
        done = f", migrations appliquées : {', '.join(f'{v:04d}' for v in applied)}" if applied else ""
        self.startup_notes.append(f"base en version {version}{done}")
        await self.tree.set_translator(HabitatTranslator())
        for extension in self.extensions_to_load:
            await self.load_extension(extension)
        await self.sync_commands()

    async def sync_commands(self) -> None:
        """To the development server at once when DEV_GUILD_ID is set; globally otherwise."""
        guild = discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
        if guild is not None:
            self.tree.copy_global_to(guild=guild)
        synced = await self.tree.sync(guild=guild)
        self.command_ids = {command.name: command.id for command in synced}
        note = f"{len(synced)} commandes synchronisées ({f'serveur {guild.id}' if guild else 'global'})"
        if self.is_ready():
            log.info(note)
        else:
            self.startup_notes.append(note)

    def mention(self, qualified_name: str, locale: str | None = None) -> str:
        """A clickable `</projet chercher:id>` when the command's id is known, plain text otherwise.

        Discord shows a mention under its French name whatever the member's language (a mention under
        a localised name is not clickable), so the name the member types follows when it differs."""
        typed = f"/{i18n.command_path(qualified_name, locale)}"
        command_id = self.command_ids.get(qualified_name.split(" ", 1)[0])
        if not command_id:
            return typed
        clickable = f"</{qualified_name}:{command_id}>"
        return clickable if typed == f"/{qualified_name}" else f"{clickable} ({typed})"

    async def on_ready(self) -> None:
        assert self.user is not None
        servers = i18n.ngettext("{n} serveur", "{n} serveurs", len(self.guilds))
        log.info("connecté en tant que %s (%s) sur %s", self.user, self.user.id, servers)
        if self.startup_notes:
            log.info("au démarrage : %s", " ; ".join(self.startup_notes))
            self.startup_notes.clear()
        if not self.scheduler.started:
            # What the bot sends on its own goes out once Discord is there; what fell due while away goes first.
            await self.scheduler.start()
        if self.index_loading is None:
            # Read once, in the background: the first searches and suggestions wait for them rather than the start.
            self.index_loading = asyncio.create_task(self._load_indexes(), name="indexes")
        if self.settings.web_port and self.web is None:
            self.web = WebServer(core_app(self.core), self.settings.web_port)
            await self.web.start()

    async def _load_indexes(self) -> None:
        await self.project_service.refresh()
        await self.households.refresh()
        # What is loaded by now (geography, vocabularies, the indexes' rows) lives as long as the bot: out of the
        # collector's full passes, which otherwise walked it all and stopped every member for ~0.1 s now and then.
        gc.collect()
        gc.freeze()

    async def close(self) -> None:
        if self.index_loading is not None:
            self.index_loading.cancel()
            gc.unfreeze()  # another bot of this process (the tests') may still be using what was frozen
        await self.collector.stop()
        await self.scheduler.stop()
        await self.core.bazar.running.stop()
        await self.core.feeds.running.stop()
        if self.web is not None:
            await self.web.stop()
        # discord.py's AutoShardedClient makes its event queue when it connects and its close() needs it: a bot
        # stopped before connecting (a refused token, a tool that only reads the commands) gets an empty one.
        if not hasattr(self, "_AutoShardedClient__queue"):
            self._AutoShardedClient__queue: asyncio.PriorityQueue[Any] = asyncio.PriorityQueue()
        await super().close()
        await self.db.close()


async def serve(settings: Settings) -> str | None:
    """Run the bot until it stops; a problem the owner must fix comes back as one line.

    The database is opened and found writable before logging in, so that a bad DATABASE_PATH is
    said at once, without a token or a network; migrations run after the login (setup_hook)."""
    if settings.discord_token is None:
        raise ValueError("serve() needs DISCORD_TOKEN")
    db = open_database(settings)
    try:
        await db.connect()
        await db.check_writable()
    except OPENING_ERRORS as exc:
        await db.close()
        return storage_problem(exc, settings)
    try:
        bot = HabitatBot(settings, db=db)
        async with bot:
            await bot.start(settings.discord_token.get_secret_value())
    except discord.LoginFailure:
        return "DISCORD_TOKEN refusé par Discord : régénérez le jeton dans le portail développeur (onglet Bot)."
    except discord.PrivilegedIntentsRequired:
        return MEMBERS_INTENT_OFF
    except USE_ERRORS as exc:
        return storage_problem(exc, settings)
    except discord.DiscordServerError as exc:
        return f"Discord répond par une erreur ({exc.status}) : réessayez dans quelques minutes."
    except (aiohttp.ClientError, ConnectionError, socket.gaierror, TimeoutError) as exc:
        return network_problem(exc)
    finally:
        await db.close()
    return None


def bot_of(interaction: discord.Interaction[Any]) -> HabitatBot:
    """The bot behind an interaction, typed (persistent buttons and modals reach it this way)."""
    client = interaction.client
    assert isinstance(client, HabitatBot)
    return client


def walk_commands(tree: app_commands.CommandTree[Any]) -> Iterable[app_commands.Command[Any, ..., Any]]:
    """Every invocable slash command of the tree, groups unfolded, in registration order."""
    for command in tree.get_commands(type=discord.AppCommandType.chat_input):
        if isinstance(command, app_commands.Group):
            yield from (sub for sub in command.walk_commands() if isinstance(sub, app_commands.Command))
        elif isinstance(command, app_commands.Command):
            yield command
