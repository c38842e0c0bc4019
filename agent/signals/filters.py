"""Causal streaming filters whose state carries across chunks.

scipy's ``sosfilt``/``lfilter`` with an explicit state compute each output
sample with the same arithmetic whatever the chunking, so every filter here
gives bit-identical output however a stream is split. Filters start in the
steady state for the first sample they see (the causal twin of NeuroKit2's
edge padding), so a signal with a DC offset does not ring at start-up.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt
from scipy import signal as sps


def butter_sos(
    order: int, fs: float, *, low_hz: float | None = None, high_hz: float | None = None
) -> np.ndarray | None:
    """Butterworth SOS for a high-pass (``low_hz``), low-pass (``high_hz``) or band-pass (both).

    Returns None when no edge is below Nyquist (e.g. a 3 Hz low-pass on a
    4 Hz EDA stream): the caller then passes the signal through unfiltered.
    """
    nyq = fs / 2.0
    low = low_hz if low_hz is not None and 0 < low_hz < nyq * 0.95 else None
    high = high_hz if high_hz is not None and 0 < high_hz < nyq * 0.95 else None
    if low is not None and high is not None:
        return sps.butter(order, [low, high], btype="bandpass", output="sos", fs=fs)
    if low is not None:
        return sps.butter(order, low, btype="highpass", output="sos", fs=fs)
    if high is not None:
        return sps.butter(order, high, btype="lowpass", output="sos", fs=fs)
    return None


class SosFilter:
    """A causal IIR filter (second-order sections) over ``channels`` columns."""

    def __init__(self, sos: np.ndarray | None, channels: int = 1) -> None:
        self.sos = sos
        self.channels = channels
        self._zi_unit = None if sos is None else sps.sosfilt_zi(sos)  # (sections, 2), for a unit step
        self._zi: np.ndarray | None = None

    def reset(self) -> None:
        self._zi = None

    def __call__(self, x: npt.ArrayLike) -> np.ndarray:
        """Filter a block (n,) or (n, channels) along axis 0; returns float64 of the same shape."""
        a = np.asarray(x, dtype=np.float64)
        if self.sos is None or a.shape[0] == 0:
            return a.copy()
        squeeze = a.ndim == 1
        a2 = a.reshape(a.shape[0], -1)
        if self._zi is None:
            # steady state for a constant equal to the first sample: (sections, channels, 2)
            self._zi = self._zi_unit[:, None, :] * a2[0][None, :, None]
        y, self._zi = sps.sosfilt(self.sos, a2, axis=0, zi=self._zi.transpose(0, 2, 1))
        self._zi = self._zi.transpose(0, 2, 1)
        return y.reshape(-1) if squeeze else y


class FirFilter:
    """A causal FIR filter (``lfilter(b, 1)``) over one column, e.g. a moving average."""

    def __init__(self, b: npt.ArrayLike) -> None:
        self.b = np.asarray(b, dtype=np.float64)
        self._zi: np.ndarray | None = None

    def reset(self) -> None:
        self._zi = None

    def __call__(self, x: npt.ArrayLike) -> np.ndarray:
        a = np.asarray(x, dtype=np.float64).reshape(-1)
        if a.shape[0] == 0:
            return a.copy()
        if self.b.shape[0] == 1:
            return a * self.b[0]
        if self._zi is None:
            self._zi = sps.lfilter_zi(self.b, [1.0]) * a[0]
        y, self._zi = sps.lfilter(self.b, [1.0], a, zi=self._zi)
        return y


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


class Ema:
    """Exponential moving average with time constant ``tau_s`` at ``fs`` (sequential, so split-exact)."""

    def __init__(self, tau_s: float, fs: float) -> None:
        alpha = 1.0 - np.exp(-1.0 / (tau_s * fs))
        self._b = np.array([alpha])
        self._a = np.array([1.0, alpha - 1.0])
        self._zi: np.ndarray | None = None

    def reset(self) -> None:
        self._zi = None

    def __call__(self, x: npt.ArrayLike) -> np.ndarray:
        a = np.asarray(x, dtype=np.float64).reshape(-1)
        if a.shape[0] == 0:
            return a.copy()
        if self._zi is None:
            self._zi = sps.lfilter_zi(self._b, self._a) * a[0]
        y, self._zi = sps.lfilter(self._b, self._a, a, zi=self._zi)
        return y


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
