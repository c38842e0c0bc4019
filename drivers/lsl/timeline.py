"""Sequence numbers for an LSL stream, and LSL time onto the agent clock.

LSL has no sample counter, so the driver counts. The count must still show
the samples that never arrived, or downstream windows would splice two
stretches of signal together: when the timestamps jump forward (an outlet
that restarted, a recovery inside liblsl) or the driver had to re-resolve
the stream, the count jumps by the samples the nominal rate says were
missed, and at least by one so the gap is always visible.
"""

from __future__ import annotations

import numpy as np

from agent.clock import Clock


class Timeline:
    """Places each run of LSL timestamps in the stream's sample count."""

    def __init__(self, rate_hz: float | None, *, jump_s: float) -> None:
        self.rate_hz = rate_hz
        self.jump_s = jump_s  # regular streams: a forward jump larger than this between chunks is a gap
        self.next_seq = 0
        self.gaps = 0
        self.missing = 0
        self._next_t: float | None = None
        self._broken = False

    def mark_broken(self) -> None:
        """The stream was lost and re-opened: the next chunk starts after a gap."""
        self._broken = True

    def place(self, lsl_t: np.ndarray) -> int:
        """The seq of the first of these timestamps; advances past the last."""
        seq = self.next_seq
        if self._next_t is not None and lsl_t.size:
            late = float(lsl_t[0]) - self._next_t
            if self._broken or (self.rate_hz is not None and late > self.jump_s):
                missing = max(1, round(late * self.rate_hz)) if self.rate_hz and late > 0 else 1
                seq += missing
                self.gaps += 1
                self.missing += missing
        self._broken = False
        if lsl_t.size:
            self.next_seq = seq + int(lsl_t.size)
            step = 1.0 / self.rate_hz if self.rate_hz else 0.0
            self._next_t = float(lsl_t[-1]) + step
        return seq


def to_agent_time(lsl_t: np.ndarray, *, lsl_now: float, agent_now: float, clock: Clock) -> np.ndarray:
    """Map local LSL time (after clock sync) onto the agent clock.

    Both are clocks of this machine read back to back, so the mapping is
    exact rather than estimated: a sample ``age`` LSL seconds old is ``age``
    real seconds old, which is ``age * speed`` agent seconds.
    """
    return agent_now + (np.asarray(lsl_t, dtype=np.float64) - lsl_now) * clock.speed
