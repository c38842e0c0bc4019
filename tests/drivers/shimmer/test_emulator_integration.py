"""The Shimmer driver against the Shimmer emulator, over real pseudo-terminals."""

from __future__ import annotations

import asyncio
import contextlib
import os
import tty
from collections.abc import AsyncIterator
from pathlib import Path

import numpy as np
import pytest

from agent.base.clock import Clock
from agent.base.driver import DriverContext, bound_logger
from agent.base.events import Quality
from agent.base.stream import Chunk
from agent.errors import DeviceDisconnected, DeviceNotFound
from drivers.shimmer import protocol as p
from drivers.shimmer.driver import ShimmerDriver
from drivers.shimmer.emulator import FILE_HZ, ShimmerEmulator, load_signals, ppg_to_adc
from drivers.shimmer.gsr import gsr_to_microsiemens, microsiemens_to_gsr
from drivers.shimmer.plugin import SHIMMER_GSR, ShimmerOptions

# The 24-bit clock wraps 1.5 s after power-on: late enough that a loaded machine still starts
# streaming before it, early enough that 2.5 s of streaming crosses it.
START_TICK = p.TICK_WRAP - 3 * p.TICK_HZ // 2
SIGNALS = load_signals()


class Band:
    """An emulated GSR+ on a pty reachable through a stable link (like a bound /dev/rfcomm0)."""

    def __init__(self, link: Path, clock: Clock) -> None:
        self.link, self.clock = link, clock
        self.emulator: ShimmerEmulator | None = None
        self._task: asyncio.Task[None] | None = None
        self._slave = -1

    def plug(self) -> ShimmerEmulator:
        master, self._slave = os.openpty()
        tty.setraw(self._slave)
        self.link.unlink(missing_ok=True)
        self.link.symlink_to(os.ttyname(self._slave))
        self.emulator = ShimmerEmulator(master, *SIGNALS, clock=self.clock, start_tick=START_TICK)
        self._task = asyncio.create_task(self.emulator.run())
        return self.emulator

    async def unplug(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        if self.emulator is not None:
            self.emulator.close()
            self.emulator = None
        self.link.unlink(missing_ok=True)
        if self._slave >= 0:
            os.close(self._slave)
            self._slave = -1


@pytest.fixture
async def band(tmp_path: Path) -> AsyncIterator[Band]:
    b = Band(tmp_path / "rfcomm0", Clock())
    yield b
    await b.unplug()


def make_driver(band: Band, **opts: object) -> ShimmerDriver:
    options = ShimmerOptions(**{"port": str(band.link), "rate_hz": 128.0, "reply_timeout_s": 0.5, **opts})
    return ShimmerDriver(options, DriverContext("shimmer-1", band.clock, bound_logger("shimmer-1")))


async def take(driver: ShimmerDriver, n_gsr: int, timeout_s: float = 15.0) -> tuple[list[Chunk], list[Quality]]:
    chunks: list[Chunk] = []
    events: list[Quality] = []
    last = "ppg" if driver.opts.ppg else "gsr"  # the driver yields gsr then ppg for each run of packets

    async def run() -> None:
        async for item in driver.chunks():
            if isinstance(item, Quality):
                events.append(item)
            else:
                chunks.append(item)
                if item.spec.name == last and sum(len(c) for c in chunks if c.spec.name == last) >= n_gsr:
                    return

    await asyncio.wait_for(run(), timeout_s)
    return chunks, events


def expected(device_t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """What the band measured at each device time: GSR in µS (through its ADC) and PPG in mV."""
    elapsed = (np.round(device_t * p.TICK_HZ).astype(np.int64) - START_TICK) % p.TICK_WRAP  # ticks since power-on
    idx = elapsed * FILE_HZ // p.TICK_HZ
    eda, ppg = SIGNALS
    gsr, _ = gsr_to_microsiemens(microsiemens_to_gsr(eda[idx % len(eda)]), 4)
    return gsr.astype(np.float32), (ppg_to_adc(ppg)[idx % len(ppg)] * (3000.0 / 4095)).astype(np.float32)


def check(chunks: list[Chunk]) -> np.ndarray:
    gsr = [c for c in chunks if c.spec.name == "gsr"]
    ppg = [c for c in chunks if c.spec.name == "ppg"]
    assert [c.seq for c in gsr] == [c.seq for c in ppg]
    device_t = np.concatenate([c.device_t for c in gsr])
    want_gsr, want_ppg = expected(device_t)
    np.testing.assert_array_equal(np.concatenate([c.x[:, 0] for c in gsr]), want_gsr)
    np.testing.assert_array_equal(np.concatenate([c.x[:, 0] for c in ppg]), want_ppg)
    seqs = np.concatenate([c.seq + np.arange(len(c)) for c in gsr])
    # seq is the sample's place on the device's 128 Hz grid, so any jump is a real loss.
    np.testing.assert_array_equal(seqs - seqs[0], np.round((device_t - device_t[0]) * 128.0).astype(np.int64))
    return seqs


async def test_streams_gsr_and_ppg_in_inquiry_order_across_the_wrap(band: Band) -> None:
    band.plug()
    driver = make_driver(band)
    async with driver:
        assert driver.inquiry is not None and driver.inquiry.channels == (p.CH_PPG_A13, p.CH_GSR)
        assert driver.battery_v == pytest.approx(2650 * 3.0 / 4095 * 1.988)
        chunks, events = await take(driver, 320)
    seqs = check(chunks)
    np.testing.assert_array_equal(seqs, np.arange(len(seqs)))  # unbroken
    device_t = np.concatenate([c.device_t for c in chunks if c.spec.name == "gsr"])
    assert device_t[0] < 512.0 < device_t[-1]  # the 24-bit tick count wrapped mid-stream and was unwrapped
    assert events == []
    t = np.concatenate([c.t for c in chunks if c.spec.name == "gsr"])
    assert np.all(np.diff(t) > 0)


async def test_line_noise_costs_only_packets_beside_it_and_nothing_is_misreported(band: Band) -> None:
    emu = band.plug()
    emu.garbage_every = 6
    driver = make_driver(band)
    async with driver:
        chunks, _ = await take(driver, 200)
    seqs = check(chunks)  # every value delivered is right for its place in time
    assert emu.garbage_inserted >= 20
    missing = int(seqs[-1] - seqs[0] + 1 - len(seqs))  # check() proved each seq jump is a real loss
    # The counter also covers packets decoded after the last chunk the test took, hence >=.
    assert driver.counters["missing_samples"] >= missing
    assert missing <= emu.garbage_inserted  # at most the packet just before each burst


async def test_electrodes_off_is_reported_then_cleared(band: Band) -> None:
    emu = band.plug()
    driver = make_driver(band)
    async with driver:
        await take(driver, 20)
        emu.electrodes_off = True
        _, off = await take(driver, 30)
        emu.electrodes_off = False
        _, on = await take(driver, 30)
    assert [(q.stream, q.ok) for q in off] == [("gsr", False)]
    assert [(q.stream, q.ok) for q in on] == [("gsr", True)]


async def test_unplug_raises_disconnect_and_replug_reconnects(band: Band) -> None:
    band.plug()
    driver = make_driver(band)
    async with driver:
        first, _ = await take(driver, 30)
        await band.unplug()
        with pytest.raises(DeviceDisconnected):
            await take(driver, 10_000, timeout_s=10)
    with pytest.raises(DeviceNotFound):
        async with driver:
            pass
    band.plug()
    async with driver:
        after, _ = await take(driver, 30)
    assert after[0].seq >= first[-1].next_seq
    check(after)


def test_plugin_descriptor_loads_the_driver() -> None:
    assert SHIMMER_GSR.load() is ShimmerDriver
    ShimmerOptions(**SHIMMER_GSR.example)
