"""Local maxima and their topographic prominence, as ``scipy.signal.find_peaks`` defines them.

Written in numpy because ``import scipy.signal`` alone costs ~60 MB resident,
most of the agent's 90 MB budget (docs/signals.md, "Memory"). The regions
searched are short (one QRS complex or pulse wave), so the all-pairs
comparisons below are small matrices; a hypothesis test checks peaks,
prominences and bases against scipy on random data full of ties
(tests/agent/signals/test_scipy_free.py).
"""

from __future__ import annotations

import numpy as np


def local_maxima(x: np.ndarray) -> np.ndarray:
    """Indices of local maxima of a 1-D array; a flat top counts once, at its middle (left of two).

    A maximum must have a lower sample on each side: a plateau touching
    either end of the array is not one.
    """
    n = x.shape[0]
    if n < 3:
        return np.zeros(0, dtype=np.intp)
    starts = np.flatnonzero(np.concatenate(([True], x[1:] != x[:-1])))  # runs of equal values
    ends = np.concatenate((starts[1:], [n])) - 1
    v = x[starts]
    peak = np.zeros(v.shape[0], dtype=bool)
    peak[1:-1] = (v[1:-1] > v[:-2]) & (v[1:-1] > v[2:])
    return (starts[peak] + ends[peak]) // 2


def prominences(x: np.ndarray, peaks: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(prominences, left_bases, right_bases)`` of ``peaks`` in ``x``, over the whole array.

    From each peak the search runs outwards until a strictly higher sample
    or the array's end; the base on each side is that stretch's minimum (the
    one nearest the peak when it repeats), and the prominence is the peak's
    height above the higher of the two bases.
    """
    n = x.shape[0]
    if peaks.shape[0] == 0:
        empty = np.zeros(0, dtype=np.intp)
        return np.zeros(0), empty, empty
    idx = np.arange(n)
    h = x[peaks][:, None]
    p = peaks[:, None]
    higher = x[None, :] > h
    lo = np.where(higher & (idx < p), idx, -1).max(axis=1) + 1
    hi = np.where(higher & (idx > p), idx, n).min(axis=1) - 1
    left = (idx >= lo[:, None]) & (idx <= p)
    right = (idx >= p) & (idx <= hi[:, None])
    left_vals = np.where(left, x[None, :], np.inf)
    right_vals = np.where(right, x[None, :], np.inf)
    left_min = left_vals.min(axis=1)
    right_min = right_vals.min(axis=1)
    # the base nearest the peak: the last minimum on the left, the first on the right
    left_base = n - 1 - np.argmin(left_vals[:, ::-1], axis=1)
    right_base = np.argmin(right_vals, axis=1)
    return x[peaks] - np.maximum(left_min, right_min), left_base, right_base
