"""Split a sampled stream into contiguous segments, bridging only short gaps.

A processor must never interpolate across a long gap: filters, peak
detectors and windows restart at a new segment. Missing samples are seen
either as a jump in ``Chunk.seq`` or as a ``Gap`` event from the supervisor;
a short jump (at most ``bridge_s``) is filled by linear interpolation between
the samples on either side, because restarting a 0.05 Hz filter for one lost
packet would cost minutes of settling. Non-finite samples are held at the
last finite value and counted, so no NaN reaches a filter state.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from agent.base.events import Gap


@dataclass(frozen=True, slots=True)
class Run:
    """Consecutive samples of one segment; ``new_segment`` says state must restart first."""

    new_segment: bool
    t: np.ndarray  # float64 (n,)
    x: np.ndarray  # float64 (n, channels)
    index: int  # index of the first sample within its segment


class Segmenter:
    """Turns (seq, t, x) blocks and Gap events into :class:`Run` s for one stream."""

    def __init__(self, fs: float | None, bridge_s: float = 0.0) -> None:
        self.fs = fs
        self.bridge = 0 if fs is None else int(np.floor(bridge_s * fs + 1e-9))
        self._next_seq: int | None = None
        self._last_t: float | None = None
        self._last_x: np.ndarray | None = None
        self._break = True
        self._index = 0
        self.segments = 0
        self.bridged = 0  # samples filled in across short gaps
        self.nonfinite = 0  # samples that were NaN/inf and got held

    def gap(self, ev: Gap) -> None:
        """A Gap event longer than the bridge forces a new segment at the next sample."""
        limit = 0.0 if self.fs is None else self.bridge / self.fs
        if ev.duration_s > limit or self.fs is None:
            self._break = True

    def force_break(self) -> None:
        self._break = True

    def feed(self, t: npt.ArrayLike, x: npt.ArrayLike, seq: int | None = None) -> list[Run]:
        tt = np.asarray(t, dtype=np.float64).reshape(-1)
        xx = np.asarray(x, dtype=np.float64)
        if xx.ndim == 1:
            xx = xx.reshape(-1, 1)
        n = tt.shape[0]
        if n == 0:
            return []
        if not np.isfinite(xx).all():
            xx = self._hold_nonfinite(xx)
        runs: list[Run] = []
        expected = self._next_seq
        if seq is not None and expected is not None and not self._break:
            jump = seq - expected
            if jump < 0 or jump > self.bridge:
                self._break = True
            elif jump > 0:
                runs.append(self._bridge(jump, tt[0], xx[0]))
        if seq is not None:
            self._next_seq = seq + n
        elif self._next_seq is not None:
            self._next_seq += n
        new = self._break
        if new:
            self._index = 0
            self.segments += 1
            self._break = False
        runs.append(Run(new, tt, xx, self._index))
        self._index += n
        self._last_t = float(tt[-1])
        self._last_x = xx[-1]
        return runs

    def _bridge(self, k: int, t_next: float, x_next: np.ndarray) -> Run:
        assert self._last_t is not None and self._last_x is not None
        frac = np.arange(1, k + 1, dtype=np.float64) / (k + 1)
        t = self._last_t + frac * (t_next - self._last_t)
        x = self._last_x[None, :] + frac[:, None] * (x_next - self._last_x)[None, :]
        self.bridged += k
        run = Run(False, t, x, self._index)
        self._index += k
        return run

    def _hold_nonfinite(self, x: np.ndarray) -> np.ndarray:
        bad = ~np.isfinite(x)
        self.nonfinite += int(bad.any(axis=1).sum())
        x = x.copy()
        prev = self._last_x if self._last_x is not None else np.zeros(x.shape[1])
        for i in range(x.shape[0]):  # rare path: only chunks that contain NaN/inf
            row = x[i]
            m = ~np.isfinite(row)
            row[m] = prev[m]
            prev = row
        return x


class BlockedStream:
    """A :class:`Segmenter` that hands samples on in fixed blocks aligned to the segment start.

    A numpy call costs microseconds whatever its length, and
    drivers deliver anything from 1 to 1,000 samples per chunk; processing
    whole blocks of ``block_s`` keeps the per-sample cost flat and makes the
    output independent of the chunking by construction. When a segment ends,
    its partial block is handed on before the new segment starts. Chunks
    are copied into a preallocated block, so a small chunk costs one copy.
    """

    def __init__(self, fs: float, block_s: float, bridge_s: float = 0.0) -> None:
        self.segmenter = Segmenter(fs, bridge_s)
        self.block = max(1, round(block_s * fs))
        self._t = np.empty(self.block)
        self._x: np.ndarray | None = None
        self._fill = 0
        self._first_of_segment = True

    def gap(self, ev: Gap) -> None:
        self.segmenter.gap(ev)

    def force_break(self) -> None:
        self.segmenter.force_break()

    def feed(self, t: npt.ArrayLike, x: npt.ArrayLike, seq: int | None = None) -> list[Run]:
        out: list[Run] = []
        for run in self.segmenter.feed(t, x, seq):
            if run.new_segment:
                if self._fill:
                    out.append(self._emit(self._fill))
                self._first_of_segment = True
            if self._x is None or self._x.shape[1] != run.x.shape[1]:
                self._x = np.empty((self.block, run.x.shape[1]))
                self._fill = 0
            i, n = 0, run.t.shape[0]
            while i < n:
                k = min(n - i, self.block - self._fill)
                self._t[self._fill : self._fill + k] = run.t[i : i + k]
                self._x[self._fill : self._fill + k] = run.x[i : i + k]
                self._fill += k
                i += k
                if self._fill == self.block:
                    out.append(self._emit(self.block))
        return out

    def _emit(self, n: int) -> Run:
        assert self._x is not None
        run = Run(self._first_of_segment, self._t[:n].copy(), self._x[:n].copy(), 0)
        self._first_of_segment = False
        self._fill = 0
        return run
