"""When each injected fault is active, in scenario time."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from drivers.simulated.options import FaultKind, SimulatedOptions


@dataclass(frozen=True, slots=True)
class Window:
    kind: FaultKind
    start: float
    end: float


class FaultSchedule:
    """The fault windows of one device: the explicit list plus repeated disconnects."""

    def __init__(
        self, windows: list[Window], disconnect_every_s: float | None = None, disconnect_for_s: float = 0.0
    ) -> None:
        self._windows = sorted(windows, key=lambda w: w.start)
        self._every = disconnect_every_s
        self._for = disconnect_for_s

    @classmethod
    def from_options(cls, options: SimulatedOptions) -> FaultSchedule:
        windows = [Window(f.kind, f.at_s, f.end_s) for f in options.faults]
        return cls(windows, options.disconnect_every_s, options.disconnect_for_s)

    @property
    def empty(self) -> bool:
        return not self._windows and self._every is None

    def windows(self, kind: FaultKind, s0: float, s1: float) -> list[Window]:
        """The windows of ``kind`` that overlap [s0, s1]."""
        out = [w for w in self._windows if w.kind is kind and w.start <= s1 and w.end > s0]
        if kind is FaultKind.DISCONNECT and self._every is not None:
            n0 = max(1, math.floor((s0 - self._for) / self._every))
            n = n0
            while n * self._every <= s1:
                start = n * self._every
                if start + self._for > s0:
                    out.append(Window(kind, start, start + self._for))
                n += 1
            out.sort(key=lambda w: w.start)
        return out

    def active(self, kind: FaultKind, s: float) -> Window | None:
        """The window of ``kind`` that contains ``s``, if any (the one ending last)."""
        hits = [w for w in self.windows(kind, s, s) if w.start <= s < w.end]
        return max(hits, key=lambda w: w.end) if hits else None

    def next_start(self, kind: FaultKind, s: float) -> float:
        """The start of the first window of ``kind`` that starts at or after ``s`` (inf if none)."""
        starts = [w.start for w in self._windows if w.kind is kind and w.start >= s]
        if kind is FaultKind.DISCONNECT and self._every is not None:
            starts.append(max(1, math.ceil(s / self._every)) * self._every)
        return min(starts, default=math.inf)

    def mask(self, kind: FaultKind, s: np.ndarray) -> np.ndarray | None:
        """Which of the times ``s`` lie in a window of ``kind``; None when none do."""
        if self.empty or s.size == 0:
            return None
        hit = None
        for w in self.windows(kind, float(s[0]), float(s[-1])):
            m = (s >= w.start) & (s < w.end)
            hit = m if hit is None else hit | m
        return hit if hit is not None and hit.any() else None
