"""A real outlet in another process: names, values and times arrive intact."""

from __future__ import annotations

import itertools
import time

import numpy as np
import pytest

from agent.base.clock import Clock
from agent.base.stream import Chunk, Modality
from drivers.lsl.layout import MUSE_LABELS
from drivers.lsl.lib import pylsl
from drivers.lsl.sources import MONTAGE_10_20, Signal, load_muse_csv, recording_path, synthetic_eeg
from tests.drivers.lsl.outlets import unique
from tests.drivers.lsl.streams import chunks_of, find_start, lsl_driver, read_until, samples

RATE = 256.0


def lsl_to_agent_offset(clock: Clock) -> float:
    """agent − LSL time, read back to back (both are this machine's monotonic clock)."""
    pairs = [(clock.now() - pylsl.local_clock()) for _ in range(5)]
    return float(np.median(pairs))


@pytest.mark.parametrize(
    ("source", "args", "name", "expected", "scale"),
    [
        ("muse-recording", ["--file", "subjecta-relaxed-1"], "Muse",
         lambda: load_muse_csv(recording_path("subjecta-relaxed-1")), 1.0),
        ("synthetic-8ch", ["--channels", "8", "--seed", "3"], "SimEEG",
         lambda: synthetic_eeg(8, RATE, seed=3), 1.0),
        ("synthetic-millivolts", ["--channels", "4", "--seed", "5", "--unit", "millivolts"], "SimEEG",
         lambda: synthetic_eeg(4, RATE, seed=5), 1000.0),
    ],
)  # fmt: skip
async def test_samples_arrive_with_channel_names_values_and_agent_times(outlets, source, args, name, expected, scale):
    signal: Signal = expected()
    sid = unique(source)
    outlet = outlets(*args, "--source-id", sid)
    clock = Clock()
    arrivals: dict[int, float] = {}

    def arrived(item: object) -> None:
        if isinstance(item, Chunk):
            arrivals[item.seq] = clock.now()

    async with lsl_driver(clock=clock, name=name, source_id=sid) as driver:
        items = await read_until(driver.chunks(), lambda seen: samples(seen) >= RATE, on_item=arrived)
    offset = lsl_to_agent_offset(clock)

    assert all(isinstance(i, Chunk) for i in items), f"a healthy stream has no quality events: {items}"
    chunks = chunks_of(items)
    spec = chunks[0].spec
    assert spec.channels == signal.labels
    if source == "muse-recording":
        assert spec.channels == MUSE_LABELS
    else:
        assert spec.channels == MONTAGE_10_20[: len(signal.labels)]
    assert (spec.modality, spec.unit, spec.rate_hz) == (Modality.EEG, "µV", RATE)
    assert all(b.seq == a.next_seq for a, b in itertools.pairwise(chunks)), "an unbroken stream has contiguous seq"

    # Values: exactly the published samples (times the unit's factor), in order.
    x = np.concatenate([c.x for c in chunks])
    k = find_start(signal.samples * np.float32(scale), x)

    # Times: sample i of the outlet is stamped t0 + i / rate on its clock; on the
    # agent clock it must sit at the same instant, within LSL's own jitter.
    t = np.concatenate([c.t for c in chunks])
    index = k + np.concatenate([c.seq + np.arange(len(c)) for c in chunks]) - chunks[0].seq
    sent_at = outlet.ready["t0"] + index / RATE
    error_s = np.abs(t - (sent_at + offset)).max()
    assert error_s < 0.5e-3, f"agent times off the outlet's by {error_s * 1e6:.0f} µs"  # 1/8 of a sample period
    device_t = np.concatenate([c.device_t for c in chunks])
    assert np.abs(device_t - sent_at).max() < 0.5e-3
    # And each chunk arrived after its last sample was taken, promptly.
    for c in chunks[1:]:  # the first one is the backlog the outlet had before we connected
        latency = arrivals[c.seq] - float(c.t[-1])
        assert 0.0 <= latency < 0.25, f"chunk {c.seq} arrived {latency * 1e3:.1f} ms after its last sample"


async def test_chunks_are_read_only_and_owned(outlets):
    """Each chunk has its own arrays (the pull buffer is reused), and nobody can change them."""
    sid = unique("owned")
    outlets("--channels", "2", "--source-id", sid)
    async with lsl_driver(source_id=sid) as driver:
        items = await read_until(driver.chunks(), lambda seen: len(chunks_of(seen)) >= 6)
    chunks = chunks_of(items)
    before = [c.x.copy() for c in chunks]
    assert all(np.array_equal(a, c.x) for a, c in zip(before, chunks, strict=True))
    assert len({id(c.x.base if c.x.base is not None else c.x) for c in chunks}) == len(chunks)
    with pytest.raises(ValueError):
        chunks[0].x[0, 0] = 1.0


def test_simulator_runs_for_its_duration_and_says_so(outlets):
    start = time.monotonic()
    outlet = outlets("--channels", "1", "--duration", "0.5", "--source-id", unique("duration"))
    done = outlet.finish()
    assert done == {"event": "done", "samples": int(0.5 * RATE)}
    assert time.monotonic() - start >= 0.5
