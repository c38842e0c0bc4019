"""The deterministic core: ordered, timestamped inputs in, one decision per tick out.

    chunks, device events, session events
        │  Ticker: per-stream FIFOs, a tick grid, watermarks (agent.core.ticker)
        ▼
    FeatureVector per tick
        │  Policy: baseline calibration → model → two-speed policy (agent.core.policy)
        ▼
    Decision {features, adaptation}

It is synchronous and owns no clock, no event loop and no I/O. The live
agent feeds it from the supervisor's queue (``agent.runtime.analysis``), ``edge-agent
replay`` from a merge of a recording's streams (``agent.replay``), and
training from the same replay (``models.extract``), so a figure computed
offline is what the agent would have decided.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Protocol

from agent.base.adaptation import Adaptation
from agent.base.session import SessionEvent
from agent.core.features import FeatureExtractor, FeatureVector
from agent.core.ticker import CoreInput, Tick, Ticker


class Policy(Protocol):
    """Turns each tick's feature vector into an Adaptation (``agent.core.policy``; training records instead)."""

    def session(self, event: SessionEvent) -> None: ...

    def update(self, fv: FeatureVector) -> Adaptation: ...


@dataclass(frozen=True, slots=True)
class Decision:
    features: FeatureVector
    adaptation: Adaptation


class Core:
    def __init__(self, extractor: FeatureExtractor, policy: Policy, *, watermarks: bool = True) -> None:
        self.ticker = Ticker(extractor, watermarks=watermarks)
        self.policy = policy

    @property
    def extractor(self) -> FeatureExtractor:
        return self.ticker.extractor

    def feed(self, item: CoreInput) -> list[Decision]:
        return list(self.feed_lazily(item))

    def feed_lazily(self, item: CoreInput) -> Iterator[Decision]:
        """:meth:`feed`, one decision at a time (:meth:`Ticker.feed_lazily`): the live agent's path."""
        return self._each(self.ticker.feed_lazily(item))

    def advance(self, until: float) -> list[Decision]:
        """Everything up to ``until`` is in: decide the ticks up to it."""
        return self.decide(self.ticker.advance(until))

    def due(self, now: float) -> list[Decision]:
        """The live agent's clock: decide the ticks up to ``now`` whose data is all in (Ticker.due)."""
        return self.decide(self.ticker.due(now))

    def deliver_ahead(self) -> None:
        """Off the latency path, once the decisions out are sent: see :meth:`Ticker.deliver_ahead`."""
        self.ticker.deliver_ahead()

    def finish(self) -> list[Decision]:
        return self.decide(self.ticker.finish())

    def decide(self, ticks: list[Tick]) -> list[Decision]:
        """The policy's half: also how training replays stored feature vectors."""
        return list(self._each(ticks))

    def _each(self, ticks: Iterable[Tick]) -> Iterator[Decision]:
        for tick in ticks:
            for event in tick.events:
                self.policy.session(event)
            yield Decision(tick.features, self.policy.update(tick.features))
