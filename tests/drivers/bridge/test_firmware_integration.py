"""The bridge driver against the C reference firmware, over real pseudo-terminals."""

from __future__ import annotations

import asyncio
from pathlib import Path

import numpy as np
import pytest

from agent.base.clock import Clock
from agent.base.driver import DriverContext, bound_logger
from agent.base.stream import Chunk, Modality
from agent.errors import ConfigError, DeviceDisconnected, DeviceNotFound
from drivers.bridge.driver import BridgeDriver
from drivers.bridge.plugin import BRIDGE, BridgeOptions

from .conftest import FirmwareDevice, expected_us, recording_ns
from .noisy_line import NoisyLine

RATE = 128.0


def make_driver(port: Path, **opts: object) -> BridgeDriver:
    clock = Clock()
    options = BridgeOptions(**{"port": str(port), "rate_hz": RATE, "reply_timeout_s": 0.5, **opts})
    return BridgeDriver(options, DriverContext("gsr-band", clock, bound_logger("gsr-band")))


async def take(driver: BridgeDriver, n_samples: int, timeout_s: float = 15.0) -> list[Chunk]:
    got: list[Chunk] = []

    async def run() -> None:
        async for item in driver.chunks():
            if isinstance(item, Chunk):
                got.append(item)
                if sum(len(c) for c in got) >= n_samples:
                    return

    await asyncio.wait_for(run(), timeout_s)
    return got


def check_values(chunks: list[Chunk], tick_offset: int) -> None:
    """Every sample is what the firmware's ADC read at the time the device says it took it."""
    device_t = np.concatenate([c.device_t for c in chunks])
    x = np.concatenate([c.x[:, 0] for c in chunks])
    elapsed_us = np.round(device_t * 1e6).astype(np.int64) - tick_offset
    np.testing.assert_array_equal(x, expected_us(recording_ns(), elapsed_us))


async def test_streams_the_recording_exactly_across_the_tick_wrap(firmware: FirmwareDevice) -> None:
    firmware.plug()
    driver = make_driver(firmware.port.link)
    async with driver:
        assert driver.hello is not None and driver.hello.rate_hz == RATE
        assert [s.modality for s in driver.specs] == [Modality.EDA] and driver.specs[0].unit == "uS"
        chunks = await take(driver, int(RATE * 1.5))
        now = driver.ctx.clock.now()
    seqs = np.concatenate([c.seq + np.arange(len(c)) for c in chunks])
    np.testing.assert_array_equal(seqs, np.arange(seqs.shape[0]))  # unbroken stream
    check_values(chunks, firmware.tick_offset)
    device_t = np.concatenate([c.device_t for c in chunks])
    assert device_t[-1] * 1e6 > 2**32  # the uint32 tick counter wrapped and was unwrapped
    period_us = np.diff(device_t) * 1e6
    assert np.all(np.abs(period_us - 1e6 / RATE) <= 1.0)  # 7812 or 7813 µs, never a wrap-sized jump
    t = np.concatenate([c.t for c in chunks])
    assert np.all(np.diff(t) > 0) and t[-1] <= now  # agent time: increasing, and never in the future
    assert driver.stats()["rejected"] == {}


async def test_line_noise_loses_only_the_frames_it_touched(firmware: FirmwareDevice, tmp_path: Path) -> None:
    firmware.plug()
    line = NoisyLine(firmware.port, tmp_path / "noisy0")
    line.start()
    try:
        driver = make_driver(line.host_link)
        async with driver:
            chunks = await take(driver, int(RATE * 2.5))
    finally:
        line.stop()
    assert line.damaged_frames >= 8
    delivered_stream = np.concatenate([c.seq + np.arange(len(c)) for c in chunks])
    # The first frames are never damaged, so stream seq 0 is the first device seq forwarded.
    first_device_seq = min(line.forwarded)
    delivered = set((delivered_stream + first_device_seq).tolist())
    span = range(min(delivered), max(delivered) + 1)
    assert delivered == {s for s in span if s in line.forwarded}  # every intact sample, nothing invented
    assert not delivered & line.destroyed
    lost_in_span = {s for s in span if s in line.destroyed}
    # Each loss is a seq jump (checked exactly above); the counter also covers frames decoded
    # after the last chunk the test took, hence >=.
    assert driver.counters["missing_samples"] >= len(lost_in_span)
    check_values(chunks, firmware.tick_offset)  # nothing misreported
    stats = driver.stats()
    assert sum(stats["rejected"].values()) >= line.damaged_frames


async def test_unplug_raises_disconnect_and_replug_reconnects(firmware: FirmwareDevice) -> None:
    firmware.plug()
    driver = make_driver(firmware.port.link)
    before: list[Chunk] = []

    async def stream() -> None:
        async for item in driver.chunks():
            if isinstance(item, Chunk):
                before.append(item)

    async with driver:
        task = asyncio.create_task(stream())
        await wait_for_samples(before, 40)
        firmware.unplug()  # the firmware exits: the pty master closes under the driver
        with pytest.raises(DeviceDisconnected):
            await asyncio.wait_for(task, 10)

    with pytest.raises(DeviceNotFound):  # what the supervisor sees while it is unplugged
        async with driver:
            pass

    firmware.plug()
    async with driver:  # the same driver instance, as the supervisor reuses it
        after = await take(driver, 40)
    assert after[0].seq >= before[-1].next_seq  # the stream's seq carries on, never back
    check_values(after, firmware.tick_offset)


async def wait_for_samples(chunks: list[Chunk], n: int, timeout_s: float = 10.0) -> None:
    async def poll() -> None:
        while sum(len(c) for c in chunks) < n:
            await asyncio.sleep(0.01)

    await asyncio.wait_for(poll(), timeout_s)


async def test_a_rate_the_band_refuses_is_a_config_error(firmware: FirmwareDevice) -> None:
    firmware.plug()
    driver = make_driver(firmware.port.link, rate_hz=0.5)  # the firmware's floor is 1 Hz
    with pytest.raises(ConfigError, match="rate_hz"):
        async with driver:
            pass


async def test_missing_port_is_device_not_found(tmp_path: Path) -> None:
    with pytest.raises(DeviceNotFound):
        async with make_driver(tmp_path / "nothing-here"):
            pass


def test_plugin_descriptor_loads_the_driver() -> None:
    assert BRIDGE.load() is BridgeDriver
    BridgeOptions(**BRIDGE.example)
