"""RR intervals to beat times on the agent clock.

A strap sends RR intervals in batches, about once a second, oldest first,
with no timestamps. The running sum of the intervals is the strap's own
beat clock (1/1024 s ticks): consecutive beats are exactly one interval
apart. :class:`~agent.base.clock.DeviceClock` maps that clock onto agent time
from the arrival of each batch (the newest beat of a batch happened at
most a little before the batch arrived, so the smallest arrival-minus-beat
over recent batches is the best anchor).

The beat clock breaks when beats go missing: the strap lost skin contact,
an interval was an artifact, or the link dropped. Then the newest beat
would map to well before its arrival; the timeline re-anchors to arrival
and estimates how many beats were missed from the recent interval, so the
stream's sequence numbers show the gap.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from agent.plugin import DeviceClock
from drivers.ble.hrs import RR_UNITS_PER_S

MIN_RR_S = 0.2  # 300 bpm
MAX_RR_S = 3.0  # 20 bpm


@dataclass(frozen=True, slots=True)
class Beats:
    """Beat times (agent clock, end of each interval) and the intervals in seconds."""

    t: np.ndarray
    rr_s: np.ndarray
    missed: int  # beats estimated missing just before these (0 when continuous)
    artifacts: int  # implausible intervals dropped


class BeatTimeline:
    def __init__(self, *, max_lag_s: float = 3.0) -> None:
        # The newest beat of a batch is normally < 1 s + one interval old;
        # more than ``max_lag_s`` means the beat clock lost time.
        self.max_lag_s = max_lag_s
        self._clock = self._new_clock()
        self._ticks = 0  # running sum of RR ticks since the last anchor
        self._last_t: float | None = None  # agent time of the last beat handed out
        self._recent: deque[float] = deque(maxlen=16)
        self.reanchors = 0

    @staticmethod
    def _new_clock() -> DeviceClock:
        # The newest beat of a batch is anywhere up to one interval before the strap sent it,
        # so batch minima are too noisy to fit a drift on; a strap crystal's tens of ppm
        # add only milliseconds over the window, so the offset is the window's minimum.
        return DeviceClock(tick_hz=RR_UNITS_PER_S, window_s=60.0, bucket_s=2.0, jump_s=1.0, max_drift_ppm=0.0)

    def break_continuity(self) -> None:
        """Beats were lost (contact lost, link dropped): re-anchor on the next batch."""
        self._clock = self._new_clock()
        self._ticks = 0
        self.reanchors += 1

    def add(self, rr_raw: Sequence[int], arrival: float) -> Beats:
        raw = np.asarray(rr_raw, dtype=np.int64).reshape(-1)
        rr_s = raw / RR_UNITS_PER_S
        bad = np.flatnonzero((rr_s < MIN_RR_S) | (rr_s > MAX_RR_S))
        artifacts = int(bad.size)
        if artifacts:
            # An impossible interval is not elapsed time: keep only what follows it.
            self.break_continuity()
            raw, rr_s = raw[bad[-1] + 1 :], rr_s[bad[-1] + 1 :]
        if raw.size == 0:
            return Beats(np.empty(0), np.empty(0), 0, artifacts)

        ticks = self._ticks + np.cumsum(raw)
        device_s = ticks / RR_UNITS_PER_S
        if self._clock.ready and arrival - float(self._clock.to_agent(device_s[-1])) > self.max_lag_s:
            self.break_continuity()
            ticks = np.cumsum(raw)
            device_s = ticks / RR_UNITS_PER_S
        self._ticks = int(ticks[-1])
        self._clock.observe(float(device_s[-1]), arrival)
        # A beat cannot have happened after the batch that reports it arrived.
        t = np.minimum(self._clock.to_agent(device_s), arrival)
        if self._last_t is not None:
            t = np.maximum(t, self._last_t)  # keep beat times ordered across re-anchors

        missed = 0
        if self._last_t is not None and self._recent:
            typical = float(np.median(self._recent))
            unexplained = float(t[0] - rr_s[0] - self._last_t)
            missed = max(0, round(unexplained / typical))
        self._last_t = float(t[-1])
        self._recent.extend(rr_s.tolist())
        return Beats(t, rr_s, missed, artifacts)
