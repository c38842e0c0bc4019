"""A replay outlives a connection, like a device: reconnecting resumes the same timeline."""

from __future__ import annotations

import csv
import random
from collections.abc import Callable
from contextlib import aclosing
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from agent.base.clock import Clock
from agent.base.events import Connected, Disconnected, Gap
from agent.base.queues import BoundedQueue, Overflow
from agent.base.stream import Chunk
from agent.runtime.status import DeviceState
from agent.runtime.supervisor import DeviceSpec, DeviceSupervisor, Reading, SupervisorOptions
from drivers.replay.plugin import REPLAY, ReplayOptions

MakeDriver = Callable[..., Any]


async def take(driver: Any, n: int) -> list[Chunk]:
    out: list[Chunk] = []
    async with aclosing(driver.chunks()) as stream:
        async for chunk in stream:
            out.append(chunk)
            if len(out) == n:
                break
    return out


async def test_reconnect_at_max_resumes_at_the_next_sample(make_driver: MakeDriver) -> None:
    driver = make_driver(path="wesad-wrist/S5_wrist.npz", speed="max", streams=("eda",))
    async with driver:
        first = await take(driver, 10)
    async with driver:
        second = await take(driver, 10)
    assert [c.seq for c in first + second] == list(range(20))
    assert second[0].t[0] - first[-1].t[-1] == pytest.approx(0.25)  # one timeline, nothing skipped


async def test_reconnect_in_real_time_skips_what_fell_due_meanwhile(make_driver: MakeDriver) -> None:
    clock = Clock(speed=50)
    driver = make_driver(clock, path="wesad-wrist/S5_wrist.npz", speed=1.0, streams=("eda",))
    async with driver:
        first = await take(driver, 4)
    await clock.sleep(5.0)  # "disconnected" for 5 s of agent time
    async with driver:
        second = await take(driver, 4)
    resumed = second[0]
    # the recording ran on: the first chunk after the pause is the one due now, and
    # its seq says how many samples were missed; t and device_t keep one timeline
    assert resumed.seq - first[-1].next_seq >= 5.0 * 4 - 1
    assert resumed.device_t is not None and first[0].device_t is not None
    assert resumed.t[0] - resumed.device_t[0] == pytest.approx(first[0].t[0] - first[0].device_t[0], abs=1e-9)
    assert [c.seq for c in second] == list(range(resumed.seq, resumed.seq + 4))


async def test_stall_in_a_recording_gap_reconnects_and_the_gap_is_counted(data: Path) -> None:
    # subjectb-relaxed-2 goes silent for 8.7 s after 4.4 s: longer than the
    # supervisor's 3 s stall limit. Real time, on a clock 20x the wall.
    path = data / "muse-eeg/subjectb-relaxed-2.csv"
    with path.open() as fh:
        stamps = np.array([float(r[0]) for r in list(csv.reader(fh))[1:]])
    within = int(np.searchsorted(stamps, stamps[0] + 15.0))  # samples in the 15 s slice
    gap_at = int(np.flatnonzero(np.diff(stamps) > 2 / 256)[0])
    missing = int(np.rint((stamps[gap_at + 1] - stamps[gap_at]) * 256)) - 1

    clock = Clock(speed=20)
    out: BoundedQueue[Reading] = BoundedQueue("readings", 1024, Overflow.DROP_NEWEST)
    options = ReplayOptions(path=path, speed=1.0, duration_s=15.0)
    supervisor = DeviceSupervisor(
        DeviceSpec("muse", REPLAY, options),
        clock=clock,
        options=SupervisorOptions(backoff_initial_s=0.5, backoff_max_s=1.0, stall_floor_s=3.0),
        out=out,
        rng=random.Random(7),
    )
    async with clock.timeout(60):
        await supervisor.run()
    readings = []
    while (item := out.get_nowait()) is not None:
        readings.append(item)
    assert supervisor.status.state is DeviceState.FINISHED
    assert [type(r) for r in readings if not isinstance(r, Chunk)] == [Connected, Disconnected, Connected, Gap]
    disconnected = next(r for r in readings if isinstance(r, Disconnected))
    assert "DeviceStalled" in disconnected.reason
    gap = next(r for r in readings if isinstance(r, Gap))
    assert gap.missing == missing and gap.duration_s > 8.7
    # the stall fell inside the recording's own gap: every recorded sample arrived, once
    chunks = [r for r in readings if isinstance(r, Chunk)]
    device_t = np.concatenate([c.device_t for c in chunks])
    np.testing.assert_allclose(device_t, stamps[:within], rtol=0, atol=1e-6)
