"""The supervisor's promises, provoked on purpose with a scripted device."""

from __future__ import annotations

import asyncio
import random

from agent.base.clock import Clock
from agent.base.events import Connected, Disconnected, Gap
from agent.base.queues import BoundedQueue, Overflow
from agent.base.stream import Chunk
from agent.runtime.status import DeviceState
from agent.runtime.supervisor import DeviceSpec, Supervisor, SupervisorOptions
from tests.support.scripted import MISSING_LIBRARY, SCRIPTED, ScriptedOptions
from tests.support.waiting import collect, until

FAST = SupervisorOptions(backoff_initial_s=0.2, backoff_max_s=1.0, first_chunk_timeout_s=2.0, stall_floor_s=0.5)


def device(device_id: str, **options: object) -> DeviceSpec:
    return DeviceSpec(device_id, SCRIPTED, ScriptedOptions.model_validate(options))


async def run_with(devices: list[DeviceSpec], options: SupervisorOptions = FAST, capacity: int = 4096):
    out: BoundedQueue = BoundedQueue("readings", capacity, Overflow.DROP_OLDEST)
    sup = Supervisor(devices, clock=Clock(speed=10), options=options, out=out, rng=random.Random(1))
    task = asyncio.create_task(sup.run())
    return sup, out, task


async def stop(task: asyncio.Task) -> None:
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)


async def test_disconnecting_device_reconnects_with_events_while_others_stream():
    sup, out, task = await run_with(
        [device("flaky", sessions=("disconnect",), after=3), device("steady")]
    )
    try:
        seen = await collect(out, lambda items: sum(isinstance(i, Connected) and i.device_id == "flaky" for i in items) >= 4)
    finally:
        await stop(task)
    flaky = [i for i in seen if getattr(i, "device_id", None) == "flaky" and not isinstance(i, Chunk)]
    kinds = [type(e).__name__ for e in flaky]
    # connected, then for every drop: disconnected, (reconnect) connected, gap on the first chunk after.
    assert kinds[:4] == ["Connected", "Disconnected", "Connected", "Gap"]
    assert kinds.count("Disconnected") >= 3
    gaps = [e for e in flaky if isinstance(e, Gap)]
    assert all(g.cause == "reconnect" and g.t_end > g.t_start for g in gaps)
    # The driver keeps counting across reconnects, so the gap is measured in samples: none were lost
    # on the device side, the stream simply paused.
    assert all(g.missing is None for g in gaps)
    assert all(d.retry_in_s and d.retry_in_s > 0 for d in flaky if isinstance(d, Disconnected))
    # The steady device never stopped: its chunks are contiguous and it connected once.
    steady = [i for i in seen if isinstance(i, Chunk) and i.device_id == "steady"]
    assert len(steady) > 10
    assert all(b.seq == a.next_seq for a, b in zip(steady, steady[1:], strict=False))
    assert sup.status["steady"].connects == 1
    assert sup.status["flaky"].disconnects >= 3


async def test_sequence_jump_is_a_gap_with_the_missing_sample_count():
    _, out, task = await run_with([device("lossy", sessions=("skip",), after=2, chunk=5)])
    try:
        seen = await collect(out, lambda items: any(isinstance(i, Gap) for i in items))
    finally:
        await stop(task)
    gap = next(i for i in seen if isinstance(i, Gap))
    assert gap.cause == "sequence"
    assert gap.missing == 15
    assert gap.stream == "ramp"


async def test_silent_device_is_declared_stalled_and_reconnected():
    sup, out, task = await run_with([device("quiet", sessions=("stall", "forever"), after=6)])
    try:
        seen = await collect(out, lambda items: sum(isinstance(i, Connected) for i in items) >= 2)
    finally:
        await stop(task)
    drop = next(i for i in seen if isinstance(i, Disconnected))
    assert "DeviceStalled" in drop.reason
    assert sup.status["quiet"].connects == 2


async def test_driver_bug_is_contained_and_retried():
    sup, out, task = await run_with([device("buggy", sessions=("crash", "forever"), after=2), device("fine")])
    try:
        seen = await collect(out, lambda items: sum(isinstance(i, Connected) and i.device_id == "buggy" for i in items) >= 2)
    finally:
        await stop(task)
    drop = next(i for i in seen if isinstance(i, Disconnected))
    assert "driver error KeyError" in drop.reason
    fine = sup.status["fine"]
    assert (fine.connects, fine.disconnects) == (1, 0)
    assert fine.streams["ramp"].samples > 0


