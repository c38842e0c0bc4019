"""Exponential backoff with jitter, for reconnect loops.

Jitter spreads reconnects so that devices (and a fleet of agents after a
broker outage) do not retry in lock-step. The random generator is injected,
never the global one, so tests are reproducible.
"""

from __future__ import annotations

import random


class Backoff:
    def __init__(
        self,
        initial_s: float,
        max_s: float,
        *,
        factor: float = 2.0,
        jitter: float = 0.2,
        rng: random.Random | None = None,
    ) -> None:
        if not 0 < initial_s <= max_s:
            raise ValueError(f"backoff needs 0 < initial_s <= max_s, got {initial_s}, {max_s}")
        if not 0 <= jitter < 1:
            raise ValueError(f"backoff jitter must be in [0, 1), got {jitter}")
        self.initial_s = initial_s
        self.max_s = max_s
        self.factor = factor
        self.jitter = jitter
        self._rng = rng or random.Random()
        self.attempt = 0

    def next_delay(self) -> float:
        """The delay before the next attempt; each call backs off further."""
        base = min(self.max_s, self.initial_s * self.factor ** min(self.attempt, 62))  # no float overflow after days down
        self.attempt += 1
        return base * (1 - self.jitter + 2 * self.jitter * self._rng.random())

    def reset(self) -> None:
        self.attempt = 0
