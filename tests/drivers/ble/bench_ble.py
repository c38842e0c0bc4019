"""Benchmark: the Polar H10 driver through bleak, D-Bus and the fake BlueZ, in real time.

    python -m tests.drivers.ble.bench_ble [--seconds 20]

Starts a private dbus-daemon and the fake BlueZ in a separate process (so
this process's CPU is the driver's alone: bleak, dbus-fast, decoding, clock
mapping), runs the driver for ``--seconds`` per configuration, and prints
notification-to-Chunk latency (from the fake's send, CLOCK_MONOTONIC, to the
Chunk leaving ``chunks()``) and CPU as % of one core.
"""

import argparse
import asyncio
import importlib.metadata
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from agent.base.clock import Clock
from drivers.ble.plugin import POLAR_H10
from tests.drivers.ble.conftest import release_bleak_manager
from tests.drivers.ble.fake_bluez import FakeBlueZ
from tests.drivers.ble.fake_straps import PolarH10
from tests.drivers.ble.harness import make_driver
from tests.drivers.ble.private_bus import start_private_bus, stop_private_bus

H10 = "A0:9E:1A:B2:33:44"


async def serve_fake(record: Path) -> None:
    """The fake BlueZ with one H10, until SIGTERM; then the frames' send times go to ``record``."""
    fake = await FakeBlueZ().start()
    h10 = fake.add(PolarH10(Clock(), H10))
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await fake.stop()
    record.write_text(json.dumps({str(ts): perf for ts, (_, perf) in h10.frames.items()}))


def cpu_s(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


async def run_driver(
    seconds: float, **options: object
) -> tuple[list[tuple[float, float]], float, float, dict[str, object]]:
    """(device ts of each PMD chunk's last sample, perf_counter when it left chunks()), CPU s, wall s, stats."""
    driver = make_driver(POLAR_H10, Clock(), "h10", address=H10, **options)
    seen: list[tuple[float, float]] = []
    async with driver:
        items = driver.chunks()
        warm_until = time.perf_counter() + 3.0
        while time.perf_counter() < warm_until:
            await anext(items)
        cpu0, wall0 = time.process_time(), time.perf_counter()
        while time.perf_counter() - wall0 < seconds:
            item = await anext(items)
            now = time.perf_counter()
            if getattr(item, "device_t", None) is not None:
                seen.append((float(item.device_t[-1]), now))
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    return seen, cpu, wall, driver.stats()


def latencies_ms(seen: list[tuple[float, float]], sent: dict[int, float]) -> np.ndarray:
    keys = np.array(sorted(sent))
    out = []
    for device_s, got in seen:
        i = int(np.clip(np.searchsorted(keys, device_s * 1e9), 1, len(keys) - 1))
        k = keys[i] if abs(keys[i] - device_s * 1e9) < abs(keys[i - 1] - device_s * 1e9) else keys[i - 1]
        if abs(k - device_s * 1e9) < 1000:
            out.append((got - sent[int(k)]) * 1e3)
    return np.array(out)


Result = tuple[list[tuple[float, float]], float, float, dict[str, object]]


async def bench(seconds: float) -> dict[str, Result]:
    configs: dict[str, dict[str, object]] = {
        "ECG 130 Hz only": {"acc": False, "heart_rate": False},
        "ECG 130 Hz + ACC 200 Hz + HR/RR": {},
    }
    results = {name: await run_driver(seconds, **options) for name, options in configs.items()}
    await release_bleak_manager()
    return results


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--serve-fake", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.serve_fake:
        asyncio.run(serve_fake(args.serve_fake))
        return
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        bus, address = start_private_bus(root)
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = address  # this benchmark process only
        fake = subprocess.Popen(
            [sys.executable, "-m", "tests.drivers.ble.bench_ble", "--serve-fake", str(root / "sent.json")],
            stdout=subprocess.PIPE,
            text=True,
        )
        try:
            assert fake.stdout is not None and fake.stdout.readline().strip() == "ready"
            bus_cpu0 = cpu_s(bus.pid)
            t0 = time.perf_counter()
            results = asyncio.run(bench(args.seconds))
            bus_share = (cpu_s(bus.pid) - bus_cpu0) / (time.perf_counter() - t0)
        finally:
            fake.send_signal(signal.SIGTERM)
            fake.wait(timeout=20)
            stop_private_bus(bus)
        sent = {int(k): v for k, v in json.loads((root / "sent.json").read_text()).items()}
    v = importlib.metadata.version
    print(
        f"Polar H10 driver via bleak {v('bleak')} + dbus-fast {v('dbus-fast')} + private dbus-daemon + fake BlueZ, {args.seconds:g} s each"
    )
    for name, (seen, cpu, wall, stats) in results.items():
        lat = latencies_ms(seen, sent)
        print(
            f"  {name:34s} CPU {100 * cpu / wall:5.2f} % of one core | notification->Chunk latency ms "
            f"p50 {np.percentile(lat, 50):.2f}  p99 {np.percentile(lat, 99):.2f}  max {lat.max():.2f}  (n={len(lat)}) | {stats}"
        )
    print(f"  dbus-daemon (stands in for the system bus; bluetoothd not included): {100 * bus_share:.2f} % of one core")


if __name__ == "__main__":
    main()
