"""What the streaming beat detectors (ECG R-peaks, PPG pulses) share: fixed
blocks in, confirmed peak times out, with the sample history and the
region peak picker wired the same way. Subclasses supply the filter chain."""

from __future__ import annotations

import numpy as np

from agent.core.signals.history import BlockHistory
from agent.core.signals.peaks import RegionPeakPicker


class BlockPeakDetector:
    fs: float
    latency: int  # raw samples between the newest sample and the newest aligned one
    max_block: int

    def _setup(
        self,
        fs: float,
        *,
        depth: int,
        max_len: int,
        min_delay: int,
        max_block: int | None,
        min_len: int | None = None,
        min_len_weight: float | None = None,
    ) -> None:
        self.fs = fs
        self.max_block = max_block or int(np.ceil(2.0 * fs))
        # + 1: room for a region of max_len however it was rounded
        self._history = BlockHistory(depth + self.latency + max_len + 1, self.max_block)
        picker_args = {"min_len": min_len} if min_len is not None else {"min_len_weight": min_len_weight}
        self._picker = RegionPeakPicker(
            min_delay=min_delay, history=int(np.ceil(4.0 * fs)) + self.max_block, max_len=max_len, **picker_args
        )

    def reset(self) -> None:
        self._history.reset()
        self._picker.reset()
        # aligned sample a is segment sample a - latency; NeuroKit2 keeps a beat only if it is
        # more than min_delay after the first sample, as if a beat sat on sample 0
        self._picker.set_last_peak(self.latency)

    def process(self, t: np.ndarray, x: np.ndarray) -> list[float]:
        """One contiguous block (float64, shape (n,)); returns the times of newly confirmed peaks.

        Results are exactly reproducible for the same blocks; callers that need the same
        output however a stream was chunked feed fixed blocks (``BlockedStream``).
        """
        n = x.shape[0]
        if n > self.max_block:
            return [
                p
                for i in range(0, n, self.max_block)
                for p in self.process(t[i : i + self.max_block], x[i : i + self.max_block])
            ]
        if n == 0:
            return []
        peaks = self._block(self._history.extend(t, x), n)
        return [self._history.time_of(p - self.latency, self._picker.refine(p), self.fs) for p in peaks]

    def _block(self, ext: np.ndarray, n: int) -> list[int]:
        """Aligned indices of peaks confirmed by this block; ``ext`` is history plus the block."""
        raise NotImplementedError
