"""Figures of the VR event path for scripts/bench: ack latency with the commit, and a burst.

    python -m tools.bench.vrlink          # includes these figures under "events"

    from tools.bench.vrlink_events import run_events
    run_events(sequential=500, burst=5000)  # -> dict

A real server, a real journal file with ``synchronous=FULL`` (one fsync per
commit, as the agent runs it) in a temporary directory on the same disk as
``/tmp``, and a raw client on the Unix socket. ``ack_ms`` is measured by the
client, one event at a time: from writing the event to reading its ack,
so it includes the commit. The burst writes ``burst`` markers in one go and
reads every answer.
"""

from __future__ import annotations

import asyncio
import shutil
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from agent.base.clock import Clock
from agent.outputs.vrlink.frames import FrameDecoder, encode_frame
from agent.outputs.vrlink.options import VrLinkOptions
from agent.outputs.vrlink.recording import EventJournal
from agent.outputs.vrlink.server import VrLinkServer


def run_events(sequential: int = 500, burst: int = 5000, directory: Path | None = None) -> dict[str, Any]:
    return asyncio.run(_run(sequential, burst, directory))


class _App:
    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.decoder = FrameDecoder()
        self.pending: list[Any] = []

    async def recv(self) -> dict[str, Any]:
        while not self.pending:
            data = await self.reader.read(65536)
            if not data:
                raise ConnectionError("the agent closed the link")
            self.pending.extend(f for f in self.decoder.feed(data))
        frame: dict[str, Any] = self.pending.pop(0)
        return frame if frame.get("type") != "heartbeat" else await self.recv()

    async def ask(self, msg: dict[str, Any]) -> dict[str, Any]:
        self.writer.write(encode_frame(msg))
        return await self.recv()


async def _run(sequential: int, burst: int, directory: Path | None) -> dict[str, Any]:
    tmp = Path(tempfile.mkdtemp(prefix="vr-events-bench-", dir=directory or "/tmp"))
    try:
        async with await EventJournal.open(tmp / "vr-journal.sqlite3") as journal:
            server = VrLinkServer(VrLinkOptions(socket_path=tmp / "vr.sock"), Clock(), journal=journal)
            await server.start()
            agent_side = asyncio.create_task(_consume(server))
            try:
                app = _App(*await asyncio.open_unix_connection(str(server.socket_path)))
                await app.ask({"type": "hello", "versions": [1], "capabilities": ["events"]})
                start = {"type": "session_start", "id": 0, "session_id": "bench", "protocol_id": "p", "scene_id": "s"}
                assert (await app.ask(start))["type"] == "ack"
                rtt = []
                for i in range(1, sequential + 1):
                    t0 = time.perf_counter()
                    reply = await app.ask({"type": "pain_rating", "id": i, "session_id": "bench", "nrs": 5,
                                           "phase": "before"})
                    rtt.append(time.perf_counter() - t0)
                    assert reply["type"] == "ack", reply
                frames = b"".join(encode_frame({"type": "marker", "id": f"m{i}", "session_id": "bench", "label": "m"})
                                  for i in range(burst))
                t0 = time.perf_counter()
                app.writer.write(frames)
                answers = [await app.recv() for _ in range(burst)]
                burst_s = time.perf_counter() - t0
                app.writer.close()
                stats = server.stats()
            finally:
                await server.close()
                agent_side.cancel()
            recorded = journal.store.counts()["events"]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    ms = np.array(rtt) * 1000
    acks = sum(a["type"] == "ack" for a in answers)
    busy = sum(a.get("code") == "busy" for a in answers)
    return {
        "ack_ms": {"n": len(rtt), "p50": round(float(np.percentile(ms, 50)), 3),
                   "p99": round(float(np.percentile(ms, 99)), 3), "max": round(float(ms.max()), 3)},
        "burst": {"events": burst, "answers": len(answers), "acks": acks, "busy": busy,
                  "other": len(answers) - acks - busy, "seconds": round(burst_s, 3),
                  "events_per_s": round(burst / burst_s), "reading_paused": stats["counters"].get("reading_paused", 0)},
        "recorded": recorded,  # 1 start + sequential ratings + the burst's acked markers, each once
        "server_ack_latency_ms": stats["events"]["ack_latency_ms"],  # arrival -> answer queued, all events
    }


async def _consume(server: VrLinkServer) -> None:
    async for _ in server.events():  # the agent takes what is recorded
        pass
