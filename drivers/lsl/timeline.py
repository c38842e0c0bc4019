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

from agent.plugin import Clock

FUTURE_S = 1.0  # a stamp this far ahead of now is no sample's: clock sync errs by milliseconds


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

    def place(self, lsl_t: np.ndarray) -> list[tuple[int, int, int]]:
        """Cut one pull's timestamps into runs without holes: ``(start, stop, seq)`` each.

        A pull is normally one run; it holds two when liblsl recovered the
        stream between samples that were both still buffered.
        """
        n = int(lsl_t.size)
        if n == 0:
            return []
        cuts: list[int] = []
        if self.rate_hz is not None and n > 1:
            cuts = (np.flatnonzero(np.diff(lsl_t) - 1.0 / self.rate_hz > self.jump_s) + 1).tolist()
        runs = []
        for start, stop in zip([0, *cuts], [*cuts, n], strict=True):
            seq = self._seq_at(float(lsl_t[start]))
            runs.append((start, stop, seq))
            self.next_seq = seq + (stop - start)
            self._next_t = float(lsl_t[stop - 1]) + (1.0 / self.rate_hz if self.rate_hz else 0.0)
        return runs

    def _seq_at(self, t: float) -> int:
        seq = self.next_seq
        if self._next_t is not None:
            late = t - self._next_t
            if self._broken or (self.rate_hz is not None and late > self.jump_s):
                missing = max(1, round(late * self.rate_hz)) if self.rate_hz and late > 0 else 1
                seq += missing
                self.gaps += 1
                self.missing += missing
        self._broken = False
        return seq


def to_agent_time(lsl_t: np.ndarray, *, lsl_now: float, agent_now: float, clock: Clock) -> np.ndarray:
    """Map local LSL time (after clock sync) onto the agent clock.

    Both are clocks of this machine read back to back, so the mapping is
    exact rather than estimated: a sample ``age`` LSL seconds old is ``age``
    real seconds old, which is ``age * speed`` agent seconds.
    """
    return agent_now + (np.asarray(lsl_t, dtype=np.float64) - lsl_now) * clock.speed


def plausible(lsl_t: np.ndarray, *, lsl_now: float, max_age_s: float) -> np.ndarray:
    """Which stamps a sample pulled at ``lsl_now`` can have: none older than the inlet can hold, none ahead.

    Right after liblsl recovers a stream by itself, its clock sync can hand back a run of stamps hours
    out (seen as a sample 5 h old from a 10-s buffer); placed, it would be a gap of millions of samples.
    """
    age = lsl_now - np.asarray(lsl_t, dtype=np.float64)
    return (age <= max_age_s) & (age >= -FUTURE_S)
