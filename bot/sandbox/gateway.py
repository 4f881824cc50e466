"""The emulated gateway: handshake, heartbeats, READY and GUILD_CREATE, member chunks, RESUME, compression,
and shards: a session identified as shard [id, count] gets the servers whose `(guild_id >> 22) % count`
is its id, and their events; direct messages go to shard 0, as on Discord."""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
import zlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

if TYPE_CHECKING:
    from bot.sandbox.emulator import Emulator

log = logging.getLogger(__name__)

HEARTBEAT_INTERVAL_MS = 41_250
MEMBERS_INTENT = 1 << 1
PRESENCES_INTENT = 1 << 8
MESSAGE_CONTENT_INTENT = 1 << 15
CHUNK_SIZE = 1000

# Close codes with which Discord refuses a session for good.
DISALLOWED_INTENTS = 4014
AUTHENTICATION_FAILED = 4004
INVALID_SHARD = 4010


def shard_of(guild_id: int, count: int) -> int:
    """Discord's rule for which shard serves a server."""
    return (guild_id >> 22) % count


class Compressor:
    """One stream per connection, flushed at each message, as the URL's `compress` asks."""

    def __init__(self, mode: str | None) -> None:
        self.mode = mode
        self._zlib = zlib.compressobj() if mode == "zlib-stream" else None
        self._zstd: Any = None
        if mode == "zstd-stream":
            import zstandard  # type: ignore[import-not-found]  # discord.py only asks for zstd when it can import it itself

            self._zstd = zstandard.ZstdCompressor().compressobj()
            self._zstd_flush: int = zstandard.COMPRESSOBJ_FLUSH_BLOCK

    def pack(self, text: str) -> bytes | str:
        data = text.encode()
        if self._zlib is not None:
            return self._zlib.compress(data) + self._zlib.flush(zlib.Z_SYNC_FLUSH)
        if self._zstd is not None:
            return bytes(self._zstd.compress(data) + self._zstd.flush(self._zstd_flush))
        return text


@dataclass
class Session:
    """A gateway session survives its connection: events sent while it was away are replayed on RESUME."""

    id: str
    intents: int
    shard: tuple[int, int] = (0, 1)
    seq: int = 0
    history: list[dict[str, Any]] = field(default_factory=list)
    connection: Connection | None = None


class Connection:
    def __init__(self, ws: web.WebSocketResponse, compressor: Compressor) -> None:
        self.ws = ws
        self.compressor = compressor

    async def send(self, payload: dict[str, Any]) -> None:
        packed = self.compressor.pack(json.dumps(payload))
        if isinstance(packed, bytes):
            await self.ws.send_bytes(packed)
        else:
            await self.ws.send_str(packed)


