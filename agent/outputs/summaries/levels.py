"""Time at each adaptation level, integrated exactly across window boundaries.

An adaptation is in force from its ``t`` until the next one, or until its
``ttl_s`` runs out (the app then falls back to neutral, which counts as no
level at all).
"""

from __future__ import annotations

from agent.base.adaptation import Adaptation, Level


class LevelTime:
    def __init__(self) -> None:
        self._level: Level | None = None
        self._until = 0.0
        self._t: float | None = None

    def advance(self, t: float) -> dict[Level, float]:
        """Seconds spent at each level since the last call (or adaptation), up to ``t``."""
        out: dict[Level, float] = {}
        if self._t is not None and self._level is not None and t > self._t:
            spent = min(t, self._until) - self._t
            if spent > 0:
                out[self._level] = spent
        if self._t is None or t > self._t:
            self._t = t
        return out

    def in_force(self, t: float) -> bool:
        return self._level is not None and self._until > t

    def set(self, a: Adaptation) -> dict[Level, float]:
        """Account time up to ``a.t``, then put ``a`` in force."""
        spent = self.advance(a.t)
        self._level, self._until, self._t = a.level, a.t + a.ttl_s, a.t
        return spent


def add_into(total: dict[Level, float], part: dict[Level, float]) -> None:
    for level, s in part.items():
        total[level] = total.get(level, 0.0) + s
