"""A local double of Discord's HTTP API v10 and gateway, on 127.0.0.1, for the real discord.py client.

It models what the bot's correctness depends on (message nonces, interaction token lifetimes,
closed DMs, permissions, payload limits) and records every request. Anything it does not know
is an error, never a silent success: unknown routes and limit violations are collected in
`problems`, which the test fixtures turn into failures.
"""

from __future__ import annotations

import asyncio
import json
import logging
import math
import re
import secrets
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

import discord
import yarl
from aiohttp import BodyPartReader, web

from bot.sandbox import limits
from bot.sandbox.gateway import MEMBERS_INTENT, Gateway
from bot.sandbox.state import (
    ALL_PERMISSIONS,
    DM,
    GUILD_FORUM,
    GUILD_TEXT,
    PRIVATE_THREAD,
    PUBLIC_THREAD,
    Channel,
    Guild,
    Member,
    Role,
    Snowflakes,
    User,
    iso_now,
)

log = logging.getLogger(__name__)

EPHEMERAL = 1 << 6
LOADING = 1 << 7
MENTION_EVERYONE = 1 << 17
FIRST_ANSWER_SECONDS = 3.0
TOKEN_LIFETIME_SECONDS = 15 * 60
NONCE_WINDOW_SECONDS = 5 * 60

Handler = Callable[["Call"], Awaitable[Any]]

MESSAGE_POST = ("POST", "/channels/{channel_id}/messages")


class DiscordError(Exception):
    """An error answer in Discord's shape: HTTP status, JSON code and message."""

    def __init__(self, status: int, code: int, message: str, errors: dict[str, Any] | None = None) -> None:
        super().__init__(message)
        self.status, self.code, self.message, self.errors = status, code, message, errors


@dataclass
class Call:
    """One request as a handler sees it."""

    method: str
    path: str
    route: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any
    files: dict[str, tuple[str, bytes, str]]
    headers: dict[str, str]


@dataclass
class RecordedRequest:
    method: str
    path: str
    route: str
    query: dict[str, str]
    body: Any
    status: int
    at: float


@dataclass
class Fault:
    method: str
    route: str
    status: int
    remaining: int
    retry_after: float = 0.05


@dataclass
class Interaction:
    """An interaction the emulator sent, and everything the bot answered to it."""

    id: int
    token: str
    type: int
    user_id: int
    guild_id: int | None
    channel_id: int
    locale: str
    created: float
    payload: dict[str, Any]
    response_type: int | None = None
    response_message_id: int | None = None
    modal: dict[str, Any] | None = None
    choices: list[dict[str, Any]] | None = None
    followup_ids: list[int] = field(default_factory=list)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    answered_at: float | None = None
    late: bool = False


