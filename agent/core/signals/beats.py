"""Beat intervals to NN intervals: artifact and ectopic-beat detection and correction, streaming.

Every interval is compared with a reference, the median of the last
``reference_beats`` raw intervals in the physiological range (a median of
raw intervals adapts within a few beats to a real change in heart rate,
where a median of accepted beats could lock out a genuine jump):

- within ``tolerance`` of the reference: a normal beat;
- within ``tolerance`` of k references (k = 2..``max_missed``): k - 1 missed beats,
  split into k equal intervals;
- short, and the next interval completes one reference interval: an extra
  (false) beat, merged;
- short, and with the next interval about two reference intervals: an
  ectopic beat (short-long pair), the beat moved to the midpoint;
- anything else is an artifact and dropped; the successive difference
  across it is not used.

Short intervals wait for the next one, so decisions lag by one beat. The
tolerance is 30 %: Malik's classic 20 % rejects real respiratory sinus
arrhythmia in young, relaxed people (a fifth of the beats flagged on
pyhrv's sample series), while ectopic beats come early by more than that and
missed beats double the interval. Lipponen & Tarvainen (2019), the
method NeuroKit2 and Kubios use, adapts thresholds from the distribution of
successive differences over a whole recording, which a stream cannot see.
"""

from __future__ import annotations

import enum
from collections import deque
from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent.core.signals.ring import TimedRing


class BeatConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    min_rr_s: float = Field(0.25, gt=0)  # 240 bpm
    max_rr_s: float = Field(2.0, gt=0)  # 30 bpm
    tolerance: float = Field(0.3, gt=0, lt=0.5)
    reference_beats: int = Field(9, ge=3)
    max_missed: int = Field(3, ge=2)


class BeatFlag(enum.IntEnum):
    OK = 0
    MISSED = 1  # interval split because beats were missed
    EXTRA = 2  # a false beat removed
    ECTOPIC = 3  # a short-long pair evened out
    DROPPED = 4  # an artifact removed (no NN emitted)


@dataclass(frozen=True, slots=True)
class NN:
    """One normal-to-normal interval ending at beat time ``t`` (agent clock)."""

    t: float
    nn_s: float
    flag: BeatFlag
    continuous: bool  # the previous NN ends where this one starts: their difference is valid


class BeatCorrector:
    """Raw intervals (or beat times) in, NN intervals out, one beat of lookahead."""

    def __init__(self, config: BeatConfig | None = None) -> None:
        self.config = config or BeatConfig()
        self._raw: deque[float] = deque(maxlen=self.config.reference_beats)
        self.counts = {f: 0 for f in BeatFlag}
        self.decisions = TimedRing(2048)  # (t, flag) of every interval judged, for the artifact ratio
        self._last_t = -np.inf
        self.reset()

    def reset(self) -> None:
        """A gap: drop the pending interval; the next NN does not continue the last one."""
        self._pending: tuple[float, float] | None = None  # (t_end, rr) of a short interval
        self._last_beat: float | None = None
        self._continuous = False

    def push_beat(self, t: float) -> list[NN]:
        """A detected beat at time ``t``; the interval is measured from the previous beat."""
        prev, self._last_beat = self._last_beat, t
        if prev is None:
            return []
        return self.push_interval(t, t - prev)

    def push_interval(self, t_end: float, rr_s: float) -> list[NN]:
        """An interval ``rr_s`` ending at ``t_end`` (a chest strap's RR value, say)."""
        cfg = self.config
        out: list[NN] = []
        t_end = max(t_end, self._last_t)  # beat times never go backwards, even if a driver's do
        self._last_t = t_end
        if not np.isfinite(rr_s) or rr_s <= 0 or not np.isfinite(t_end):
            self._drop(out, self._last_t)
            return out
        ref = self._reference()
        if cfg.min_rr_s <= rr_s <= cfg.max_rr_s:
            self._raw.append(rr_s)
        if self._pending is not None:
            p_t, p_rr = self._pending
            self._pending = None
            if ref is not None and self._near(p_rr + rr_s, ref):
                self._emit(out, t_end, p_rr + rr_s, BeatFlag.EXTRA)
                return out
            if ref is not None and self._near(p_rr + rr_s, 2 * ref) and rr_s > ref:
                half = (p_rr + rr_s) / 2
                self._emit(out, t_end - half, half, BeatFlag.ECTOPIC)
                self._emit(out, t_end, half, BeatFlag.ECTOPIC)
                return out
            self._drop(out, p_t)
        self._classify(out, t_end, rr_s, ref)
        return out

    def _classify(self, out: list[NN], t_end: float, rr: float, ref: float | None) -> None:
        cfg = self.config
        if ref is None:  # the first few beats: only the physiological range can be checked
            if cfg.min_rr_s <= rr <= cfg.max_rr_s:
                self._emit(out, t_end, rr, BeatFlag.OK)
            else:
                self._drop(out, t_end)
            return
        if self._near(rr, ref) and cfg.min_rr_s <= rr <= cfg.max_rr_s:
            self._emit(out, t_end, rr, BeatFlag.OK)
        elif rr < ref:
            if rr >= cfg.min_rr_s * 0.5:
                self._pending = (t_end, rr)
            else:
                self._drop(out, t_end)
        else:
            k = round(rr / ref)
            if 2 <= k <= cfg.max_missed and abs(rr - k * ref) <= cfg.tolerance * ref:
                part = rr / k
                for j in range(k):
                    self._emit(out, t_end - (k - 1 - j) * part, part, BeatFlag.MISSED)
            else:
                self._drop(out, t_end)

    def _reference(self) -> float | None:
        n = len(self._raw)
        if n < 3:
            return None
        s = sorted(self._raw)  # at most reference_beats values: sorting in Python beats np.median's overhead
        return s[n // 2] if n % 2 else (s[n // 2 - 1] + s[n // 2]) / 2.0

    def _near(self, value: float, ref: float) -> bool:
        return abs(value - ref) <= self.config.tolerance * ref

    def _emit(self, out: list[NN], t: float, nn: float, flag: BeatFlag) -> None:
        out.append(NN(t, nn, flag, self._continuous))
        self._continuous = True
        self.counts[flag] += 1
        self.decisions.push([t], [float(flag)])

    def _drop(self, out: list[NN], t: float) -> None:
        del out  # nothing is emitted; the next NN starts a new run of successive differences
        self._continuous = False
        self.counts[BeatFlag.DROPPED] += 1
        self.decisions.push([max(t, self._last_t)], [float(BeatFlag.DROPPED)])

    def artifact_ratio(self, t_start: float, t_end: float) -> tuple[float, int]:
        """Share of intervals in ``(t_start, t_end]`` that were corrected or dropped, and how many were judged."""
        _, flags = self.decisions.window(t_start, t_end)
        n = flags.shape[0]
        if n == 0:
            return 0.0, 0
        return float(np.count_nonzero(flags[:, 0])) / n, n
