"""Stopping the outlet is a gap; starting it again resumes the stream.

The supervisor is the real one, so the Gap events here are the ones the
pipeline would get. Outlets are killed with SIGKILL: a crashed publisher or a
headset gone out of range, with no goodbye on the wire.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import threading
from collections.abc import Callable

import numpy as np

from agent.base.clock import Clock
from agent.base.events import Disconnected, Gap, Quality
from agent.base.queues import BoundedQueue, Overflow
from agent.base.stream import Chunk
from agent.runtime.supervisor import DeviceSpec, Reading, Supervisor, SupervisorOptions
from drivers.lsl.driver import JOIN_TIMEOUT_S
from drivers.lsl.plugin import LSL, LslOptions
from drivers.lsl.reader import InletReader
from drivers.lsl.sources import load_muse_csv, recording_path
from tests.drivers.lsl.outlets import Outlet, unique
from tests.drivers.lsl.streams import chunks_of, lsl_driver, read_until
from tests.support.waiting import collect

RATE = 256.0


async def supervise(options: LslOptions, supervisor: SupervisorOptions):
    out: BoundedQueue[Reading] = BoundedQueue("readings", 100_000, Overflow.DROP_OLDEST)
    sup = Supervisor(
        [DeviceSpec("eeg", LSL, options)], clock=Clock(), options=supervisor, out=out, rng=random.Random(1)
    )
    return out, asyncio.create_task(sup.run())


def after(kind: type, pred: Callable[[object], bool] = lambda e: True) -> Callable[[list], bool]:
    return lambda seen: any(isinstance(e, kind) and pred(e) for e in seen)


def samples_after(seen: list, event: object) -> int:
    tail = seen[seen.index(event) + 1 :] if event in seen else []
    return sum(len(c) for c in tail if isinstance(c, Chunk))


async def test_short_outage_is_a_gap_inside_one_connection(outlets):
    sid = unique("Muse")
    args = ("--file", "subjecta-neutral-1", "--source-id", sid)
    first = outlets(*args)
    # This test is about the driver's own loss handling: the supervisor's stall
    # timeout is set long enough that it does not step in first.
    out, task = await supervise(LslOptions(source_id=sid, loss_after_s=0.5), SupervisorOptions(stall_floor_s=15.0))
    try:
        seen = await collect(out, lambda s: sum(len(c) for c in s if isinstance(c, Chunk)) >= RATE / 2)
        last_before = [c for c in seen if isinstance(c, Chunk)][-1]
        killed_at = first.kill()
        seen += await collect(out, after(Quality, lambda q: not q.ok), timeout_s=10)
        second: Outlet = await asyncio.to_thread(outlets, *args)
        seen += await collect(
            out,
            lambda s: (
                (g := next((e for e in s if isinstance(e, Gap)), None)) is not None and samples_after(s, g) >= RATE / 4
            ),
            timeout_s=15,
        )
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    events = [e for e in seen if not isinstance(e, Chunk)]
    kinds = [type(e).__name__ for e in events]
    assert kinds == ["Connected", "Quality", "Quality", "Gap"], events  # no disconnect: the driver coped
    lost, back, gap = events[1], events[2], events[3]
    assert (lost.ok, back.ok) == (False, True)
    assert "lost" in lost.reason and lost.t - killed_at < 0.5 + 0.5  # loss_after_s, plus scheduling
    assert gap.cause == "sequence" and gap.stream == "eeg"
    # The gap spans the outage: from the last sample the first outlet sent to the
    # first one of the second, which did not exist before it started.
    chunks = [c for c in seen if isinstance(c, Chunk)]
    before = [c for c in chunks if c.t[-1] < gap.t_end]
    assert gap.t_start == float(before[-1].t[-1]) >= float(last_before.t[-1])
    assert gap.t_start < killed_at
    assert gap.t_end >= second.ready["t0"] - 1e-3
    # ... and counts the samples the nominal rate says were missed in it.
    assert gap.missing is not None
    assert abs(gap.missing - ((gap.t_end - gap.t_start) * RATE - 1)) <= 1
    # After it, the stream is unbroken again.
    resumed = [c for c in chunks if c.t[0] >= gap.t_end]
    assert all(b.seq == a.next_seq for a, b in itertools.pairwise(resumed))


async def test_the_loss_is_reported_before_the_pull_thread_is_stopped(outlets, monkeypatch):
    """Stopping the thread destroys its inlet, which joins liblsl's reconnecting thread and can
    take seconds: the EEG stops voting when the silence is noticed, not after that."""
    sid = unique("Muse")
    args = ("--file", "subjecta-neutral-1", "--source-id", sid)
    first = outlets(*args)
    reported, stopped_after_report = threading.Event(), []
    join = InletReader.join

    def join_once_reported(reader: InletReader, timeout_s: float) -> bool:
        # Holds the thread's stop until the loss has been seen (or for long enough to show it was not).
        stopped_after_report.append(reported.wait(timeout=JOIN_TIMEOUT_S))
        return join(reader, timeout_s)

    monkeypatch.setattr(InletReader, "join", join_once_reported)

    async def on_item(item: object) -> None:
        if isinstance(item, Quality) and not item.ok:
            reported.set()
            await asyncio.to_thread(outlets, *args)

    async with lsl_driver(source_id=sid, loss_after_s=0.5) as driver:
        await read_until(driver.chunks(), lambda seen: len(chunks_of(seen)) >= 2)
        first.kill()
        items = await read_until(
            driver.chunks(), lambda seen: any(isinstance(q, Quality) and q.ok for q in seen), on_item=on_item
        )
    qualities = [(q.ok, q.reason) for q in items if isinstance(q, Quality)]
    assert qualities == [(False, "lsl stream lost: no samples for 0.5 s"), (True, "lsl stream resumed")]
    assert stopped_after_report[0], "the loss's stop waited for the report"  # (the last stop is leaving)


async def test_long_outage_is_left_to_the_supervisor_and_the_count_carries_on(outlets):
    sid = unique("Muse")
    args = ("--file", "subjecta-neutral-2", "--source-id", sid)
    first = outlets(*args)
    options = LslOptions(source_id=sid, loss_after_s=0.3, resolve_timeout_s=0.5)
    fast = SupervisorOptions(stall_floor_s=1.0, backoff_initial_s=0.2, backoff_max_s=0.5)
    out, task = await supervise(options, fast)
    try:
        # Several chunks, so the supervisor has learned the cadence it will call a stall.
        seen = await collect(out, lambda s: sum(isinstance(c, Chunk) for c in s) >= 8)
        first.kill()
        seen += await collect(out, after(Disconnected), timeout_s=10)
        await asyncio.to_thread(outlets, *args)
        seen += await collect(out, after(Quality, lambda q: q.ok), timeout_s=15)
        seen += await collect(out, lambda s: any(isinstance(c, Chunk) for c in s), timeout_s=5)
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)

    events = [e for e in seen if not isinstance(e, Chunk)]
    kinds = [type(e).__name__ for e in events]
    # The all-clear comes with the first chunk back, and that chunk is what shows the gap.
    assert kinds == ["Connected", "Quality", "Disconnected", "Connected", "Quality", "Gap"], events
    lost, dropped, again, back, gap = events[1:]
    assert not lost.ok and back.ok
    assert "DeviceStalled" in dropped.reason
    assert again.attempt == 2
    assert gap.cause == "reconnect"
    # The driver instance outlived the connection and kept counting: the gap is in samples,
    # at least the stall time (1 s) of them.
    assert gap.missing is not None and gap.missing >= RATE * 1.0
    assert abs(gap.missing - ((gap.t_end - gap.t_start) * RATE - 1)) <= 1


async def test_after_a_loss_the_driver_waits_for_its_own_headset_not_another(outlets):
    """Two Muse headsets look alike but for their source_id: a lost one is never swapped silently."""
    name, mine, other = unique("Muse"), unique("MuseA"), unique("MuseB")  # one model name, two headsets
    mine_args = ("--file", "subjecta-relaxed-1", "--name", name, "--source-id", mine)
    first = outlets(*mine_args)
    recording = load_muse_csv(recording_path("subjecta-relaxed-1"))

    async def on_item(item: object) -> None:
        if isinstance(item, Quality) and not item.ok:
            # The other headset comes up first, then ours returns.
            await asyncio.to_thread(outlets, "--file", "subjectb-relaxed-1", "--name", name, "--source-id", other)
            await asyncio.to_thread(outlets, *mine_args)

    async with lsl_driver(name=name, loss_after_s=0.3) as driver:
        items = await read_until(driver.chunks(), lambda seen: len(chunks_of(seen)) >= 3)
        first.kill()
        items = await read_until(
            driver.chunks(),
            lambda seen: any(isinstance(q, Quality) and q.ok for q in seen) and len(chunks_of(seen)) >= 3,
            on_item=on_item,
        )
    resumed = np.concatenate([c.x for c in chunks_of(items)])
    # Every sample is our headset's. Not "one contiguous run": under load liblsl may still hand over
    # the lost outlet's buffered tail before the restarted one's head, both ours.
    ours = {row.tobytes() for row in np.ascontiguousarray(recording.samples, dtype=resumed.dtype)}
    theirs = load_muse_csv(recording_path("subjectb-relaxed-1")).samples.astype(resumed.dtype)
    assert sum(row.tobytes() in ours for row in theirs) < 0.01 * len(theirs)  # the check can tell them apart
    foreign = sum(row.tobytes() not in ours for row in resumed)
    assert foreign == 0, f"{foreign} of {len(resumed)} samples came from another headset"


async def test_a_stream_liblsl_cannot_recover_is_reported_at_once(outlets):
    """Without a source_id liblsl cannot recover a stream: it raises LostError, no need to wait."""
    name = unique("NoSourceId")
    args = ("--channels", "2", "--name", name, "--source-id", "")
    first = outlets(*args)
    killed: list[float] = []

    async def on_item(item: object) -> None:
        if isinstance(item, Quality) and not item.ok:
            await asyncio.to_thread(outlets, *args)

    async with lsl_driver(name=name, loss_after_s=10.0) as driver:
        await read_until(driver.chunks(), lambda seen: len(chunks_of(seen)) >= 2)
        killed.append(first.kill())
        items = await read_until(
            driver.chunks(), lambda seen: any(isinstance(q, Quality) and q.ok for q in seen), on_item=on_item
        )
    lost = next(q for q in items if isinstance(q, Quality) and not q.ok)
    assert "has been lost" in lost.reason
    assert lost.t - killed[0] < 10.0 / 2, "LostError, not the cadence timeout, reported it"
