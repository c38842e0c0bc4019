"""Movement from an accelerometer, as a quality gate for the cardiac and EDA groups.

Movement corrupts wrist PPG and shifts skin conductance, and in the lab
datasets it is part of the stressor itself (the TSST is spoken standing up):
as a stress feature it would teach the model something that never happens in
a VR session. So movement never votes; it only lowers the quality of the
groups measured on the same device, so a walking patient gets *hold* rather
than an alarm. The level is the spread of the acceleration's magnitude over
the last ``window_s``: near 0.01 g sitting still, 0.2-0.3 g walking.
"""

from __future__ import annotations

import numpy as np

from agent.base.events import Gap, Quality
from agent.base.stream import Chunk
from agent.core.signals.ring import TimedRing

STILL_G = 0.05  # below this spread the signals are fully trusted
MOVING_G = 0.25  # at this spread and above they are not trusted at all


def _sd(v: np.ndarray) -> float:
    """``np.std(v)``, bit for bit: the same ufuncs in the same order, without its Python wrapper (half the
    time: 4.5 against 9 µs over 10 s at 32 Hz, once a second per device)."""
    n = v.size
    x = v - np.add.reduce(v, axis=None, keepdims=True) / n
    np.multiply(x, x, out=x)
    return float(np.sqrt(np.add.reduce(x, axis=None) / n))


class MotionProcessor:
    def __init__(self, rate_hz: float, window_s: float = 10.0) -> None:
        self.window_s = window_s
        self._ring = TimedRing(int(rate_hz * window_s * 2) + 16, 1)
        # the cardiac and EDA groups of one device ask at the same tick: one answer serves both
        self._asked: tuple[tuple[int, int], float, float | None] | None = None

    def push(self, chunk: Chunk) -> None:
        self.push_samples(chunk.t, chunk.x, chunk.seq)

    def push_samples(self, t: np.ndarray, x: np.ndarray, seq: int | None = None) -> None:
        a = np.asarray(x, dtype=np.float64)
        mag = np.sqrt(np.add.reduce(a * a, axis=1))  # np.sum(a**2, axis=1) without its wrappers: the same bits
        ok = np.isfinite(mag) & (mag < 64.0)  # a dropped or saturated sample says nothing about movement
        self._ring.push(np.asarray(t, dtype=np.float64)[ok], mag[ok])

    def gap(self, ev: Gap) -> None:
        self._ring.clear()  # movement before a gap says nothing about after it

    def device_quality(self, ev: Quality) -> None:
        return None

    def level(self, t: float) -> float | None:
        """Spread (sd, g) of the acceleration's magnitude over the window ending at ``t``."""
        if self._asked is not None and self._asked[:2] == (self._ring.version, t):
            return self._asked[2]
        _, v = self._ring.window(t - self.window_s, t)
        level = _sd(v) if v.shape[0] >= 4 else None
        self._asked = (self._ring.version, t, level)
        return level

    def factor(self, t: float) -> float:
        """How much the same device's other signals may be trusted: 1 still, 0 moving."""
        level = self.level(t)
        if level is None:
            return 1.0
        return min(1.0, max(0.0, (MOVING_G - level) / (MOVING_G - STILL_G)))
