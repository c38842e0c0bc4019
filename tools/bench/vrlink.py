"""Figures of the VR link for scripts/bench: encode-and-send latency and fan-out CPU.

    python -m tools.bench.vrlink      # 1 app at 50 Hz, then 100 apps at 4 Hz, then the event path; JSON (~20 s)
    python -m tools.bench.vrlink --clients 100 --adaptations 200 --rate 50

    from tools.bench.vrlink import run
    run(clients=100, adaptations=200, rate_hz=50.0)  # -> dict

The clients run in a separate process (real sockets, real Python clients),
so the CPU time measured is the agent side alone: encoding each adaptation
once, handing it to every client's mailbox, the writer tasks, and the
heartbeats. ``encode_and_send_ms`` is, per client and adaptation, the time
from ``publish_adaptation`` (encoding included) to the frame being written
to that client's socket. The event path's figures (ack latency including
the journal's commit, a 5,000-event burst) come from
:mod:`tools.bench.vrlink_events`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import structlog

from agent.base.adaptation import Adaptation, Level, Pace, Suggestions
from agent.base.clock import Clock
from agent.outputs.vrlink.client import VrLinkClient
from agent.outputs.vrlink.latency import LatencyHistogram
from agent.outputs.vrlink.messages import AdaptationMessage
from agent.outputs.vrlink.options import VrLinkOptions
from agent.outputs.vrlink.server import VrLinkServer
from tools import REPO
from tools.bench.vrlink_events import run_events

# (clients, adaptations, rate): latency with one app, then CPU with 100 apps at the policy's 4 Hz tick.
SCENARIOS = ((1, 200, 50.0), (100, 40, 4.0))


def run(clients: int = 100, adaptations: int = 200, rate_hz: float = 50.0) -> dict[str, Any]:
    """One scenario: ``clients`` connected apps, ``adaptations`` published at ``rate_hz``."""
    return asyncio.run(_run(clients, adaptations, rate_hz))


async def _run(clients: int, adaptations: int, rate_hz: float) -> dict[str, Any]:
    directory = Path(tempfile.mkdtemp(prefix="vr-bench-", dir="/tmp"))
    clock = Clock()
    try:
        async with VrLinkServer(VrLinkOptions(socket_path=directory / "vr.sock"), clock) as server:
            swarm = await asyncio.create_subprocess_exec(
                sys.executable,
                "-m",
                "tools.bench.vrlink",
                "--swarm",
                str(server.socket_path),
                "--clients",
                str(clients),
                "--adaptations",
                str(adaptations),
                stdout=asyncio.subprocess.PIPE,
                cwd=REPO,
            )
            try:
                await _expect(swarm, b"ready")
                server.hub.send_latency = LatencyHistogram()  # the handshakes are not part of the figure
                cpu0, wall0 = time.process_time(), time.perf_counter()
                start = clock.now()
                for seq in range(1, adaptations + 1):
                    server.publish_adaptation(_adaptation(seq, clock.now()))
                    await clock.sleep_until(start + seq / rate_hz)
                await _expect(swarm, b"done")
                cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
            finally:
                if swarm.returncode is None:
                    swarm.kill()
                await swarm.wait()
            stats = server.stats()
    finally:
        shutil.rmtree(directory, ignore_errors=True)
    per_adaptation_us = cpu / adaptations * 1e6
    return {
        "clients": clients,
        "adaptations": adaptations,
        "rate_hz": rate_hz,
        "encode_and_send_ms": stats["send_latency_ms"],
        "adaptations_dropped": stats["adaptations_dropped"],
        "cpu_seconds": round(cpu, 4),
        "wall_seconds": round(wall, 3),
        "cpu_percent_of_one_core": round(100 * cpu / wall, 2),
        "cpu_us_per_adaptation": round(per_adaptation_us, 1),  # heartbeats and timers included
    }


def _adaptation(seq: int, t: float) -> Adaptation:
    return Adaptation(
        seq=seq,
        t=t,
        level=Level.ELEVATED,
        distress=0.62,
        confidence=0.8,
        suggestions=Suggestions(intensity=0.7, pace=Pace.SLOWER, breathing_guide=True),
        reasons=("heart rate +18% over baseline", "SCR rate x3"),
        ttl_s=5.0,
    )


async def _expect(proc: asyncio.subprocess.Process, word: bytes, timeout_s: float = 60.0) -> None:
    assert proc.stdout is not None
    async with asyncio.timeout(timeout_s):
        line = await proc.stdout.readline()
    if line.strip() != word:
        raise RuntimeError(f"bench client swarm said {line!r}, expected {word!r}")


async def _swarm(path: str, clients: int, last_seq: int) -> None:
    """The client side, in its own process: connect, report ready, read until the last adaptation."""
    links = await asyncio.gather(*(VrLinkClient.connect_unix(path, client=f"bench-{i}") for i in range(clients)))
    print("ready", flush=True)

    async def until_last(link: VrLinkClient) -> None:
        while (msg := await link.recv()) is not None:
            if isinstance(msg, AdaptationMessage) and msg.seq == last_seq:
                return

    await asyncio.gather(*(until_last(link) for link in links))
    print("done", flush=True)
    await asyncio.gather(*(link.close() for link in links))


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, action="append", help="clients per scenario (repeatable)")
    parser.add_argument("--adaptations", type=int, default=200)
    parser.add_argument("--rate", type=float, default=50.0, help="adaptations per second")
    parser.add_argument("--swarm", metavar="SOCKET", help=argparse.SUPPRESS)  # internal: the client process
    args = parser.parse_args(argv)
    if args.swarm:
        asyncio.run(_swarm(args.swarm, (args.clients or [1])[0], args.adaptations))
        return
    # Per-client info lines would drown the figures; this is a CLI entry point, so it may set logging up.
    structlog.configure(
        wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING),
        logger_factory=structlog.PrintLoggerFactory(sys.stderr),
    )
    scenarios = [(n, args.adaptations, args.rate) for n in args.clients] if args.clients else SCENARIOS
    results = [run(*scenario) for scenario in scenarios]
    json.dump({"vrlink": results, "events": run_events()}, sys.stdout, indent=2)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
