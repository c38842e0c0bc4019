"""Signal quality: an index in [0, 1] per stream, with the reasons behind it.

The index is the product of independent scores, each in [0, 1]:

- ``device``: 0 while the device itself reports a problem (a ``Quality``
  event with ok=False, e.g. a strap that lost skin contact), else 1;
- ``coverage``: the share of the quality window actually covered by samples
  (gaps and a stream that stopped both lower it);
- ``signal``: the share of recent blocks that passed the checks below;
- ``artifacts``: for beat streams, 1 - the share of corrected or dropped
  beats (a 20 % artifact rate gives 0.6, 50 % or more gives 0).

Block checks are scale-free where they can be, because devices disagree on
units (the reference ECG files are in mV, the Polar H10 in µV): a block is
*flat* when its standard deviation falls below 2 % of the stream's running
median one (or is exactly zero), *clipped* when at least 10 % of its samples sit
on its own maximum or minimum in runs of 3 or more while the rest of it
moves, and *noisy* by a per-modality rule supplied by the processor
(ECG: kurtosis of the first difference below 5, Li et al. 2008's kSQI;
EDA: RMS of the second difference above an absolute µS threshold).
"""

from __future__ import annotations

import enum
import math
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from agent.base.events import Quality
from agent.core.signals.ring import TimedRing, WindowCache


class BlockFlag(enum.IntFlag):
    CLEAN = 0
    FLAT = 1
    CLIPPED = 2
    NOISY = 4
    OUT_OF_RANGE = 8


@dataclass(frozen=True, slots=True)
class QualityReport:
    index: float  # 0 (unusable) .. 1 (clean)
    reasons: tuple[str, ...]  # why it is below 1, most important first; empty when clean

    @property
    def ok(self) -> bool:
        return self.index >= 0.5


NoiseCheck = Callable[[np.ndarray], bool]


def longest_run_share(block: np.ndarray, value: float, min_run: int) -> float:
    """Share of ``block`` that equals ``value`` in runs of at least ``min_run`` samples."""
    eq = block == value
    if not eq.any():
        return 0.0
    edges = np.flatnonzero(np.diff(np.concatenate(([False], eq, [False])).astype(np.int8)))
    runs = edges[1::2] - edges[::2]
    return float(runs[runs >= min_run].sum()) / block.shape[0]


class BlockChecker:
    """Flat / clipped / noisy / out-of-range checks of one channel's blocks."""

    def __init__(
        self,
        *,
        noisy: NoiseCheck | None = None,
        valid_range: tuple[float, float] | None = None,
        flat_ratio: float = 0.02,
        clip_share: float = 0.10,
        history: int = 120,
    ) -> None:
        self.noisy = noisy
        self.valid_range = valid_range
        self.flat_ratio = flat_ratio
        self.clip_share = clip_share
        self._spreads: deque[float] = deque(maxlen=history)
        self._typical_cache: float | None = None
        self._since_median = 0

    def _typical(self) -> float | None:
        if len(self._spreads) < 5:
            return None
        if self._typical_cache is None:
            self._typical_cache = float(np.median(np.fromiter(self._spreads, float)))
        return self._typical_cache

    def _clipped(self, block: np.ndarray, value: float) -> bool:
        eq = block == value
        count = int(np.count_nonzero(eq))
        # runs of 3 or more can only cover what equals the extreme at all: most blocks stop here
        if count < 3 or count / block.shape[0] < self.clip_share:
            return False
        return longest_run_share(block, value, 3) >= self.clip_share

    def check(self, block: np.ndarray) -> BlockFlag:
        flags = BlockFlag.CLEAN
        n = block.shape[0]
        if n < 4:
            return flags
        hi, lo = float(block.max()), float(block.min())
        dev = block - float(np.add.reduce(block)) / n
        spread = float(np.sqrt(np.dot(dev, dev) / n))
        typical = self._typical()
        if spread == 0.0 or (typical is not None and spread < self.flat_ratio * typical):
            flags |= BlockFlag.FLAT
        else:
            self._spreads.append(spread)  # only moving blocks teach what "typical" is
            self._since_median += 1
            if self._since_median >= 10:  # a median per block costs more than the block's checks
                self._typical_cache, self._since_median = None, 0
            if self._clipped(block, hi) or self._clipped(block, lo):
                flags |= BlockFlag.CLIPPED
            elif self.noisy is not None and self.noisy(block):
                flags |= BlockFlag.NOISY
        if self.valid_range is not None:
            lo_ok, hi_ok = self.valid_range
            # the median lies between the extremes: only a block reaching outside needs it
            if not (lo_ok <= lo and hi <= hi_ok):
                m = float(np.median(block))
                if not lo_ok <= m <= hi_ok:
                    flags |= BlockFlag.OUT_OF_RANGE
        return flags