class Emulator:
    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        token: str | None = None,
        bot_name: str = "Habitat",
    ) -> None:
        self.clock = clock
        self.snowflakes = Snowflakes()
        self.application_id = self.snowflakes.next()
        self.bot_user = User(self.application_id, bot_name, bot=True)
        self.token = token or f"sandbox.{secrets.token_urlsafe(24)}"
        self.users: dict[int, User] = {self.bot_user.id: self.bot_user}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, dict[str, Any]] = {}
        self.channel_messages: dict[int, list[int]] = {}
        self.attachments: dict[int, tuple[str, bytes, str]] = {}
        self.interactions: dict[str, Interaction] = {}
        self.global_commands: dict[str, dict[str, Any]] = {}
        self.guild_commands: dict[int, dict[str, dict[str, Any]]] = {}
        self.requests: list[RecordedRequest] = []
        self.problems: list[str] = []
        self.faults: list[Fault] = []
        self.allowed_privileged_intents = MEMBERS_INTENT
        self.shard_count = 1  # what GET /gateway/bot recommends: the bot opens as many shards
        # Discord's global limit for a bot (50 requests a second), off unless a test or benchmark sets it.
        self.global_rate_limit: int | None = None
        self._recent: deque[float] = deque()
        self._answered = asyncio.Event()  # replaced at each answer: see next_request()
        self._nonces: dict[tuple[int, int, str], tuple[int, float]] = {}
        self._dm_by_user: dict[int, int] = {}
        self.gateway = Gateway(self)
        self._runner: web.AppRunner | None = None
        self.port = 0
        self._saved_urls: tuple[str, yarl.URL] | None = None
        self._routes = self._route_table()

    # ----------------------------------------------------------------- lifecycle

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def api_url(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/gateway"

    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/gateway", self.gateway.handle)
        app.router.add_get("/attachments/{attachment_id}/{filename}", self._serve_attachment)
        app.router.add_route("*", "/api/v10/{path:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.point_discordpy_here()

    def point_discordpy_here(self) -> None:
        """Send discord.py's REST calls and its gateway connection to this emulator."""
        self._saved_urls = (discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY)
        discord.http.Route.BASE = self.api_url
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(self.gateway_url)

    async def stop(self) -> None:
        if self._saved_urls is not None:
            discord.http.Route.BASE, discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY = self._saved_urls
            self._saved_urls = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> Emulator:
        await self.start()
        return self

    async def __aexit__(self, *_: object) -> None:
        await self.stop()

    # ----------------------------------------------------------------- building the world

    def add_user(self, username: str, *, global_name: str | None = None, locale: str = "fr") -> User:
        user = User(self.snowflakes.next(), username, global_name=global_name or username, locale=locale)
        self.users[user.id] = user
        return user

    def add_guild(self, name: str, owner: User, *, with_bot: bool = True, shard: int | None = None) -> Guild:
        """A server; the bot is on it, unless it is to be invited later (`add_bot`). With `shard`, its id
        is one that shard serves (its timestamp part moved on by up to `shard_count - 1` milliseconds)."""
        guild_id = self.snowflakes.next()
        if shard is not None:
            guild_id += ((shard - (guild_id >> 22)) % self.shard_count) << 22
        guild = Guild(guild_id, name, owner.id)
        guild.roles[guild.id] = Role(guild.id, "@everyone", permissions=_member_permissions())
        self.guilds[guild.id] = guild
        self.add_member(guild, owner)
        if with_bot:
            self.add_bot(guild)
        return guild

    def bot_guilds(self) -> list[Guild]:
        """The servers the bot is on: the ones Discord tells it about."""
        return [guild for guild in self.guilds.values() if self.bot_user.id in guild.members]

    def add_bot(self, guild: Guild) -> Member:
        """The bot joins a server, with its own role holding the permissions its invite asked for."""
        bot_role = self.add_role(guild, self.bot_user.username, permissions=_bot_permissions(), position=10)
        return self.add_member(guild, self.bot_user, roles=[bot_role])

    def add_role(
        self,
        guild: Guild,
        name: str,
        *,
        permissions: int = 0,
        position: int | None = None,
        mentionable: bool = False,
    ) -> Role:
        role = Role(self.snowflakes.next(), name, permissions, position or len(guild.roles), mentionable)
        guild.roles[role.id] = role
        return role

    def add_member(self, guild: Guild, user: User, *, roles: list[Role] | None = None) -> Member:
        member = Member(user, guild.id, roles=[role.id for role in roles or []])
        guild.members[user.id] = member
        return member

    def add_channel(
        self,
        guild: Guild,
        name: str,
        *,
        type: int = GUILD_TEXT,
        parent: Channel | None = None,
        overwrites: list[dict[str, Any]] | None = None,
    ) -> Channel:
        channel = Channel(
            self.snowflakes.next(),
            type,
            name=name,
            guild_id=guild.id,
            parent_id=parent.id if parent else None,
            position=len(guild.channels),
            overwrites=overwrites or [],
        )
        guild.channels[channel.id] = channel
        self.channels[channel.id] = channel
        return channel

    async def delete_channel(self, channel: Channel) -> None:
        """A moderator deletes a channel: its messages go with it, and the bot is told (CHANNEL_DELETE)."""
        guild = self.guild_of(channel)
        if guild is not None:
            guild.channels.pop(channel.id, None)
        self.channels.pop(channel.id, None)
        for message_id in self.channel_messages.pop(channel.id, []):
            self.messages.pop(message_id, None)
        await self._tell_bot("CHANNEL_DELETE", channel.to_json())

    def guild_of(self, channel: Channel) -> Guild | None:
        return self.guilds.get(channel.guild_id) if channel.guild_id else None

    def dm_channel(self, user: User) -> Channel:
        if user.id not in self._dm_by_user:
            channel = Channel(self.snowflakes.next(), DM, recipients=[user])
            self.channels[channel.id] = channel
            self._dm_by_user[user.id] = channel.id
        return self.channels[self._dm_by_user[user.id]]

    def messages_in(self, channel: Channel | int, *, ephemeral: bool = False) -> list[dict[str, Any]]:
        """What the channel shows to everyone (ephemeral answers only when asked for)."""
        channel_id = channel if isinstance(channel, int) else channel.id
        found = [self.messages[mid] for mid in self.channel_messages.get(channel_id, []) if mid in self.messages]
        return [m for m in found if ephemeral or not int(m.get("flags") or 0) & EPHEMERAL]

    def dms_to(self, user: User) -> list[dict[str, Any]]:
        channel_id = self._dm_by_user.get(user.id)
        return self.messages_in(channel_id) if channel_id else []

    def dms_accepted(self, recipients: set[int], by: float = math.inf) -> int:
        """How many DMs to these members this emulator had accepted at `by` (its clock): a round's progress."""
        count = 0
        for request in self.requests:
            if (request.method, request.route) != MESSAGE_POST or request.status != 200 or request.at > by:
                continue
            channel = self.channels[int(request.path.split("/")[2])]
            count += channel.type == DM and channel.recipients[0].id in recipients
        return count

    # ----------------------------------------------------------------- faults

    def fail_next(
        self, method: str, route: str, *, status: int = 500, count: int = 1, retry_after: float = 0.05
    ) -> None:
        """The next `count` requests on `route` (a template such as /channels/{channel_id}/messages) fail."""
        self.faults.append(Fault(method.upper(), route, status, count, retry_after))

    async def drop_gateway(self) -> None:
        await self.gateway.drop()

    # ----------------------------------------------------------------- HTTP plumbing

    def _route_table(self) -> list[tuple[str, str, re.Pattern[str], Handler]]:
        table: list[tuple[str, str, Handler]] = [
            ("GET", "/users/@me", self._get_me),
            ("GET", "/oauth2/applications/@me", self._get_application),
            ("GET", "/gateway", self._get_gateway),
            ("GET", "/gateway/bot", self._get_gateway),
            ("PUT", "/applications/{application_id}/commands", self._put_commands),
            ("GET", "/applications/{application_id}/commands", self._get_commands),
            ("PUT", "/applications/{application_id}/guilds/{guild_id}/commands", self._put_commands),
            ("GET", "/applications/{application_id}/guilds/{guild_id}/commands", self._get_commands),
            ("POST", "/interactions/{interaction_id}/{token}/callback", self._interaction_callback),
            ("POST", "/webhooks/{application_id}/{token}", self._followup_create),
            ("GET", "/webhooks/{application_id}/{token}/messages/{message_id}", self._followup_get),
            ("PATCH", "/webhooks/{application_id}/{token}/messages/{message_id}", self._followup_edit),
            ("DELETE", "/webhooks/{application_id}/{token}/messages/{message_id}", self._followup_delete),
            ("POST", "/users/@me/channels", self._open_dm),
            ("GET", "/users/{user_id}", self._get_user),
            ("GET", "/channels/{channel_id}", self._get_channel),
            ("PATCH", "/channels/{channel_id}", self._edit_channel),
            ("POST", "/channels/{channel_id}/messages", self._create_message),
            ("GET", "/channels/{channel_id}/messages", self._list_messages),
            ("GET", "/channels/{channel_id}/messages/{message_id}", self._get_message),
            ("PATCH", "/channels/{channel_id}/messages/{message_id}", self._edit_message),
            ("DELETE", "/channels/{channel_id}/messages/{message_id}", self._delete_message),
            ("POST", "/channels/{channel_id}/threads", self._create_thread),
            ("POST", "/channels/{channel_id}/messages/{message_id}/threads", self._create_thread),
            ("PUT", "/channels/{channel_id}/thread-members/{user_id}", self._add_thread_member),
            ("GET", "/guilds/{guild_id}/roles", self._get_roles),
            ("GET", "/guilds/{guild_id}/members/{user_id}", self._get_member),
            ("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self._add_member_role),
            ("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}", self._remove_member_role),
            ("GET", "/guilds/{guild_id}/scheduled-events", self._list_events),
            ("POST", "/guilds/{guild_id}/scheduled-events", self._create_event),
            ("GET", "/guilds/{guild_id}/scheduled-events/{event_id}", self._get_event),
            ("PATCH", "/guilds/{guild_id}/scheduled-events/{event_id}", self._edit_event),
            ("DELETE", "/guilds/{guild_id}/scheduled-events/{event_id}", self._delete_event),
        ]
        compiled = []
        for method, template, handler in table:
            pattern = re.sub(
                r"\{(\w+)\}", r"(?P<\1>[^/]+)", re.escape(template).replace(r"\{", "{").replace(r"\}", "}")
            )
            compiled.append((method, template, re.compile(f"^{pattern}$"), handler))
        return compiled

    def _match(self, method: str, path: str) -> tuple[str, dict[str, str], Handler] | None:
        for route_method, template, pattern, handler in self._routes:
            match = pattern.match(path)
            if match and route_method == method:
                return template, match.groupdict(), handler
        return None

    async def next_request(self) -> None:
        """Return once the emulator has answered one more HTTP request from the bot."""
        await self._answered.wait()

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        try:
            return await self._answer(request)
        finally:
            answered, self._answered = self._answered, asyncio.Event()
            answered.set()

    async def _answer(self, request: web.Request) -> web.StreamResponse:
        path = "/" + request.match_info["path"]
        method = request.method
        matched = self._match(method, path)
        body, files = await _read_body(request)
        route = matched[0] if matched else path
        record = RecordedRequest(method, path, route, dict(request.query), body, 0, self.clock())
        self.requests.append(record)
        if matched is None:
            self.problems.append(f"route inconnue de l'émulateur : {method} {path}")
            record.status = 404
            return _json({"message": "404: Not Found", "code": 0}, status=404)
        template, params, handler = matched
        fault = self._take_fault(method, template)
        if fault is not None:
            record.status = fault.status
            return _fault_response(fault)
        needs_auth = not template.startswith(("/interactions/", "/webhooks/"))
        if needs_auth and request.headers.get("Authorization") != f"Bot {self.token}":
            record.status = 401
            return _json({"message": "401: Unauthorized", "code": 0}, status=401)
        if needs_auth and (wait := self._global_wait()) is not None:
            record.status = 429
            return _fault_response(Fault(method, template, 429, 0, wait), global_limit=True)
        call = Call(method, path, template, params, dict(request.query), body, files, dict(request.headers))
        try:
            result = await handler(call)
        except DiscordError as error:
            record.status = error.status
            payload: dict[str, Any] = {"message": error.message, "code": error.code}
            if error.errors:
                payload["errors"] = error.errors
            return _json(payload, status=error.status)
        if result is None:
            record.status = 204
            return web.Response(status=204)
        record.status = 200
        return _json(result)

    def _global_wait(self) -> float | None:
        """Seconds to wait when the bot is over the global limit (a sliding second), else None."""
        if self.global_rate_limit is None:
            return None
        now = time.monotonic()
        while self._recent and now - self._recent[0] >= 1.0:
            self._recent.popleft()
        if len(self._recent) >= self.global_rate_limit:
            return max(0.001, 1.0 - (now - self._recent[0]))
        self._recent.append(now)
        return None

    def _take_fault(self, method: str, route: str) -> Fault | None:
        for fault in self.faults:
            if fault.method == method and fault.route == route and fault.remaining > 0:
                fault.remaining -= 1
                return fault
        return None

    async def _serve_attachment(self, request: web.Request) -> web.Response:
        stored = self.attachments.get(int(request.match_info["attachment_id"]))
        if stored is None:
            return web.Response(status=404)
        _, data, content_type = stored
        return web.Response(body=data, headers={"Content-Type": content_type})

    def check(self, where: str, violations: list[str]) -> None:
        """Record violations of Discord's limits and refuse the request as Discord would."""
        if violations:
            self.problems.extend(f"{where} : {violation}" for violation in violations)
            raise DiscordError(400, 50035, "Invalid Form Body", {"_errors": [{"message": v} for v in violations]})

    # ----------------------------------------------------------------- lookups

    def _channel(self, channel_id: str | int) -> Channel:
        channel = self.channels.get(int(channel_id))
        if channel is None:
            raise DiscordError(404, 10003, "Unknown Channel")
        return channel

    def _guild(self, guild_id: str | int) -> Guild:
        guild = self.guilds.get(int(guild_id))
        if guild is None:
            raise DiscordError(404, 10004, "Unknown Guild")
        return guild

    def _message(self, channel_id: str | int, message_id: str | int) -> dict[str, Any]:
        message = self.messages.get(int(message_id))
        if message is None or int(message["channel_id"]) != int(channel_id):
            raise DiscordError(404, 10008, "Unknown Message")
        return message

    def _interaction(self, token: str, *, first_answer: bool = False) -> Interaction:
        interaction = self.interactions.get(token)
        if interaction is None:
            raise DiscordError(404, 10062, "Unknown interaction")
        age = self.clock() - interaction.created
        if (first_answer and age > FIRST_ANSWER_SECONDS) or age > TOKEN_LIFETIME_SECONDS:
            interaction.late = True
            interaction.answered.set()  # the member saw "the application did not respond"
            raise DiscordError(404, 10062, "Unknown interaction")
        return interaction

    def _require_channel_permission(self, channel: Channel, bit: int, name: str) -> None:
        guild = self.guild_of(channel)
        if guild is not None and not guild.channel_permissions(self.bot_user.id, channel) & bit:
            raise DiscordError(403, 50013, f"Missing Permissions ({name})")

    # ----------------------------------------------------------------- messages

    def _store_files(self, files: dict[str, tuple[str, bytes, str]] | None) -> list[dict[str, Any]]:
        """Uploaded files as Discord lists them on a message."""
        attachments = []
        for filename, data, content_type in (files or {}).values():
            attachment_id = self.snowflakes.next()
            self.attachments[attachment_id] = (filename, data, content_type)
            url = f"{self.base_url}/attachments/{attachment_id}/{filename}"
            attachments.append(
                {
                    "id": str(attachment_id),
                    "filename": filename,
                    "size": len(data),
                    "url": url,
                    "proxy_url": url,
                    "content_type": content_type,
                }
            )
        return attachments

    def create_message(
        self,
        channel: Channel,
        author: User,
        payload: dict[str, Any],
        files: dict[str, tuple[str, bytes, str]] | None = None,
        *,
        flags: int = 0,
        webhook_id: int | None = None,
        interaction: Interaction | None = None,
    ) -> dict[str, Any]:
        message_id = self.snowflakes.next()
        attachments = self._store_files(files)
        message: dict[str, Any] = {
            "id": str(message_id),
            "channel_id": str(channel.id),
            "author": author.to_json(),
            "content": payload.get("content") or "",
            "timestamp": iso_now(),
            "edited_timestamp": None,
            "tts": bool(payload.get("tts")),
            "attachments": attachments,
            "embeds": payload.get("embeds") or [],
            "components": payload.get("components") or [],
            "pinned": False,
            "type": 0 if interaction is None or interaction.type != 2 else 20,
            "flags": int(payload.get("flags") or 0) | flags,
            # What the bot asked Discord to ping: kept so that tests can check nobody was.
            "allowed_mentions": payload.get("allowed_mentions"),
        }
        if channel.guild_id:
            message["guild_id"] = str(channel.guild_id)
        if webhook_id:
            message["webhook_id"] = str(webhook_id)
            message["application_id"] = str(self.application_id)
        if interaction is not None:
            message["interaction_metadata"] = {
                "id": str(interaction.id),
                "type": interaction.type,
                "user": self.users[interaction.user_id].to_json(),
                "authorizing_integration_owners": {},
            }
        if "nonce" in payload:
            message["nonce"] = payload["nonce"]
        self._resolve_mentions(message, channel)
        self.messages[message_id] = message
        self.channel_messages.setdefault(channel.id, []).append(message_id)
        return message

    async def _create_message(self, call: Call) -> dict[str, Any]:
        channel = self._channel(call.params["channel_id"])
        self.check(call.route, limits.check_message(_with_files(call), creating=True))
        if channel.type == DM:
            recipient = channel.recipients[0]
            if not recipient.dms_open:
                raise DiscordError(403, 50007, "Cannot send messages to this user")
        elif channel.type == GUILD_FORUM:
            raise DiscordError(400, 50008, "Cannot send messages in a non-text channel")
        else:
            self._require_channel_permission(channel, 1 << 11, "SEND_MESSAGES")
            if channel.type in (PUBLIC_THREAD, PRIVATE_THREAD) and channel.locked:
                raise DiscordError(403, 50083, "Thread is archived")
        nonce = call.body.get("nonce")
        if nonce is not None and call.body.get("enforce_nonce"):
            key = (channel.id, self.bot_user.id, str(nonce))
            earlier = self._nonces.get(key)
            if earlier and self.clock() - earlier[1] < NONCE_WINDOW_SECONDS and earlier[0] in self.messages:
                return self.messages[earlier[0]]
        message = self.create_message(channel, self.bot_user, call.body, call.files)
        if nonce is not None:
            self._nonces[(channel.id, self.bot_user.id, str(nonce))] = (int(message["id"]), self.clock())
        return message

    async def _list_messages(self, call: Call) -> list[dict[str, Any]]:
        channel = self._channel(call.params["channel_id"])
        limit = min(int(call.query.get("limit", 50)), 100)
        messages = list(reversed(self.messages_in(channel)))
        if "before" in call.query:
            messages = [m for m in messages if int(m["id"]) < int(call.query["before"])]
        return messages[:limit]

    async def _get_message(self, call: Call) -> dict[str, Any]:
        return self._message(call.params["channel_id"], call.params["message_id"])

    async def _edit_message(self, call: Call) -> dict[str, Any]:
        message = self._message(call.params["channel_id"], call.params["message_id"])
        if int(message["author"]["id"]) != self.bot_user.id:
            raise DiscordError(403, 50005, "Cannot edit a message authored by another user")
        self.check(call.route, limits.check_message(_with_files(call), creating=False))
        self._apply_edit(message, call)
        return message

    def _apply_edit(self, message: dict[str, Any], call: Call) -> None:
        for key in ("content", "embeds", "components", "flags", "allowed_mentions"):
            if key in call.body:
                message[key] = call.body[key] if call.body[key] is not None else ([] if key != "content" else "")
        if "attachments" in call.body or call.files:
            kept = {str(a.get("id")) for a in call.body.get("attachments", [])}
            message["attachments"] = [a for a in message["attachments"] if a["id"] in kept]
            message["attachments"] += self._store_files(call.files)
        message["edited_timestamp"] = iso_now()
        message["flags"] = int(message.get("flags") or 0) & ~LOADING
        self._resolve_mentions(message, self._channel(message["channel_id"]))

    def _resolve_mentions(self, message: dict[str, Any], channel: Channel) -> None:
        """Who the message pings, as Discord fills `mentions`, `mention_roles` and `mention_everyone`: what
        the content mentions and the allowed mentions let through, among those who can be pinged there."""
        users, roles, everyone = pings(str(message.get("content") or ""), message.get("allowed_mentions"))
        guild = self.guild_of(channel)
        if guild is None:  # a DM pings no role and no @everyone, and only the people in it
            reachable = {user.id for user in channel.recipients}
            message["mentions"] = [self.users[i].to_json() for i in sorted(users & reachable)]
            message["mention_roles"], message["mention_everyone"] = [], False
            return
        author_id = int(message["author"]["id"])
        may_ping_all = bool(guild.channel_permissions(author_id, channel) & MENTION_EVERYONE)
        message["mentions"] = [self.users[i].to_json() for i in sorted(users) if i in guild.members]
        message["mention_roles"] = [
            str(i) for i in sorted(roles) if i in guild.roles and (guild.roles[i].mentionable or may_ping_all)
        ]
        message["mention_everyone"] = everyone and may_ping_all

    async def _delete_message(self, call: Call) -> None:
        message = self._message(call.params["channel_id"], call.params["message_id"])
        del self.messages[int(message["id"])]

    # ----------------------------------------------------------------- interactions

    async def _interaction_callback(self, call: Call) -> dict[str, Any]:
        interaction = self._interaction(call.params["token"], first_answer=True)
        if interaction.id != int(call.params["interaction_id"]):
            raise DiscordError(404, 10062, "Unknown interaction")
        if interaction.response_type is not None:
            raise DiscordError(400, 40060, "Interaction has already been acknowledged.")
        self.check(call.route, limits.check_interaction_response(call.body))
        kind = int(call.body["type"])
        data = call.body.get("data") or {}
        channel = self._channel(interaction.channel_id)
        message: dict[str, Any] | None = None
        if kind == 4:
            message = self.create_message(
                channel,
                self.bot_user,
                data,
                call.files,
                webhook_id=self.application_id,
                interaction=interaction,
            )
        elif kind == 5:
            message = self.create_message(
                channel,
                self.bot_user,
                {},
                flags=LOADING | (int(data.get("flags") or 0) & EPHEMERAL),
                webhook_id=self.application_id,
                interaction=interaction,
            )
        elif kind == 7:
            message = self._component_message(interaction)
            self._apply_edit(message, Call(call.method, call.path, call.route, {}, {}, data, call.files, {}))
        elif kind == 6:
            message = self._component_message(interaction)
        elif kind == 8:
            interaction.choices = list(data.get("choices") or [])
        elif kind == 9:
            if interaction.type == 5:
                raise DiscordError(400, 50035, "A modal cannot answer a modal submission")
            interaction.modal = data
        interaction.response_type = kind
        interaction.answered_at = self.clock()
        if message is not None and kind in (4, 5):
            interaction.response_message_id = int(message["id"])
        interaction.answered.set()
        result: dict[str, Any] = {
            "interaction": {
                "id": str(interaction.id),
                "type": interaction.type,
                "response_message_id": message["id"] if message else None,
                "response_message_loading": kind == 5,
                "response_message_ephemeral": bool(message and int(message["flags"]) & EPHEMERAL),
            },
        }
        if message is not None or kind in (6, 8, 9):
            result["resource"] = {"type": kind}
            if message is not None and kind != 6:
                result["resource"]["message"] = message
        return result

    def _component_message(self, interaction: Interaction) -> dict[str, Any]:
        message = interaction.payload.get("message")
        if message is None or int(message["id"]) not in self.messages:
            raise DiscordError(400, 50035, "This interaction has no message to update")
        return self.messages[int(message["id"])]

    async def _followup_create(self, call: Call) -> dict[str, Any]:
        interaction = self._interaction(call.params["token"])
        if interaction.response_type is None:
            raise DiscordError(404, 10015, "Unknown Webhook")
        self.check(call.route, limits.check_message(_with_files(call), creating=True))
        original = self.messages.get(interaction.response_message_id or 0)
        if original is not None and int(original.get("flags") or 0) & LOADING:
            # After "the bot is thinking…", Discord turns that message into the first follow-up.
            self._apply_edit(original, call)
            return original
        channel = self._channel(interaction.channel_id)
        message = self.create_message(
            channel,
            self.bot_user,
            call.body,
            call.files,
            webhook_id=self.application_id,
            interaction=interaction,
        )
        interaction.followup_ids.append(int(message["id"]))
        return message

    def _webhook_message(self, call: Call) -> tuple[Interaction, dict[str, Any]]:
        interaction = self._interaction(call.params["token"])
        message_id = call.params["message_id"]
        if message_id == "@original":
            if interaction.response_message_id is None and interaction.response_type in (6, 7):
                return interaction, self._component_message(interaction)
            if interaction.response_message_id is None:
                raise DiscordError(404, 10008, "Unknown Message")
            message_id = str(interaction.response_message_id)
        message = self.messages.get(int(message_id))
        if message is None:
            raise DiscordError(404, 10008, "Unknown Message")
        return interaction, message

    async def _followup_get(self, call: Call) -> dict[str, Any]:
        return self._webhook_message(call)[1]

    async def _followup_edit(self, call: Call) -> dict[str, Any]:
        _, message = self._webhook_message(call)
        self.check(call.route, limits.check_message(_with_files(call), creating=False))
        self._apply_edit(message, call)
        return message

    async def _followup_delete(self, call: Call) -> None:
        _, message = self._webhook_message(call)
        del self.messages[int(message["id"])]

    # ----------------------------------------------------------------- commands

    async def _put_commands(self, call: Call) -> list[dict[str, Any]]:
        if int(call.params["application_id"]) != self.application_id:
            raise DiscordError(403, 50001, "Missing Access")
        self.check(call.route, limits.check_commands(call.body))
        registry: dict[str, dict[str, Any]] = {}
        for command in call.body:
            stored = dict(command)
            stored.setdefault("type", 1)
            stored["id"] = str(self.snowflakes.next())
            stored["application_id"] = str(self.application_id)
            stored["version"] = str(self.snowflakes.next())
            permissions = stored.get("default_member_permissions")
            stored["default_member_permissions"] = None if permissions is None else str(permissions)
            stored.setdefault("nsfw", False)
            if "guild_id" in call.params:
                stored["guild_id"] = call.params["guild_id"]
            registry[stored["name"]] = stored
        if "guild_id" in call.params:
            self.guild_commands[int(self._guild(call.params["guild_id"]).id)] = registry
        else:
            self.global_commands = registry
        return list(registry.values())

    async def _get_commands(self, call: Call) -> list[dict[str, Any]]:
        if "guild_id" in call.params:
            return list(self.guild_commands.get(int(call.params["guild_id"]), {}).values())
        return list(self.global_commands.values())

    # ----------------------------------------------------------------- identity, channels, guilds

    async def _get_me(self, call: Call) -> dict[str, Any]:
        return self.bot_user.to_json() | {"verified": True, "mfa_enabled": False, "flags": 0}

    async def _get_application(self, call: Call) -> dict[str, Any]:
        owner = next(iter(self.guilds.values())).owner_id if self.guilds else self.bot_user.id
        return {
            "id": str(self.application_id),
            "name": self.bot_user.username,
            "icon": None,
            "description": "Bot de l'habitat participatif (émulateur local)",
            "bot_public": True,
            "bot_require_code_grant": False,
            "owner": self.users[owner].to_json(),
            "team": None,
            "verify_key": "0" * 64,
            "flags": 1 << 15 if self.allowed_privileged_intents & MEMBERS_INTENT else 0,
        }

    async def _get_gateway(self, call: Call) -> dict[str, Any]:
        return {
            "url": self.gateway_url,
            "shards": self.shard_count,
            "session_start_limit": {"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1},
        }

    async def _get_user(self, call: Call) -> dict[str, Any]:
        user = self.users.get(int(call.params["user_id"]))
        if user is None:
            raise DiscordError(404, 10013, "Unknown User")
        return user.to_json()

    async def _open_dm(self, call: Call) -> dict[str, Any]:
        user = self.users.get(int(call.body["recipient_id"]))
        if user is None:
            raise DiscordError(400, 50033, "Invalid Recipient(s)")
        return self.dm_channel(user).to_json()

    async def _get_channel(self, call: Call) -> dict[str, Any]:
        return self._channel(call.params["channel_id"]).to_json()

    async def _edit_channel(self, call: Call) -> dict[str, Any]:
        channel = self._channel(call.params["channel_id"])
        body = call.body
        if "available_tags" in body:
            self._require_channel_permission(channel, 1 << 4, "MANAGE_CHANNELS")
            self.check(call.route, limits.check_forum_tags(body["available_tags"]))
            channel.available_tags = [
                {
                    "id": tag.get("id") or str(self.snowflakes.next()),
                    "name": tag["name"],
                    "moderated": False,
                    "emoji_id": None,
                    "emoji_name": tag.get("emoji_name"),
                }
                for tag in body["available_tags"]
            ]
        if "archived" in body:
            channel.archived = bool(body["archived"])
        if "locked" in body:
            channel.locked = bool(body["locked"])
        if "applied_tags" in body:
            channel.applied_tags = [int(tag) for tag in body["applied_tags"]]
        if "name" in body:
            channel.name = str(body["name"])
        event = "THREAD_UPDATE" if channel.type in (PUBLIC_THREAD, PRIVATE_THREAD) else "CHANNEL_UPDATE"
        await self._tell_bot(event, channel.to_json())
        return channel.to_json()

    async def _tell_bot(self, event: str, data: dict[str, Any]) -> None:
        """What Discord also sends on the gateway after a change made through the API."""
        if self.gateway.session is not None:
            await self.gateway.dispatch(event, data)

    async def _create_thread(self, call: Call) -> dict[str, Any]:
        parent = self._channel(call.params["channel_id"])
        guild = self.guild_of(parent)
        if guild is None:
            raise DiscordError(400, 50024, "Cannot execute action on this channel type")
        forum = parent.type == GUILD_FORUM
        self.check(call.route, limits.check_thread(call.body, forum=forum))
        kind = PUBLIC_THREAD if forum or "message_id" in call.params else int(call.body.get("type", PRIVATE_THREAD))
        thread = self.add_channel(guild, call.body["name"], type=kind, parent=parent)
        thread.owner_id = self.bot_user.id
        thread.thread_members.add(self.bot_user.id)
        thread.applied_tags = [int(tag) for tag in call.body.get("applied_tags", [])]
        data = thread.to_json()
        if forum:
            data["message"] = self.create_message(thread, self.bot_user, call.body["message"], call.files)
        await self._tell_bot("THREAD_CREATE", thread.to_json() | {"newly_created": True})
        return data

    async def _add_thread_member(self, call: Call) -> None:
        thread = self._channel(call.params["channel_id"])
        thread.thread_members.add(int(call.params["user_id"]))

    async def _get_roles(self, call: Call) -> list[dict[str, Any]]:
        return [role.to_json() for role in self._guild(call.params["guild_id"]).roles.values()]

    async def _get_member(self, call: Call) -> dict[str, Any]:
        guild = self._guild(call.params["guild_id"])
        member = guild.members.get(int(call.params["user_id"]))
        if member is None:
            raise DiscordError(404, 10007, "Unknown Member")
        return member.to_json()

    async def _add_member_role(self, call: Call) -> None:
        guild = self._guild(call.params["guild_id"])
        member = guild.members[int(call.params["user_id"])]
        if int(call.params["role_id"]) not in member.roles:
            member.roles.append(int(call.params["role_id"]))

    async def _remove_member_role(self, call: Call) -> None:
        guild = self._guild(call.params["guild_id"])
        member = guild.members[int(call.params["user_id"])]
        member.roles = [role for role in member.roles if role != int(call.params["role_id"])]

    # ----------------------------------------------------------------- scheduled events

    async def _list_events(self, call: Call) -> list[dict[str, Any]]:
        return list(self._guild(call.params["guild_id"]).scheduled_events.values())

    async def _create_event(self, call: Call) -> dict[str, Any]:
        guild = self._guild(call.params["guild_id"])
        if not guild.base_permissions(self.bot_user.id) & (1 << 33):
            raise DiscordError(403, 50013, "Missing Permissions (MANAGE_EVENTS)")
        self.check(call.route, limits.check_scheduled_event(call.body, creating=True))
        event_id = self.snowflakes.next()
        event = {
            "id": str(event_id),
            "guild_id": str(guild.id),
            "channel_id": call.body.get("channel_id"),
            "creator_id": str(self.bot_user.id),
            "creator": self.bot_user.to_json(),
            "name": call.body["name"],
            "description": call.body.get("description"),
            "scheduled_start_time": call.body["scheduled_start_time"],
            "scheduled_end_time": call.body.get("scheduled_end_time"),
            "privacy_level": call.body.get("privacy_level", 2),
            "status": 1,
            "entity_type": call.body["entity_type"],
            "entity_id": None,
            "entity_metadata": call.body.get("entity_metadata"),
            "user_count": 0,
            "image": None,
            "recurrence_rule": None,
        }
        guild.scheduled_events[event_id] = event
        return event

    def _event(self, call: Call) -> dict[str, Any]:
        event = self._guild(call.params["guild_id"]).scheduled_events.get(int(call.params["event_id"]))
        if event is None:
            raise DiscordError(404, 10070, "Unknown Guild Scheduled Event")
        return event

    async def _get_event(self, call: Call) -> dict[str, Any]:
        return self._event(call)

    async def _edit_event(self, call: Call) -> dict[str, Any]:
        event = self._event(call)
        self.check(call.route, limits.check_scheduled_event({**event, **call.body}, creating=False))
        event.update({key: value for key, value in call.body.items() if key in event})
        return event

    async def _delete_event(self, call: Call) -> None:
        event = self._event(call)
        del self._guild(call.params["guild_id"]).scheduled_events[int(event["id"])]


MENTION = re.compile(r"<@!?(\d+)>|<@&(\d+)>|@(everyone|here)")


def pings(content: str, allowed_mentions: Any) -> tuple[set[int], set[int], bool]:
    """The user ids, role ids and whether @everyone/@here that `content` pings under a message's
    `allowed_mentions` (absent: Discord parses every kind), before who may be pinged is considered."""
    if not isinstance(allowed_mentions, dict):
        allowed_mentions = {"parse": ["users", "roles", "everyone"]}
    parse = set(allowed_mentions.get("parse") or ())
    allowed_users = {int(i) for i in allowed_mentions.get("users") or ()}
    allowed_roles = {int(i) for i in allowed_mentions.get("roles") or ()}
    users: set[int] = set()
    roles: set[int] = set()
    everyone = False
    for user, role, crowd in MENTION.findall(content):
        if user and ("users" in parse or int(user) in allowed_users):
            users.add(int(user))
        elif role and ("roles" in parse or int(role) in allowed_roles):
            roles.add(int(role))
        elif crowd and "everyone" in parse:
            everyone = True
    return users, roles, everyone


def _member_permissions() -> int:
    from bot.sandbox.state import MEMBER_PERMISSIONS

    return MEMBER_PERMISSIONS


def _bot_permissions() -> int:
    from bot.client import required_permissions

    return required_permissions().value | (1 << 31)


def _with_files(call: Call) -> dict[str, Any]:
    """The body as Discord validates it: uploaded files count as attachments."""
    if not call.files or not isinstance(call.body, dict):
        return call.body if isinstance(call.body, dict) else {}
    attachments = list(call.body.get("attachments") or [])
    attachments += [{"id": str(i), "filename": name} for i, (name, _, _) in enumerate(call.files.values())]
    return {**call.body, "attachments": attachments}


def _json(data: Any, *, status: int = 200, headers: dict[str, str] | None = None) -> web.Response:
    # Exactly `application/json`: with a charset appended discord.py reads the body as text.
    return web.Response(
        body=json.dumps(data).encode(),
        status=status,
        headers={"Content-Type": "application/json", **(headers or {})},
    )


def _fault_response(fault: Fault, *, global_limit: bool = False) -> web.Response:
    if fault.status == 429:
        headers = {
            "Retry-After": f"{fault.retry_after:.3f}",
            "X-RateLimit-Limit": "5",
            "X-RateLimit-Remaining": "0",
            "X-RateLimit-Reset": f"{time.time() + fault.retry_after:.3f}",
            "X-RateLimit-Reset-After": f"{fault.retry_after:.3f}",
            "X-RateLimit-Bucket": f"emulated-{abs(hash(fault.route)) % 10**8}",
            "X-RateLimit-Scope": "global" if global_limit else "user",
            "Via": "1.1 google",  # Discord is behind Cloudflare; without it discord.py assumes a ban
        }
        if global_limit:
            headers["X-RateLimit-Global"] = "true"
        body = {"message": "You are being rate limited.", "retry_after": fault.retry_after, "global": global_limit}
        return _json(body, status=429, headers=headers)
    return _json({"message": "500: Internal Server Error", "code": 0}, status=fault.status)


async def _read_body(request: web.Request) -> tuple[Any, dict[str, tuple[str, bytes, str]]]:
    files: dict[str, tuple[str, bytes, str]] = {}
    if request.content_type.startswith("multipart/"):
        body: Any = {}
        reader = await request.multipart()
        async for part in reader:
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read(decode=False)
            if part.name == "payload_json":
                body = json.loads(data)
            else:
                content_type = part.headers.get("Content-Type", "application/octet-stream")
                files[part.name or ""] = (part.filename or part.name or "fichier", bytes(data), content_type)
        return body, files
    if request.can_read_body:
        text = await request.text()
        return (json.loads(text) if text else {}), files
    return {}, files


__all__ = ["ALL_PERMISSIONS", "DiscordError", "Emulator", "Interaction", "pings"]
