"""Shards of one bot (AutoShardedBot): Discord recommends two, the bot opens two sessions, each gets the
servers Discord's rule gives it, and a member on either shard is answered."""

from __future__ import annotations

from pathlib import Path

from bot.sandbox.emulator import Emulator
from bot.sandbox.gateway import shard_of
from bot.sandbox.harness import sandbox
from tests.e2e.servers import build_server
from tests.support import ManualClock, ManualDateClock


async def test_two_shards_share_the_servers_and_each_answers_its_own(
    tmp_path: Path, emulator_clock: ManualClock, clock: ManualDateClock
) -> None:
    emulator = Emulator(clock=emulator_clock)
    emulator.shard_count = 2
    servers = [
        build_server(emulator, f"Habitat participatif {n}", f"r{n}", with_bot=True, shard=n % 2) for n in range(4)
    ]
    assert [shard_of(server.guild.id, 2) for server in servers] == [0, 1, 0, 1]
    async with sandbox(tmp_path / "bot.sqlite3", emulator=emulator, clock=clock, dev_guild=False) as box:
        assert box.bot.shard_count == 2 and sorted(box.bot.shards) == [0, 1]
        assert sorted(session.shard for session in emulator.gateway.sessions.values()) == [(0, 2), (1, 2)]
        for server in [box.demo, *servers]:
            guild = box.bot.get_guild(server.guild.id)
            assert guild is not None and guild.shard_id == shard_of(server.guild.id, 2)
            member = server.users["membre"] if "membre" in server.users else server.user("alex")
            help_text = await box.driver.slash(member, "aide", channel=next(iter(server.channels.values())))
            assert help_text.ephemeral and "/projet chercher" in help_text.text, server.guild.name
