"""The live agent's side of the core: the supervisor's readings in, decisions to the sinks.

The core (:mod:`agent.core.engine`) decides a tick once every live stream has
delivered data past it. A stream that is late by more than
``[features] lateness_s`` must not hold the others back, so the agent calls
:meth:`Analysis.advance` with its clock once a tick period. Sinks run
synchronously and in order, and must not block (the VR link writes without
waiting, the summaries only enqueue). The frame sinks (the VR link) run as each
tick is decided; the other sinks once the arrival's ticks have all gone out, so
that a Polar H10 notification completing two ticks puts the second frame on the
socket without waiting for the first tick's summaries.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable, Iterable

from agent.base.events import DeviceEvent
from agent.base.session import SessionEvent
from agent.base.stream import Chunk
from agent.core.engine import Core, Decision
from agent.runtime.supervisor import Reading

__all__ = ["Analysis", "Decision"]


class Analysis:
    def __init__(
        self,
        core: Core,
        *,
        on_frame: list[Callable[[Decision], None]] | None = None,
        on_decision: list[Callable[[Decision], None]] | None = None,
        on_event: list[Callable[[DeviceEvent], None]] | None = None,
    ) -> None:
        self.core = core
        self.on_frame = list(on_frame or [])
        self.on_decision = list(on_decision or [])
        self.on_event = list(on_event or [])
        self.latest: Decision | None = None
        self.ticks = 0
        # Seconds from the reading that completed a tick arriving here to its frame sinks done
        # (the VR frame written): the latency budget scripts/bench reports.
        self.latencies_s: deque[float] = deque(maxlen=10_000)
        self.behind: deque[int] = deque(maxlen=10_000)  # per latency: the arrival's ticks decided before this one

    @property
    def lateness_s(self) -> float:
        return self.core.ticker.lateness_s

    def feed(self, reading: Reading | SessionEvent) -> None:
        arrived = time.perf_counter()
        if not isinstance(reading, Chunk | SessionEvent):
            for sink in self.on_event:
                sink(reading)
        self._emit(self.core.feed_lazily(reading), arrived)  # each frame goes before the next tick is worked on
        # then, between ticks: the samples that waited behind a tick, and what the next tick can compute ahead
        self.core.deliver_ahead()

    def advance(self, now: float) -> None:
        """Decide the ticks that late streams have held back for longer than ``lateness_s``, and those
        up to ``now`` whose data is all in (a strap alone sends its beats about once a second)."""
        started = time.perf_counter()
        self._emit(self.core.advance(now - self.lateness_s), started)
        self._emit(self.core.due(now), started)

    def finish(self) -> None:
        """The readings have ended (every recording played out): decide what is left."""
        self._emit(self.core.finish(), time.perf_counter())

    def _emit(self, decisions: Iterable[Decision], arrived: float) -> None:
        out: list[Decision] = []
        try:
            for decision in decisions:
                self.ticks += 1
                self.latest = decision
                for sink in self.on_frame:
                    sink(decision)
                self.latencies_s.append(time.perf_counter() - arrived)
                self.behind.append(len(out))
                out.append(decision)
        finally:  # what went out is summarised, even if a later tick of the arrival failed
            for decision in out:
                for sink in self.on_decision:
                    sink(decision)