def ecg_noisy(block: np.ndarray) -> bool:
    # np.diff and np.mean bit for bit (the same ufunc reductions, then one division by n) without their
    # Python wrappers: this runs on every ECG block, inside the tick that block completes
    d = block[1:] - block[:-1]
    n = d.shape[0]
    d = d - float(np.add.reduce(d)) / n
    var = float(np.add.reduce(d * d)) / n
    if var == 0.0:
        return False
    return float(np.add.reduce(d**4)) / n / (var * var) < 5.0


def eda_noisy(threshold_us: float) -> NoiseCheck:
    def check(block: np.ndarray) -> bool:
        d1 = block[1:] - block[:-1]
        d2 = d1[1:] - d1[:-1]  # np.diff(block, 2) without its per-call overhead (4 Hz blocks are 4 samples)
        return bool(np.sqrt(np.dot(d2, d2) / d2.shape[0]) > threshold_us)

    return check


_FLAG_REASONS = (
    (BlockFlag.FLAT, "flatline"),
    (BlockFlag.CLIPPED, "clipping"),
    (BlockFlag.NOISY, "noise"),
    (BlockFlag.OUT_OF_RANGE, "out of range"),
)


class StreamQuality:
    """Combines device events, coverage, block checks and beat artifacts over ``window_s``."""

    def __init__(self, window_s: float = 10.0, capacity: int = 4096) -> None:
        self.window_s = window_s
        self._blocks = TimedRing(capacity, width=3)  # (t_end, flags, duration_s, bad share)
        self._device_ok = True
        self._device_reason = ""
        self._cache = WindowCache()

    def reset(self) -> None:
        self._blocks.clear()

    def event(self, ev: Quality) -> None:
        self._device_ok = ev.ok
        self._device_reason = ev.reason

    def block(self, t_start: float, t_end: float, flags: BlockFlag, bad_share: float | None = None) -> None:
        """Record a checked block; ``bad_share`` (default: all or nothing) is how much of it failed."""
        share = (1.0 if flags else 0.0) if bad_share is None else float(np.clip(bad_share, 0.0, 1.0))
        self._blocks.push([t_end], [[float(int(flags)), max(0.0, t_end - t_start), share]])

    def report(self, t: float, artifact_ratio: float | None = None) -> QualityReport:
        key = (self._blocks.version, self._device_ok, self._device_reason, artifact_ratio)
        if not self._cache.hit(key, t):
            until = self._blocks.stable_until(t - self.window_s, t)
            self._cache.store(key, t, until, self._compute(t, artifact_ratio))
        return self._cache.value  # type: ignore[return-value]

    def _compute(self, t: float, artifact_ratio: float | None) -> QualityReport:
        reasons: list[str] = []
        scores: list[float] = []
        if not self._device_ok:
            reasons.append(f"device: {self._device_reason or 'reported a problem'}")
            scores.append(0.0)
        tt, v = self._blocks.window(t - self.window_s, t)
        covered = float(v[:, 1].sum()) if tt.shape[0] else 0.0
        coverage = min(1.0, covered / self.window_s)
        if coverage < 0.95:
            reasons.append("no data" if coverage == 0.0 else f"gaps ({coverage:.0%} covered)")
        scores.append(coverage)
        if tt.shape[0] and v[:, 0].any():
            flags = int(np.bitwise_or.reduce(v[:, 0].astype(np.int64)))
            weights = v[:, 1]
            total = float(weights.sum()) or 1.0
            scores.append(1.0 - float(np.dot(weights, v[:, 2])) / total)
            reasons.extend(name for flag, name in _FLAG_REASONS if flags & flag)
        if artifact_ratio is not None:
            score = max(0.0, 1.0 - 2.0 * artifact_ratio)
            if score < 1.0:
                reasons.append(f"beat artifacts ({artifact_ratio:.0%})")
            scores.append(score)
        index = min(1.0, max(0.0, math.prod(scores)))
        return QualityReport(index, tuple(reasons))
