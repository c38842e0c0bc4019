"""The consumer side of the readings queue: one task that hands every
reading, in order, to the processing stages.

Stages are plain synchronous objects with ``feed(reading)``; nothing
downstream calls back upstream. Taps are bounded copies of the stream for
observers (the live view, tests) that must never slow the pipeline.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Protocol

from agent.base.queues import BoundedQueue, Overflow, QueueClosed
from agent.base.session import SessionEvent
from agent.base.stream import Chunk
from agent.runtime.supervisor import Reading as DeviceReading

Reading = DeviceReading | SessionEvent  # what flows from the supervisor and the VR app to the core


class Stage(Protocol):
    def feed(self, reading: Reading) -> None: ...


class Pipeline:
    def __init__(self, readings: BoundedQueue[Reading], stages: list[Stage] | None = None) -> None:
        self.readings = readings
        self.stages = list(stages or [])
        self.taps: list[BoundedQueue[Reading]] = []
        self.processed = 0
        self.recorded_s: dict[tuple[str, str], float] = defaultdict(float)  # signal time seen per stream

    def tap(self, name: str, capacity: int = 4096) -> BoundedQueue[Reading]:
        q: BoundedQueue[Reading] = BoundedQueue(f"tap:{name}", capacity, Overflow.DROP_OLDEST)
        self.taps.append(q)
        return q

    def feed(self, reading: Reading) -> None:
        self.processed += 1
        if isinstance(reading, Chunk) and len(reading):
            rate = reading.spec.rate_hz
            span = len(reading) / rate if rate else float(reading.t[-1] - reading.t[0])
            self.recorded_s[reading.stream_key] += span
        for stage in self.stages:
            stage.feed(reading)
        for tap in self.taps:
            tap.put(reading)

    async def run(self) -> None:
        while True:
            try:
                reading = await self.readings.get()
            except QueueClosed:
                return
            self.feed(reading)
