"""Causal streaming filters whose state carries across chunks.

Every filter here computes each output sample with the same arithmetic
whatever the chunking, so it gives bit-identical output however a stream is
split. Filters start in the steady state for the first sample they see (the
causal twin of NeuroKit2's edge padding), so a signal with a DC offset does
not ring at start-up. No scipy: ``import scipy.signal`` alone costs ~60 MB
resident, most of the agent's 90 MB budget (docs/signals.md, "Memory").
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def sos_steady_state(sos: np.ndarray) -> np.ndarray:
    """Per-section states (sections, 2) for a unit step held forever: scipy's ``sosfilt_zi``.

    In direct form II transposed a section with steady output ``y`` for a
    constant input 1 holds ``z1 = b2 - a2 y`` and ``z0 = b1 + z1 - a1 y``;
    each section's constant input is the previous sections' DC gain.
    """
    zi = np.zeros((sos.shape[0], 2))
    scale = 1.0
    for s, (b0, b1, b2, a0, a1, a2) in enumerate(sos.tolist()):
        b0, b1, b2, a1, a2 = b0 / a0, b1 / a0, b2 / a0, a1 / a0, a2 / a0
        gain = (b0 + b1 + b2) / (1.0 + a1 + a2)
        z1 = b2 - a2 * gain
        zi[s] = (scale * (b1 + z1 - a1 * gain), scale * z1)
        scale *= gain
    return zi


def sos_block(sos: list[list[float]], zi: np.ndarray, x: list[float]) -> list[float]:
    """Runs ``x`` through the cascade, sample by sample, updating ``zi`` (sections, 2) in place.

    A Python loop, not scipy's ``sosfilt``: the edge memory budget rules out
    scipy (~60 MB), and the blocks filtered here are short (EDA: 4 to 128
    samples a second, at most 2 sections), so the loop costs microseconds.
    The operations are sosfilt's (direct form II transposed), in its order.
    """
    for s, (b0, b1, b2, _, a1, a2) in enumerate(sos):
        z0, z1 = float(zi[s, 0]), float(zi[s, 1])
        y = [0.0] * len(x)
        for i, xn in enumerate(x):
            yn = b0 * xn + z0
            z0 = b1 * xn - a1 * yn + z1
            z1 = b2 * xn - a2 * yn
            y[i] = yn
        zi[s, 0], zi[s, 1] = z0, z1
        x = y
    return x


class SosFilter:
    """A causal IIR filter (second-order sections, ``a0`` = 1 as designed) over ``channels`` columns."""

    def __init__(self, sos: np.ndarray | None, channels: int = 1) -> None:
        self.sos = sos
        self.channels = channels
        self._coef = None if sos is None else (sos / sos[:, 3:4]).tolist()
        self._zi_unit = None if sos is None else sos_steady_state(sos)  # for a unit step
        self._zi: list[np.ndarray] | None = None  # one (sections, 2) state per channel

    def reset(self) -> None:
        self._zi = None

    def __call__(self, x: npt.ArrayLike) -> np.ndarray:
        """Filter a block (n,) or (n, channels) along axis 0; returns float64 of the same shape."""
        a = np.asarray(x, dtype=np.float64)
        if self._coef is None or a.shape[0] == 0:
            return a.copy()
        assert self._zi_unit is not None
        a2 = a.reshape(a.shape[0], -1)
        if self._zi is None:  # steady state for a constant equal to the first sample
            self._zi = [self._zi_unit * v for v in a2[0].tolist()]
        y = np.empty_like(a2)
        for c in range(a2.shape[1]):
            y[:, c] = sos_block(self._coef, self._zi[c], a2[:, c].tolist())
        return y.reshape(a.shape)


class MovingAverage:
    """Causal boxcar of ``size`` samples from a running sum: O(1) per sample, no scipy call.

    The running sum is accumulated sequentially (``np.cumsum``), so outputs
    are bit-identical however the input is split. Its output lags a centred
    boxcar by ``(size - 1) // 2`` samples. Primed as if the first sample had
    always been there (NeuroKit2 pads edges the same way).
    """

    def __init__(self, size: int) -> None:
        self.size = max(1, int(size))
        self._hist: np.ndarray | None = None  # the last ``size`` running sums

    def reset(self) -> None:
        self._hist = None

    def __call__(self, x: npt.ArrayLike) -> np.ndarray:
        a = np.asarray(x, dtype=np.float64).reshape(-1)
        n, size = a.shape[0], self.size
        if n == 0:
            return a.copy()
        if self._hist is None:
            self._hist = -a[0] * np.arange(size - 1, -1, -1, dtype=np.float64)
        sums = np.empty(size + n)
        sums[:size] = self._hist
        sums[size - 1 :] = np.cumsum(np.concatenate((self._hist[-1:], a)))
        self._hist = sums[-size:].copy()
        return (sums[size:] - sums[:n]) / size


def moving_average(size: int) -> MovingAverage:
    return MovingAverage(size)


class Difference:
    """``(x[n] - x[n - lag]) * scale``; ``lag`` 2 and scale 0.5 is ``np.gradient`` lagged by one sample."""

    def __init__(self, lag: int, scale: float = 1.0) -> None:
        self._delay = Delay(lag)
        self.scale = scale

    def reset(self) -> None:
        self._delay.reset()

    def __call__(self, x: npt.ArrayLike) -> np.ndarray:
        a = np.asarray(x, dtype=np.float64).reshape(-1)
        return (a - self._delay(a)) * self.scale


class Delay:
    """Delays one column by ``n`` samples, primed with the first sample (like edge padding)."""

    def __init__(self, n: int) -> None:
        self.n = int(n)
        self._hist: np.ndarray | None = None

    def reset(self) -> None:
        self._hist = None

    def __call__(self, x: npt.ArrayLike) -> np.ndarray:
        a = np.asarray(x, dtype=np.float64).reshape(-1)
        if self.n == 0 or a.shape[0] == 0:
            return a.copy()
        if self._hist is None:
            self._hist = np.full(self.n, a[0])
        joined = np.concatenate((self._hist, a))
        self._hist = joined[-self.n :].copy()
        return joined[: a.shape[0]]


def causal_ma(a: np.ndarray, size: int) -> np.ndarray:
    """Causal boxcar means of ``a``: output ``k`` is the mean of ``a[k : k + size]``.

    The result is ``size - 1`` samples shorter than ``a`` and its last value
    belongs to the last input sample. Used on one block plus its history,
    where short cumulative sums stay exact enough (relative error ~1e-15).
    """
    if size <= 1:
        return a
    cs = np.cumsum(a)
    out = cs[size - 1 :].copy()
    out[1:] -= cs[: cs.shape[0] - size]
    out /= size
    return out


def tail(a: np.ndarray, n: int, lag: int = 0) -> np.ndarray:
    """The ``n`` values of ``a`` that end ``lag`` samples before its last value."""
    end = a.shape[0] - lag
    return a[end - n : end]
