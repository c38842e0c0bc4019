"""Decode throughput and CPU at 128 Hz for the bridge and Shimmer drivers.

    python -m tests.drivers.bridge.bench_serial [--seconds 20]

Not a test (pytest does not collect it): it prints figures for the issue note.
Throughput is the decoder alone on pre-built byte streams (one core).
CPU is this process's CPU time while the real driver streams 128 Hz over a
pty from the C host firmware / the Shimmer emulator running as another process.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from agent.base.clock import Clock
from agent.base.driver import DriverContext, bound_logger
from drivers.bridge import messages as m
from drivers.bridge.driver import BridgeDriver
from drivers.bridge.framing import CobsFrameDecoder
from drivers.bridge.plugin import BridgeOptions
from drivers.shimmer import protocol as p
from drivers.shimmer.driver import ShimmerDriver
from drivers.shimmer.gsr import gsr_to_microsiemens
from drivers.shimmer.plugin import ShimmerOptions

from .conftest import EDA_CSV, FIRMWARE_DIR, FirmwareDevice


def bridge_throughput(n_frames: int = 20_000, batch: int = 4) -> float:
    frames = b"".join(
        m.encode(m.Samples(i * batch, i * 31250, np.arange(batch) * 7812, np.full((batch, 1), 11734, np.int32)))
        for i in range(n_frames)
    )
    dec = CobsFrameDecoder()
    t0 = time.perf_counter()
    n = 0
    for k in range(0, len(frames), 4096):
        for f in dec.feed(frames[k : k + 4096]):
            s = m.decode(f)
            n += len(s)  # type: ignore[arg-type]
    return n / (time.perf_counter() - t0)


def shimmer_throughput(n: int = 100_000) -> float:
    inq = p.Inquiry(256, b"\x04\x01\x01\x09", 1, (p.CH_PPG_A13, p.CH_GSR))
    stream = b"".join(
        b"\x00"
        + ((i * 256) % p.TICK_WRAP).to_bytes(3, "little")
        + (2000).to_bytes(2, "little")
        + (0x4A00).to_bytes(2, "little")
        for i in range(n)
    )
    dec = p.StreamDecoder(inq)
    t0 = time.perf_counter()
    got = 0
    for k in range(0, len(stream), 4096):
        packets, _ = dec.feed(stream[k : k + 4096])
        if packets:
            gsr_to_microsiemens(dec.values(packets, p.CH_GSR))
            got += len(packets)
    return got / (time.perf_counter() - t0)


async def cpu_while_streaming(driver: BridgeDriver | ShimmerDriver, seconds: float) -> tuple[float, int]:
    async with driver:
        c0, t0, n = time.process_time(), time.monotonic(), 0
        async for item in driver.chunks():
            if getattr(item, "spec", None) is not None and item.spec.name in ("eda", "gsr"):
                n += len(item)
            if time.monotonic() - t0 >= seconds:
                break
        return (time.process_time() - c0) / (time.monotonic() - t0), n


async def main(seconds: float) -> None:
    print(f"bridge decode throughput: {bridge_throughput():,.0f} samples/s (batch 4, 1 channel)")
    print(f"shimmer decode throughput: {shimmer_throughput():,.0f} samples/s (GSR + PPG packets)")
    with tempfile.TemporaryDirectory() as tmp:
        build = Path(tmp) / "build"
        await asyncio.to_thread(subprocess.run, ["make", "-s", "-C", str(FIRMWARE_DIR), f"BUILD={build}"], check=True)
        dev = FirmwareDevice(build / "edge-bridge-host", Path(tmp) / "bridge0")
        dev.plug()
        try:
            clock = Clock()
            drv = BridgeDriver(
                BridgeOptions(port=str(dev.port.link), rate_hz=128.0), DriverContext("b", clock, bound_logger("b"))
            )
            cpu, n = await cpu_while_streaming(drv, seconds)
            print(f"bridge driver at 128 Hz: {100 * cpu:.2f} % of one core over {seconds:.0f} s, {n} samples")
        finally:
            dev.unplug()
        link = Path(tmp) / "rfcomm0"
        emu = await asyncio.to_thread(
            subprocess.Popen,
            [sys.executable, "-m", "drivers.shimmer.emulator", "--link", str(link)],
            stdout=subprocess.PIPE,
        )
        try:
            assert emu.stdout is not None and emu.stdout.readline().startswith(b"ready")
            clock = Clock()
            drv2 = ShimmerDriver(
                ShimmerOptions(port=str(link), rate_hz=128.0), DriverContext("s", clock, bound_logger("s"))
            )
            cpu, n = await cpu_while_streaming(drv2, seconds)
            print(
                f"shimmer driver at 128 Hz (GSR + PPG): {100 * cpu:.2f} % of one core over {seconds:.0f} s, {n} samples"
            )
        finally:
            emu.terminate()
            emu.wait()
    assert EDA_CSV.exists() and os.cpu_count()


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    asyncio.run(main(ap.parse_args().seconds))
