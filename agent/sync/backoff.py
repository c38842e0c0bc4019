"""Exponential backoff with jitter, for reconnect loops."""

from __future__ import annotations

import random


class Backoff:
    """``initial * 2**n`` capped at ``maximum``, with "equal jitter": half fixed, half random.

    The fixed half keeps a broken broker from being hammered; the random
    half keeps a fleet of agents from reconnecting in lockstep after an
    outage.
    """

    def __init__(self, initial_s: float, maximum_s: float, rng: random.Random | None = None) -> None:
        self.initial_s = initial_s
        self.maximum_s = max(maximum_s, initial_s)
        self.failures = 0
        self._rng = rng or random.Random()

    def next_delay(self) -> float:
        ceiling = min(self.maximum_s, self.initial_s * 2.0 ** min(self.failures, 62))
        self.failures += 1
        return ceiling / 2 + self._rng.uniform(0.0, ceiling / 2)

    def reset(self) -> None:
        self.failures = 0
