"""Throughput and CPU of the LSL driver against a real outlet in another process.

    python -m tests.drivers.lsl.bench_lsl [--seconds 20] [--channels 8] [--rate 256] [--chunk 12]

Prints one JSON line: samples/s received, the driver process's CPU (all its
threads, liblsl's included) as % of one core, and chunk latency (arrival on
the agent clock minus the chunk's last sample time). Not collected by pytest.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import resource

import numpy as np

from agent.base.clock import Clock
from agent.base.stream import Chunk
from tests.drivers.lsl.outlets import Outlet, unique
from tests.drivers.lsl.streams import lsl_driver


def cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def child_cpu_s(pid: int) -> float:
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def bench(seconds: float, channels: int, rate: float, chunk: int) -> dict[str, float]:
    sid = unique("bench")
    outlet = Outlet("--channels", str(channels), "--rate", str(rate), "--chunk", str(chunk), "--source-id", sid)
    clock = Clock()
    try:
        async with lsl_driver(clock=clock, source_id=sid, max_chunk=max(512, 4 * chunk)) as driver:
            items = driver.chunks()
            for _ in range(20):  # warm up: backlog, clock sync, first allocations
                await anext(items)
            n, latencies = 0, []
            wall0, cpu0, out0 = clock.now(), cpu_s(), child_cpu_s(outlet.proc.pid)
            while clock.now() - wall0 < seconds:
                item = await anext(items)
                if isinstance(item, Chunk):
                    n += len(item)
                    latencies.append(clock.now() - float(item.t[-1]))
            wall, cpu, out_cpu = clock.now() - wall0, cpu_s() - cpu0, child_cpu_s(outlet.proc.pid) - out0
    finally:
        outlet.kill()
    lat = np.array(latencies) * 1e3
    return {
        "channels": channels,
        "rate_hz": rate,
        "chunk": chunk,
        "seconds": round(wall, 2),
        "samples_per_s": round(n / wall, 1),
        "chunks_per_s": round(len(latencies) / wall, 1),
        "driver_cpu_pct_of_one_core": round(100 * cpu / wall, 2),
        "outlet_cpu_pct_of_one_core": round(100 * out_cpu / wall, 2),
        "latency_ms_p50": round(float(np.percentile(lat, 50)), 2),
        "latency_ms_p99": round(float(np.percentile(lat, 99)), 2),
        "latency_ms_max": round(float(lat.max()), 2),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--channels", type=int, default=8)
    ap.add_argument("--rate", type=float, default=256.0)
    ap.add_argument("--chunk", type=int, default=12)
    args = ap.parse_args()
    print(json.dumps(asyncio.run(bench(args.seconds, args.channels, args.rate, args.chunk))))


if __name__ == "__main__":
    main()
