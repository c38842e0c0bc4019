"""A latency histogram with fixed memory, for the send-latency figure in status and benchmarks.

Log-spaced bins from 1 µs to 10 s, each about 2 % wide: every sample is
counted (no window, no sampling), and a percentile is exact to one bin.
"""

from __future__ import annotations

import bisect
import itertools

import numpy as np

_EDGES_NS: list[float] = np.geomspace(1e3, 1e10, 801).tolist()


class LatencyHistogram:
    def __init__(self) -> None:
        self.counts = [0] * (len(_EDGES_NS) + 1)
        self.n = 0
        self.max_ns = 0

    def add(self, ns: int) -> None:
        self.counts[bisect.bisect_right(_EDGES_NS, ns)] += 1
        self.n += 1
        self.max_ns = max(self.max_ns, ns)

    def percentile_ns(self, q: float) -> float:
        """The upper edge of the bin holding the q-th percentile (never an underestimate)."""
        if self.n == 0:
            raise ValueError("no samples")
        rank = q / 100 * self.n
        for i, seen in enumerate(itertools.accumulate(self.counts)):
            if seen >= rank and seen > 0:
                return min(_EDGES_NS[i] if i < len(_EDGES_NS) else float("inf"), float(self.max_ns))
        return float(self.max_ns)

    def summary_ms(self) -> dict[str, float | int]:
        if self.n == 0:
            return {"n": 0}
        return {
            "n": self.n,
            "p50": round(self.percentile_ns(50) / 1e6, 4),
            "p99": round(self.percentile_ns(99) / 1e6, 4),
            "max": round(self.max_ns / 1e6, 4),
        }
