"""The pull thread drops samples whose stamps no pulled sample can have, and says so once."""

from __future__ import annotations

import asyncio
import threading

import numpy as np

from agent.base.clock import Clock
from agent.base.stream import Chunk
from drivers.lsl.layout import StreamHeader, build_layout
from drivers.lsl.lib import pylsl
from drivers.lsl.reader import InletReader, StampsDropped
from drivers.lsl.timeline import Timeline

RATE = 256.0


class RecoveredInlet:
    """liblsl's inlet as one was seen right after recovering a stream by itself: between two runs of good
    stamps, a run hours out (a sample 5 h old pulled from a 10-s buffer). Stands in for the C library's
    blocking pull; once its pulls are spent it blocks as liblsl does, until the reader stops."""

    def __init__(self, stamps: list[np.ndarray]) -> None:
        self._stamps = stamps
        self.spent = threading.Event()

    def pull_chunk(self, timeout, max_samples, dest_obj, min_samples, as_numpy):  # noqa: ANN001 (pylsl's signature)
        if not self._stamps:
            self.spent.set()
            self.spent.wait(timeout)  # liblsl waits out the timeout when nothing comes
            return dest_obj[:0], []
        t = self._stamps.pop(0)
        dest_obj[: len(t)] = np.arange(len(t))[:, None]
        return dest_obj[: len(t)], list(t)


async def test_stamps_hours_out_are_dropped_and_the_count_runs_on_without_a_gap():
    now = pylsl.local_clock()
    good = now - 2.0 + np.arange(36) / RATE  # three Muse chunks of 12, the last 1.86 s old
    hours_out = now - 5 * 3600 + np.array([0.0, 0.004])  # from now, not from liblsl's zero: a machine just booted
    inlet = RecoveredInlet([good[:12], hours_out, good[12:24], good[24:]])
    layout = build_layout(StreamHeader("Muse", "EEG", "m", "host", 4, 1, RATE), labels=None, units=None)
    timeline = Timeline(RATE, jump_s=10 / RATE)
    got: list[object] = []
    done = asyncio.Event()

    def post(item: object) -> None:
        got.append(item)
        if sum(len(c) for c in got if isinstance(c, Chunk)) == 36:
            done.set()

    reader = InletReader(inlet, layout, timeline, device_id="eeg", clock=Clock(), loop=asyncio.get_running_loop(),
                         post=post, max_samples=64, max_age_s=15.0)
    reader.start()
    try:
        await asyncio.wait_for(done.wait(), timeout=10)
    finally:
        reader.stop()
        await asyncio.to_thread(reader.join, 5.0)
    # the oldest dropped stamp's age, against a clock the reader read after `now`
    assert isinstance(got[1], StampsDropped) and got[1].samples == 2 and got[1].age_s >= 5 * 3600
    chunks = [c for c in got if isinstance(c, Chunk)]
    assert [c.seq for c in chunks] == [0, 12, 24]  # no gap: the dropped run was never placed
    assert np.array_equal(np.concatenate([c.device_t for c in chunks]), good)
    assert (reader.dropped, timeline.gaps, sum(isinstance(x, StampsDropped) for x in got)) == (2, 0, 1)
