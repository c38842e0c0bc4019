"""Fan-out with backpressure: a slow client costs only itself, and many clients are served at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from agent.outputs.vrlink.client import VrLinkClient
from agent.outputs.vrlink.messages import Ack, AdaptationMessage, Marker, SessionStart

from .conftest import RawPeer, adaptation, running_server

BIG_REASON = ("heart rate +18% over baseline; " * 64,)  # ~2 KB frames fill a stalled socket quickly


async def test_a_slow_client_does_not_delay_a_fast_one(sock_dir: Path, peers: list[RawPeer]) -> None:
    n = 600  # ~1.2 MB: far more than the slow client's socket and transport buffers hold
    async with running_server(sock_dir, heartbeat_s=3600.0) as server:
        peers.append(slow := await RawPeer.open(server.socket_path))
        await slow.hello()  # ...and then it stops reading
        peers.append(fast := await RawPeer.open(server.socket_path))
        await fast.hello()

        for seq in range(1, n + 1):
            server.publish_adaptation(adaptation(seq, reasons=BIG_REASON))
            got = await fast.recv()  # bounded wait: the fast client gets each one at once
            assert got is not None and got["seq"] == seq

        dropped = server.stats()["adaptations_dropped"]
        assert dropped > 0  # the slow client's lane kept only the latest

        seen = []
        while not seen or seen[-1] != n:
            frame = await slow.recv()
            assert frame is not None
            seen.append(frame["seq"])
        assert seen == sorted(set(seen))  # in order, never repeated
        assert len(seen) + dropped == n  # every adaptation was either delivered or counted as dropped


async def test_a_hundred_clients_at_once(sock_dir: Path) -> None:
    # No heartbeats: each client's next frame must be the answer the test waits for, however slow the machine.
    async with running_server(sock_dir, heartbeat_s=3600.0, idle_timeout_s=3600.0) as server:
        clients = await asyncio.gather(
            *(VrLinkClient.connect_unix(server.socket_path, client=f"c{i}", heartbeat=False) for i in range(100))
        )
        try:
            assert server.client_count == 100
            for seq in range(1, 11):
                server.publish_adaptation(adaptation(seq))
                got = await asyncio.gather(*(c.recv() for c in clients))
                assert all(isinstance(m, AdaptationMessage) and m.seq == seq for m in got)
            await clients[0].send(SessionStart(id="start", session_id="fan", protocol_id="p", scene_id="s"))
            assert await clients[0].recv() == Ack(id="start", ref="session_start")
            await asyncio.gather(*(c.send(Marker(id=i, label="hello-from-client")) for i, c in enumerate(clients)))
            acks = await asyncio.gather(*(c.recv() for c in clients))
            assert [getattr(a, "id", None) for a in acks] == list(range(100))
            events = server.events()
            assert (await anext(events)).message.type == "session_start"
            recorded = [await anext(events) for _ in range(100)]
            assert sorted(e.message.id for e in recorded) == list(range(100))  # type: ignore[type-var]
            assert len({e.client_id for e in recorded}) == 100
        finally:
            await asyncio.gather(*(c.close() for c in clients))
        assert server.stats()["adaptations_dropped"] == 0
