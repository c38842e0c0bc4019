"""CPU cost of the four simulated devices streaming at real rate (not a test).

    python -m tests.drivers.simulated.measure_cpu --seconds 60 [--speed 1]

Runs the chest strap, the 130 Hz ECG, the 128 Hz GSR band and an 8-channel
256 Hz EEG headset together on one clock, with a consumer that only counts
what arrives, and prints the process CPU time as a share of one core per
second of simulated time (at --speed 1 that is real time).
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from contextlib import aclosing

import structlog

from agent.base.clock import Clock
from drivers.simulated.device import SimulatedDevice
from drivers.simulated.options import EIGHT_CHANNELS

from .helpers import make


async def _drain(device: SimulatedDevice, until_s: float, counts: dict[str, int]) -> None:
    async with device, aclosing(device.chunks()) as items:
        async for _item in items:
            counts[device.kind] = counts.get(device.kind, 0) + 1
            if device.scenario_time() >= until_s:
                return


async def measure(seconds: float, speed: float) -> None:
    clock = Clock(speed=speed)
    devices = [
        make("chest-strap", clock),
        make("ecg", clock),
        make("gsr", clock),
        make("eeg", clock, channels=EIGHT_CHANNELS),
    ]
    counts: dict[str, int] = {}
    cpu0, wall0 = time.process_time(), time.perf_counter()
    async with asyncio.TaskGroup() as tg:
        for device in devices:
            tg.create_task(_drain(device, seconds, counts))
    cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
    simulated = wall * speed
    print(f"simulated {simulated:.1f} s in {wall:.1f} s real; items yielded: {counts}")
    print(f"CPU {cpu:.3f} s = {100 * cpu / simulated:.3f} % of one core at real rate")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60.0, help="simulated seconds to run")
    parser.add_argument("--speed", type=float, default=1.0, help="clock speed (1 = real time)")
    args = parser.parse_args()
    structlog.configure(wrapper_class=structlog.make_filtering_bound_logger(logging.WARNING))
    asyncio.run(measure(args.seconds, args.speed))


if __name__ == "__main__":
    main()
