"""Streaming "threshold region, most prominent maximum" peak picking.

NeuroKit2's ECG detector (``neurokit``) and its PPG detector (``elgendi``)
share one shape: a smoothed feature signal crosses an adaptive threshold,
the samples where it stays above form a region, short regions are ignored,
and the beat is the most prominent local maximum of the cleaned signal
inside the region, kept only if it is far enough from the previous beat.
This class does that one block at a time on absolute sample indices, so it
gives the same beats however the stream is split.
"""

from __future__ import annotations

import numpy as np

from agent.core.signals.prominence import local_maxima, prominences
from agent.core.signals.ring import Ring


class RegionPeakPicker:
    """Beats from aligned ``(signal, above_threshold)`` blocks.

    ``min_len`` is either a fixed number of samples, or, when
    ``min_len_weight`` is set, that fraction of the mean length of the regions
    seen so far in the segment (NeuroKit2 uses the mean over the whole
    recording, which a stream cannot know; see docs/signals.md).
    """

    def __init__(
        self,
        *,
        min_delay: int,
        history: int,
        min_len: int = 0,
        min_len_weight: float | None = None,
        max_len: int | None = None,
    ) -> None:
        self.min_delay = min_delay
        self.min_len = min_len
        self.min_len_weight = min_len_weight
        self.max_len = max_len if max_len is not None else history // 2
        self.signal = Ring(history)
        self.reset()

    def reset(self) -> None:
        self.signal.clear()
        self._prev = False
        self._beg: int | None = None
        self._last_peak: int | None = None
        self._len_sum = 0.0
        self._len_n = 0
        self.too_long = 0

    def set_last_peak(self, index: int) -> None:
        """Pretend a beat sat at ``index``, so none is accepted within ``min_delay`` of it."""
        self._last_peak = index

    def process(self, s: np.ndarray, above: np.ndarray) -> list[int]:
        """Feed the next aligned block; returns absolute indices of newly confirmed peaks."""
        start = self.signal.total
        self.signal.push(s)
        if above.shape[0] == 0:
            return []
        m = np.empty(above.shape[0] + 1, dtype=bool)
        m[0] = self._prev
        m[1:] = above
        self._prev = bool(above[-1])
        edges = np.flatnonzero(m[:-1] != m[1:])
        peaks: list[int] = []
        for i in edges.tolist():
            if m[i + 1]:  # rises: the region begins at the last sample below (as NeuroKit2 slices it)
                self._beg = start + i - 1
            elif self._beg is not None:
                end = start + i - 1  # the last sample above, used as an exclusive slice end
                p = self._region(self._beg, end)
                self._beg = None
                if p is not None:
                    peaks.append(p)
        return peaks

    def _region(self, beg: int, end: int) -> int | None:
        length = end - beg
        if self.min_len_weight is not None:
            self._len_sum += length
            self._len_n += 1
            min_len = self.min_len_weight * self._len_sum / self._len_n
        else:
            min_len = self.min_len
        if length < min_len or length < 1:
            return None
        if length > self.max_len or beg < self.signal.first_index:
            self.too_long += 1  # a region this long is noise or a lost contact, never one beat
            return None
        data = self.signal.span(beg, end)[:, 0]
        locmax = local_maxima(data)
        if locmax.size == 0:
            return None
        best = 0 if locmax.size == 1 else int(np.argmax(prominences(data, locmax)[0]))  # usually one maximum
        peak = beg + int(locmax[best])
        if self._last_peak is not None and peak - self._last_peak <= self.min_delay:
            return None
        self._last_peak = peak
        return peak

    def refine(self, peak: int) -> float:
        """Sub-sample offset in (-0.5, 0.5) of the true maximum by a parabola through 3 samples."""
        if peak - 1 < self.signal.first_index or peak + 2 > self.signal.total:
            return 0.0
        y0, y1, y2 = self.signal.span(peak - 1, peak + 2)[:, 0]
        den = y0 - 2.0 * y1 + y2
        if den >= 0.0:  # not a strict maximum: keep the sample
            return 0.0
        return float(np.clip(0.5 * (y0 - y2) / den, -0.5, 0.5))
