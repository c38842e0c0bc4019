"""Electrodermal activity: low-pass, tonic/phasic split, SCR events, SCL level and slope, SCR rate.

Works from 4 Hz (Empatica E4) upwards. Above 7 Hz the signal is low-passed
at 3 Hz (4th-order Butterworth, as NeuroKit2's ``eda_clean``; NeuroKit2
also skips it at or below 6 Hz), then decimated by an integer factor to
about 16 Hz, so a 128 Hz Shimmer costs what a 16 Hz one does. The phasic
part is a 0.05 Hz 2nd-order Butterworth high-pass (NeuroKit2's default
``highpass`` decomposition) run causally; the tonic part is the remainder,
so tonic + phasic is the cleaned signal exactly.

SCRs are found with the classic trough-to-peak rule on the cleaned skin
conductance itself, not on the phasic part: a causal 0.05 Hz high-pass
undershoots after every large response, and NeuroKit2's own peak finder
run on that causal phasic signal finds 4 of the 9 SCRs it finds on its
zero-phase one (bio_eventrelated_100hz). An SCR is a rise of at least an
*absolute* amplitude in µS (0.03 µS by default, BIOPAC's value;
NeuroKit2's ``amplitude_min`` is relative to the largest SCR of the whole
recording, which a stream cannot know) from the lowest point of the last
``max_rise_s``, confirmed once the signal falls back by half the threshold
or ``drop_fraction`` of the rise, and kept if the rise took between
``min_rise_s`` and ``max_rise_s``. A slow tonic drift never falls back,
so it is never counted. NeuroKit2 finds one SCR more on
bio_eventrelated_100hz: a 0.011 µS rise whose prominence comes from the
valley its zero-phase high-pass digs *before* a large response; a causal
detector cannot see it and we do not count it (docs/signals.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from pydantic import BaseModel, ConfigDict, Field

from agent.base.events import Gap, Quality
from agent.base.stream import Chunk
from agent.core.signals.butterworth import butter_sos
from agent.core.signals.filters import SosFilter
from agent.core.signals.quality import BlockChecker, QualityReport, StreamQuality, eda_noisy
from agent.core.signals.ring import Ring, TimedRing, WindowCache
from agent.core.signals.segments import BlockedStream


class EdaConfig(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    lowpass_hz: float = Field(3.0, gt=0)
    work_hz: float = Field(16.0, gt=0)
    phasic_cutoff_hz: float = Field(0.05, gt=0)
    scr_min_amplitude_us: float = Field(0.03, gt=0)
    drop_fraction: float = Field(0.1, gt=0, lt=1)  # a peak is confirmed after falling this share of its rise
    settle_s: float = Field(1.0, ge=0)  # no SCR onsets while the low-pass settles after a (re)start
    min_rise_s: float = Field(0.3, ge=0)
    max_rise_s: float = Field(7.0, gt=0)
    window_s: float = Field(60.0, gt=0)
    recent_s: float = Field(10.0, gt=0)  # the fast path: SCR onsets this recent
    min_coverage: float = Field(0.5, gt=0, le=1)
    block_s: float = Field(1.0, gt=0)
    bridge_s: float = Field(1.0, ge=0)  # a shorter hole is filled in; EDA barely moves in a second
    valid_range_us: tuple[float, float] = (0.05, 100.0)  # below: no skin contact; above: not skin
    noise_us: float = Field(0.05, gt=0)  # RMS second difference that counts as noise
    quality_window_s: float = Field(10.0, gt=0)


@dataclass(frozen=True, slots=True)
class ScrEvent:
    t_onset: float
    t_peak: float
    amplitude_us: float
    rise_s: float


@dataclass(frozen=True, slots=True)
class EdaFeatures:
    scl_us: float | None = None
    scl_slope_us_per_min: float | None = None
    scr_rate_per_min: float | None = None
    scr_amplitude_us: float | None = None  # mean over SCRs in the window; None without SCRs
    scr_rise_s: float | None = None
    scr_recent: int | None = None


class ScrDetector:
    """Trough-to-peak SCR detection on cleaned skin conductance, one sample at a time (at ~16 Hz)."""

    def __init__(self, fs: float, cfg: EdaConfig) -> None:
        self.fs = fs
        self.cfg = cfg
        self._max_rise = int(np.ceil(cfg.max_rise_s * fs))
        self._settle = int(np.ceil(cfg.settle_s * fs))
        self.reset()

    def reset(self) -> None:
        self._i = 0
        self._trough_v = np.inf
        self._trough_i = 0
        self._peak_v = -np.inf
        self._peak_i = 0
        self._rising = False

    def process(self, sc: np.ndarray) -> list[tuple[int, int, float]]:
        """Returns (onset index, peak index, amplitude) of confirmed SCRs; indices count segment samples."""
        cfg = self.cfg
        thr = cfg.scr_min_amplitude_us
        out = []
        for v in sc.tolist():
            i = self._i
            self._i += 1
            if not self._rising:
                if v < self._trough_v or i - self._trough_i > self._max_rise:
                    self._trough_v, self._trough_i = v, i
                elif v - self._trough_v >= thr:
                    self._rising = True
                    self._peak_v, self._peak_i = v, i
                continue
            if v > self._peak_v:
                self._peak_v, self._peak_i = v, i
                continue
            amp = self._peak_v - self._trough_v
            if self._peak_v - v >= max(0.5 * thr, cfg.drop_fraction * amp):
                rise = (self._peak_i - self._trough_i) / self.fs
                if cfg.min_rise_s <= rise <= cfg.max_rise_s and self._trough_i >= self._settle:
                    out.append((self._trough_i, self._peak_i, amp))
                self._rising = False
                self._trough_v, self._trough_i = v, i
        return out


class EdaProcessor:
    """Chunks of one EDA stream (µS) in; :class:`EdaFeatures`, SCR events and quality out."""

    def __init__(self, fs: float, config: EdaConfig | None = None) -> None:
        cfg = config or EdaConfig()
        self.config = cfg
        self.fs = fs
        self._lowpass = SosFilter(butter_sos(4, fs, high_hz=cfg.lowpass_hz) if fs > 7 else None)
        self.factor = max(1, int(fs // cfg.work_hz))
        self.work_fs = fs / self.factor
        self._phasic = SosFilter(butter_sos(2, self.work_fs, low_hz=cfg.phasic_cutoff_hz))
        self._blocks = BlockedStream(fs, cfg.block_s, cfg.bridge_s)
        self._scr = ScrDetector(self.work_fs, cfg)
        n = int(np.ceil(cfg.window_s * self.work_fs * 1.5)) + 64
        self._series = TimedRing(n, width=2)  # tonic, phasic at the work rate
        self._times = Ring(int(np.ceil((cfg.max_rise_s + 2 * cfg.block_s) * self.work_fs)) + 64)
        self.events = TimedRing(1024, width=4)  # t_peak: t_onset, amplitude, rise, unused
        self._checker = BlockChecker(noisy=eda_noisy(cfg.noise_us), valid_range=cfg.valid_range_us)
        self.quality = StreamQuality(cfg.quality_window_s)
        self._cache = WindowCache()
        self._reset_segment()

    def _reset_segment(self) -> None:
        self._lowpass.reset()
        self._phasic.reset()
        self._scr.reset()
        self._index = 0  # native samples in this segment
        self._times.clear()  # work-rate sample times, indexed like the SCR detector's samples

    def push(self, chunk: Chunk) -> None:
        self.push_samples(chunk.t, chunk.x, chunk.seq)

    def push_samples(self, t: np.ndarray, x: np.ndarray, seq: int | None = None) -> None:
        for run in self._blocks.feed(t, x, seq):
            if run.new_segment:
                self._reset_segment()
            self._process(run.t, run.x[:, 0])

    def _process(self, t: np.ndarray, x: np.ndarray) -> None:
        n = x.shape[0]
        t0 = float(t[0])
        self.quality.block(t0, t0 + n / self.fs, self._checker.check(x))
        low = self._lowpass(x)
        keep = (np.arange(self._index, self._index + n) % self.factor) == 0
        self._index += n
        y, ty = low[keep], t[keep]
        if y.shape[0] == 0:
            return
        phasic = self._phasic(y)
        tonic = y - phasic
        self._series.push(ty, np.column_stack((tonic, phasic)))
        self._times.push(ty)
        for onset, peak, amp in self._scr.process(y):
            t_on = self._time_at(onset)
            t_pk = self._time_at(peak)
            self.events.push([t_pk], [[t_on, amp, t_pk - t_on, 0.0]])

    def _time_at(self, index: int) -> float:
        i = min(max(index, self._times.first_index), self._times.total - 1)
        return float(self._times.span(i, i + 1)[0, 0])

    def gap(self, ev: Gap) -> None:
        self._blocks.gap(ev)

    def device_quality(self, ev: Quality) -> None:
        self.quality.event(ev)

    def scr_events(self, t_start: float, t_end: float) -> list[ScrEvent]:
        tp, v = self.events.window(t_start, t_end)
        return [ScrEvent(float(v[i, 0]), float(tp[i]), float(v[i, 1]), float(v[i, 2])) for i in range(tp.shape[0])]

    def features(self, t: float) -> EdaFeatures:
        """Features of the ``window_s`` of data ending at ``t`` or at the newest sample, if older.

        Ending at the newest sample keeps the window still between blocks (a
        16 Hz series would otherwise change at every tick); a stream that has
        stopped is caught by its quality report, not by a shrinking window.
        """
        cfg = self.config
        newest = self._series.last_t()
        if newest is not None and newest < t:
            t = newest
        key = (self._series.version, self.events.version)
        if not self._cache.hit(key, t):
            until = min(
                self._series.stable_until(t - cfg.window_s, t) if newest is None or t < newest else np.inf,
                self.events.stable_until(t - cfg.window_s, t),
                self._next_recent_change(t),
            )
            self._cache.store(key, t, until, self._compute(t))
        return self._cache.value  # type: ignore[return-value]

    def recent_scrs(self, t: float) -> int:
        """``features(t).scr_recent`` alone (SCR onsets in the last ``recent_s``), for the per-tick fast path."""
        newest = self._series.last_t()
        if newest is not None and newest < t:
            t = newest
        _, v = self.events.window(t - self.config.recent_s, t)  # an onset that recent has its peak after it
        return int(np.count_nonzero(v[:, 0] > t - self.config.recent_s)) if v.shape[0] else 0

    def _next_recent_change(self, t: float) -> float:
        """When the oldest SCR onset counted as recent stops counting."""
        _, v = self.events.window(t - self.config.recent_s - self.config.max_rise_s, np.inf)
        onsets = v[:, 0][v[:, 0] > t - self.config.recent_s] if v.shape[0] else v[:, 0]
        return float(onsets.min()) + self.config.recent_s if onsets.shape[0] else np.inf

    def _compute(self, t: float) -> EdaFeatures:
        cfg = self.config
        ts, v = self._series.window(t - cfg.window_s, t)
        if ts.shape[0] < 2 or (ts[-1] - ts[0]) < cfg.min_coverage * cfg.window_s:
            return EdaFeatures()
        tonic = v[:, 0]
        tc = ts - ts.mean()
        slope = float(np.dot(tc, tonic - tonic.mean()) / np.dot(tc, tc)) * 60.0
        tp, ev = self.events.window(t - cfg.window_s, t)
        n_scr = tp.shape[0]
        recent = int(np.count_nonzero(ev[:, 0] > t - cfg.recent_s)) if n_scr else 0
        return EdaFeatures(
            scl_us=float(tonic.mean()),
            scl_slope_us_per_min=slope,
            scr_rate_per_min=n_scr * 60.0 / cfg.window_s,
            scr_amplitude_us=float(ev[:, 1].mean()) if n_scr else None,
            scr_rise_s=float(ev[:, 2].mean()) if n_scr else None,
            scr_recent=recent,
        )

    def report(self, t: float) -> QualityReport:
        return self.quality.report(t)