class Gateway:
    def __init__(self, emulator: Emulator) -> None:
        self.emulator = emulator
        self.sessions: dict[str, Session] = {}
        self.connected = asyncio.Event()
        self.identified = 0
        self.resumed = 0
        self.on_connect: list[Callable[[], None]] = []

    @property
    def session(self) -> Session | None:
        """The bot's latest session: with shards, the one that identified last."""
        return next(reversed(self.sessions.values()), None)

    def session_for(self, guild_id: int | None) -> Session | None:
        """The latest session of the shard that serves this server (shard 0 for direct messages)."""
        for session in reversed(self.sessions.values()):
            shard_id, count = session.shard
            if (0 if guild_id is None else shard_of(guild_id, count)) == shard_id:
                return session
        return None

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(autoping=True, max_msg_size=0)
        await ws.prepare(request)
        connection = Connection(ws, Compressor(request.query.get("compress")))
        session: Session | None = None
        await connection.send({"op": 10, "d": {"heartbeat_interval": HEARTBEAT_INTERVAL_MS}, "s": None, "t": None})
        try:
            async for message in ws:
                if message.type is not WSMsgType.TEXT:
                    continue
                payload = json.loads(message.data)
                session = await self._receive(connection, session, payload) or session
        finally:
            if session is not None and session.connection is connection:
                session.connection = None
                self.connected.clear()
        return ws

    async def _receive(
        self, connection: Connection, session: Session | None, payload: dict[str, Any]
    ) -> Session | None:
        op, data = payload.get("op"), payload.get("d") or {}
        if op == 1:
            await connection.send({"op": 11, "d": None, "s": None, "t": None})
        elif op == 2:
            return await self._identify(connection, data)
        elif op == 6:
            return await self._resume(connection, data)
        elif op == 8 and session is not None:
            await self._send_member_chunks(session, data)
        elif op in (3, 4):
            pass  # presence and voice updates change nothing the emulator models
        else:
            log.warning("opcode de passerelle inattendu : %s", op)
        return None

    async def _identify(self, connection: Connection, data: dict[str, Any]) -> Session | None:
        emulator = self.emulator
        if data.get("token") != emulator.token:
            await connection.ws.close(code=AUTHENTICATION_FAILED, message=b"Authentication failed.")
            return None
        intents = int(data.get("intents", 0))
        privileged = MEMBERS_INTENT | PRESENCES_INTENT | MESSAGE_CONTENT_INTENT
        if intents & privileged & ~emulator.allowed_privileged_intents:
            await connection.ws.close(code=DISALLOWED_INTENTS, message=b"Disallowed intent(s).")
            return None
        shard_id, count = (int(n) for n in data.get("shard") or (0, 1))
        if not 0 <= shard_id < count:
            await connection.ws.close(code=INVALID_SHARD, message=b"Invalid shard.")
            return None
        session = Session(id=secrets.token_hex(16), intents=intents, shard=(shard_id, count))
        self.sessions[session.id] = session
        guilds = [guild for guild in emulator.bot_guilds() if shard_of(guild.id, count) == shard_id]
        session.connection = connection
        self.identified += 1
        ready = {
            "v": 10,
            "user": emulator.bot_user.to_json() | {"verified": True, "mfa_enabled": False, "flags": 0},
            "guilds": [{"id": str(guild.id), "unavailable": True} for guild in guilds],
            "shard": [shard_id, count],
            "session_id": session.id,
            "session_type": "normal",
            "resume_gateway_url": emulator.gateway_url,
            "application": {"id": str(emulator.application_id), "flags": 0},
            "private_channels": [],
            "relationships": [],
            "presences": [],
            "guild_join_requests": [],
            "geo_ordered_rtc_regions": [],
        }
        await self.send(session, "READY", ready)
        for guild in guilds:
            await self.send(session, "GUILD_CREATE", guild.to_json(emulator.bot_user.id))
        self._mark_connected()
        return session

    async def _resume(self, connection: Connection, data: dict[str, Any]) -> Session | None:
        session = self.sessions.get(data.get("session_id", ""))
        if session is None or data.get("token") != self.emulator.token:
            await connection.send({"op": 9, "d": False, "s": None, "t": None})
            return None
        session.connection = connection
        self.resumed += 1
        for payload in session.history:
            if payload["s"] > int(data.get("seq") or 0):
                await connection.send(payload)
        await self.send(session, "RESUMED", {})
        self._mark_connected()
        return session

    def _mark_connected(self) -> None:
        self.connected.set()
        for callback in self.on_connect:
            callback()

    async def _send_member_chunks(self, session: Session, data: dict[str, Any]) -> None:
        guild = self.emulator.guilds[int(data["guild_id"])]
        members = [member.to_json() for member in guild.members.values()]
        query = str(data.get("query") or "").casefold()
        if query:
            members = [m for m in members if m["user"]["username"].casefold().startswith(query)]
        limit = int(data.get("limit") or 0)
        if limit:
            members = members[:limit]
        chunks = [members[i : i + CHUNK_SIZE] for i in range(0, len(members), CHUNK_SIZE)] or [[]]
        for index, chunk in enumerate(chunks):
            chunk_data = {
                "guild_id": str(guild.id),
                "members": chunk,
                "chunk_index": index,
                "chunk_count": len(chunks),
                "not_found": [],
            }
            if data.get("nonce"):
                chunk_data["nonce"] = data["nonce"]
            await self.send(session, "GUILD_MEMBERS_CHUNK", chunk_data)

    async def send(self, session: Session, event: str, data: dict[str, Any]) -> int:
        session.seq += 1
        payload = {"op": 0, "t": event, "s": session.seq, "d": data}
        session.history.append(payload)
        if session.connection is not None:
            await session.connection.send(payload)
        return session.seq

    async def dispatch(self, event: str, data: dict[str, Any]) -> tuple[int, int]:
        """Send an event to the shard of its server; kept for replay if its connection is down.
        Returns the shard's id and the event's sequence there."""
        guild_id = data.get("guild_id") or (data.get("id") if event.startswith("GUILD_") else None)
        session = self.session_for(int(guild_id) if guild_id is not None else None)
        if session is None:
            raise RuntimeError("no bot is connected to the emulator")
        return session.shard[0], await self.send(session, event, data)

    async def drop(self, code: int = 4000) -> None:
        """Close the bot's connection as Discord does on a hiccup; the bot should RESUME."""
        session = self.session
        if session is not None and session.connection is not None:
            connection, session.connection = session.connection, None
            self.connected.clear()
            await connection.ws.close(code=code, message=b"Emulated disconnect")
