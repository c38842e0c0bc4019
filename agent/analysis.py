"""The analysis stage: chunks and device events in, one decision per tick out.

Ticks follow the data's own clock (the newest sample time seen), not the
wall clock, so replaying a recording as fast as possible gives exactly the
decisions real time would. Each tick's feature vector goes to the policy,
and the resulting :class:`Decision` to every sink, synchronously and in
order; sinks must not block (the VR link writes without waiting, the
summaries only enqueue).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Protocol

from agent.adaptation import Adaptation
from agent.events import DeviceEvent
from agent.features import FeatureExtractor, FeatureVector
from agent.stream import Chunk
from agent.supervisor import Reading


class Policy(Protocol):
    """Turns each tick's feature vector into an Adaptation (``agent.policy``; training records instead)."""

    def update(self, fv: FeatureVector) -> Adaptation: ...


@dataclass(frozen=True, slots=True)
class Decision:
    features: FeatureVector
    adaptation: Adaptation


class Analysis:
    def __init__(
        self,
        extractor: FeatureExtractor,
        policy: Policy,
        *,
        on_decision: list[Callable[[Decision], None]] | None = None,
        on_event: list[Callable[[DeviceEvent], None]] | None = None,
    ) -> None:
        self.extractor = extractor
        self.policy = policy
        self.on_decision = list(on_decision or [])
        self.on_event = list(on_event or [])
        self.latest: Decision | None = None
        self.ticks = 0
        # Seconds from a tick's last chunk arriving here to every sink done (the VR frame written):
        # the latency budget scripts/bench reports.
        self.latencies_s: deque[float] = deque(maxlen=10_000)
        self._next_tick: float | None = None

    def feed(self, reading: Reading) -> None:
        if not isinstance(reading, Chunk):
            self.extractor.event(reading)
            for sink in self.on_event:
                sink(reading)
            return
        if not len(reading):
            return
        arrived = time.perf_counter()
        self.extractor.push(reading)
        newest = float(reading.t[-1])
        period = self.extractor.tick_period_s
        if self._next_tick is None or self._next_tick < newest - 10 * period:
            self._next_tick = newest  # the first data, or after a long silence: do not replay every missed tick
        while newest >= self._next_tick:
            self._tick(self._next_tick)
            self._next_tick += period
            self.latencies_s.append(time.perf_counter() - arrived)

    def _tick(self, t: float) -> None:
        decision = Decision(features := self.extractor.tick(t), self.policy.update(features))
        self.ticks += 1
        self.latest = decision
        for sink in self.on_decision:
            sink(decision)
