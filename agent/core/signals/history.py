"""A block plus the raw history every FIR stage before it needs, primed by edge padding."""

from __future__ import annotations

import numpy as np

from agent.core.signals.ring import Ring


class BlockHistory:
    """Keeps the last ``depth`` raw samples of a segment (and their times).

    ``extend(t, x)`` returns the history followed by the new block, so FIR
    stages (boxcars, differences) can run on one array and the outputs for
    the new samples are exactly what a filter over the whole segment would
    give. At a segment's start the history is the first sample repeated,
    which is how NeuroKit2 pads signal edges.
    """

    def __init__(self, depth: int, max_block: int) -> None:
        self.depth = depth
        self.x = Ring(depth + max_block)
        self.t = Ring(depth + max_block)
        self._primed = False

    def reset(self) -> None:
        self.x.clear()
        self.t.clear()
        self._primed = False

    def extend(self, t: np.ndarray, x: np.ndarray) -> np.ndarray:
        if not self._primed:
            self.x.push(np.full(self.depth, x[0]))
            self.t.push(np.full(self.depth, t[0]))
            self._primed = True
        self.x.push(x)
        self.t.push(t)
        return self.x.last(self.depth + x.shape[0])[:, 0]

    def sample_index(self, raw_index: int) -> int:
        """Absolute ring index of segment sample ``raw_index`` (the padding comes first)."""
        return raw_index + self.depth

    def time_of(self, raw_index: int, frac: float, fs: float) -> float:
        i = max(self.sample_index(raw_index), self.t.first_index)
        return float(self.t.span(i, i + 1)[0, 0]) + frac / fs