async def test_refused_connections_back_off_exponentially_then_connect():
    sup, out, task = await run_with([device("shy", refuse_connects=3)])
    try:
        await collect(out, lambda items: any(isinstance(i, Connected) for i in items))
    finally:
        await stop(task)
    assert sup.status["shy"].connects == 1
    assert sup.devices[0]._backoff.attempt == 3  # three refusals, three growing delays


async def test_missing_driver_library_is_unavailable_with_its_extra_while_others_run():
    broken = DeviceSpec("vendor-band", MISSING_LIBRARY, ScriptedOptions())
    sup, out, task = await run_with([broken, device("ok")])
    try:
        await collect(out, lambda items: sum(isinstance(i, Chunk) for i in items) >= 5)
    finally:
        await stop(task)
    status = sup.status["vendor-band"]
    assert status.state is DeviceState.UNAVAILABLE
    assert "vr-edge-agent[vendor]" in status.detail
    assert sup.status["ok"].connects == 1
    assert sup.status["ok"].state is DeviceState.STOPPED  # ran until we stopped it


async def test_recording_that_ends_is_finished_not_retried():
    sup, out, task = await run_with([device("tape", sessions=("end",), after=3)])
    await asyncio.wait_for(task, 10)
    assert sup.status["tape"].state is DeviceState.FINISHED
    assert sup.all_done()


async def test_slow_consumer_never_blocks_the_driver():
    # Nobody reads the queue: the device keeps streaming, the oldest readings are dropped and counted.
    sup, out, task = await run_with([device("fast", chunk=1)], capacity=16)
    try:
        await until(lambda: sup.status["fast"].streams.get("ramp") is not None and sup.status["fast"].streams["ramp"].samples > 60)
    finally:
        await stop(task)
    assert len(out) == 16
    assert out.dropped >= 60 - 16


async def test_setting_found_wrong_on_connect_stops_that_device_without_retrying():
    sup, out, task = await run_with([device("typo", channel="w"), device("ok")])
    try:
        await collect(out, lambda items: sum(isinstance(i, Chunk) for i in items) >= 3)
        await until(lambda: sup.status["typo"].state is DeviceState.MISCONFIGURED)
    finally:
        await stop(task)
    typo = sup.status["typo"]
    assert "does not exist on this device" in typo.detail
    assert sup.devices[0]._backoff.attempt == 0  # no retry loop


async def test_a_loose_strap_that_streams_between_drops_reconnects_at_once():
    # Each connection delivers 3 chunks (healthy_after_chunks) and drops: data proved the link, so
    # the backoff never grows, however often it flaps.
    sup, out, task = await run_with([device("strap", sessions=("disconnect",), after=3)])
    try:
        seen = await collect(out, lambda items: sum(isinstance(i, Disconnected) for i in items) >= 6)
    finally:
        await stop(task)
    delays = [i.retry_in_s for i in seen if isinstance(i, Disconnected)]
    assert all(d is not None and d <= FAST.backoff_initial_s * (1 + FAST.backoff_jitter) for d in delays), delays


async def test_a_link_that_drops_before_delivering_data_backs_off_further_each_time():
    sup, out, task = await run_with([device("dud", sessions=("disconnect",), after=1)])
    try:
        seen = await collect(out, lambda items: sum(isinstance(i, Disconnected) for i in items) >= 4)
    finally:
        await stop(task)
    delays = [i.retry_in_s for i in seen if isinstance(i, Disconnected)]
    low, high = 1 - FAST.backoff_jitter, 1 + FAST.backoff_jitter
    assert delays[2] > FAST.backoff_initial_s * high and delays[3] >= FAST.backoff_max_s * low, delays


async def test_a_starved_agent_does_not_blame_a_device_that_kept_streaming():
    """The whole process stops running for longer than the stall deadline (a CPU hog on the companion
    computer): on waking, the stall timer and the device's next chunk are due in the same loop turn.
    The device did nothing wrong, so it must not be disconnected, and no gap may be invented."""
    sup, out, task = await run_with([device("steady")])
    try:
        await collect(out, lambda items: sum(isinstance(i, Chunk) for i in items) >= 5)
        deadline_s = sup.devices[0]._cadence.deadline_s() / 10  # real seconds at speed 10
        starve_until = asyncio.get_running_loop().time() + 2 * deadline_s
        while asyncio.get_running_loop().time() < starve_until:
            pass  # the event loop gets no turn: what a starved process looks like from inside
        seen = await collect(out, lambda items: sum(isinstance(i, Chunk) for i in items) >= 10)
    finally:
        await stop(task)
    assert not [i for i in seen if isinstance(i, Disconnected | Gap)], seen
    assert sup.status["steady"].disconnects == 0 and sup.status["steady"].connects == 1
